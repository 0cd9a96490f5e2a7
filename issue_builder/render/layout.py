"""The layout search chain (issue layout, its parents, the built-in base) and its Jinja2 environment."""

from __future__ import annotations

from pathlib import Path

import jinja2

from issue_builder.errors import Diagnostic, ManifestError
from issue_builder.load.yaml_source import read_yaml
from issue_builder.render.values import PlainSandbox
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


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory by file and source checksum: an issue's HTML is made once per article and
    edition, and compiling the templates again each time took longer than filling them (an edited one recompiles)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])  # dropped by Jinja if the checksum differs

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class _ContainedLoader(jinja2.FileSystemLoader):
    """Finds templates through the chain, refusing any file whose real path leaves its layout folder (symlinks)."""

    def get_source(self, environment: jinja2.Environment, template: str):  # noqa: ANN201
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(folder).resolve()) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(f"{template} (points outside its layout folder)")
        return source, filename, uptodate


def css_string(value: object) -> str:
    """A CSS string literal of `value`: quotes, backslashes, `<` and line breaks escaped."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>\n\r\x0c' or ord(ch) < 32 else ch for ch in str(value))
    return f'"{escaped}"'


def make_environment(chain: list[Path]) -> jinja2.Environment:
    """A sandboxed Jinja2 environment finding each template in the first layout of the chain that has it; its
    templates read plain values only (see `values.template_context`).

    HTML templates autoescape; CSS templates must pass text through `css_string`.
    """
    env = PlainSandbox(
        loader=_ContainedLoader([str(p) for p in chain]),
        bytecode_cache=_COMPILED,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    return env


def read_contained(path: Path, folder: Path) -> str:
    """Read a layout file, refusing one whose real path leaves `folder`."""
    if not path.resolve().is_relative_to(folder.resolve()):
        raise jinja2.TemplateNotFound(f"{path.name} (points outside its layout folder)")
    return path.read_text("utf-8")


def extra_stylesheets(chain: list[Path]) -> list[tuple[Path, Path]]:
    """Every layout's `css/extra.css` with its folder, base first, so that a child layout's rules win."""
    return [(folder / "css" / "extra.css", folder) for folder in reversed(chain) if (folder / "css" / "extra.css").is_file()]
