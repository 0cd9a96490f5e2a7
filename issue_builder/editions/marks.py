"""Printer's marks drawn with reportlab in registration colour, outside the bleed."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.colors import CMYKColorSep
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from issue_builder.base.paths import FONTS_DIR

# "All": the registration colourant, 100 % of every ink, so the marks show on every plate.
REGISTRATION = CMYKColorSep(1, 1, 1, 1, spotName="All", density=1)
MARK_LENGTH = 18.0
LINE_WIDTH = 0.25
SLUG_FONT_SIZE = 6.0
SLUG_FONT = ("CharisSIL", FONTS_DIR / "charis-sil" / "CharisSIL-Regular.ttf")  # a committed font: every font embedded


@dataclass(frozen=True)
class MarkSheet:
    """Geometry of one page's marks: trim size, bleed, where marks start, and what to draw."""

    width: float
    height: float
    bleed: float
    offset: float
    crop: bool
    registration: bool
    slug: bool
    fold: bool = False  # a printer spread: fold marks at the middle of the top and bottom edges

    @property
    def margin(self) -> float:
        """How far the media extends beyond the trim on each side to hold the marks."""
        extra = MARK_LENGTH + 2 if (self.crop or self.registration) else 0
        slug = SLUG_FONT_SIZE + 8 if self.slug else 0
        return max(self.bleed, self.offset + max(extra, slug))


def marks_canvas(sheet: MarkSheet, buffer: io.BytesIO) -> canvas.Canvas:
    """A reportlab canvas the size of the sheet's media box, writing reproducibly into `buffer`."""
    m = sheet.margin
    if SLUG_FONT[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(SLUG_FONT[0], str(SLUG_FONT[1])))
    # reportlab names an initial font on every page; it must be a committed, embeddable one
    return canvas.Canvas(
        buffer,
        pagesize=(sheet.width + 2 * m, sheet.height + 2 * m),
        invariant=1,
        pageCompression=1,
        initialFontName=SLUG_FONT[0],
        initialFontSize=SLUG_FONT_SIZE,
    )


def draw_marks(sheet: MarkSheet, slugs: list[str]) -> bytes:
    """A PDF with one page per slug (one per page of the issue), the size of the media box."""
    m = sheet.margin
    buffer = io.BytesIO()
    c = marks_canvas(sheet, buffer)
    for slug in slugs:
        c.translate(m, m)  # trim's lower-left corner at the origin
        c.setStrokeColor(REGISTRATION)
        c.setFillColor(REGISTRATION)
        c.setLineWidth(LINE_WIDTH)
        if sheet.crop:
            _crop_marks(c, sheet)
        if sheet.registration:
            across = sheet.width / 4 if sheet.fold else sheet.width / 2  # clear of the fold marks
            for x, y in (
                (sheet.width - across, -sheet.offset - 9),  # the slug runs from the left at the foot
                (across, sheet.height + sheet.offset + 9),
                (-sheet.offset - 9, sheet.height / 2),
                (sheet.width + sheet.offset + 9, sheet.height / 2),
            ):
                _target(c, x, y)
        if sheet.fold:
            c.setDash(3, 2)
            for y, direction in ((0, -1), (sheet.height, 1)):
                c.line(
                    sheet.width / 2,
                    y + direction * sheet.offset,
                    sheet.width / 2,
                    y + direction * (sheet.offset + MARK_LENGTH),
                )
            c.setDash()
        if sheet.slug:
            c.setFont(SLUG_FONT[0], SLUG_FONT_SIZE)
            c.drawString(0, -sheet.offset - SLUG_FONT_SIZE, slug)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _crop_marks(c: canvas.Canvas, s: MarkSheet) -> None:
    o, length = s.offset, MARK_LENGTH
    for x in (0, s.width):
        for y, direction in ((0, -1), (s.height, 1)):
            c.line(x, y + direction * o, x, y + direction * (o + length))
    for y in (0, s.height):
        for x, direction in ((0, -1), (s.width, 1)):
            c.line(x + direction * o, y, x + direction * (o + length), y)


def _target(c: canvas.Canvas, x: float, y: float) -> None:
    c.circle(x, y, 4, stroke=1, fill=0)
    c.line(x - 7, y, x + 7, y)
    c.line(x, y - 7, x, y + 7)
