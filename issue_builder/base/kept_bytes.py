"""Byte strings kept between builds in one file, by key: what the latest build used replaces what was kept."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import cache_salt
from issue_builder.base.stored import SEAL_BYTES, sealed, unsealed

MAGIC = b"issue-builder kept bytes 1\n"
MAX_FILE_BYTES = 256 << 20  # a 384-page issue's rewritten web pages keep about 3 MB
_ENTRY = struct.Struct(">32sI")  # the key's digest, the length of the bytes that follow


class KeptBytes:
    """The byte strings a build kept, by key (any text: only its SHA-256 is stored).

    Kept for the code and libraries that made them (`cache_salt`: the package's source among them). The file ends
    with the SHA-256 of all before it: a file cut short or damaged is read as holding nothing, never in part.
    """

    def __init__(self, path: Path | None, known: dict[bytes, bytes]):
        self.path, self.known = path, known
        self.used: dict[bytes, bytes] = {}

    @classmethod
    def load(cls, path: Path | None) -> KeptBytes:
        """What is kept at `path` (nothing when it is None, missing, too large, damaged or kept by other code)."""
        known: dict[bytes, bytes] = {}
        if path is not None:
            try:
                if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
                    known = _entries(path.read_bytes())
            except OSError:
                known = {}
        return cls(path, known)

    def get(self, key: str) -> bytes | None:
        """The bytes kept under `key` (kept again by the next `save`), or None."""
        digest = _digest(key)
        found = self.known.get(digest)
        if found is not None:
            self.used[digest] = found
        return found

    def keep(self, key: str, data: bytes) -> None:
        self.used[_digest(key)] = data

    def save(self) -> None:
        """Replace the file with what was used or kept since it was loaded; a file that cannot be written only costs
        time (store_in_cache)."""
        if self.path is None or self.used == self.known:
            return
        body = bytearray(MAGIC + cache_salt().encode() + b"\n")
        for digest in sorted(self.used):
            data = self.used[digest]
            body += _ENTRY.pack(digest, len(data)) + data
        if len(body) + SEAL_BYTES <= MAX_FILE_BYTES:
            store_in_cache(self.path, sealed(bytes(body)))


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def _entries(stored: bytes) -> dict[bytes, bytes]:
    """The entries of a kept file, or none when it is damaged or made by other code."""
    head = MAGIC + cache_salt().encode() + b"\n"
    body = unsealed(stored)
    if body is None or not body.startswith(head):
        return {}
    entries: dict[bytes, bytes] = {}
    at = len(head)
    while at < len(body):
        if at + _ENTRY.size > len(body):
            return {}
        digest, size = _ENTRY.unpack_from(body, at)
        at += _ENTRY.size
        if at + size > len(body):
            return {}
        entries[digest] = body[at : at + size]
        at += size
    return entries
