"""Copy-fitting: from an article's laid-out pages, as measured, to how it is set next (a pure decision).

An article (with the articles that run on after it, set as one) is laid out at `Fit()` first (an article run on
whose opening finds no room there starts a section of its own instead: `Measured.stranded`, layout/sections.py).
A title over its
line limit is set a step smaller, up to `title_steps`; then, when the last page stays under `min_fill`, the
article is set a step tighter at a time, up to `tighten_steps`, and the loosest step that saves the last page is
kept (none, when no step does); when the last page is still under `min_fill`, the house box takes the rest of it
(`filler: house-ad`). What one step is, the layout's CSS says (layouts/base/css/magazine.css). The choice depends
on the article's own measurements alone, so the same article laid out at the same page parity is always set the
same way, from a warm cache or a cold one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

FILLER_GAP = 14.0  # points between an article's last lines and the house box: `.house-box` margin-top in the CSS
FILLER_MIN = 72.0  # points: less room than this at the foot of a page is left empty (no box that small)
FILLER_ROUND = 6.0  # the box's height is rounded down to this, so that hairline differences cannot move it
CONTENTS_PROBE = -1.0  # `Fit.contents_height` of the front laid out to measure its contents' entries
TIGHTEN_GAIN = 0.045  # share of a full page one tighter step may pull back, generously: a step gains about 0.02


@dataclass(frozen=True)
class Fit:
    """How an article is set: steps tighter (leading and letter spacing), its title steps smaller, and the height
    in points of the house box at the foot of its last page (0: none). A title set smaller is set from the size and
    leading (points) the layout gave it, as laid out at `Fit()`: a layout's own title sizes step down alike."""

    tighten: int = 0
    title: int = 0
    filler: float = 0.0
    title_size: float = 0.0
    title_leading: float = 0.0
    title_of: str = ""  # the article whose title is set smaller, of those a section holds ("": its first)
    contents_height: float = 0.0  # the front: CSS px its contents' columns are filled to in order (0: balanced by
    # WeasyPrint; CONTENTS_PROBE: filled in order to the page's foot, to be measured)
    contents_pull: float = 0.0  # CSS px the list is shorter than that: a column's last margin, dropped at its break
    titles: tuple[tuple[str, float, float], ...] = ()  # of a section of several articles: (id, size, leading) of
    # each title set `title` steps smaller, from its own size and leading as laid out at `Fit()`

    def title_set(self, article_id: str) -> tuple[float, float] | None:
        """The size and leading (points) the article's title is set at, `title` steps smaller; None: as laid out."""
        if not self.title:
            return None
        scale = 0.92**self.title
        if self.titles:
            found = next(((size, leading) for i, size, leading in self.titles if i == article_id), None)
            return (round(found[0] * scale, 2), round(found[1] * scale, 2)) if found else None
        if self.title_of in ("", article_id):
            return round(self.title_size * scale, 2), round(self.title_leading * scale, 2)
        return None


@dataclass(frozen=True)
class Measured:
    """What the laid-out article shows: pages it runs, its last page's fill (a share of the text area) and lines,
    the room (points) free at the foot of that page, and its title's lines against the lines the layout allows."""

    pages: int
    last_fill: float
    last_lines: int
    free: float
    title_lines: int = 1
    title_allowed: int = 3
    last_is_body: bool = True  # a full-bleed opener as the last page is not measured
    title_size: float = 0.0  # points: the title's type size and leading as laid out
    title_leading: float = 0.0
    title_of: str = ""  # whose title: the first over its limit of those the section holds, else the first
    stranded: tuple[str, ...] = ()  # articles run on whose opening found no room: at a page's head, or no text after
    titles_over: tuple[tuple[str, float, float], ...] = ()  # of several articles: (id, size, leading) of each title
    # over its limit

    @classmethod
    def read(cls, stored: dict) -> Measured:
        """A measurement as the section cache stores it (JSON: its tuples as lists)."""
        titles = tuple((i, size, leading) for i, size, leading in stored.get("titles_over", ()))
        return cls(**{**stored, "stranded": tuple(stored.get("stranded", ())), "titles_over": titles})

    @property
    def title_over(self) -> bool:
        return bool(self.titles_over) or self.title_lines > self.title_allowed


@dataclass(frozen=True)
class Rules:
    """The publication's copy-fitting settings (`typesetting`)."""

    min_fill: float  # a share: 0.35
    tighten_steps: int
    title_steps: int
    filler: bool

    @classmethod
    def of(cls, typesetting) -> Rules:  # base.schema.Typesetting
        return cls(
            typesetting.min_fill / 100,
            typesetting.tighten_steps,
            typesetting.title_steps,
            typesetting.filler == "house-ad",
        )


def next_fit(tried: Mapping[Fit, Measured], rules: Rules) -> Fit:
    """The fit to lay the article out at next, given every fit tried so far and what it gave; a fit already in
    `tried` is the final choice."""
    first = tried.get(Fit())
    if first is None:
        return Fit()

    def fit(tighten: int, title: int, filler: float = 0.0) -> Fit:
        if not title:
            return Fit(tighten, 0, filler)
        if first.titles_over:  # several articles: each title over its limit steps down from its own size
            return Fit(tighten, title, filler, titles=first.titles_over)
        return Fit(tighten, title, filler, first.title_size, first.title_leading, first.title_of)

    title = 0
    while True:
        measured = tried.get(fit(0, title))
        if measured is None:
            return fit(0, title)
        if not measured.title_over or title >= rules.title_steps or not first.title_size:
            break
        title += 1
    base = tried[fit(0, title)]
    tighten = 0
    if _short(base, rules) and base.pages > 1 and base.last_fill <= _recoverable(base.pages, rules.tighten_steps):
        for step in range(1, rules.tighten_steps + 1):
            measured = tried.get(fit(step, title))
            if measured is None:
                return fit(step, title)
            if measured.pages < base.pages and not measured.stranded:  # a page saved, every article run on kept
                tighten = step
                break
    chosen = fit(tighten, title)
    measured = tried[chosen]
    if rules.filler and _short(measured, rules):
        height = filler_height(measured.free)
        if height:
            boxed = fit(tighten, title, height)
            done = tried.get(boxed)
            if done is None or (done.pages == measured.pages and not done.stranded):  # nor one that moved a run-on
                return boxed
    return chosen


def filler_height(free: float) -> float:
    """The house box's height in points for `free` points at the foot of the page: all of it but a gap above,
    rounded down; 0 when that leaves too little for a box."""
    height = math.floor((free - FILLER_GAP) / FILLER_ROUND) * FILLER_ROUND
    return height if height >= FILLER_MIN else 0.0


def _recoverable(pages: int, steps: int) -> float:
    """The most of a page (a share of its text area) `steps` tighter steps could pull back from an article of
    `pages`: each step gains about 2% of every full page's lines (0.25pt of a 12-13pt leading), taken generously
    at 4.5%, so that a last page too full for tightening to save is never laid out again in vain."""
    return steps * TIGHTEN_GAIN * (pages - 1)


def _short(measured: Measured, rules: Rules) -> bool:
    return measured.last_is_body and measured.last_fill < rules.min_fill
