"""Content preflight checks: DeviceRGB anywhere, effective resolution of placed images, rich-black text.

Content streams are read with pikepdf's stream parser one instruction at a time, within a `Budget` of operators
and form invocations (a form counted each time it is drawn), so a tiny hostile file cannot exhaust the machine;
operands of the wrong number or type, and objects of the wrong type, become findings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pikepdf

from issue_builder.base.bounded import Budget, OverBudget
from issue_builder.base.findings import Finding, PreflightSettings, Report

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)
_TEXT_OPS = {"Tj", "TJ", "'", '"'}
MAX_FORM_DEPTH = 12  # forms inside forms read; deeper ones are not drawn by most renderers either
SAVE_DEPTH_LIMIT = 28  # q nesting allowed by ISO 32000-1, Annex C
SAVE_DEPTH_ERROR = 1000  # q nesting that makes renderers crawl (Ghostscript is quadratic in it)
MAX_OPERANDS = 64  # operands kept for one operator: none takes more (a TJ array is one operand)
MAX_SPACE_DEPTH = 8  # colour spaces based on colour spaces (Indexed over Separation over ...)


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


def numbers(values, count: int | None = None) -> list[float] | None:
    """The values as finite floats (exactly `count` of them when given), or None when any is not a number."""
    try:
        values = list(values)
    except TypeError:
        return None
    if (count is not None and len(values) != count) or not all(
        isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values
    ):
        return None
    floats = [float(v) for v in values]
    return floats if all(map(math.isfinite, floats)) else None


def is_dict(obj) -> bool:
    """Whether `obj` is a dictionary or a stream (whose dictionary can be read)."""
    return isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream))


def entries(obj, key: str) -> dict:
    """obj[key] as a plain dict when it is a dictionary; empty when absent or of another type."""
    value = obj.get(key) if is_dict(obj) else None
    return dict(value.items()) if isinstance(value, pikepdf.Dictionary) else {}


def items(obj, key: str) -> list:
    """obj[key] as a list when it is an array; empty when absent or of another type."""
    value = obj.get(key) if is_dict(obj) else None
    return list(value) if isinstance(value, pikepdf.Array) else []


def read_instructions(owner, budget: Budget, handle: Callable[[list, str], None]) -> None:
    """Pass each instruction of a page's or a stream's content to `handle(operands, operator)`, one at a time.

    Inline images arrive as operator "BI" with their dictionary as the one operand. Raises OverBudget past the
    budget, pikepdf.PdfError or TypeError when the content cannot be read.
    """
    parser = _Instructions(budget, handle)
    if isinstance(owner, pikepdf.Stream):
        pikepdf.Object._parse_stream(owner, parser)  # what pikepdf.parse_content_stream uses, one object at a time
        return
    if not isinstance(owner, pikepdf.Dictionary):
        raise TypeError(f"content expected in a stream, found {type(owner).__name__}")
    contents = owner.get("/Contents")
    parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    if contents is not None and not all(isinstance(part, pikepdf.Stream) for part in parts):
        raise TypeError("the page's /Contents is not a stream or an array of streams")
    pikepdf.Page(owner).parse_contents(parser)


class _Instructions(pikepdf.StreamParser):
    """Groups the parser's objects into instructions and counts them against the budget."""

    def __init__(self, budget: Budget, handle: Callable[[list, str], None]):
        super().__init__()
        self.budget, self.handle = budget, handle
        self.operands: list = []
        self.inline: list | None = None  # the dictionary entries of an inline image, between BI and EI

    def handle_object(self, obj, offset: int, length: int) -> None:
        if not isinstance(obj, pikepdf.Operator):
            self.budget.operand()
            if len(self.operands) < MAX_OPERANDS:
                self.operands.append(obj)
            return
        self.budget.operator()
        op, operands, self.operands = str(obj), self.operands, []
        if op == "BI":
            self.inline = []
        elif op == "ID":
            self.inline = operands
        elif op == "EI":
            pairs = self.inline or []
            details = {str(k): v for k, v in zip(pairs[::2], pairs[1::2], strict=False) if isinstance(k, pikepdf.Name)}
            self.inline = None
            self.handle([details], "BI")
        else:
            self.handle(operands, op)

    def handle_eof(self) -> None:
        self.operands = []


