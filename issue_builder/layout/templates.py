"""The Jinja2 environment of a layout chain: sandboxed, autoescaping, templates from the first layout that has them."""

from __future__ import annotations

from pathlib import Path

import jinja2

from issue_builder.layout.values import PlainSandbox


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

    def get_source(self, environment: jinja2.Environment, template: str):
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
    return [
        (folder / "css" / "extra.css", folder) for folder in reversed(chain) if (folder / "css" / "extra.css").is_file()
    ]
