"""PNG pictures as WeasyPrint 70 writes them into a section's PDF, kept by content between builds.

WeasyPrint decodes a PNG and compresses its samples again (its alpha apart, as a soft mask) each time it writes a
section that shows it: 0.15 s for issue 18's 1400-pixel megaphone, each time its article is written again. What it
wrote is kept in the build's cache folder, keyed by the PNG's bytes and all else its writing reads, and given back
as WeasyPrint would write it. A JPEG it copies as it is, and a picture it reduces for a `dpi` option it writes as
ever.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import cache_salt
from issue_builder.base.kept_files import read_kept
from issue_builder.layout.engine import images

Stream, Dictionary = images.pydyf.Stream, images.pydyf.Dictionary  # the PDF objects WeasyPrint writes pictures as
WEASYPRINTS = images.RasterImage.get_x_object  # put back when no build keeps pictures
_written = WEASYPRINTS  # what writes a picture that is not kept
_folder: list[Path] = []  # the cache folder of the build under way (inherited by its forks)
KEPT_MODES = ("RGB", "RGBA", "L", "LA")  # what WeasyPrint writes without a word (it warns of other modes)
MAX_HEADER = 64 * 1024  # a kept stream's description; its samples are as long as it says


@contextlib.contextmanager
def kept_in(folder: Path) -> Iterator[None]:
    """PNG pictures written while the block runs (in this process and its forks) kept in `folder`."""
    _folder.append(folder)
    images.RasterImage.get_x_object = _get_x_object
    try:
        yield
    finally:
        _folder.pop()
        if not _folder:
            images.RasterImage.get_x_object = WEASYPRINTS


def _get_x_object(self, interpolate, dpi_ratio):
    if not _folder or self.format != "PNG" or self.mode not in KEPT_MODES or dpi_ratio != 1:
        return _written(self, interpolate, dpi_ratio)
    source = self.image_data.data
    digest = hashlib.sha256(source)
    digest.update(repr((self.mode, self.width, self.height, interpolate, cache_salt())).encode())
    path = _folder[-1] / f"png-{digest.hexdigest()[:32]}.bin"
    kept = read_kept(path)
    if kept is not None:
        with contextlib.suppress(ValueError, TypeError, KeyError, RecursionError):
            return _stream(self, _unpacked(kept))
    self.image_data = self.cache_image_data(source)  # written from the bytes keyed, even if its file changes now
    x_object = _written(self, interpolate, dpi_ratio)
    packed = _packed(x_object)
    if packed is not None:
        store_in_cache(path, packed)
    return x_object


def _packed(x_object) -> bytes | None:
    """The stream WeasyPrint wrote as bytes: its dictionary and its soft mask's as JSON, then their samples."""
    extra = dict(x_object.extra)
    mask = extra.pop("SMask", None)
    if mask is not None and not isinstance(mask, Stream):
        return None
    header = {"extra": extra, "mask": None if mask is None else dict(mask.extra)}
    blobs = [_data(x_object)] + ([] if mask is None else [_data(mask)])
    if None in blobs:
        return None
    header["sizes"] = [len(blob) for blob in blobs]
    text = json.dumps(header).encode()
    return len(text).to_bytes(4, "big") + text + b"".join(blobs)


def _data(stream) -> bytes | None:
    """The samples of a picture stream WeasyPrint made: one piece, kept in its image cache."""
    if len(stream.stream) != 1 or not isinstance(stream.stream[0], images.LazyImage):
        return None
    data = stream.stream[0].data
    return data if isinstance(data, bytes) else None


def _unpacked(kept: bytes) -> dict:
    """What `_packed` wrote; ValueError, TypeError or KeyError for anything else."""
    length = int.from_bytes(kept[:4], "big")
    if length > MAX_HEADER:
        raise ValueError("not a kept stream")
    header = json.loads(kept[4 : 4 + length])
    sizes, mask = header["sizes"], header["mask"]
    if not isinstance(header["extra"], dict) or not (mask is None or isinstance(mask, dict)):
        raise ValueError("not a kept stream")
    if "SMask" in header["extra"] or (mask is not None and "SMask" in mask):  # the mask is its own stream
        raise ValueError("not a kept stream")
    if not isinstance(sizes, list) or len(sizes) != 1 + (mask is not None):
        raise ValueError("not a kept stream")
    if not all(isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in sizes):
        raise ValueError("not a kept stream")
    if 4 + length + sum(sizes) != len(kept):
        raise ValueError("cut short")
    data = kept[4 + length : 4 + length + sizes[0]]
    return {**header, "data": data, "alpha": kept[4 + length + sizes[0] :] if header["mask"] is not None else None}


def _stream(image, kept: dict):
    """The picture's stream as WeasyPrint writes it (image.get_x_object, WeasyPrint 70), from what was kept."""
    extra = _dictionary(kept["extra"])
    if kept["mask"] is not None:
        alpha = image.cache_image_data(kept["alpha"], slot="streamalpha")
        extra["SMask"] = Stream([alpha], extra=_dictionary(kept["mask"]))
    return Stream([image.cache_image_data(kept["data"], slot="stream")], extra)


def _dictionary(values: dict):
    """A PDF dictionary of what JSON gave back (numbers, names and strings as WeasyPrint wrote them, dictionaries)."""
    found = Dictionary()
    for key, value in values.items():
        if isinstance(value, dict):
            found[key] = _dictionary(value)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            found[key] = value
        else:
            raise TypeError(f"{key}: not a value WeasyPrint writes here")
    return found
