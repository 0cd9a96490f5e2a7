"""A digest of what a PDF page draws: its content streams and every object its resources reach, bytes and all.

Two pages with the same digest draw the same thing the same way, whatever their object numbers (objects are digested
by what they hold, not by where they are), so a reader's findings on one hold for the other. A reader that never
looks into a picture (the press's ink rules) may leave pictures' data out: their dictionaries still count. A page
whose resources refer back to an object still being digested (a cycle), or reach too many objects, gets no digest:
it is read.
"""

from __future__ import annotations

import hashlib
import re

import pikepdf

MAX_OBJECTS = 100_000  # objects digested in one file
# a reference as qpdf writes an object out, or a string (skipped: qpdf escapes the parentheses in a literal one);
# possessive, and never starting inside a number, so that a long run of digits is read once
_REFERENCE_OR_STRING = re.compile(rb"\((?:[^\\()]|\\.)*+\)|<[0-9A-Fa-f]*+>|(?<![0-9.])(\d++) (\d++) R\b", re.S)


class Unkeyable(Exception):
    """The page's objects cannot be digested soundly (a cycle, too many of them)."""


class PageDigests:
    """Digests of one open file's pages; each object digested once, by what it holds."""

    def __init__(self, pdf: pikepdf.Pdf, pictures: bool = True):
        self.pdf, self.pictures = pdf, pictures  # False: a picture's data is left out (its dictionary is in)
        self.known: dict[tuple[int, int], bytes | None] = {}  # None: being digested

    def page(self, page: pikepdf.Dictionary) -> str | None:
        """The page's digest (its /Contents and /Resources, as a content reader sees them); None when it has none."""
        digest = hashlib.sha256()
        try:
            for key in ("/Contents", "/Resources"):
                digest.update(key.encode() + b"\0" + self._of(page.get(key)))
        except (Unkeyable, RecursionError, pikepdf.PdfError, TypeError, ValueError):
            return None  # read, as a page with no digest
        return digest.hexdigest()

    def _of(self, obj) -> bytes:
        if obj is None:
            return b"absent"
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            return self._indirect(obj)
        written = obj.unparse() if isinstance(obj, pikepdf.Object) else repr(obj).encode()
        return self._digest(b"direct", written)

    def _indirect(self, obj: pikepdf.Object) -> bytes:
        key = obj.objgen
        if key in self.known:
            found = self.known[key]
            if found is None:
                raise Unkeyable("a cycle")
            return found
        if len(self.known) >= MAX_OBJECTS:
            raise Unkeyable("too many objects")
        self.known[key] = None
        if isinstance(obj, pikepdf.Stream):
            if self.pictures or obj.get("/Subtype") != "/Image":
                found = self._digest(b"stream", obj.stream_dict.unparse(), obj.read_raw_bytes())
            else:
                found = self._digest(b"picture", obj.stream_dict.unparse())
        else:
            found = self._digest(b"object", obj.unparse(resolved=True))
        self.known[key] = found
        return found

    def _digest(self, kind: bytes, written: bytes, data: bytes = b"") -> bytes:
        """The digest of an object written out as `written` (with its stream's `data`): its references stand for
        the digests of the objects they name, not for their numbers."""
        text, named, last = [], [], 0
        for match in _REFERENCE_OR_STRING.finditer(written):
            if match.group(1) is not None:
                text += (written[last : match.start()], b"R")
                named.append((int(match.group(1)), int(match.group(2))))
                last = match.end()
        text.append(written[last:])
        digest = hashlib.sha256(b"%s\0%d\0" % (kind, len(data)) + data + b"\0" + b"".join(text))
        for reference in named:
            target = self.pdf.get_object(reference)
            digest.update(b"\0" + (self._indirect(target) if target is not None else b"null"))
        return digest.digest()
