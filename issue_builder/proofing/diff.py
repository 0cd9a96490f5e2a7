"""Compare two rounds of an issue's PDF page by page: changed words, text that only moved, changed pixels."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from issue_builder.base.bounded import OverBudget, call_bounded
from issue_builder.base.diagnostics import display_path
from issue_builder.base.pdf_content import measure_drawing
from issue_builder.proofing.fingerprint import page_fingerprints
from issue_builder.proofing.identity import pair_segments, segments
from issue_builder.proofing.pagediff import PageDiff
from issue_builder.proofing.pixels import changed_areas
from issue_builder.proofing.textdiff import diff_furniture, diff_words
from issue_builder.proofing.words import (
    FURNITURE_BAND,
    PdfText,
    Rect,
    UnreadablePdf,
    Word,
    open_pdf,
    read_texts,
    refuse_oversized,
)

__all__ = ["Move", "PageDiff", "PdfComparison", "UnreadablePdf", "compare_pdfs", "summary_lines"]

UNCHANGED, REFLOWED, CHANGED, VISUAL, ADDED, REMOVED = "unchanged", "reflowed", "changed", "visual", "added", "removed"
MOVED = "moved"
REFERENCE_WORDS = 16  # words around a page number on the contents page where its article's title is looked for
REFERENCE_CHARS = 12  # letters of that title that must be there


@dataclass(frozen=True)
class Move:
    """An article found on other pages than before (pages count from 1)."""

    title: str
    old_pages: list[int]
    new_pages: list[int]


@dataclass
class PdfComparison:
    """The verdict on every page of NEW (then on OLD's pages that NEW no longer has)."""

    old: Path
    new: Path
    old_pages: int
    new_pages: int
    dpi: int
    pages: list[PageDiff]
    moves: list[Move] = field(default_factory=list)  # articles on other pages than before (proofs compared)

    @property
    def identical(self) -> bool:
        return all(p.status == UNCHANGED for p in self.pages)

    @property
    def differing(self) -> list[PageDiff]:
        return [p for p in self.pages if p.status != UNCHANGED]

    def as_dict(self) -> dict:
        return {
            "old": str(self.old),
            "new": str(self.new),
            "old_pages": self.old_pages,
            "new_pages": self.new_pages,
            "dpi": self.dpi,
            "identical": self.identical,
            "summary": summary_lines(self),
            "pages": [p.as_dict() for p in self.pages],
            "moves": [{"title": m.title, "old_pages": m.old_pages, "new_pages": m.new_pages} for m in self.moves],
        }


def compare_pdfs(
    old: Path,
    new: Path,
    dpi: int = 50,
    old_titles: list[str | None] | None = None,
    new_titles: list[str | None] | None = None,
) -> PdfComparison:
    """Compare OLD and NEW: a word-level diff over the whole document, then a pixel diff of each pair of pages.

    With the article each page runs in both (`old_titles`, `new_titles`: two rounds of a proof), the words are
    compared article by article, and an article on other pages than before is a move, not changed words.
    Each file's drawing is first measured against a budget; PDFium then reads and renders both in a child process
    limited in time and memory. A file past a limit raises UnreadablePdf or LimitExceeded (exit 2).
    """
    for path in (old, new):
        check_drawing(path)
    what = f"the comparison of {display_path(old)} with {display_path(new)}"
    return call_bounded(_compare, old, new, dpi, old_titles, new_titles, what=what)


def check_drawing(path: Path) -> None:
    """Raise UnreadablePdf when the file asks for more drawing than a renderer should be given (fan-out included).

    A file pikepdf cannot open is left to PDFium, which names what is wrong with it.
    """
    if path.is_file():
        refuse_oversized(path)
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, pikepdf.PasswordError, OSError, ValueError, RecursionError):
        return
    with pdf:
        try:
            measure_drawing(pdf)
        except OverBudget as exc:
            raise UnreadablePdf(f"{display_path(path)}: too complex to compare: it asks for {exc}") from None
        except (pikepdf.PdfError, TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError):
            return  # malformed beyond reading: PDFium reads what it can, within its limits


