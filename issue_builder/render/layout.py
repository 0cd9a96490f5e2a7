"""The layout search chain (issue layout, its parents, the built-in base) and its Jinja2 environment."""

from __future__ import annotations

from pathlib import Path

import jinja2

from issue_builder.errors import Diagnostic, ManifestError
from issue_builder.load.yaml_source import read_yaml
from issue_builder.resources import BASE_LAYOUT

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
            raise ManifestError("", [Diagnostic("layout parents form a loop or are nested too deep", file=current / LAYOUT_FILE)])
        chain.append(current)
        current = _parent(current, root)
    return chain + [BASE_LAYOUT]


def _parent(folder: Path, root: Path) -> Path | None:
    settings = folder / LAYOUT_FILE
    if not settings.is_file():
        return None
    doc, problems = read_yaml(settings)
    if doc is None:
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


def make_environment(chain: list[Path]) -> jinja2.Environment:
    """A Jinja2 environment that finds each template in the first layout of the chain that has it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in chain]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def extra_stylesheets(chain: list[Path]) -> list[Path]:
    """Every layout's `css/extra.css`, base first, so that a child layout's rules win."""
    return [folder / "css" / "extra.css" for folder in reversed(chain) if (folder / "css" / "extra.css").is_file()]
