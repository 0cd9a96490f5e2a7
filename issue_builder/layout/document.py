"""Lay the issue out once, section by section, and write it once: the document every edition is finished from."""

from __future__ import annotations

import dataclasses
import logging
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, OutputError, RenderError
from issue_builder.base.identifiers import ean13_for_issn
from issue_builder.base.paths import FONTS_DIR
from issue_builder.layout.barcode import barcode_file, barcode_width
from issue_builder.layout.engine import weasyprint
from issue_builder.layout.fetcher import SandboxFetcher, build_url
from issue_builder.layout.fit import page_budget_findings, title_findings
from issue_builder.layout.html import Barcode, RenderedHtml, render_html
from issue_builder.layout.laid_out import Layout, article_at
from issue_builder.layout.overflow import find_overflows, lost_text
from issue_builder.layout.resolution import placements
from issue_builder.layout.sections import CACHE as SECTIONS
from issue_builder.layout.sections import LaidOut, lay_out_sections, section_key
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.images import placeable
from issue_builder.prepare.inputs import resources_digest
from issue_builder.prepare.scripts import missing_glyph_hint

_NOTDEF = re.compile(
    r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)" \(U\+([0-9A-F]+)\)', re.S
)
WRITE_OPTIONS = {"pdf_tags": True}  # tags cost little to write; the finishers of untagged editions drop them


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def lay_out_issue(issue: PreparedIssue, cache_dir: Path, step: Callable[[str], None] = lambda _: None) -> Layout:
    """Lay out and write `issue`; converted copies of images that WeasyPrint cannot place go to `cache_dir`.

    The editorial pages are laid out section by section (kept in the process's cache by content), the tail (fill
    pages and back cover) after them: how many fill pages it needs depends on where the editorial pages end.
    """
    cache_dir = cache_dir.resolve()  # its files are placed by file: URL
    flatten = issue.manifest.printing.pdf_x == "1a"
    try:
        placed = {info.path: placeable(info, cache_dir, srgb=False, flatten=flatten) for info in issue.images}
    except OSError as exc:
        raise OutputError(f"cannot write prepared images to {cache_dir}: {exc.strerror or exc}") from None
    image_urls = {
        url: build_url(placed[info.path].name)
        for url, (_, info) in issue.image_sources.items()
        if placed[info.path] != info.path
    }
    logger = logging.getLogger("weasyprint")
    capture = _Capture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            barcode, generated = _barcode(issue)

            def html_for(part: str, first_page: int = 1, **more) -> RenderedHtml:
                return render_html(
                    issue,
                    part=part,
                    first_page=first_page,
                    barcode=barcode,
                    transparency=not flatten,
                    image_urls=image_urls,
                    **more,
                )

            fetcher = SandboxFetcher([issue.root, FONTS_DIR, *issue.layout_chain], generated, build_dir=cache_dir)
            misses, hits = SECTIONS.misses, SECTIONS.hits
            resources = resources_digest(issue)
            pages = 0

            def lay_out(rendered: RenderedHtml):
                nonlocal pages
                document = _cached_layout(rendered, fetcher, capture, resources)
                pages += len(document.pages)
                step(f"laying out the issue: {pages} pages")
                return document

            front, main_pages, main_parts = lay_out_sections(issue, html_for, lay_out)
            fill = fill_pages(len(main_pages), issue)
            tail_html = html_for("tail", len(main_pages) + 1, fill_pages=fill)
            tail = _layout(tail_html, fetcher)
            document = front.copy(main_pages + tail.pages)
            pdf = document.write_pdf(**WRITE_OPTIONS)
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
    article_pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith("article-"):
                article_pages.setdefault(anchor.removeprefix("article-"), number)
    originals = {copy: url for url, copy in image_urls.items()}
    sizes = {url: (info.width, info.height) for url, (_, info) in issue.image_sources.items()}
    sizes.update({copy: sizes[url] for copy, url in originals.items()})
    placed_images = [dataclasses.replace(p, src=originals.get(p.src, p.src)) for p in placements(document.pages, sizes)]
    return Layout(
        pdf=pdf,
        pages=len(document.pages),
        article_pages=article_pages,
        fill_pages=fill,
        placements=placed_images,
        html=_html_files(issue, main_parts, tail_html.html),
        diagnostics=_diagnostics(document.pages, main_pages, article_pages, capture, fetcher, issue),
        sections=(SECTIONS.misses - misses, SECTIONS.hits - hits),
    )


