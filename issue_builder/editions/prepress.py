"""Press inks in the print edition's content: black text and thin black rules overprint, large black areas get a
rich black, small coloured text keeps to one ink.

`InkFollower` follows a content stream's graphics state as far as these rules need it (colours, overprint, the
transformation, the clip, the path being built, the text size); `apply_press_inks` rewrites the print edition with
it, and the preflight checks any file with it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pikepdf

from issue_builder.base.bounded import Budget, OverBudget
from issue_builder.base.diagnostics import RenderError
from issue_builder.base.kept_bytes import KeptBytes
from issue_builder.base.pdf_content import (
    Matrix,
    apply,
    entries,
    multiply,
    numbers,
    read_instructions,
    replace_content,
    write_content,
)
from issue_builder.editions.colours import Conversion, Converter, Recolour
from issue_builder.editions.pressed import Path, PressedPage, owner_at, pressed_key

SMALL_TEXT = 8.0  # pt: text smaller than this keeps to one ink, as the slightest misregistration blurs it
THIN_RULE = 2.0  # pt: black rules and strokes at most this thick overprint
SOLID_SIDE = 18.0  # pt: a black area at least this wide both ways ...
SOLID_AREA = 72.0 * 72.0  # pt² ... and of at least a square inch prints as rich black
BLACK_K = 0.995  # K at least this, and no other ink, is 100 % K black
INK = 0.005  # an ink below this is not printed
RICH_BLACK = (40.0, 30.0, 30.0, 100.0)  # percent: the default rich black
MAX_NESTING = 100
Box = tuple[float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

FILL_PAINT = {"f", "F", "f*", "B", "B*", "b", "b*"}
STROKE_PAINT = {"S", "s", "B", "B*", "b", "b*"}
PAINT = FILL_PAINT | STROKE_PAINT | {"n"}
PATH = {"m", "l", "c", "v", "y", "h", "re"}
SHOW_TEXT = {"Tj", "TJ", "'", '"'}
FILL_MODES, STROKE_MODES = {0, 2, 4, 6}, {1, 2, 5, 6}
_DEVICE_OPS = {"k": ("cmyk", "fill"), "K": ("cmyk", "stroke"), "g": ("gray", "fill"), "G": ("gray", "stroke")}


def rich_black(percent: tuple[float, ...] | list[float], max_ink: float) -> tuple[float, float, float, float]:
    """The rich black (0-1) of `percent` (C, M, Y, K), its C, M and Y scaled down to keep within `max_ink`."""
    c, m, y, k = (float(v) for v in percent)
    if c + m + y + k > max_ink and c + m + y > 0:
        scale = max(max_ink - k, 0.0) / (c + m + y)
        c, m, y = c * scale, m * scale, y * scale
    return tuple(round(v / 100, 4) for v in (c, m, y, k))


@dataclass(frozen=True)
class Colour:
    """A fill or stroke colour as far as the rules need it: `space` is cmyk, gray, other or unknown (inherited)."""

    space: str = "gray"
    values: tuple[float, ...] = (0.0,)
    set_by: tuple = ()  # the instructions that set it, to set it again after a change (device colours only)

    @property
    def cmyk(self) -> tuple[float, float, float, float] | None:
        """The colour as C, M, Y, K (0-1) when it is a device colour."""
        if self.space == "cmyk" and len(self.values) == 4:
            return tuple(self.values)
        if self.space == "gray" and len(self.values) == 1:
            return (0.0, 0.0, 0.0, round(1.0 - self.values[0], 4))
        return None

    @property
    def black(self) -> bool:
        """100 % K and no other ink."""
        cmyk = self.cmyk
        return cmyk is not None and cmyk[3] >= BLACK_K and max(cmyk[:3]) < INK

    @property
    def white(self) -> bool:
        """No ink at all: the paper."""
        cmyk = self.cmyk
        return cmyk is not None and max(cmyk) < INK

    @property
    def inks(self) -> int:
        """How many inks the colour prints with (0 when it is not a device colour)."""
        cmyk = self.cmyk
        return 0 if cmyk is None else sum(v >= INK for v in cmyk)


def one_ink(cmyk: tuple[float, ...]) -> tuple[float, float, float, float]:
    """The colour in its strongest ink alone (0/95/90/0 red: 0/95/0/0)."""
    strongest = max(range(4), key=lambda i: (cmyk[i], -i))
    return tuple(cmyk[i] if i == strongest else 0.0 for i in range(4))


@dataclass
class GState:
    """The part of the graphics state the rules follow."""

    ctm: Matrix = IDENTITY
    clip: Box | None = None  # bounding box of the clip in page space; None: the whole page
    fill: Colour = Colour()
    stroke: Colour = Colour()
    line_width: float = 1.0
    font_size: float = 0.0
    render_mode: int = 0
    overprint_fill: bool = False
    overprint_stroke: bool = False
    overprint_mode: int = 0


def _bbox(points: list[tuple[float, float]]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _intersect(box: Box, clip: Box | None) -> Box | None:
    if clip is None:
        return box
    x0, y0, x1, y1 = max(box[0], clip[0]), max(box[1], clip[1]), min(box[2], clip[2]), min(box[3], clip[3])
    return (x0, y0, x1, y1) if x0 <= x1 and y0 <= y1 else None


def _narrow(box: Box) -> float:
    return min(box[2] - box[0], box[3] - box[1])


class InkFollower:
    """Follows one content stream's graphics state; subclasses act at each painting instruction."""

    def __init__(self, resources, state: GState, budget: Budget, depth: int = 0):
        self.resources = resources if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
        self.spaces = entries(self.resources, "/ColorSpace")
        self.gstates = entries(self.resources, "/ExtGState")
        self.xobjects = entries(self.resources, "/XObject")
        self.state, self.stack, self.budget, self.depth = state, [], budget, depth
        self.subpaths: list[tuple[list[tuple[float, float]], float | None]] = []  # points; narrow side of a re
        self.clipping = False
        self.text_matrix: Matrix = IDENTITY

    # what a subclass does at each painting instruction
    def paint_path(self, op: str) -> None: ...

    def show_text(self, op: str) -> None: ...

    def draw_form(self, name: str, form: pikepdf.Stream, state: GState) -> None: ...

    def paint_other(self, op: str) -> None: ...

    def follow(self, operands: list, op: str) -> None:
        """Take one instruction into the state."""
        s = self.state
        if op == "q":
            self.stack.append(dataclasses.replace(s))
        elif op == "Q":
            if self.stack:
                self.state = self.stack.pop()
        elif op == "cm":
            matrix = numbers(operands, 6)
            if matrix is not None:
                s.ctm = multiply(tuple(matrix), s.ctm)
        elif op in _DEVICE_OPS:
            space, which = _DEVICE_OPS[op]
            values = numbers(operands, 4 if space == "cmyk" else 1)
            colour = Colour(space, tuple(values), ((operands, op),)) if values is not None else Colour("other", ())
            setattr(s, which, colour)
        elif op in ("rg", "RG"):
            setattr(s, "fill" if op == "rg" else "stroke", Colour("other", ()))
        elif op in ("cs", "CS"):
            space = "other"
            if operands and isinstance(operands[-1], pikepdf.Name):
                resolved = self.spaces.get(str(operands[-1]), operands[-1])
                space = {"/DeviceCMYK": "cmyk", "/DeviceGray": "gray"}.get(str(resolved), "other")
            initial = {"cmyk": (0.0, 0.0, 0.0, 1.0), "gray": (0.0,)}.get(space, ())
            setattr(s, "fill" if op == "cs" else "stroke", Colour(space, initial))
        elif op in ("sc", "scn", "SC", "SCN"):
            which = "fill" if op in ("sc", "scn") else "stroke"
            current = getattr(s, which)
            values = numbers(operands)
            if current.space in ("cmyk", "gray") and values is not None and len(values) == len(current.values):
                setattr(s, which, Colour(current.space, tuple(values)))
            else:
                setattr(s, which, Colour("other", ()))
        elif op == "gs":
            self._gstate(operands)
        elif op == "w":
            width = numbers(operands, 1)
            if width is not None:
                s.line_width = width[0]
        elif op == "Tf":
            size = numbers(operands[-1:], 1)
            if size is not None:
                s.font_size = size[0]
        elif op == "Tr":
            mode = numbers(operands, 1)
            if mode is not None:
                s.render_mode = int(mode[0])
        elif op == "BT":
            self.text_matrix = IDENTITY
        elif op == "Tm":
            matrix = numbers(operands, 6)
            if matrix is not None:
                self.text_matrix = tuple(matrix)
        elif op in PATH:
            self._path(operands, op)
        elif op in ("W", "W*"):
            self.clipping = True
        elif op in PAINT:
            if op != "n":
                self.paint_path(op)
            if self.clipping:
                box = self.path_box(clipped=False)
                s.clip = _intersect(box, s.clip) if box is not None else s.clip
                self.clipping = False
            self.subpaths = []
        elif op in SHOW_TEXT:
            self.show_text(op)
        elif op in ("sh", "BI"):
            self.paint_other(op)
        elif op == "Do" and operands and isinstance(operands[-1], pikepdf.Name):
            xobject = self.xobjects.get(str(operands[-1]))
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                self.draw_form(str(operands[-1]), xobject, s)
            else:
                self.paint_other(op)

    def _gstate(self, operands: list) -> None:
        gstate = self.gstates.get(str(operands[-1])) if operands and isinstance(operands[-1], pikepdf.Name) else None
        if not isinstance(gstate, pikepdf.Dictionary):
            return
        s = self.state
        if "/OP" in gstate:
            s.overprint_stroke = s.overprint_fill = bool(gstate.OP)
        if "/op" in gstate:
            s.overprint_fill = bool(gstate.op)
        mode = numbers([gstate.get("/OPM", s.overprint_mode)], 1)
        if mode is not None:
            s.overprint_mode = int(mode[0])

    def _path(self, operands: list, op: str) -> None:
        ctm = self.state.ctm
        if op == "re":
            rect = numbers(operands, 4)
            if rect is None:
                return
            x, y, w, h = rect
            corners = [apply(ctm, x + dx, y + dy) for dx, dy in ((0, 0), (w, 0), (0, h), (w, h))]
            narrow = min(abs(w) * math.hypot(ctm[0], ctm[1]), abs(h) * math.hypot(ctm[2], ctm[3]))
            self.subpaths.append((corners, narrow))
        elif op == "m":
            point = numbers(operands, 2)
            if point is not None:
                self.subpaths.append(([apply(ctm, *point)], None))
        elif op != "h":
            values = numbers(operands)
            if values and len(values) % 2 == 0 and self.subpaths:
                points = [apply(ctm, values[i], values[i + 1]) for i in range(0, len(values), 2)]
                self.subpaths[-1][0].extend(points)

    def path_box(self, clipped: bool = True) -> Box | None:
        """The bounding box of the path being painted, within the clip when `clipped`."""
        points = [p for subpath, _ in self.subpaths for p in subpath]
        if not points:
            return None
        box = _bbox(points)
        return _intersect(box, self.state.clip) if clipped else box

    def thin_path(self) -> bool:
        """Whether the path paints a rule: no part of it wider than THIN_RULE (rings of two rectangles included)."""
        box = self.path_box()
        if box is None:
            return False
        if _narrow(box) <= THIN_RULE:
            return True
        parts = [_intersect(_bbox(points), self.state.clip) for points, _ in self.subpaths]
        if all(p is None or _narrow(p) <= THIN_RULE for p in parts):
            return True
        if len(self.subpaths) == 2 and all(narrow is not None for _, narrow in self.subpaths):
            outer, inner = (_bbox(points) for points, _ in self.subpaths)
            return max(abs(a - b) for a, b in zip(outer, inner, strict=True)) <= THIN_RULE
        return False

    def solid_path(self) -> bool:
        """Whether the path paints one large area (at least SOLID_SIDE both ways and SOLID_AREA)."""
        box = self.path_box()
        if len(self.subpaths) != 1 or box is None:
            return False
        narrow = self.subpaths[0][1]
        if narrow is not None and narrow < SOLID_SIDE:
            return False
        return _narrow(box) >= SOLID_SIDE and (box[2] - box[0]) * (box[3] - box[1]) >= SOLID_AREA

    def text_size(self) -> float:
        """The height of the text being shown on the page, in points."""
        t, m = self.text_matrix, self.state.ctm
        x, y = self.state.font_size * t[2], self.state.font_size * t[3]
        return math.hypot(x * m[0] + y * m[2], x * m[1] + y * m[3])

    def thin_stroke(self) -> bool:
        m = self.state.ctm
        return self.state.line_width * math.sqrt(abs(m[0] * m[3] - m[1] * m[2])) <= THIN_RULE

    def uses_fill(self) -> bool:
        return self.state.render_mode in FILL_MODES

    def uses_stroke(self) -> bool:
        return self.state.render_mode in STROKE_MODES

    def read(self, owner) -> None:
        """Follow every instruction of `owner` (a page or a form)."""
        read_instructions(owner, self.budget, self.follow)


