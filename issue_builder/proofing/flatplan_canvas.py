"""The two surfaces the flatplan is drawn on, with one interface: a Pillow image (PNG) and a reportlab page (PDF)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Protocol

from PIL import Image, ImageDraw, ImageFont

from issue_builder.base.paths import FONTS_DIR

# reportlab embeds TrueType outlines only (Inter is CFF), so both surfaces use Charis SIL and measure alike.
FONTS = {
    False: FONTS_DIR / "charis-sil" / "CharisSIL-Regular.ttf",
    True: FONTS_DIR / "charis-sil" / "CharisSIL-Bold.ttf",
}
PNG_SCALE = 2.0  # PNG pixels per layout point; the PDF places the same rasters at their point size


class Canvas(Protocol):
    """Lengths in points from the top left; text at its baseline, cut with an ellipsis to `width`."""

    def text(self, x: float, y: float, text: str, size: float, bold: bool, colour: str, width: float) -> float:
        """Draw `text` and return the width it took."""

    def rect(self, x: float, y: float, w: float, h: float, fill: str | None, stroke: str | None) -> None: ...

    def image(self, index: int, x: float, y: float, w: float, h: float) -> None:
        """Place thumbnail `index` (rastered at PNG_SCALE pixels per point)."""

    def finish(self) -> bytes: ...


def fit(text: str, width: float, measure: Callable[[str], float]) -> str:
    """`text`, cut with an ellipsis to fit `width`."""
    if measure(text) <= width:
        return text
    while text and measure(text.rstrip() + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


class PngCanvas:
    """A white RGB image; same drawing, same bytes (no time chunk)."""

    def __init__(self, width: float, height: float, thumbs: list[Image.Image]):
        self.thumbs = thumbs
        self.image_out = Image.new("RGB", (round(width * PNG_SCALE), round(height * PNG_SCALE)), "white")
        self.draw = ImageDraw.Draw(self.image_out)
        self.fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont] = {}

    def _font(self, size: float, bold: bool) -> ImageFont.FreeTypeFont:
        if (size, bold) not in self.fonts:  # the basic layout engine: no dependence on the machine's raqm
            self.fonts[size, bold] = ImageFont.truetype(
                str(FONTS[bold]), round(size * PNG_SCALE), layout_engine=ImageFont.Layout.BASIC
            )
        return self.fonts[size, bold]

    def text(self, x: float, y: float, text: str, size: float, bold: bool, colour: str, width: float) -> float:
        font = self._font(size, bold)
        fitted = fit(text, width * PNG_SCALE, font.getlength)
        self.draw.text((round(x * PNG_SCALE), round(y * PNG_SCALE)), fitted, font=font, fill=colour, anchor="ls")
        return font.getlength(fitted) / PNG_SCALE

    def rect(self, x: float, y: float, w: float, h: float, fill: str | None, stroke: str | None) -> None:
        s = PNG_SCALE
        box = (round(x * s), round(y * s), round((x + w) * s) - 1, round((y + h) * s) - 1)
        self.draw.rectangle(box, fill=fill, outline=stroke, width=1 if stroke else 0)

    def image(self, index: int, x: float, y: float, w: float, h: float) -> None:
        self.image_out.paste(self.thumbs[index], (round(x * PNG_SCALE), round(y * PNG_SCALE)))

    def finish(self) -> bytes:
        buffer = io.BytesIO()
        self.image_out.save(buffer, format="PNG", dpi=(72 * PNG_SCALE, 72 * PNG_SCALE))
        return buffer.getvalue()


class PdfCanvas:
    """One reportlab page: vector text in embedded Charis SIL subsets, thumbnails as JPEG; invariant bytes."""

    def __init__(self, width: float, height: float, thumbs: list[Image.Image], title: str):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.pdfgen.canvas import Canvas as ReportlabCanvas

        for bold, path in FONTS.items():
            if _pdf_font(bold) not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(_pdf_font(bold), str(path)))
        self.thumbs, self.height, self.metrics, self.buffer = thumbs, height, pdfmetrics, io.BytesIO()
        self.canvas = ReportlabCanvas(
            self.buffer, pagesize=(width, height), invariant=1, pageCompression=1, initialFontName=_pdf_font(False)
        )  # no unused, unembedded Helvetica
        self.canvas.setTitle(title)
        self.canvas.setCreator("issue-builder flatplan")

    def text(self, x: float, y: float, text: str, size: float, bold: bool, colour: str, width: float) -> float:
        font = _pdf_font(bold)
        fitted = fit(text, width, lambda t: self.metrics.stringWidth(t, font, size))
        self.canvas.setFont(font, size)
        self.canvas.setFillColor(colour)
        self.canvas.drawString(x, self.height - y, fitted)
        return self.metrics.stringWidth(fitted, font, size)

    def rect(self, x: float, y: float, w: float, h: float, fill: str | None, stroke: str | None) -> None:
        if fill:
            self.canvas.setFillColor(fill)
        if stroke:
            self.canvas.setStrokeColor(stroke)
            self.canvas.setLineWidth(0.5)
        self.canvas.rect(x, self.height - y - h, w, h, stroke=int(bool(stroke)), fill=int(bool(fill)))

    def image(self, index: int, x: float, y: float, w: float, h: float) -> None:
        from reportlab.lib.utils import ImageReader

        jpeg = io.BytesIO()
        self.thumbs[index].save(jpeg, format="JPEG", quality=85)
        jpeg.seek(0)
        self.canvas.drawImage(ImageReader(jpeg), x, self.height - y - h, w, h)

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _pdf_font(bold: bool) -> str:
    return "IssueBuilderFlatplan-Bold" if bold else "IssueBuilderFlatplan-Regular"
