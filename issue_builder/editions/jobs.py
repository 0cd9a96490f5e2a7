"""What the finishing steps need to know about an issue: print and web parameters, where pages and images come
from, and images placed below the printer's resolution."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from issue_builder.editions.marks import MarkSheet
from issue_builder.editions.pdfx import PrintJob
from issue_builder.editions.web import WebJob
from issue_builder.layout.resolution import Placement
from issue_builder.prepare.content import PreparedArticle, PreparedIssue


@dataclass(frozen=True)
class RenderMessage:
    """Something WeasyPrint or the sandbox reported while rendering an edition."""

    severity: str  # "error" fails the build; "warning" is listed (and fails under --strict)
    kind: str  # missing-resource, missing-glyph, refused-url, unknown-anchor, css, editorial, other
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


def pixel_sizes(issue: PreparedIssue, originals: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Pixel size of every image by the URL the layout placed it under (original or converted copy)."""
    sizes = {url: (info.width, info.height) for url, (_, info) in issue.image_sources.items()}
    sizes.update({copy: sizes[url] for copy, url in originals.items()})
    return sizes


def image_and_page_sources(
    pages: list, article_pages: dict[str, int], issue: PreparedIssue, originals: dict[str, str], placed: list[Placement]
) -> dict:
    """Where each page and each placed image comes from, for the preflight report of our own builds."""
    page_sources = {}
    for number in range(1, len(pages) + 1):
        article = article_at(number, article_pages, issue)
        if article is not None:
            page_sources[number] = f"articles[{article.number - 1}] {article.title}"
    sizes = pixel_sizes(issue, originals)
    images = []
    for p in placed:
        url = originals.get(p.src, p.src)
        images.append(
            {
                "page": p.page,
                "width": sizes[p.src][0],
                "height": sizes[p.src][1],
                "source": f"{issue.image_sources[url][0]} ({unquote(url)})",
            }
        )
    return {"pages": page_sources, "images": images}


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


def print_job(issue: PreparedIssue, sources: dict | None = None) -> PrintJob:
    """The finishing parameters of the print edition, from the manifest's page and printing settings."""
    m = issue.manifest
    marks = m.printing.marks
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
        output_condition=m.printing.output_condition,
        output_condition_info=m.printing.output_condition_info,
        registry=m.printing.registry,
        rendering_intent=m.printing.rendering_intent,
        sources=sources or {},
    )


def resolution_messages(
    placed_images: list[Placement], issue: PreparedIssue, originals: dict[str, str]
) -> list[RenderMessage]:
    printing = issue.manifest.printing
    found = []
    for placed in placed_images:
        if placed.ppi >= max(printing.warn_ppi, printing.min_ppi):
            continue
        where, _ = issue.image_sources[originals.get(placed.src, placed.src)]
        severity = "error" if placed.ppi < printing.min_ppi else "warning"
        limit = printing.min_ppi if severity == "error" else printing.warn_ppi
        found.append(
            RenderMessage(
                severity,
                "image-resolution",
                f"page {placed.page}: {where} ({unquote(originals.get(placed.src, placed.src))}) "
                f"is {placed.ppi:.0f} ppi at "
                f"{placed.width_in:.2f} x {placed.height_in:.2f} in (below {limit} ppi)",
            )
        )
    return found


def article_at(page: int, starts: dict[str, int], issue: PreparedIssue) -> PreparedArticle | None:
    """The article running on `page` (the last one started by then), if any."""
    current = None
    for article in issue.articles:
        if starts.get(article.id, page + 1) <= page:
            current = article
    return current
