"""Inspecting images safely and making the derivatives an output profile needs."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import mmap
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFile, ImageOps
from PIL import __version__ as PIL_VERSION

from issue_builder.base import jpeg
from issue_builder.base.atomic import store_in_cache, write_whole
from issue_builder.base.cache import MAX_INPUT_BYTES, file_sha256
from issue_builder.base.jpeg import has_metadata, without_metadata
from issue_builder.base.kept_files import note_use

# Formats a layout can place; Pillow is told to try only these (never EPS, whatever the file is called).
ALLOWED_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
MAX_PIXELS = 90_000_000
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class ImageInfo:
    """What the build knows about one image file after decoding it completely."""

    path: Path
    format: str
    mode: str
    width: int  # as shown: turned upright by its EXIF orientation
    height: int
    sha256: str
    orientation: int = 1  # EXIF orientation (1: stored upright; 5-8: stored on its side)
    metadata: bool = False  # a JPEG carrying what no output may publish (base/jpeg.py: EXIF, XMP, comments, ...)

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("RGBA", "LA", "PA") or self.mode.endswith("A")


def inspect_image(path: Path, cache_dir: Path | None = None) -> ImageInfo:
    """Decode `path` fully; raises ValueError with a message for the user when it is unusable. With `cache_dir`
    (a build's cache), a file whose bytes decoded before (`keep_inspected`) is not decoded again."""
    seen = _INSPECTED.get(path)
    if seen is not None and seen[0] is not None and seen[0] == _stat_key(path) and seen[1].sha256 == _sha256(path):
        return seen[1]  # decoded before in this process (watch) and unchanged since: its bytes hash the same
    info = _decoded_before(path, cache_dir) if cache_dir is not None else None
    if info is None:
        # WeasyPrint switches on Pillow's LOAD_TRUNCATED_IMAGES when imported; a truncated file must fail here.
        truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            info = _decode(path)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    _INSPECTED[path] = (_stat_key(path), info)
    return info


def keep_inspected(images: Iterable[ImageInfo], cache_dir: Path) -> None:
    """Keep in `cache_dir` what decoding each picture found, by the SHA-256 of its bytes and the code that read
    them (this module, the metadata walk, Pillow): the next build does not decode them again."""
    for info in images:
        record = _record_of(info.sha256, cache_dir)
        found = {k: getattr(info, k) for k in _KEPT}
        kept = json.dumps({**found, "code": _code_digest()}, sort_keys=True).encode()
        with contextlib.suppress(OSError):
            if record.read_bytes() == kept:
                continue
        store_in_cache(record, kept)


_KEPT = ("format", "mode", "width", "height", "orientation", "metadata")  # what decoding finds, kept by digest
_SHAPES = {"format": str, "mode": str, "width": int, "height": int, "orientation": int, "metadata": bool}


def _record_of(sha256: str, cache_dir: Path) -> Path:
    return cache_dir / "inspected" / f"{sha256}.json"


@functools.cache
def _code_digest() -> str:
    """The code a record was found and a copy made by: this module, the metadata walk and Pillow (a fix to any
    finds or makes otherwise)."""
    digest = hashlib.sha256(PIL_VERSION.encode())
    for source in (Path(__file__), Path(jpeg.__file__)):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _decoded_before(path: Path, cache_dir: Path) -> ImageInfo | None:
    """What decoding `path` found when its bytes were decoded before by this code, its header read again to agree;
    None: never decoded, by other code, or a record that does not agree with the file."""
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            return None  # refused by the decoding, with its message
        sha256 = _sha256(path)
        found = json.loads(_record_of(sha256, cache_dir).read_text(encoding="utf-8"))
        if found.get("code") != _code_digest():
            return None
        info = ImageInfo(path=path, sha256=sha256, **{k: found[k] for k in _KEPT})
        if not all(type(getattr(info, k)) is kind for k, kind in _SHAPES.items()):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=ALLOWED_FORMATS) as img:  # the header only: cheap
                size = (img.height, img.width) if info.orientation in (5, 6, 7, 8) else img.size
                if (img.format, img.mode, size) != (info.format, info.mode, (info.width, info.height)):
                    return None
                if img.width * img.height > MAX_PIXELS:
                    return None
    except (OSError, ValueError, TypeError, KeyError, SyntaxError, Image.DecompressionBombError, Warning):
        return None
    return info


