"""The section plan: the front (cover and contents), each article with those that run on after it (`run_on`),
the tail (fill pages and back cover) and the page furniture, placed one after another and laid out side by side
(layout/parallel.py).

Each section starts on the page after the previous one ends. Its layout depends on nothing but its content: every
section is laid out on right-hand pages and moved at the join where a page falls on the left (layout/folios.py),
so every article is laid out once, all of them side by side, and a laid-out article is reused from the cache
wherever it lands. The front prints where each article starts, so it is settled after them; if it runs to another
number of pages than assumed, the articles are placed again (they are not laid out again). Where the last layout
left its placing (`placing.json` in the cache folder), the front and the tail are laid out beside the articles at
that placing, first and last: when the articles land where they did, they are ready when asked for. Every path
gives the same sections as a clean build: a section's layout depends on nothing but its key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import modified_at
from issue_builder.base.diagnostics import RenderError
from issue_builder.layout.copyfit import Fit, Rules
from issue_builder.layout.folios import furniture_html
from issue_builder.layout.html import RenderedHtml
from issue_builder.layout.parallel import (
    Env,
    Task,
    body_size,
    laid_out_html,
    settle_all,
    stop_guesses,
    take_guess,
)
from issue_builder.prepare.content import PreparedArticle, PreparedIssue

FRONT_PAGES_GUESS = 2  # cover and contents; corrected when the front runs longer
MAX_PLACINGS = 4
GAINED = 0.5  # of a page's worth of an article's text: an edit that adds or cuts more is guessed to move a page
PLACING = "placing.json"  # in the cache folder: where the last layout placed the articles, its fill pages and fits
MAX_TITLES = 100  # titles of one section a fit read back may set smaller
MAX_POINTS = 14400.0  # the largest length a fit read back may hold: 200 inches


@dataclass
class Placed:
    """The issue's sections in page order, as their reports (layout/parallel.py), and where the articles start."""

    front: dict
    articles: list[dict]
    tail: dict
    folios: dict  # the page furniture: margin boxes laid out over the issue's pages
    starts: dict[str, int]
    fill_pages: int
    ran_on: tuple[str, ...]  # articles laid out in a section after another: on the page where that one ends

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
    try:
        return _place(issue, env, fill_pages, step)
    finally:
        stop_guesses(env)


