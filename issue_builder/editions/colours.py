"""Convert a written PDF's device colours and images from one colour space to the other.

The one layout speaks sRGB: CSS colours, WeasyPrint's own furniture and RGB photographs are DeviceRGB. The print
edition goes to DeviceCMYK: each colour the publication declares gets its declared separations exactly, other
neutral colours (r = g = b) go to the black plate alone, so that black text and rules stay 100 % K, and everything
else goes through the output profile. The screen editions go the other way for what is CMYK in the layout (a CMYK
photograph, a layout's own device-cmyk()): a plain complement, as no input profile characterises it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import io
import re
import sys
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pikepdf
from PIL import Image, ImageCms

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.bounded import Budget, OverBudget
from issue_builder.base.cache import cache_salt
from issue_builder.base.diagnostics import RenderError
from issue_builder.base.kept_files import read_kept
from issue_builder.base.pdf_content import read_instructions, replace_content

_INTENTS = {
    "perceptual": ImageCms.Intent.PERCEPTUAL,
    "relative-colorimetric": ImageCms.Intent.RELATIVE_COLORIMETRIC,
    "saturation": ImageCms.Intent.SATURATION,
    "absolute-colorimetric": ImageCms.Intent.ABSOLUTE_COLORIMETRIC,
}
_RGB = pikepdf.Name.DeviceRGB
_CMYK = pikepdf.Name.DeviceCMYK
JPEG_QUALITY = 92
MAX_NESTING = 100  # forms, patterns, soft masks inside one another: deeper than any layout, within Python's stack


class CmykConverter:
    """sRGB to the output profile's CMYK, for single colours and for images; declared colours exactly."""

    source, target, mode = _RGB, _CMYK, "CMYK"
    operators = {"rg": "k", "RG": "K"}

    def __init__(
        self,
        profile_bytes: bytes,
        intent: str,
        cache_dir: Path | None = None,
        declared: dict[tuple[int, int, int], tuple[float, float, float, float]] | None = None,
    ):
        self.cache_dir = cache_dir  # converted photographs, kept by content hash between renders
        self.key = hashlib.sha256(
            profile_bytes + intent.encode() + f"q{JPEG_QUALITY}{cache_salt()}".encode()
        ).hexdigest()
        output = ImageCms.ImageCmsProfile(io.BytesIO(profile_bytes))
        self.transform = ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"),
            output,
            "RGB",
            "CMYK",
            _INTENTS[intent],
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
        self.declared = dict(declared or {})  # sRGB (0-255) -> the CMYK the publication declares for it
        self._cache: dict[tuple[int, int, int], tuple[float, ...]] = {}  # converted through the profile

    def colour(self, rgb: tuple[float, ...]) -> tuple[float, ...]:
        r, g, b = (min(max(float(v), 0.0), 1.0) for v in rgb)
        key = (round(r * 255), round(g * 255), round(b * 255))
        if key in self.declared:
            return self.declared[key]
        if abs(r - g) < 1e-3 and abs(g - b) < 1e-3:  # K alone, even after a near-grey of its 8-bit value
            return (0.0, 0.0, 0.0, round(1.0 - r, 4))
        if key in self._cache:
            return self._cache[key]
        pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), key), self.transform).getpixel((0, 0))
        self._cache[key] = tuple(round(v / 255, 4) for v in pixel)
        return self._cache[key]

    def image(self, img: Image.Image) -> Image.Image:
        return ImageCms.applyTransform(img if img.mode == "RGB" else img.convert("RGB"), self.transform)


class RgbConverter:
    """CMYK to sRGB for the screen: a plain complement (what Pillow does), for colours and images."""

    source, target, mode = _CMYK, _RGB, "RGB"
    operators = {"k": "rg", "K": "RG"}
    declared: dict = {}  # read only: no colour is declared in sRGB

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir
        self.key = hashlib.sha256(f"rgb q{JPEG_QUALITY}{cache_salt()}".encode()).hexdigest()

    def colour(self, cmyk: tuple[float, ...]) -> tuple[float, ...]:
        c, m, y, k = (min(max(float(v), 0.0), 1.0) for v in cmyk)
        return tuple(round((1 - v) * (1 - k), 4) for v in (c, m, y))

    def image(self, img: Image.Image) -> Image.Image:
        return img.convert("RGB")