@dataclass(frozen=True)
class PressInks:
    """What the print edition's inks follow: overprint of black on or off, the rich black (0-1) or None."""

    overprint: bool = True
    rich_black: tuple[float, float, float, float] | None = None


class _Rewrite(InkFollower):
    """One content stream rewritten: overprint switched around black, rich black and one-ink text swapped in."""

    def __init__(self, pass_: _PressPass, owner, state: GState, depth: int, path: Path):
        super().__init__(owner.get("/Resources"), state, pass_.budget, depth)
        self.pass_, self.owner, self.path = pass_, owner, path
        self.out: list = []
        self.path_start: int | None = None
        self.after: list = []  # instructions to add after the current one
        self.changed = False

    def instruction(self, operands: list, op: str) -> None:
        if op == "BI":
            self.paint_other(op)
            self.out.append(operands[0].instruction())
            return
        if op in PATH and self.path_start is None:
            self.path_start = len(self.out)
        self.after = []
        self.follow(operands, op)
        self.out.append((operands, pikepdf.Operator(op)))
        self.out.extend(self.after)
        if op in PAINT:
            self.path_start = None

    def _insert(self, at: int | None, instructions: list) -> None:
        at = len(self.out) if at is None else at
        self.out[at:at] = instructions
        self.changed = True

    def _overprint(self, fill: bool | None, stroke: bool | None) -> list:
        """The `gs` that sets overprint as wanted (None: leave it), or nothing when it is already so."""
        s = self.state
        fill = s.overprint_fill if fill is None else fill
        stroke = s.overprint_stroke if stroke is None else stroke
        if (fill, stroke) == (s.overprint_fill, s.overprint_stroke) and (s.overprint_mode == 1 or not fill | stroke):
            return []
        s.overprint_fill, s.overprint_stroke, s.overprint_mode = fill, stroke, 1
        return [([self.pass_.gstate_name(self.resources_for_write(), fill, stroke, self.path)], pikepdf.Operator("gs"))]

    def resources_for_write(self) -> pikepdf.Dictionary:
        if "/Resources" not in self.owner:
            self.owner.Resources = pikepdf.Dictionary()
        return self.owner.Resources

    def paint_path(self, op: str) -> None:
        s, inks = self.state, self.pass_.inks
        fill, stroke = op in FILL_PAINT, op in STROKE_PAINT
        before, after = [], []
        wants_fill = fill and inks.overprint and s.fill.black and self.thin_path()
        if fill and s.fill.black and inks.rich_black is not None and s.fill.set_by and self.solid_path():
            before.append(([Decimal(f"{v:.4f}") for v in inks.rich_black], pikepdf.Operator("k")))
            after = [(list(o), pikepdf.Operator(p)) for o, p in s.fill.set_by]
        wants_stroke = stroke and inks.overprint and s.stroke.black and self.thin_stroke()
        gs = self._overprint(wants_fill if fill else None, wants_stroke if stroke else None)
        if gs or before:
            self._insert(self.path_start, gs + before)
        if after:
            self.after.extend(after)
            self.changed = True

    def show_text(self, op: str) -> None:
        s, inks = self.state, self.pass_.inks
        before, fill_black = [], s.fill.black
        if self.uses_fill() and s.fill.inks > 1 and s.fill.set_by and self.text_size() < SMALL_TEXT:
            ink = one_ink(s.fill.cmyk)
            fill_black = Colour("cmyk", ink).black
            before.append(([Decimal(f"{v:.4f}") for v in ink], pikepdf.Operator("k")))
            self.after.extend((list(o), pikepdf.Operator(p)) for o, p in s.fill.set_by)
        fill = inks.overprint and self.uses_fill() and fill_black
        stroke = inks.overprint and self.uses_stroke() and s.stroke.black
        gs = self._overprint(fill if self.uses_fill() else None, stroke if self.uses_stroke() else None)
        if gs or before:
            self._insert(None, gs + before)

    def paint_other(self, op: str) -> None:
        gs = self._overprint(False, False) if self.state.overprint_fill or self.state.overprint_stroke else []
        if gs:
            self._insert(None, gs)

    def draw_form(self, name: str, form: pikepdf.Stream, state: GState) -> None:
        self.paint_other("Do")
        matrix = numbers(form.get("/Matrix", list(IDENTITY)), 6)
        inner = dataclasses.replace(
            state,
            ctm=multiply(tuple(matrix), state.ctm) if matrix else state.ctm,
            fill=dataclasses.replace(state.fill, set_by=()),
            stroke=dataclasses.replace(state.stroke, set_by=()),
        )
        self.pass_.stream(form, inner, self.depth + 1, path=(*self.path, name))


