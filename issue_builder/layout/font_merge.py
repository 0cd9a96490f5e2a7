"""One font program per face in a joined PDF: the sections' subsets of a face merged into one subset.

Each section's PDF embeds its own subset of every face it uses. WeasyPrint 70 names a face's font after a hash of
its Pango description (the same in every section) and keeps glyph ids when it subsets (a RETAIN_GIDS pass, then a
pass keeping ids 0..max), so the subsets of one face can be replaced by one subset of the original file cut to the
union of their glyph ids, made the way WeasyPrint makes it (the system HarfBuzz it loads, its flags), and every
content stream stays valid. Each section's font keeps its own widths (WeasyPrint rounds a glyph's width at the
size a document first sets it at: sections may differ by a unit) and shares the one program. A face whose subsets
break an assumption (another encoding, a glyph with two texts, no original file found, or an original that cut as
WeasyPrint cuts it does not give back what a section embedded: a variable or colour font WeasyPrint changed before
embedding it) is left as the sections embedded it: larger, never wrong.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import cffi
import pikepdf
from fontTools.ttLib import TTFont, TTLibError
from pikepdf import Array, Dictionary, Name

DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")
FIXED_PITCH = 1  # FontDescriptor Flags bit 1
_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})> <([0-9a-fA-F]*)>")
_CMAP_HEAD = (
    b"/CIDInit /ProcSet findresource begin",
    b"12 dict begin",
    b"begincmap",
    b"/CIDSystemInfo",
    b"<< /Registry (Adobe)",
    b"/Ordering (UCS)",
    b"/Supplement 0",
    b">> def",
    b"/CMapName /Adobe-Identity-UCS def",
    b"/CMapType 2 def",
    b"1 begincodespacerange",
    b"<0000> <ffff>",
    b"endcodespacerange",
)
_CMAP_TAIL = (b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end")


class Unmergeable(Exception):
    """The subsets of one face break an assumption of the merge: they are left as they are."""


def postscript_name(data: bytes) -> str | None:
    """The PostScript name of a font program (a file or an embedded subset); None when it cannot be read."""
    try:
        name = TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(6)
    except (TTLibError, KeyError, AssertionError, ValueError, EOFError):
        return None
    return str(name) if name else None


def originals(files: Iterable[Path]) -> dict[str, Path]:
    """PostScript name -> font file, for the faces the layout may have used; a name two files share is left out
    (which of them WeasyPrint used cannot be told)."""
    found: dict[str, Path] = {}
    shared: set[str] = set()
    for path in sorted(set(files)):
        name = postscript_name(path.read_bytes())
        if name is None:
            continue
        if name in found and found[name].read_bytes() != path.read_bytes():
            shared.add(name)
        found.setdefault(name, path)
    return {name: path for name, path in found.items() if name not in shared}


_CDEF = """
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t; typedef uint32_t hb_codepoint_t; typedef uint32_t hb_tag_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
void hb_set_add_sorted_array(hb_set_t *set, const hb_codepoint_t *sorted_codepoints, unsigned int num_codepoints);
hb_tag_t hb_tag_from_string(const char *str, int len);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
NO_HINTING, RETAIN_GIDS, DESUBROUTINIZE, PASSTHROUGH_UNRECOGNIZED = 0x1, 0x2, 0x4, 0x20  # hb_subset_flags_t
MEMORY_MODE_DUPLICATE, SETS_DROP_TABLE_TAG = 0, 3
_HB: list = []  # (ffi, libharfbuzz, libharfbuzz-subset), opened on first use


