"""`issue-builder flatplan`: every page of an issue as a labelled thumbnail in reader spreads (PNG, PDF, table)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from issue_builder.base.atomic import replace_all
from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import OutputError, display_path, summarise
from issue_builder.build.driver import BuildOptions, build_issue
from issue_builder.commands.options import out_dir_option


@click.command("flatplan")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@out_dir_option
@click.option("--png/--no-png", default=True, help="Write <slug>-<issue>-flatplan.png (default: yes).")
@click.option("--pdf/--no-pdf", default=True, help="Write <slug>-<issue>-flatplan.pdf, one page (default: yes).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print every page (what it carries, how full it is) as JSON, not the table."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress; the table as tab-separated lines.")
def flatplan_command(manifest: Path, out_dir: Path | None, png: bool, pdf: bool, as_json: bool, quiet: bool) -> None:
    """Draw the flatplan of MANIFEST from its rendered pages: thumbnails in reader spreads, labelled, with how full
    each body page is."""
    from issue_builder.proofing.flatplan import Flatplan, flatplan_json, page_labels, print_table

    out = Reporter(quiet=quiet)
    with out.status("checking the manifest") as status:
        # the web edition is trimmed: its pages are what the flatplan shows
        result = build_issue(manifest, BuildOptions(editions=("web",), out_dir=out_dir), step=status.update)
        issue, out_dir, summary = result.issue, result.out_dir, result.summary
        (web_pdf,) = [p for p in result.files if p.name.endswith("-web.pdf") and p.parent == out_dir]
        labels = page_labels(
            summary["pages"],
            [(a.id, a.title, a.section) for a in issue.articles],
            summary["article_pages"],
            summary["fill_pages"],
            summary.get("fills", ()),
            summary.get("ran_on", ()),
        )
        status.update("drawing the flatplan")
        stem = out_dir / f"{issue.slug}-{issue.manifest.issue}-flatplan"
        files = {}
        if png or pdf:
            plan = Flatplan(web_pdf.read_bytes(), labels, issue.title, issue.manifest.typesetting.min_fill)
            if png:
                files[stem.with_suffix(".png")] = plan.png()
            if pdf:
                files[stem.with_suffix(".pdf")] = plan.pdf()

    for line in summarise([str(w) for w in result.warnings]):
        out.warn(line)
    try:
        replace_all(files, lambda temp, target: None)
    except OSError as exc:
        raise OutputError(
            f"cannot write to {display_path(out_dir)}: {exc.strerror or exc}; earlier outputs were kept"
        ) from None
    min_fill = issue.manifest.typesetting.min_fill
    if as_json:
        out.out.file.write(json.dumps(flatplan_json(labels, issue.title, min_fill), indent=1) + "\n")
        out.out.file.flush()
    else:
        title, plain = f"{issue.title}: {summary['pages']} pages", quiet or not out.out.is_terminal
        print_table(labels, out.out, title, plain=plain, min_fill=min_fill)
    if not quiet:  # on stderr: stdout carries only the table, for scripts
        for path in files:
            out.err.print(f"wrote {display_path(path)}", markup=False)
