"""Editorial checks that need the laid-out pages: titles running too many lines, articles over their page budget,
how full each body page is."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from issue_builder.layout.boxes import page_root
from issue_builder.layout.copyfit import Measured
from issue_builder.layout.engine import boxes
from issue_builder.layout.laid_out import article_spans
from issue_builder.prepare.content import PreparedArticle, PreparedIssue

TITLE_MAX_LINES = 3  # when the layout's CSS sets no `--title-max-lines` on the title
ARTICLE_PREFIX = "article-"  # ids of the layout's <article> elements: "article-" + the article's id


def titles(pages: list) -> dict[str, tuple[int, int]]:  # weasyprint.Page objects
    """Article id (as in `Layout.article_pages`) -> (lines its title runs, lines the layout allows), from the line
    boxes of the laid-out title (see `title_findings`)."""
    return _titles(pages)


def title_findings(pages: list, issue: PreparedIssue) -> list[str]:
    """`articles[3] title runs 4 lines; the layout allows 3 ("...")` for each title longer than its layout allows.

    The layout says how many lines a title may run with the CSS custom property `--title-max-lines` on the title
    (or an ancestor: `.opener-text .article-title { --title-max-lines: 2 }`); TITLE_MAX_LINES otherwise.
    """
    return titles_over(_titles(pages), issue)


def titles_over(titles: dict[str, tuple[int, int]], issue: PreparedIssue) -> list[str]:
    """`title_findings` from the titles measured: article id -> (lines, lines allowed)."""
    articles = _by_id(issue)
    found = []
    for article_id, (lines, allowed) in titles.items():
        article = articles.get(article_id)
        if article is not None and lines > allowed:
            found.append(f"{_index(article)} title runs {lines} lines; the layout allows {allowed} ({article.title!r})")
    return found


def page_budget_findings(
    article_pages: dict[str, int], total_pages: int, issue: PreparedIssue, ran_on: Collection[str] = ()
) -> list[str]:
    """`articles[4] runs 5 pages, budget 4 ("...")` for each article that runs over its `page_budget`.

    `article_pages` maps article id -> first page (as `Edition.article_pages`); `total_pages` is the last page of
    the editorial part (the last article ends there: fill pages and back cover come after it); `ran_on` the ids of
    the articles that start on the page where the previous one ends.
    """
    found = []
    for article, start, end in article_spans(article_pages, issue, total_pages, ran_on):
        runs = end - start + 1
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


CONTENTS_CLASS = "toc"  # the class of the layout's list of contents (layouts/base/contents.html)


def contents_height(pages: list) -> tuple[float, float]:
    """The height (CSS px) at which the contents' columns, filled in order, hold its entries as balanced as they
    go (the tallest column as short as it can be), from the front laid out with them filled in order, and how much
    shorter the list is where the margin after the last entry of a column falls at its break (as WeasyPrint drops
    it there): (0, 0), leave them to WeasyPrint, when the layout has no such list in columns or it runs past one
    page."""
    lists = [box for page in pages for box in _with_class(page_root(page), CONTENTS_CLASS)]
    if len(lists) != 1 or not isinstance(lists[0].style["column_count"], int):
        return 0.0, 0.0
    columns = lists[0].children
    entries = [(e.margin_height(), e.margin_bottom) for column in columns for e in column.children]
    count = lists[0].style["column_count"]
    if not entries or not columns or sum(h for h, _ in entries) > columns[0].height * count + 0.01:
        return 0.0, 0.0
    sums = [0.0]
    for height, _ in entries:
        sums.append(sums[-1] + height)
    candidates = sorted({b - a for i, a in enumerate(sums) for b in sums[i + 1 :]})
    height = next(h for h in candidates if len(_filled(entries, h)) <= count)
    filled = _filled(entries, height)
    shown = max([sum(h for h, _ in c) - c[-1][1] for c in filled[:-1]] + [sum(h for h, _ in filled[-1])])
    return round(height, 3) + 0.01, round(height - shown, 3)


def _filled(entries: list[tuple[float, float]], limit: float) -> list[list[tuple[float, float]]]:
    """The entries ((margin height, bottom margin)) in columns, filled in order to at most `limit` high, none split
    (an entry taller than the limit makes a column of its own, and more columns than entries)."""
    columns: list[list[tuple[float, float]]] = [[]]
    used = 0.0
    for height, margin in entries:
        if height > limit + 1e-6:
            return [[entry] for entry in entries] + [[]]
        if used and used + height > limit + 1e-6:
            columns.append([])
            used = 0.0
        columns[-1].append((height, margin))
        used += height
    return columns


def _with_class(box, name: str) -> Iterator:
    """The boxes under `box` (itself included) of elements with the class `name`, outermost only."""
    if box.element is not None and name in (box.element.get("class") or "").split():
        yield box
        return
    for child in getattr(box, "children", []):
        yield from _with_class(child, name)


NOT_BODY = frozenset({"cover", "bleed", "fill", "back"})  # named pages without a text area of an article's own
BODY_CLASS = "article-body"


@dataclass(frozen=True)
class PageFill:
    """How full a body page's text area is: the share covered by lines of text, pictures and tinted boxes; the
    body line (its height times the column's width, in CSS px²) to count lines by; the room free at its foot."""

    fill: float
    covered: float
    area: float
    line: float
    free: float  # points between the end of the flow and the foot of the text area (or the footnotes)

    @property
    def percent(self) -> int:
        return math.floor(self.fill * 100)

    @property
    def lines(self) -> int:
        """Body lines the page holds (at least one when it holds anything)."""
        return max(1, round(self.covered / self.line)) if self.line and self.covered else 0

    def lines_short_of(self, share: float) -> int:
        """Body lines to add for the page to be `share` full."""
        return max(0, math.ceil((share * self.area - self.covered) / self.line)) if self.line else 0


def is_body_page(page) -> bool:  # a weasyprint.Page of an article's section
    """Whether the page has a text area of the article's: not a full-bleed opener (nor cover, fill or back)."""
    return page_root(page).page_type.name not in NOT_BODY


def body_line(pages: list) -> tuple[float, float]:
    """(height, width) in CSS px of the commonest line of the article bodies on `pages`: the body's line height
    and column width; (0, 0) when they hold no body text."""
    heights: Counter = Counter()
    widths: Counter = Counter()
    for page in pages:
        for body in _with_class(page_root(page), BODY_CLASS):
            for box in body.descendants():
                for line in getattr(box, "children", ()):
                    if isinstance(line, boxes.LineBox):  # as wide as its block: the measure, not the words
                        heights[round(line.height, 2)] += 1
                        widths[round(box.width, 1)] += 1
    if not heights:
        return 0.0, 0.0
    return heights.most_common(1)[0][0], widths.most_common(1)[0][0]


def page_fill(page, line: tuple[float, float]) -> PageFill:
    """The fill of one body page, measured on its laid-out boxes; `line` as `body_line` gives it."""
    root = page_root(page)
    x0, y0 = root.content_box_x(), root.content_box_y()
    x1, y1 = x0 + root.width, y0 + root.height
    flow, notes = root.children[0], next((c for c in root.children if isinstance(c, boxes.FootnoteAreaBox)), None)
    rects = list(_content_rects(flow))
    foot = y1
    if notes is not None and notes.children:
        note_rects = list(_content_rects(notes))
        rects += note_rects
        foot = min([y1, notes.position_y, *(r[1] for r in note_rects)])
    clipped = [(max(a, x0), max(b, y0), min(c, x1), min(d, y1)) for a, b, c, d in rects if c > x0 and a < x1 and d > y0]
    clipped = [r for r in clipped if r[2] > r[0] and r[3] > r[1]]
    covered, area = _union_area(clipped), root.width * root.height
    lowest = flow.position_y + flow.margin_height()  # where the flow ends on this page: its blocks' margins too
    return PageFill(
        fill=covered / area if area else 1.0,
        covered=covered,
        area=area,
        line=line[0] * line[1],
        free=max(0.0, foot - max(lowest, y0)) * PT_PER_PX,
    )


PT_PER_PX = 0.75


def _with_class(box, name: str) -> Iterator:
    element = box.element
    if element is not None and name in (element.get("class") or "").split() and not isinstance(box, boxes.LineBox):
        yield box
        return
    for child in getattr(box, "children", []):
        yield from _with_class(child, name)


def _content_rects(box) -> Iterator[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of what shows on the page under `box`: lines, pictures, tinted boxes."""
    if isinstance(box, boxes.ReplacedBox):
        yield box.position_x, box.position_y, box.position_x + box.width, box.position_y + box.height
        return
    if isinstance(box, boxes.MarginBox):
        return
    colour = box.style["background_color"]
    if box.element_tag not in ("html", "body") and (getattr(colour, "alpha", 0) > 0 or _has_image(box)):
        x, y = box.border_box_x(), box.border_box_y()
        yield x, y, x + box.border_width(), y + box.border_height()
    for child in getattr(box, "children", []):
        if isinstance(child, boxes.LineBox):  # a line covers its block's measure: a paragraph's last line too
            left = box.content_box_x()
            yield left, child.position_y, left + box.width, child.position_y + child.height
        else:
            yield from _content_rects(child)


def _has_image(box) -> bool:
    return any(kind != "none" for kind, _ in box.style["background_image"])


def _union_area(rects: list[tuple[float, float, float, float]]) -> float:
    """The area the rectangles cover together: slab by slab between their top and bottom edges."""
    edges = sorted({r[1] for r in rects} | {r[3] for r in rects})
    total = 0.0
    for top, bottom in zip(edges, edges[1:], strict=False):
        spans = sorted((r[0], r[2]) for r in rects if r[1] <= top and r[3] >= bottom)
        covered, reach = 0.0, -math.inf
        for left, right in spans:
            if right <= reach:
                continue
            covered += right - max(left, reach)
            reach = right
        total += covered * (bottom - top)
    return total


def measure_article(pages: list) -> Measured:
    """What copy-fitting decides on, from the pages of one article (and those that run on after it) laid out on
    its own; of their titles, the first that runs over its limit, else the first."""
    last = pages[-1]
    body = is_body_page(last)
    fill = page_fill(last, body_line(pages)) if body else None
    found = _titles(pages)
    over = [k for k, (lines, allowed) in found.items() if lines > allowed]
    title_of = over[0] if over else next(iter(found), "")
    lines, allowed = found.get(title_of, (1, TITLE_MAX_LINES))
    title = next((box for page in pages for k, box in _title_boxes(page_root(page), None) if k == title_of), None)
    size, leading = _title_size(title) if title is not None else (0.0, 0.0)
    return Measured(
        pages=len(pages),
        last_fill=fill.fill if fill else 1.0,
        last_lines=fill.lines if fill else 0,
        free=fill.free if fill else 0.0,
        title_lines=lines,
        title_allowed=allowed,
        last_is_body=body,
        title_size=size,
        title_leading=leading,
        title_of=title_of if len(found) > 1 else "",
        stranded=_stranded(pages),
        titles_over=_sizes(pages, over) if len(found) > 1 else (),
    )


def _sizes(pages: list, ids: list[str]) -> tuple[tuple[str, float, float], ...]:
    """(article id, size, leading in points) of the titles of the articles `ids`, as laid out."""
    found = {}
    for page in pages:
        for article_id, box in _title_boxes(page_root(page), None):
            if article_id in ids and article_id not in found:
                found[article_id] = (article_id, *_title_size(box))
    return tuple(found[i] for i in ids if i in found)


def _title_size(title: boxes.Box) -> tuple[float, float]:
    """A laid-out title's type size and leading (its first line's height) in points."""
    first_line = next((c for c in title.children if isinstance(c, boxes.LineBox)), None)
    size = title.style["font_size"] * PT_PER_PX
    leading = first_line.height * PT_PER_PX if first_line is not None else size
    return round(size, 3), round(leading, 3)


RUN_ON_CLASS = "run-on"  # an article that starts on the page where the one before it ends (layouts/base/article.html)


def _stranded(pages: list) -> tuple[str, ...]:
    """Ids of the articles run on whose opening found no room: their first page starts with them (the one before
    ended on the page before), or holds no line of their text after their opening (a multi-column body does not
    keep its first lines with the title)."""
    found, seen = [], set()
    for page in pages:
        for place, (article_id, box) in enumerate(_articles_in(page_root(page))):
            if article_id in seen:
                continue
            seen.add(article_id)
            if RUN_ON_CLASS not in (box.element.get("class") or "").split():
                continue
            body = next(_with_class(box, BODY_CLASS), None)
            if place == 0 or body is None or not any(isinstance(b, boxes.LineBox) for b in body.descendants()):
                found.append(article_id)
    return tuple(sorted(found))


def _articles_in(box) -> Iterator[tuple[str, boxes.Box]]:
    """(article id, box) of each <article id="article-..."> laid out under `box`, in order; outermost only."""
    if box.element_tag == "article" and box.element is not None:
        element_id = box.element.get("id") or ""
        if element_id.startswith(ARTICLE_PREFIX):
            yield element_id.removeprefix(ARTICLE_PREFIX), box
            return
    for child in getattr(box, "children", []):
        yield from _articles_in(child)


def underfilled_findings(
    fills: dict[int, PageFill], article_pages: dict[str, int], issue: PreparedIssue, ran_on: Collection[str] = ()
) -> list[tuple[int, str]]:
    """(page, `p34 is 4% full: cut 2 lines from articles[9] 'Title', or add 38 lines`) for each body page under
    `typesetting.min_fill`, with what would fix it: an article's last page goes with the lines it holds cut, or
    fills with lines added; a page inside an article ends early because what follows may not be split there."""
    share = issue.manifest.typesetting.min_fill / 100
    found = []
    for article, first, last in _runs(article_pages, max(fills, default=0), issue, ran_on):
        for number in range(first, last + 1):
            fill = fills.get(number)
            if fill is None or fill.fill >= share:
                continue
            where = f"{_index(article)} {article.title!r}"
            add = _lines(fill.lines_short_of(share))
            if number < last:
                fix = f"in {where}, the text goes on to the next page early (a picture or a block that may not split)"
            elif number == first or not fill.lines:
                fix = f"add {add} to {where}"
            else:
                fix = f"cut {_lines(fill.lines)} from {where}, or add {add}"
            found.append((number, f"p{number} is {fill.percent}% full: {fix}"))
    return found


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def _runs(
    article_pages: dict[str, int], last_page: int, issue: PreparedIssue, ran_on: Collection[str]
) -> Iterator[tuple]:
    """(article, first page, last page) of each article placed, in page order; a page shared by an article's end
    and the next one's start counts for the article that starts there."""
    spans = article_spans(article_pages, issue, last_page, ran_on)
    for k, (article, first, last) in enumerate(spans):
        own = last - 1 if k + 1 < len(spans) and spans[k + 1][1] == last else last
        if own >= first:
            yield article, first, own
