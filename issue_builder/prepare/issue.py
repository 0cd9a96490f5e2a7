"""The stages in order: load, validate, prepare; shared by every command that reads a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from issue_builder.base.diagnostics import ManifestError
from issue_builder.base.paths import FONTS_DIR, ICC_DIR, require_resources
from issue_builder.load.layouts import layout_chain
from issue_builder.load.manifest import RawManifest, load_manifest
from issue_builder.prepare.content import PreparedIssue, prepare
from issue_builder.prepare.inputs import folder_files, input_files, oversized
from issue_builder.validate.trust import trust_problems
from issue_builder.validate.validate import validate

Overrides = dict[tuple[str, ...], Any]  # key path -> value given on the command line (None: not given)


def prepare_issue(
    manifest_path: Path, overrides: Overrides | None = None, cache_dir: Path | None = None
) -> PreparedIssue:
    """Read, validate and prepare an issue, with command-line `overrides` applied before validation (so that they
    are checked like the manifest's own values); raises ManifestError listing every problem. `cache_dir`: a build's
    cache, where what decoding each picture found is kept (prepare/images.py)."""
    require_resources()
    raw = load_manifest(manifest_path)
    for path, value in (overrides or {}).items():
        if value is not None:
            _override(raw, path, value)
    manifest, warnings = validate(raw)
    layout_dir = (raw.root / manifest.layout).resolve() if manifest.layout else None
    chain = layout_chain(layout_dir, raw.root)  # a broken layout.yaml is reported by `check` too
    _refuse_untrusted(trust_problems(raw, manifest, chain[:-1]))  # the built-in base layout is the package's own
    fonts = [(raw.root / folder).resolve() for folder in manifest.font_dirs]
    _refuse_untrusted(oversized(folder_files(chain + fonts + [FONTS_DIR, ICC_DIR])))  # before a font is opened
    issue = prepare(raw, manifest, warnings, cache_dir)
    # the images the articles place are known once their Markdown is read
    _refuse_untrusted(trust_problems(raw, manifest, chain[:-1], [info.path for info in issue.images]))
    issue.publication_path = raw.publication_path
    _refuse_untrusted(oversized(input_files(issue)))  # the images and profile too: the build hashes every input
    issue.layout_chain = chain
    issue.document = raw.document
    return issue


def _override(raw: RawManifest, path: tuple[str, ...], value: Any) -> None:
    data = raw.document.data
    for key in path[:-1]:
        data = data.setdefault(key, {})
        if not isinstance(data, dict):
            return  # a value of the wrong kind: validation reports it where it was written
    data[path[-1]] = value


def _refuse_untrusted(problems: list) -> None:
    if problems:
        raise ManifestError(f"{len(problems)} error{'s' if len(problems) != 1 else ''} in the manifest:", problems)
