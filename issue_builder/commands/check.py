"""`issue-builder check`: validate a manifest and every file it references, find what a render would report
before layout, and lint the issue, without rendering."""

from __future__ import annotations

import json
from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import Diagnostic, IssueBuilderError, ManifestError, display_path
from issue_builder.checks.editorial import lint
from issue_builder.commands.options import quiet_option
from issue_builder.precheck.run import BEFORE_LAYOUT, RENDER_ONLY, prelayout_findings
from issue_builder.prepare.issue import prepare_issue


def finding_dict(finding: Diagnostic, stage: str) -> dict:
    """A finding as JSON data: `stage` is "manifest" (validation and preparation), "precheck" (what a render would
    report, found before layout) or "lint" (editorial lint)."""
    return {
        "severity": finding.severity,
        "stage": stage,
        "file": display_path(finding.file) if finding.file else None,
        "line": finding.line,
        "key": finding.key,
        "message": finding.message,
        "code": finding.code,
        "edition": finding.edition,
    }


@click.command("check")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on warnings too: exactly those render --strict fails on before layout (the editorial lint's are "
    "advice and never fail).",
)
@quiet_option
@click.option("--json", "as_json", is_flag=True, help="Print the result and every finding as JSON on stdout.")
def check_command(manifest: Path, strict: bool, quiet: bool, as_json: bool) -> None:
    """Check MANIFEST without laying it out, in seconds: YAML, schema, referenced files, images, Markdown and
    fonts; then what a render would find before layout (a character no font has, a picture placed at a fixed size
    below the printer's resolution, a link the web PDF cannot carry); then the editorial lint (repeated titles and
    deks, short bodies, missing bylines, straight quotes and other typing). Exit 1 on what a render would fail on;
    with --strict, also on the warnings render --strict would fail on."""
    out = Reporter(quiet=quiet)
    try:
        issue = prepare_issue(manifest)
    except ManifestError as exc:
        if as_json:
            out.out.print_json(
                json.dumps(
                    {
                        "manifest": display_path(manifest),
                        "ok": False,
                        "findings": [finding_dict(d, "manifest") for d in exc.diagnostics],
                    }
                )
            )
        raise
    found = [(w, "manifest") for w in issue.warnings]
    found += [(f, "precheck") for f in prelayout_findings(issue)]
    found += [(w, "lint") for w in lint(issue)]
    errors = [f for f, _ in found if f.severity == "error"]
    findings = [(f, stage) for f, stage in found if f.severity == "warning"]
    notes = [f for f, _ in found if f.severity == "note"]
    # what render --strict fails on before layout; the lint is editorial advice, a render never computes it
    failing = [f for f, stage in findings if stage != "lint"]
    words = sum(a.words for a in issue.articles)
    if as_json:
        out.out.print_json(
            json.dumps(
                {
                    "manifest": display_path(manifest),
                    "ok": not errors and not (strict and failing),
                    "issue": issue.manifest.issue,
                    "articles": len(issue.articles),
                    "words": words,
                    "images": len(issue.images),
                    "findings": [finding_dict(f, stage) for f, stage in found],
                    "checked_before_layout": list(BEFORE_LAYOUT),
                    "render_only": list(RENDER_ONLY),
                }
            )
        )
    else:
        for finding in notes:
            out.info(str(finding))
        for finding, _ in findings:
            out.warn(str(finding))
        out.info(f"only a render checks: {'; '.join(RENDER_ONLY)}")
    if errors:
        raise IssueBuilderError(
            f"{display_path(manifest)}: {len(errors)} error{'s' if len(errors) != 1 else ''} a render would fail on, "
            "found before layout:",
            errors,
        )
    if strict and failing:
        raise IssueBuilderError(
            f"{len(failing)} warning(s) render --strict would fail on, and --strict is set", failing
        )
    linted = sum(1 for _, stage in findings if stage == "lint")
    if not as_json:
        out.info(
            f"{display_path(manifest)}: OK: issue {issue.manifest.issue}, {len(issue.articles)} articles, "
            f"{words:,} words, {len(issue.images)} images, {len(findings)} warnings ({linted} from the lint), "
            f"{len(notes)} notes"
        )
