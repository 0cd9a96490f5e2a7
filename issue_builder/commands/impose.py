"""`issue-builder impose`: the print edition as saddle-stitch printer spreads, for small presses and in-house
printing."""

from __future__ import annotations

import time
from pathlib import Path

import click

from issue_builder.base.atomic import replace_all
from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import ManifestError, OutputError, display_path, summarise
from issue_builder.build.driver import BuildOptions, build_issue
from issue_builder.commands.options import out_dir_option, quiet_option
from issue_builder.package.impose import MM, SHEETS, impose, smallest_sheet

MAX_CREEP_MM = 5.0  # more than any stack of a saddle-stitched issue needs


@click.command("impose")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--sheet",
    type=click.Choice(list(SHEETS)),
    help="Press sheet the spreads are printed on. Default: the smallest that holds a spread with bleed and marks.",
)
@click.option(
    "--creep",
    type=click.FloatRange(0, MAX_CREEP_MM),
    default=0.0,
    show_default=True,
    help="Millimetres the innermost sheet's pages move toward the fold (about the paper's caliper times the "
    "sheets); the sheets between move in proportion.",
)
@out_dir_option
@quiet_option
def impose_command(manifest: Path, sheet: str | None, creep: float, out_dir: Path | None, quiet: bool) -> None:
    """Render MANIFEST's print edition and impose it as saddle-stitch printer spreads (pages 1 and N on the
    first sheet's front, 2 and N-1 on its back, ...), with crop, fold and registration marks."""
    started = time.monotonic()
    out = Reporter(quiet=quiet)
    with out.status("rendering the print edition") as status:
        result = build_issue(manifest, BuildOptions(editions=("print",), out_dir=out_dir), step=status.update)
    for line in summarise([str(w) for w in result.warnings]):
        out.warn(line)
    issue = result.issue
    if issue.manifest.binding != "saddle-stitch":
        raise ManifestError(
            f"{display_path(manifest)}: binding is {issue.manifest.binding}; `impose` makes saddle-stitch spreads "
            "(a cover with spine for perfect binding is not made yet)"
        )
    (pdf_path,) = [p for p in result.files if p.name.endswith("-print.pdf")]
    print_pdf = pdf_path.read_bytes()
    sheet = sheet or smallest_sheet(print_pdf)
    slug = f"{issue.manifest.periodical.name} · Issue {issue.manifest.issue}"
    imposed, sides = impose(print_pdf, sheet, creep * MM, slug)
    target = result.out_dir / pdf_path.name.replace("-print.pdf", f"-imposed-{sheet}.pdf")
    try:
        replace_all({target: imposed}, lambda *_: None)
    except OSError as exc:
        raise OutputError(f"cannot write {display_path(target)}: {exc.strerror or exc}") from None
    out.info(f"wrote {display_path(target)}")
    out.info(
        f"{issue.title}: {sides // 2} sheets, {sides} sides on {sheet}"
        f"{f', creep {creep:g} mm' if creep else ''}, {time.monotonic() - started:.1f} s"
    )