def _harfbuzz() -> tuple:
    """The system HarfBuzz and its subsetter: the libraries WeasyPrint subsets with."""
    if not _HB:
        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        try:
            _HB.extend([ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")])
        except OSError as exc:
            raise Unmergeable(f"no HarfBuzz subsetter ({exc})") from None
    return tuple(_HB)


def subset(data: bytes, glyphs: set[int]) -> bytes:
    """`data` (a whole font file) cut to `glyphs`, glyph ids kept, exactly as WeasyPrint 70 subsets a face
    (pdf/fonts.py `_harfbuzz_subset`: two passes, no hinting; never for a face with missing glyphs)."""
    ffi, hb, hb_subset = _harfbuzz()
    blob = ffi.gc(hb.hb_blob_create(data, len(data), MEMORY_MODE_DUPLICATE, ffi.NULL, ffi.NULL), hb.hb_blob_destroy)
    face = ffi.gc(hb.hb_face_create(blob, 0), hb.hb_face_destroy)
    request = ffi.gc(hb_subset.hb_subset_input_create_or_fail(), hb_subset.hb_subset_input_destroy)
    if request == ffi.NULL:
        raise Unmergeable("HarfBuzz could not start a subset")

    def add(hb_set, values: list[int]) -> None:
        hb.hb_set_add_sorted_array(hb_set, ffi.new(f"hb_codepoint_t[{len(values)}]", values), len(values))

    add(hb_subset.hb_subset_input_glyph_set(request), sorted(glyphs))
    hb_subset.hb_subset_input_set_flags(request, RETAIN_GIDS | PASSTHROUGH_UNRECOGNIZED | DESUBROUTINIZE)
    tags = sorted(hb.hb_tag_from_string(tag, -1) for tag in DROP_TABLES)
    add(hb_subset.hb_subset_input_set(request, SETS_DROP_TABLE_TAG), tags)
    first = hb_subset.hb_subset_or_fail(face, request)
    if first == ffi.NULL:
        raise Unmergeable("HarfBuzz could not subset the font")
    first = ffi.gc(first, hb.hb_face_destroy)
    add(hb_subset.hb_subset_input_glyph_set(request), list(range(max(glyphs) + 1)))
    hb_subset.hb_subset_input_set_flags(request, PASSTHROUGH_UNRECOGNIZED | DESUBROUTINIZE | NO_HINTING)
    second = hb_subset.hb_subset_or_fail(first, request)
    if second == ffi.NULL:
        raise Unmergeable("HarfBuzz could not subset the font")
    second = ffi.gc(second, hb.hb_face_destroy)
    result = ffi.gc(hb.hb_face_reference_blob(second), hb.hb_blob_destroy)
    length = ffi.new("unsigned int *")
    pointer = hb.hb_blob_get_data(result, length)
    if not length[0]:
        raise Unmergeable("HarfBuzz could not subset the font")
    return bytes(ffi.buffer(pointer, length[0]))


def merge_fonts(pdf: pikepdf.Pdf, fonts: dict[str, Path]) -> list[str]:
    """Merge the subsets of each face in `pdf` (see the module's docstring); `fonts`: PostScript name -> original
    file (`originals`). Returns the BaseFont names left unmerged."""
    groups: dict[str, list[Dictionary]] = {}
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == Name.Font and obj.get("/Subtype") == Name.Type0:
            groups.setdefault(str(obj.BaseFont), []).append(obj)
    replace: dict[tuple[int, int], Dictionary] = {}
    unmerged = []
    for base, dicts in sorted(groups.items()):
        if len(dicts) < 2:
            continue
        try:
            replace.update(_merged(pdf, dicts, fonts))
        except Unmergeable:
            unmerged.append(base)
    if replace:
        _point_resources(pdf, replace)
    return unmerged


def _merged(pdf: pikepdf.Pdf, dicts: list[Dictionary], fonts: dict[str, Path]) -> dict[tuple[int, int], Dictionary]:
    """For each of the subsets `dicts` of one face, a Type0 font with that subset's own widths that embeds the one
    program cut to all their glyphs, by the subset's object id."""
    widths: dict[int, object] = {}
    texts: dict[int, bytes] = {}
    first = dicts[0]
    shape = _shape(first)
    for font in dicts:
        if _shape(font) != shape:
            raise Unmergeable("the subsets differ in kind")
        for gid, width in _widths(font.DescendantFonts[0].W).items():
            widths.setdefault(gid, width)
        for gid, text in _to_unicode(font).items():
            if texts.setdefault(gid, text) != text:
                raise Unmergeable(f"glyph {gid} has two texts")
    descendant = first.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    key = Name.FontFile3 if Name.FontFile3 in descriptor else Name.FontFile2
    embedded = descriptor[key].read_bytes()
    name = postscript_name(embedded)
    if name is None or name not in fonts or not widths:
        raise Unmergeable("no original file for the face")
    original = fonts[name].read_bytes()
    # the first section's subset cut again from the original must be the program it embedded: not so for a face
    # WeasyPrint changed before embedding it (a variable font set at an instance, a colour font), nor with another
    # HarfBuzz than the one it subset with
    if subset(original, set(_widths(descendant.W))) != embedded:
        raise Unmergeable("the original file cut as WeasyPrint cuts it is not the program it embedded")
    program = subset(original, set(widths))
    stream = pdf.make_stream(program)
    if key == Name.FontFile3:
        stream.Subtype = descriptor[key].Subtype
    else:
        stream.Length1 = len(program)
    new_descriptor = pdf.make_indirect(Dictionary(dict(descriptor.items())))
    new_descriptor[key] = stream
    bbox = list(descriptor.FontBBox)
    new_descriptor.FontBBox = Array([bbox[0], bbox[1], max(widths.values()), bbox[3]])
    flags = int(descriptor.Flags) & ~FIXED_PITCH
    if len(widths) > 1 and len(set(widths.values())) == 1:
        flags |= FIXED_PITCH
    new_descriptor.Flags = flags
    to_unicode = pdf.make_stream(_cmap(texts))
    merged = {}
    for font in dicts:  # each keeps the widths its section measured (they may differ by a unit of rounding)
        own = font.DescendantFonts[0]
        new_descendant = pdf.make_indirect(Dictionary(dict(own.items())))
        new_descendant.FontDescriptor = new_descriptor
        new_font = pdf.make_indirect(Dictionary(dict(font.items())))
        new_font.DescendantFonts = Array([new_descendant])
        new_font.ToUnicode = to_unicode
        merged[font.objgen] = new_font
    return merged


def _shape(font: Dictionary) -> tuple:
    """What every subset of a face must share for the merge: Identity-H, one CID font with an identity map, the
    same kind of program, no CIDSet (which would list the glyphs of one subset)."""
    if font.get("/Encoding") != Name("/Identity-H") or len(font.get("/DescendantFonts", [])) != 1:
        raise Unmergeable("not an Identity-H font")
    descendant = font.DescendantFonts[0]
    descriptor = descendant.get("/FontDescriptor")
    if descendant.get("/CIDToGIDMap") != Name.Identity or descriptor is None or "/CIDSet" in descriptor:
        raise Unmergeable("not a CID font with an identity map")
    if "/W" not in descendant or "/ToUnicode" not in font:
        raise Unmergeable("no widths or text")
    kind = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2" if "/FontFile2" in descriptor else None
    if kind is None:
        raise Unmergeable("no embedded program")
    # Ascent and Descent are measured at the size a document first uses the face at and may differ by a unit
    # between sections: the first section's are kept, as a whole-issue layout keeps the first it measured
    same = ("/FontName", "/ItalicAngle", "/StemV", "/StemH")
    return str(descendant.Subtype), kind, tuple(repr(descriptor.get(k)) for k in same), int(descriptor.Flags) & ~1


def _widths(w: Array) -> dict[int, object]:
    """Glyph id -> width from a CID font's W array (WeasyPrint writes only the `start [w1 w2 ...]` form)."""
    found: dict[int, object] = {}
    items = list(w)
    if len(items) % 2:
        raise Unmergeable("an unexpected W array")
    for start, run in zip(items[::2], items[1::2], strict=True):
        if not isinstance(run, Array):
            raise Unmergeable("an unexpected W array")
        for n, value in enumerate(run):
            found[int(start) + n] = value  # int or Decimal, written back as read
    return found


def _w_array(widths: dict[int, object]) -> Array:
    out, run = [], None
    for gid in sorted(widths):
        if gid - 1 not in widths:
            run = Array()
            out += [gid, run]
        run.append(widths[gid])
    return Array(out)


def _to_unicode(font: Dictionary) -> dict[int, bytes]:
    data = font.ToUnicode.read_bytes()
    if b"endcodespacerange" not in data or b"bfrange" in data:
        raise Unmergeable("an unexpected ToUnicode map")
    return {int(gid, 16): text.lower() for gid, text in _BFCHAR.findall(data.split(b"endcodespacerange", 1)[1])}


def _cmap(texts: dict[int, bytes]) -> bytes:
    """The ToUnicode map as WeasyPrint writes it: bfchar batches of 100, in glyph order."""
    lines = list(_CMAP_HEAD)
    items = sorted(texts.items())
    for i in range(0, len(items), 100):
        batch = items[i : i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<%04x> <%s>" % (gid, text) for gid, text in batch]
        lines.append(b"endbfchar")
    return b"\n".join([*lines, *_CMAP_TAIL])


def _point_resources(pdf: pikepdf.Pdf, replace: dict[tuple[int, int], Dictionary]) -> None:
    """Every /Font resource entry naming a replaced subset names the merged font instead."""
    for obj in list(pdf.objects):
        if not isinstance(obj, Dictionary | pikepdf.Stream):
            continue
        resources = obj.get("/Resources")
        if not isinstance(resources, Dictionary) or "/Font" not in resources:
            continue
        fonts = resources.Font
        for key in list(fonts.keys()):
            target = fonts[key]
            if target.is_indirect and target.objgen in replace:
                fonts[key] = replace[target.objgen]
