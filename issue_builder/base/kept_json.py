"""What a reader of pages keeps between builds in one JSON file, by key (a page's digest and how it was read)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import cache_salt
from issue_builder.base.stored import sealed, typed, unsealed

_SURROGATE = re.compile("[\ud800-\udfff]")


class KeptJson:
    """Values kept by key in one JSON file, for the code and libraries that made them (`cache_salt`: the package's
    source among them). What this build took or made replaces what was kept when saved.

    A subclass says how a value is written (`write`: JSON data, or None when it cannot be kept) and read back
    (`read`: ValueError or TypeError on anything not written so). A file too large, damaged or kept by other code
    holds nothing (the file ends with the SHA-256 of all before it: one cut short or changed is not read); an entry
    that does not read back is not taken. A value holding half a character (a lone surrogate) is not kept: JSON reads
    two written side by side back as one character.
    """

    limit = 16 << 20  # bytes of the file read (a 384-page issue's records hold 2 to 6 MB; parsed, about 20 times that)

    def __init__(self, path: Path | None, known: dict[str, Any] | None = None):
        self.path = path
        self.known: dict[str, Any] = known or {}  # as stored
        self.used: dict[str, Any] = {}

    @classmethod
    def load(cls, path: Path | None) -> KeptJson:
        known: dict[str, Any] = {}
        try:
            if path is not None and path.is_file() and path.stat().st_size <= cls.limit:
                body = unsealed(path.read_bytes())
                if body is None:
                    return cls(path, {})
                stored = json.loads(body)
                if isinstance(stored, dict) and stored.get("code") == cache_salt():
                    known = {str(key): value for key, value in typed(stored["pages"], dict).items()}
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            known = {}  # none kept, kept by other code, or damaged: every page read
        return cls(path, known)

    def read(self, stored: Any) -> Any:
        raise NotImplementedError

    def write(self, value: Any) -> Any:
        raise NotImplementedError

    def get(self, key: str) -> Any:
        """The value kept under `key` (kept again when saved), or None."""
        stored = self.known.get(key)
        if stored is None:
            return None
        try:
            found = self.read(stored)
        except (ValueError, TypeError, KeyError, IndexError, UnicodeError, OverflowError, RecursionError):
            return None
        self.used[key] = stored
        return found

    def keep(self, key: str, value: Any) -> None:
        stored = self.write(value)
        if stored is not None and not _SURROGATE.search(json.dumps(stored, ensure_ascii=False)):
            self.used[key] = stored

    def save(self) -> None:
        """Replace the file with what was taken or kept since it was loaded (a file that cannot be written only costs
        time: store_in_cache)."""
        if self.path is None or self.used == self.known:  # an entry read again over a damaged one: saved
            return
        store_in_cache(self.path, sealed(json.dumps({"code": cache_salt(), "pages": self.used}).encode()))
