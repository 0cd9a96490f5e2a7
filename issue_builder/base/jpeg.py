"""JPEG files without what their makers wrote about them (EXIF with its GPS position, XMP, IPTC, comments)."""

from __future__ import annotations

_SOI, _SOS, _COM = 0xD8, 0xDA, 0xFE
_KEPT = {0xE0, 0xEE}  # APP0 (JFIF) and APP14 (Adobe: how CMYK samples are stored); APP2 only as an ICC profile
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length


def without_metadata(data: bytes) -> bytes | None:
    """`data` without its metadata segments (APP1 EXIF and XMP, APP13 IPTC, other application data, comments),
    losslessly: the image data is not touched. None when it holds none, or is no JPEG whose header can be walked."""
    if data[:2] != b"\xff\xd8":
        return None
    kept, at, dropped = [data[:2]], 2, False
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == _SOS:  # the image data runs from here to the end: kept as it is
            kept.append(data[at:])
            return b"".join(kept) if dropped else None
        if marker in _STANDALONE or marker == _SOI:
            kept.append(data[at : at + 2])
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if length < 2 or at + 2 + length > len(data):
            return None
        segment = data[at : at + 2 + length]
        application = 0xE0 <= marker <= 0xEF
        icc = marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\0"
        if marker == _COM or (application and marker not in _KEPT and not icc):
            dropped = True
        else:
            kept.append(segment)
        at += 2 + length
    return None