Converter = CmykConverter | RgbConverter


def convert_pdf(pdf: pikepdf.Pdf, converter: Converter, budget: Budget | None = None) -> None:
    """Rewrite all pages of `pdf` in place so that nothing in the converter's source space remains.

    Content is read with the preflight's walker within `budget`, each form, pattern and soft mask once however
    often it is drawn; a layout past the budget is a RenderError.
    """
    conversion = Conversion(pdf, converter, budget or Budget())
    try:
        for page in pdf.pages:
            conversion.content(page.obj)
            conversion.resources(page.obj.get("/Resources"), depth=0)
            _convert_group(page.obj, converter)
    except OverBudget as exc:
        raise RenderError(f"the layout is too complex to convert its colours: it asks for {exc}") from None


class Conversion:
    """One file's conversion: what was converted already, and the budget its content is read within."""

    def __init__(self, pdf: pikepdf.Pdf, converter: Converter, budget: Budget):
        self.pdf, self.converter, self.budget = pdf, converter, budget
        self.done: set[tuple[int, int]] = set()
        self.sources: dict[tuple[int, int], set] = {}  # the names in the source space of each shared colour-space
        # dictionary, as it was before it was converted (pages of a section share one)

    def resources(self, resources, depth: int) -> None:
        """Convert what a resource dictionary holds: images, forms, patterns, shadings, soft masks, colour spaces."""
        if resources is None:
            return
        converter, done = self.converter, self.done
        self.source_names(resources)  # taken before its colour spaces are renamed below
        for xobject in dict(resources.get("/XObject", {})).values():
            if _seen(xobject, done):
                continue
            if xobject.get("/Subtype") == "/Image":
                _convert_image(xobject, converter, self.pdf)
            elif xobject.get("/Subtype") == "/Form":
                self.form(xobject, depth + 1)
        for pattern in dict(resources.get("/Pattern", {})).values():
            if _seen(pattern, done):
                continue
            if pattern.get("/PatternType") == 1:
                self.form(pattern, depth + 1)
            elif "/Shading" in pattern:
                _convert_shading(pattern.Shading, converter)
        for shading in dict(resources.get("/Shading", {})).values():
            if not _seen(shading, done):
                _convert_shading(shading, converter)
        for gstate in dict(resources.get("/ExtGState", {})).values():
            mask = gstate.get("/SMask")
            if isinstance(mask, pikepdf.Dictionary) and "/G" in mask and not _seen(mask.G, done):
                self.form(mask.G, depth + 1, soft_mask=True)
        colour_spaces = resources.get("/ColorSpace")
        if colour_spaces is not None:
            for name, space in dict(colour_spaces).items():
                if space == converter.source:
                    colour_spaces[name] = converter.target

    def form(self, form, depth: int, soft_mask: bool = False) -> None:
        """Convert a form, a tiling pattern or a soft mask's group: its content, then what its resources hold."""
        self.budget.form()
        if depth > MAX_NESTING:
            raise OverBudget(f"forms, patterns or soft masks nested more than {MAX_NESTING} deep")
        self.content(form)
        self.resources(form.get("/Resources"), depth)
        # A luminosity soft mask keeps its own blending space: grey levels there are alpha, not ink.
        if not soft_mask:
            _convert_group(form, self.converter)
        elif form.get("/Group", {}).get("/CS") == self.converter.source:
            form.Group.CS = pikepdf.Name.DeviceGray

    def content(self, owner) -> None:
        """Rewrite the content of a page or a form when it sets colours in the source space."""
        if not _may_set_colour(owner, self.converter):
            return
        recolour = self.recolouring(owner)
        read_instructions(owner, self.budget, recolour.instruction, rewrite=True)
        if recolour.changed:
            replace_content(self.pdf, owner, recolour.out)

    def recolouring(self, owner) -> Recolour:
        """What converts the instructions of `owner`: its resources' names in the source space as they were before
        any of them was converted."""
        return Recolour(self.converter, {self.converter.source} | self.source_names(owner.get("/Resources")))

    def source_names(self, resources) -> set:
        """The names `resources` gives colour spaces in the converter's source space, as they were the first time
        its colour-space dictionary was seen (another owner's conversion may have renamed them since)."""
        spaces = resources.get("/ColorSpace") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(spaces, pikepdf.Dictionary):
            return set()
        names = {pikepdf.Name(n) for n, cs in dict(spaces).items() if cs == self.converter.source}
        shared = spaces if spaces.is_indirect else resources if resources.is_indirect else None
        return names if shared is None else self.sources.setdefault(shared.objgen, names)

    def page_resources(self, page) -> None:
        """Convert what a page's resources hold and its transparency group, but not its own content."""
        self.resources(page.get("/Resources"), depth=0)
        _convert_group(page, self.converter)


