"""Convert every DeviceRGB colour and image of a PDF to DeviceCMYK through the output profile.

WeasyPrint writes CSS colours, its own furniture and every RGB image as DeviceRGB. A PDF/X file
for a CMYK output intent may not contain DeviceRGB, so the print edition is converted after
writing: vector colours that are neutral (r = g = b) go to the black plate alone, so that black
text and rules stay 100 % K; other colours and all photographs go through the ICC transform.
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
    """sRGB to the output profile's CMYK, for single colours and for images."""

    def __init__(self, profile_bytes: bytes, intent: str, cache_dir: Path | None = None):
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
        self._cache: dict[tuple[int, int, int], tuple[float, ...]] = {}

    def colour(self, rgb: tuple[float, float, float]) -> tuple[float, float, float, float]:
        r, g, b = (min(max(float(v), 0.0), 1.0) for v in rgb)
        if abs(r - g) < 1e-3 and abs(g - b) < 1e-3:
            return (0.0, 0.0, 0.0, round(1.0 - r, 4))
        key = (round(r * 255), round(g * 255), round(b * 255))
        if key not in self._cache:
            pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), key), self.transform).getpixel((0, 0))
            self._cache[key] = tuple(round(v / 255, 4) for v in pixel)
        return self._cache[key]

    def image(self, img: Image.Image) -> Image.Image:
        return ImageCms.applyTransform(img.convert("RGB"), self.transform)


def convert_pdf(pdf: pikepdf.Pdf, converter: CmykConverter) -> None:
    """Rewrite all pages of `pdf` in place so that no DeviceRGB remains."""
    done: set[tuple[int, int]] = set()
    for page in pdf.pages:
        _convert_content(page.obj, page.obj.get("/Resources"), converter, pdf)
        _convert_resources(page.obj.get("/Resources"), converter, pdf, done)
        _convert_group(page.obj)


def _convert_resources(resources, converter: CmykConverter, pdf: pikepdf.Pdf, done: set) -> None:
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
            if space == _RGB:
                colour_spaces[name] = _CMYK


def _convert_form(form, converter: CmykConverter, pdf: pikepdf.Pdf, done: set, soft_mask: bool = False) -> None:
    _convert_content(form, form.get("/Resources"), converter, pdf)
    _convert_resources(form.get("/Resources"), converter, pdf, done)
    # A luminosity soft mask keeps its own blending space: grey levels there are alpha, not ink.
    if not soft_mask:
        _convert_group(form)
    elif form.get("/Group", {}).get("/CS") == _RGB:
        form.Group.CS = pikepdf.Name.DeviceGray


def _convert_group(obj) -> None:
    group = obj.get("/Group")
    if group is not None and group.get("/CS") == _RGB:
        group.CS = _CMYK


def _convert_content(owner, resources, converter: CmykConverter, pdf: pikepdf.Pdf) -> None:
    rgb_names = {pikepdf.Name.DeviceRGB}
    if resources is not None and "/ColorSpace" in resources:
        rgb_names |= {pikepdf.Name(n) for n, cs in dict(resources.ColorSpace).items() if cs == _RGB}
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
            state[-1][key] = operands[0] in rgb_names
            if state[-1][key]:
                operands, changed = [_CMYK], True
        elif op in ("rg", "RG"):
            operands, operator, changed = (
                _cmyk_operands(operands, converter),
                pikepdf.Operator("k" if op == "rg" else "K"),
                True,
            )
        elif (
            op in ("sc", "scn", "SC", "SCN")
            and state[-1]["fill" if op in ("sc", "scn") else "stroke"]
            and len(operands) == 3
        ):
            operands, changed = _cmyk_operands(operands, converter), True
        out.append(pikepdf.ContentStreamInstruction(operands, operator))
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if isinstance(owner, pikepdf.Stream):
            owner.write(data)
        else:
            owner.Contents = pdf.make_stream(data)


def _cmyk_operands(operands, converter: CmykConverter) -> list:
    return [Decimal(f"{v:.4f}") for v in converter.colour(tuple(float(o) for o in operands))]


def _convert_shading(shading, converter: CmykConverter) -> None:
    if shading.get("/ColorSpace") != _RGB:
        return
    shading.ColorSpace = _CMYK
    _convert_function(shading.get("/Function"), converter)


def _convert_function(function, converter: CmykConverter) -> None:
    if function is None:
        return
    if isinstance(function, pikepdf.Array):
        for item in function:
            _convert_function(item, converter)
        return
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        for key in ("/C0", "/C1"):
            values = function.get(key, [0, 0, 0] if key == "/C0" else [1, 1, 1])
            function[key] = pikepdf.Array(_cmyk_operands(list(values), converter))
    elif kind == 3:
        for item in function.Functions:
            _convert_function(item, converter)
    else:
        raise ValueError(f"cannot convert an RGB shading function of type {kind}")


def _convert_image(image: pikepdf.Stream, converter: CmykConverter, pdf: pikepdf.Pdf) -> None:
    space = image.get("/ColorSpace")
    if space == _RGB:
        jpeg = image.get("/Filter") == pikepdf.Name.DCTDecode
        data = _cached_conversion(image, converter, jpeg)
        if jpeg:
            image.write(data, filter=pikepdf.Name.DCTDecode)
            # Pillow writes Adobe-style CMYK JPEGs, whose samples are inverted
            image.Decode = pikepdf.Array([1, 0, 1, 0, 1, 0, 1, 0])
        else:
            image.write(data)  # compressed by qpdf when saved
            if "/Decode" in image:
                del image["/Decode"]
        for key in ("/DecodeParms",):
            if key in image:
                del image[key]
        image.ColorSpace = _CMYK
        image.BitsPerComponent = 8
    elif isinstance(space, pikepdf.Array) and len(space) == 4 and space[0] == pikepdf.Name.Indexed and space[1] == _RGB:
        lookup = bytes(space[3].read_bytes() if isinstance(space[3], pikepdf.Stream) else space[3])
        entries = [tuple(v / 255 for v in lookup[i : i + 3]) for i in range(0, len(lookup) - 2, 3)]
        table = bytes(round(v * 255) for rgb in entries for v in _image_colour(rgb, converter))
        image.ColorSpace = pikepdf.Array([pikepdf.Name.Indexed, _CMYK, space[2], pdf.make_stream(table)])


def _cached_conversion(image: pikepdf.Stream, converter: CmykConverter, jpeg: bool) -> bytes:
    """The image's CMYK samples (a JPEG for photographs): converted once, then taken from the cache by content."""
    path = None
    if converter.cache_dir is not None:
        digest = hashlib.sha256(converter.key.encode() + image.read_raw_bytes() + image_traits(image).encode())
        path = converter.cache_dir / f"cmyk-{digest.hexdigest()[:32]}.{'jpg' if jpeg else 'bin'}"
        if path.is_file():
            cached = path.read_bytes()
            return cached if jpeg else zlib.decompress(cached)
    cmyk = converter.image(pikepdf.PdfImage(image).as_pil_image())
    if jpeg:
        buffer = io.BytesIO()
        cmyk.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
        data = buffer.getvalue()
    else:
        data = cmyk.tobytes()
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


def _image_colour(rgb: tuple[float, float, float], converter: CmykConverter) -> tuple[float, ...]:
    pixel = converter.image(Image.new("RGB", (1, 1), tuple(round(v * 255) for v in rgb))).getpixel((0, 0))
    return tuple(v / 255 for v in pixel)


def _seen(obj, done: set) -> bool:
    key = obj.objgen
    if key == (0, 0):
        return False
    if key in done:
        return True
    done.add(key)
    return False
