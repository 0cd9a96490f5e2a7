"""Running heads and folios read back from a PDF: every body page names its article and prints its own number."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.checks.page_text import read_pages
from issue_builder.layout.laid_out import article_at
from issue_builder.prepare.content import PreparedArticle, PreparedIssue

ELLIPSIS = "\u2026"
MIN_CUT = 12  # letters a head cut short with an ellipsis must still show of the title
EDGE = 3.0  # points kept clear between the margin band read and the text area (glyph boxes overhang a little)


@dataclass(frozen=True)
class PageFurniture:
    """What one page prints in its top and bottom margins."""

    head: str
    foot: str


def letters(text: str) -> str:
    """`text` as a run of case-folded letters and digits: letter-spacing, case and punctuation read back differently
    from every PDF reader."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def read_furniture(
    pdf: Path | bytes, margin_top: float, margin_bottom: float, kept: Path | None = None
) -> list[PageFurniture]:
    """The text of each page's top and bottom margin bands, measured from its TrimBox (MediaBox when it has none),
    so that the layout PDF (with bleed), the print edition and the trimmed screen editions read alike; with `kept`,
    pages read last time taken from there (checks/page_text.py)."""

    def bands(page: pypdfium2.PdfPage) -> list[str]:
        left, bottom, right, top = page.get_trimbox()
        text = page.get_textpage()
        try:
            head = text.get_text_bounded(left, top - margin_top + EDGE, right, top)
            foot = text.get_text_bounded(left, bottom, right, bottom + margin_bottom - EDGE)
        finally:
            text.close()
        return [" ".join(head.split()), " ".join(foot.split())]

    read = read_pages(pdf, bands, 2, f"furniture {margin_top!r} {margin_bottom!r} {EDGE!r}", kept)
    return [PageFurniture(head, foot) for head, foot in read]


def names_article(head: str, article: PreparedArticle) -> bool:
    """Whether a right-hand running head names `article`: its title, whole or cut short with an ellipsis."""
    shown, title = letters(head.replace(ELLIPSIS, "")), letters(article.title)
    if ELLIPSIS in head:
        return len(shown) >= MIN_CUT and title.startswith(shown)
    return shown == title


def running_head_problems(
    pdf: Path | bytes,
    issue: PreparedIssue,
    article_pages: dict[str, int],
    editorial_pages: int,
    kept: Path | None = None,
) -> list[Diagnostic]:
    """Errors for the body pages (pages 1 to `editorial_pages` inside an article, after its first page) whose
    running head does not name their article (right-hand pages) or publication (left-hand pages), and for every
    article page but a full-bleed opener whose folio is not its page number. `article_pages`: article id -> first
    page, as the layout placed them."""
    m = issue.manifest
    pages = read_furniture(pdf, m.page.margin_top.points, m.page.margin_bottom.points, kept)
    publication = letters(m.periodical.name)
    problems = []
    for number in range(1, min(editorial_pages, len(pages)) + 1):
        article = article_at(number, article_pages, issue)
        if article is None:
            continue
        first = article_pages[article.id] == number  # an opening page (one an article runs on at too): no head
        if first and article.opener == "full-bleed":
            continue
        furniture = pages[number - 1]
        if letters(furniture.foot) != str(number):
            problems.append(
                Diagnostic(
                    f"{article.title}: the folio reads {furniture.foot or 'nothing'!r}, not {number}",
                    code="running-head",
                    page=number,
                )
            )
        if first:
            continue
        if number % 2:
            wrong = not names_article(furniture.head, article)
            expected = "the article's title"
        else:
            wrong = publication not in letters(furniture.head)
            expected = f"the publication ({m.periodical.name})"
        if wrong:
            problems.append(
                Diagnostic(
                    f"{article.title}: the running head reads {furniture.head or 'nothing'!r}, not {expected}",
                    code="running-head",
                    page=number,
                )
            )
    return problems