_DELIMITER = rb"[\x00\t\n\x0c\r ()<>\[\]{}/%]"


@functools.cache
def _colour_operators(operators: tuple[str, ...]) -> re.Pattern[bytes]:
    """A token of one of `operators` (or a colour-space operator) between PDF delimiters: a superset of where a
    content stream sets such a colour (a string or a comment may hold the same letters)."""
    names = b"|".join(re.escape(op.encode()) for op in (*operators, "cs", "CS"))
    return re.compile(rb"(?:^|(?<=" + _DELIMITER + rb"))(?:" + names + rb")(?=" + _DELIMITER + rb"|$)")


def _may_set_colour(owner, converter: Converter) -> bool:
    """Whether the content of `owner` may set a colour the converter converts; False only when none of their
    operators is in its bytes, which are then left unread (the screen editions' layouts rarely hold any CMYK).
    Content that cannot be read this way is read in full, where its problems are found."""
    try:
        if isinstance(owner, pikepdf.Stream):
            data = owner.read_bytes()
        else:
            contents = owner.get("/Contents")
            parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            if not all(isinstance(part, pikepdf.Stream) for part in parts):
                return True
            data = b"\n".join(part.read_bytes() for part in parts)  # streams divide only between tokens
    except pikepdf.PdfError:
        return True
    return _colour_operators(tuple(sorted(converter.operators))).search(data) is not None


def _convert_group(obj, converter: Converter) -> None:
    group = obj.get("/Group")
    if group is not None and group.get("/CS") == converter.source:
        group.CS = converter.target


class Recolour:
    """One content stream's instructions, with colours in the converter's source space given in its target."""

    def __init__(self, converter: Converter, source_names: set):
        self.converter, self.source_names = converter, source_names
        self.components = 3 if converter.source == _RGB else 4
        self.out: list = []
        self.state = [{"fill": False, "stroke": False}]
        self.changed = False

    def instruction(self, operands: list, op: str) -> None:
        """Take one instruction, converted when it sets a colour in the source space."""
        if op == "BI":
            self.out.append(operands[0].instruction())
            return
        state, converter = self.state, self.converter
        if op == "q":
            state.append(dict(state[-1]))
        elif op == "Q" and len(state) > 1:
            state.pop()
        elif op in ("cs", "CS"):
            key = "fill" if op == "cs" else "stroke"
            state[-1][key] = bool(operands) and _is_name_in(operands[0], self.source_names)
            if state[-1][key]:
                operands, self.changed = [converter.target], True
        elif op in converter.operators and (colour := self._colour(operands)) is not None:
            operands, op, self.changed = colour, converter.operators[op], True
        elif (
            op in ("sc", "scn", "SC", "SCN")
            and state[-1]["fill" if op in ("sc", "scn") else "stroke"]
            and (colour := self._colour(operands)) is not None
        ):
            operands, self.changed = colour, True
        self.out.append((operands, _operator(op)))

    def _colour(self, operands: list) -> list | None:
        """The operands as a colour in the target space, or None when they are no colour in the source space."""
        if len(operands) != self.components:
            return None
        try:
            return _operands(operands, self.converter)
        except TypeError:  # not numbers: a malformed instruction, left as it is
            return None


