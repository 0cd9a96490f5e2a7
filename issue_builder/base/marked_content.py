"""Marked content of PDF pages, read within a budget: each sequence's tag, MCID, text and painted box.

What the PDF/UA check and the web PDF's structure repair read from content streams: which marked-content
sequences a page holds (BMC/BDC ... EMC, with their MCID, ActualText and nesting), the text each shows (decoded
through the fonts' ToUnicode maps a string operand at a time, a font's short strings once; glyph by glyph, with
where each glyph sits in its operator's operands, only for the shows a caller asks that of), where
its text starts and how large it is, the box of what it paints (images and paths, inside the clipping path), and
what is painted outside any marked content. Instructions come one at a time (`feed`), from `read_page` (which
counts them against a `Budget`) or from an instruction list the caller edits afterwards.
"""

from __future__ import annotations

import bisect
import math
import re
import struct
from array import array
from dataclasses import dataclass, field
from functools import cached_property

import pikepdf

from issue_builder.base.bounded import Budget
from issue_builder.base.pdf_content import (
    MAX_FORM_DEPTH,
    Matrix,
    apply,
    entries,
    is_dict,
    multiply,
    numbers,
    read_instructions,
    shown_strings,
)

Box = tuple[float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_CMAP_BYTES = 1 << 20  # a ToUnicode map larger than this is not read (ours are a few kilobytes)
MAX_RANGE_ENTRIES = 1 << 12  # entries of one bfrange array read
MAX_CACHED_STRING = 64  # string operands up to this many bytes are decoded once per font (words and their pieces)
_TEXT_SHOWS = {"Tj", "TJ", "'", '"'}
_PATH_PAINTS = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}
_STANDARD_ENCODINGS = {"/WinAnsiEncoding": "cp1252", "/MacRomanEncoding": "mac_roman", "/StandardEncoding": "latin-1"}
_GLYPH_NAMES = {
    "space": " ",
    "period": ".",
    "comma": ",",
    "hyphen": "-",
    "colon": ":",
    "semicolon": ";",
    "quoteright": "\u2019",
    "quoteleft": "\u2018",
    "quotedblleft": "\u201c",
    "quotedblright": "\u201d",
    "parenleft": "(",
    "parenright": ")",
    "slash": "/",
    "exclam": "!",
    "question": "?",
    **{name: str(digit) for digit, name in enumerate("zero one two three four five six seven eight nine".split())},
}


