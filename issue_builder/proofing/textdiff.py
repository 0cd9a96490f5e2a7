"""The word-level comparison of two rounds: words changed on each page, and pages whose text only moved."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from issue_builder.proofing.pagediff import PageDiff
from issue_builder.proofing.words import PdfText, Rect, Word

MIN_MOVE = 5  # words: a shorter run removed here and added there is two changes, not a move
MOVE_WINDOW = 3000  # words: how far text may move (reflow moves it a page or two)
MOVE_NEIGHBOURS = 8  # changes before and after a removal where its words are looked for
MOVE_TOLERANCE = 0.5  # points a word may shift before its page counts as reflowed
EXAMPLES = 3  # changed passages quoted per page
EXAMPLE_WORDS = 6  # words quoted per passage


def diff_words(
    old: list[Word], new: list[Word], pages: list[PageDiff], new_count: int, page_map: dict[int, int] | None = None
) -> list[bool]:
    """Count added and removed words per page of NEW; return, per page, whether it holds the same words as before
    (as the page of OLD `page_map` pairs it with, when given: a moved page's words are compared, not its places)."""
    old_keys, new_keys = [w.key for w in old], [w.key for w in new]
    mapped: dict[int, int] = {}  # index in NEW -> index in OLD, for words that did not change
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=True).get_opcodes():
        if tag == "equal":
            mapped.update((j1 + k, i1 + k) for k in range(j2 - j1))
        elif "".join(old_keys[i1:i2]) != "".join(new_keys[j1:j2]):  # else only split otherwise: not changed
            changes.append((i1, i2, j1, j2))
    _find_moves(old_keys, new_keys, changes, mapped)
    moved = set(mapped.values())
    for i1, i2, j1, j2 in changes:
        added = [new[j] for j in range(j1, j2) if j not in mapped]
        removed = [old[i] for i in range(i1, i2) if i not in moved]
        if not added and not removed:
            continue
        # words of pages that NEW no longer has are told with those pages, not with the page before them
        kept = [w for w in removed if w.page < new_count]
        anchor = added[0].page if added else _gap_page(removed[0], new, j1, new_count)
        _record(pages, added, kept, removed, anchor)
        if kept and not added:
            pages[anchor].deletion_rects += _deletion_mark(new, j1, anchor)
        for word in removed:
            if word.page >= new_count:
                pages[word.page].removed += 1
    return _same_text(old, new, mapped, len(pages), page_map)


def _find_moves(
    old: list[str], new: list[str], changes: list[tuple[int, int, int, int]], mapped: dict[int, int]
) -> None:
    """Runs of words removed in one place and added in another are moved, not changed: text reflowed past a
    page's footnotes or figures, which stay behind on their page, changes places with them in reading order."""
    used: set[int] = set()
    for n, (i1, i2, _, _) in enumerate(changes):
        for a1, _, j1, j2 in changes[max(0, n - MOVE_NEIGHBOURS) : n + MOVE_NEIGHBOURS + 1]:
            if i2 == i1 or j2 == j1 or abs(a1 - i1) > MOVE_WINDOW:
                continue
            matcher = difflib.SequenceMatcher(None, old[i1:i2], new[j1:j2], autojunk=i2 - i1 > 2000)
            for block in matcher.get_matching_blocks():
                pairs = [(i1 + block.a + k, j1 + block.b + k) for k in range(block.size)]
                if block.size >= MIN_MOVE and not any(i in used or j in mapped for i, j in pairs):
                    mapped.update((j, i) for i, j in pairs)
                    used.update(i for i, _ in pairs)


