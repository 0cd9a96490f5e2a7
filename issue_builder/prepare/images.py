"""Inspecting images safely and making the derivatives an output profile needs."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFile

from issue_builder.base.cache import MAX_INPUT_BYTES, file_sha256

# Formats a layout can place; Pillow is told to try only these (never EPS, whatever the file is called).
ALLOWED_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP")
MAX_PIXELS = 90_000_000


@dataclass(frozen=True)
class ImageInfo:
    """What the build knows about one image file after decoding it completely."""

    path: Path
    format: str
    mode: str
    width: int
    height: int
    sha256: str

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("RGBA", "LA", "PA") or self.mode.endswith("A")


def inspect_image(path: Path) -> ImageInfo:
    """Decode `path` fully; raises ValueError with a message for the user when it is unusable."""
    seen = _INSPECTED.get(path)
    if seen is not None and seen[0] is not None and seen[0] == _stat_key(path) and seen[1].sha256 == _sha256(path):
        return seen[1]  # decoded before in this process (watch) and unchanged since: its bytes hash the same
    # WeasyPrint switches on Pillow's LOAD_TRUNCATED_IMAGES when imported; a truncated file must fail here.
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        info = _decode(path)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    _INSPECTED[path] = (_stat_key(path), info)
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
                return ImageInfo(
                    path=path,
                    format=img.format,
                    mode=img.mode,
                    width=img.width,
                    height=img.height,
                    sha256=_sha256(path),
                )
        except Image.UnidentifiedImageError:
            raise ValueError(f"not an image in an accepted format ({', '.join(ALLOWED_FORMATS)})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError("image is too large to decode safely (decompression bomb limit)") from None
        except (OSError, SyntaxError, ValueError) as exc:
            if isinstance(exc, ValueError) and str(exc).startswith("image is"):
                raise
            raise ValueError(f"cannot decode image: {exc}") from None


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
    if info.mode in accepted and not (flatten and has_alpha):
        return info.path
    with Image.open(info.path, formats=ALLOWED_FORMATS) as img:
        img.load()
        converted = _for_screen(img) if srgb or img.mode != "CMYK" else img
        if flatten and converted.mode in ("RGBA", "LA", "P"):
            rgba = converted.convert("RGBA")
            converted = Image.new("RGB", rgba.size, (255, 255, 255))
            converted.paste(rgba, mask=rgba.getchannel("A"))
    fmt = "JPEG" if converted.mode in ("CMYK", "RGB") and info.format == "JPEG" or converted.mode == "CMYK" else "PNG"
    kind = ("srgb" if srgb else "print") + ("-flat" if flatten else "")
    target = cache_dir / f"{info.sha256[:24]}-{kind}.{fmt.lower().replace('jpeg', 'jpg')}"
    if not target.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        converted.save(tmp, fmt, **({"quality": 95, "subsampling": 0} if fmt == "JPEG" else {}))
        os.replace(tmp, target)
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
