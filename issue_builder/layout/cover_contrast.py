"""Contrast of the cover type against the picture beneath it (WCAG 2 ratio), read back from the laid-out PDF: the
front section's, as it is laid out (layout/parallel.py), so every build measures it, print-only ones too."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium_c

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.prepare.content import PreparedIssue

SCALE = 1.5  # pixels per point of the rendered background: enough for a line of 8pt type
LARGE_TEXT = 18.0  # points: WCAG's large text, which needs 3:1 instead of 4.5:1
PERCENTILE = 0.1  # the contrast reported is the one 90% of the pixels beneath a line reach


@dataclass
class CoverLine:
    """One line of cover type: its text, colour, size and box (PDF points)."""

    text: str
    colour: tuple[int, int, int]
    size: float
    box: list[float] = field(default_factory=list)  # left, bottom, right, top

    @property
    def needed(self) -> float:
        return 3.0 if self.size >= LARGE_TEXT else 4.5


def _linear(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


_LINEAR = tuple(_linear(value) for value in range(256))  # each 8-bit sRGB channel value, linearised


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (8-bit channels)."""
    r, g, b = rgb
    return 0.2126 * _LINEAR[r] + 0.7152 * _LINEAR[g] + 0.0722 * _LINEAR[b]


def contrast(a: float, b: float) -> float:
    """WCAG 2 contrast ratio of two relative luminances (1 to 21)."""
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def cover_lines(page, textpage) -> list[CoverLine]:
    """The page's text objects joined into lines: same baseline, colour and size."""
    lines: dict[tuple, CoverLine] = {}
    for obj in page.get_objects(max_depth=4):
        if obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        length = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
        buffer = ctypes.create_string_buffer(length * 2)
        pdfium_c.FPDFTextObj_GetText(
            obj.raw, textpage.raw, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)), length * 2
        )
        text = buffer.raw.decode("utf-16-le", "replace").rstrip("\x00")
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        pdfium_c.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
        size = ctypes.c_float()
        pdfium_c.FPDFTextObj_GetFontSize(obj.raw, size)
        matrix = obj.get_matrix()
        points = size.value * abs(matrix.d or matrix.a or 1)
        left, bottom, right, top = obj.get_bounds()
        key = (round(matrix.f), (r.value, g.value, b.value), round(points, 1))
        line = lines.setdefault(key, CoverLine("", key[1], points, [left, bottom, right, top]))
        line.text += text
        line.box = [min(line.box[0], left), min(line.box[1], bottom), max(line.box[2], right), max(line.box[3], top)]
    return [line for line in lines.values() if line.text.strip()]


def cover_contrast_findings(pdf: bytes, issue: PreparedIssue, page_index: int = 0) -> list[Diagnostic]:
    """A warning for each line of cover type whose contrast with what lies beneath it (the picture and any scrim,
    rendered with the type taken away) is under WCAG's 4.5:1 (3:1 for type of 18pt and more), naming the line and
    the setting that changes it. `pdf` is a PDF in sRGB: the layout PDF or the web edition."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        lines = cover_lines(page, textpage)
        textpage.close()
        for obj in [o for o in page.get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_TEXT]:
            page.remove_obj(obj)
        page.gen_content()
        image = page.render(scale=SCALE).to_pil().convert("RGB")
        origin_x, _, _, origin_top = page.get_cropbox()
    finally:
        document.close()
    worst: dict[str, tuple[float, CoverLine, str]] = {}
    for line in lines:
        left, bottom, right, top = line.box
        pad = line.size * 0.15
        crop = image.crop(
            (
                max(0, int((left - pad - origin_x) * SCALE)),
                max(0, int((origin_top - top - pad) * SCALE)),
                min(image.width, int((right + pad - origin_x) * SCALE) + 1),
                min(image.height, int((origin_top - bottom + pad) * SCALE) + 1),
            )
        )
        colours = crop.getcolors(crop.width * crop.height)  # (pixels, colour): a contrast for each colour once
        if not colours:
            continue
        text_luminance = luminance(line.colour)
        ratio = _percentile(
            sorted((contrast(text_luminance, luminance(colour)), count) for count, colour in colours), PERCENTILE
        )
        name, setting = _name(line.text, issue)
        if ratio < line.needed and (name not in worst or ratio < worst[name][0]):
            worst[name] = (ratio, line, setting)  # a masthead on two lines is named once, by its worse line
    return [
        Diagnostic(
            f"the cover's {name} has a contrast of {ratio:.1f}:1 with the picture beneath it; WCAG asks "
            f"{line.needed:g}:1 for type of {line.size:.0f}pt: set cover.{setting} or cover.scrim, or choose "
            "a darker or lighter part of the picture (cover.focus)",
            severity="warning",
            code="cover-contrast",
            page=page_index + 1,
        )
        for name, (ratio, line, setting) in worst.items()
    ]


def _percentile(counted: list[tuple[float, int]], fraction: float) -> float:
    """The value at `fraction` of the way up `counted` ((value, how many times), sorted by value), as the sorted list
    of every value would have it at index int(len * fraction)."""
    at = int(sum(count for _, count in counted) * fraction)
    for value, count in counted:
        if at < count:
            return value
        at -= count
    return counted[-1][0]


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _name(text: str, issue: PreparedIssue) -> tuple[str, str]:
    """How a warning names a line of cover type, and the setting of its colour."""
    m = issue.manifest
    shown = _letters(text)
    if shown and shown in _letters(m.periodical.name):
        return f"masthead {m.periodical.name!r}", "masthead_colour"
    if m.periodical.tagline and shown and shown in _letters(m.periodical.tagline):
        return f"tagline {m.periodical.tagline!r}", "tagline_colour"
    for number, line in enumerate(m.cover.lines):
        if shown and shown in _letters(line):
            return f"coverline {number + 1} {line!r}", "lines_colour"
    return "issue line", "tagline_colour"  # letter-spaced: read back one letter at a time