def box_of(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Box:
    """The bounding box, through m, of the rectangle with corners (x0, y0) and (x1, y1)."""
    points = [apply(m, x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    return (min(p[0] for p in points), min(p[1] for p in points), max(p[0] for p in points), max(p[1] for p in points))


def intersect(a: Box | None, b: Box | None) -> Box | None:
    """The overlap of two boxes (None stands for no limit); an empty overlap is a zero-size box."""
    if a is None:
        return b
    if b is None:
        return a
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, max(x0, x1), max(y0, y1))


def union(a: Box | None, b: Box | None) -> Box | None:
    """The box holding both (None stands for nothing)."""
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


@dataclass
class FontInfo:
    """A font as text extraction reads it: how its codes split and what Unicode each stands for."""

    name: str
    subtype: str
    embedded: bool
    codespace: list[tuple[int, int, int]]  # (bytes, lowest, highest) code
    chars: dict[int, str] = field(default_factory=dict)
    ranges: list[tuple[int, int, str]] = field(default_factory=list)  # (lowest, highest, Unicode of the lowest)
    encoding: str | None = None  # a Python codec standing for a simple font's standard encoding
    has_to_unicode: bool = False
    _decoded: dict[bytes, tuple[str, tuple[int, ...]]] = field(default_factory=dict, repr=False, compare=False)

    def decode(self, data: bytes) -> tuple[str, tuple[int, ...]]:
        """A string operand's text (U+FFFD for each code mapped to nothing) and the codes mapped to nothing."""
        found = self._decoded.get(data)
        if found is not None:
            return found
        texts, unmapped = [], []
        for code in self.codes(data):
            text = self.unicode(code)
            if text is None:
                unmapped.append(code)
            texts.append("\ufffd" if text is None else text)
        found = ("".join(texts), tuple(unmapped))
        if len(data) <= MAX_CACHED_STRING:
            self._decoded[data] = found
        return found

    def codes(self, data: bytes) -> list[int]:
        """The codes in a string operand, as `split` reads them."""
        size = self.fixed_size()
        if size == 1:
            return list(data)
        if size == 2:
            whole = len(data) - len(data) % 2
            codes = list(struct.unpack(f">{whole // 2}H", data[:whole]))
            return codes + [data[-1]] if whole < len(data) else codes
        return [code for code, _, _ in self.split(data)]

    def fixed_size(self) -> int | None:
        """The length of every code when the code space is one full range (Identity-H, a simple font)."""
        if len(self.codespace) == 1 and self.codespace[0][1] == 0:
            size = self.codespace[0][0]
            if self.codespace[0][2] == 256**size - 1:
                return size
        return None

    def unicode(self, code: int) -> str | None:
        """The text `code` stands for, or None when the font maps it to nothing."""
        if code in self.chars:
            return self.chars[code] or None
        at = bisect.bisect_right(self.ranges, (code, math.inf, "")) - 1
        if at >= 0:
            low, high, base = self.ranges[at]
            if low <= code <= high and base:
                return base[:-1] + chr(min(ord(base[-1]) + code - low, 0x10FFFF))
        if self.encoding is not None and code < 256:
            return bytes([code]).decode(self.encoding, errors="replace")
        return None

    def split(self, data: bytes) -> list[tuple[int, int, int]]:
        """The codes in a string operand: (code, start, end) with byte offsets."""
        size = self.fixed_size()
        if size is not None:  # every code the same length: no range to test
            whole = len(data) - len(data) % size
            codes = [(int.from_bytes(data[at : at + size], "big"), at, at + size) for at in range(0, whole, size)]
            if whole < len(data):
                codes.append((int.from_bytes(data[whole:], "big"), whole, len(data)))
            return codes
        codes, at = [], 0
        while at < len(data):
            for size, low, high in self.codespace:
                if at + size <= len(data) and low <= int.from_bytes(data[at : at + size], "big") <= high:
                    break
            else:
                size = self.codespace[0][0] if self.codespace else 1
            size = max(1, min(size, len(data) - at))
            codes.append((int.from_bytes(data[at : at + size], "big"), at, at + size))
            at += size
        return codes


def font_info(font) -> FontInfo:
    """Read a font dictionary (anything else gives a font that maps nothing)."""
    if not is_dict(font):
        return FontInfo("?", "?", False, [(1, 0, 255)])
    subtype = str(font.get("/Subtype", "?"))
    name = str(font.get("/BaseFont", "?")).lstrip("/")
    descriptor = font.get("/FontDescriptor")
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        descendant = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) else None
        descriptor = descendant.get("/FontDescriptor") if is_dict(descendant) else None
        encoding = font.get("/Encoding")
        codespace = _codespace(encoding) if isinstance(encoding, pikepdf.Stream) else [(2, 0, 0xFFFF)]
    else:
        codespace = [(1, 0, 0xFF)]
    embedded = subtype == "/Type3" or (
        is_dict(descriptor) and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    )
    info = FontInfo(name, subtype, embedded, codespace)
    to_unicode = font.get("/ToUnicode")
    if isinstance(to_unicode, pikepdf.Stream):
        info.has_to_unicode = True
        _read_to_unicode(to_unicode, info)
    if subtype in ("/Type1", "/TrueType", "/MMType1", "/Type3"):
        _read_simple_encoding(font, info)
    return info


def _stream_bytes(stream: pikepdf.Stream) -> bytes:
    length = stream.get("/Length")
    if isinstance(length, int) and length > MAX_CMAP_BYTES:
        return b""
    try:
        data = stream.read_bytes()
    except pikepdf.PdfError:
        return b""
    return data if len(data) <= MAX_CMAP_BYTES else b""


def _codespace(stream: pikepdf.Stream) -> list[tuple[int, int, int]]:
    ranges = []
    for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", _stream_bytes(stream), re.S):
        for low, high in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            ranges.append((len(low) // 2 or 1, int(low, 16), int(high, 16)))
    return sorted(ranges) or [(2, 0, 0xFFFF)]


def _hex_text(value: bytes) -> str:
    data = bytes.fromhex(value.decode("ascii")) if len(value) % 2 == 0 else b""
    return data.decode("utf-16-be", errors="replace")


def _read_to_unicode(stream: pikepdf.Stream, info: FontInfo) -> None:
    data = _stream_bytes(stream)
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for source, target in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            info.chars[int(source, 16)] = _hex_text(target)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, target in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]*>|\[[^\]]*\])", block
        ):
            low_code, high_code = int(low, 16), int(high, 16)
            if high_code < low_code:
                continue
            if target.startswith(b"["):
                for offset, each in enumerate(re.findall(rb"<([0-9a-fA-F]*)>", target)[:MAX_RANGE_ENTRIES]):
                    if low_code + offset <= high_code:
                        info.chars[low_code + offset] = _hex_text(each)
            else:
                info.ranges.append((low_code, high_code, _hex_text(target[1:-1])))
    if data:
        info.codespace = _codespace(stream) if b"begincodespacerange" in data else info.codespace
    info.ranges.sort()


