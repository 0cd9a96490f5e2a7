"""Page-level preflight checks: boxes, page size, bleed, annotations, embedded fonts."""

from __future__ import annotations

import pikepdf

from issue_builder.base.pdf_content import entries, is_dict, items, numbers
from issue_builder.base.preflight_report import PreflightSettings, Report
from issue_builder.checks.readback import font_is_embedded

TOLERANCE = 0.01
TRIM_TOLERANCE = 1.0  # points a TrimBox may differ from the publication's trim size
PDF_PAGE_LIMIT = 14_400  # units a page side may measure (ISO 32000-1, Annex C)
MAX_FONT_DEPTH = 12  # forms inside forms searched for fonts


def _box(page: pikepdf.Page, key: str, report: Report, number: int, source: str | None) -> list[float] | None:
    """A page box, normalised; None (and a finding) when it is not four numbers."""
    value = page.obj.get(key)
    if value is None:
        return None
    corners = numbers(value, 4) if isinstance(value, pikepdf.Array) else None
    if corners is None:
        report.add("boxes", "error", f"{key[1:]} is not four numbers", number, source)
        return None
    x0, y0, x1, y1 = corners
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _media(page: pikepdf.Page, report: Report, number: int, source: str | None) -> list[float] | None:
    """The MediaBox, inherited from the page tree when the page has none."""
    if "/MediaBox" in page.obj:
        return _box(page, "/MediaBox", report, number, source)
    try:
        value = page.mediabox
    except (pikepdf.PdfError, TypeError, ValueError, AttributeError):
        value = None
    corners = numbers(value, 4) if isinstance(value, pikepdf.Array) else None
    if corners is None:
        report.add("boxes", "error", "no usable MediaBox", number, source)
        return None
    x0, y0, x1, y1 = corners
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] >= outer[0] - TOLERANCE
        and inner[1] >= outer[1] - TOLERANCE
        and inner[2] <= outer[2] + TOLERANCE
        and inner[3] <= outer[3] + TOLERANCE
    )


def check_pages(pdf: pikepdf.Pdf, report: Report, settings: PreflightSettings, page_sources: dict[int, str]) -> None:
    add = report.add
    report.checks += ["boxes", "page-size", "bleed", "annotations", "fonts"]
    for number, page in enumerate(pdf.pages, start=1):
        source = page_sources.get(number)
        media = _media(page, report, number, source)
        trim, bleed, art = (_box(page, k, report, number, source) for k in ("/TrimBox", "/BleedBox", "/ArtBox"))
        if trim is None:
            add("boxes", "error", "no TrimBox", number, source)
        if trim is not None and art is not None:
            add("boxes", "warning", "has both TrimBox and ArtBox", number, source)
        if bleed is not None and media is not None and not _inside(bleed, media):
            add("boxes", "error", "BleedBox extends beyond the MediaBox", number, source)
        _check_size(page, media, trim, settings, report, number, source)
        if trim is not None:
            if bleed is None:
                add("bleed", "error", "no BleedBox: the bleed is not declared", number, source)
            elif not _inside(trim, bleed):
                add("boxes", "error", "TrimBox extends beyond the BleedBox", number, source)
            else:
                least = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
                if least < settings.bleed - TOLERANCE:
                    add(
                        "bleed",
                        "error",
                        f"bleed is {least:.2f} pt, at least {settings.bleed:.2f} pt required",
                        number,
                        source,
                    )
        _check_annotations(page, bleed if bleed is not None else trim, report, number, source)
    seen = set()
    for number, page in enumerate(pdf.pages, start=1):
        for name, embedded in _fonts(page.obj.get("/Resources"), set(), 0):
            if not embedded and name not in seen:
                seen.add(name)
                add("fonts", "error", f"font {name} is not embedded", number, page_sources.get(number))


def _check_size(
    page: pikepdf.Page,
    media: list[float] | None,
    trim: list[float] | None,
    settings: PreflightSettings,
    report: Report,
    number: int,
    source: str | None,
) -> None:
    """A page no press could print: beyond PDF's own limit, or far beyond the publication's trim and marks."""
    if media is None:
        return
    unit = numbers([page.obj.get("/UserUnit", 1)], 1)
    scale = unit[0] if unit and unit[0] > 0 else 1.0
    width, height = media[2] - media[0], media[3] - media[1]
    points = f"{width * scale:,.0f} x {height * scale:,.0f} pt"
    if max(width, height) > PDF_PAGE_LIMIT:
        report.add(
            "page-size",
            "error",
            f"the page (MediaBox) is {points}: PDF allows at most {PDF_PAGE_LIMIT:,} units a side",
            number,
            source,
        )
        return
    if settings.trim is None:
        return
    trim_w, trim_h = settings.trim
    sheet_w, sheet_h = trim_w + 2 * settings.media_margin, trim_h + 2 * settings.media_margin
    if width * scale > sheet_w + TOLERANCE or height * scale > sheet_h + TOLERANCE:
        report.add(
            "page-size",
            "error",
            f"the page (MediaBox) is {points}, larger than the publication's trim of "
            f"{trim_w:.2f} x {trim_h:.2f} pt with room for bleed and marks ({sheet_w:.2f} x {sheet_h:.2f} pt)",
            number,
            source,
        )
    elif trim is not None:
        w, h = (trim[2] - trim[0]) * scale, (trim[3] - trim[1]) * scale
        if abs(w - trim_w) > TRIM_TOLERANCE or abs(h - trim_h) > TRIM_TOLERANCE:
            report.add(
                "page-size",
                "error",
                f"the TrimBox is {w:.2f} x {h:.2f} pt, not the publication's trim of {trim_w:.2f} x {trim_h:.2f} pt",
                number,
                source,
            )


def _check_annotations(page: pikepdf.Page, area: list[float] | None, report: Report, number: int, source: str | None):
    """Annotations other than printer's marks inside the trim or bleed (when known); entries that are not
    annotations."""
    for annot in items(page.obj, "/Annots"):
        if not isinstance(annot, pikepdf.Dictionary):
            report.add("annotations", "error", "an /Annots entry is not an annotation dictionary", number, source)
            continue
        if annot.get("/Subtype") == "/PrinterMark" or area is None:
            continue
        rect = numbers(annot.get("/Rect", pikepdf.Array([0, 0, 0, 0])), 4)
        subtype = annot.get("/Subtype")
        if rect is None:
            report.add("annotations", "error", f"{subtype} annotation with a malformed /Rect", number, source)
            continue
        if rect[0] < area[2] and rect[2] > area[0] and rect[1] < area[3] and rect[3] > area[1]:
            report.add("annotations", "error", f"{subtype} annotation inside the TrimBox or BleedBox", number, source)


def _fonts(resources, visited: set, depth: int):
    """(name, embedded) of every font the resources and their forms use; each form searched once."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > MAX_FONT_DEPTH:
        return
    if resources.is_indirect:
        if resources.objgen in visited:
            return
        visited.add(resources.objgen)
    for font in entries(resources, "/Font").values():
        if is_dict(font):
            yield str(font.get("/BaseFont", "?")).lstrip("/"), _embedded(font)
    for xobject in entries(resources, "/XObject").values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
            if xobject.objgen in visited:  # a form drawing itself, through direct resources too
                continue
            visited.add(xobject.objgen)
            yield from _fonts(xobject.get("/Resources"), visited, depth + 1)


def _embedded(font) -> bool:
    """Whether the font carries its program; a font too malformed to tell counts as not embedded."""
    try:
        return font_is_embedded(font)
    except (pikepdf.PdfError, TypeError, ValueError, AttributeError, IndexError, KeyError):
        return False
