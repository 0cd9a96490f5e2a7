"""Content preflight checks: DeviceRGB anywhere, effective resolution of placed images, rich-black text.

Content streams are read with pikepdf's stream parser one instruction at a time (`read_instructions`, which the
colour conversion reads and rewrites them with too), within a `Budget` of operators and form invocations (a form
counted each time it is drawn), so a tiny hostile file cannot exhaust the machine; operands of the wrong number or
type, and objects of the wrong type, become findings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pikepdf

from issue_builder.base.bounded import Budget, OverBudget
from issue_builder.base.placed_size import placed_size
from issue_builder.base.preflight_report import PreflightSettings, Report

Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in page space
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)
_TEXT_OPS = {"Tj", "TJ", "'", '"'}
_PATH_OPS = {"m", "l", "c", "v", "y", "re"}  # path construction
_PAINT_OPS = {"n", "S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}  # a path ends (and a pending clip applies)
MAX_FORM_DEPTH = 12  # forms inside forms read; deeper ones are not drawn by most renderers either
SAVE_DEPTH_LIMIT = 28  # q nesting allowed by ISO 32000-1, Annex C
SAVE_DEPTH_ERROR = 1000  # q nesting that makes renderers crawl (Ghostscript is quadratic in it)
MAX_OPERANDS = 64  # operands kept for one operator: none takes more (a TJ array is one operand)
MAX_SPACE_DEPTH = 8  # colour spaces based on colour spaces (Indexed over Separation over ...)


@dataclass(frozen=True)
class ImagePlacement:
    """An image drawn on a page: its bounding box in page space (the whole picture as scaled, cropped or not), the
    part the page shows (inside its clipping paths and the page's bleed box), and its effective resolution."""

    page: int
    width_px: int
    height_px: int
    bbox: Rect
    ppi: float
    objgen: tuple[int, int] = (0, 0)
    frame: Rect | None = None  # what the page shows of it, bleed included (None: nothing)
    trimmed: Rect | None = None  # what of that is inside the trim
    matrix: Matrix = IDENTITY  # the transformation it is drawn with (its unit square to page space)
    tiled: bool = False  # drawn in a tiling pattern: repeated where the pattern paints, beyond `frame`

    def size(self) -> str:
        """Its size as every message states it (see `placed_size`)."""
        return placed_size(_inches(self.frame or self.bbox), _inches(self.trimmed), _inches(self.bbox))


def _inches(rect: Rect | None) -> tuple[float, float] | None:
    return None if rect is None else ((rect[2] - rect[0]) / 72, (rect[3] - rect[1]) / 72)


def _intersect(a: Rect | None, b: Rect | None) -> Rect | None:
    """The overlap of `a` with `b` (None when they do not meet, or when `a` is None); a `b` of None limits nothing."""
    if a is None or b is None:
        return a
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _bounds(points: list[tuple[float, float]]) -> Rect:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _box(page, key: str, fallback: Rect | None) -> Rect | None:
    """A page box (/TrimBox, /BleedBox...) as a rectangle; `fallback` when absent or malformed."""
    value = numbers(page.get(key), 4) if isinstance(page.get(key), pikepdf.Array) else None
    return fallback if value is None else _bounds([(value[0], value[1]), (value[2], value[3])])


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """The matrix m then n (PDF's row-vector convention)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """The point (x, y) through m."""
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


# A TJ array as qpdf writes it out, holding only strings and numbers (as WeasyPrint writes them); possessive, so
# that an array that does not match fails at once
_PLAIN_SHOW = re.compile(
    rb"\[(?:\s++(?:<(?:[0-9A-Fa-f]{2})*+>|\((?:[^\\()]|\\.)*+\)|[-+]?+(?:\d++\.?+\d*+|\.\d++)))*+\s*+\]", re.S
)
_SHOWN_ITEM = re.compile(rb"<(?:[0-9A-Fa-f]{2})*>|\((?:[^\\()]|\\.)*\)|[-+]?(?:\d+\.?\d*|\.\d+)", re.S)
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n|\r|\n)|(.))", re.S)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def shown_strings(array: pikepdf.Array) -> list[tuple[int, bytes]]:
    """The strings a TJ array shows, with their places in it: (index in the array, bytes), empty ones left out.

    Read from the array written out whole when it holds nothing but strings and numbers: taking a long array item
    by item costs a Python object each (a page of text has thousands); any other array so."""
    written = array.unparse()
    if not _PLAIN_SHOW.fullmatch(written):
        return [(at, bytes(item)) for at, item in enumerate(array) if isinstance(item, pikepdf.String) and bytes(item)]
    found = []
    for at, item in enumerate(_SHOWN_ITEM.findall(written)):
        if item[0] == 0x3C:  # <hex>
            data = bytes.fromhex(item[1:-1].decode())
        elif item[0] == 0x28:  # (literal)
            data = _ESCAPE.sub(_unescape, item[1:-1]) if b"\\" in item else item[1:-1]
        else:
            continue
        if data:
            found.append((at, data))
    return found


def _unescape(match: re.Match) -> bytes:
    """A literal string's escape as the byte it stands for (ISO 32000-1, 7.3.4.2)."""
    octal, line_end, char = match.groups()
    if octal:
        return bytes([int(octal, 8) & 0xFF])
    return b"" if line_end else _ESCAPED.get(char, char)


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


@dataclass(frozen=True)
class InlineImage:
    """An inline image (BI ... ID ... EI) as its content stream holds it."""

    tokens: tuple  # the keys and values of its dictionary, as written
    data: pikepdf.Object | None  # its samples, between ID and EI

    @property
    def details(self) -> dict:
        """Its dictionary by key name (names only: a malformed key is left out)."""
        pairs = self.tokens
        return {str(k): v for k, v in zip(pairs[::2], pairs[1::2], strict=False) if isinstance(k, pikepdf.Name)}

    def instruction(self) -> pikepdf.ContentStreamInlineImage:
        """The inline image as an instruction to write back into a content stream."""
        tokens = pikepdf.ContentStreamInstruction(list(self.tokens), pikepdf.Operator("ID")).operands  # pikepdf's list
        return pikepdf.ContentStreamInlineImage(pikepdf.PdfInlineImage(image_data=self.data, image_object=tokens))


def read_instructions(owner, budget: Budget, handle: Callable[[list, str], None], rewrite: bool = False) -> None:
    """Pass each instruction of a page's or a stream's content to `handle(operands, operator)`, one at a time.

    An inline image arrives as operator "BI" with an `InlineImage` as its one operand. At most MAX_OPERANDS operands
    are kept of an instruction unless `rewrite` is set, for a caller that writes the instructions back. Raises
    OverBudget past the budget, pikepdf.PdfError or TypeError when the content cannot be read.
    """
    parser = _Instructions(budget, handle, None if rewrite else MAX_OPERANDS)
    if isinstance(owner, pikepdf.Stream):
        pikepdf.Object._parse_stream(owner, parser)  # what pikepdf.parse_content_stream uses, one object at a time
        return
    if not isinstance(owner, pikepdf.Dictionary):
        raise TypeError(f"content expected in a stream, found {type(owner).__name__}")
    if not all(isinstance(part, pikepdf.Stream) for part in content_parts(owner)):
        raise TypeError("the page's /Contents is not a stream or an array of streams")
    pikepdf.Page(owner).parse_contents(parser)


def content_parts(page: pikepdf.Dictionary) -> list:
    """The parts of a page's /Contents as written (streams, unless the file is damaged); none when it has none."""
    contents = page.get("/Contents")
    return [] if contents is None else list(contents) if isinstance(contents, pikepdf.Array) else [contents]


class _Instructions(pikepdf.StreamParser):
    """Groups the parser's objects into instructions and counts them against the budget."""

    def __init__(self, budget: Budget, handle: Callable[[list, str], None], keep: int | None):
        super().__init__()
        self.budget, self.handle, self.keep = budget, handle, keep
        self.operands: list = []
        self.inline: list | None = None  # the dictionary entries of an inline image, between BI and EI

    def handle_object(self, obj, offset: int, length: int) -> None:
        if not isinstance(obj, pikepdf.Operator):
            self.budget.operand()
            if self.keep is None or len(self.operands) < self.keep:
                self.operands.append(obj)
            return
        self.budget.operator()
        op, operands, self.operands = str(obj), self.operands, []
        # grouped as pikepdf.parse_content_stream groups them, so that what is written back is what pikepdf writes
        if op == "BI":
            self.inline = []
        elif self.inline is None:
            self.handle(operands, op)
        elif op == "ID":
            self.inline = operands
        elif op == "EI":
            image = InlineImage(tuple(self.inline), operands[0] if operands else None)
            self.inline = None
            self.handle([image], "BI")

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
            report.add(
                "complexity",
                "error",
                f"reading stopped at this page: the file asks for {exc}; too complex to check or print safely",
                number,
                page_sources.get(number),
            )
            placements += walker.placements
            break
        placements += walker.placements
    for placed in placements:
        source = image_sources.get((placed.page, placed.width_px, placed.height_px)) or page_sources.get(placed.page)
        text = f"image {placed.width_px} x {placed.height_px} px {placed.size()}: {placed.ppi:.0f} ppi"
        if placed.ppi < settings.min_ppi:
            report.add("image-resolution", "error", f"{text} (minimum {settings.min_ppi})", placed.page, source)
        elif placed.ppi < settings.warn_ppi:
            report.add("image-resolution", "warning", f"{text} (below {settings.warn_ppi})", placed.page, source)
    return placements


def image_placements(
    pdf: pikepdf.Pdf, budget: Budget | None = None, masking: set[tuple[int, int]] | None = None
) -> list[ImagePlacement]:
    """Where every image XObject is drawn, on every page (no findings are kept); OverBudget past the budget. The
    images drawn inside soft masks, which are not placed, are added to `masking`."""
    scratch = Report(None, len(pdf.pages))
    budget = budget or Budget()
    placements = []
    for number, page in enumerate(pdf.pages, start=1):
        walker = _Walker(number, scratch, None, budget)
        walker.page(page.obj, annotations=False)
        placements += walker.placements
        if masking is not None:
            masking |= walker.masking
    return placements


def measure_drawing(pdf: pikepdf.Pdf, budget: Budget | None = None) -> None:
    """Read every page and annotation appearance within the budget, as a renderer would draw them.

    Raises OverBudget past the budget, or when a form draws itself (a renderer would draw it until its own
    nesting limit, as many times over as the form draws itself at each level).
    """
    scratch = Report(None, len(pdf.pages))
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
        self.masking: set[tuple[int, int]] = set()  # images drawn inside soft masks
        self.tiling = 0  # tiling patterns being read
        self.self_drawing: list[str] = []
        self._said: set[str] = set()
        self._rich_black_said = False
        self._active: list[tuple[int, int]] = []  # the streams being read, outermost first
        self._resources: dict[tuple, tuple[dict, dict, dict]] = {}  # what each resource dictionary provides
        self._forms: dict[tuple[int, int], Matrix] = {}  # each form's matrix, its group checked
        self.sheet: Rect | None = None  # what the page shows: its bleed box (or crop box, or media box)
        self.trim: Rect | None = None

    def rgb(self, what: str) -> None:
        self.finding("device-rgb", f"DeviceRGB: {what}")

    def finding(self, check: str, message: str, severity: str = "error") -> None:
        """Add a finding about this page, once."""
        if message not in self._said:
            self._said.add(message)
            self.report.add(check, severity, message, self.page_number, self.source)

    def malformed(self, what: str) -> None:
        self.finding("structure", f"malformed content: {what}")

    def page(self, page: pikepdf.Dictionary, annotations: bool) -> None:
        """Read a page's content, its group and (when asked) its annotations' appearances."""
        self.sheet = _box(page, "/BleedBox", _box(page, "/CropBox", _box(page, "/MediaBox", None)))
        self.trim = _box(page, "/TrimBox", self.sheet)
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

    def walk(
        self, owner, resources, ctm: Matrix, depth: int, collect: bool = True, name: str = "", clip: Rect | None = None
    ) -> None:
        """Scan one content stream; `collect` is False inside soft masks, whose images are not placed on the page;
        `clip` bounds what it can show (the clipping paths in force where a form is drawn)."""
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
            self._walk(owner, resources, ctm, depth, collect, clip)
        finally:
            if key is not None:
                self._active.pop()

    def _walk(self, owner, resources, ctm: Matrix, depth: int, collect: bool, clip: Rect | None) -> None:
        key = resources.objgen if isinstance(resources, pikepdf.Object) and resources.is_indirect else None
        key = key or (owner.objgen if isinstance(owner, pikepdf.Stream) else ("page",))
        if key not in self._resources:  # a form drawn many times has its resources looked through once
            self._resources[key] = self._look_through(resources, ctm, depth, collect)
        spaces, shadings, xobjects = self._resources[key]
        state = _State(ctm, clip)
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
                self.tiling += 1
                try:
                    self.walk(
                        pattern, pattern.get("/Resources"), multiply(matrix, ctm), depth + 1, collect, pattern_name
                    )
                finally:
                    self.tiling -= 1
        return spaces, shadings, entries(resources, "/XObject")

    def _do(self, operands: list, op: str, state: _State, spaces, shadings, xobjects, depth: int, collect: bool):
        """Follow one instruction: the graphics state it changes, the colours, images and forms it draws."""
        if op == "q":
            state.save()
        elif op == "Q":
            state.restore()
        elif op in _PATH_OPS:
            state.extend_path(op, operands)
        elif op in ("W", "W*"):
            state.clipping = True
        elif op in _PAINT_OPS:
            state.end_path()
        elif op == "cm":
            matrix = numbers(operands, 6)
            if matrix is None:
                self.malformed(f"cm takes six numbers, found {_describe(operands)}")
            else:
                state.ctm = multiply(tuple(matrix), state.ctm)
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
            details = operands[0].details
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
                self._xobject(name, xobjects.get(name), state.ctm, depth, collect, state.clip)

    def _xobject(self, name: str, xobject, ctm: Matrix, depth: int, collect: bool, clip: Rect | None) -> None:
        """Draw the XObject `name`: an image is placed, a form read."""
        if xobject is None:
            return
        if not isinstance(xobject, pikepdf.Stream):
            self.finding("structure", f"XObject {name} is not a stream")
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._image(xobject, name, ctm, collect, clip)
        elif subtype == "/Form":
            matrix = self._forms.get(xobject.objgen)
            if matrix is None:
                _check_groups(xobject, self)
                matrix = self._forms[xobject.objgen] = self._matrix(xobject, f"form {name}")
            self.walk(xobject, xobject.get("/Resources"), multiply(matrix, ctm), depth + 1, collect, name, clip)

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

    def _image(self, image: pikepdf.Stream, name: str, ctm: Matrix, collect: bool, clip: Rect | None) -> None:
        if _is_rgb(image.get("/ColorSpace")):
            self.rgb(f"image {name}")
        mask = image.get("/SMask")
        if isinstance(mask, pikepdf.Stream) and _is_rgb(mask.get("/ColorSpace")):
            self.rgb(f"soft mask of image {name}")
        width_pt = math.hypot(ctm[0], ctm[1])
        height_pt = math.hypot(ctm[2], ctm[3])
        if not collect:
            self.masking.add(image.objgen)
        if width_pt <= 0 or height_pt <= 0 or not math.isfinite(width_pt * height_pt) or not collect:
            return
        size = numbers([image.get("/Width", 0), image.get("/Height", 0)], 2)
        if size is None:
            self.finding("structure", f"image {name} has no numeric /Width and /Height")
            return
        w, h = int(size[0]), int(size[1])
        ppi = min(w / (width_pt / 72), h / (height_pt / 72))
        bbox = _bounds([apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))])
        frame = _intersect(_intersect(bbox, clip), self.sheet)
        trimmed = _intersect(frame, self.trim)
        self.placements.append(
            ImagePlacement(self.page_number, w, h, bbox, ppi, image.objgen, frame, trimmed, ctm, self.tiling > 0)
        )


