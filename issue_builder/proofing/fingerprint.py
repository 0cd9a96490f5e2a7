"""Page fingerprints: a digest of everything a page draws, so pages that are the same need not be rasterized."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pikepdf

from issue_builder.base.pdf_content import content_parts

RESOURCE_KINDS = ("/XObject", "/Font", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/Properties")
PLAIN_NAME = re.compile(r"/[A-Za-z0-9_.+-]+")
NAME_IN_CONTENT = re.compile(rb"/([^\s/\[\]<>(){}%]+)")
SKIPPED_KEYS = ("/Parent", "/P", "/Contents", "/Resources")  # back links, and what is hashed apart


def page_fingerprints(path: Path) -> list[bytes] | None:
    """One digest per page over its content, the resources its content names (deeply), its boxes and annotations.

    Equal digests mean the pages draw the same; None when pikepdf cannot read the file (every page is then compared
    by its pixels). WeasyPrint shares one resource dictionary between all pages, so only the resources a page's
    content names are taken in: an image changed on one page leaves the other pages' digests alone.
    """
    try:
        with pikepdf.open(path) as pdf:
            memo: dict[tuple[int, int], bytes] = {}
            return [_page_digest(page.obj, memo) for page in pdf.pages]
    except (pikepdf.PdfError, OSError, ValueError, RecursionError, TypeError, AttributeError, KeyError, IndexError):
        return None  # malformed objects too: every page is then compared by its pixels


def _page_digest(page: pikepdf.Dictionary, memo: dict) -> bytes:
    digest = hashlib.sha256()
    for key in sorted(page.keys()):
        if key not in SKIPPED_KEYS:
            digest.update(key.encode() + _digest(page[key], memo, set()))
    for key in ("/MediaBox", "/CropBox", "/Rotate"):  # inheritable from the page tree
        digest.update(key.encode() + _digest(_inherited(page, key), memo, set()))
    data = b"\n".join(stream.read_bytes() for stream in content_parts(page))
    digest.update(hashlib.sha256(data).digest())
    named = set(NAME_IN_CONTENT.findall(data))
    resources = _inherited(page, "/Resources")
    if isinstance(resources, pikepdf.Dictionary):
        for kind in RESOURCE_KINDS:
            entries = resources.get(kind)
            if not isinstance(entries, pikepdf.Dictionary):
                continue
            for name in sorted(entries.keys()):
                # a name spelled with # escapes in the content might not be found: such resources are always hashed
                if name[1:].encode() in named or not PLAIN_NAME.fullmatch(name):
                    digest.update(kind.encode() + name.encode() + _digest(entries[name], memo, set()))
        for key in sorted(resources.keys()):
            if key not in RESOURCE_KINDS:
                digest.update(key.encode() + _digest(resources[key], memo, set()))
    return digest.digest()


def _inherited(page: pikepdf.Dictionary, key: str):
    node, depth = page, 0
    while node is not None and depth < 64:
        if key in node:
            return node[key]
        node, depth = node.get("/Parent"), depth + 1
    return None


def _digest(obj, memo: dict, active: set) -> bytes:
    """A digest of an object and everything it refers to (page references as a mere mark)."""
    key = obj.objgen if isinstance(obj, pikepdf.Object) and obj.is_indirect else None
    if key is not None:
        if key in memo:
            return memo[key]
        if key in active:
            return b"cycle"
        active.add(key)
    digest = hashlib.sha256(type(obj).__name__.encode())
    if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Page":
        digest.update(b"page")
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        items = obj.stream_dict.items() if isinstance(obj, pikepdf.Stream) else obj.items()
        for name, value in sorted(items, key=lambda item: item[0]):
            if name not in ("/Parent", "/P"):
                digest.update(name.encode() + _digest(value, memo, active))
        if isinstance(obj, pikepdf.Stream):
            digest.update(hashlib.sha256(obj.read_raw_bytes()).digest())
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            digest.update(_digest(value, memo, active))
    elif isinstance(obj, pikepdf.String):
        digest.update(bytes(obj))
    else:
        digest.update(repr(obj).encode())
    result = digest.digest()
    if key is not None:
        memo[key] = result
        active.discard(key)
    return result
