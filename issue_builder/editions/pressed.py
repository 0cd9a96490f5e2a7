"""What the press pass did to one page of the print edition, kept between builds (`.cache/print-pressed.bin`).

After an edit most pages draw exactly what they drew before; the press pass (`prepress.convert_and_press`) takes
their rewritten content from here instead of reading every instruction again. A record holds the page's content
and that of each form it pressed (by the resource names that lead to it from the page), the overprint states it
added to which resources, and what reading it counted against the budget. It is kept by what the page draws
(`pressed_key`), and read back strictly: a record that does not read back is no record.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, field

import pikepdf

from issue_builder.base.pdf_content import content_parts
from issue_builder.base.pdf_digest import PageDigests

PRESSED_FILE = "print-pressed.bin"  # in the build's cache folder
MAX_CONTENT_BYTES = 64 << 20  # the content of one page and its forms, as a record holds it
MAX_NAMES = 100  # resource names from a page to a form it draws: prepress.MAX_NESTING
MAX_ENTRIES = 100_000  # forms, second names of a form and overprint states one record may list: bounded.MAX_FORMS
MAX_HEAD_BYTES = 16 << 20  # the record's list of them, as JSON
_HEAD = struct.Struct(">I")

Path = tuple[str, ...]  # resource names from the page to a form it draws: () is the page itself


@dataclass
class PressedPage:
    """What pressing one page did: the content it wrote (None: left as it was) to the page and each form, the
    other paths by which it drew a form it had pressed (a form two resource names share), the overprint states it
    added to their resources (fill, stroke), and the reading it counted."""

    contents: list[tuple[Path, bytes | None]] = field(default_factory=list)
    aliases: list[tuple[Path, Path]] = field(default_factory=list)  # (another path, the path it was pressed at)
    states: list[tuple[Path, bool, bool]] = field(default_factory=list)
    counts: tuple[int, int, int] = (0, 0, 0)  # operators, operands, forms: base.bounded.Budget.counted
    sound: bool = True  # False: it drew a form an earlier page pressed, so its record would not hold all it did

    def encoded(self) -> bytes:
        head = {
            "contents": [[list(path), -1 if data is None else len(data)] for path, data in self.contents],
            "aliases": [[list(path), list(first)] for path, first in self.aliases],
            "states": [[list(path), fill, stroke] for path, fill, stroke in self.states],
            "counts": list(self.counts),
        }
        written = json.dumps(head, separators=(",", ":")).encode()
        body = b"".join(data for _, data in self.contents if data is not None)
        return _HEAD.pack(len(written)) + written + zlib.compress(body, 1)

    @classmethod
    def decoded(cls, stored: bytes) -> PressedPage | None:
        """The record `encoded` wrote, or None when `stored` is not one."""
        try:
            (size,) = _HEAD.unpack_from(stored)
            if size > MAX_HEAD_BYTES:
                return None
            head = json.loads(stored[_HEAD.size : _HEAD.size + size])
            inflate = zlib.decompressobj()
            body = inflate.decompress(stored[_HEAD.size + size :], MAX_CONTENT_BYTES + 1)
        except (struct.error, ValueError, RecursionError, zlib.error):
            return None
        if not inflate.eof or inflate.unused_data or len(body) > MAX_CONTENT_BYTES:
            return None
        if not isinstance(head, dict) or set(head) != {"contents", "aliases", "states", "counts"}:
            return None
        contents, aliases, states, counts = head["contents"], head["aliases"], head["states"], head["counts"]
        if not all(isinstance(v, list) and len(v) <= MAX_ENTRIES for v in (contents, aliases, states)):
            return None
        if not _counts(counts):
            return None
        record = cls(counts=tuple(counts))
        at = 0
        for entry in contents:
            if not (isinstance(entry, list) and len(entry) == 2 and _path(entry[0]) and _length(entry[1])):
                return None
            size = entry[1]
            record.contents.append((tuple(entry[0]), None if size < 0 else body[at : at + size]))
            at += max(size, 0)
        if at != len(body):
            return None
        for entry in aliases:
            if not (isinstance(entry, list) and len(entry) == 2 and _path(entry[0]) and _path(entry[1])):
                return None
            record.aliases.append((tuple(entry[0]), tuple(entry[1])))
        for entry in states:
            if not (isinstance(entry, list) and len(entry) == 3 and _path(entry[0])):
                return None
            if not all(isinstance(flag, bool) for flag in entry[1:]):
                return None
            record.states.append((tuple(entry[0]), entry[1], entry[2]))
        return record


def pressed_key(pdf: pikepdf.Pdf, page: pikepdf.Dictionary, setting: str) -> str | None:
    """What a page's record is kept by: what the page draws as the press pass finds it (pictures by their
    dictionaries: the ink rules never look into one; its own content whole, whatever its streams say they are)
    and `setting`, all else the pass depends on; None when the page cannot be digested (it is pressed, not
    kept)."""
    drawn = PageDigests(pdf, pictures=False).page(page)  # afresh: the pass changes the file from page to page
    try:
        parts = content_parts(page)
        content = hashlib.sha256(b"".join(p.read_raw_bytes() for p in parts if isinstance(p, pikepdf.Stream)))
    except pikepdf.PdfError:
        return None
    return None if drawn is None else f"pressed\0{setting}\0{drawn}\0{content.hexdigest()}"


def owner_at(page: pikepdf.Dictionary, path: Path) -> pikepdf.Object | None:
    """The page (path ()) or the form its resources lead to by `path`, as the press pass draws it; None if none."""
    owner = page
    if not all(_name(name) for name in path):
        return None
    for name in path:
        resources = owner.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        form = xobjects.get(name) if isinstance(xobjects, pikepdf.Dictionary) else None
        if not isinstance(form, pikepdf.Stream) or form.get("/Subtype") != "/Form":
            return None
        owner = form
    return owner


def _path(value: object) -> bool:
    return isinstance(value, list) and len(value) <= MAX_NAMES and all(_name(name) for name in value)


def _name(value: object) -> bool:
    """A resource name as a record holds it: text that can name a PDF object."""
    if not isinstance(value, str) or not value.startswith("/"):
        return False
    try:
        value.encode("utf-8")
    except UnicodeError:  # a lone surrogate: no name pikepdf takes
        return False
    return True


def _length(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -1 <= value <= MAX_CONTENT_BYTES


def _counts(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 1 << 62 for n in value)
    )
