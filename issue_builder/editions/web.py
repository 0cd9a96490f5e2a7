"""Finish the web edition: images at screen resolution, sRGB output intent, PDF/UA identification, linearized."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pikepdf
from PIL import Image

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import cache_salt
from issue_builder.base.forked import Forked
from issue_builder.base.kept_files import read_kept
from issue_builder.base.paths import ICC_DIR
from issue_builder.base.pdf_content import image_placements
from issue_builder.base.pdf_files import PdfSource, open_pdf
from issue_builder.editions.colours import image_traits
from issue_builder.editions.screen import screen_pages
from issue_builder.editions.structure import StructureJob, repair_structure
from issue_builder.editions.xmp import content_uuid, pdf_date, set_xmp

SRGB_PROFILE = ICC_DIR / "sRGB.icc"


@dataclass(frozen=True)
class WebJob:
    """What the web finishing step needs: metadata, and how far to reduce images."""

    title: str
    authors: list[str]
    subject: str
    keywords: str
    language: str
    date: dt.date
    image_ppi: int
    jpeg_quality: int
    cache_dir: Path | None = None  # reduced images, kept by content hash between renders
    structure: StructureJob | None = None  # what the structure repair needs (articles' pages and text)


def write_web(data: PdfSource, job: WebJob, target: Path) -> None:
    """Take the laid-out issue's PDF and write the file readers download to `target`: saved to disk and linearized
    from there, never whole in memory."""
    with tempfile.TemporaryDirectory(prefix="issue-web-") as scratch:
        saved = Path(scratch) / "saved.pdf"
        _save_finished(data, job, saved)
        linearize_file(saved, target)


def _save_finished(data: PdfSource, job: WebJob, target: Path) -> None:
    # the pictures are reduced in a forked copy of this process while this one repairs the structure (neither
    # reads what the other changes); this one then takes over what the copy left in each picture it rewrote
    reducing = Forked(partial(reduced_pictures, data, job), what="reducing the web edition's pictures")
    try:
        with open_pdf(data) as pdf:
            screen_pages(pdf, job.cache_dir)
            if job.structure is not None:
                repair_structure(pdf, job.structure, job.cache_dir)
            if not take_reduced(pdf, reducing.result()):  # not the pictures the copy found: reduced here
                downsample_images(pdf, job.image_ppi, job.jpeg_quality, job.cache_dir)
            _finish(pdf, job, target)
    finally:
        reducing.cancel()


def _finish(pdf: pikepdf.Pdf, job: WebJob, target: Path) -> None:
    """The output intent, viewer preferences and metadata, and the file saved to `target`."""
    profile = pdf.make_stream(SRGB_PROFILE.read_bytes())
    profile.N = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                RegistryName=pikepdf.String("http://www.color.org"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=profile,
            )
        ]
    )
    preferences = pdf.Root.get("/ViewerPreferences", pikepdf.Dictionary())
    preferences.DisplayDocTitle = True
    pdf.Root.ViewerPreferences = preferences
    _metadata(pdf, job)
    pdf.save(target, deterministic_id=True, compress_streams=True, recompress_flate=False)


def linearize_file(source: Path, target: Path) -> None:
    """Linearize ("fast web view") `source` into `target` with the qpdf command.

    pikepdf's own linearization (libqpdf 12) fails Debian's `qpdf --check-linearization` (qpdf 11) and the other way
    round; readers' tools are the packaged qpdf's kind, so that is the one used. Without qpdf the file stays as it is.
    """
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        shutil.copyfile(source, target)
        return
    result = subprocess.run(
        [qpdf, "--linearize", "--deterministic-id", str(source), str(target)], capture_output=True, text=True
    )
    if result.returncode not in (0, 3) or not target.is_file():
        raise RuntimeError(f"qpdf --linearize failed: {result.stderr.strip()}")


@dataclass(frozen=True)
class ReducedPicture:
    """What reducing left in one picture or soft mask: its samples at its new size, as a JPEG or raw."""

    objgen: tuple[int, int]
    data: bytes
    jpeg: bool
    size: tuple[int, int]
    decoded: bool  # its /Decode kept (a soft mask's is its own; a rewritten picture's is gone)
    before: str  # the digest of its dictionary before it was rewritten (`described`)


def reduced_pictures(data: PdfSource, job: WebJob) -> list[ReducedPicture]:
    """The pictures of the laid-out issue in `data` as `downsample_images` leaves them in the web edition (screened
    first, as there): each one it rewrote, in the state it left it."""
    rewritten: dict[tuple[int, int], str] = {}
    with open_pdf(data) as pdf:
        screen_pages(pdf, job.cache_dir)
        downsample_images(pdf, job.image_ppi, job.jpeg_quality, job.cache_dir, rewritten)
        found = []
        for objgen, before in sorted(rewritten.items()):
            stream = pdf.get_object(objgen)
            jpeg = stream.get("/Filter") == pikepdf.Name.DCTDecode
            size = (int(stream.Width), int(stream.Height))
            found.append(ReducedPicture(objgen, stream.read_raw_bytes(), jpeg, size, "/Decode" in stream, before))
        return found


def take_reduced(pdf: pikepdf.Pdf, reduced: list[ReducedPicture]) -> bool:
    """Leave each picture of `pdf` as `reduced` says it was left (the same file, screened the same way); False, and
    nothing changed, when a picture of that number is not there as it was before it was reduced."""
    for picture in reduced:
        stream = pdf.get_object(picture.objgen)
        if not isinstance(stream, pikepdf.Stream) or described(stream) != picture.before:
            return False
    for picture in reduced:
        stream = pdf.get_object(picture.objgen)
        stream.write(picture.data, **({"filter": pikepdf.Name.DCTDecode} if picture.jpeg else {}))
        for key in ("/DecodeParms",) if picture.decoded else ("/DecodeParms", "/Decode"):
            if key in stream:
                del stream[key]
        stream.Width, stream.Height = picture.size
    return True


def described(stream: pikepdf.Stream) -> str:
    """The digest of a stream's dictionary as written (its length and filters, and the numbers of what it names)."""
    return hashlib.sha256(stream.stream_dict.unparse()).hexdigest()


