"""JPEG files without what their makers wrote about them (EXIF with its GPS position, XMP, IPTC, comments,
thumbnails) or stored after the picture (a phone's second picture, a motion photo's video)."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SOI, _EOI, _SOS, _COM, _APP0, _APP2, _APP14 = 0xD8, 0xD9, 0xDA, 0xFE, 0xE0, 0xE2, 0xEE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length
_FILL = re.compile(rb"\xff+")  # a marker's 0xFF, and the fill bytes that may come before it
# In a scan's entropy-coded data 0xFF 0x00 is a data byte and 0xFF 0xD0-0xD7 a restart marker; any other marker
# ends the scan (fill bytes before it stay with the data). Found by the regular expression engine in linear time.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JFIF = b"JFIF\0"
_JFIF_LENGTH = 16  # an APP0 JFIF segment's length without a thumbnail: version, density units, densities
MAX_SEGMENTS = 100_000  # markers in one file: a photograph has a few dozen, a progressive one a hundred or so


def without_metadata(data: bytes) -> bytes | None:
    """`data` without its metadata (APP1 EXIF and XMP, APP13 IPTC, other application data, comments, thumbnails,
    whatever follows the end of the picture), losslessly: the image data is not touched. Kept: a plain JFIF header
    (densities), an ICC profile and Adobe's colour transform (APP14), which colour correctness needs.

    None when it holds none or is no JPEG; ValueError (a message for the user) when its structure cannot be read."""
    if data[:2] != b"\xff\xd8":
        return None
    pieces, dropped = [], False
    for start, end, action in _walk(data):
        if action == "keep":
            pieces.append(data[start:end])
        elif action == "jfif":  # the header without its thumbnail
            pieces.append(b"\xff\xe0" + _JFIF_LENGTH.to_bytes(2, "big") + data[start + 4 : start + 16] + b"\0\0")
            dropped = True
        elif action == "end":  # the end marker the picture lacked, in place of the next one's start
            pieces.append(b"\xff\xd9")
            dropped = True
        else:
            dropped = True
    return b"".join(pieces) if dropped else None


def has_metadata(data: bytes) -> bool:
    """Whether `without_metadata(data)` drops anything (the same walk, nothing copied); ValueError as it."""
    found = False
    for _, _, action in _walk(data) if data[:2] == b"\xff\xd8" else ():
        found = found or action != "keep"  # walked to the end all the same: a broken structure is an error here too
    return found


def _walk(data: bytes) -> Iterator[tuple[int, int, str]]:
    """The file as pieces (start, end, "keep" | "drop" | "jfif" | "end") up to the picture's end, in order; fill
    bytes before a marker are in none."""
    at, scanned, segments = 0, False, 0
    while at < len(data):
        segments += 1
        if segments > MAX_SEGMENTS:
            raise ValueError(f"the JPEG has more than {MAX_SEGMENTS:,} segments; save it again from an image editor")
        if data[at] != 0xFF:  # bytes between segments: skipped by decoders, as here
            following = data.find(b"\xff", at)
            following = len(data) if following < 0 else following
            yield at, following, "drop"
            at = following
            continue
        fill = _FILL.match(data, at)
        if fill.end() >= len(data):
            yield at, len(data), "drop"
            return
        at, marker = fill.end() - 1, data[fill.end()]  # fill bytes before a marker are left out
        if marker == _EOI or (marker == _SOI and scanned):  # the picture ends; whatever follows is not shown
            yield at, at + 2, "keep" if marker == _EOI else "end"  # a new picture starting ends the first one
            if at + 2 < len(data):
                yield at + 2, len(data), "drop"
            return
        if marker in _STANDALONE or marker == _SOI:
            yield at, at + 2, "keep"
            at += 2
            continue
        if at + 4 > len(data):
            raise ValueError(f"the JPEG ends inside a segment header at byte {at:,}; save it again")
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise ValueError(f"the JPEG has a segment running past its end at byte {at:,}; save it again")
        yield at, end, _action(data, at, marker, scanned)
        at = end
        if marker == _SOS:  # the scan's entropy-coded data, up to the marker that ends it
            scanned = True
            following = _SCAN_END.search(data, at)
            scan_end = len(data) if following is None else following.start()
            yield at, scan_end, "keep"
            at = scan_end


def _action(data: bytes, at: int, marker: int, scanned: bool) -> str:
    """What becomes of a segment with a length: kept, dropped, or (a JFIF header with a thumbnail) shortened."""
    if marker == _COM:
        return "drop"
    if not 0xE0 <= marker <= 0xEF:
        return "keep"
    if scanned:  # application data between scans: read by no decoder
        return "drop"
    if marker == _APP0 and data[at + 4 : at + 9] == _JFIF:
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        return "keep" if length == _JFIF_LENGTH else "jfif" if length > _JFIF_LENGTH else "drop"
    if marker == _APP2 and data[at + 4 : at + 16] == b"ICC_PROFILE\0":
        return "keep"
    return "keep" if marker == _APP14 else "drop"