def _compare(
    old: Path, new: Path, dpi: int, old_titles: list[str | None] | None, new_titles: list[str | None] | None
) -> PdfComparison:
    """compare_pdfs in this process."""
    old_doc = open_pdf(old)
    try:
        new_doc = open_pdf(new)
    except UnreadablePdf:
        old_doc.close()
        raise
    try:
        old_text, new_text = read_texts(old_doc, new_doc)
        old_areas, new_areas = old_text.areas, new_text.areas
        pages = [PageDiff(n + 1, ADDED if n >= len(old_doc) else UNCHANGED) for n in range(len(new_doc))]
        pages += [PageDiff(n + 1, REMOVED) for n in range(len(new_doc), len(old_doc))]
        moves: list[Move] = []
        if old_titles and new_titles and len(old_titles) == len(old_doc) and len(new_titles) == len(new_doc):
            same_text, page_map, moves = _diff_by_article(old_text, new_text, pages, old_titles, new_titles)
        else:
            same_text = diff_words(old_text.body, new_text.body, pages, len(new_doc))
            page_map = {n: n for n in range(min(len(old_doc), len(new_doc)))}
        # running heads differ between left and right pages: those of a page moved to the other side are not compared
        diff_furniture(old_text, new_text, pages, {n: was for n, was in page_map.items() if (n - was) % 2 == 0})
        moved = {n - 1: m.old_pages[k] for m in moves for k, n in enumerate(m.new_pages) if k < len(m.old_pages)}
        old_prints, new_prints = page_fingerprints(old), page_fingerprints(new)
        for n, was in sorted(page_map.items()):
            page = pages[n]
            # a page moved to the other side of the spread sits between other margins: its pixels all differ
            if (n - was) % 2 == 0 and not (old_prints and new_prints and old_prints[was] == new_prints[n]):
                old_page, new_page = old_doc[was], new_doc[n]
                try:
                    page.visual_rects, page.size_changed = changed_areas(
                        old_page, old_areas[was], new_page, new_areas[n], dpi
                    )
                finally:
                    old_page.close()
                    new_page.close()
                if was != n:  # its folio changed with the move
                    page.visual_rects = _off_the_edges(page.visual_rects, new_areas[n])
            if page.changed:
                page.status = CHANGED
            elif not same_text[n]:
                page.status = REFLOWED
            elif n in moved:
                page.status, page.moved_from = MOVED, moved[n]
            elif page.visual_rects:
                page.status = VISUAL
        _name_reflow_sources(pages)
        return PdfComparison(old, new, len(old_doc), len(new_doc), dpi, pages, moves)
    finally:
        old_doc.close()
        new_doc.close()


def _diff_by_article(
    old: PdfText, new: PdfText, pages: list[PageDiff], old_titles: list[str | None], new_titles: list[str | None]
) -> tuple[list[bool], dict[int, int], list[Move]]:
    """The word diff run article by article, each article's pages paired with the pages it had before; returns
    whether each page holds the words it held, which page of OLD each page of NEW is, and the articles that moved."""
    old_segments, new_segments = segments(old_titles), segments(new_titles)
    old_words = _page_references(old.body, old_segments)
    new_words = _page_references(new.body, new_segments)
    same_text = [False] * len(new_titles)
    page_map: dict[int, int] = {}
    moves = []
    for was, now in pair_segments(old_segments, new_segments, old_words, new_words):
        before = [w for w in old_words if was is not None and w.page in was.pages]
        if now is None:
            diff_words(before, [], pages, len(new_titles))
            continue
        after = [w for w in new_words if w.page in now.pages]
        if was is not None and (was.pages[0] - now.pages[0]) % 2:  # moved to the other side of the spread
            before = _without_running_heads(before, was.title, old.areas)
            after = _without_running_heads(after, now.title, new.areas)
        pairs = {p: was.pages[k] for k, p in enumerate(now.pages) if was is not None and k < len(was.pages)}
        page_map.update(pairs)
        same = diff_words(before, after, pages, len(new_titles), pairs)
        for page in now.pages:
            same_text[page] = same[page]
        if was is not None and now.title is not None and was.pages[0] != now.pages[0]:
            moves.append(Move(now.title, [p + 1 for p in was.pages], [p + 1 for p in now.pages]))
    return same_text, page_map, moves


def _page_references(words: list[Word], runs: list) -> list[Word]:
    """The words, with a number on a page of no article (the contents) that is the first page of an article
    printed beside that article's title read as a reference to it: when the article moves, the contents entry
    follows it without a changed word."""
    starts = {str(s.pages[0] + 1): s.title for s in runs if s.title is not None}
    outside = {p for s in runs if s.title is None for p in s.pages}
    found = list(words)
    for index, word in enumerate(words):
        title = starts.get(word.key) if word.page in outside else None
        if title is None:
            continue
        folded = _letters(title)
        before = words[max(0, index - REFERENCE_WORDS) : index]
        after = words[index + 1 : index + REFERENCE_WORDS + 1]
        before, after = (_letters(" ".join(w.key for w in run if w.page == word.page)) for run in (before, after))
        if folded[:REFERENCE_CHARS] in after or folded[-REFERENCE_CHARS:] in before:
            found[index] = Word(f"→{title}", word.page, word.places, word.line_end)
    return found


