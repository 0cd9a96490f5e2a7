"""Run every preflight check on one PDF and collect the report.

The checks run in a child process limited in time and memory, the content walkers within a budget of drawing
operations, Ghostscript in a child of its own: a hostile file gives findings or a clean error, never a hang.
A check that meets an object of the wrong type gives a `structure` finding instead of stopping the run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf

from issue_builder.base.bounded import Budget, LimitExceeded, call_bounded
from issue_builder.base.diagnostics import IssueBuilderError
from issue_builder.base.pdf_content import ImagePlacement, check_content
from issue_builder.base.preflight_report import PreflightSettings, Report
from issue_builder.checks.preflight.document import check_document
from issue_builder.checks.preflight.inks import CHECKS as INK_CHECKS
from issue_builder.checks.preflight.inks import check_inks
from issue_builder.checks.preflight.pages import check_pages
from issue_builder.checks.preflight.separations import check_separations
from issue_builder.checks.preflight.sources import recorded_sources

# what a malformed object raises when a check reads it as the type the specification says it has
MALFORMED = (pikepdf.PdfError, TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)
MALFORMED += (OverflowError, ZeroDivisionError, NotImplementedError)


class UnusablePdf(IssueBuilderError):
    """The file is not a PDF that can be checked at all."""

    exit_code = 2


def preflight(path: Path, settings: PreflightSettings) -> Report:
    """Check `path` against the print profile described by `settings`, in a child process with limits."""
    try:
        return call_bounded(_preflight, path, settings, what=f"the preflight of {path}")
    except LimitExceeded as exc:
        raise UnusablePdf(f"{exc}; the file is too complex to check") from None


def _preflight(path: Path, settings: PreflightSettings) -> Report:
    """Check `path` in this process."""
    pdf = open_checked_pdf(path)
    with pdf:
        try:
            pages = len(pdf.pages)
        except MALFORMED as exc:
            raise UnusablePdf(f"{path}: its pages cannot be read ({exc})") from None
        report = Report(path, pages)
        sources = recorded_sources(path)
        page_sources, image_sources = sources.pages, sources.images
        _guarded(report, "the document", check_document, pdf, report, settings)
        _guarded(report, "the pages", check_pages, pdf, report, settings, page_sources)
        placements: list[ImagePlacement] = []
        _guarded(
            report,
            "the content",
            lambda: placements.extend(check_content(pdf, report, settings, image_sources, page_sources, Budget())),
        )
        if any(d.code == "complexity" for d in report.errors):
            report.checks += INK_CHECKS
        else:
            _guarded(report, "the inks in the content", check_inks, pdf, report, page_sources)
        if settings.separations:
            _separations(path, pdf, report, settings, placements, page_sources)
    report.diagnostics.sort(key=lambda d: (d.page or 0, d.code))
    return report


def open_checked_pdf(path: Path) -> pikepdf.Pdf:
    """`path` opened with pikepdf; UnusablePdf naming the file when it cannot be."""
    try:
        return pikepdf.open(path)
    except FileNotFoundError:
        raise UnusablePdf(f"{path}: file not found") from None
    except pikepdf.PasswordError:
        raise UnusablePdf(f"{path}: the file is encrypted with a password; it cannot be checked or printed") from None
    except (pikepdf.PdfError, OSError, RecursionError, ValueError) as exc:
        raise UnusablePdf(f"{path}: not a readable PDF ({exc})") from None


def _separations(path: Path, pdf: pikepdf.Pdf, report: Report, settings: PreflightSettings, placements, sources):
    """The ink checks, unless the content walk already found the file too complex to rasterise safely."""
    if any(d.code == "complexity" for d in report.errors):
        report.checks += ["total-ink", "rich-black-areas", "k-only-solids"]
        report.add("total-ink", "warning", "ink checks skipped: the file is too complex to rasterise safely")
        return
    _guarded(report, "the inks", check_separations, path, pdf, report, settings, placements, sources)


def _guarded(report: Report, what: str, check: Callable, *args) -> None:
    """Run one check; an object of the wrong type it meets becomes a `structure` finding."""
    try:
        check(*args)
    except MALFORMED as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {exc}"
        report.add("structure", "error", f"{what} could not be checked fully: the file is malformed ({detail})")