_INSPECTED: dict[Path, tuple[tuple[int, int, int] | None, ImageInfo]] = {}


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _decode(path: Path) -> ImageInfo:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path, formats=ALLOWED_FORMATS) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ValueError(
                        f"image is {img.width} x {img.height} pixels; at most {MAX_PIXELS:,} pixels are accepted"
                    )
                size = os.fstat(img.fp.fileno()).st_size if img.fp else 0
                if size > MAX_INPUT_BYTES:  # a picture followed by gigabytes of anything is never hashed whole
                    raise ValueError(f"image is {size:,} bytes; a build reads files of at most {MAX_INPUT_BYTES:,}")
                img.load()
                orientation = img.getexif().get(EXIF_ORIENTATION, 1) if img.format == "JPEG" else 1
                orientation = orientation if orientation in range(1, 9) else 1
                sideways = orientation in (5, 6, 7, 8)
                return ImageInfo(
                    path=path,
                    format=img.format,
                    mode=img.mode,
                    width=img.height if sideways else img.width,
                    height=img.width if sideways else img.height,
                    sha256=_sha256(path),
                    orientation=orientation,
                    metadata=img.format == "JPEG" and _jpeg_metadata(path),
                )
        except Image.UnidentifiedImageError:
            raise ValueError(f"not an image in an accepted format ({', '.join(ALLOWED_FORMATS)})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError("image is too large to decode safely (decompression bomb limit)") from None
        except (OSError, SyntaxError, ValueError) as exc:
            if isinstance(exc, ValueError) and str(exc).startswith("image is"):
                raise
            raise ValueError(f"cannot decode image: {exc}") from None


def _jpeg_metadata(path: Path) -> bool:
    """Whether the clean copy `placeable` makes would differ: the one walk of base/jpeg.py decides both."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return has_metadata(data)  # read where it lies: a large file is not copied into memory


def _sha256(path: Path) -> str:
    # streamed, and only once the file decoded: a huge file that is no image is never read whole
    return file_sha256(path, MAX_INPUT_BYTES)


# What WeasyPrint places as it is; anything else is converted first (TIFF, WebP, 16-bit, LAB, CMYK PNG...).
_PLACEABLE = {"JPEG": {"RGB", "L", "CMYK"}, "PNG": {"RGB", "RGBA", "L", "LA", "P"}}
_SCREEN = {"JPEG": {"RGB", "L"}, "PNG": {"RGB", "RGBA", "L", "LA", "P"}}


def placeable(info: ImageInfo, cache_dir: Path, srgb: bool, flatten: bool = False) -> Path:
    """The file to place: the original when WeasyPrint takes it as it is, else a converted copy cached by content.

    `srgb` asks for a screen edition's copy (CMYK and other spaces converted to sRGB); `flatten` for a copy
    without alpha, composed onto white paper (for PDF/X-1a, which allows no transparency).
    """
    accepted = (_SCREEN if srgb else _PLACEABLE).get(info.format, set())
    has_alpha = info.has_alpha or info.mode == "P"
    if info.mode in accepted and not (flatten and has_alpha) and info.orientation == 1:
        if not info.metadata:
            return info.path
        target = cache_dir / f"{info.sha256[:24]}-{_code_digest()[:12]}-clean.jpg"
        if target.exists():
            note_use(target)
        else:
            clean = without_metadata(info.path.read_bytes())
            if clean is None:  # changed since it was inspected, and now holds nothing to drop
                return info.path
            write_whole(target, clean)
        return target
    # named by the picture's content, the code and Pillow that convert it, and how: a copy made by another version
    # is never placed, and one made by this version is placed without decoding the picture again
    kind = ("srgb" if srgb else "print") + ("-flat" if flatten else "") + ("-upright" if info.orientation != 1 else "")
    stem = f"{info.sha256[:24]}-{_code_digest()[:12]}-{kind}"
    for made in (cache_dir / f"{stem}.{ext}" for ext in ("jpg", "png")):  # the format the conversion chose
        if made.exists():
            note_use(made)
            return made
    with Image.open(info.path, formats=ALLOWED_FORMATS) as img:
        img.load()
        if info.orientation != 1:  # stored on its side: placed upright, as WeasyPrint and browsers show it
            img = ImageOps.exif_transpose(img)
        converted = _for_screen(img) if srgb or img.mode != "CMYK" else img
        if flatten and converted.mode in ("RGBA", "LA", "P"):
            rgba = converted.convert("RGBA")
            converted = Image.new("RGB", rgba.size, (255, 255, 255))
            converted.paste(rgba, mask=rgba.getchannel("A"))
    photo = converted.mode in ("CMYK", "RGB", "L") and info.format == "JPEG"
    fmt = "JPEG" if photo or converted.mode == "CMYK" else "PNG"
    target = cache_dir / f"{stem}.{fmt.lower().replace('jpeg', 'jpg')}"
    buffer = io.BytesIO()
    converted.save(buffer, fmt, **({"quality": 95, "subsampling": 0, "comment": b""} if fmt == "JPEG" else {}))
    write_whole(target, buffer.getvalue())
    return target


def _for_screen(img: Image.Image) -> Image.Image:
    # Without a characterised CMYK input profile a colour-managed conversion is not possible here;
    # Pillow's conversion is a plain complement, adequate for the screen edition.
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        scale = 1 / 256 if img.mode.startswith("I;16") or img.mode == "I" else 255
        return img.convert("I" if img.mode != "F" else "F").point(lambda v: v * scale).convert("L")
    if img.mode == "LAB":
        return ImageCms.applyTransform(
            img, ImageCms.buildTransform(ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB")
        )
    has_alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
    return img.convert("RGBA" if has_alpha else "RGB")
