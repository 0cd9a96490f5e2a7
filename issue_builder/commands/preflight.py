"""`issue-builder preflight`: check any PDF against the print profile, as a printer's preflight would."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import IssueBuilderError
from issue_builder.base.findings import PreflightSettings, Report
from issue_builder.base.schema import IssueManifest
from issue_builder.base.types import Length
from issue_builder.checks.preflight.run import preflight


class PreflightFailed(IssueBuilderError):
    """The file failed one or more checks (exit 1); the report was already printed."""

    exit_code = 1


def settings_from_manifest(manifest: IssueManifest, separations: bool = True) -> PreflightSettings:
    """The checks a publication's printer asks for, from its page and printing settings."""
    return PreflightSettings(
        bleed=manifest.page.bleed.points,
        warn_ppi=manifest.printing.warn_ppi,
        min_ppi=manifest.printing.min_ppi,
        page_multiple=4 if manifest.binding == "saddle-stitch" else 2,
        separations=separations,
        pdf_x=manifest.printing.pdf_x,
        trim=(manifest.page.width.points, manifest.page.height.points),
        media_margin=max(manifest.page.bleed.points, manifest.printing.marks.offset.points) + 72,
    )


def show_report(report: Report, out: Reporter, as_json: bool) -> None:
    """Print the report as a table (or JSON) and raise PreflightFailed when it has errors."""
    if as_json:
        out.out.print_json(json.dumps(report.as_dict()))
    else:
        _print_table(report, out.out)
    if not report.passed:
        raise PreflightFailed(f"{report.file}: failed preflight ({len(report.errors)} error(s), listed above)")


def report_text(report: Report) -> str:
    """The human report as plain text, for files."""
    console = Console(record=True, width=140, file=io.StringIO(), emoji=False, highlight=False)
    _print_table(report, console)
    return console.export_text()


def _print_table(report: Report, console: Console) -> None:
    table = Table(title=f"Preflight of {report.file} ({report.pages} pages)", show_lines=False)
    table.add_column("page", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=3)
    table.add_column("source", overflow="fold", ratio=2)
    for f in report.findings:
        style = {"error": "red", "warning": "yellow"}.get(f.severity, "")
        table.add_row(str(f.page or "-"), f.check, f.severity, f.message, f.source or "", style=style)
    if report.findings:
        console.print(table)
    errors = len(report.errors)
    warnings = sum(1 for f in report.findings if f.severity == "warning")
    verdict = "PASS" if report.passed else "FAIL"
    console.print(
        f"{verdict}: {errors} error(s), {warnings} warning(s); checked: {', '.join(report.checks)}", markup=False
    )


@click.command("preflight")
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Take bleed, resolution limits and binding from this issue's manifest.",
)
@click.option("--bleed", help="Least bleed on every side, e.g. 0.125in or 3mm (default 0.125in).")
@click.option("--min-ppi", type=int, help="Images below this effective resolution fail (default 225).")
@click.option("--warn-ppi", type=int, help="Images below this effective resolution are warned about (default 300).")
@click.option("--max-tac", type=float, default=300.0, show_default=True, help="Highest total ink coverage, percent.")
@click.option(
    "--binding",
    type=click.Choice(["saddle-stitch", "perfect", "none"]),
    help="Page count rule: multiple of 4, of 2, or none (default saddle-stitch).",
)
@click.option("--pdf-x", type=click.Choice(["4", "1a"]), help="The PDF/X flavour to check against (default 4).")
@click.option("--no-separations", is_flag=True, help="Skip the ink checks that rasterise pages with Ghostscript.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def preflight_command(
    pdf: Path,
    manifest: Path | None,
    bleed: str | None,
    min_ppi: int | None,
    warn_ppi: int | None,
    max_tac: float,
    binding: str | None,
    pdf_x: str | None,
    no_separations: bool,
    as_json: bool,
) -> None:
    """Check PDF against the print profile. Exit 0 pass, 1 failed checks, 2 unusable input."""
    settings = PreflightSettings(separations=not no_separations, max_tac=max_tac)
    if manifest is not None:
        from issue_builder.prepare.issue import prepare_issue

        settings = settings_from_manifest(prepare_issue(manifest).manifest, not no_separations)
        settings = PreflightSettings(**{**settings.__dict__, "max_tac": max_tac})
    overrides = {}
    if bleed is not None:
        try:
            overrides["bleed"] = Length.parse(bleed).points
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--bleed") from None
    if min_ppi is not None:
        overrides["min_ppi"] = min_ppi
    if warn_ppi is not None:
        overrides["warn_ppi"] = warn_ppi
    if pdf_x is not None:
        overrides["pdf_x"] = pdf_x
    if binding is not None:
        overrides["page_multiple"] = {"saddle-stitch": 4, "perfect": 2, "none": 1}[binding]
    settings = PreflightSettings(**{**settings.__dict__, **overrides})
    show_report(preflight(pdf, settings), Reporter(), as_json)
