"""Content preflight checks: DeviceRGB anywhere, effective resolution of placed images, rich-black text."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pikepdf

from issue_builder.base.findings import Finding, PreflightSettings, Report

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)
_TEXT_OPS = {"Tj", "TJ", "'", '"'}


@dataclass(frozen=True)
class ImagePlacement:
    """An image drawn on a page, with its bounding box in page space and its effective resolution."""

    page: int
    width_px: int
    height_px: int
    bbox: tuple[float, float, float, float]
    ppi: float
    objgen: tuple[int, int] = (0, 0)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def check_content(
    pdf: pikepdf.Pdf,
    report: Report,
    settings: PreflightSettings,
    image_sources: dict[tuple[int, int, int], str],
    page_sources: dict[int, str],
) -> list[ImagePlacement]:
    """Scan every page; returns the image placements found (the separations check masks them)."""
    report.checks += ["device-rgb", "image-resolution", "rich-black-text"]
    placements: list[ImagePlacement] = []
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, report, page_sources.get(number))
        walker.walk(page.obj, page.obj.get("/Resources"), IDENTITY, depth=0)
        _check_groups(page.obj, walker)
        for annot in page.obj.get("/Annots", []):
            appearance = annot.get("/AP", {}).get("/N") if isinstance(annot, pikepdf.Dictionary) else None
            if isinstance(appearance, pikepdf.Stream):
                walker.walk(appearance, appearance.get("/Resources"), IDENTITY, depth=1, collect=False)
        placements += walker.placements
    for placed in placements:
        source = image_sources.get((placed.page, placed.width_px, placed.height_px)) or page_sources.get(placed.page)
        size = f"{(placed.bbox[2] - placed.bbox[0]) / 72:.2f} x {(placed.bbox[3] - placed.bbox[1]) / 72:.2f} in"
        text = f"image {placed.width_px} x {placed.height_px} px placed at {size}: {placed.ppi:.0f} ppi"
        if placed.ppi < settings.min_ppi:
            report.findings.append(
                Finding("image-resolution", "error", f"{text} (minimum {settings.min_ppi})", placed.page, source)
            )
        elif placed.ppi < settings.warn_ppi:
            report.findings.append(
                Finding("image-resolution", "warning", f"{text} (below {settings.warn_ppi})", placed.page, source)
            )
    return placements


def image_placements(pdf: pikepdf.Pdf) -> list[ImagePlacement]:
    """Where every image XObject is drawn, on every page (no findings are kept)."""
    scratch = Report(file="", pages=len(pdf.pages))
    placements = []
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, scratch, None)
        walker.walk(page.obj, page.obj.get("/Resources"), IDENTITY, depth=0)
        placements += walker.placements
    return placements


def _is_rgb(space) -> bool:
    if space is None:
        return False
    if isinstance(space, pikepdf.Name):
        return space in (pikepdf.Name.DeviceRGB, pikepdf.Name("/RGB"))
    if isinstance(space, pikepdf.Array) and len(space) > 1:
        kind = space[0]
        if kind == "/Indexed":
            return _is_rgb(space[1])
        if kind in ("/Separation", "/DeviceN"):
            return _is_rgb(space[2])
    return False


def _check_groups(obj, walker: _Walker) -> None:
    group = obj.get("/Group")
    if group is not None and _is_rgb(group.get("/CS")):
        walker.rgb("transparency group blends in DeviceRGB")


class _Walker:
    def __init__(self, page: int, report: Report, source: str | None):
        self.page, self.report, self.source = page, report, source
        self.placements: list[ImagePlacement] = []
        self._rgb_said: set[str] = set()
        self._rich_black_said = False

    def rgb(self, what: str) -> None:
        if what not in self._rgb_said:
            self._rgb_said.add(what)
            self.report.findings.append(Finding("device-rgb", "error", f"DeviceRGB: {what}", self.page, self.source))

    def walk(self, owner, resources, ctm: Matrix, depth: int, collect: bool = True) -> None:
        """Scan one content stream; `collect` is False inside soft masks, whose images are not placed on the page."""
        if depth > 12:
            return
        resources = resources if resources is not None else pikepdf.Dictionary()
        spaces = dict(resources.get("/ColorSpace", {}))
        for name, space in spaces.items():
            if _is_rgb(space):
                self.rgb(f"colour space {name}")
        for name, shading in dict(resources.get("/Shading", {})).items():
            if _is_rgb(shading.get("/ColorSpace")):
                self.rgb(f"shading {name}")
        for name, gstate in dict(resources.get("/ExtGState", {})).items():
            mask = gstate.get("/SMask") if isinstance(gstate, pikepdf.Dictionary) else None
            if isinstance(mask, pikepdf.Dictionary) and isinstance(mask.get("/G"), pikepdf.Stream):
                group = mask.G
                if _is_rgb(group.get("/Group", {}).get("/CS")):
                    self.rgb(f"soft mask of {name} blends in DeviceRGB")
                self.walk(group, group.get("/Resources"), ctm, depth + 1, collect=False)
        for name, pattern in dict(resources.get("/Pattern", {})).items():
            if "/Shading" in pattern and _is_rgb(pattern.Shading.get("/ColorSpace")):
                self.rgb(f"shading pattern {name}")
            elif pattern.get("/PatternType") == 1:
                matrix = tuple(float(v) for v in pattern.get("/Matrix", IDENTITY))
                self.walk(pattern, pattern.get("/Resources"), _multiply(matrix, ctm), depth + 1)
        stack: list[tuple[Matrix, object, list]] = []
        fill_space, fill = pikepdf.Name.DeviceGray, [0]
        try:
            instructions = pikepdf.parse_content_stream(owner)
        except (pikepdf.PdfError, TypeError) as exc:
            self.report.findings.append(
                Finding("structure", "error", f"unreadable content stream: {exc}", self.page, self.source)
            )
            return
        for operands, operator in instructions:
            op = str(operator)
            if op == "q":
                stack.append((ctm, fill_space, fill))
            elif op == "Q" and stack:
                ctm, fill_space, fill = stack.pop()
            elif op == "cm":
                ctm = _multiply(tuple(float(v) for v in operands), ctm)
            elif op in ("rg", "RG"):
                self.rgb(f"colour operator {op}")
                if op == "rg":
                    fill_space, fill = pikepdf.Name.DeviceRGB, list(operands)
            elif op in ("cs", "CS"):
                space = spaces.get(str(operands[0]), operands[0])
                if _is_rgb(space):
                    self.rgb(f"colour space {operands[0]} set by {op}")
                if op == "cs":
                    fill_space = space if isinstance(space, pikepdf.Name) else pikepdf.Name("/Other")
            elif op == "k":
                fill_space, fill = pikepdf.Name.DeviceCMYK, list(operands)
            elif op == "g":
                fill_space, fill = pikepdf.Name.DeviceGray, list(operands)
            elif op in ("sc", "scn"):
                fill = list(operands)
            elif (
                op in _TEXT_OPS
                and fill_space == pikepdf.Name.DeviceCMYK
                and len(fill) == 4
                and not self._rich_black_said
            ):
                c, m, y, k = (float(v) for v in fill)
                if k >= 0.85 and c + m + y > 0.02:
                    self._rich_black_said = True
                    self.report.findings.append(
                        Finding(
                            "rich-black-text",
                            "error",
                            f"black text built from all four inks (C {c:.0%} M {m:.0%} Y {y:.0%} K {k:.0%}); "
                            "body text must be 100% K only",
                            self.page,
                            self.source,
                        )
                    )
            elif op in ("BI", "INLINE IMAGE"):
                image = operands[0] if operands else None
                details = getattr(image, "obj", None)
                space = None if details is None else details.get("/ColorSpace", details.get("/CS"))
                if isinstance(space, pikepdf.Name) and str(space) in spaces:
                    space = spaces[str(space)]
                if _is_rgb(space):
                    self.rgb("inline image")
            elif op == "sh":
                shading = dict(resources.get("/Shading", {})).get(str(operands[0]))
                if shading is not None and _is_rgb(shading.get("/ColorSpace")):
                    self.rgb(f"shading {operands[0]}")
            elif op == "Do":
                xobject = dict(resources.get("/XObject", {})).get(str(operands[0]))
                if xobject is None:
                    continue
                if not isinstance(xobject, pikepdf.Stream):
                    self.report.findings.append(
                        Finding("structure", "error", f"XObject {operands[0]} is not a stream", self.page, self.source)
                    )
                    continue
                if xobject.get("/Subtype") == "/Image":
                    self._image(xobject, str(operands[0]), ctm, collect)
                elif xobject.get("/Subtype") == "/Form":
                    _check_groups(xobject, self)
                    matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
                    self.walk(xobject, xobject.get("/Resources"), _multiply(matrix, ctm), depth + 1, collect)

    def _image(self, image: pikepdf.Stream, name: str, ctm: Matrix, collect: bool) -> None:
        if _is_rgb(image.get("/ColorSpace")):
            self.rgb(f"image {name}")
        mask = image.get("/SMask")
        if isinstance(mask, pikepdf.Stream) and _is_rgb(mask.get("/ColorSpace")):
            self.rgb(f"soft mask of image {name}")
        width_pt = math.hypot(ctm[0], ctm[1])
        height_pt = math.hypot(ctm[2], ctm[3])
        if width_pt <= 0 or height_pt <= 0 or not collect:
            return
        w, h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
        ppi = min(w / (width_pt / 72), h / (height_pt / 72))
        corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        self.placements.append(ImagePlacement(self.page, w, h, (min(xs), min(ys), max(xs), max(ys)), ppi, image.objgen))