class _PressPass:
    """One file's pass: the overprint states it added, the forms it rewrote, its budget."""

    def __init__(self, pdf: pikepdf.Pdf, inks: PressInks, budget: Budget):
        self.pdf, self.inks, self.budget = pdf, inks, budget
        self.done: set[tuple[int, int]] = set()
        self.states: dict[tuple[bool, bool], pikepdf.Object] = {}
        self.record: PressedPage | None = None  # what pressing the current page does, to keep
        self.pressed: dict[tuple[int, int], Path] = {}  # the forms the current page pressed, at the path it did

    def page(self, page: pikepdf.Dictionary, recolour: Recolour, kept: KeptBytes | None, key: str | None) -> None:
        """Press one page (and the forms it draws first), or do what its record in `kept` says it did."""
        if key is None or kept is None:
            self.stream(page, GState(), 0, recolour)
            return
        found = kept.get(key)
        if found is not None and self.replay(page, PressedPage.decoded(found)):
            return
        before = self.budget.counted()
        self.record, self.pressed = PressedPage(), {}
        try:
            self.stream(page, GState(), 0, recolour)
            self.record.counts = tuple(b - a for a, b in zip(before, self.budget.counted(), strict=True))
            if self.record.sound and PressedPage.decoded(stored := self.record.encoded()) is not None:
                kept.keep(key, stored)  # not one too large to be read back
        finally:
            self.record = None

    def replay(self, page: pikepdf.Dictionary, record: PressedPage | None) -> bool:
        """Do what `record` says pressing `page` did, when it still can be done as it says: every form it names
        there and not pressed yet, and its reading within the budget. False, doing nothing, when not."""
        if record is None:
            return False
        owners = [owner_at(page, path) for path, _ in record.contents]
        forms = {owner.objgen for owner in owners if isinstance(owner, pikepdf.Stream)}
        if any(owner is None for owner in owners) or forms & self.done or len(forms) != len(owners) - 1:
            return False
        if [path for path, _ in record.contents].count(()) != 1:
            return False
        for path, first in record.aliases:  # one form under two names then: one form under both now
            alias, pressed = owner_at(page, path), owner_at(page, first)
            if not (isinstance(alias, pikepdf.Stream) and isinstance(pressed, pikepdf.Stream)):
                return False
            if alias.objgen != pressed.objgen or alias.objgen not in forms:
                return False
        holders = [owner_at(page, path) for path, _, _ in record.states]
        if any(holder is None for holder in holders) or not self.budget.take(record.counts):
            return False
        self.done |= forms
        for owner, (_, data) in zip(owners, record.contents, strict=True):
            if data is not None:
                write_content(self.pdf, owner, data)
        for holder, (_, fill, stroke) in zip(holders, record.states, strict=True):
            if "/Resources" not in holder:
                holder.Resources = pikepdf.Dictionary()
            self.gstate_name(holder.Resources, fill, stroke)
        return True

    def gstate_name(self, resources: pikepdf.Dictionary, fill: bool, stroke: bool, path: Path = ()) -> pikepdf.Name:
        """The name of the overprint state (fill, stroke) in `resources` (of the page or the form at `path`),
        added there if need be."""
        if self.record is not None and (path, fill, stroke) not in self.record.states:
            self.record.states.append((path, fill, stroke))
        name = pikepdf.Name(
            f"/IBOverprint{'F' if fill else ''}{'S' if stroke else ''}" if fill | stroke else "/IBKnockout"
        )
        if (fill, stroke) not in self.states:
            self.states[fill, stroke] = self.pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=stroke, op=fill, OPM=1)
            )
        if "/ExtGState" not in resources:
            resources.ExtGState = pikepdf.Dictionary()
        resources.ExtGState[name] = self.states[fill, stroke]
        return name

    def stream(self, owner, state: GState, depth: int, recolour: Recolour | None = None, path: Path = ()) -> None:
        """Rewrite the content of `owner` (the page, or the form at `path` from it); `recolour`, when given,
        converts each instruction's colours first."""
        if isinstance(owner, pikepdf.Stream):
            if owner.objgen in self.done:
                if self.record is not None and owner.objgen not in self.pressed:
                    self.record.sound = False  # an earlier page pressed it: this page's record would not hold it
                elif self.record is not None:  # the same form under another name: the record must say so, as the
                    self.record.aliases.append((path, self.pressed[owner.objgen]))  # page's digest cannot
                return
            if owner.objgen != (0, 0):
                self.done.add(owner.objgen)
            self.budget.form()
        if depth > MAX_NESTING:
            raise OverBudget(f"forms nested more than {MAX_NESTING} deep")
        rewrite = _Rewrite(self, owner, state, depth, path)
        handle = rewrite.instruction if recolour is None else _recoloured(recolour, rewrite.instruction)
        read_instructions(owner, self.budget, handle, rewrite=True)
        written = None
        if rewrite.changed or (recolour is not None and recolour.changed):
            written = replace_content(self.pdf, owner, rewrite.out)
        if self.record is not None:
            self.record.contents.append((path, written))
            if isinstance(owner, pikepdf.Stream):
                self.pressed[owner.objgen] = path


