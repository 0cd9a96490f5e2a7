"""What the finishing steps need to know about an issue: print and web parameters, where pages and images come
from, and images placed below the printer's resolution."""

from __future__ import annotations

import dataclasses

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.preflight_report import Sources
from issue_builder.editions.marks import MarkSheet
from issue_builder.editions.pdfx import PrintJob
from issue_builder.editions.web import WebJob
from issue_builder.layout.laid_out import Layout, article_at, image_source
from issue_builder.prepare.content import PreparedIssue


def image_and_page_sources(layout: Layout, issue: PreparedIssue) -> Sources:
    """Where each page and each placed image comes from: kept in the build record (never in the PDF, which goes to
    the printer), for the preflight report of our own builds."""
    pages = {}
    for number in range(1, layout.pages + 1):
        article = article_at(number, layout.article_pages, issue)
        if article is not None:
            pages[number] = f"articles[{article.number - 1}] {article.title}"
    images = {}
    for placed in layout.placements:
        info = issue.image_sources[placed.src][1]
        images[(placed.page, info.width, info.height)] = image_source(issue, placed.src)
    return Sources(pages, images)


def web_job(issue: PreparedIssue) -> WebJob:
    """The finishing parameters of the web edition."""
    m = issue.manifest
    sections = [m.periodical.name] + list(dict.fromkeys(a.section for a in issue.articles if a.section))
    return WebJob(
        title=issue.title,
        authors=issue.authors or [m.periodical.name],
        subject=f"{m.periodical.name}, issue {m.issue}, {issue.date_label}: "
        + "; ".join(a.title for a in issue.articles),
        keywords=", ".join(sections),
        language=m.periodical.language,
        date=m.date,
        image_ppi=m.web.image_ppi,
        jpeg_quality=m.web.jpeg_quality,
    )


def print_job(issue: PreparedIssue) -> PrintJob:
    """The finishing parameters of the print edition, from the manifest's page and printing settings."""
    m = issue.manifest
    marks = m.printing.marks
    condition = issue.press
    return PrintJob(
        title=issue.title,
        date=m.date,
        pdf_x=m.printing.pdf_x,
        slug_text=f"{m.periodical.name} · Issue {m.issue} · {issue.date_label}",
        bleed=m.page.bleed.points,
        marks=MarkSheet(
            width=m.page.width.points,
            height=m.page.height.points,
            bleed=m.page.bleed.points,
            offset=marks.offset.points,
            crop=marks.crop,
            registration=marks.registration,
            slug=marks.slug,
        ),
        profile_bytes=issue.output_profile.data,
        profile_description=issue.output_profile.description,
        output_condition=condition.identifier,
        output_condition_info=condition.info,
        registry=condition.registry,
        rendering_intent=m.printing.rendering_intent,
        declared=declared_colours(issue),
        overprint=m.printing.overprint,
        rich_black=None if m.printing.rich_black is None else tuple(m.printing.rich_black),
        max_ink=m.printing.max_ink,
    )


def resolution_diagnostics(layout: Layout, issue: PreparedIssue) -> list[Diagnostic]:
    """Images placed below the printer's resolution: warnings below `warn_ppi`, errors below `min_ppi`."""
    printing = issue.manifest.printing
    found = []
    for placed in layout.placements:
        if placed.ppi >= max(printing.warn_ppi, printing.min_ppi):
            continue
        severity = "error" if placed.ppi < printing.min_ppi else "warning"
        limit = printing.min_ppi if severity == "error" else printing.warn_ppi
        found.append(
            Diagnostic(
                f"{image_source(issue, placed.src)} is {placed.ppi:.0f} ppi {placed.size()} (below {limit} ppi)",
                severity=severity,
                code="image-resolution",
                page=placed.page,
            )
        )
    return found


def declared_colours(issue: PreparedIssue) -> dict[tuple[int, int, int], tuple[float, float, float, float]]:
    """The sRGB value (0-255) of each colour the publication declares -> its declared CMYK (0-1)."""
    found = {}
    colours = issue.manifest.colours
    for f in dataclasses.fields(colours):
        value = getattr(colours, f.name)
        rgb = value.rgb.lstrip("#")
        found[tuple(int(rgb[i : i + 2], 16) for i in (0, 2, 4))] = tuple(v / 100 for v in value.cmyk)
    return found
