"""Page-level preflight checks: boxes, bleed, annotations, embedded fonts."""

from __future__ import annotations

import pikepdf

from issue_builder.base.findings import Finding, PreflightSettings, Report
from issue_builder.checks.readback import font_is_embedded

TOLERANCE = 0.01


def _box(page: pikepdf.Page, key: str) -> list[float] | None:
    value = page.obj.get(key)
    if value is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (
        inner[0] >= outer[0] - TOLERANCE
        and inner[1] >= outer[1] - TOLERANCE
        and inner[2] <= outer[2] + TOLERANCE
        and inner[3] <= outer[3] + TOLERANCE
    )


def check_pages(pdf: pikepdf.Pdf, report: Report, settings: PreflightSettings, page_sources: dict[int, str]) -> None:
    add = report.findings.append
    report.checks += ["boxes", "bleed", "annotations", "fonts"]
    for number, page in enumerate(pdf.pages, start=1):
        source = page_sources.get(number)
        media, trim, bleed, art = (_box(page, k) for k in ("/MediaBox", "/TrimBox", "/BleedBox", "/ArtBox"))
        if trim is None:
            add(Finding("boxes", "error", "no TrimBox", number, source))
        if trim is not None and art is not None:
            add(Finding("boxes", "warning", "has both TrimBox and ArtBox", number, source))
        if bleed is not None and media is not None and not _inside(bleed, media):
            add(Finding("boxes", "error", "BleedBox extends beyond the MediaBox", number, source))
        if trim is not None:
            if bleed is None:
                add(Finding("bleed", "error", "no BleedBox: the bleed is not declared", number, source))
            elif not _inside(trim, bleed):
                add(Finding("boxes", "error", "TrimBox extends beyond the BleedBox", number, source))
            else:
                least = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
                if least < settings.bleed - TOLERANCE:
                    add(
                        Finding(
                            "bleed",
                            "error",
                            f"bleed is {least:.2f} pt, at least {settings.bleed:.2f} pt required",
                            number,
                            source,
                        )
                    )
            area = bleed if bleed is not None else trim
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") == "/PrinterMark":
                    continue
                rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
                overlaps = rect[0] < area[2] and rect[2] > area[0] and rect[1] < area[3] and rect[3] > area[1]
                if overlaps:
                    add(
                        Finding(
                            "annotations",
                            "error",
                            f"{annot.get('/Subtype')} annotation inside the TrimBox or BleedBox",
                            number,
                            source,
                        )
                    )
    seen = set()
    for number, page in enumerate(pdf.pages, start=1):
        for name, embedded in _fonts(page.obj.get("/Resources"), set()):
            if not embedded and name not in seen:
                seen.add(name)
                add(Finding("fonts", "error", f"font {name} is not embedded", number, page_sources.get(number)))


def _fonts(resources, visited: set):
    if resources is None or (resources.objgen != (0, 0) and resources.objgen in visited):
        return
    visited.add(resources.objgen)
    for font in dict(resources.get("/Font", {})).values():
        yield str(font.get("/BaseFont", "?")).lstrip("/"), font_is_embedded(font)
    for xobject in dict(resources.get("/XObject", {})).values():
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts(xobject.get("/Resources"), visited)
