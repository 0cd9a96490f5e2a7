"""The sandboxed URL fetcher: WeasyPrint may read only files inside the allowed folders."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

_TYPES = {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".svg": "image/svg+xml"}


class SandboxFetcher(URLFetcher):
    """Serves `file:` URLs under `roots`; refuses everything else and remembers what it refused.

    """

    def __init__(self, roots: list[Path], generated: dict[Path, bytes] | None = None):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.roots = [r.resolve() for r in roots]
        self.generated = generated or {}  # files made by the build itself (the barcode), served from memory
        self.refused: list[tuple[str, str]] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return self._refuse(url, "only files inside the issue, its layout and fonts may be loaded")
        path = Path(unquote(parts.path))
        if path in self.generated:
            return URLFetcherResponse(url, self.generated[path], {"Content-Type": _TYPES.get(path.suffix, "application/octet-stream")})
        path = path.resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            return self._refuse(url, "outside the issue folder, its layout and fonts")
        if not path.is_file():
            return self._refuse(url, "file not found")
        mime = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    def _refuse(self, url: str, why: str) -> URLFetcherResponse:
        self.refused.append((url, why))
        raise ValueError(f"refused {url}: {why}")
