"""The inputs of a build: every file it reads, their fingerprint, and when they last changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from issue_builder.base.cache import MAX_FONT_BYTES, MAX_INPUT_BYTES, file_sha256, too_large, tools_fingerprint
from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.paths import DATA_DIR, DEFAULT_CMYK_PROFILE, FONTS_DIR, ICC_DIR
from issue_builder.load.layouts import layout_chain
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.fonts import FONT_SUFFIXES


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
    files += folder_files(folders)
    return sorted(set(files))


def resources_digest(issue: PreparedIssue) -> str:
    """A hash of every input but the manifest, the publication file and the article bodies, which reach the layout
    only through its HTML (a changed title lays out again its article and the contents, not the whole issue), and
    the pictures, which a laid-out section records as it draws them (layout/parallel.py: a retouched picture lays out
    again the sections that show it)."""
    skipped = {a.source.body.path for a in issue.articles} | {issue.manifest_path.resolve(), issue.publication_path}
    skipped |= {info.path for info in issue.images}
    digest = hashlib.sha256()
    for path in input_files(issue):
        if path not in skipped:
            digest.update(_portable(path, issue).encode() + b"\0" + file_sha256(path, MAX_INPUT_BYTES).encode())
    return digest.hexdigest()


def oversized(files: list[Path]) -> list[Diagnostic]:
    """An error for each file larger than a build reads (fonts have a lower limit), found without reading any."""
    found = []
    for path in files:
        limit = MAX_FONT_BYTES if path.suffix.lower() in FONT_SUFFIXES else MAX_INPUT_BYTES
        try:
            size = path.stat().st_size
        except OSError:
            continue  # reported by whatever reads it
        if size > limit:
            found.append(too_large(path, size, limit))
    return found


def folder_files(folders: list[Path]) -> list[Path]:
    """The files in `folders` and their subfolders."""
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


def fingerprint(issue: PreparedIssue, settings: dict) -> str:
    """A hash that changes whenever an input, a setting, the code or a library behind the output changes.

    Paths enter it relative to the issue or the project, so the same inputs in another checkout give the same
    hash (it is the build id printed on proofs)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(tools_fingerprint().encode())
    digest.update(content_time(issue).isoformat().encode())  # printed on proofs
    for path in input_files(issue):
        digest.update(_portable(path, issue).encode() + b"\0" + file_sha256(path, MAX_INPUT_BYTES).encode())
    return digest.hexdigest()


def changed_since(issue: PreparedIssue, moment: float) -> bool:
    """Whether an input was saved after `moment` (a time.time()): outputs made before may not match it."""
    return any(p.stat().st_mtime >= moment for p in input_files(issue) if p.exists())


def _portable(path: Path, issue: PreparedIssue) -> str:
    for base, label in ((issue.root, "issue"), (DATA_DIR, "project")):
        if path.is_relative_to(base):
            return f"{label}:{path.relative_to(base).as_posix()}"
    return str(path)


def content_time(issue: PreparedIssue) -> dt.datetime:
    """When the inputs last changed: SOURCE_DATE_EPOCH if set, else the newest input file's modification time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    newest = max(
        p.stat().st_mtime
        for p in [issue.manifest_path, *(a.source.body.path for a in issue.articles), *(i.path for i in issue.images)]
    )
    return dt.datetime.fromtimestamp(int(newest), dt.UTC)
