"""Printer spreads for saddle stitching: the print PDF's pages paired on the fronts and backs of folded sheets."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf

from issue_builder.base.diagnostics import RenderError
from issue_builder.editions.marks import MarkSheet, draw_marks
from issue_builder.editions.overlay import stamp_page
from issue_builder.editions.stamp import save_pdf

MM = 72 / 25.4
# press sheets, long side first (points): the usual sizes for 2-up spreads of letter, A4 and A5 issues
SHEETS: dict[str, tuple[float, float]] = {
    "a3": (420 * MM, 297 * MM),
    "sra3": (450 * MM, 320 * MM),
    "tabloid": (17 * 72, 11 * 72),
    "12x18": (18 * 72, 12 * 72),
    "13x19": (19 * 72, 13 * 72),
    "sra2": (640 * MM, 450 * MM),
}
MARK_OFFSET = 9.0  # points between the trim and where the marks begin (at least the bleed)


@dataclass(frozen=True)
class Side:
    """One side of a folded sheet: which page lies left and which right of the fold (numbers from 1)."""

    sheet: int  # 1 is the outermost sheet
    face: str  # "front" or "back"
    left: int
    right: int


def saddle_stitch_sides(pages: int) -> list[Side]:
    """The sides of `pages` // 4 nested sheets, outermost first: sheet 1 front holds the last page and the first."""
    if pages < 4 or pages % 4:
        raise RenderError(f"saddle stitching folds sheets of four pages; the print PDF has {pages}")
    sides = []
    for i in range(pages // 4):
        sides.append(Side(i + 1, "front", pages - 2 * i, 2 * i + 1))
        sides.append(Side(i + 1, "back", 2 * i + 2, pages - 2 * i - 1))
    return sides


def creep_shift(sheet: int, sheets: int, creep: float) -> float:
    """How far (points) the pages of `sheet` move toward the fold: nothing on the outermost sheet, `creep` on the
    innermost, whose pages stand out furthest at the fore-edge once the stack is folded and trimmed."""
    return 0.0 if sheets == 1 else creep * (sheet - 1) / (sheets - 1)


def impose(print_pdf: bytes, sheet_name: str, creep: float, slug: str) -> tuple[bytes, int]:
    """The pages of `print_pdf` (a print edition: TrimBox and BleedBox on every page) as saddle-stitch printer
    spreads on sheets `sheet_name`, with crop, fold and registration marks and a slug; (PDF, sides)."""
    with pikepdf.open(io.BytesIO(print_pdf)) as source, pikepdf.new() as out:
        pages = list(source.pages)
        same_pages(pages)
        trim = _box(pages[0], "/TrimBox")
        bleed_box = _box(pages[0], "/BleedBox")
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        bleed = trim[0] - bleed_box[0]
        spread = MarkSheet(2 * width, height, bleed, max(MARK_OFFSET, bleed), True, True, True, fold=True)
        sheet_w, sheet_h = _sheet(sheet_name, spread)
        sides = saddle_stitch_sides(len(pages))
        sheets = len(sides) // 2
        slugs = [
            f"{slug} · sheet {s.sheet} of {sheets} {s.face} · pages {s.left} | {s.right}"
            + (f" · creep {creep_shift(s.sheet, sheets, creep) / MM:.2f} mm" if creep else "")
            for s in sides
        ]
        forms = [page_form(out, page) for page in pages]
        with pikepdf.open(io.BytesIO(draw_marks(spread, slugs))) as marks:
            for number, side in enumerate(sides):
                # the spread's trim, centred on the sheet
                x0, y0 = (sheet_w - spread.width) / 2, (sheet_h - height) / 2
                sheet = out.add_blank_page(page_size=(sheet_w, sheet_h))
                sheet.obj.TrimBox = pikepdf.Array([x0, y0, x0 + spread.width, y0 + height])
                sheet.obj.BleedBox = pikepdf.Array(
                    [x0 - bleed, y0 - bleed, x0 + spread.width + bleed, y0 + height + bleed]
                )
                shift = creep_shift(side.sheet, sheets, creep)
                drawing = []
                for index, (page_number, at_left) in enumerate(((side.left, True), (side.right, False))):
                    page_trim = _box(pages[page_number - 1], "/TrimBox")
                    # the page shows its bleed on the outer edges only; at the fold it is cut at its trim
                    clip_x = x0 - bleed if at_left else x0 + width
                    clip = (clip_x, y0 - bleed, width + bleed, height + 2 * bleed)
                    dx = (x0 if at_left else x0 + width) + (shift if at_left else -shift) - page_trim[0]
                    name = f"IBPage{index}"
                    sheet.obj.Resources.XObject = sheet.obj.Resources.get("/XObject", pikepdf.Dictionary())
                    sheet.obj.Resources.XObject[f"/{name}"] = forms[page_number - 1]
                    drawing.append(
                        f"q {clip[0]:.4f} {clip[1]:.4f} {clip[2]:.4f} {clip[3]:.4f} re W n "
                        f"1 0 0 1 {dx:.4f} {y0 - page_trim[1]:.4f} cm /{name} Do Q"
                    )
                # the drawing replaces the blank page's empty stream, which would be written as empty Flate data
                sheet.obj.Contents = out.make_stream("\n".join(drawing).encode())
                margin = spread.margin
                stamp_page(out, sheet, marks.pages[number], (x0 - margin, y0 - margin), "IBSheetMarks")
            if "/OutputIntents" in source.Root:
                out.Root.OutputIntents = out.copy_foreign(source.make_indirect(source.Root.OutputIntents))
            out.docinfo["/Title"] = pikepdf.String(f"{slug}: printer spreads on {sheet_name}")
            return save_pdf(out), len(sides)


def page_form(out: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Object:
    """`page` as a form XObject of `out` that keeps its bleed: qpdf bounds a page's form by its TrimBox, which would
    cut the bleed off."""
    form = out.copy_foreign(page.as_form_xobject())
    form.BBox = pikepdf.Array(_box(page, "/BleedBox"))
    return form


def _sheet(name: str, spread: MarkSheet) -> tuple[float, float]:
    """The sheet, landscape; a clear error when the spread with its bleed and marks does not fit."""
    if name not in SHEETS:
        raise RenderError(f"unknown sheet {name!r}; one of: {', '.join(SHEETS)}")
    sheet_w, sheet_h = SHEETS[name]
    need_w, need_h = spread.width + 2 * spread.margin, spread.height + 2 * spread.margin
    if need_w > sheet_w + 0.01 or need_h > sheet_h + 0.01:
        fitting = [n for n, (w, h) in SHEETS.items() if need_w <= w + 0.01 and need_h <= h + 0.01]
        raise RenderError(
            f"a spread with its bleed and marks needs {need_w / MM:.0f} x {need_h / MM:.0f} mm; the {name} sheet is "
            f"{sheet_w / MM:.0f} x {sheet_h / MM:.0f} mm" + (f"; try --sheet {fitting[0]}" if fitting else "")
        )
    return sheet_w, sheet_h


def smallest_sheet(print_pdf: bytes) -> str:
    """The name of the smallest sheet the spreads of `print_pdf` fit on, with their bleed and marks."""
    with pikepdf.open(io.BytesIO(print_pdf)) as source:
        trim, bleed_box = _box(source.pages[0], "/TrimBox"), _box(source.pages[0], "/BleedBox")
    bleed = trim[0] - bleed_box[0]
    spread = MarkSheet(2 * (trim[2] - trim[0]), trim[3] - trim[1], bleed, max(MARK_OFFSET, bleed), True, True, True)
    need_w, need_h = spread.width + 2 * spread.margin, spread.height + 2 * spread.margin
    fitting = sorted((w * h, n) for n, (w, h) in SHEETS.items() if need_w <= w + 0.01 and need_h <= h + 0.01)
    if not fitting:
        raise RenderError(f"no known sheet holds a spread of {need_w / MM:.0f} x {need_h / MM:.0f} mm")
    return fitting[0][1]


def same_pages(pages: list[pikepdf.Page]) -> None:
    """Refuse pages a spread cannot hold alike: another trim or bleed size, a rotation, a user unit."""
    first = [_size(pages[0], key) for key in ("/TrimBox", "/BleedBox")]
    for number, page in enumerate(pages, start=1):
        if int(page.obj.get("/Rotate", 0)) % 360 or "/UserUnit" in page.obj:
            raise RenderError(f"page {number} of the print PDF is rotated or scaled; it cannot be imposed")
        sizes = [value for key in ("/TrimBox", "/BleedBox") for value in _size(page, key)]
        if any(abs(a - b) > 0.01 for a, b in zip(sizes, [v for size in first for v in size], strict=True)):
            raise RenderError(f"page {number} of the print PDF differs in trim or bleed from page 1")


def _size(page: pikepdf.Page, key: str) -> tuple[float, float]:
    box = _box(page, key)
    return box[2] - box[0], box[3] - box[1]


def _box(page: pikepdf.Page, key: str) -> list[float]:
    return [float(v) for v in page.obj.get(key, page.mediabox)]
