"""The URLs the layout places files under that name no folder: the build's files and the issue's own, so that
WeasyPrint, which names each picture after its URL, writes the same bytes wherever the issue and its output are."""

from __future__ import annotations

import posixpath
import urllib.parse
from pathlib import Path
from urllib.parse import unquote, urlsplit

BUILD_SCHEME = "issue-builder-build"  # files the build made: converted images, the barcode
ISSUE_SCHEME = "issue-builder-issue"  # files in the issue's folder, by their path in it
# what the issue's HTML is laid out against: its relative URLs name its files, and one that climbs out of the folder
# (a `..` too many) or starts at `/` names no file of it, as it named none inside the folder's `file:` URL before
ISSUE_BASE = f"{ISSUE_SCHEME}:///issue/"

# WeasyPrint joins a relative URL to the base with urllib, which joins only the schemes it knows to be hierarchical
for _hierarchical in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
    if ISSUE_SCHEME not in _hierarchical:
        _hierarchical.append(ISSUE_SCHEME)


def build_url(name: str) -> str:
    """The URL the layout places a file of the build under: the same wherever the output folder is."""
    return f"{BUILD_SCHEME}:{name}"


def issue_path(url: str, root: Path) -> Path | None:
    """The file an issue URL (or a `file:` URL) names inside the issue's folder `root`; None for any other URL,
    or one that leads out of the folder."""
    parts = urlsplit(url)
    try:
        if parts.scheme == ISSUE_SCHEME and not parts.netloc and parts.path.startswith(_ISSUE_PATH):
            path = (root / unquote(parts.path[len(_ISSUE_PATH) :])).resolve()
        elif parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
        else:
            return None
    except (OSError, ValueError):  # a NUL in it, a name too long: no file of the issue
        return None
    return path if path.is_relative_to(root.resolve()) else None


_ISSUE_PATH = urlsplit(ISSUE_BASE).path


def as_written(url: str) -> str:
    """An issue URL as the issue's files name it, relative to its folder (`../x.png` for one that climbs out of
    it); any other URL as it is."""
    parts = urlsplit(url)
    if parts.scheme != ISSUE_SCHEME or parts.netloc:
        return url
    return posixpath.relpath(unquote(parts.path), _ISSUE_PATH) + ("/" if parts.path.endswith("/") else "")
