"""Run WeasyPrint for one edition inside the sandbox, capturing every message it logs."""

from __future__ import annotations

import dataclasses
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from issue_builder.base.diagnostics import OutputError, RenderError
from issue_builder.base.identifiers import ean13_for_issn
from issue_builder.base.paths import FONTS_DIR
from issue_builder.editions.jobs import (
    RenderMessage,
    article_at,
    image_and_page_sources,
    pixel_sizes,
    print_job,
    resolution_messages,
    web_job,
)
from issue_builder.editions.pdfx import NotX1a, finish_pdfx
from issue_builder.editions.web import finish_web
from issue_builder.layout.barcode import barcode_file, barcode_width
from issue_builder.layout.engine import weasyprint
from issue_builder.layout.fetcher import SandboxFetcher, build_url
from issue_builder.layout.fit import page_budget_findings, title_findings
from issue_builder.layout.html import Barcode, RenderedHtml, render_html
from issue_builder.layout.overflow import find_overflows, lost_text
from issue_builder.layout.profiles import OutputProfile
from issue_builder.layout.resolution import placements
from issue_builder.layout.sections import CACHE as SECTIONS
from issue_builder.layout.sections import LaidOut, lay_out_sections, section_key
from issue_builder.load.layouts import layout_chain
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.images import placeable
from issue_builder.prepare.inputs import resources_digest

_NOTDEF = re.compile(
    r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)" \(U\+([0-9A-F]+)\)', re.S
)


@dataclass
class Edition:
    """One rendered and serialised edition, not yet written to its final place."""

    profile: OutputProfile
    pdf: bytes
    pages: int
    article_pages: dict[str, int]
    messages: list[RenderMessage] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)
    fill_pages: int = 0
    sections: tuple[int, int] = (0, 0)  # sectioned layouts: (sections laid out, sections taken from the cache)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def render_edition(issue: PreparedIssue, profile: OutputProfile, cache_dir: Path) -> Edition:
    """Render `issue` for `profile` into PDF bytes; messages say what went wrong, if anything.

    The editorial pages and the tail (fill pages and back cover) are laid out as two documents and joined:
    the number of fill pages depends on how many pages the editorial part took.
    """
    cache_dir = cache_dir.resolve()  # its files are placed by file: URL
    try:
        flatten = profile.pdf_x and issue.manifest.printing.pdf_x == "1a"
        placed = {info.path: placeable(info, cache_dir, profile.srgb_images, flatten) for info in issue.images}
    except OSError as exc:
        raise OutputError(f"cannot write prepared images to {cache_dir}: {exc.strerror or exc}") from None
    options = {
        "pdf_tags": profile.tagged,
        "pdf_variant": profile.pdf_variant,
    }
    logger = logging.getLogger("weasyprint")
    capture = _Capture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            barcode, generated = _barcode(issue)
            image_urls = {
                url: build_url(placed[info.path].name)
                for url, (_, info) in issue.image_sources.items()
                if placed[info.path] != info.path
            }

            def html_for(part: str, first_page: int = 1, **more) -> RenderedHtml:
                return render_html(
                    issue,
                    profile,
                    part=part,
                    first_page=first_page,
                    barcode=barcode,
                    transparency=not flatten,
                    image_urls=image_urls,
                    **more,
                )

            chain = layout_chain(issue.layout_dir, issue.root)
            fetcher = SandboxFetcher([issue.root, FONTS_DIR, *chain], generated, build_dir=cache_dir)
            misses, hits = SECTIONS.misses, SECTIONS.hits
            if profile.sectioned:
                resources = resources_digest(issue)
                main, main_pages, main_parts = lay_out_sections(
                    issue, html_for, lambda rendered: _cached_layout(rendered, fetcher, options, capture, resources)
                )
            else:
                main_html = html_for("main")
                main = _layout(main_html, fetcher, options)
                main_pages, main_parts = main.pages, [main_html.html]
            fill = fill_pages(len(main_pages), issue)
            tail_html = html_for("tail", len(main_pages) + 1, fill_pages=fill)
            tail = _layout(tail_html, fetcher, options)
            document = main.copy(main_pages + tail.pages)
            pdf = document.write_pdf(finisher=None if profile.links else _drop_annotations, **options)
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
    article_pages = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith("article-"):
                article_pages.setdefault(anchor.removeprefix("article-"), number)
    originals = {copy: url for url, copy in image_urls.items()}
    placed_images = placements(document.pages, pixel_sizes(issue, originals))
    if profile.web_finish:
        pdf = finish_web(pdf, dataclasses.replace(web_job(issue), cache_dir=cache_dir))
    if profile.pdf_x:
        try:
            sources = image_and_page_sources(document.pages, article_pages, issue, originals, placed_images)
            pdf = finish_pdfx(pdf, dataclasses.replace(print_job(issue, sources), cache_dir=cache_dir))
        except NotX1a as exc:
            raise RenderError(
                "the print PDF cannot be PDF/X-1a (use TrueType fonts and a layout without "
                f"transparency, or PDF/X-4): {exc}"
            ) from None
    messages = _classify(capture.records, fetcher, issue)
    for article_id, expected, placed in lost_text(document.pages):
        title = next((a.title for a in issue.articles if f"article-{a.id}" == article_id), article_id)
        messages.append(
            RenderMessage(
                "error",
                "lost-text",
                f"{title}: only {placed} of {expected} letters reached the "
                "pages (a positioned block is too large for its page?)",
            )
        )
    if profile.check_resolution:
        messages += resolution_messages(placed_images, issue, originals)
    editorial = title_findings(main_pages, issue) + page_budget_findings(article_pages, len(main_pages), issue)
    messages += [RenderMessage("warning", "editorial", text) for text in editorial]
    for number, problem in find_overflows(document.pages):
        article = article_at(number, article_pages, issue)
        where = f" ({article.title})" if article else ""
        messages.append(RenderMessage("error", "overflow", f"page {number}{where}: {problem}"))
    return Edition(
        profile=profile,
        pdf=pdf,
        pages=len(document.pages),
        article_pages=article_pages,
        messages=messages,
        html_parts=["\n".join(main_parts), tail_html.html],
        fill_pages=fill,
        sections=(SECTIONS.misses - misses, SECTIONS.hits - hits),
    )