def downsample_images(
    pdf: pikepdf.Pdf,
    ppi: int,
    quality: int,
    cache_dir: Path | None = None,
    rewritten: dict[tuple[int, int], str] | None = None,
) -> int:
    """Reduce every image to about `ppi` at the largest size it is placed at, and store every photograph as a JPEG
    at `quality`, whatever it was stored as; returns how many images were rewritten.

    A photograph is an opaque 8-bit RGB or grey image that JPEG stores in at most half the bytes of lossless
    compression (a drawing or a screenshot with large flat areas does not, and stays lossless). Images with a soft
    mask or a colour-key mask, image masks and indexed images are only reduced: their edges and masks stay exact.
    Each picture and soft mask rewritten is added to `rewritten`, with the digest of its dictionary before.
    """
    largest: dict[tuple[int, int], float] = {}
    for placed in image_placements(pdf):
        width_in = (placed.bbox[2] - placed.bbox[0]) / 72
        largest[placed.objgen] = max(largest.get(placed.objgen, 0.0), width_in)
    count = 0
    for objgen, width_in in largest.items():
        image = pdf.get_object(objgen)
        target = math.ceil(width_in * ppi)
        width, height = int(image.Width), int(image.Height)
        reduce = width > target * 1.05 and target >= 8
        if not reduce and not _may_be_photograph(image):
            continue
        size = (target, max(1, round(height * target / width))) if reduce else (width, height)
        data, jpeg = _reduced(image, size, quality, cache_dir)
        if not reduce and not (jpeg and len(data) < KEEP_BELOW * len(image.read_raw_bytes())):
            continue  # at its size already, and re-encoding would not make it smaller
        if rewritten is not None:
            rewritten.setdefault(objgen, described(image))
        image.write(data, **({"filter": pikepdf.Name.DCTDecode} if jpeg else {}))
        for key in ("/DecodeParms", "/Decode"):
            if key in image:
                del image[key]
        image.Width, image.Height = size
        mask = image.get("/SMask")
        if isinstance(mask, pikepdf.Stream) and reduce:
            if rewritten is not None:
                rewritten.setdefault(mask.objgen, described(mask))
            mask.write(_reduced(mask, size, quality, cache_dir, lossless=True)[0])
            if "/DecodeParms" in mask:
                del mask["/DecodeParms"]
            mask.Width, mask.Height = size
        count += 1
    return count


KEEP_BELOW = 0.9  # an image at its size already is re-encoded only when that saves at least a tenth of its bytes
PHOTO_RATIO = 0.5  # a photograph: its JPEG takes at most this share of its losslessly compressed bytes
_PHOTO_SPACES = {"/DeviceRGB", "/DeviceGray"}


def _may_be_photograph(image: pikepdf.Stream) -> bool:
    """Whether the image could be stored as a JPEG: opaque, 8-bit, RGB or grey (its content decides the rest)."""
    if image.get("/ImageMask", False) or any(key in image for key in ("/SMask", "/Mask", "/Decode")):
        return False
    if int(image.get("/BitsPerComponent", 0)) != 8:
        return False
    space = image.get("/ColorSpace")
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == "/ICCBased":
        return isinstance(space[1], pikepdf.Stream) and int(space[1].get("/N", 0)) in (1, 3)
    return isinstance(space, pikepdf.Name) and str(space) in _PHOTO_SPACES