def _without_running_heads(words: list[Word], title: str | None, areas: list[Rect]) -> list[Word]:
    """The words without lines along the top edge that read as the article's title: a right page's running head,
    which a page moved to the left side of its spread does not have."""
    if not title:
        return words
    folded = _letters(title)
    lines: dict[tuple[int, int], list[Word]] = {}
    for word in words:
        area = areas[word.page]
        if word.box[1] >= area[3] - (area[3] - area[1]) * FURNITURE_BAND:
            lines.setdefault((word.page, round(word.box[3])), []).append(word)
    heads = {id(w) for line in lines.values() if _letters(" ".join(w.key for w in line)) in folded for w in line}
    return [w for w in words if id(w) not in heads]


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _off_the_edges(rects: list[Rect], area: Rect) -> list[Rect]:
    """The areas that are not all in the bands along the top and bottom edge (running heads and folios)."""
    band = (area[3] - area[1]) * FURNITURE_BAND
    return [r for r in rects if not (r[1] >= area[3] - band or r[3] <= area[1] + band)]


def _name_reflow_sources(pages: list[PageDiff]) -> None:
    """Each reflowed page names the nearest changed page before it (after it, when the edit was later)."""
    changed = [p.number for p in pages if p.status == CHANGED]
    for page in pages:
        if page.status == REFLOWED and changed:
            before = [n for n in changed if n < page.number]
            page.reflowed_after = before[-1] if before else changed[0]


def summary_lines(comparison: PdfComparison) -> list[str]:
    """What a proofreader acts on: a line per changed page, one per run of reflowed, visual, added or removed pages."""
    if comparison.identical:
        return [f"no changes: the {comparison.new_pages} pages have the same words and the same pixels"]
    lines: list[str] = []
    for move in comparison.moves:
        lines.append(f"{_span(move.new_pages)}: “{move.title}” moved from {_span(move.old_pages)}")
    runs: list[tuple[tuple, list[PageDiff]]] = []
    for page in comparison.pages:
        if page.status in (UNCHANGED, MOVED):
            continue
        key = (page.status, page.reflowed_after, page.size_changed) if page.status != CHANGED else (page.number,)
        if runs and runs[-1][0] == key and runs[-1][1][-1].number == page.number - 1:
            runs[-1][1].append(page)
        else:
            runs.append((key, [page]))
    for _, run in runs:
        first = run[0]
        where = _span([p.number for p in run])
        if first.status == CHANGED:
            lines.append(f"{where}: {_words_phrase(first)}")
        elif first.status == REFLOWED:
            after = f" after an edit on p. {first.reflowed_after}" if first.reflowed_after else ""
            lines.append(f"{where}: text reflowed{after} (same words, moved)")
        elif first.status == VISUAL:
            areas = sum(len(p.visual_rects) for p in run)
            what = "page size changed" if first.size_changed else f"{areas} area{'s' if areas != 1 else ''}, same words"
            lines.append(f"{where}: changed visually ({what})")
        elif first.status == ADDED:
            lines.append(f"{where}: new page{'s' if len(run) > 1 else ''} (the old file has {comparison.old_pages})")
        else:
            lines.append(f"old {where}: removed (the new file has {comparison.new_pages} pages)")
    unchanged = [p.number for p in comparison.pages if p.status == UNCHANGED]
    if unchanged:
        lines.append(f"unchanged: {_span(unchanged)}")
    return lines


def _words_phrase(page: PageDiff) -> str:
    counts = [f"{page.added} added"] if page.added else []
    counts += [f"{page.removed} removed"] if page.removed else []
    text = f"{page.changed} word{'s' if page.changed != 1 else ''} changed ({', '.join(counts)})"
    quotes = [f"+“{e}”" for e in page.added_examples] + [f"−“{e}”" for e in page.removed_examples]
    return text + (": " + " ".join(quotes) if quotes else "")


def _span(numbers: list[int]) -> str:
    """[1, 2, 3, 5, 7, 8] -> 'p. 1-3, 5, 7-8'."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return "p. " + ", ".join(parts)


def describe(comparison: PdfComparison) -> str:
    """The heading of a report: which files, how many pages each."""
    return (
        f"{display_path(comparison.old)} ({comparison.old_pages} pages) -> "
        f"{display_path(comparison.new)} ({comparison.new_pages} pages)"
    )