def _html_files(issue: PreparedIssue, sections: list[str], tail: str) -> dict[str, str]:
    """The HTML of each document laid out, by a file name that sorts in page order."""
    names = ["00-front.html"] + [f"{n:02d}-{a.id}.html" for n, a in enumerate(issue.articles, start=1)]
    return {**dict(zip(names, sections, strict=True)), f"{len(names):02d}-tail.html": tail}


def _diagnostics(pages, main_pages, article_pages, capture, fetcher, issue: PreparedIssue) -> list[Diagnostic]:
    """What WeasyPrint and the sandbox reported, text the pages lost, boxes that overflow, and the editorial fit."""
    found = _classify(capture.records, fetcher, issue)
    for article_id, expected, placed in lost_text(pages):
        title = next((a.title for a in issue.articles if f"article-{a.id}" == article_id), article_id)
        found.append(
            Diagnostic(
                f"{title}: only {placed} of {expected} letters reached the "
                "pages (a positioned block is too large for its page?)",
                code="lost-text",
            )
        )
    editorial = title_findings(main_pages, issue) + page_budget_findings(article_pages, len(main_pages), issue)
    found += [Diagnostic(text, severity="warning", code="editorial") for text in editorial]
    for number, problem in find_overflows(pages):
        article = article_at(number, article_pages, issue)
        where = f"{article.title}: " if article else ""
        found.append(Diagnostic(f"{where}{problem}", code="overflow", page=number))
    return found


def _barcode(issue: PreparedIssue) -> tuple[Barcode | None, dict[str, bytes]]:
    m = issue.manifest
    if not m.periodical.issn:
        return None, {}
    name, data = barcode_file(ean13_for_issn(m.periodical.issn), f"{m.issue % 100:02d}")
    return Barcode(url=build_url(name), width=barcode_width()), {name: data}


def _layout(rendered: RenderedHtml, fetcher: SandboxFetcher):
    return weasyprint.HTML(string=rendered.html, base_url=rendered.base_url, url_fetcher=fetcher).render()


def _cached_layout(rendered: RenderedHtml, fetcher: SandboxFetcher, capture: _Capture, resources: str):
    """A section laid out, or taken from the process's cache with the messages its layout gave."""
    key = section_key(rendered, resources)
    laid = SECTIONS.get(key)
    if laid is None:
        records, refused = len(capture.records), len(fetcher.refused)
        document = _layout(rendered, fetcher)
        laid = LaidOut(document, capture.records[records:], fetcher.refused[refused:])
        SECTIONS.put(key, laid)
    else:
        capture.records += laid.records
        fetcher.refused += laid.refused
    return laid.document


def fill_pages(editorial_pages: int, issue: PreparedIssue) -> int:
    """Pages to add before the back cover so that the binding's page multiple is met."""
    m = issue.manifest
    multiple = page_multiple(m.binding)
    missing = -(editorial_pages + 1) % multiple
    if missing and m.printing.fill == "fail":
        raise RenderError(
            f"{editorial_pages + 1} pages: {m.binding} binding needs a multiple of {multiple}; "
            f"{missing} page(s) missing before the back cover (pages {editorial_pages + 1}"
            f"{'-' + str(editorial_pages + missing) if missing > 1 else ''}). Add content, or set "
            "printing.fill to house-ad, notes or blank."
        )
    return missing


def page_multiple(binding: str) -> int:
    """Pages a binding takes in multiples of: four for saddle stitching (folded sheets), two otherwise."""
    return 4 if binding == "saddle-stitch" else 2


def _classify(records: list[logging.LogRecord], fetcher: SandboxFetcher, issue: PreparedIssue) -> list[Diagnostic]:
    found = [Diagnostic(f"{url} ({why})", code="refused-url") for url, why in fetcher.refused]
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
            found.append(
                Diagnostic(
                    f"no committed font has the character {char!r} (U+{glyph.group(2)}){place} "
                    f"({missing_glyph_hint(char[:1])})",
                    code="missing-glyph",
                )
            )
        elif text.startswith("Failed to load"):
            if not any(url in text for url, _ in fetcher.refused):
                found.append(Diagnostic(text.splitlines()[0], code="missing-resource"))
        elif "anchor" in text.lower():
            found.append(Diagnostic(text, code="unknown-anchor"))
        elif record.levelno >= logging.ERROR:
            found.append(Diagnostic(text, code="other"))
        elif text.startswith(("Ignored", "Unsupported", "Invalid", "Expected")):
            found.append(Diagnostic(text, severity="warning", code="css"))
        else:
            found.append(Diagnostic(text, severity="warning", code="other"))
    return found
