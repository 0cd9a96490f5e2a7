"""Editorial checks that need the laid-out pages: titles running too many lines, articles over their page budget."""

from __future__ import annotations

from collections.abc import Iterator

from issue_builder.layout.boxes import page_root
from issue_builder.layout.engine import boxes
from issue_builder.prepare.content import PreparedArticle, PreparedIssue

TITLE_MAX_LINES = 3  # when the layout's CSS sets no `--title-max-lines` on the title
ARTICLE_PREFIX = "article-"  # ids of the layout's <article> elements: "article-" + the article's id


def title_lines(pages: list) -> dict[str, int]:  # weasyprint.Page objects
    """Article id (as in `Edition.article_pages`) -> lines its title runs, from the line boxes of the laid-out title."""
    return {article: lines for article, (lines, _) in _titles(pages).items()}


def title_findings(pages: list, issue: PreparedIssue) -> list[str]:
    """`articles[3] title runs 4 lines; the layout allows 3 ("...")` for each title longer than its layout allows.

    The layout says how many lines a title may run with the CSS custom property `--title-max-lines` on the title
    (or an ancestor: `.opener-text .article-title { --title-max-lines: 2 }`); TITLE_MAX_LINES otherwise.
    """
    articles = _by_id(issue)
    found = []
    for article_id, (lines, allowed) in _titles(pages).items():
        article = articles.get(article_id)
        if article is not None and lines > allowed:
            found.append(f"{_index(article)} title runs {lines} lines; the layout allows {allowed} ({article.title!r})")
    return found


def page_budget_findings(article_pages: dict[str, int], total_pages: int, issue: PreparedIssue) -> list[str]:
    """`articles[4] runs 5 pages, budget 4 ("...")` for each article that runs over its `page_budget`.

    `article_pages` maps article id -> first page (as `Edition.article_pages`); `total_pages` is the last page of
    the editorial part (the last article ends there: fill pages and back cover come after it).
    """
    articles = _by_id(issue)
    starts = sorted((page, article_id) for article_id, page in article_pages.items() if article_id in articles)
    found = []
    for k, (start, article_id) in enumerate(starts):
        end = starts[k + 1][0] - 1 if k + 1 < len(starts) else total_pages
        runs, article = max(end - start + 1, 1), articles[article_id]
        budget = article.source.page_budget
        if budget is not None and runs > budget:
            found.append(f"{_index(article)} runs {runs} pages, budget {budget} ({article.title!r})")
    return found


def _by_id(issue: PreparedIssue) -> dict[str, PreparedArticle]:
    return {a.id: a for a in issue.articles}


def _index(article: PreparedArticle) -> str:
    return f"articles[{article.number - 1}]"


def _titles(pages: list) -> dict[str, tuple[int, int]]:
    """Article id -> (lines of its title, lines the layout allows); a title split over pages adds up."""
    found: dict[str, tuple[int, int]] = {}
    elements: dict[str, object] = {}
    for page in pages:
        for article_id, title in _title_boxes(page_root(page), None):
            if elements.setdefault(article_id, title.element) is not title.element:
                continue  # a later h1 of the article is not its title
            lines, _ = found.get(article_id, (0, 0))
            found[article_id] = (lines + _line_count(title), _allowed(title))
    return found


def _title_boxes(box, article_id: str | None) -> Iterator[tuple[str, boxes.Box]]:
    """(article id, h1 box) for each h1 under `box` inside an <article id="article-...">; the first is the title."""
    if box.element_tag == "article" and box.element is not None:
        element_id = box.element.get("id") or ""
        article_id = element_id.removeprefix(ARTICLE_PREFIX) if element_id.startswith(ARTICLE_PREFIX) else None
    if article_id is not None and box.element_tag == "h1" and isinstance(box, boxes.BlockContainerBox):
        yield article_id, box
        return
    for child in getattr(box, "children", []):
        yield from _title_boxes(child, article_id)


def _line_count(box: boxes.Box) -> int:
    """Line boxes of a block, not counting lines inside those lines (an inline-block's own lines)."""
    if isinstance(box, boxes.LineBox):
        return 1
    return sum(_line_count(child) for child in getattr(box, "children", []))


def _allowed(title: boxes.Box) -> int:
    tokens = title.style["__title_max_lines"]  # a custom property; [] when no rule sets it
    for token in tokens or []:
        if token.type == "number" and token.is_integer and token.int_value >= 1:
            return token.int_value
    return TITLE_MAX_LINES
