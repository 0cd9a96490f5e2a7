"""Finish the print edition as PDF/X-4: CMYK only, full boxes, our marks, output intent, X-4 metadata."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pikepdf

from issue_builder.base.kept_bytes import KeptBytes
from issue_builder.base.pdf_files import PdfSource, open_pdf
from issue_builder.editions.colours import CmykConverter, convert_images
from issue_builder.editions.marks import MarkSheet, draw_marks
from issue_builder.editions.overlay import stamp_page
from issue_builder.editions.prepress import RICH_BLACK, PressInks, convert_and_press, rich_black
from issue_builder.editions.pressed import PRESSED_FILE
from issue_builder.editions.xmp import content_uuid, pdf_date, set_xmp

PDFX_VERSIONS = {"4": ("PDF/X-4", None, "1.6"), "1a": ("PDF/X-1:2003", "PDF/X-1a:2003", "1.4")}


@dataclass(frozen=True)
class PrintJob:
    """What the finishing step needs to know about the issue and the printer."""

    title: str
    date: dt.date
    pdf_x: str  # "4" or "1a"
    slug_text: str  # e.g. "Socialist Revolution · Issue 18 · Spring 2019"
    bleed: float  # points
    marks: MarkSheet | None
    profile_bytes: bytes
    profile_description: str
    output_condition: str
    output_condition_info: str
    registry: str
    rendering_intent: str
    declared: dict = field(default_factory=dict)  # (r, g, b) 0-255 of each declared colour -> its CMYK, 0-1
    cache_dir: Path | None = None  # photographs converted to CMYK, kept by content hash between renders
    overprint: bool = True  # 100 % K text and thin black rules overprint
    rich_black: tuple[float, ...] | None = RICH_BLACK  # percent, for large black areas; None: they stay 100 % K
    max_ink: float = 300.0  # percent: the press's total ink limit, which the rich black keeps within


class NotX1a(ValueError):
    """PDF/X-1a was asked for, but the file uses what X-1a forbids: transparency, or fonts PDF 1.4 cannot embed."""


def opentype_fonts(pdf: pikepdf.Pdf) -> list[str]:
    """Fonts embedded as OpenType programs (FontFile3 /OpenType, a PDF 1.6 feature)."""
    found = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            program = obj.get("/FontFile3")
            if program is not None and program.get("/Subtype") == "/OpenType":
                found.append(str(obj.get("/FontName", "?")).lstrip("/"))
    return found


def finish_pdfx(data: PdfSource, job: PrintJob) -> bytes:
    """Take WeasyPrint's print PDF and return a PDF/X-4 or PDF/X-1a file."""
    out = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="issue-pdfx-") as scratch, _finished(data, job, Path(scratch)) as pdf:
        _save(pdf, job, out)
    return out.getvalue()


def write_pdfx(data: PdfSource, job: PrintJob, target: Path) -> None:
    """`finish_pdfx` written to `target` as it is saved, never whole in memory."""
    with tempfile.TemporaryDirectory(prefix="issue-pdfx-") as scratch, _finished(data, job, Path(scratch)) as pdf:
        with open(target, "wb") as out:
            _save(pdf, job, out)
            out.flush()
            os.fsync(out.fileno())


@contextlib.contextmanager
def _finished(data: PdfSource, job: PrintJob, scratch: Path) -> Iterator[pikepdf.Pdf]:
    """The finished document, before it is saved; its pictures converted a bounded part at a time (through
    `scratch`), its pages' content rewritten one page at a time."""
    pdf = open_pdf(data)
    try:
        _drop_screen_features(pdf)
        converter = CmykConverter(job.profile_bytes, job.rendering_intent, job.cache_dir, job.declared)
        pdf = convert_images(pdf, converter, scratch)
        rich = rich_black(job.rich_black, job.max_ink) if job.rich_black is not None else None
        kept = KeptBytes.load(job.cache_dir / PRESSED_FILE) if job.cache_dir is not None else None
        convert_and_press(pdf, converter, PressInks(overprint=job.overprint, rich_black=rich), kept)  # one reading
        if kept is not None:
            kept.save()
        if job.pdf_x == "1a":
            left = remove_transparency(pdf) + [
                f"font {name} is OpenType/CFF, which PDF 1.4 cannot embed" for name in opentype_fonts(pdf)
            ]
            if left:
                raise NotX1a("; ".join(sorted(set(left))[:8]))
        _set_boxes_and_marks(pdf, job)
        _output_intent(pdf, job)
        _metadata(pdf, job)
        yield pdf
    finally:
        pdf.close()


def _save(pdf: pikepdf.Pdf, job: PrintJob, out: BinaryIO) -> None:
    streams = pikepdf.ObjectStreamMode.generate if job.pdf_x == "4" else pikepdf.ObjectStreamMode.disable
    pdf.save(
        out,
        deterministic_id=True,
        force_version=PDFX_VERSIONS[job.pdf_x][2],
        object_stream_mode=streams,
        compress_streams=True,
        recompress_flate=False,
    )


