"""`issue-builder schema`: the manifest's JSON Schema, for editors that complete and check YAML as it is typed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from issue_builder.base.atomic import replace_all
from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import OutputError, display_path
from issue_builder.commands.options import quiet_option
from issue_builder.validate.json_schema import schema_text


@click.command("schema")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the schema to this file (replaced whole) instead of printing it.",
)
@click.option(
    "--publication", is_flag=True, help="The schema of the publication file (publication.yaml), not of a manifest."
)
@quiet_option
def schema_command(out_file: Path | None, publication: bool, quiet: bool) -> None:
    """Print the JSON Schema of an issue manifest (or, with --publication, of the publication file).

    Generated from the typed model, with each field's documentation as its description. Name it in the first line
    of a manifest, `# yaml-language-server: $schema=issue.schema.json`, and editors with a YAML language server
    (VS Code's YAML extension, Neovim, Helix, Zed...) complete keys, show their documentation and mark wrong values
    as they are typed; `issue-builder new` writes that line and the file.
    """
    kind = "publication" if publication else "issue"
    text = schema_text(kind)
    if out_file is None:
        sys.stdout.write(text)
        return
    write_schema(out_file, text)
    what = "the publication file" if publication else "an issue manifest"
    Reporter(quiet=quiet).info(f"wrote {display_path(out_file)}: the JSON Schema of {what}")


def write_schema(path: Path, text: str) -> None:
    """Write a schema file whole, or fail with the reason and leave what was there."""
    try:
        replace_all({path: text.encode()}, lambda *_: None)
    except OSError as exc:
        raise OutputError(f"cannot write {display_path(path)}: {exc.strerror or exc}") from None
