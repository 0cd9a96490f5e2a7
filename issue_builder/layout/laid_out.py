"""The laid-out issue as later stages see it: its PDF, pages and what its layout reported; no WeasyPrint."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.placed_size import placed_size
from issue_builder.prepare.content import PreparedArticle, PreparedIssue


@dataclass(frozen=True)
class Placement:
    """An image as placed on a page: which file, what the page shows of it (bleed included), at what effective
    resolution."""

    page: int
    src: str
    width_in: float
    height_in: float
    ppi: float
    trimmed: tuple[float, float] | None = None  # inches of that inside the trim
    drawn: tuple[float, float] | None = None  # inches of the whole picture at the scale drawn (object-fit crops it)

    def size(self) -> str:
        """Its size as every message states it (see `placed_size`)."""
        return placed_size((self.width_in, self.height_in), self.trimmed, self.drawn)


@dataclass
class Layout:
    """The laid-out issue, written once as PDF, and what its layout reported."""

    pdf: bytes | Path  # trim + bleed, sRGB, tagged, with links: what every finisher starts from (a file, when laid
    # out: `.cache/.layout.*.tmp`, removed once the editions are finished)
    pages: int
    article_pages: dict[str, int]  # article id -> first page
    fill_pages: int
    placements: list[Placement]  # every placed image, by the URL of its original
    html: dict[str, str]  # the HTML laid out, by file name in the order laid out: front, articles, tail
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sections: tuple[int, int] = (0, 0)  # (sections laid out, sections of the issue taken from the section cache)
    fills: list[int | None] = field(default_factory=list)  # per page: percent of its text area full; None: no body page
    inputs: dict[str, str | None] = field(default_factory=dict)  # issue files the layout drew on: URL -> SHA-256
    ran_on: tuple[str, ...] = ()  # ids of the articles that start on the page where the previous one ends


def article_at(page: int, starts: dict[str, int], issue: PreparedIssue) -> PreparedArticle | None:
    """The article running on `page` (the last one started by then: on a page where one article ends and the next
    runs on, the next), if any."""
    current = None
    for article in issue.articles:
        if starts.get(article.id, page + 1) <= page:
            current = article
    return current


def article_spans(
    starts: dict[str, int], issue: PreparedIssue, last_page: int, ran_on: Collection[str] = ()
) -> list[tuple[PreparedArticle, int, int]]:
    """(article, first page, last page) of each article placed (`starts`: article id -> first page), in page order:
    an article ends on the page before the next one starts, or on that page when the next ran on at it (`ran_on`:
    their ids, `Layout.ran_on`); the last one on `last_page`."""
    placed = sorted((starts[a.id], a.number, a) for a in issue.articles if a.id in starts)
    spans = []
    for k, (first, _, article) in enumerate(placed):
        if k + 1 < len(placed):
            following, _, after = placed[k + 1]
            last = following if after.id in ran_on else following - 1
        else:
            last = last_page
        spans.append((article, first, max(first, last)))
    return spans


def image_source(issue: PreparedIssue, url: str) -> str:
    """Where a placed image comes from, as a user finds it: the manifest entry and the file."""
    return f"{issue.image_sources[url][0]} ({unquote(url)})"