def _barcode(issue: PreparedIssue) -> tuple[Barcode | None, dict[str, bytes]]:
    m = issue.manifest
    if not m.periodical.issn:
        return None, {}
    name, data = barcode_file(ean13_for_issn(m.periodical.issn), f"{m.issue % 100:02d}")
    return Barcode(url=build_url(name), width=barcode_width()), {name: data}


def _layout(rendered, fetcher: SandboxFetcher, options: dict):
    return weasyprint.HTML(string=rendered.html, base_url=rendered.base_url, url_fetcher=fetcher).render(**options)


def _cached_layout(rendered: RenderedHtml, fetcher: SandboxFetcher, options: dict, capture: _Capture, resources: str):
    """A section laid out, or taken from the process's cache with the messages its layout gave."""
    key = section_key(rendered, options, resources)
    laid = SECTIONS.get(key)
    if laid is None:
        records, refused = len(capture.records), len(fetcher.refused)
        document = _layout(rendered, fetcher, options)
        laid = LaidOut(document, capture.records[records:], fetcher.refused[refused:])
        SECTIONS.put(key, laid)
    else:
        capture.records += laid.records
        fetcher.refused += laid.refused
    return laid.document


def fill_pages(editorial_pages: int, issue: PreparedIssue) -> int:
    """Pages to add before the back cover so that the binding's page multiple is met."""
    m = issue.manifest
    multiple = 4 if m.binding == "saddle-stitch" else 2
    missing = -(editorial_pages + 1) % multiple
    if missing and m.printing.fill == "fail":
        raise RenderError(
            f"{editorial_pages + 1} pages: {m.binding} binding needs a multiple of {multiple}; "
            f"{missing} page(s) missing before the back cover (pages {editorial_pages + 1}"
            f"{'-' + str(editorial_pages + missing) if missing > 1 else ''}). Add content, or set "
            "printing.fill to house-ad, notes or blank."
        )
    return missing


def _drop_annotations(document, pdf) -> None:
    """Print files carry no links: PDF/X forbids annotations on the trimmed page."""
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Page" and "Annots" in obj:
            del obj["Annots"]


def _classify(records: list[logging.LogRecord], fetcher: SandboxFetcher, issue: PreparedIssue) -> list[RenderMessage]:
    messages = [RenderMessage("error", "refused-url", f"{url} ({why})") for url, why in fetcher.refused]
    seen = set()
    for record in records:
        text = record.getMessage()
        if text in seen:
            continue
        seen.add(text)
        glyph = _NOTDEF.search(text)
        if glyph:
            char = glyph.group(1)
            where = [
                a.title for a in issue.articles if char in str(a.body_html) or char in a.title or char in (a.dek or "")
            ]
            place = f" in: {'; '.join(where)}" if where else ""
            messages.append(
                RenderMessage(
                    "error",
                    "missing-glyph",
                    f"no committed font has the character {char!r} (U+{glyph.group(2)}){place}",
                )
            )
        elif text.startswith("Failed to load"):
            if not any(url in text for url, _ in fetcher.refused):
                messages.append(RenderMessage("error", "missing-resource", text.splitlines()[0]))
        elif "anchor" in text.lower():
            messages.append(RenderMessage("error", "unknown-anchor", text))
        elif record.levelno >= logging.ERROR:
            messages.append(RenderMessage("error", "other", text))
        elif text.startswith(("Ignored", "Unsupported", "Invalid", "Expected")):
            messages.append(RenderMessage("warning", "css", text))
        else:
            messages.append(RenderMessage("warning", "other", text))
    return messages
