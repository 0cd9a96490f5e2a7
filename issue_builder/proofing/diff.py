"""Compare two rounds of an issue's PDF page by page: changed words, text that only moved, changed pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf

from issue_builder.base.bounded import OverBudget, call_bounded
from issue_builder.base.diagnostics import display_path
from issue_builder.base.pdf_content import measure_drawing
from issue_builder.proofing.fingerprint import page_fingerprints
from issue_builder.proofing.pagediff import PageDiff
from issue_builder.proofing.pixels import changed_areas
from issue_builder.proofing.textdiff import diff_furniture, diff_words
from issue_builder.proofing.words import UnreadablePdf, open_pdf, read_texts

__all__ = ["PageDiff", "PdfComparison", "UnreadablePdf", "compare_pdfs", "summary_lines"]

UNCHANGED, REFLOWED, CHANGED, VISUAL, ADDED, REMOVED = "unchanged", "reflowed", "changed", "visual", "added", "removed"


@dataclass
class PdfComparison:
    """The verdict on every page of NEW (then on OLD's pages that NEW no longer has)."""

    old: Path
    new: Path
    old_pages: int
    new_pages: int
    dpi: int
    pages: list[PageDiff]

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
        }


def compare_pdfs(old: Path, new: Path, dpi: int = 50) -> PdfComparison:
    """Compare OLD and NEW: a word-level diff over the whole document, then a pixel diff of each pair of pages.

    Each file's drawing is first measured against a budget; PDFium then reads and renders both in a child process
    limited in time and memory. A file past a limit raises UnreadablePdf or LimitExceeded (exit 2).
    """
    for path in (old, new):
        check_drawing(path)
    what = f"the comparison of {display_path(old)} with {display_path(new)}"
    return call_bounded(_compare, old, new, dpi, what=what)


def check_drawing(path: Path) -> None:
    """Raise UnreadablePdf when the file asks for more drawing than a renderer should be given (fan-out included).

    A file pikepdf cannot open is left to PDFium, which names what is wrong with it.
    """
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


def _compare(old: Path, new: Path, dpi: int) -> PdfComparison:
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
        same_text = diff_words(old_text.body, new_text.body, pages, len(new_doc))
        diff_furniture(old_text, new_text, pages)
        old_prints, new_prints = page_fingerprints(old), page_fingerprints(new)
        for n in range(min(len(old_doc), len(new_doc))):
            page = pages[n]
            if not (old_prints and new_prints and old_prints[n] == new_prints[n]):  # else the same drawing
                old_page, new_page = old_doc[n], new_doc[n]
                try:
                    page.visual_rects, page.size_changed = changed_areas(
                        old_page, old_areas[n], new_page, new_areas[n], dpi
                    )
                finally:
                    old_page.close()
                    new_page.close()
            if page.changed:
                page.status = CHANGED
            elif not same_text[n]:
                page.status = REFLOWED
            elif page.visual_rects:
                page.status = VISUAL
        _name_reflow_sources(pages)
        return PdfComparison(old, new, len(old_doc), len(new_doc), dpi, pages)
    finally:
        old_doc.close()
        new_doc.close()


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
    runs: list[tuple[tuple, list[PageDiff]]] = []
    for page in comparison.pages:
        if page.status == UNCHANGED:
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
