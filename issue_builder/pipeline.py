"""The stages in order: load, validate, prepare; shared by every command that reads a manifest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from issue_builder.load.manifest import load_manifest
from issue_builder.prepare.content import PreparedIssue, prepare
from issue_builder.render.layout import layout_chain
from issue_builder.resources import require_resources
from issue_builder.errors import ManifestError
from issue_builder.validate.trust import trust_problems
from issue_builder.validate.validate import validate


def with_pdf_x(issue: PreparedIssue, pdf_x: str | None) -> PreparedIssue:
    """The issue with the print PDF's PDF/X flavour set from the command line (None keeps the manifest's)."""
    if pdf_x is not None:
        printing = dataclasses.replace(issue.manifest.printing, pdf_x=pdf_x)
        issue.manifest = dataclasses.replace(issue.manifest, printing=printing)
    return issue


def prepare_issue(manifest_path: Path) -> PreparedIssue:
    """Read, validate and prepare an issue; raises ManifestError listing every problem."""
    require_resources()
    raw = load_manifest(manifest_path)
    manifest, warnings = validate(raw)
    layout_dir = (raw.root / manifest.layout).resolve() if manifest.layout else None
    chain = layout_chain(layout_dir, raw.root)  # a broken layout.yaml is reported by `check` too
    untrusted = trust_problems(raw, manifest, chain[:-1])  # the built-in base layout is the package's own
    if untrusted:
        raise ManifestError(f"{len(untrusted)} error{'s' if len(untrusted) != 1 else ''} in the manifest:", untrusted)
    issue = prepare(raw, manifest, warnings)
    issue.publication_path = raw.publication_path
    return issue