def _place(issue: PreparedIssue, env: Env, fill_pages: Callable[[int], int], step: Callable[[str], None]) -> Placed:
    pages = 0

    def progress(report: dict) -> None:
        nonlocal pages
        pages += report["pages"]
        step(f"laying out the issue: {len(env.fresh) + env.cached} sections, {pages} pages")

    def front_task(starts: dict[str, int]) -> Task:
        return Task("front", "front", lambda fit: env.html_for("front", starts=starts, fit=fit))

    def tail_task(fill: int) -> Task:
        return Task("tail", "tail", lambda fit: env.html_for("tail", fill_pages=fill))

    def article_task(run: tuple[PreparedArticle, ...]) -> Task:
        return Task("article", run[0].id, lambda fit: env.html_for("article", articles=run, fit=fit), fitted=True)

    runs = article_runs(issue.articles)
    tasks = [article_task(run) for run in runs]
    memory = env.cache.folder.parent / PLACING
    foreseen = _read_fits(memory, env.rules)
    order = _by_cost(runs, foreseen)
    batch = [tasks[i] for i in order]
    last = _read_placing(memory, issue)
    looks = guesses = None
    if last is not None:  # laid out beside the articles; settled below (from the cache, when they land alike)
        batch = [front_task(last[0]), *batch, tail_task(last[1])]
        # the front's key takes two renderings of the cover and contents: the articles are looked up first, those
        # saved since the last placing first (the last saved first), so that one edited starts sooner; the rest, and
        # the sections waiting for a processor, in the given order (the longest first)
        placed_at = modified_at(memory, float("-inf"))
        saved = [max(a.saved for a in runs[i]) for i in order]
        edited = sorted((i for i in range(1, len(batch) - 1) if saved[i - 1] > placed_at), key=lambda i: -saved[i - 1])
        looks = [*edited, *(i for i in range(1, len(batch) - 1) if i not in edited), len(batch) - 1, 0]

        sizes = _read_sizes(memory)

        def guesses(i: int) -> dict[str, Task]:  # one article laid out again: the contents if it gains or loses a page
            if not 0 < i < len(batch) - 1:
                return {}
            run = runs[order[i - 1]]
            moved = _moved(last[0], run, _pages_gained(batch[i], sizes.get(_run_key(run))))
            return {_guess(moved): front_task(moved)} if moved != last[0] else {}  # the last article: none moved

    ahead = {run[0].id: foreseen[_run_key(run)] for run in runs if _run_key(run) in foreseen}
    settled = settle_all(env, batch, progress, ahead, looks, guesses)
    articles: list[dict] = [{}] * len(tasks)
    for i, report in zip(order, settled[1:-1] if last is not None else settled, strict=True):
        articles[i] = report
    # an article run on whose opening found no room where the one before it ends starts a section of its own,
    # and the one before it ends its own (copy-fitted on its own, its house box too): cut, and settled again
    while any("split" in report for report in articles):
        parts = [part for run, r in zip(runs, articles, strict=True) for part in _split(run, r.get("split"))]
        known = {_ids(run): r for run, r in zip(runs, articles, strict=True) if "split" not in r}
        ahead = {p[0].id: foreseen[_run_key(p)] for p in parts if _run_key(p) in foreseen}
        laid = iter(settle_all(env, [article_task(p) for p in parts if _ids(p) not in known], progress, ahead))
        runs, articles = parts, [known[_ids(p)] if _ids(p) in known else next(laid) for p in parts]

    front_pages = FRONT_PAGES_GUESS  # always the same start, warm or cold: the same pages either way
    for _ in range(MAX_PLACINGS):
        starts, page = {}, front_pages + 1
        for run, report in zip(runs, articles, strict=True):
            starts |= _starts(run, report, page)
            page += report["pages"]
        fill = fill_pages(page - 1)
        # a guess the articles did not land as stopped (one a longer or shorter front may still meet is kept)
        stop_guesses(env, keep=lambda guess, starts=starts: _shifted(json.loads(guess), starts))
        front, tail = settle_all(env, [front_task(starts), tail_task(fill)], progress)
        take_guess(env, _guess(starts))
        if front["pages"] == front_pages:
            break
        front_pages = front["pages"]
    else:
        raise RenderError(
            f"the contents keep changing length as the articles are placed after them "
            f"({MAX_PLACINGS} tries); make the contents page fit its entries"
        )
    sections = (front, *articles, tail)
    page_types = [(name, blank) for r in sections for name, blank in r["page_types"]]
    strings = [[(name, text) for name, text in page] for r in sections for page in r["strings"]]
    front_html = env.html_for("front", starts=starts)

    def furniture(fit: Fit) -> RenderedHtml:
        html = furniture_html(front_html.html, page_types, strings)
        return RenderedHtml(html=html, base_url=front_html.base_url, layout_chain=front_html.layout_chain)

    step(f"laying out the running heads and folios of {len(page_types)} pages")
    (folios,) = settle_all(env, [Task("folios", "folios", furniture, tagged=False)])
    fits = {_run_key(run): report["fits"] for run, report in zip(runs, articles, strict=True)}
    sizes = {_run_key(run): [report["size"], report["pages"]] for run, report in zip(runs, articles, strict=True)}
    placing = {"starts": starts, "fill": fill, "fits": fits, "sizes": sizes}
    store_in_cache(memory, json.dumps(placing, sort_keys=True).encode())
    ran_on = tuple(article.id for run in runs for article in run[1:])
    return Placed(front, articles, tail, folios, starts, fill, ran_on)


def article_runs(articles: list[PreparedArticle]) -> list[tuple[PreparedArticle, ...]]:
    """The articles as the sections that hold them: each with those that run on after it."""
    runs: list[tuple[PreparedArticle, ...]] = []
    for article in articles:
        if article.runs_on and runs:
            runs[-1] += (article,)
        else:
            runs.append((article,))
    return runs


def _ids(run: tuple[PreparedArticle, ...]) -> tuple[str, ...]:
    return tuple(a.id for a in run)


def _split(run: tuple[PreparedArticle, ...], before: str | None) -> list[tuple[PreparedArticle, ...]]:
    """A run of articles, cut before the article `before` (none: whole)."""
    ids = [a.id for a in run]
    if before not in ids[1:]:
        return [run]
    cut = ids.index(before)
    return [run[:cut], run[cut:]]


def _starts(run: tuple[PreparedArticle, ...], report: dict, first: int) -> dict[str, int]:
    """Article id -> first page of the articles of a section laid out from page `first`, from their anchors (the
    section's first page for one whose anchor a layout left out: the checks of the written files report it)."""
    found = {}
    for number, anchors in enumerate(report["anchors"], start=first):
        for article in run:
            if f"article-{article.id}" in anchors:
                found.setdefault(article.id, number)
    return {a.id: found.get(a.id, first) for a in run}


def _moved(starts: dict[str, int], run: tuple[PreparedArticle, ...], pages: int) -> dict[str, int]:
    """`starts` with every article after `run` `pages` later: where an edit that adds as many pages to it puts
    them."""
    last = max(starts[a.id] for a in run)
    return {i: page + pages if page > last else page for i, page in starts.items()}


def _pages_gained(task: Task, known: tuple[int, int] | None) -> int:
    """The page an edit most likely added to (1) or took from (-1) the article section `task`, or 0, from the length
    of its HTML as set now against `known`, its length and pages last time: half a page's worth of its text or
    more, either way (copy-fitting may still take it in: only a guess)."""
    if known is None:
        return 0
    size, pages = known
    change = (body_size(laid_out_html(task, task.html(Fit()))) - size) * pages / max(size, 1)
    return 1 if change >= GAINED else -1 if change <= -GAINED else 0


