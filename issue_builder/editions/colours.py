"""Convert a written PDF's device colours and images from one colour space to the other.

The one layout speaks sRGB: CSS colours, WeasyPrint's own furniture and RGB photographs are DeviceRGB. The print
edition goes to DeviceCMYK: each colour the publication declares gets its declared separations exactly, other
neutral colours (r = g = b) go to the black plate alone, so that black text and rules stay 100 % K, and everything
else goes through the output profile. The screen editions go the other way for what is CMYK in the layout (a CMYK
photograph, a layout's own device-cmyk()): a plain complement, as no input profile characterises it.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from decimal import Decimal
from pathlib import Path

import pikepdf
from PIL import Image, ImageCms

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import cache_salt

_INTENTS = {
    "perceptual": ImageCms.Intent.PERCEPTUAL,
    "relative-colorimetric": ImageCms.Intent.RELATIVE_COLORIMETRIC,
    "saturation": ImageCms.Intent.SATURATION,
    "absolute-colorimetric": ImageCms.Intent.ABSOLUTE_COLORIMETRIC,
}
_RGB = pikepdf.Name.DeviceRGB
_CMYK = pikepdf.Name.DeviceCMYK
JPEG_QUALITY = 92


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
        self._cache: dict[tuple[int, int, int], tuple[float, ...]] = dict(declared or {})

    def colour(self, rgb: tuple[float, ...]) -> tuple[float, ...]:
        r, g, b = (min(max(float(v), 0.0), 1.0) for v in rgb)
        key = (round(r * 255), round(g * 255), round(b * 255))
        if key in self._cache:
            return self._cache[key]
        if abs(r - g) < 1e-3 and abs(g - b) < 1e-3:
            return (0.0, 0.0, 0.0, round(1.0 - r, 4))
        pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), key), self.transform).getpixel((0, 0))
        self._cache[key] = tuple(round(v / 255, 4) for v in pixel)
        return self._cache[key]

    def image(self, img: Image.Image) -> Image.Image:
        return ImageCms.applyTransform(img.convert("RGB"), self.transform)


class RgbConverter:
    """CMYK to sRGB for the screen: a plain complement (what Pillow does), for colours and images."""

    source, target, mode = _CMYK, _RGB, "RGB"
    operators = {"k": "rg", "K": "RG"}

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir
        self.key = hashlib.sha256(f"rgb q{JPEG_QUALITY}{cache_salt()}".encode()).hexdigest()

    def colour(self, cmyk: tuple[float, ...]) -> tuple[float, ...]:
        c, m, y, k = (min(max(float(v), 0.0), 1.0) for v in cmyk)
        return tuple(round((1 - v) * (1 - k), 4) for v in (c, m, y))

    def image(self, img: Image.Image) -> Image.Image:
        return img.convert("RGB")


Converter = CmykConverter | RgbConverter


def convert_pdf(pdf: pikepdf.Pdf, converter: Converter) -> None:
    """Rewrite all pages of `pdf` in place so that nothing in the converter's source space remains."""
    done: set[tuple[int, int]] = set()
    for page in pdf.pages:
        _convert_content(page.obj, page.obj.get("/Resources"), converter, pdf)
        _convert_resources(page.obj.get("/Resources"), converter, pdf, done)
        _convert_group(page.obj, converter)


def _convert_resources(resources, converter: Converter, pdf: pikepdf.Pdf, done: set) -> None:
    if resources is None:
        return
    for xobject in dict(resources.get("/XObject", {})).values():
        if _seen(xobject, done):
            continue
        if xobject.get("/Subtype") == "/Image":
            _convert_image(xobject, converter, pdf)
        elif xobject.get("/Subtype") == "/Form":
            _convert_form(xobject, converter, pdf, done)
    for pattern in dict(resources.get("/Pattern", {})).values():
        if _seen(pattern, done):
            continue
        if pattern.get("/PatternType") == 1:
            _convert_form(pattern, converter, pdf, done)
        elif "/Shading" in pattern:
            _convert_shading(pattern.Shading, converter)
    for shading in dict(resources.get("/Shading", {})).values():
        if not _seen(shading, done):
            _convert_shading(shading, converter)
    for gstate in dict(resources.get("/ExtGState", {})).values():
        mask = gstate.get("/SMask")
        if isinstance(mask, pikepdf.Dictionary) and "/G" in mask and not _seen(mask.G, done):
            _convert_form(mask.G, converter, pdf, done, soft_mask=True)
    colour_spaces = resources.get("/ColorSpace")
    if colour_spaces is not None:
        for name, space in dict(colour_spaces).items():
            if space == converter.source:
                colour_spaces[name] = converter.target


