"""Perfect binding: the text block without the cover pages, and the cover spread with its spine, as PDF/X files."""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import html
import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
from fontTools.ttLib import TTFont as FontFile

from issue_builder.base.diagnostics import RenderError
from issue_builder.editions.marks import LINE_WIDTH, MARK_LENGTH, REGISTRATION, MarkSheet, draw_marks, marks_canvas
from issue_builder.editions.overlay import stamp_page
from issue_builder.editions.pdfx import opentype_fonts, remove_transparency
from issue_builder.editions.prepress import PressInks, apply_press_inks
from issue_builder.editions.xmp import content_uuid, pdf_date, set_xmp
from issue_builder.package.impose import page_form, same_pages

MM = 72 / 25.4
IN = 72.0
COVER_PAGES = 4  # the print PDF's first two and last two pages: front, inside front, inside back, back cover
COVER_ALLOWANCE = 0.5 * MM  # the cover board itself on both sides of the block: two thicknesses of ~0.25 mm stock
SPINE_TYPE_FROM = IN / 8  # narrower spines carry no type: a fold wandering by 1/32 in would put it on a cover
SPINE_CLEARANCE = IN / 32  # type keeps this far from each fold
SPINE_END = 0.375 * IN  # the name starts this far below the head, the issue line ends this far above the foot
MAX_CAP_HEIGHT = 14.0  # points: the tallest capitals a wide spine gets
LINE_SCALE = 0.8  # the issue line's capitals, against the name's
MIN_CAP_HEIGHT = 3.0  # points: below this the type would not read, and it is left off
PDFX_NS = {"pdfxid": "http://www.npes.org/pdfx/ns/id/"}


@dataclass(frozen=True)
class SpineType:
    """What the spine says and how: the publication's name and the issue line, each in a font of its own."""

    name: str
    line: str  # e.g. "Issue 18 · Spring 2019"
    name_font: Path
    line_font: Path
    ink: tuple[float, float, float, float]  # CMYK 0-1 of the type
    background: tuple[float, float, float, float]  # CMYK 0-1 of the spine, head to foot


@dataclass(frozen=True)
class CoverJob:
    """The cover spread's geometry and marks, and what its file says about itself."""

    spine: float  # points between the folds
    marks_offset: float  # points between the trim and where the marks begin
    registration: bool
    slug: str
    title: str
    date: dt.date


def spine_width(text_pages: int, caliper: float, allowance: float = COVER_ALLOWANCE) -> float:
    """The spine (points) of a block of `text_pages` pages on paper `caliper` points thick a leaf."""
    return text_pages / 2 * caliper + allowance


