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
from collections import Counter
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
from issue_builder.base.pdf_content import ImagePlacement, image_placements
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
    part: Part | None = None  # the part of it the samples are of (`_write_picture`); None: all of it


def reduced_pictures(data: PdfSource, job: WebJob) -> list[ReducedPicture]:
    """The pictures of the laid-out issue in `data` as `downsample_images` leaves them in the web edition (screened
    first, as there): each one it rewrote, in the state it left it."""
    rewritten: dict[tuple[int, int], str] = {}
    cut: dict[tuple[int, int], Part] = {}
    with open_pdf(data) as pdf:
        screen_pages(pdf, job.cache_dir)
        downsample_images(pdf, job.image_ppi, job.jpeg_quality, job.cache_dir, rewritten, cut)
        found = []
        for objgen, before in sorted(rewritten.items()):
            stream = pdf.get_object(objgen)
            if objgen in cut:  # a form now, drawing the part kept
                stream = stream.Resources.XObject[PART_NAME]
            jpeg = stream.get("/Filter") == pikepdf.Name.DCTDecode
            size = (int(stream.Width), int(stream.Height))
            found.append(
                ReducedPicture(
                    objgen, stream.read_raw_bytes(), jpeg, size, "/Decode" in stream, before, cut.get(objgen)
                )
            )
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
        _write_picture(pdf, stream, picture.data, picture.jpeg, picture.size, picture.part, picture.decoded)
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
    cut: dict[tuple[int, int], Part] | None = None,
) -> int:
    """Reduce every image to about `ppi` at the largest size it is placed at, and store every photograph as a JPEG
    at `quality`, whatever it was stored as; returns how many images were rewritten.

    A photograph is an opaque 8-bit RGB or grey image that JPEG stores in at most half the bytes of lossless
    compression (a drawing or a screenshot with large flat areas does not, and stays lossless). Images with a soft
    mask or a colour-key mask, image masks and indexed images are only reduced: their edges and masks stay exact.
    A picture the pages show only part of (cropped to its frame, or by the trim) keeps only that part
    (`shown_part`). Each picture and soft mask rewritten is added to `rewritten`, with the digest of its dictionary
    before, and each picture cut to a part to `cut`, with that part.
    """
    largest: dict[tuple[int, int], float] = {}
    placements: dict[tuple[int, int], list[ImagePlacement]] = {}
    masking: set[tuple[int, int]] = set()
    for placed in image_placements(pdf, masking=masking):
        width_in = math.hypot(placed.matrix[0], placed.matrix[1]) / 72  # along its own rows: turned, too
        largest[placed.objgen] = max(largest.get(placed.objgen, 0.0), width_in)
        placements.setdefault(placed.objgen, []).append(placed)
    masked = Counter(
        pdf.get_object(objgen).get("/SMask", pikepdf.Dictionary()).objgen for objgen in {*largest, *masking}
    )
    count = 0
    for objgen, width_in in largest.items():
        image = pdf.get_object(objgen)
        width, height = int(image.Width), int(image.Height)
        mask = image.get("/SMask")
        # neither a soft mask (nor a picture drawn in one) nor a picture whose soft mask another one shares is cut
        shared = isinstance(mask, pikepdf.Stream) and (
            masked[mask.objgen] > 1 or mask.objgen in largest or mask.objgen in masking
        )
        box = None if objgen in masked or objgen in masking or shared else shown_part(image, placements[objgen])
        if box is not None:  # a pixel more on each side cut, as far as there is one: viewers soften a clip's edges
            pad = max(1, math.ceil(width / (width_in * ppi)))
            box = (max(0, box[0] - pad), max(0, box[1] - pad), min(width, box[2] + pad), min(height, box[3] + pad))
        kept_w, kept_h = (box[2] - box[0], box[3] - box[1]) if box else (width, height)
        target = math.ceil(width_in * kept_w / width * ppi)
        reduce = kept_w > target * 1.05 and target >= 8
        if not reduce and box is None and not _may_be_photograph(image):
            continue
        size = (target, max(1, round(kept_h * target / kept_w))) if reduce else (kept_w, kept_h)
        data, jpeg = _reduced(image, size, quality, cache_dir, box=box)
        if not reduce and not (
            (jpeg or box) and len(data if jpeg else zlib.compress(data, 6)) < KEEP_BELOW * len(image.read_raw_bytes())
        ):
            continue  # at its size already, and re-encoding (or cutting) would not make it smaller
        if rewritten is not None:
            rewritten.setdefault(objgen, described(image))
        if isinstance(mask, pikepdf.Stream) and (reduce or box):
            if rewritten is not None:
                rewritten.setdefault(mask.objgen, described(mask))
            scale_x, scale_y = int(mask.Width) / width, int(mask.Height) / height
            mask_box = box and (box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y)
            mask_data = _reduced(mask, size, quality, cache_dir, lossless=True, box=mask_box)[0]
            _write_picture(pdf, mask, mask_data, False, size, None, decoded=True)
        part = box and (box[0] / width, 1 - box[3] / height, kept_w / width, kept_h / height)
        _write_picture(pdf, image, data, jpeg, size, part)
        if part and cut is not None:
            cut[objgen] = part
        count += 1
    return count


Part = tuple[float, float, float, float]  # x, y, width, height within an image's unit square (PDF's image space)
PART_NAME = "/Picture"  # the picture in the form an image cut to a part becomes
CUT_BELOW = 0.98  # a picture is cut to the part its pages show when that is less than this share of its pixels
# what an image may hold to be cut: anything else (a stencil /Mask, optional content, alternates) keeps it whole
_CUTTABLE = frozenset(
    "/Type /Subtype /Width /Height /ColorSpace /BitsPerComponent /Filter /DecodeParms /Decode /SMask /Interpolate "
    "/Intent /Length /Name /Metadata".split()
)