def _drop_screen_features(pdf: pikepdf.Pdf) -> None:
    """No links (PDF/X forbids annotations on the trimmed page) and no structure tree: a press reads neither."""
    for page in pdf.pages:
        for key in ("/Annots", "/StructParents", "/Tabs"):
            if key in page.obj:
                del page.obj[key]
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in pdf.Root:
            del pdf.Root[key]


def _set_boxes_and_marks(pdf: pikepdf.Pdf, job: PrintJob) -> None:
    sheet = job.marks
    overlay = None
    if sheet is not None and (sheet.crop or sheet.registration or sheet.slug):
        slugs = [f"{job.slug_text} · page {n} of {len(pdf.pages)}" for n in range(1, len(pdf.pages) + 1)]
        overlay = pikepdf.open(io.BytesIO(draw_marks(sheet, slugs)))
    for number, page in enumerate(pdf.pages):
        trim = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
        b = job.bleed
        margin = sheet.margin if sheet is not None else b
        page.obj.TrimBox = pikepdf.Array(trim)
        page.obj.BleedBox = pikepdf.Array([trim[0] - b, trim[1] - b, trim[2] + b, trim[3] + b])
        media = [trim[0] - margin, trim[1] - margin, trim[2] + margin, trim[3] + margin]
        page.obj.MediaBox = pikepdf.Array(media)
        for key in ("/ArtBox", "/CropBox"):
            if key in page.obj:
                del page.obj[key]
        if overlay is not None:
            stamp_page(pdf, page, overlay.pages[number], (media[0], media[1]), f"IBPrinterMarks{number + 1}")


def remove_transparency(pdf: pikepdf.Pdf, dry_run: bool = False) -> list[str]:
    """Drop transparency groups, which WeasyPrint adds around opaque content too; list the transparency that remains.

    Without soft masks, constant alpha below 1 or blend modes, an isolated group composites exactly like its content
    drawn directly, so removing the group changes nothing on the page. With `dry_run`, groups count as transparency
    and nothing is changed (for preflight).
    """
    left, groups = [], []
    for obj in pdf.objects:
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image":
            if "/SMask" in obj:
                left.append("an image with an alpha channel")
            continue
        if obj.get("/Type") == "/ExtGState" or (("/ca" in obj or "/CA" in obj) and "/Subtype" not in obj):
            mask = obj.get("/SMask")
            if mask is not None and str(mask) != "/None":
                left.append("a soft mask (a gradient with transparency or a masked element)")
            left += [f"constant alpha {float(obj[k]):g}" for k in ("/ca", "/CA") if k in obj and float(obj[k]) < 1]
            if "/BM" in obj and str(obj.BM) not in ("/Normal", "/Compatible"):
                left.append(f"blend mode {obj.BM}")
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            groups.append(obj)
    if dry_run:
        return left + ["a transparency group"] * bool(groups)
    if not left:
        for obj in groups:
            del obj["/Group"]
    return left


def _output_intent(pdf: pikepdf.Pdf, job: PrintJob) -> None:
    profile = pdf.make_stream(job.profile_bytes)
    profile.N = 4
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(job.output_condition),
        OutputCondition=pikepdf.String(job.output_condition_info),
        Info=pikepdf.String(job.profile_description or job.output_condition_info),
        DestOutputProfile=profile,
    )
    if job.registry:  # a registered condition's registry; a Custom one has none
        intent.RegistryName = pikepdf.String(job.registry)
    pdf.Root.OutputIntents = pikepdf.Array([intent])


def _metadata(pdf: pikepdf.Pdf, job: PrintJob) -> None:
    info = pdf.docinfo
    info.Title = pikepdf.String(job.title)
    info.CreationDate = info.ModDate = pdf_date(job.date)
    info.Trapped = pikepdf.Name("/False")
    version, conformance, _ = PDFX_VERSIONS[job.pdf_x]
    info.GTS_PDFXVersion = pikepdf.String(version)
    if conformance:
        info.GTS_PDFXConformance = pikepdf.String(conformance)
    if "/Creator" in info:
        info.Creator = pikepdf.String("issue-builder")
    # the document information and the XMP must say the same things
    properties = [
        ("pdf:Producer", str(info.get("/Producer", "WeasyPrint"))),
        ("pdf:Trapped", "False"),
        ("xmpMM:VersionID", "1"),
        ("xmpMM:RenditionClass", "default"),
        ("pdfxid:GTS_PDFXVersion", version),
    ]
    if conformance:
        properties.append(("pdfxid:GTS_PDFXConformance", conformance))
    if "/Author" in info:
        properties.append(("dc:creator", [str(info.Author)]))
    if "/Subject" in info:
        properties.append(("dc:description", [str(info.Subject)]))
    if "/Keywords" in info:
        properties.append(("pdf:Keywords", str(info.Keywords)))
    set_xmp(pdf, job.title, job.date, content_uuid(pdf), properties, {"pdfxid": "http://www.npes.org/pdfx/ns/id/"})