def page_count(pdf_bytes: bytes) -> int:
    """The number of pages of a PDF."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return len(pdf.pages)


def text_pages(pages: int) -> int:
    """How many pages the text block holds once the four cover pages are taken off; a clear error if none."""
    if pages % 2 or pages < COVER_PAGES + 2:
        raise RenderError(
            f"a perfect-bound issue needs an even page count of at least {COVER_PAGES + 2} (the four cover pages and "
            f"a text block); the print PDF has {pages}"
        )
    return pages - COVER_PAGES


def text_block(print_pdf: bytes, title: str, date: dt.date) -> bytes:
    """The print PDF without its cover pages (1, 2, N-1 and N): the interior, single pages in reading order."""
    with pikepdf.open(io.BytesIO(print_pdf)) as pdf:
        count = len(pdf.pages)
        text_pages(count)
        for index in (count - 1, count - 2, 1, 0):
            del pdf.pages[index]
        version = _pdfx_version(pdf)
        _metadata(pdf, title, date, version, "text")
        return _save(pdf)


def cover_spread(print_pdf: bytes, job: CoverJob, spine_type: SpineType | None) -> tuple[bytes, bool]:
    """The cover as two spreads: outside (back cover | spine | front cover) and inside (inside front | blank spine |
    inside back), each page of the print PDF placed whole, its bleed kept on the outer edges, with crop marks, fold
    marks at the spine and a slug; the spine carries `spine_type` when it is wide enough. (PDF, whether type was
    set on the spine)."""
    with pikepdf.open(io.BytesIO(print_pdf)) as source, pikepdf.new() as out:
        pages = list(source.pages)
        text_pages(len(pages))
        same_pages(pages)
        version = _pdfx_version(source)
        trim, bleed_box = _box(pages[0], "/TrimBox"), _box(pages[0], "/BleedBox")
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        bleed = trim[0] - bleed_box[0]
        total = 2 * width + job.spine
        sheet = MarkSheet(total, height, bleed, max(job.marks_offset, bleed), True, job.registration, True)
        crops = dataclasses.replace(sheet, registration=False)  # the targets go clear of the fold marks
        margin = sheet.margin
        x0 = y0 = margin
        faces = [
            ("outside", pages[-1], pages[0], f"back cover (page {len(pages)}) | spine | front cover (page 1)"),
            ("inside", pages[1], pages[-2], f"inside front (page 2) | spine | inside back (page {len(pages) - 1})"),
        ]
        slugs = [f"{job.slug} · cover {face} · {what} · spine {job.spine / MM:.2f} mm" for face, _, _, what in faces]
        spine_forms = _spine_forms(out, spine_type, job.spine, height, version) if spine_type else None
        with (
            pikepdf.open(io.BytesIO(draw_marks(crops, slugs))) as marks,
            pikepdf.open(io.BytesIO(_fold_marks(sheet, width, job.spine))) as folds,
        ):
            for number, (face, left, right, _) in enumerate(faces):
                page = out.add_blank_page(page_size=(total + 2 * margin, height + 2 * margin))
                page.obj.TrimBox = pikepdf.Array([x0, y0, x0 + total, y0 + height])
                page.obj.BleedBox = pikepdf.Array([x0 - bleed, y0 - bleed, x0 + total + bleed, y0 + height + bleed])
                page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary())
                drawing = []
                for name, placed, at_left in (("IBCoverLeft", left, True), ("IBCoverRight", right, False)):
                    page_trim = _box(placed, "/TrimBox")
                    # bleed on the outer edges only: at the spine each cover is cut at its trim
                    clip_x = x0 - bleed if at_left else x0 + width + job.spine
                    origin = x0 if at_left else x0 + width + job.spine
                    page.obj.Resources.XObject[f"/{name}"] = page_form(out, placed)
                    drawing.append(
                        f"q {clip_x:.4f} {y0 - bleed:.4f} {width + bleed:.4f} {height + 2 * bleed:.4f} re W n "
                        f"1 0 0 1 {origin - page_trim[0]:.4f} {y0 - page_trim[1]:.4f} cm /{name} Do Q"
                    )
                if face == "outside" and spine_type is not None:
                    drawing.append(
                        f"q {_cmyk(spine_type.background)} k "
                        f"{x0 + width:.4f} {y0 - bleed:.4f} {job.spine:.4f} {height + 2 * bleed:.4f} re f Q"
                    )
                    for name, (form, (across, down)) in (spine_forms or {}).items():
                        # a quarter turn clockwise: the type reads from head to foot, its capitals toward the front
                        page.obj.Resources.XObject[f"/{name}"] = form
                        drawing.append(f"q 0 -1 1 0 {x0 + width + across:.4f} {y0 + height - down:.4f} cm /{name} Do Q")
                # the drawing replaces the blank page's empty stream, which would be written as empty Flate data
                page.obj.Contents = out.make_stream("\n".join(drawing).encode())
                stamp_page(out, page, marks.pages[number], (x0 - margin, y0 - margin), "IBCoverMarks")
                stamp_page(out, page, folds.pages[0], (x0 - margin, y0 - margin), "IBCoverFolds")
        out.Root.OutputIntents = out.copy_foreign(source.make_indirect(source.Root.OutputIntents))
        _metadata(out, job.title, job.date, version, "cover")
        return _save(out), bool(spine_forms)


def _spine_forms(
    out: pikepdf.Pdf, spine_type: SpineType, spine: float, height: float, version: tuple[str, str | None]
) -> dict[str, tuple[pikepdf.Object, tuple[float, float]]] | None:
    """The name and the issue line as forms, each with where its page's origin goes once turned a quarter clockwise:
    (across the spine from the back cover's fold, down from the head); None when the spine is too narrow for type."""
    if spine < SPINE_TYPE_FROM:
        return None
    cap = min(spine - 2 * SPINE_CLEARANCE, spine / 2, MAX_CAP_HEIGHT)
    runs = [(spine_type.name, spine_type.name_font, cap), (spine_type.line, spine_type.line_font, cap * LINE_SCALE)]
    room = height - 2 * SPINE_END
    for _ in range(8):  # shrink both until they fit between head and foot, apart by twice the name's capitals
        set_runs = _set_runs(runs, spine_type.ink, version)
        used = sum(length for _, _, length, _ in set_runs) + runs[0][2] * 2
        if used <= room:
            break
        runs = [(text, font, size * room / used * 0.98) for text, font, size in runs]
    else:
        return None
    if runs[0][2] < MIN_CAP_HEIGHT:
        return None
    forms = {}
    for index, ((form_pdf, origin, _, cap_height), down) in enumerate(
        zip(set_runs, (SPINE_END, height - SPINE_END - set_runs[1][2]), strict=True)
    ):
        with pikepdf.open(io.BytesIO(form_pdf)) as strip:
            form = out.copy_foreign(strip.pages[0].as_form_xobject())
        # the run's capitals centred across the spine; its baseline origin at `down` below the head (the top trim)
        forms[f"IBSpine{index}"] = (form, ((spine - cap_height) / 2 - origin[1], down - origin[0]))
    return forms


def _set_runs(
    runs: list[tuple[str, Path, float]], ink: tuple[float, ...], version: tuple[str, str | None]
) -> list[tuple[bytes, tuple[float, float], float, float]]:
    """Each run set by WeasyPrint on a page of its own, in its font at the size that gives capitals `cap` tall:
    (the page as PDF, the baseline origin (x, y), the run's length, its capitals' height)."""
    # loaded here, where type is set: WeasyPrint takes a second to load, and saddle-stitch spreads never need it
    from issue_builder.layout.engine import weasyprint
    from issue_builder.layout.fetcher import SandboxFetcher

    faces, pages, sizes = [], [], []
    for text, font, cap in runs:
        ratio, family = _font_facts(font)
        size = cap / ratio
        sizes.append((size, cap))
        faces.append(f"@font-face {{ font-family: '{family}'; src: url(\"{font.as_uri()}\"); }}")
        pages.append(f"<p style=\"font-family: '{family}'; font-size: {size:.3f}pt\">{html.escape(text)}</p>")
    document = (
        "<!doctype html><html><head><style>"
        + "".join(faces)
        + f"@page {{ size: 20in {4 * max(s for s, _ in sizes):.3f}pt; margin: 0 }}"
        + "html, body { margin: 0 } p { margin: 0; white-space: nowrap; break-after: page;"
        + f" line-height: 1.5; color: device-cmyk({' '.join(f'{v:.4f}' for v in ink)}) }}"
        + "</style></head><body>"
        + "".join(pages)
        + "</body></html>"
    )
    fetcher = SandboxFetcher([font.parent for _, font, _ in runs])
    data = weasyprint.HTML(string=document, url_fetcher=fetcher).write_pdf()
    if fetcher.refused:
        raise RenderError(f"the spine's font could not be loaded: {fetcher.refused[0][0]} ({fetcher.refused[0][1]})")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        apply_press_inks(pdf, PressInks(overprint=True, rich_black=None))  # black type overprints the spine's tint
        if version[0].startswith("PDF/X-1"):
            left = remove_transparency(pdf) + [f"font {name} is OpenType/CFF" for name in opentype_fonts(pdf)]
            if left:
                raise RenderError(f"the spine's type cannot go into a PDF/X-1a cover: {'; '.join(sorted(set(left)))}")
        single = []
        for index in range(len(runs)):
            with pikepdf.new() as one:
                one.pages.append(pdf.pages[index])
                single.append(_save(one))
    measured = [_measure(page) for page in single]
    return [
        (page, origin, length, cap) for page, (origin, length), (_, cap) in zip(single, measured, sizes, strict=True)
    ]


def _measure(page_pdf: bytes) -> tuple[tuple[float, float], float]:
    """Where the first letter's baseline starts on the page, and how far the run reaches from there."""
    document = pypdfium2.PdfDocument(page_pdf)
    try:
        page = document[0]
        text = page.get_textpage()
        x, y = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(text.raw, 0, ctypes.byref(x), ctypes.byref(y))
        right = max(text.get_charbox(i)[2] for i in range(text.count_chars()))
        origin = (x.value, y.value)
        text.close()
        page.close()
        return origin, right - origin[0]
    finally:
        document.close()


def _font_facts(font: Path) -> tuple[float, str]:
    """The font's capital height as a fraction of its size (from its OS/2 table; 0.7 when it does not say), and its
    PostScript name (letters and digits only: it names the font in the stylesheet and in the PDF)."""
    with FontFile(font, lazy=True) as face:
        os2 = face["OS/2"]
        cap = getattr(os2, "sCapHeight", 0) or 0.7 * face["head"].unitsPerEm
        name = "".join(ch for ch in (face["name"].getDebugName(6) or "") if ch.isascii() and ch.isalnum())
        return cap / face["head"].unitsPerEm, name or "SpineFont"


def _fold_marks(sheet: MarkSheet, width: float, spine: float) -> bytes:
    """Dashed fold marks above and below both edges of the spine and, when asked, registration targets clear of
    them, in registration colour outside the bleed; one page the size of the media box."""
    m = sheet.margin
    buffer = io.BytesIO()
    c = marks_canvas(sheet, buffer)
    c.translate(m, m)
    c.setStrokeColor(REGISTRATION)
    c.setLineWidth(LINE_WIDTH)
    c.setDash(3, 2)
    for x in (width, width + spine):
        for y, direction in ((0, -1), (sheet.height, 1)):
            c.line(x, y + direction * sheet.offset, x, y + direction * (sheet.offset + MARK_LENGTH))
    c.setDash()
    if sheet.registration:
        for x, y in (
            (sheet.width * 3 / 4, -sheet.offset - 9),  # the slug runs from the left at the foot
            (sheet.width / 4, sheet.height + sheet.offset + 9),
            (-sheet.offset - 9, sheet.height / 2),
            (sheet.width + sheet.offset + 9, sheet.height / 2),
        ):
            c.circle(x, y, 4, stroke=1, fill=0)
            c.line(x - 7, y, x + 7, y)
            c.line(x, y - 7, x, y + 7)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _pdfx_version(pdf: pikepdf.Pdf) -> tuple[str, str | None]:
    """The PDF/X version and conformance the print PDF claims: the cover and the text block claim the same."""
    info = pdf.docinfo
    version = str(info.get("/GTS_PDFXVersion", ""))
    if not version.startswith("PDF/X-"):
        raise RenderError("the print PDF claims no PDF/X version: the cover and text block are made from a print PDF")
    conformance = info.get("/GTS_PDFXConformance")
    return version, None if conformance is None else str(conformance)


def _metadata(pdf: pikepdf.Pdf, title: str, date: dt.date, version: tuple[str, str | None], salt: str) -> None:
    """The document information and the XMP of a PDF/X file, saying the same things; IDs from the content."""
    for key in list(pdf.docinfo.keys()):
        del pdf.docinfo[key]
    info = pdf.docinfo
    info.Title = pikepdf.String(title)
    info.Creator = info.Producer = pikepdf.String("issue-builder")
    info.CreationDate = info.ModDate = pdf_date(date)
    info.Trapped = pikepdf.Name("/False")
    info.GTS_PDFXVersion = pikepdf.String(version[0])
    properties = [
        ("pdf:Producer", "issue-builder"),
        ("pdf:Trapped", "False"),
        ("xmpMM:VersionID", "1"),
        ("xmpMM:RenditionClass", "default"),
        ("pdfxid:GTS_PDFXVersion", version[0]),
    ]
    if version[1]:
        info.GTS_PDFXConformance = pikepdf.String(version[1])
        properties.append(("pdfxid:GTS_PDFXConformance", version[1]))
    set_xmp(pdf, title, date, content_uuid(pdf, salt), properties, PDFX_NS)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    version = "1.4" if str(pdf.docinfo.get("/GTS_PDFXVersion", "")).startswith("PDF/X-1") else "1.6"
    pdf.save(
        out,
        deterministic_id=True,
        force_version=version,
        compress_streams=True,
        recompress_flate=False,
    )
    return out.getvalue()


def _box(page: pikepdf.Page, key: str) -> list[float]:
    return [float(v) for v in page.obj.get(key, page.mediabox)]


def _cmyk(colour: tuple[float, ...]) -> str:
    return " ".join(f"{v:.4f}" for v in colour)
