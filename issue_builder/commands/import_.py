"""`issue-builder import`: a writer's .docx, .odt, .html or .md file into a new article of an issue."""

from __future__ import annotations

from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import display_path
from issue_builder.commands.options import quiet_option
from issue_builder.importing.article import import_document
from issue_builder.importing.review import ReviewChoices


def default_manifest(folder: Path) -> Path:
    """The one issue manifest in `folder` (a .yaml file other than publication.yaml), for a missing --into."""
    found = sorted(p for p in folder.glob("*.yaml") if p.name != "publication.yaml")
    if len(found) != 1:
        named = f" ({', '.join(p.name for p in found)})" if found else ""
        raise click.UsageError(
            f"name the issue manifest with --into: {len(found)} found in {display_path(folder)}{named}"
        )
    return found[0]


@click.command("import")
@click.argument("document", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--into",
    "manifest",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Issue manifest to add the article to (default: the only one in the current folder).",
)
@click.option(
    "--as", "slug", metavar="SLUG", help="Identifier of the article and name of its files (default: from the title)."
)
@click.option("--accept-changes", is_flag=True, help="Accept the document's tracked changes.")
@click.option("--reject-changes", is_flag=True, help="Reject the document's tracked changes.")
@click.option(
    "--keep-comments", is_flag=True, help="Keep the document's comments as Markdown comments (never printed)."
)
@click.option("--drop-comments", is_flag=True, help="Leave the document's comments out.")
@quiet_option
def import_command(
    document: Path,
    manifest: Path | None,
    slug: str | None,
    accept_changes: bool,
    reject_changes: bool,
    keep_comments: bool,
    drop_comments: bool,
    quiet: bool,
) -> None:
    """Import DOCUMENT (.docx, .odt, .html, .md) as a new article: its text as Markdown, its pictures into the
    issue's img/ folder, and an entry at the end of the manifest's articles, marked for review. A document with
    tracked changes or comments is refused until the command line says what to do with them."""
    if accept_changes and reject_changes:
        raise click.UsageError("--accept-changes and --reject-changes exclude each other")
    if keep_comments and drop_comments:
        raise click.UsageError("--keep-comments and --drop-comments exclude each other")
    choices = ReviewChoices(
        changes="accept" if accept_changes else "reject" if reject_changes else None,
        comments="keep" if keep_comments else "drop" if drop_comments else None,
    )
    manifest = manifest or default_manifest(Path.cwd())
    out = Reporter(quiet=quiet)
    with out.status(f"importing {display_path(document)}"):
        done = import_document(document, manifest, slug, choices)
    converted = done.converted
    for warning in converted.warnings:
        out.warn(warning)
    pictures = len(converted.pictures)
    out.info(
        f"{display_path(document)}: imported into {display_path(manifest)} as articles[{done.index}] "
        f"'{converted.placement.slug}': {converted.placement.body} ({converted.words:,} words), "
        f"{pictures} picture{'s' if pictures != 1 else ''}"
        + (f" in {converted.placement.pictures}/" if pictures else "")
    )
    for name, found in (("title", converted.title), ("dek", converted.dek), ("author", converted.author)):
        out.info(f"  {name}: {found.text} (from {found.source})" if found.text else f"  {name}: none found")
    if converted.marks:
        changes = [m for m in converted.marks if not m.is_comment]
        comments = [m for m in converted.marks if m.is_comment]
        did = []
        if changes:
            did.append(f"{len(changes)} tracked change{'s' if len(changes) != 1 else ''} {choices.changes}ed")
        if comments:
            fate = "kept as Markdown comments" if choices.comments == "keep" else "dropped"
            did.append(f"{len(comments)} comment{'s' if len(comments) != 1 else ''} {fate}")
        out.info(f"  {' and '.join(did)}:")
        for mark in converted.marks:
            out.info(f"    {mark.describe()}")
    out.info(f"review the new entry (marked by a comment), then: issue-builder check {display_path(manifest)}")
