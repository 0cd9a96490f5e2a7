"""Articles by identity across two rounds of a proof: each page's article read from its slug, runs of pages of one
article paired between the rounds, so that an article moved elsewhere in the issue is seen as moved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from issue_builder.base.bounded import call_bounded
from issue_builder.base.diagnostics import display_path
from issue_builder.proofing.proof_pages import band_text, read_slug
from issue_builder.proofing.words import UnreadablePdf, Word, open_pdf, text_pages

SIMILAR = 0.5  # share of words two runs of pages have in common to be one article whose title was edited


@dataclass(frozen=True)
class Segment:
    """A run of pages of one article (or of the pages between articles: cover and contents, back pages)."""

    key: tuple  # ("article", title, n): the n-th run of that title; ("other", n): the n-th run of other pages
    pages: tuple[int, ...]  # 0-based, in its file
    title: str | None = None


def page_titles(path: Path) -> list[str | None] | None:
    """The article each page of a proof runs, from its slug (None for pages of no article); None when the file
    has no slugs (not a proof, or in reader spreads). Read in a child process limited in time and memory."""
    return call_bounded(_titles, path, what=f"reading the slugs of {display_path(path)}")


def proof_round(path: Path) -> str | None:
    """The round of corrections a proof's first slug names, if any (None too for a file that is not a proof)."""
    return call_bounded(_round, path, what=f"reading the slug of {display_path(path)}")


def _round(path: Path) -> str | None:
    try:
        document = open_pdf(path)
    except UnreadablePdf:
        return None
    try:
        for _, page, textpage in text_pages(document, 1):
            slug = read_slug(band_text(textpage, tuple(page.get_cropbox())))
            return slug.round if slug is not None else None
        return None
    finally:
        document.close()


def _titles(path: Path) -> list[str | None] | None:
    document = open_pdf(path)
    titles: list[str | None] = []
    try:
        for _, page, textpage in text_pages(document):
            text = band_text(textpage, tuple(page.get_cropbox()))
            slug = read_slug(text)
            if slug is None or text.count("PROOF · ") > 1:
                return None
            titles.append(slug.title)
    finally:
        document.close()
    return titles


def segments(titles: list[str | None]) -> list[Segment]:
    """The runs of pages of one article, in page order."""
    runs: list[tuple[str | None, list[int]]] = []
    for page, title in enumerate(titles):
        if runs and runs[-1][0] == title:
            runs[-1][1].append(page)
        else:
            runs.append((title, [page]))
    seen: Counter = Counter()
    found = []
    for title, pages in runs:
        key = ("article", title) if title is not None else ("other",)
        seen[key] += 1
        found.append(Segment((*key, seen[key]), tuple(pages), title))
    return found


def pair_segments(
    old: list[Segment], new: list[Segment], old_words: list[Word], new_words: list[Word]
) -> list[tuple[Segment | None, Segment | None]]:
    """Each run of NEW with the run of OLD of the same article: by title, else (a title edited) by the words they
    share; runs left over stand alone (an article added or removed)."""
    by_key = {s.key: s for s in old}
    pairs: list[tuple[Segment | None, Segment | None]] = []
    left_new = []
    for segment in new:
        match = by_key.pop(segment.key, None)
        if match is not None:
            pairs.append((match, segment))
        else:
            left_new.append(segment)
    left_old = list(by_key.values())
    for segment in left_new:
        words = _words_of(segment, new_words)
        best, best_share = None, SIMILAR
        for candidate in left_old:
            if (candidate.title is None) != (segment.title is None):
                continue
            theirs = _words_of(candidate, old_words)
            share = sum((words & theirs).values()) / max(1, max(sum(words.values()), sum(theirs.values())))
            if share >= best_share:
                best, best_share = candidate, share
        if best is not None:
            left_old.remove(best)
        pairs.append((best, segment))
    pairs += [(segment, None) for segment in left_old]
    return pairs


def _words_of(segment: Segment, words: list[Word]) -> Counter:
    pages = set(segment.pages)
    return Counter(w.key for w in words if w.page in pages)