def check_content(
    pdf: pikepdf.Pdf,
    report: Report,
    settings: PreflightSettings,
    image_sources: dict[tuple[int, int, int], str],
    page_sources: dict[int, str],
    budget: Budget | None = None,
) -> list[ImagePlacement]:
    """Scan every page; returns the image placements found (the separations check masks them).

    Past the budget the scan stops with a `complexity` error.
    """
    report.checks += ["device-rgb", "image-resolution", "rich-black-text", "complexity"]
    budget = budget or Budget()
    placements: list[ImagePlacement] = []
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, report, page_sources.get(number), budget)
        try:
            walker.page(page.obj, annotations=True)
        except OverBudget as exc:
            report.findings.append(
                Finding(
                    "complexity",
                    "error",
                    f"reading stopped at this page: the file asks for {exc}; too complex to check or print safely",
                    number,
                    page_sources.get(number),
                )
            )
            placements += walker.placements
            break
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


def image_placements(pdf: pikepdf.Pdf, budget: Budget | None = None) -> list[ImagePlacement]:
    """Where every image XObject is drawn, on every page (no findings are kept); OverBudget past the budget."""
    scratch = Report(file="", pages=len(pdf.pages))
    budget = budget or Budget()
    placements = []
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, scratch, None, budget)
        walker.page(page.obj, annotations=False)
        placements += walker.placements
    return placements


def measure_drawing(pdf: pikepdf.Pdf, budget: Budget | None = None) -> None:
    """Read every page and annotation appearance within the budget, as a renderer would draw them.

    Raises OverBudget past the budget, or when a form draws itself (a renderer would draw it until its own
    nesting limit, as many times over as the form draws itself at each level).
    """
    scratch = Report(file="", pages=len(pdf.pages))
    budget = budget or Budget()
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, scratch, None, budget)
        walker.page(page.obj, annotations=True)
        if walker.self_drawing:
            raise OverBudget(f"a form that draws itself ({walker.self_drawing[0]} on page {number})")


def _is_rgb(space, depth: int = 0) -> bool:
    if space is None or depth > MAX_SPACE_DEPTH:
        return False
    if isinstance(space, pikepdf.Name):
        return space in (pikepdf.Name.DeviceRGB, pikepdf.Name("/RGB"))
    if isinstance(space, pikepdf.Array) and len(space) > 1:
        kind = space[0]
        if kind == "/Indexed":
            return _is_rgb(space[1], depth + 1)
        if kind in ("/Separation", "/DeviceN") and len(space) > 2:
            return _is_rgb(space[2], depth + 1)
    return False


def _group_space(obj):
    """The colour space of an object's transparency group, if it declares one."""
    group = obj.get("/Group") if is_dict(obj) else None
    return group.get("/CS") if is_dict(group) else None


def _check_groups(obj, walker: _Walker) -> None:
    if _is_rgb(_group_space(obj)):
        walker.rgb("transparency group blends in DeviceRGB")