def _reduced(
    image: pikepdf.Stream, size: tuple[int, int], quality: int, cache_dir: Path | None, lossless: bool = False
) -> tuple[bytes, bool]:
    """The image's samples at `size`: a JPEG for a photograph, raw samples otherwise (always for `lossless`, as a
    soft mask must be); made once and then kept by content hash."""
    photo = not lossless and _may_be_photograph(image)
    path = None
    if cache_dir is not None:
        key = f"{size}{quality}{photo}{PHOTO_RATIO}{image_traits(image)}{cache_salt()}"
        digest = hashlib.sha256(image.read_raw_bytes() + key.encode())
        path = cache_dir / f"web-{digest.hexdigest()[:32]}.bin"
        cached = read_kept(path)
        if cached is not None:
            return cached[1:] if cached[:1] == b"J" else zlib.decompress(cached[1:]), cached[:1] == b"J"
    pil = _decoded_small(image, size) if photo else None
    if pil is None:
        pil = pikepdf.PdfImage(image).as_pil_image()
    if pil.mode in ("RGBA", "LA"):  # pikepdf joins the soft mask in; it stays a stream of its own here
        pil = pil.convert(pil.mode[:-1] if pil.mode == "LA" else "RGB")
    if pil.size != size:
        pil = pil.resize(size, Image.LANCZOS)
    data, jpeg = pil.tobytes(), False
    if photo and pil.mode in ("RGB", "L"):
        buffer = io.BytesIO()
        pil.save(buffer, "JPEG", quality=quality, optimize=True, comment=b"")  # no contributor's note
        was_jpeg = image.get("/Filter") == pikepdf.Name.DCTDecode
        if was_jpeg or buffer.tell() <= PHOTO_RATIO * len(zlib.compress(data, 6)):
            data, jpeg = buffer.getvalue(), True
    if path is not None:
        store_in_cache(path, b"J" + data if jpeg else b"R" + zlib.compress(data, 1))
    return data, jpeg


def _decoded_small(image: pikepdf.Stream, size: tuple[int, int]) -> Image.Image | None:
    """A JPEG photograph decoded straight at a half, a quarter or an eighth of its size where that still covers
    `size` (libjpeg scales as it decodes, in a fraction of the time and memory, as the web page's pictures are
    made); None for a stream that is not a plain JPEG of the size and colours its dictionary gives."""
    if image.get("/Filter") != pikepdf.Name.DCTDecode or "/DecodeParms" in image:
        return None
    space = image.get("/ColorSpace")
    if isinstance(space, pikepdf.Array):  # ICCBased (a photograph's only kind of array: _may_be_photograph)
        space = {1: "/DeviceGray", 3: "/DeviceRGB"}.get(int(space[1].get("/N", 0)))
    expected = {"/DeviceGray": "L", "/DeviceRGB": "RGB"}.get(str(space))
    try:
        pil = Image.open(io.BytesIO(image.read_raw_bytes()), formats=["JPEG"])
        if pil.mode != expected or pil.size != (int(image.Width), int(image.Height)):
            return None
        # Pillow asks the whole of a side for each scale, libjpeg gives a scaled side rounded up: one pixel less
        # asked lets an odd side halve to just what is needed
        pil.draft(pil.mode, (max(1, size[0] - 1), max(1, size[1] - 1)))
        pil.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # decoded the long way, which says what is wrong
    return pil if pil.width >= size[0] and pil.height >= size[1] else None


def _metadata(pdf: pikepdf.Pdf, job: WebJob) -> None:
    set_xmp(
        pdf,
        job.title,
        job.date,
        content_uuid(pdf, job.title),
        [
            ("dc:creator", list(job.authors)),
            ("dc:description", [job.subject]),
            ("dc:language", [job.language]),
            ("pdf:Keywords", job.keywords),
            ("pdf:Producer", "issue-builder (WeasyPrint)"),
            ("pdfuaid:part", "1"),
        ],
        {"pdfuaid": "http://www.aiim.org/pdfua/ns/id/"},
    )
    info = pdf.docinfo
    info.Title = pikepdf.String(job.title)
    info.Author = pikepdf.String(", ".join(job.authors))
    info.Subject = pikepdf.String(job.subject)
    info.Keywords = pikepdf.String(job.keywords)
    info.Creator = pikepdf.String("issue-builder")
    info.Producer = pikepdf.String("issue-builder (WeasyPrint)")
    info.CreationDate = info.ModDate = pdf_date(job.date)
