"""The changed areas drawn for a proofreader: a highlighted copy of the new PDF, and PNGs of the changed pages."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from issue_builder.base.atomic import replace_all
from issue_builder.base.bounded import call_bounded
from issue_builder.base.diagnostics import OutputError, display_path
from issue_builder.editions.marks import SLUG_FONT
from issue_builder.editions.overlay import stamp_page
from issue_builder.proofing.diff import REMOVED, UNCHANGED, PageDiff, PdfComparison
from issue_builder.proofing.pixels import capped_dpi
from issue_builder.proofing.words import Rect, open_pdf

WORDS_RGB = (0.93, 0.27, 0.10)  # orange-red: words added or changed, and where words were removed
VISUAL_RGB = (0.10, 0.45, 0.90)  # blue: areas whose pixels differ (an image, a colour, text that moved)
WORDS_ALPHA, VISUAL_ALPHA = 0.35, 0.12
MALFORMED = (pikepdf.PdfError, TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)
PNG_GAP = 16  # pixels between the old and the new page in a PNG


def highlighted_pdf(comparison: PdfComparison, new_pdf: Path) -> bytes:
    """A copy of `new_pdf` with every differing page's changed areas drawn over it, saved reproducibly."""
    try:
        pdf = pikepdf.open(new_pdf)
    except (pikepdf.PdfError, OSError) as exc:
        raise OutputError(f"{display_path(new_pdf)}: cannot be read to highlight it ({exc})") from None
    with pdf:
        try:
            _mark(pdf, comparison)
        except MALFORMED as exc:
            raise OutputError(
                f"{display_path(new_pdf)}: the highlighted copy cannot be made: the file is malformed ({exc})"
            ) from None
        out = io.BytesIO()
        # pikepdf updates the PDF version in the XMP metadata on saving, and fails when /Metadata is not XMP
        try:
            pdf.save(out, deterministic_id=True, compress_streams=True)
        except pikepdf.PdfError:
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True, compress_streams=True, fix_metadata_version=False)
        return out.getvalue()


def _mark(pdf: pikepdf.Pdf, comparison: PdfComparison) -> None:
    """Draw the changed areas over every differing page of `pdf`."""
    marked = [p for p in comparison.pages if p.status not in (UNCHANGED, REMOVED) and p.number <= len(pdf.pages)]
    boxes = {p.number: [float(v) for v in pdf.pages[p.number - 1].mediabox] for p in marked}
    if not marked:
        return
    overlay = pikepdf.open(io.BytesIO(_overlay(marked, boxes)))
    for index, page in enumerate(marked):
        media = boxes[page.number]
        stamp_page(
            pdf,
            pdf.pages[page.number - 1],
            overlay.pages[index],
            (media[0], media[1]),
            f"IBDiffHighlight{page.number}",
            artifact=True,
        )


def write_highlights(comparison: PdfComparison, new_pdf: Path, out_pdf: Path) -> None:
    """Write the highlighted copy of `new_pdf` to `out_pdf` atomically; a failed write leaves no partial file."""
    data = highlighted_pdf(comparison, new_pdf)

    def check(temp: Path, target: Path) -> None:
        with pikepdf.open(temp) as written:
            if len(written.pages) != comparison.new_pages:
                raise OutputError(f"{display_path(target)}: the highlighted copy lost pages; nothing was written")

    _replace({out_pdf: data}, check)


def write_pngs(comparison: PdfComparison, folder: Path, dpi: int = 100) -> list[Path]:
    """PNGs of the differing pages, the old page left of the new one, both highlighted; returns the files written.

    The pages are rendered in a child process limited in time and memory (the files are untrusted).
    """
    what = f"drawing the changed pages of {display_path(comparison.new)}"
    files = call_bounded(_pngs, comparison, folder, dpi, what=what)
    _replace(files, lambda temp, target: None)
    return list(files)