def shown_part(image: pikepdf.Stream, placements: list[ImagePlacement]) -> tuple[int, int, int, int] | None:
    """The pixels (left, top, right, bottom) of `image` that its placements show, when that is less than
    CUT_BELOW of it: a picture set to fill its frame (`object-fit: cover`) and cropped by it, or cut by the trim.
    None (all of it) when a placement draws it turned, mirrored, slanted or tiled, or shows none of it."""
    if set(image.keys()) - _CUTTABLE or image.get("/ImageMask", False) or image.get("/BitsPerComponent") != 8:
        return None
    space = image.get("/ColorSpace")
    if isinstance(space, pikepdf.Array) and len(space) and space[0] == "/Indexed":
        return None
    width, height = int(image.Width), int(image.Height)
    left, top, right, bottom = 1.0, 1.0, 0.0, 0.0  # shares of its width and height, from its top left
    for placed in placements:
        a, b, c, d, e, f = placed.matrix
        if b or c or a <= 0 or d <= 0 or placed.frame is None or placed.tiled:
            return None
        x0, y0, x1, y1 = placed.frame
        left, right = min(left, (x0 - e) / a), max(right, (x1 - e) / a)
        top, bottom = min(top, 1 - (y1 - f) / d), max(bottom, 1 - (y0 - f) / d)
    box = (
        max(0, math.floor(left * width + 1e-6)),
        max(0, math.floor(top * height + 1e-6)),
        min(width, math.ceil(right * width - 1e-6)),
        min(height, math.ceil(bottom * height - 1e-6)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    return box if (box[2] - box[0]) * (box[3] - box[1]) < CUT_BELOW * width * height else None


def _write_picture(
    pdf: pikepdf.Pdf,
    image: pikepdf.Stream,
    data: bytes,
    jpeg: bool,
    size: tuple[int, int],
    part: Part | None,
    decoded: bool = False,
) -> None:
    """Put the reduced samples `data` of `size` into `image`, its /Decode dropped (kept when `decoded`). With a
    `part`, they are the samples of that part only: `image` becomes a form drawing them as a new picture over just
    that part of its unit square, so that every page, form and tag that draws it stays as it is."""
    target = image
    if part is not None:
        target = pdf.make_stream(b"")
        for key in sorted(set(image.keys()) - {"/Length", "/Filter", "/DecodeParms", "/Width", "/Height"}):
            target[key] = image[key]
    target.write(data, **({"filter": pikepdf.Name.DCTDecode} if jpeg else {}))
    for key in ("/DecodeParms",) if decoded else ("/DecodeParms", "/Decode"):
        if key in target:
            del target[key]
    target.Width, target.Height = size
    if part is None:
        return
    for key in sorted(set(image.keys()) - {"/Length"}):
        del image[key]
    x, y, w, h = (f"{v:.6f}".rstrip("0").rstrip(".") for v in part)
    image.write(f"q {w} 0 0 {h} {x} {y} cm {PART_NAME} Do Q".encode())
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    image.BBox = pikepdf.Array([0, 0, 1, 1])
    image.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary({PART_NAME: target}))


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
    image: pikepdf.Stream,
    size: tuple[int, int],
    quality: int,
    cache_dir: Path | None,
    lossless: bool = False,
    box: tuple[float, float, float, float] | None = None,
) -> tuple[bytes, bool]:
    """The image's samples (of the pixels in `box` only, when given: left, top, right, bottom) at `size`: a JPEG
    for a photograph, raw samples otherwise (always for `lossless`, as a soft mask must be); made once and then kept
    by content hash."""
    photo = not lossless and _may_be_photograph(image)
    path = None
    if cache_dir is not None:
        key = f"{size}{quality}{photo}{PHOTO_RATIO}{image_traits(image)}{cache_salt()}" + (f"{box}" if box else "")
        digest = hashlib.sha256(image.read_raw_bytes() + key.encode())
        path = cache_dir / f"web-{digest.hexdigest()[:32]}.bin"
        cached = read_kept(path)
        if cached is not None:
            return cached[1:] if cached[:1] == b"J" else zlib.decompress(cached[1:]), cached[:1] == b"J"
    width, height = int(image.Width), int(image.Height)
    whole = size
    if box is not None:
        whole = (math.ceil(size[0] * width / (box[2] - box[0])), math.ceil(size[1] * height / (box[3] - box[1])))
    pil = _decoded_small(image, whole) if photo else None
    if pil is None:
        # a soft mask keeps its /Decode (`_write_picture`): its samples are read as stored, not through it
        pil = pikepdf.PdfImage(image).as_pil_image(apply_decode_array=not lossless)
    if pil.mode in ("RGBA", "LA"):  # pikepdf joins the soft mask in; it stays a stream of its own here
        pil = pil.convert(pil.mode[:-1] if pil.mode == "LA" else "RGB")
    if box is not None:
        # a JPEG decoded at 1/s has each side rounded up: its pixels map to the whole one's by exactly s
        s = next((s for s in (1, 2, 4, 8) if (-(-width // s), -(-height // s)) == pil.size), None)
        scale_x, scale_y = (1 / s, 1 / s) if s else (pil.width / width, pil.height / height)
        region = (box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y)
        exact = all(float(v).is_integer() for v in region) and (region[2] - region[0], region[3] - region[1]) == size
        pil = pil.crop(tuple(map(int, region))) if exact else pil.resize(size, Image.LANCZOS, box=region)
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
