"""Sectioned layout (proofs): the cover and contents, then each article as a document of its own, joined.

Laid-out sections are kept by a hash of their HTML and of every file they draw on, in the process: a warm
`watch` worker keeps them between rebuilds, so an edit lays out again only its own article (and the articles
after it when their first pages move). A clean build takes the same path with an empty cache, so the bytes are
the same either way.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from issue_builder.base.diagnostics import RenderError
from issue_builder.layout.html import RenderedHtml
from issue_builder.prepare.content import PreparedIssue

CACHE_SECTIONS = 64  # about two generations of a large issue's sections
FRONT_PAGES_GUESS = 2  # cover and contents; corrected when the front runs longer
MAX_PLACINGS = 4


@dataclass
class LaidOut:
    """A laid-out section and what WeasyPrint and the sandbox reported while laying it out."""

    document: Any  # weasyprint.Document
    records: list[logging.LogRecord]
    refused: list[tuple[str, str]]


class SectionCache:
    """Laid-out sections by content key, least recently used dropped first."""

    def __init__(self, size: int = CACHE_SECTIONS):
        self.size = size
        self.entries: OrderedDict[str, LaidOut] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: str) -> LaidOut | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return found

    def put(self, key: str, laid: LaidOut) -> None:
        self.entries[key] = laid
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


CACHE = SectionCache()  # lives as long as the process: one render, or a whole `watch` session in its worker


def section_key(rendered: RenderedHtml, resources: str) -> str:
    """What a section's layout depends on: its HTML and the files it draws on."""
    digest = hashlib.sha256(rendered.html.encode())
    digest.update(f"\0{rendered.base_url}\0{resources}".encode())
    return digest.hexdigest()


def lay_out_sections(
    issue: PreparedIssue, html_for: Callable[..., RenderedHtml], lay_out: Callable[[RenderedHtml], Any]
) -> tuple[Any, list, list[str]]:
    """The editorial pages laid out section by section: (front document, pages in order, HTML of each section).

    Each article starts on the page after the previous one ends; one starting on a left-hand page is laid out
    behind a spacer page, which is dropped here. The front (cover and contents) prints where each article starts,
    so it comes last; if it runs to another number of pages than assumed, the articles are placed again.
    """
    front_pages = FRONT_PAGES_GUESS  # always the same start, warm or cold: the same pages either way
    for _ in range(MAX_PLACINGS):
        starts: dict[str, int] = {}
        pages: list = []
        html: list[str] = []
        page = front_pages + 1
        for article in issue.articles:
            rendered = html_for("article", page, article=article)
            document = lay_out(rendered)
            laid = document.pages[1:] if page % 2 == 0 else document.pages
            starts[article.id] = page
            pages += laid
            html.append(rendered.html)
            page += len(laid)
        front_html = html_for("front", 1, starts=starts)
        front = lay_out(front_html)
        if len(front.pages) == front_pages:
            return front, front.pages + pages, [front_html.html, *html]
        front_pages = len(front.pages)
    raise RenderError(
        f"the contents keep changing length as the articles are placed after them "
        f"({MAX_PLACINGS} tries); make the contents page fit its entries"
    )