def _recoloured(recolour: Recolour, handle: Callable[[list, str], None]) -> Callable[[list, str], None]:
    """`handle` fed each instruction as `recolour` converts it."""

    def instruction(operands: list, op: str) -> None:
        recolour.instruction(operands, op)
        converted = recolour.out.pop()  # one instruction in, one out; its colour operator may be another
        if op == "BI":
            handle(operands, op)
        else:
            handle(converted[0], str(converted[1]))

    return instruction


def convert_and_press(pdf: pikepdf.Pdf, converter: Converter, inks: PressInks, kept: KeptBytes | None = None) -> None:
    """Convert every colour of `pdf` to the press's space and set its inks (`apply_press_inks`) in one reading of
    each page's content: the pages' forms, images and patterns converted first, as `convert_pdf` converts them.
    With `kept`, a page that draws what a page drew in an earlier build is pressed as its record there says
    (editions/pressed.py), and every page's record is kept for the next."""
    conversion = Conversion(pdf, converter, Budget())
    press = _PressPass(pdf, inks, Budget())
    setting = json.dumps([converter.key, sorted(converter.declared.items()), dataclasses.astuple(inks)])
    try:
        for page in pdf.pages:
            recolour = conversion.recolouring(page.obj)
            conversion.page_resources(page.obj)
            key = None
            if kept is not None:  # the names it converts from: the resources name the converted spaces from now on
                key = pressed_key(pdf, page.obj, f"{setting}\0{sorted(map(str, recolour.source_names))}")
            press.page(page.obj, recolour, kept, key)
    except OverBudget as exc:
        raise RenderError(f"the layout is too complex to prepare for the press: it asks for {exc}") from None


def apply_press_inks(pdf: pikepdf.Pdf, inks: PressInks, budget: Budget | None = None) -> None:
    """Rewrite every page (and the forms it draws) of a CMYK print PDF so that its inks follow `inks`."""
    press = _PressPass(pdf, inks, budget or Budget())
    try:
        for page in pdf.pages:
            press.stream(page.obj, GState(), 0)
    except OverBudget as exc:
        raise RenderError(f"the layout is too complex to set its inks for the press: it asks for {exc}") from None
