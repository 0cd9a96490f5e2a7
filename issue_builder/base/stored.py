"""What a build kept as JSON, read back strictly: each value of the type written, or TypeError / ValueError."""

from __future__ import annotations

import hashlib
import math


def rows(value, width: int) -> list[list]:
    """`value` as a list of lists of `width` items; TypeError or ValueError otherwise."""
    found = typed(value, list)
    if any(len(typed(row, list)) != width for row in found):
        raise ValueError(f"rows of {width} expected")
    return found


def typed(value, kind: type):
    """`value`, when it is of `kind` (a bool is no int); TypeError otherwise."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{kind.__name__} expected, found {type(value).__name__}")
    return value


def number(value) -> float:
    """`value` as a float, when it is a finite int or float (a bool is no number, JSON's NaN and Infinity no
    number a build wrote); TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"number expected, found {type(value).__name__}")
    found = float(value)
    if not math.isfinite(found):
        raise ValueError(f"finite number expected, found {found}")
    return found


def numbers(value, count: int) -> tuple[float, ...]:
    """`value` as a tuple of `count` floats; TypeError or ValueError otherwise."""
    found = typed(value, list)
    if len(found) != count:
        raise ValueError(f"{count} numbers expected")
    return tuple(number(v) for v in found)


SEAL_BYTES = 32  # the SHA-256 a kept file ends with


def sealed(body: bytes) -> bytes:
    """`body` as a kept file holds it: followed by its SHA-256, so that one cut short or changed is not read."""
    return body + hashlib.sha256(body).digest()


def unsealed(data: bytes) -> bytes | None:
    """What `sealed` was given, or None when `data` is not what it wrote."""
    body, seal = data[:-SEAL_BYTES], data[-SEAL_BYTES:]
    return body if len(data) >= SEAL_BYTES and hashlib.sha256(body).digest() == seal else None
