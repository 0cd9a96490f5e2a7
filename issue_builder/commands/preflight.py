"""`issue-builder preflight`: check any PDF against the print profile, as a printer's preflight would."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import IssueBuilderError
from issue_builder.base.preflight_report import FindingGroup, PreflightSettings, Report
from issue_builder.base.schema import IssueManifest
from issue_builder.base.types import Length
from issue_builder.checks.pdfua import pdfua_report
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
        max_tac=float(manifest.printing.max_ink),
        page_multiple=4 if manifest.binding == "saddle-stitch" else 2,
        separations=separations,
        pdf_x=manifest.printing.pdf_x,
        trim=(manifest.page.width.points, manifest.page.height.points),
        media_margin=max(manifest.page.bleed.points, manifest.printing.marks.offset.points) + 72,
    )


def show_report(report: Report, out: Reporter, as_json: bool) -> None:
    """Print the report (JSON, a table on a terminal, plain lines otherwise); PreflightFailed when it has errors."""
    if as_json:
        out.out.print_json(json.dumps(report.as_dict()))
    elif out.out.is_terminal:
        _print_table(report, out.out)
    else:
        out.out.file.write(report_text(report))
        out.out.file.flush()
    if not report.passed:
        raise PreflightFailed(f"{report.file}: failed preflight ({len(report.errors)} error(s), listed above)")


def report_text(report: Report) -> str:
    """The human report as plain text, for files and pipes: a title, a header, then one line per finding (findings
    alike but for their page as one, with its pages), tab-separated, then the verdict."""
    columns = _columns(report)
    lines = [_title(report), "\t".join(columns)]
    for group in report.grouped():
        lines.append("\t".join(" ".join(value.split()) or "-" for value in _row(group)[: len(columns)]))
    lines.append(_verdict(report))
    return "".join(line + "\n" for line in lines)


COLUMNS = ("pages", "check", "severity", "finding", "source")


def _columns(report: Report) -> tuple[str, ...]:
    """The columns, without `source` for a file whose findings name no manifest entry (one we did not build)."""
    return COLUMNS if any(d.key for d in report.diagnostics) else COLUMNS[:-1]


def _row(group: FindingGroup) -> tuple[str, ...]:
    d = group.diagnostic
    return (group.page_range, d.code, d.severity, d.message, d.key)


def _title(report: Report) -> str:
    return f"Preflight of {report.file} ({report.pages} pages)"


def _verdict(report: Report) -> str:
    verdict = "PASS" if report.passed else "FAIL"
    rows = len(report.grouped())
    grouped = f" in {rows} row(s)" if rows < len(report.diagnostics) else ""
    return (
        f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s){grouped}; "
        f"checked: {', '.join(report.checks)}"
    )


def _print_table(report: Report, console: Console) -> None:
    table = Table(title=Text(_title(report)), show_lines=False)
    columns = _columns(report)
    for name in columns:
        wraps = name in ("pages", "finding", "source")  # a long run of scattered pages wraps too
        table.add_column(name, no_wrap=not wraps, overflow="fold", ratio={"finding": 3, "source": 2}.get(name))
    for group in report.grouped():
        style = {"error": "red", "warning": "yellow"}.get(group.diagnostic.severity, "")
        # Text: what a file names (its images, fonts) is never read as markup
        table.add_row(*(Text(value) for value in _row(group)[: len(columns)]), style=style)
    if report.diagnostics:
        console.print(table)
    console.print(_verdict(report), markup=False)


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
@click.option(
    "--max-tac",
    type=float,
    help="Highest total ink coverage, percent (default 300, or the manifest's printing.max_ink).",
)
@click.option(
    "--binding",
    type=click.Choice(["saddle-stitch", "perfect", "none"]),
    help="Page count rule: multiple of 4, of 2, or none (default saddle-stitch).",
)
@click.option("--pdf-x", type=click.Choice(["4", "1a"]), help="The PDF/X flavour to check against (default 4).")
@click.option("--no-separations", is_flag=True, help="Skip the ink checks that rasterise pages with Ghostscript.")
@click.option(
    "--profile",
    type=click.Choice(["print", "pdfua"]),
    default="print",
    show_default=True,
    help="print: the printer's checks; pdfua: the PDF/UA-1 conditions a program can check (web PDFs).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def preflight_command(
    pdf: Path,
    manifest: Path | None,
    bleed: str | None,
    min_ppi: int | None,
    warn_ppi: int | None,
    max_tac: float | None,
    binding: str | None,
    pdf_x: str | None,
    no_separations: bool,
    profile: str,
    as_json: bool,
) -> None:
    """Check PDF against the print profile. Exit 0 pass, 1 failed checks, 2 unusable input."""
    if profile == "pdfua":
        show_report(pdfua_report(pdf), Reporter(), as_json)
        return
    settings = PreflightSettings(separations=not no_separations)
    if manifest is not None:
        from issue_builder.prepare.issue import prepare_issue

        settings = settings_from_manifest(prepare_issue(manifest).manifest, not no_separations)
    overrides = {}
    if max_tac is not None:
        overrides["max_tac"] = max_tac
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