def _placing_part(path: Path, name: str) -> dict:
    """The part `name` of the placing the last layout left, by section; empty when it is not one."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))[name]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


def _read_sizes(path: Path) -> dict[str, tuple[int, int]]:
    """The length of each article section's HTML as set, and its pages, the last layout left (by `_run_key`)."""
    found = _placing_part(path, "sizes")
    return {
        name: (known[0], known[1])
        for name, known in found.items()
        if isinstance(known, list)
        and len(known) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in known)
        and known[0] >= 0
        and known[1] >= 1
    }


def _shifted(guessed: dict[str, int], starts: dict[str, int]) -> bool:
    """Whether `starts` are the `guessed` ones, or all of them the same number of pages on (a front of another
    length than the one they were placed after)."""
    return len({starts[i] - guessed.get(i, 0) for i in starts}) == 1


def _guess(starts: dict[str, int]) -> str:
    """The name of the guess that the articles start at `starts`."""
    return json.dumps(starts, sort_keys=True)


def _read_placing(path: Path, issue: PreparedIssue) -> tuple[dict[str, int], int] | None:
    """The starts and fill pages the last layout left, when they name this issue's articles."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        starts, fill = found["starts"], found["fill"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    ids = [a.id for a in issue.articles]
    if not isinstance(starts, dict) or sorted(starts) != sorted(ids) or not isinstance(fill, int) or fill < 0:
        return None
    if not all(isinstance(starts[i], int) and not isinstance(starts[i], bool) and starts[i] > 0 for i in ids):
        return None
    return {i: starts[i] for i in ids}, fill


def _read_fits(path: Path, rules: Rules) -> dict[str, list[Fit]]:
    """The fits the last layout tried for each article section (by `_run_key`), the one it was set at last; those
    of a section whose record is not one the copy-fitting could have made are left out."""
    found = _placing_part(path, "fits")
    most = rules.title_steps + rules.tighten_steps + 3  # Fit(), each title step, each tighter one, the house box
    fits = {}
    for name, tried in found.items():
        read = [_fit(value, rules) for value in tried] if isinstance(tried, list) and len(tried) <= most else [None]
        if read and None not in read:
            fits[name] = read
    return fits


def _fit(value: object, rules: Rules) -> Fit | None:
    """A fit as `settle` reports it (`asdict`), when it is one the copy-fitting could choose, in the form
    `copyfit.next_fit` gives it; else None."""
    if not isinstance(value, dict) or set(value) != {f.name for f in fields(Fit)}:
        return None
    titles = value["titles"]
    if not isinstance(titles, list) or len(titles) > MAX_TITLES or not all(_title(t) for t in titles):
        return None
    fit = Fit(**{**value, "titles": tuple(tuple(t) for t in titles)})
    steps = (fit.tighten, fit.title)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in steps) or not isinstance(fit.title_of, str):
        return None
    sizes = (fit.filler, fit.title_size, fit.title_leading)
    if not all(_points(v) for v in sizes) or (fit.contents_height, fit.contents_pull) != (0.0, 0.0):
        return None
    if not isinstance(fit.contents_height, float) or not isinstance(fit.contents_pull, float):
        return None
    single = (fit.title_size, fit.title_leading, fit.title_of)  # one article's title set smaller
    if (not fit.title or fit.titles) and single != (0.0, 0.0, "") or fit.titles and not fit.title:
        return None
    return fit if 0 <= fit.tighten <= rules.tighten_steps and 0 <= fit.title <= rules.title_steps else None


def _title(value: object) -> bool:
    """An (article id, size, leading) of a title set smaller."""
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and all(map(_points, value[1:]))


def _points(value: object) -> bool:
    """A length in points a fit may hold: a float from 0 to a large page's height."""
    return isinstance(value, float) and 0 <= value <= MAX_POINTS


def _run_key(run: tuple[PreparedArticle, ...]) -> str:
    """What the fits of a section are kept by: the ids of the articles it holds."""
    return json.dumps(_ids(run))


def _by_cost(runs: list[tuple[PreparedArticle, ...]], foreseen: dict[str, list[Fit]]) -> list[int]:
    """The indexes of `runs`, the likely longest to lay out first, so that the workers run out of sections at about
    the same time: each section's text, times the layouts its copy-fitting tried the last time (`foreseen`)."""

    def cost(run: tuple[PreparedArticle, ...]) -> int:
        return sum(map(_weight, run)) * len(set(foreseen.get(_run_key(run), [Fit()])))

    return sorted(range(len(runs)), key=lambda i: -cost(runs[i]))


def _weight(article: PreparedArticle) -> int:
    """How long an article likely takes to lay out: its text, and a page's worth for each picture."""
    return len(str(article.body_html)) + 3000 * len(article.images_in_body)
