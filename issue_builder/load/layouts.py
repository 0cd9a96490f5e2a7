"""The layout chain: the publication's layout folder, its parents (`layout.yaml`), ending with the built-in base."""

from __future__ import annotations

from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, ManifestError
from issue_builder.base.paths import BASE_LAYOUT
from issue_builder.load.yaml_source import read_yaml

LAYOUT_FILE = "layout.yaml"
MAX_DEPTH = 8


def layout_chain(layout_dir: Path | None, root: Path) -> list[Path]:
    """Layout folders, most specific first, ending with the built-in base layout.

    A layout folder may hold `layout.yaml` with `parent: <folder>` (relative to it) to inherit from
    another layout of the project; every chain ends at the built-in base.
    """
    chain: list[Path] = []
    current = layout_dir
    while current is not None and current != BASE_LAYOUT:
        if current in chain or len(chain) >= MAX_DEPTH:
            raise ManifestError(
                "", [Diagnostic("layout parents form a loop or are nested too deep", file=current / LAYOUT_FILE)]
            )
        chain.append(current)
        current = _parent(current, root)
    return chain + [BASE_LAYOUT]


def _parent(folder: Path, root: Path) -> Path | None:
    settings = folder / LAYOUT_FILE
    if not settings.is_file():
        return None
    doc, problems = read_yaml(settings)
    if doc is None or problems:
        raise ManifestError("", problems)
    if not isinstance(doc.data, dict) or set(doc.data) - {"parent"}:
        raise ManifestError("", [doc.diagnostic((), "layout.yaml may only set 'parent'")])
    parent = doc.data.get("parent")
    if parent is None:
        return None
    if not isinstance(parent, str):
        raise ManifestError("", [doc.diagnostic(("parent",), "expected a folder path")])
    resolved = (folder / parent).resolve()
    if not resolved.is_relative_to(root) or not resolved.is_dir():
        raise ManifestError("", [doc.diagnostic(("parent",), f"folder not found inside the issue folder: {parent}")])
    return resolved