def _read_simple_encoding(font, info: FontInfo) -> None:
    """A simple font's standard encoding stands for Unicode where no ToUnicode entry does."""
    encoding = font.get("/Encoding")
    differences = []
    if isinstance(encoding, pikepdf.Name):
        base = str(encoding)
    elif is_dict(encoding):
        base = str(encoding.get("/BaseEncoding", "/StandardEncoding"))
        differences = list(encoding.get("/Differences", []))
    else:
        base = "/StandardEncoding"
    flags = font.get("/FontDescriptor", {}).get("/Flags", 0) if is_dict(font.get("/FontDescriptor")) else 0
    symbolic = isinstance(flags, int) and flags & 4 and not flags & 32
    if base in _STANDARD_ENCODINGS and not symbolic and font.get("/Subtype") != "/Type3":
        info.encoding = _STANDARD_ENCODINGS[base]
    code = 0
    for item in differences[:256]:
        if isinstance(item, int):
            code = item
        elif isinstance(item, pikepdf.Name):
            text = _glyph_name_text(str(item)[1:])
            if code not in info.chars:
                info.chars[code] = text or ""
            code += 1


def _glyph_name_text(name: str) -> str | None:
    if len(name) == 1 and name.isalpha():
        return name
    if re.fullmatch(r"uni[0-9A-F]{4}", name):
        return chr(int(name[3:], 16))
    if re.fullmatch(r"u[0-9A-F]{4,6}", name):
        return chr(min(int(name[1:], 16), 0x10FFFF))
    return _GLYPH_NAMES.get(name)


@dataclass
class Glyph:
    """One code shown: its text, and where it sits in its operator's operands (for rewriting)."""

    code: int
    text: str | None  # None when the font maps it to nothing
    item: int  # index in the TJ array (0 for the other text operators)
    start: int  # byte offsets of the code within that string
    end: int


@dataclass
class Show:
    """One text-showing instruction: its strings, decoded as a whole; glyph by glyph only when asked.

    Its strings are kept joined in one `bytes` with their places in an array: a page shows thousands of strings (a
    TJ has one between each two kerned letters), and a reader of a whole issue holds every page's shows at once.
    """

    index: int  # position among the stream's instructions
    operator: str
    font: FontInfo | None
    data: bytes  # the strings' bytes, joined
    places: array  # for each string: its index in the TJ array (0 for the other text operators), its end in `data`
    text: str  # U+FFFD for each code mapped to nothing
    form: tuple[int, int] | None = None  # the form XObject whose stream holds it, when not the page's own

    @classmethod
    def of(cls, index: int, operator: str, font: FontInfo | None, strings: list[tuple[int, bytes]], text: str, form):
        """The show of `strings`: (index in the TJ array, or 0 for the other text operators; the bytes)."""
        places, end = [], 0
        for item, data in strings:
            end += len(data)
            places += (item, end)
        return cls(index, operator, font, b"".join(data for _, data in strings), array("I", places), text, form)

    @property
    def strings(self) -> list[tuple[int, bytes]]:
        """(index in the TJ array, or 0 for the other text operators; the bytes) of each string shown."""
        found, start = [], 0
        for at in range(0, len(self.places), 2):
            item, end = self.places[at], self.places[at + 1]
            found.append((item, self.data[start:end]))
            start = end
        return found

    @cached_property
    def glyphs(self) -> list[Glyph]:
        """Each code shown, with where it sits in the operands (for rewriting them)."""
        font, glyphs = self.font, []
        for item, data in self.strings:
            if font is None:
                glyphs += [Glyph(code, None, item, at, at + 1) for at, code in enumerate(data)]
            else:
                glyphs += [Glyph(code, font.unicode(code), item, start, end) for code, start, end in font.split(data)]
        return glyphs