def diff_furniture(old: PdfText, new: PdfText, pages: list[PageDiff], page_map: dict[int, int] | None = None) -> None:
    """Running heads and folios compared page by page: they stay on their page whatever the text does (a page
    whose article moved is compared with the page it was, its folio's number aside)."""
    if page_map is None:
        page_map = {n: n for n in range(min(len(old.furniture), len(new.furniture)))}
    for number, was in sorted(page_map.items()):
        a, b = old.furniture[was], new.furniture[number]
        keys = (lambda w: w.key) if was == number else (lambda w: re.sub(r"\d+", "#", w.key))
        matcher = difflib.SequenceMatcher(None, [keys(w) for w in a], [keys(w) for w in b], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                _record(pages, b[j1:j2], a[i1:i2], a[i1:i2], number)


def _record(pages: list[PageDiff], added: list[Word], removed: list[Word], drawn: list[Word], anchor: int) -> None:
    """Count one change: added words on their own pages, `removed` ones on the anchor page; draw `drawn` on OLD."""
    by_page: dict[int, list[Word]] = defaultdict(list)
    for word in added:
        by_page[word.page].append(word)
    for number in sorted(set(by_page) | ({anchor} if removed else set())):
        page = pages[number]
        here_added = by_page.get(number, [])
        here_removed = removed if number == anchor else []
        page.added += len(here_added)
        page.removed += len(here_removed)
        page.changed += max(len(here_added), len(here_removed))
        _example(page.added_examples, here_added)
        _example(page.removed_examples, here_removed)
    for number, boxes in _boxes_by_page(added).items():
        pages[number].word_rects += _line_spans(boxes)
    for number, boxes in _boxes_by_page(drawn).items():
        if number < len(pages):
            pages[number].old_word_rects += _line_spans(boxes)


def _boxes_by_page(words: list[Word]) -> dict[int, list[Rect]]:
    boxes: dict[int, list[Rect]] = defaultdict(list)
    for word in words:
        for number, box in word.places:
            boxes[number].append(box)
    return boxes


def _line_spans(boxes: list[Rect]) -> list[Rect]:
    """Boxes of words that follow each other on a line joined into one box per line."""
    spans: list[Rect] = []
    for box in boxes:
        if spans:
            x0, y0, x1, y1 = spans[-1]
            height = y1 - y0
            if abs((box[1] + box[3]) - (y0 + y1)) < height and -1 <= box[0] - x1 < height:
                spans[-1] = (x0, min(y0, box[1]), max(x1, box[2]), max(y1, box[3]))
                continue
        spans.append(box)
    return spans


def _gap_page(first_removed: Word, new: list[Word], j: int, new_count: int) -> int:
    """The page of NEW where removed words are reported: the page around the gap where they were
    (the page before, when the gap is at a page break and they were elsewhere)."""
    around = [new[k].page for k in (j - 1, j) if 0 <= k < len(new)]
    if not around:
        return max(new_count - 1, 0)
    return first_removed.page if first_removed.page in around else around[0]


def _deletion_mark(new: list[Word], j1: int, anchor: int) -> list[Rect]:
    """A thin bar where removed words used to be: after the word before the gap, or before the word after it."""
    places = []
    if j1 > 0:
        number, (_, y0, x, y1) = new[j1 - 1].places[-1]
        places.append((number, x, y0, y1))
    if j1 < len(new):
        number, (x, y0, _, y1) = new[j1].places[0]
        places.append((number, x, y0, y1))
    for number, x, y0, y1 in places:
        if number == anchor:
            return [(x - 0.75, y0, x + 0.75, y1)]
    return []


def _example(examples: list[str], words: list[Word]) -> None:
    if words and len(examples) < EXAMPLES:
        text = " ".join(w.text for w in words[:EXAMPLE_WORDS])
        examples.append(text + (" …" if len(words) > EXAMPLE_WORDS else ""))


def _same_text(
    old: list[Word], new: list[Word], mapped: dict[int, int], pages: int, page_map: dict[int, int] | None
) -> list[bool]:
    """Whether each page of NEW holds exactly the words its OLD page held, in the same places (a page that moved:
    the words of the page it was, wherever they sit)."""
    old_on: dict[int, list[int]] = defaultdict(list)
    new_on: dict[int, list[int | None]] = defaultdict(list)
    for i, word in enumerate(old):
        old_on[word.page].append(i)
    moved: set[int] = set()
    for j, word in enumerate(new):
        i = mapped.get(j)
        new_on[word.page].append(i)
        if i is not None and any(abs(a - b) > MOVE_TOLERANCE for a, b in zip(word.box, old[i].box, strict=False)):
            moved.add(word.page)
    page_map = page_map if page_map is not None else {n: n for n in range(pages)}
    return [
        n in page_map and old_on[page_map[n]] == new_on[n] and (n not in moved or page_map[n] != n)
        for n in range(pages)
    ]
