"""Cache keys: file digests and the fingerprint of the code and libraries that shape an output."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import zlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, ManifestError
from issue_builder.base.paths import PROJECT_DIR

MAX_INPUT_BYTES = 1024**3  # any one file a build reads: a 90-megapixel 16-bit TIFF fits, a runaway file does not
MAX_FONT_BYTES = 128 * 1024**2  # one font file: the largest CJK fonts are about 30 MB
_BLOCK = 1024 * 1024

PACKAGES = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "cssselect2",
    "pillow",
    "pikepdf",
    "pypdfium2",
    "reportlab",
    "fonttools",
    "uharfbuzz",
    "markdown-it-py",
    "mdit-py-plugins",
    "nh3",
    "jinja2",
    "pyyaml",
)

TEXT_LIBRARIES = (
    "libpango-1.0.so.0",
    "libpangoft2-1.0.so.0",
    "libharfbuzz.so.0",
    "libharfbuzz-subset.so.0",
    "libfontconfig.so.1",
    "libfreetype.so.6",
    "libfribidi.so.0",
)


def cache_salt() -> str:
    """Part of every cache key: cached files made by other code or libraries are not used."""
    return tools_fingerprint()[:16]


def file_sha256(path: Path, limit: int | None = None) -> str:
    """The SHA-256 of a file's content, read in blocks; past `limit` bytes, a ManifestError naming the file."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            size += len(block)
            if limit is not None and size > limit:
                raise ManifestError("", [too_large(path, max(size, os.fstat(handle.fileno()).st_size), limit)])
            digest.update(block)
    return digest.hexdigest()


def modified_at(path: Path, unknown: float = 0.0) -> float:
    """When the file at `path` was last saved (its modification time); `unknown` where that cannot be told."""
    try:
        return path.stat().st_mtime
    except OSError:
        return unknown


def too_large(path: Path, size: int, limit: int) -> Diagnostic:
    """The error for a file larger than a build reads."""
    return Diagnostic(f"file is {size:,} bytes; a build reads files of at most {limit:,} bytes", file=path)


def current_sha256(path: Path) -> str | None:
    """The SHA-256 of the file at `path` as it is now: None when there is none, "" when it cannot be read whole
    (unreadable, or larger than a build reads): never what a build recorded."""
    try:
        return file_sha256(path, MAX_INPUT_BYTES) if path.is_file() else None
    except (OSError, ManifestError):
        return ""


@lru_cache(maxsize=1)
def libraries_fingerprint() -> str:
    """The Python, packages and system text libraries that shape the output (see `native_libraries`)."""
    digest = hashlib.sha256(sys.version.encode())
    digest.update(zlib.ZLIB_RUNTIME_VERSION.encode())  # kept content streams are compressed as qpdf compresses
    for name in PACKAGES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    for library in native_libraries():
        digest.update(library.encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def tools_fingerprint() -> str:
    """The code and libraries that shape the output: our package's source and the versions of the rest."""
    digest = hashlib.sha256(libraries_fingerprint().encode())
    for path in sorted((PROJECT_DIR / "issue_builder").rglob("*.py")):
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + file_sha256(path).encode())
    qpdf = shutil.which("qpdf")
    if qpdf:
        version = subprocess.run([qpdf, "--version"], capture_output=True, text=True, check=False).stdout
        digest.update(version.splitlines()[0].encode() if version else b"qpdf")
    return digest.hexdigest()


def native_libraries() -> list[str]:
    """The versioned file names of the system libraries that lay out and subset text (Pango, HarfBuzz, ...).

    A system upgrade of these can move a line break or change a font subset without any Python package changing
    version, so they are part of the fingerprint: a build made with the old ones is not reused. They are loaded by
    their sonames, as WeasyPrint loads them (importing WeasyPrint would double the time of a build with nothing to
    do), and the dynamic linker's choice is read back from /proc/self/maps."""
    loaded = []
    for soname in TEXT_LIBRARIES:
        try:
            ctypes.CDLL(soname)
            loaded.append(soname)
        except OSError:
            continue
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: the sonames are what can be known
        return loaded
    files = {line.rsplit("/", 1)[-1] for line in maps.splitlines() if "/" in line}
    return sorted(name for name in files if any(name.startswith(soname) for soname in loaded))