@dataclass
class Sequence:
    """One marked-content sequence: BMC or BDC ... EMC."""

    tag: str
    mcid: int | None
    actual_text: str | None
    parent: Sequence | None
    start: int  # position of its BMC/BDC among the instructions
    form: tuple[int, int] | None = None  # the form XObject holding it, when not the page's own content
    end: int | None = None  # position of its EMC
    shows: list[Show] = field(default_factory=list)  # text shown directly in it, not in nested sequences
    items: list = field(default_factory=list)  # its shows and nested sequences, in order
    origin: tuple[float, float] | None = None  # where its first text starts, in page space
    size: float = 0.0  # the size of its first text in page space
    bbox: Box | None = None  # what it paints (images, paths, shadings), clipped, in page space
    in_tagged: bool = False  # inside a sequence with an MCID
    in_artifact: bool = False  # inside an Artifact

    @property
    def artifact(self) -> bool:
        return self.tag == "Artifact"

    @property
    def tagged_content(self) -> bool:
        """Whether what it shows is tagged: it, or a sequence around it, has an MCID."""
        return self.mcid is not None or self.in_tagged

    @property
    def artifact_content(self) -> bool:
        """Whether what it shows is an artifact: it, or a sequence around it, is an Artifact."""
        return self.artifact or self.in_artifact

    @property
    def text(self) -> str:
        """What it says: its shows' text, a nested sequence's ActualText in place of that sequence's glyphs."""
        return "".join(
            item.text if isinstance(item, Show) or item.actual_text is None else item.actual_text for item in self.items
        )


@dataclass
class PageContent:
    """What one page's content holds."""

    page: int  # 1-based
    sequences: list[Sequence] = field(default_factory=list)
    untagged: dict[str, int] = field(default_factory=dict)  # painting outside marked content: kind -> count
    artifact_in_tagged: list[Sequence] = field(default_factory=list)
    tagged_in_artifact: list[Sequence] = field(default_factory=list)
    unmapped: dict[str, set[int]] = field(default_factory=dict)  # font -> codes shown with no Unicode
    unembedded: set[str] = field(default_factory=set)  # fonts drawn without their program
    problems: list[str] = field(default_factory=list)  # malformed marked content

    def by_mcid(self) -> dict[int, Sequence]:
        """The page's own sequences by MCID (the first of each)."""
        found: dict[int, Sequence] = {}
        for sequence in self.sequences:
            if sequence.mcid is not None and sequence.form is None:
                found.setdefault(sequence.mcid, sequence)
        return found