class _State:
    """The graphics state the checks follow (transformation, clip as a bounding box, fill colour), with its stack of
    saves, and the bounds of the path being built."""

    def __init__(self, ctm: Matrix, clip: Rect | None = None):
        self.ctm, self.clip = ctm, clip
        self.fill_space, self.fill = pikepdf.Name.DeviceGray, [0]
        self.stack: list[tuple] = []
        self.depth = self.deepest = 0
        self.path: Rect | None = None  # in page space
        self.clipping = False  # W or W* seen: the path clips once it ends

    def extend_path(self, op: str, operands: list) -> None:
        """Add a path operator's points (a rectangle's corners) to the bounds of the path being built."""
        values = numbers(operands)
        if not values or len(values) % 2:
            return
        if op == "re" and len(values) == 4:
            x, y, w, h = values
            values = [x, y, x + w, y, x, y + h, x + w, y + h]
        points = [apply(self.ctm, values[i], values[i + 1]) for i in range(0, len(values), 2)]
        self.path = _bounds(points + ([] if self.path is None else [self.path[:2], self.path[2:]]))

    def end_path(self) -> None:
        """A path painted or ended: its bounds clip what follows when W or W* came before."""
        if self.clipping:
            path = self.path or (0.0, 0.0, 0.0, 0.0)
            self.clip = _intersect(path, self.clip) if self.clip is not None else path
        self.path, self.clipping = None, False

    def save(self) -> None:
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        if self.depth <= SAVE_DEPTH_ERROR:  # deeper saves are counted, not kept: a million `q` stays small
            self.stack.append((self.ctm, self.clip, self.fill_space, self.fill))

    def restore(self) -> None:
        if self.depth <= 0:
            return
        if self.depth <= SAVE_DEPTH_ERROR:
            self.ctm, self.clip, self.fill_space, self.fill = self.stack.pop()
        self.depth -= 1


def _describe(operands: list) -> str:
    """Operands as a finding names them: how many, and of which types."""
    if not operands:
        return "no operands"
    kinds = ", ".join(type(v).__name__ for v in operands[:6]) + (", ..." if len(operands) > 6 else "")
    return f"{len(operands)} operand{'s' if len(operands) != 1 else ''} ({kinds})"


def replace_content(pdf: pikepdf.Pdf, owner, instructions: list) -> bytes:
    """Write `instructions` as the content of `owner`: a form or pattern stream, or a page (a new stream); returns
    the content as written."""
    data = pikepdf.unparse_content_stream(instructions)
    write_content(pdf, owner, data)
    return data


def write_content(pdf: pikepdf.Pdf, owner, data: bytes) -> None:
    """Write `data` as the content of `owner`, as `replace_content` writes it."""
    if isinstance(owner, pikepdf.Stream):
        owner.write(data)
    else:
        owner.Contents = pdf.make_stream(data)