class _Walker:
    def __init__(self, page: int, report: Report, source: str | None, budget: Budget):
        self.page_number, self.report, self.source, self.budget = page, report, source, budget
        self.placements: list[ImagePlacement] = []
        self.self_drawing: list[str] = []
        self._said: set[str] = set()
        self._rich_black_said = False
        self._active: list[tuple[int, int]] = []  # the streams being read, outermost first
        self._resources: dict[tuple, tuple[dict, dict, dict]] = {}  # what each resource dictionary provides
        self._forms: dict[tuple[int, int], Matrix] = {}  # each form's matrix, its group checked

    def rgb(self, what: str) -> None:
        self.finding("device-rgb", f"DeviceRGB: {what}")

    def finding(self, check: str, message: str, severity: str = "error") -> None:
        """Add a finding about this page, once."""
        if message not in self._said:
            self._said.add(message)
            self.report.findings.append(Finding(check, severity, message, self.page_number, self.source))

    def malformed(self, what: str) -> None:
        self.finding("structure", f"malformed content: {what}")

    def page(self, page: pikepdf.Dictionary, annotations: bool) -> None:
        """Read a page's content, its group and (when asked) its annotations' appearances."""
        self.walk(page, page.get("/Resources"), IDENTITY, depth=0)
        _check_groups(page, self)
        if not annotations:
            return
        for annot in items(page, "/Annots"):
            appearance = entries(annot, "/AP").get("/N")
            if isinstance(appearance, pikepdf.Dictionary):  # one appearance per state: each may be drawn
                streams = [s for s in appearance.values() if isinstance(s, pikepdf.Stream)]
            else:
                streams = [appearance] if isinstance(appearance, pikepdf.Stream) else []
            for stream in streams:
                self.walk(stream, stream.get("/Resources"), IDENTITY, depth=1, collect=False)

    def walk(self, owner, resources, ctm: Matrix, depth: int, collect: bool = True, name: str = "") -> None:
        """Scan one content stream; `collect` is False inside soft masks, whose images are not placed on the page."""
        if depth:
            self.budget.form()
        if depth > MAX_FORM_DEPTH:
            return
        key = owner.objgen if isinstance(owner, pikepdf.Stream) else None
        if key is not None and key != (0, 0) and key in self._active:
            self.self_drawing.append(name or "?")
            self.malformed(f"form {name or '?'} draws itself")
            return
        if key is not None:
            self._active.append(key)
        try:
            self._walk(owner, resources, ctm, depth, collect)
        finally:
            if key is not None:
                self._active.pop()

    def _walk(self, owner, resources, ctm: Matrix, depth: int, collect: bool) -> None:
        key = resources.objgen if isinstance(resources, pikepdf.Object) and resources.is_indirect else None
        key = key or (owner.objgen if isinstance(owner, pikepdf.Stream) else ("page",))
        if key not in self._resources:  # a form drawn many times has its resources looked through once
            self._resources[key] = self._look_through(resources, ctm, depth, collect)
        spaces, shadings, xobjects = self._resources[key]
        state = _State(ctm)
        try:
            read_instructions(
                owner, self.budget, lambda o, op: self._do(o, op, state, spaces, shadings, xobjects, depth, collect)
            )
        except (pikepdf.PdfError, TypeError, ValueError) as exc:
            self.finding("structure", f"unreadable content stream: {exc}")
        if state.deepest > SAVE_DEPTH_ERROR:
            self.finding(
                "complexity",
                f"graphics states saved {state.deepest:,} levels deep (q without Q): "
                f"PDF allows {SAVE_DEPTH_LIMIT}, and renderers slow to a crawl",
            )
        elif state.deepest > SAVE_DEPTH_LIMIT:
            self.finding(
                "complexity",
                f"graphics states saved {state.deepest} levels deep (q without Q): PDF allows {SAVE_DEPTH_LIMIT}",
                "warning",
            )

    def _look_through(self, resources, ctm: Matrix, depth: int, collect: bool) -> tuple[dict, dict, dict]:
        """Check a resource dictionary's colour spaces, shadings, soft masks and patterns; return what content uses."""
        if resources is not None and not isinstance(resources, pikepdf.Dictionary):
            self.malformed("a /Resources entry is not a dictionary")
        resources = resources if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
        spaces = entries(resources, "/ColorSpace")
        for space_name, space in spaces.items():
            if _is_rgb(space):
                self.rgb(f"colour space {space_name}")
        shadings = entries(resources, "/Shading")
        for shading_name, shading in shadings.items():
            if is_dict(shading) and _is_rgb(shading.get("/ColorSpace")):
                self.rgb(f"shading {shading_name}")
        for gstate_name, gstate in entries(resources, "/ExtGState").items():
            mask = gstate.get("/SMask") if is_dict(gstate) else None
            group = mask.get("/G") if isinstance(mask, pikepdf.Dictionary) else None
            if isinstance(group, pikepdf.Stream):
                if _is_rgb(_group_space(group)):
                    self.rgb(f"soft mask of {gstate_name} blends in DeviceRGB")
                self.walk(group, group.get("/Resources"), ctm, depth + 1, False, f"{gstate_name} (soft mask)")
        for pattern_name, pattern in entries(resources, "/Pattern").items():
            if not is_dict(pattern):
                continue
            shading = pattern.get("/Shading")
            if shading is not None:
                if is_dict(shading) and _is_rgb(shading.get("/ColorSpace")):
                    self.rgb(f"shading pattern {pattern_name}")
            elif pattern.get("/PatternType") == 1 and isinstance(pattern, pikepdf.Stream):
                matrix = self._matrix(pattern, f"pattern {pattern_name}")
                self.walk(pattern, pattern.get("/Resources"), _multiply(matrix, ctm), depth + 1, collect, pattern_name)
        return spaces, shadings, entries(resources, "/XObject")

    def _do(self, operands: list, op: str, state: _State, spaces, shadings, xobjects, depth: int, collect: bool):
        """Follow one instruction: the graphics state it changes, the colours, images and forms it draws."""
        if op == "q":
            state.save()
        elif op == "Q":
            state.restore()
        elif op == "cm":
            matrix = numbers(operands, 6)
            if matrix is None:
                self.malformed(f"cm takes six numbers, found {_describe(operands)}")
            else:
                state.ctm = _multiply(tuple(matrix), state.ctm)
        elif op in ("rg", "RG"):
            self.rgb(f"colour operator {op}")
            if op == "rg":
                state.fill_space, state.fill = pikepdf.Name.DeviceRGB, operands
        elif op in ("cs", "CS"):
            name = self._name(op, operands)
            if name is None:
                return
            space = spaces.get(name, pikepdf.Name(name))
            if _is_rgb(space):
                self.rgb(f"colour space {name} set by {op}")
            if op == "cs":
                state.fill_space = space if isinstance(space, pikepdf.Name) else pikepdf.Name("/Other")
        elif op == "k":
            state.fill_space, state.fill = pikepdf.Name.DeviceCMYK, operands
        elif op == "g":
            state.fill_space, state.fill = pikepdf.Name.DeviceGray, operands
        elif op in ("sc", "scn"):
            state.fill = operands
        elif op in _TEXT_OPS and state.fill_space == pikepdf.Name.DeviceCMYK and not self._rich_black_said:
            self._text_colour(state.fill)
        elif op == "BI":
            details = operands[0] if operands else {}
            space = details.get("/ColorSpace", details.get("/CS"))
            if isinstance(space, pikepdf.Name) and str(space) in spaces:
                space = spaces[str(space)]
            if _is_rgb(space):
                self.rgb("inline image")
        elif op == "sh":
            name = self._name(op, operands)
            shading = shadings.get(name) if name else None
            if is_dict(shading) and _is_rgb(shading.get("/ColorSpace")):
                self.rgb(f"shading {name}")
        elif op == "Do":
            name = self._name(op, operands)
            if name is not None:
                self._xobject(name, xobjects.get(name), state.ctm, depth, collect)

    def _xobject(self, name: str, xobject, ctm: Matrix, depth: int, collect: bool) -> None:
        """Draw the XObject `name`: an image is placed, a form read."""
        if xobject is None:
            return
        if not isinstance(xobject, pikepdf.Stream):
            self.finding("structure", f"XObject {name} is not a stream")
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._image(xobject, name, ctm, collect)
        elif subtype == "/Form":
            matrix = self._forms.get(xobject.objgen)
            if matrix is None:
                _check_groups(xobject, self)
                matrix = self._forms[xobject.objgen] = self._matrix(xobject, f"form {name}")
            self.walk(xobject, xobject.get("/Resources"), _multiply(matrix, ctm), depth + 1, collect, name)

    def _name(self, op: str, operands: list) -> str | None:
        """The resource name an operator takes as its last operand, or None (and a finding) when it has none."""
        if operands and isinstance(operands[-1], pikepdf.Name):
            return str(operands[-1])
        self.malformed(f"{op} takes a name, found {_describe(operands)}")
        return None

    def _matrix(self, obj, what: str) -> Matrix:
        """The /Matrix of a form or pattern; the identity (and a finding) when it is not six numbers."""
        value = obj.get("/Matrix")
        if value is None:
            return IDENTITY
        matrix = numbers(value, 6) if isinstance(value, pikepdf.Array) else None
        if matrix is None:
            self.malformed(f"the /Matrix of {what} is not six numbers")
            return IDENTITY
        return tuple(matrix)

    def _text_colour(self, fill: list) -> None:
        cmyk = numbers(fill, 4)
        if cmyk is None:
            return
        c, m, y, k = cmyk
        if k >= 0.85 and c + m + y > 0.02:
            self._rich_black_said = True
            self.finding(
                "rich-black-text",
                f"black text built from all four inks (C {c:.0%} M {m:.0%} Y {y:.0%} K {k:.0%}); "
                "body text must be 100% K only",
            )

    def _image(self, image: pikepdf.Stream, name: str, ctm: Matrix, collect: bool) -> None:
        if _is_rgb(image.get("/ColorSpace")):
            self.rgb(f"image {name}")
        mask = image.get("/SMask")
        if isinstance(mask, pikepdf.Stream) and _is_rgb(mask.get("/ColorSpace")):
            self.rgb(f"soft mask of image {name}")
        width_pt = math.hypot(ctm[0], ctm[1])
        height_pt = math.hypot(ctm[2], ctm[3])
        if width_pt <= 0 or height_pt <= 0 or not math.isfinite(width_pt * height_pt) or not collect:
            return
        size = numbers([image.get("/Width", 0), image.get("/Height", 0)], 2)
        if size is None:
            self.finding("structure", f"image {name} has no numeric /Width and /Height")
            return
        w, h = int(size[0]), int(size[1])
        ppi = min(w / (width_pt / 72), h / (height_pt / 72))
        corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        self.placements.append(
            ImagePlacement(self.page_number, w, h, (min(xs), min(ys), max(xs), max(ys)), ppi, image.objgen)
        )


class _State:
    """The graphics state the checks follow (transformation and fill colour), with its stack of saves."""

    def __init__(self, ctm: Matrix):
        self.ctm = ctm
        self.fill_space, self.fill = pikepdf.Name.DeviceGray, [0]
        self.stack: list[tuple] = []
        self.depth = self.deepest = 0

    def save(self) -> None:
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        if self.depth <= SAVE_DEPTH_ERROR:  # deeper saves are counted, not kept: a million `q` stays small
            self.stack.append((self.ctm, self.fill_space, self.fill))

    def restore(self) -> None:
        if self.depth <= 0:
            return
        if self.depth <= SAVE_DEPTH_ERROR:
            self.ctm, self.fill_space, self.fill = self.stack.pop()
        self.depth -= 1


def _describe(operands: list) -> str:
    """Operands as a finding names them: how many, and of which types."""
    if not operands:
        return "no operands"
    kinds = ", ".join(type(v).__name__ for v in operands[:6]) + (", ..." if len(operands) > 6 else "")
    return f"{len(operands)} operand{'s' if len(operands) != 1 else ''} ({kinds})"
