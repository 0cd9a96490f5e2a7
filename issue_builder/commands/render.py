"""`issue-builder render`: lay issues out and write their print and web PDFs (and proofs when asked)."""

from __future__ import annotations

from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.build.driver import BuildOptions, build_issue
from issue_builder.commands.options import pdf_x_option, quiet_option
from issue_builder.commands.summary import report
from issue_builder.editions.finishers import DEFAULT_EDITIONS, FINISHERS


@click.command("render")
@click.argument("manifests", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (one manifest only). Default: build/<issue number>/ under the current folder.",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(sorted(FINISHERS)),
    help="Write only this edition (repeatable). Default: print and web.",
)
@click.option("--strict", is_flag=True, help="Fail on any warning, not only on errors.")
@click.option("--keep-html", is_flag=True, help="Also write the HTML given to WeasyPrint, for inspection.")
@click.option("--preflight", "run_preflight", is_flag=True, help="Preflight the print PDF after writing it.")
@pdf_x_option
@click.option(
    "--force",
    is_flag=True,
    help="Render even when the outputs are up to date with their inputs "
    "(laid-out sections whose inputs are unchanged, and what the web structure repair, the PDF/UA check and the "
    "words and running-head checks read of pages drawn as before, "
    "are still reused: delete <out>/.cache to lay out and read everything again).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Issues rendered at once when several manifests are given.",
)
@quiet_option
def render_command(
    manifests: tuple[Path, ...],
    out_dir: Path | None,
    only: tuple[str, ...],
    strict: bool,
    keep_html: bool,
    run_preflight: bool,
    pdf_x: str | None,
    force: bool,
    jobs: int,
    quiet: bool,
) -> None:
    """Render MANIFESTS (issues' YAML files) into their PDFs."""
    if out_dir is not None and len(manifests) > 1:
        raise click.UsageError("--out takes one manifest; several issues go to build/<issue number>/ each")
    options = BuildOptions(
        editions=tuple(dict.fromkeys(only)) or DEFAULT_EDITIONS,
        out_dir=out_dir,
        strict=strict,
        keep_html=keep_html,
        pdf_x=pdf_x,
        reuse=not force,
    )
    out = Reporter(quiet=quiet)
    if len(manifests) > 1:
        from issue_builder.commands.render_many import render_many

        render_many(list(manifests), options, jobs, out, run_preflight)
        return
    with out.status("checking the manifest") as status:
        result = build_issue(manifests[0], options, step=status.update)
    report(result, out, run_preflight)
