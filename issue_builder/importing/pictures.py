"""The document's pictures: found where the document keeps them, decoded, and kept in a format the layout places."""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
import zipfile
from pathlib import Path
from urllib.parse import unquote

from PIL import Image, ImageFile

PLACEABLE = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp"}  # what the layout takes, kept as it is
CONVERTED = ("GIF", "BMP")  # re-saved as PNG (their first frame)
MAX_PIXELS = 90_000_000  # as the build accepts
MAX_PICTURES = 500
MAX_PICTURE_BYTES = 200 * 1024**2
_DATA_URL = re.compile(r"^data:image/[\w.+-]+;base64,(.*)$", re.IGNORECASE | re.DOTALL)
_REMOTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class LeftOut(ValueError):
    """A picture that cannot be imported; the message says why, for the editor."""


def picture_bytes(target: str, kind: str, package: Path | None, folder: Path) -> bytes:
    """The bytes of a picture the document names `target`: a file of the .docx or .odt package, or for .html and
    .md an embedded `data:` picture or a file in the document's own folder (nothing is fetched)."""
    if kind in ("docx", "odt"):
        if package is None or _REMOTE.match(target) or target.startswith("/") or ".." in target.split("/"):
            raise LeftOut("linked, not embedded in the document")
        return _package_file(package, [target, f"word/{target}"] if kind == "docx" else [target])
    embedded = _DATA_URL.match(target)
    if embedded:
        try:
            return base64.b64decode(embedded.group(1), validate=False)
        except (binascii.Error, ValueError):
            raise LeftOut("an embedded picture that cannot be decoded") from None
    if _REMOTE.match(target):
        raise LeftOut("on the web: import fetches nothing; download it and add it by hand")
    if target.startswith("/"):
        raise LeftOut("an absolute path: pictures are read from the document's own folder only")
    return _file_inside(folder / unquote(target), folder.resolve(), "outside the document's folder")


def _package_file(package: Path, names: list[str]) -> bytes:
    """A file of the ZIP package under one of `names`, its bytes counted as they unpack (the sizes an archive
    declares are the author's to choose)."""
    with zipfile.ZipFile(package) as archive:
        members = set(archive.namelist())
        name = next((n for n in names if n in members), None)
        if name is None:
            raise LeftOut("not found in the document")
        with archive.open(name) as part:
            data = part.read(MAX_PICTURE_BYTES + 1)
    if len(data) > MAX_PICTURE_BYTES:
        raise LeftOut(f"larger than {MAX_PICTURE_BYTES:,} bytes")
    return data


def _file_inside(path: Path, folder: Path, outside: str) -> bytes:
    resolved = (folder / path).resolve() if not path.is_absolute() else path.resolve()
    if not resolved.is_relative_to(folder):
        raise LeftOut(outside)
    if not resolved.is_file():
        raise LeftOut("not found")
    if resolved.stat().st_size > MAX_PICTURE_BYTES:
        raise LeftOut(f"larger than {MAX_PICTURE_BYTES:,} bytes")
    return resolved.read_bytes()


def placeable(data: bytes) -> tuple[bytes, str]:
    """The picture's bytes and file extension in a format the layout places; LeftOut when it has none."""
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=(*PLACEABLE, *CONVERTED)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise LeftOut(f"{img.width} x {img.height} pixels; at most {MAX_PIXELS:,} are placed")
                img.load()
                if img.format in PLACEABLE:
                    return data, PLACEABLE[img.format]
                out = io.BytesIO()
                img.convert("RGBA" if "A" in img.mode or "transparency" in img.info else "RGB").save(out, "PNG")
                return out.getvalue(), "png"
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        if isinstance(exc, LeftOut):
            raise
        raise LeftOut(
            "not a picture the layout places (JPEG, PNG, TIFF or WebP; GIF and BMP are converted): export it "
            "as PNG and add it by hand"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
