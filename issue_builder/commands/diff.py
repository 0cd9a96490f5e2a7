"""`issue-builder diff`: which pages changed between two rounds of an issue's PDF, and how."""

from __future__ import annotations

import json
from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import IssueBuilderError, display_path


class PdfsDiffer(IssueBuilderError):
    """The two files differ (exit 1, like diff); the differences were already printed."""

    exit_code = 1


@click.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_pdf",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a copy of NEW with the changed areas highlighted to this PDF.",
)
@click.option(
    "--png",
    "png_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write a PNG of each differing page (old left, new right, highlighted) into this folder.",
)
@click.option(
    "--dpi",
    type=click.IntRange(20, 300),
    default=50,
    show_default=True,
    help="Resolution at which pages are compared pixel by pixel.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option(
    "--quiet", "-q", is_flag=True, help="Print nothing but problems; the exit code tells (0 same, 1 different)."
)
def diff_command(
    old: Path, new: Path, out_pdf: Path | None, png_dir: Path | None, dpi: int, as_json: bool, quiet: bool
) -> None:
    """Compare two rounds OLD and NEW of a PDF page by page. Exit 0 identical, 1 different, 2 unusable input.

    Pages are told apart as changed (words added or removed), reflowed (the same words, moved by an
    edit on an earlier page), changed visually (same words, other pixels), added or removed.
    """
    from issue_builder.proofing.diff import compare_pdfs, describe, summary_lines
    from issue_builder.proofing.highlight import write_highlights, write_pngs

    if out_pdf is not None and out_pdf.resolve() in (old.resolve(), new.resolve()):
        raise click.BadParameter(f"{display_path(out_pdf)} is one of the files compared", param_hint="--out")
    out = Reporter(quiet=quiet)
    with out.status("comparing the two files") as status:
        comparison = compare_pdfs(old, new, dpi=dpi)
        if out_pdf is not None:
            status.update("writing the highlighted PDF")
            write_highlights(comparison, new, out_pdf)
        pngs = []
        if png_dir is not None:
            status.update("writing PNGs of the changed pages")
            pngs = write_pngs(comparison, png_dir)
    if as_json:
        out.out.print_json(json.dumps(comparison.as_dict(), ensure_ascii=False))
    else:
        out.info(describe(comparison))
        for line in summary_lines(comparison):
            out.info(f"  {line}")
        if out_pdf is not None:
            out.info(f"wrote {display_path(out_pdf)} (changed words in red, changed pixels in blue)")
        if png_dir is not None:
            out.info(f"wrote {len(pngs)} PNG(s) to {display_path(png_dir)}")
    if not comparison.identical:
        count = len(comparison.differing)
        raise PdfsDiffer(f"{count} page{'s differ' if count != 1 else ' differs'}")