def _convert_form(form, converter: Converter, pdf: pikepdf.Pdf, done: set, soft_mask: bool = False) -> None:
    _convert_content(form, form.get("/Resources"), converter, pdf)
    _convert_resources(form.get("/Resources"), converter, pdf, done)
    # A luminosity soft mask keeps its own blending space: grey levels there are alpha, not ink.
    if not soft_mask:
        _convert_group(form, converter)
    elif form.get("/Group", {}).get("/CS") == converter.source:
        form.Group.CS = pikepdf.Name.DeviceGray


def _convert_group(obj, converter: Converter) -> None:
    group = obj.get("/Group")
    if group is not None and group.get("/CS") == converter.source:
        group.CS = converter.target


def _convert_content(owner, resources, converter: Converter, pdf: pikepdf.Pdf) -> None:
    source_names = {converter.source}
    if resources is not None and "/ColorSpace" in resources:
        source_names |= {pikepdf.Name(n) for n, cs in dict(resources.ColorSpace).items() if cs == converter.source}
    components = 3 if converter.source == _RGB else 4
    instructions = pikepdf.parse_content_stream(owner)
    out = []
    state = [{"fill": False, "stroke": False}]
    changed = False
    for operands, operator in instructions:
        op = str(operator)
        if op == "q":
            state.append(dict(state[-1]))
        elif op == "Q" and len(state) > 1:
            state.pop()
        elif op in ("cs", "CS"):
            key = "fill" if op == "cs" else "stroke"
            state[-1][key] = bool(operands) and operands[0] in source_names
            if state[-1][key]:
                operands, changed = [converter.target], True
        elif op in converter.operators and len(operands) == components:
            operands, operator, changed = (
                _operands(operands, converter),
                pikepdf.Operator(converter.operators[op]),
                True,
            )
        elif (
            op in ("sc", "scn", "SC", "SCN")
            and state[-1]["fill" if op in ("sc", "scn") else "stroke"]
            and len(operands) == components
        ):
            operands, changed = _operands(operands, converter), True
        out.append(pikepdf.ContentStreamInstruction(operands, operator))
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if isinstance(owner, pikepdf.Stream):
            owner.write(data)
        else:
            owner.Contents = pdf.make_stream(data)


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


def _convert_image(image: pikepdf.Stream, converter: Converter, pdf: pikepdf.Pdf) -> None:
    space = image.get("/ColorSpace")
    if _in_source_space(space, converter):
        jpeg = image.get("/Filter") == pikepdf.Name.DCTDecode
        data = _cached_conversion(image, converter, jpeg)
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


def _cached_conversion(image: pikepdf.Stream, converter: Converter, jpeg: bool) -> bytes:
    """The image's samples in the target space (a JPEG for photographs): converted once, then kept by content."""
    path = None
    if converter.cache_dir is not None:
        digest = hashlib.sha256(converter.key.encode() + image.read_raw_bytes() + image_traits(image).encode())
        path = converter.cache_dir / f"{converter.mode.lower()}-{digest.hexdigest()[:32]}.{'jpg' if jpeg else 'bin'}"
        if path.is_file():
            cached = path.read_bytes()
            return cached if jpeg else zlib.decompress(cached)
    converted = converter.image(pikepdf.PdfImage(image).as_pil_image())
    if jpeg:
        buffer = io.BytesIO()
        converted.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
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
