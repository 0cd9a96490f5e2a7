"""The record of a finished build, kept beside its outputs: what it wrote, from which inputs.

Its summary's `sources` maps each written PDF to the manifest entries behind its pages and images. `issue-builder
preflight` finds the record of the build that wrote a file by the file's SHA-256 and names those entries in its
findings (checks/preflight/sources.py); the PDF itself, which goes to the printer, carries no such data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from issue_builder.base.cache import current_sha256, file_sha256
from issue_builder.editions.finishers import Edition


@dataclass
class BuildRecord:
    """What a finished build wrote, from which inputs, and what it reported."""

    fingerprint: str
    files: dict[str, str]  # path relative to the output folder -> sha256
    summary: dict = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)  # Diagnostic.as_dict() of each warning
    # the issue's files the layout drew on that no manifest names (a picture the CSS takes): file URL -> sha256,
    # None for one looked for and not found
    inputs: dict[str, str | None] = field(default_factory=dict)


def edition_sources(editions: list[Edition]) -> dict[str, dict]:
    """The summary's `sources`: file name of each edition that records them -> its Sources as JSON-ready data."""
    return {e.file_name: e.sources.as_dict() for e in editions if e.sources is not None}


def load_record(path: Path) -> BuildRecord | None:
    try:
        record = BuildRecord(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    whole = all(isinstance(w, dict) for w in record.warnings) and isinstance(record.inputs, dict)
    return record if whole else None


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
    return all(
        urlsplit(url).scheme == "file" and current_sha256(Path(unquote(urlsplit(url).path))) == digest
        for url, digest in record.inputs.items()
    )
