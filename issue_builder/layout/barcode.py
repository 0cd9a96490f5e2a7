"""The cover barcode: EAN-13 with a 2-digit issue add-on, drawn as vectors with reportlab (as SVG for the layout)."""

from __future__ import annotations

import hashlib
import re

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib.colors import black, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from stdnum import ean
from stdnum.exceptions import ValidationError

from issue_builder.base.paths import FONTS_DIR

_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"]
_G = ["0100111", "0110011", "0011011", "0100001", "0011101", "0111001", "0000101", "0010001", "0001001", "0010111"]
_R = ["1110010", "1100110", "1101100", "1000010", "1011100", "1001110", "1010000", "1000100", "1001000", "1110100"]
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]
_ADDON_PARITY = ["LL", "LG", "GL", "GG"]
MODULE = 0.33 * 72 / 25.4  # points: 100% magnification
BAR_HEIGHT = 60 * MODULE
# reportlab name, file, CSS family
FONT = ("CharisSIL", FONTS_DIR / "charis-sil" / "CharisSIL-Regular.ttf", "Charis SIL")


def ean13_modules(code: str) -> str:
    """The 95 modules (1 = bar) of an EAN-13 code."""
    first, left, right = int(code[0]), code[1:7], code[7:]
    parity = _PARITY[first]
    bars = "101" + "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, left, strict=True)) + "01010"
    return bars + "".join(_R[int(d)] for d in right) + "101"


def addon_modules(two: str) -> str:
    parity = _ADDON_PARITY[int(two) % 4]
    codes = [(_L if p == "L" else _G)[int(d)] for p, d in zip(parity, two, strict=True)]
    return "1011" + codes[0] + "01" + codes[1]


QUIET_LEFT, GAP, QUIET_RIGHT = 11, 9, 5  # modules


def check_codes(code: str, addon: str) -> None:
    """ValueError unless `code` is a valid EAN-13 (check digit verified by python-stdnum) and `addon` two digits."""
    try:
        valid = len(code) == 13 and ean.validate(code) == code
    except ValidationError:
        valid = False
    if not valid:
        raise ValueError(f"not a valid EAN-13: {code!r}")
    if not re.fullmatch(r"\d{2}", addon):
        raise ValueError(f"EAN-2 add-on must be two digits, not {addon!r}")


def barcode_width() -> float:
    """Width of the drawing in points: quiet zones, 95 modules, the gap and the 20-module add-on."""
    return (QUIET_LEFT + 95 + GAP + 20 + QUIET_RIGHT) * MODULE


def barcode_svg(code: str, addon: str) -> bytes:
    """An SVG of the EAN-13 `code` with its 2-digit `addon`, quiet zones included, black on white.

    Raises ValueError for a `code` that is not 13 digits with a correct check digit, or an `addon` not 2 digits:
    a barcode that would scan as another number is never drawn.
    """
    check_codes(code, addon)
    if FONT[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT[0], str(FONT[1])))
    main, extra = ean13_modules(code), addon_modules(addon)
    quiet_left, gap = QUIET_LEFT, GAP
    width = barcode_width()
    text_size = 9 * MODULE
    height = BAR_HEIGHT + 3 * text_size
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=white, strokeColor=None))
    base = text_size * 1.4
    for i, bit in enumerate(main):
        if bit == "1":
            guard = i < 3 or 45 <= i < 50 or i >= 92
            y = base - (5 * MODULE if guard else 0)
            drawing.add(
                Rect((quiet_left + i) * MODULE, y, MODULE, BAR_HEIGHT + (base - y), fillColor=black, strokeColor=None)
            )
    start = quiet_left + len(main) + gap
    for i, bit in enumerate(extra):
        if bit == "1":
            drawing.add(
                Rect(
                    (start + i) * MODULE,
                    base - 5 * MODULE,
                    MODULE,
                    BAR_HEIGHT - text_size * 1.2,
                    fillColor=black,
                    strokeColor=None,
                )
            )
    font = {"fontName": FONT[0], "fontSize": text_size, "fillColor": black, "textAnchor": "middle"}
    drawing.add(String((quiet_left - 4) * MODULE, 0, code[0], **font))
    drawing.add(String((quiet_left + 3 + 21) * MODULE, 0, code[1:7], **font))
    drawing.add(String((quiet_left + 50 + 21) * MODULE, 0, code[7:], **font))
    drawing.add(String((start + len(extra) / 2) * MODULE, BAR_HEIGHT - 2, addon, **font))
    svg = renderSVG.drawToString(drawing)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.S)  # no external DTD for the SVG parser to look at
    return svg.replace(f"font-family: {FONT[0]}", f"font-family: '{FONT[2]}'").encode("utf-8")


def barcode_file(code: str, addon: str) -> tuple[str, bytes]:
    """A name for the barcode SVG (served from memory by the sandboxed fetcher) and its bytes."""
    data = barcode_svg(code, addon)
    return f"barcode-{hashlib.sha256(data).hexdigest()[:16]}.svg", data
