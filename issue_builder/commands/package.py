"""`issue-builder package`: the printer's deliverable in one folder and one zip."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import OutputError, display_path, summarise
from issue_builder.build.driver import BuildOptions, build_issue
from issue_builder.checks.preflight.run import preflight
from issue_builder.commands.options import out_dir_option, pdf_x_option, quiet_option
from issue_builder.commands.preflight import report_text, settings_from_manifest, show_report
from issue_builder.package.composite import composite_proofs, require_ghostscript
from issue_builder.package.printer import PackageFile, job_ticket, proofs, write_package
from issue_builder.package.ticket import ticket_fields


@click.command("package")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@out_dir_option
@pdf_x_option
@quiet_option
def package_command(manifest: Path, out_dir: Path | None, pdf_x: str | None, quiet: bool) -> None:
    """Render, preflight and package MANIFEST's print PDF for the printer."""
    started = time.monotonic()
    out = Reporter(quiet=quiet)
    require_ghostscript()  # before the render: the composite proof needs it
    options = BuildOptions(editions=("print",), out_dir=out_dir, pdf_x=pdf_x)
    with out.status("rendering the print edition") as status:
        result = build_issue(manifest, options, step=status.update)
    for line in summarise([str(w) for w in result.warnings]):
        out.warn(line)
    issue, out_dir = result.issue, result.out_dir
    (pdf_path,) = [p for p in result.files if p.name.endswith("-print.pdf")]
    pages = result.summary["pages"]
    report = preflight(pdf_path, settings_from_manifest(issue.manifest))
    report.file = pdf_path.name  # the package's report names the file as it is in the package
    if not report.passed:
        show_report(report, out, as_json=False)  # raises PreflightFailed: no package
    ticket, missing = ticket_fields(issue, pdf_path.name, pages, issue.press, report)
    for finding in missing:
        out.warn(f"warning: {finding.key}: {finding.message}")
    proof, spreads = composite_proofs(pdf_path, issue.output_profile.data, issue.title, issue.manifest.date)
    files = [
        PackageFile(pdf_path.name, pdf_path.read_bytes()),
        PackageFile("preflight.txt", report_text(report).encode()),
        PackageFile("preflight.json", json.dumps(report.as_dict(), indent=2).encode()),
        PackageFile(issue.output_profile.path.name, issue.output_profile.data),
        *job_ticket(ticket),
        *proofs(pdf_path),
        PackageFile("composite-proof.pdf", proof),
        PackageFile("composite-proof-spreads.pdf", spreads),
    ]
    folder = out_dir / pdf_path.name.replace("-print.pdf", "-printer")
    try:
        zip_path = write_package(folder, files)
    except OSError as exc:
        raise OutputError(f"cannot write the package to {display_path(out_dir)}: {exc.strerror or exc}") from None
    out.info(f"wrote {display_path(folder)}/ ({len(files) + 1} files)")
    out.info(f"wrote {display_path(zip_path)} ({zip_path.stat().st_size / 1e6:.1f} MB)")
    out.info(f"{issue.title}: {pages} pages, preflight passed, {time.monotonic() - started:.1f} s")