class ContentReader:
    """Follows one content stream's instructions: marked content, text, the painted area."""

    def __init__(
        self,
        content: PageContent,
        resources,
        budget: Budget,
        ctm: Matrix = IDENTITY,
        fonts: dict | None = None,
        outer: Sequence | None = None,
        form: tuple[int, int] | None = None,
        depth: int = 0,
    ):
        self.content, self.budget, self.depth, self.form = content, budget, depth, form
        self.resources = resources if isinstance(resources, pikepdf.Dictionary) else pikepdf.Dictionary()
        self.fonts = {} if fonts is None else fonts  # by object id, shared between the streams of one file
        self.font_names = entries(self.resources, "/Font")
        self.ctm, self.clip = ctm, None
        self.stack: list[tuple[Matrix, Box | None]] = []
        self.outer = outer  # the sequence around the form being read, if any
        self.open: Sequence | None = outer
        self.font: FontInfo | None = None
        self.font_size, self.leading, self.render_mode = 0.0, 0.0, 0
        self.tm = self.tlm = IDENTITY
        self.path: Box | None = None
        self.pending_clip = False
        self.index = -1

    def feed(self, operands: list, op: str) -> None:
        """Follow one instruction (inline images come as operator "BI" with their dictionary)."""
        self.index += 1
        if op in ("BMC", "BDC"):
            self._begin(operands, op)
        elif op == "EMC":
            self._end()
        elif op == "q":
            self.stack.append((self.ctm, self.clip))
        elif op == "Q":
            if self.stack:
                self.ctm, self.clip = self.stack.pop()
        elif op == "cm":
            matrix = numbers(operands, 6)
            if matrix is not None:
                self.ctm = multiply(tuple(matrix), self.ctm)
        elif op in ("m", "l", "c", "v", "y", "re", "h"):
            self._path(operands, op)
        elif op in ("W", "W*"):
            self.pending_clip = True
        elif op == "n" or op in _PATH_PAINTS:
            if op != "n":
                self._paint("path", self.path)
            if self.pending_clip:
                self.clip = intersect(self.clip, self.path or (0.0, 0.0, 0.0, 0.0))
            self.path, self.pending_clip = None, False
        elif op == "sh":
            self._paint("shading", None)
        elif op == "BI":
            self._paint("image", box_of(self.ctm, 0, 0, 1, 1))
        elif op == "Do":
            self._xobject(operands)
        else:
            self._text(operands, op)

    def finish(self) -> None:
        """Close the stream: sequences left open are malformed."""
        while self.open is not None and self.open is not self.outer:
            self.content.problems.append(f"marked content {self.open.tag} is never closed (no EMC)")
            self.open.end = self.index
            self.open = self.open.parent

    def _begin(self, operands: list, op: str) -> None:
        tag = str(operands[0])[1:] if operands and isinstance(operands[0], pikepdf.Name) else "?"
        properties = operands[1] if op == "BDC" and len(operands) > 1 else None
        if isinstance(properties, pikepdf.Name):
            properties = entries(self.resources, "/Properties").get(str(properties))
        mcid = properties.get("/MCID") if is_dict(properties) else None
        actual = properties.get("/ActualText") if is_dict(properties) else None
        sequence = Sequence(
            tag,
            int(mcid) if isinstance(mcid, int) else None,
            str(actual) if isinstance(actual, pikepdf.String) else None,
            self.open,
            self.index,
            self.form,
        )
        if self.open is not None:
            sequence.in_tagged, sequence.in_artifact = self.open.tagged_content, self.open.artifact_content
            if sequence.artifact and sequence.in_tagged:
                self.content.artifact_in_tagged.append(sequence)
            if sequence.mcid is not None and sequence.in_artifact:
                self.content.tagged_in_artifact.append(sequence)
        self.content.sequences.append(sequence)
        if self.open is not None:
            self.open.items.append(sequence)
        self.open = sequence

    def _end(self) -> None:
        if self.open is None or self.open is self.outer:
            self.content.problems.append("EMC without a marked-content sequence to close")
            return
        self.open.end = self.index
        self.open = self.open.parent

    def _path(self, operands: list, op: str) -> None:
        values = numbers(operands) or []
        if op == "re" and len(values) == 4:
            x, y, w, h = values
            self.path = union(self.path, box_of(self.ctm, x, y, x + w, y + h))
            return
        for x, y in zip(values[::2], values[1::2], strict=False):
            px, py = apply(self.ctm, x, y)
            self.path = union(self.path, (px, py, px, py))

    def _paint(self, kind: str, area: Box | None) -> None:
        """Something is painted: it must be tagged or an artifact; it adds to its sequence's box."""
        sequence = self.open
        if sequence is None or not (sequence.tagged_content or sequence.artifact_content):
            self.content.untagged[kind] = self.content.untagged.get(kind, 0) + 1
        if sequence is not None and kind != "text":
            painted = self.clip if area is None else intersect(area, self.clip)
            sequence.bbox = union(sequence.bbox, painted)

    def _xobject(self, operands: list) -> None:
        name = str(operands[-1]) if operands and isinstance(operands[-1], pikepdf.Name) else None
        xobject = entries(self.resources, "/XObject").get(name) if name else None
        if not isinstance(xobject, pikepdf.Stream):
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._paint("image", box_of(self.ctm, 0, 0, 1, 1))
        elif subtype == "/Form" and self.depth < MAX_FORM_DEPTH:
            self.budget.form()
            matrix = numbers(xobject.get("/Matrix", pikepdf.Array([1, 0, 0, 1, 0, 0])), 6) or list(IDENTITY)
            reader = ContentReader(
                self.content,
                xobject.get("/Resources", self.resources),
                self.budget,
                multiply(tuple(matrix), self.ctm),
                self.fonts,
                self.open,
                xobject.objgen,
                self.depth + 1,
            )
            reader.clip = self.clip
            read_instructions(xobject, self.budget, reader.feed)
            reader.finish()

    def _text(self, operands: list, op: str) -> None:
        if op == "BT":
            self.tm = self.tlm = IDENTITY
        elif op == "Tf":
            name = str(operands[0]) if operands and isinstance(operands[0], pikepdf.Name) else None
            font = self.font_names.get(name) if name else None
            key = _font_key(font)
            if key not in self.fonts:
                self.fonts[key] = font_info(font)
            self.font = self.fonts[key]
            size = numbers(operands[1:2], 1)
            self.font_size = size[0] if size else 0.0
        elif op == "Tm":
            matrix = numbers(operands, 6)
            if matrix is not None:
                self.tm = self.tlm = tuple(matrix)
        elif op in ("Td", "TD"):
            move = numbers(operands, 2)
            if move is not None:
                if op == "TD":
                    self.leading = -move[1]
                self.tm = self.tlm = multiply((1, 0, 0, 1, move[0], move[1]), self.tlm)
        elif op == "TL":
            leading = numbers(operands, 1)
            self.leading = leading[0] if leading else self.leading
        elif op == "T*":
            self.tm = self.tlm = multiply((1, 0, 0, 1, 0, -self.leading), self.tlm)
        elif op == "Tr":
            mode = numbers(operands, 1)
            self.render_mode = int(mode[0]) if mode else 0
        elif op in _TEXT_SHOWS:
            if op in ("'", '"'):
                self.tm = self.tlm = multiply((1, 0, 0, 1, 0, -self.leading), self.tlm)
            self._show(operands, op)

    def _show(self, operands: list, op: str) -> None:
        font = self.font
        if op == "TJ":
            strings = shown_strings(operands[0]) if operands and isinstance(operands[0], pikepdf.Array) else []
        else:
            strings = [(0, bytes(part)) for part in operands[-1:] if isinstance(part, pikepdf.String) and bytes(part)]
        if not strings:
            return
        if font is None:
            text = "".join("\ufffd" * len(data) for _, data in strings)
        else:
            texts = []
            for _, data in strings:
                piece, unmapped = font.decode(data)
                texts.append(piece)
                if unmapped and self.render_mode != 3:
                    self.content.unmapped.setdefault(font.name, set()).update(unmapped)
            text = "".join(texts)
            if not font.embedded and self.render_mode != 3:
                self.content.unembedded.add(font.name)
        if self.render_mode != 3:
            self._paint("text", None)
        sequence = self.open
        if sequence is not None:
            if sequence.origin is None:
                matrix = multiply(self.tm, self.ctm)
                sequence.origin = apply(matrix, 0, 0)
                sequence.size = self.font_size * math.hypot(matrix[2], matrix[3])
            show = Show.of(self.index, op, font, strings, text, self.form)
            sequence.shows.append(show)
            sequence.items.append(show)


