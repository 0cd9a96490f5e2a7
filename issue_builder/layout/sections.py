"""The section plan: the front (cover and contents), each article on its own, the tail (fill pages and back
cover) and the folios, placed one after another and laid out side by side (layout/parallel.py).

Each article starts on the page after the previous one ends; its layout depends only on the parity of that page
(a left-hand start is laid out behind a spacer page, dropped at the join), never on the number, so a laid-out
article is reused from the cache wherever it lands. Where each article starts is first guessed from the pages
each ran in the last layout (kept in the cache folder: a reordered issue guesses right too), and a right-hand
start where nothing is known; an article whose guess turns out wrong is laid out again at the other parity. The
front prints where each article starts, so it comes after them; if it runs to another number of pages than
assumed, the articles are placed again. Every path gives the same sections as a clean build: the placing always
starts from the same number of front pages, and a section's layout depends on nothing but its key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.diagnostics import RenderError
from issue_builder.layout.copyfit import Fit
from issue_builder.layout.folios import folio_html, margin_boxes
from issue_builder.layout.html import RenderedHtml
from issue_builder.layout.parallel import Env, Task, settle_all
from issue_builder.prepare.content import PreparedIssue

FRONT_PAGES_GUESS = 2  # cover and contents; corrected when the front runs longer
MAX_PLACINGS = 4
PAGE_COUNTS = "page-counts.json"  # in the section cache: the pages each article ran in the last layout


@dataclass
class Placed:
    """The issue's sections in page order, as their reports (layout/parallel.py), and where the articles start."""

    front: dict
    articles: list[dict]
    tail: dict
    folios: dict
    starts: dict[str, int]
    fill_pages: int

    @property
    def sections(self) -> list[dict]:
        return [self.front, *self.articles, self.tail]


def place(
    issue: PreparedIssue,
    env: Env,
    fill_pages: Callable[[int], int],
    step: Callable[[str], None] = lambda _: None,
) -> Placed:
    """Every section settled (from the cache, or laid out) at its place in the issue."""
    memory = env.cache.folder / PAGE_COUNTS
    last = _read_counts(memory)  # article id -> pages it ran in the last layout: where the next ones start
    known: dict[tuple[str, int], dict] = {}

    pages = 0

    def progress(report: dict) -> None:
        nonlocal pages
        pages += report["pages"]
        step(f"laying out the issue: {env.laid_out + env.cached} sections, {pages} pages")

    def article_task(article, parity: int) -> Task:
        return Task(
            "article",
            article.id,
            lambda fit, a=article, p=parity: env.html_for("article", p, article=a, fit=fit),
            spacer=parity == 2,
            fitted=True,
        )

    front_pages = FRONT_PAGES_GUESS  # always the same start, warm or cold: the same pages either way
    for _ in range(MAX_PLACINGS):
        while True:  # until every article is known at the parity it lands on
            page: int | None = front_pages + 1  # None once no page count is known or remembered
            wanted = []
            for article in issue.articles:
                parity = _parity(page) if page is not None else 1
                report = known.get((article.id, parity))
                count = report["pages"] if report is not None else None
                if report is None:
                    wanted.append((article, parity))
                    other = known.get((article.id, 3 - parity))  # the page count it likely has
                    count = other["pages"] if other is not None else last.get(article.id)
                page = page + count if page is not None and count is not None else None
            if not wanted:
                break
            reports = settle_all(env, [article_task(a, p) for a, p in wanted], progress)
            known.update({(a.id, p): r for (a, p), r in zip(wanted, reports, strict=True)})
        starts, articles, page = {}, [], front_pages + 1
        for article in issue.articles:
            report = known[(article.id, _parity(page))]
            starts[article.id] = page
            articles.append(report)
            page += report["pages"]
        fill = fill_pages(page - 1)
        front_task = Task("front", "front", lambda fit, s=starts: env.html_for("front", 1, starts=s))
        tail_parity = _parity(page)
        tail_task = Task("tail", "tail", lambda fit, p=tail_parity, f=fill: env.html_for("tail", p, fill_pages=f))
        front, tail = settle_all(env, [front_task, tail_task], progress)
        if front["pages"] == front_pages:
            break
        front_pages = front["pages"]
    else:
        raise RenderError(
            f"the contents keep changing length as the articles are placed after them "
            f"({MAX_PLACINGS} tries); make the contents page fit its entries"
        )
    page_types = [tuple(t) for r in (front, *articles, tail) for t in r["page_types"]]
    front_html = env.html_for("front", 1, starts=starts)

    def folios_html(fit: Fit) -> RenderedHtml:
        html = folio_html(front_html.html, margin_boxes(front_html.html), page_types)
        return RenderedHtml(html=html, base_url=front_html.base_url, layout_chain=front_html.layout_chain)

    step(f"laying out the folios of {len(page_types)} pages")
    (folios,) = settle_all(env, [Task("folios", "folios", folios_html, tagged=False)])
    counts = {a.id: r["pages"] for a, r in zip(issue.articles, articles, strict=True)}
    store_in_cache(memory, json.dumps(counts, sort_keys=True).encode())
    return Placed(front, articles, tail, folios, starts, fill)


def _parity(page: int) -> int:
    """1 for a right-hand page, 2 for a left-hand one: the first page a section is laid out from."""
    return 1 if page % 2 else 2


def _read_counts(path) -> dict[str, int]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, int) and not isinstance(v, bool) and v > 0}