@functools.cache
def _operator(op: str) -> pikepdf.Operator:
    return pikepdf.Operator(op)


def _is_name_in(operand, names: set) -> bool:
    return isinstance(operand, pikepdf.Name) and operand in names


def _operands(operands, converter: Converter) -> list:
    return [Decimal(f"{v:.4f}") for v in converter.colour(tuple(float(o) for o in operands))]


def _convert_shading(shading, converter: Converter) -> None:
    if shading.get("/ColorSpace") != converter.source:
        return
    shading.ColorSpace = converter.target
    _convert_function(shading.get("/Function"), converter)


def _convert_function(function, converter: Converter) -> None:
    if function is None:
        return
    if isinstance(function, pikepdf.Array):
        for item in function:
            _convert_function(item, converter)
        return
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        for key in ("/C0", "/C1"):
            n = 3 if converter.source == _RGB else 4
            values = function.get(key, [0] * n if key == "/C0" else [1] * n)
            function[key] = pikepdf.Array(_operands(list(values), converter))
    elif kind == 3:
        for item in function.Functions:
            _convert_function(item, converter)
    else:
        raise ValueError(f"cannot convert a {converter.source} shading function of type {kind}")


SPILL_BYTES = 48 << 20  # converted pictures held in memory at most, before the document is set aside on disk


def convert_images(pdf: pikepdf.Pdf, converter: Converter, folder: Path, spill: int | None = None) -> pikepdf.Pdf:
    """`pdf` with every picture its pages draw converted as `convert_pdf` converts it; a document reopened from
    `folder` (its caller's, kept until the document is saved) whenever `spill` (SPILL_BYTES) bytes of converted
    pictures are held.

    A print edition's CMYK pictures are most of its bytes, and pikepdf keeps what is written into a stream in
    memory until the document is saved, but reads a file's streams only as it writes them: saved aside and reopened
    now and then, the pictures of a whole issue are never in memory at once. A document set aside comes back with
    its objects numbered anew: the file saved in the end holds the same objects, in another order.
    """
    spill = SPILL_BYTES if spill is None else spill
    spilled = 0
    while True:
        held = 0
        for image in _pictures(pdf):
            held += _convert_image(image, converter, pdf)
            if held >= spill:
                break
        else:
            return pdf
        spilled += 1
        path = folder / f"pictures-{spilled}.pdf"
        pdf.save(path, compress_streams=True, recompress_flate=False)
        pdf.close()
        release_memory()
        pdf = pikepdf.open(path)


