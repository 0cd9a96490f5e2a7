"""The manifest entries behind a print PDF's pages and images, from the record of the build that wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from issue_builder.base.cache import file_sha256
from issue_builder.base.preflight_report import Sources

RECORDS = "build-*.json"  # build records in an output folder's .cache (build/record.py writes them)
MAX_RECORDS = 64  # records read per folder: an output folder holds one per set of build options
MAX_RECORD_BYTES = 16 * 1024**2


def recorded_sources(pdf: Path) -> Sources:
    """The sources the build that wrote `pdf` recorded: its record is looked for in the `.cache` folder beside the
    file and one folder up (the file as a printer's package holds it), and must list a file of the same SHA-256.
    A file from elsewhere, or changed since, has none."""
    try:
        digest = file_sha256(pdf)
    except OSError:
        return Sources()
    for folder in (pdf.parent / ".cache", pdf.parent.parent / ".cache"):
        try:
            records = sorted(folder.glob(RECORDS))[:MAX_RECORDS]
        except OSError:
            continue
        for path in records:
            found = _sources_in(path, digest)
            if found is not None:
                return found
    return Sources()


def _sources_in(path: Path, digest: str) -> Sources | None:
    """The sources `path` (a build record) keeps for a file of SHA-256 `digest`; None when it wrote no such file."""
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            return None
        record = json.loads(path.read_text("utf-8"))
        names = [name for name, sha in record["files"].items() if sha == digest]
        recorded = record.get("summary", {}).get("sources", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    for name in names:
        if isinstance(recorded, dict) and name in recorded:
            return Sources.from_dict(recorded[name])
    return Sources() if names else None
