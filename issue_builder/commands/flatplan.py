"""`issue-builder flatplan`: every page of an issue as a labelled thumbnail in reader spreads (PNG, PDF, table)."""

from __future__ import annotations

from pathlib import Path

import click

from issue_builder.console import Reporter
from issue_builder.errors import Diagnostic, OutputError, RenderError, display_path
from issue_builder.pipeline import prepare_issue
from issue_builder.write.atomic import replace_all


@click.command("flatplan")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder. Default: build/<issue number>/ under the current folder.")
@click.option("--png/--no-png", default=True, help="Write <slug>-<issue>-flatplan.png (default: yes).")
@click.option("--pdf/--no-pdf", default=True, help="Write <slug>-<issue>-flatplan.pdf, one page (default: yes).")
@click.option("--quiet", "-q", is_flag=True, help="No progress; the table as tab-separated lines.")
def flatplan_command(manifest: Path, out_dir: Path | None, png: bool, pdf: bool, quiet: bool) -> None:
    """Draw the flatplan of MANIFEST from its rendered pages: thumbnails in reader spreads, labelled."""
    from issue_builder.proofing.flatplan import Flatplan, page_labels, print_table
    from issue_builder.write.profiles import PROFILES
    from issue_builder.write.weasy import render_edition  # WeasyPrint loads only when rendering

    out = Reporter(quiet=quiet)
    with out.status("checking the manifest") as status:
        issue = prepare_issue(manifest)
        out_dir = out_dir or Path("build") / str(issue.manifest.issue)
        status.update("rendering the pages")
        edition = render_edition(issue, PROFILES["web"], out_dir / ".cache")  # the web edition is trimmed
        errors = [Diagnostic(str(m)) for m in edition.messages if m.severity == "error"]
        if errors:
            raise RenderError(f"{display_path(manifest)}: the render failed; no flatplan was written:", errors)
        labels = page_labels(edition.pages, [(a.id, a.title, a.section) for a in issue.articles],
                             edition.article_pages, edition.fill_pages)
        status.update("drawing the flatplan")
        stem = out_dir / f"{issue.slug}-{issue.manifest.issue}-flatplan"
        files = {}
        if png or pdf:
            plan = Flatplan(edition.pdf, labels, issue.title)
            if png:
                files[stem.with_suffix(".png")] = plan.png()
            if pdf:
                files[stem.with_suffix(".pdf")] = plan.pdf()

    try:
        replace_all(files, lambda temp, target: None)
    except OSError as exc:
        raise OutputError(f"cannot write to {display_path(out_dir)}: {exc.strerror or exc}; "
                          "earlier outputs were kept") from None
    print_table(labels, out.out, f"{issue.title}: {edition.pages} pages", plain=quiet or not out.out.is_terminal)
    if not quiet:  # on stderr: stdout carries only the table, for scripts
        for path in files:
            out.err.print(f"wrote {display_path(path)}", markup=False)
