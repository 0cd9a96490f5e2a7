"""Run every preflight check on one PDF and collect the report."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf

from issue_builder.base.diagnostics import IssueBuilderError
from issue_builder.base.findings import PreflightSettings, Report
from issue_builder.base.pdf_content import check_content
from issue_builder.checks.preflight.document import check_document
from issue_builder.checks.preflight.pages import check_pages
from issue_builder.checks.preflight.separations import check_separations
from issue_builder.editions.pdfx import SOURCES_KEY


class UnusablePdf(IssueBuilderError):
    """The file is not a PDF that can be checked at all."""

    exit_code = 2


def preflight(path: Path, settings: PreflightSettings) -> Report:
    """Check `path` against the print profile described by `settings`."""
    try:
        pdf = pikepdf.open(path)
    except FileNotFoundError:
        raise UnusablePdf(f"{path}: file not found") from None
    except pikepdf.PasswordError:
        raise UnusablePdf(f"{path}: the file is encrypted with a password; it cannot be checked or printed") from None
    except pikepdf.PdfError as exc:
        raise UnusablePdf(f"{path}: not a readable PDF ({exc})") from None
    with pdf:
        report = Report(file=str(path), pages=len(pdf.pages))
        page_sources, image_sources = _sources(pdf)
        check_document(pdf, report, settings)
        check_pages(pdf, report, settings, page_sources)
        placements = check_content(pdf, report, settings, image_sources, page_sources)
        if settings.separations:
            check_separations(path, pdf, report, settings, placements, page_sources)
    report.findings.sort(key=lambda f: (f.page or 0, f.check))
    return report


def _sources(pdf: pikepdf.Pdf) -> tuple[dict[int, str], dict[tuple[int, int, int], str]]:
    """Page and image sources that issue-builder records in its own print PDFs (empty for other files)."""
    raw = pdf.Root.get(SOURCES_KEY)
    if raw is None:
        return {}, {}
    try:
        data = json.loads(str(raw))
        pages = {int(k): str(v) for k, v in data.get("pages", {}).items()}
        images = {(int(i["page"]), int(i["width"]), int(i["height"])): str(i["source"]) for i in data.get("images", [])}
        return pages, images
    except (ValueError, KeyError, TypeError):
        return {}, {}
