"""`issue-builder check`: validate a manifest and every file it references, without rendering."""

from __future__ import annotations

from pathlib import Path

import click

from issue_builder.console import Reporter
from issue_builder.errors import IssueBuilderError, display_path
from issue_builder.pipeline import prepare_issue


@click.command("check")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but problems.")
def check_command(manifest: Path, strict: bool, quiet: bool) -> None:
    """Check MANIFEST: YAML, schema, referenced files, images, Markdown and fonts."""
    out = Reporter(quiet=quiet)
    issue = prepare_issue(manifest)
    for warning in issue.warnings:
        out.warn(str(warning))
    if strict and issue.warnings:
        raise IssueBuilderError(f"{len(issue.warnings)} warning(s) and --strict is set")
    words = sum(a.words for a in issue.articles)
    out.info(f"{display_path(manifest)}: OK: issue {issue.manifest.issue}, {len(issue.articles)} articles, "
             f"{words:,} words, {len(issue.images)} images, {len(issue.warnings)} warnings")
