"""Whether a build's outputs are up to date: a fingerprint of every input, recorded beside the outputs."""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from issue_builder.prepare.content import PreparedIssue
from issue_builder.render.layout import layout_chain
from issue_builder.resources import DEFAULT_CMYK_PROFILE, FONTS_DIR, ICC_DIR, PROJECT_DIR

PACKAGES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "pillow", "pikepdf", "reportlab", "fonttools", "uharfbuzz",
            "markdown-it-py", "mdit-py-plugins", "nh3", "jinja2", "pyyaml")

TEXT_LIBRARIES = ("libpango-1.0.so.0", "libpangoft2-1.0.so.0", "libharfbuzz.so.0", "libharfbuzz-subset.so.0",
                  "libfontconfig.so.1", "libfreetype.so.6", "libfribidi.so.0")


@dataclass
class BuildRecord:
    """What a finished build wrote, from which inputs, and what it reported."""

    fingerprint: str
    files: dict[str, str]  # path relative to the output folder -> sha256
    summary: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def input_files(issue: PreparedIssue) -> list[Path]:
    """Every file the build reads: manifest, publication file, bodies, images, layouts, fonts, profiles."""
    m = issue.manifest
    files = [issue.manifest_path.resolve()]
    if issue.publication_path:
        files.append(issue.publication_path)
    files += [a.source.body.path for a in issue.articles]
    files += [info.path for info in issue.images]
    files.append(m.printing.output_profile.path if m.printing.output_profile else DEFAULT_CMYK_PROFILE)
    folders = layout_chain(issue.layout_dir, issue.root) + [FONTS_DIR, ICC_DIR]
    folders += [(issue.root / d).resolve() for d in m.font_dirs]
    for folder in folders:
        files += [p for p in folder.rglob("*") if p.is_file()]
    return sorted(set(files))


def resources_digest(issue: PreparedIssue) -> str:
    """A hash of every input but the manifest, the publication file and the article bodies, which reach the layout
    only through its HTML (a changed title lays out again its article and the contents, not the whole issue)."""
    bodies = {a.source.body.path for a in issue.articles} | {issue.manifest_path.resolve(), issue.publication_path}
    digest = hashlib.sha256()
    for path in input_files(issue):
        if path not in bodies:
            digest.update(_portable(path, issue).encode() + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()


def fingerprint(issue: PreparedIssue, settings: dict) -> str:
    """A hash that changes whenever an input, a setting, the code or a library behind the output changes.

    Paths enter it relative to the issue or the project, so the same inputs in another checkout give the same
    hash (it is the build id printed on proofs)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(_tools_fingerprint().encode())
    digest.update(content_time(issue).isoformat().encode())  # printed on proofs
    for path in input_files(issue):
        digest.update(_portable(path, issue).encode() + b"\0" + file_sha256(path).encode())
    return digest.hexdigest()


def changed_since(issue: PreparedIssue, moment: float) -> bool:
    """Whether an input was saved after `moment` (a time.time()): outputs made before may not match it."""
    return any(p.stat().st_mtime >= moment for p in input_files(issue) if p.exists())


def cache_salt() -> str:
    """Part of every cache key: cached files made by other code or libraries are not used."""
    return _tools_fingerprint()[:16]


def _portable(path: Path, issue: PreparedIssue) -> str:
    for base, label in ((issue.root, "issue"), (PROJECT_DIR, "project")):
        if path.is_relative_to(base):
            return f"{label}:{path.relative_to(base).as_posix()}"
    return str(path)


def content_time(issue: PreparedIssue) -> dt.datetime:
    """When the inputs last changed: SOURCE_DATE_EPOCH if set, else the newest input file's modification time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    newest = max(p.stat().st_mtime for p in [issue.manifest_path, *(a.source.body.path for a in issue.articles),
                                             *(i.path for i in issue.images)])
    return dt.datetime.fromtimestamp(int(newest), dt.timezone.utc)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_record(path: Path) -> BuildRecord | None:
    try:
        return BuildRecord(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def record_bytes(record: BuildRecord) -> bytes:
    return json.dumps(asdict(record), indent=1, sort_keys=True).encode()


def up_to_date(record: BuildRecord | None, key: str, out_dir: Path) -> bool:
    """True when `record` was made from the same inputs and every file it wrote is still there, unchanged."""
    if record is None or record.fingerprint != key:
        return False
    for name, digest in record.files.items():
        path = out_dir / name
        if not path.is_file() or file_sha256(path) != digest:
            return False
    return True


@lru_cache(maxsize=1)
def _tools_fingerprint() -> str:
    """The code and libraries that shape the output: our package's source and the versions of the rest."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted((PROJECT_DIR / "issue_builder").rglob("*.py")):
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + file_sha256(path).encode())
    for name in PACKAGES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    for library in native_libraries():
        digest.update(library.encode())
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