def _font_key(font) -> tuple:
    """What a font is known by in the readers' shared memo: its object, or a direct one by what it holds (a wrapper's
    id is reused once it is gone, by another page's font)."""
    if isinstance(font, pikepdf.Object):
        return ("object", font.objgen) if font.is_indirect else ("direct", font.unparse())
    return ("value", repr(font))


def read_page(page: pikepdf.Dictionary, number: int, budget: Budget, fonts: dict | None = None) -> PageContent:
    """Read a page's content (and the forms it draws) within `budget`; OverBudget past it.

    pikepdf.PdfError or TypeError when the content cannot be parsed at all.
    """
    content = PageContent(number)
    reader = ContentReader(content, page.get("/Resources"), budget, fonts=fonts)
    read_instructions(page, budget, reader.feed)
    reader.finish()
    return content


def read_instructions_list(
    page: pikepdf.Dictionary, instructions: list, number: int, fonts: dict | None = None
) -> PageContent:
    """Read a page from its parsed instructions (pikepdf.parse_content_stream), keeping their positions."""
    content = PageContent(number)
    budget = Budget()
    reader = ContentReader(content, page.get("/Resources"), budget, fonts=fonts)
    for instruction in instructions:
        budget.operator()
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            reader.feed([{}], "BI")
        else:
            reader.feed(list(instruction.operands), str(instruction.operator))
    reader.finish()
    return content