def release_memory() -> None:
    """Hand memory freed in this process back to the system (glibc keeps freed blocks of a few megabytes, such as
    pictures' bytes, for reuse, where they still count as this process's memory); elsewhere nothing."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _pictures(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Stream]:
    """Each image the pages draw, through their forms, tiling patterns and soft masks, once."""
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        todo = [(page.obj.get("/Resources"), 0)]
        while todo:
            resources, depth = todo.pop()
            if not isinstance(resources, pikepdf.Dictionary) or depth > MAX_NESTING:
                continue
            holders = list(dict(resources.get("/XObject", {})).values())
            holders += [p for p in dict(resources.get("/Pattern", {})).values() if p.get("/PatternType") == 1]
            for gstate in dict(resources.get("/ExtGState", {})).values():
                mask = gstate.get("/SMask") if isinstance(gstate, pikepdf.Dictionary) else None
                if isinstance(mask, pikepdf.Dictionary) and isinstance(mask.get("/G"), pikepdf.Stream):
                    holders.append(mask.G)
            for holder in holders:
                if not isinstance(holder, pikepdf.Stream) or _seen(holder, seen):
                    continue
                if holder.get("/Subtype") == "/Image":
                    yield holder
                else:
                    todo.append((holder.get("/Resources"), depth + 1))


def _convert_image(image: pikepdf.Stream, converter: Converter, pdf: pikepdf.Pdf) -> int:
    """Convert one image (its samples, or its palette) in place; the bytes of samples written."""
    space = image.get("/ColorSpace")
    written = 0
    if _in_source_space(space, converter):
        jpeg = image.get("/Filter") == pikepdf.Name.DCTDecode
        data = _cached_conversion(image, converter, jpeg)
        written = len(data)
        if jpeg:
            image.write(data, filter=pikepdf.Name.DCTDecode)
        else:
            image.write(data)  # compressed by qpdf when saved
        for key in ("/DecodeParms", "/Decode"):
            if key in image:
                del image[key]
        if jpeg and converter.target == _CMYK:
            # Pillow writes Adobe-style CMYK JPEGs, whose samples are inverted
            image.Decode = pikepdf.Array([1, 0, 1, 0, 1, 0, 1, 0])
        image.ColorSpace = converter.target
        image.BitsPerComponent = 8
    elif (
        isinstance(space, pikepdf.Array)
        and len(space) == 4
        and space[0] == pikepdf.Name.Indexed
        and space[1] == converter.source
    ):
        n = 3 if converter.source == _RGB else 4
        lookup = bytes(space[3].read_bytes() if isinstance(space[3], pikepdf.Stream) else space[3])
        entries = [tuple(v / 255 for v in lookup[i : i + n]) for i in range(0, len(lookup) - n + 1, n)]
        table = bytes(v for entry in entries for v in _palette_colour(entry, converter))
        image.ColorSpace = pikepdf.Array([pikepdf.Name.Indexed, converter.target, space[2], pdf.make_stream(table)])
    return written


def _palette_colour(entry: tuple[float, ...], converter: Converter) -> tuple[int, ...]:
    """A palette entry converted as the image's pixels are (not as a vector colour)."""
    mode = "RGB" if converter.source == _RGB else "CMYK"
    return converter.image(Image.new(mode, (1, 1), tuple(round(v * 255) for v in entry))).getpixel((0, 0))


def _in_source_space(space, converter: Converter) -> bool:
    """Whether an image's colour space is the converter's source: the device space, or an ICC space like it."""
    if space == converter.source:
        return True
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == pikepdf.Name.ICCBased:
        # ICC-based RGB is device-independent and stays in print; ICC-based CMYK is converted for the screen
        return converter.target == _RGB and isinstance(space[1], pikepdf.Stream) and int(space[1].get("/N", 0)) == 4
    return False


def cache_conversion(image: pikepdf.Stream, converter: Converter) -> None:
    """Convert a JPEG image stream into the converter's cache ahead of the file that will hold it."""
    _cached_conversion(image, converter, jpeg=True)


def _cached_conversion(image: pikepdf.Stream, converter: Converter, jpeg: bool) -> bytes:
    """The image's samples in the target space (a JPEG for photographs): converted once, then kept by content."""
    path = None
    if converter.cache_dir is not None:
        digest = hashlib.sha256(converter.key.encode() + image.read_raw_bytes() + image_traits(image).encode())
        path = converter.cache_dir / f"{converter.mode.lower()}-{digest.hexdigest()[:32]}.{'jpg' if jpeg else 'bin'}"
        cached = read_kept(path)
        if cached is not None:
            return cached if jpeg else zlib.decompress(cached)
    converted = converter.image(pikepdf.PdfImage(image).as_pil_image())
    if jpeg:
        buffer = io.BytesIO()
        converted.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0, comment=b"")
        data = buffer.getvalue()
    else:
        data = converted.tobytes()
    if path is not None:
        store_in_cache(path, data if jpeg else zlib.compress(data, 1))
    return data


def image_traits(image: pikepdf.Stream) -> str:
    """What besides its bytes decides how an image stream decodes: part of its cache keys."""
    return repr(
        [
            str(image.get(key))
            for key in ("/Filter", "/DecodeParms", "/ColorSpace", "/BitsPerComponent", "/Width", "/Height", "/Decode")
        ]
    )


def _seen(obj, done: set) -> bool:
    key = obj.objgen
    if key == (0, 0):
        return False
    if key in done:
        return True
    done.add(key)
    return False
