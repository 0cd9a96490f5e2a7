"""The sandboxed URL fetcher: WeasyPrint may read only files inside the allowed folders."""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from issue_builder.base.cache import MAX_FONT_BYTES, MAX_INPUT_BYTES, current_sha256
from issue_builder.layout.engine import URLFetcher, URLFetcherResponse
from issue_builder.layout.urls import BUILD_SCHEME, ISSUE_SCHEME, issue_path
from issue_builder.prepare.fonts import FONT_SUFFIXES

_TYPES = {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".svg": "image/svg+xml"}


class SandboxFetcher(URLFetcher):
    """Serves `file:` URLs under `roots`, the issue's URLs (layout/urls.py) from `issue_root` and the build's
    files; refuses everything else and remembers what it refused, and the SHA-256 of what it served (None for a
    file it did not find): what a laid-out section drew on (layout/parallel.py)."""

    def __init__(
        self,
        roots: list[Path],
        generated: dict[str, bytes] | None = None,
        build_dir: Path | None = None,
        issue_root: Path | None = None,
    ):
        super().__init__(allowed_protocols={"file", BUILD_SCHEME, ISSUE_SCHEME}, allow_redirects=False)
        self.roots = [r.resolve() for r in roots]
        self.issue_root = issue_root.resolve() if issue_root is not None else None
        self.generated = generated or {}  # build files served from memory (the barcode), by name
        self.build_dir = build_dir  # build files on disk (converted images), by name
        self.refused: list[tuple[str, str]] = []
        self.served: dict[str, str | None] = {}

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        found = self._locate(url)
        if isinstance(found, str):
            return self._refuse(url, found)
        name = found.name if isinstance(found, Path) else unquote(urlsplit(url).path)
        mime = _TYPES.get(Path(name).suffix.lower()) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        if isinstance(found, bytes):
            self.served[url] = hashlib.sha256(found).hexdigest()
            return URLFetcherResponse(url, found, {"Content-Type": mime})
        try:
            is_file = found.is_file()
        except (OSError, ValueError):  # a name too long
            return self._refuse(url, "not a file name")
        if not is_file:
            self.served[url] = None
            return self._refuse(url, "file not found")
        return self._file(url, found, mime)

    def digest_now(self, url: str) -> str | None:
        """The SHA-256 of what `url` would serve now (None: nothing found), without remembering it; "" for a URL
        it would refuse or a file it could not read whole."""
        found = self._locate(url)
        if isinstance(found, str):
            return ""
        return hashlib.sha256(found).hexdigest() if isinstance(found, bytes) else current_sha256(found)

    def _locate(self, url: str) -> bytes | Path | str:
        """What `url` names: a build file's bytes, a file's path (there or not), or why it is refused."""
        parts = urlsplit(url)
        if parts.scheme == BUILD_SCHEME:
            name = unquote(parts.path)
            if name in self.generated:
                return self.generated[name]
            if self.build_dir is None or not name or "/" in name or name.startswith("."):
                return "not a file of this build"
            return self.build_dir / name
        if parts.scheme == ISSUE_SCHEME:
            path = issue_path(url, self.issue_root) if self.issue_root is not None else None
            return path if path is not None else "outside the issue folder"
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return "only files inside the issue, its layout and fonts may be loaded"
        try:
            path = Path(unquote(parts.path)).resolve()
        except (OSError, ValueError):
            return "not a file name"
        if not any(path.is_relative_to(root) for root in self.roots):
            return "outside the issue folder, its layout and fonts"
        return path

    def _file(self, url: str, path: Path, mime: str) -> URLFetcherResponse:
        """The file's bytes, read only up to the size a build reads of such a file (a font, anything else)."""
        limit = MAX_FONT_BYTES if path.suffix.lower() in FONT_SUFFIXES else MAX_INPUT_BYTES
        try:
            with open(path, "rb") as handle:
                too_large = os.fstat(handle.fileno()).st_size > limit
                data = b"" if too_large else handle.read(limit + 1)  # never more, should it grow meanwhile
        except OSError as exc:
            return self._refuse(url, f"cannot be read: {exc.strerror or exc}")
        if too_large or len(data) > limit:
            return self._refuse(url, f"the file is larger than {limit:,} bytes, the most a build reads of it")
        self.served[url] = hashlib.sha256(data).hexdigest()
        return URLFetcherResponse(url, data, {"Content-Type": mime})

    def _refuse(self, url: str, why: str) -> URLFetcherResponse:
        self.refused.append((url, why))
        raise ValueError(f"refused {url}: {why}")