def _pngs(comparison: PdfComparison, folder: Path, dpi: int) -> dict[Path, bytes]:
    """The PNG of each differing page, by the file it is written to."""
    files: dict[Path, bytes] = {}
    old_doc, new_doc = open_pdf(comparison.old), open_pdf(comparison.new)
    try:
        for page in comparison.differing:
            pictures = []
            was = page.moved_from or page.number  # a page whose article moved is shown beside the page it was
            if was <= len(old_doc):
                pictures.append(_picture(old_doc, was, dpi, [(page.old_word_rects, WORDS_RGB, WORDS_ALPHA)]))
            if page.status != REMOVED:
                pictures.append(
                    _picture(
                        new_doc,
                        page.number,
                        dpi,
                        [
                            (page.visual_rects, VISUAL_RGB, VISUAL_ALPHA),
                            (page.word_rects + page.deletion_rects, WORDS_RGB, WORDS_ALPHA),
                        ],
                    )
                )
            name = f"old-page-{page.number:03d}.png" if page.status == REMOVED else f"page-{page.number:03d}.png"
            files[folder / name] = _png(_side_by_side(pictures))
    finally:
        old_doc.close()
        new_doc.close()
    return files


def _replace(files: dict[Path, bytes], check) -> None:
    try:
        replace_all(files, check)
    except OSError as exc:
        where = display_path(next(iter(files)).parent) if files else "the output folder"
        raise OutputError(f"cannot write to {where}: {exc.strerror or exc}") from None


def _overlay(pages: list[PageDiff], boxes: dict[int, list[float]]) -> bytes:
    """One reportlab page per marked page, the size of its media box, drawn in the page's own coordinates."""
    if SLUG_FONT[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(SLUG_FONT[0], str(SLUG_FONT[1])))
    buffer = io.BytesIO()
    # reportlab names an initial font on every page: a registered TrueType one is left out when unused,
    # where its default Helvetica would add a font that is not embedded
    c = canvas.Canvas(buffer, invariant=1, pageCompression=1, initialFontName=SLUG_FONT[0])
    for page in pages:
        x0, y0, x1, y1 = boxes[page.number]
        c.setPageSize((x1 - x0, y1 - y0))
        c.translate(-x0, -y0)
        c.setLineWidth(0.75)
        _rects(c, page.visual_rects, VISUAL_RGB, VISUAL_ALPHA, outline=True)
        _rects(c, page.word_rects + page.deletion_rects, WORDS_RGB, WORDS_ALPHA, outline=False)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _rects(c: canvas.Canvas, rects: list[Rect], rgb: tuple[float, float, float], alpha: float, outline: bool) -> None:
    c.setFillColorRGB(*rgb, alpha=alpha)
    c.setStrokeColorRGB(*rgb, alpha=0.8)
    for x0, y0, x1, y1 in rects:
        c.rect(x0, y0, x1 - x0, y1 - y0, stroke=1 if outline else 0, fill=1)


def _picture(doc, number: int, dpi: int, layers: list[tuple[list[Rect], tuple, float]]) -> Image.Image:
    """A page rendered whole (its crop box) with rectangles given in page coordinates drawn over it."""
    page = doc[number - 1]
    try:
        crop = page.get_cropbox()
        left, top = crop[0], crop[3]
        dpi = capped_dpi(crop, dpi)
        bitmap = page.render(scale=dpi / 72)
        image = bitmap.to_pil().convert("RGBA")
        bitmap.close()
    finally:
        page.close()
    scale = dpi / 72
    for rects, rgb, alpha in layers:
        layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        colour = tuple(round(v * 255) for v in rgb)
        for x0, y0, x1, y1 in rects:
            box = ((x0 - left) * scale, (top - y1) * scale, (x1 - left) * scale, (top - y0) * scale)
            draw.rectangle(box, fill=colour + (round(alpha * 255),), outline=colour + (200,))
        image = Image.alpha_composite(image, layer)
    return image.convert("RGB")


def _side_by_side(pictures: list[Image.Image]) -> Image.Image:
    width = sum(p.width for p in pictures) + PNG_GAP * (len(pictures) - 1)
    sheet = Image.new("RGB", (width, max(p.height for p in pictures)), (128, 128, 128))
    x = 0
    for picture in pictures:
        sheet.paste(picture, (x, 0))
        x += picture.width + PNG_GAP
    return sheet


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
