"""The composite proof: the print PDF as the press will print it, at low resolution, for a screen or an office
printer. Ghostscript renders the pages trimmed to CMYK with overprint simulated; LittleCMS turns the CMYK into sRGB
through the output intent's profile, absolute colorimetric, so paper white and the press's gamut show."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pikepdf
from PIL import Image, ImageCms

from issue_builder.base.bounded import ToolFailed, streamed_tool
from issue_builder.base.diagnostics import IssueBuilderError
from issue_builder.base.paths import ICC_DIR

PROOF_DPI = 100
MAX_PIXELS = 100_000_000  # a page of the proof: far more than a tabloid page at PROOF_DPI
JPEG_QUALITY = 80


class CompositeProofError(IssueBuilderError):
    """The composite proof cannot be made: Ghostscript is missing, or it could not render the print PDF."""

    exit_code = 1


def composite_proofs(pdf: Path, profile: bytes, title: str, date: dt.date) -> tuple[bytes, bytes]:
    """The composite proof PDF of `pdf` (one trimmed page a sheet) and its reader spreads (the cover and the back
    cover alone, the pages between in facing pairs); `profile` is the output intent's CMYK profile. `title` and
    `date` go into the PDFs' information, so that the same print PDF gives the same bytes. Pages are held as JPEGs:
    memory stays that of one page (two for a spread) whatever the page count."""
    pages = _simulated_pages(pdf, profile)
    when = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
    return _pdf_of(pages, f"{title}: composite proof", when), _pdf_of(
        _reader_spreads(pages), f"{title}: composite proof, reader spreads", when
    )


def require_ghostscript() -> str:
    """The path of Ghostscript's `gs`; CompositeProofError with what to install when it is missing."""
    gs = shutil.which("gs")
    if gs is None:
        raise CompositeProofError(
            "package needs Ghostscript (`gs`) to render the composite proof; install it (Debian/Ubuntu: "
            "apt-get install ghostscript) and run package again"
        )
    return gs


def _simulated_pages(pdf: Path, profile: bytes) -> list[bytes]:
    """Each trimmed page as the press prints it, in sRGB, as a JPEG. Ghostscript's pages are read one at a time
    as it writes them (PAM, CMYK), so that neither memory nor the disk holds more than a page of them."""
    gs = require_ghostscript()
    srgb = ImageCms.getOpenProfile(str(ICC_DIR / "sRGB.icc"))
    press = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    transform = ImageCms.buildTransform(press, srgb, "CMYK", "RGB", ImageCms.Intent.ABSOLUTE_COLORIMETRIC)
    with pikepdf.open(pdf) as document:
        expected = len(document.pages)
    args = [gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dPDFSTOPONERROR", "-sstdout=%stderr", "-sDEVICE=pamcmyk32"]
    args += ["-dOverprint=/simulate", "-dUseTrimBox", f"-r{PROOF_DPI}", "-sOutputFile=-", str(pdf)]
    pages = []
    try:
        with streamed_tool(args, "Ghostscript (the composite proof)") as out:
            for cmyk in _pam_pages(out):
                pages.append(_jpeg(ImageCms.applyTransform(cmyk, transform)))
    except ToolFailed as exc:
        raise CompositeProofError(
            f"Ghostscript could not render {pdf.name} for the composite proof: {exc.said[:300]}"
        ) from None
    if len(pages) != expected:
        raise CompositeProofError(
            f"Ghostscript rendered {len(pages)} of the {expected} pages of {pdf.name} for the composite proof"
        )
    return pages


def _pam_pages(out: IO[bytes]) -> Iterator[Image.Image]:
    """The CMYK pages of a stream of PAM images (netpbm's P7), one at a time, to the end of the stream (a page cut
    short ends it too: the pages are counted after); CompositeProofError for a page that is not what Ghostscript's
    pamcmyk32 writes (leaving the stream unread stops Ghostscript: nothing is left waiting to write it)."""
    for number in itertools.count(1):
        magic = out.readline(256)
        if not magic:
            return
        fields: dict[bytes, bytes] = {}
        while (line := out.readline(256)).strip() != b"ENDHDR":
            if not line:
                return
            if line.strip() and not line.startswith(b"#"):
                name, _, value = line.strip().partition(b" ")
                fields[name] = value.strip()
        width, height = fields.get(b"WIDTH", b""), fields.get(b"HEIGHT", b"")
        size = (int(width), int(height)) if width.isdigit() and height.isdigit() else (0, 0)
        cmyk = magic.strip() == b"P7" and fields.get(b"DEPTH") == b"4" and fields.get(b"MAXVAL") == b"255"
        if not cmyk or not 0 < size[0] * size[1] <= MAX_PIXELS:
            raise CompositeProofError(
                f"Ghostscript wrote page {number} of the composite proof in a form it cannot read "
                f"({magic.strip()[:8]!r}, {size[0]} x {size[1]} pixels, depth {fields.get(b'DEPTH', b'?')[:8]!r})"
            )
        data = out.read(size[0] * size[1] * 4)
        if len(data) < size[0] * size[1] * 4:
            return
        yield Image.frombytes("CMYK", size, data)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, dpi=(PROOF_DPI, PROOF_DPI))
    return out.getvalue()


def _reader_spreads(pages: list[bytes]) -> list[bytes]:
    """Page 1 alone, then 2-3, 4-5, ... as a reader opens them, the last page alone when it is even."""
    sheets = pages[:1]
    for left in range(1, len(pages), 2):
        pair = pages[left : left + 2]
        if len(pair) == 1:
            sheets.append(pair[0])
            continue
        with Image.open(io.BytesIO(pair[0])) as a, Image.open(io.BytesIO(pair[1])) as b:
            sheet = Image.new("RGB", (a.width + b.width, max(a.height, b.height)), "white")
            sheet.paste(a, (0, 0))
            sheet.paste(b, (a.width, 0))
        sheets.append(_jpeg(sheet))
    return sheets


def _pdf_of(jpegs: list[bytes], title: str, when: dt.datetime) -> bytes:
    """One PDF page per JPEG, at the proof's resolution, its bytes placed as they are."""
    pdf = pikepdf.new()
    for data in jpegs:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        picture = pdf.make_stream(
            data,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width,
            Height=height,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        )
        w, h = width * 72 / PROOF_DPI, height * 72 / PROOF_DPI
        page = pdf.add_blank_page(page_size=(w, h))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(P=picture))
        page.Contents = pdf.make_stream(f"q {w:.4f} 0 0 {h:.4f} 0 0 cm /P Do Q".encode())
    stamp = pikepdf.String(when.strftime("D:%Y%m%d%H%M%SZ"))
    info = pdf.docinfo
    info.Title, info.Creator, info.Producer = pikepdf.String(title), "issue-builder", "issue-builder"
    info.CreationDate = info.ModDate = stamp
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, compress_streams=True)
    return out.getvalue()
