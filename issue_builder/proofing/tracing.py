"""Where a mark's text comes from: found by text in the sources, in its article first, told apart by the text
around it when it occurs more than once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from issue_builder.proofing.marks import Mark
from issue_builder.proofing.proof_pages import Spot
from issue_builder.proofing.sources import IssueSources, SourceText, fold

MAX_NEW_TEXT = 2000  # characters a replacement or an insertion may put in

CONTEXT = 40  # folded characters of the text around a mark compared with the source
CONFIRM = 12  # folded characters of context that must agree on one side (or the whole rest of a shorter value)
MARGIN = 4  # a best candidate must lead the next by this many characters of agreeing context
ANCHOR = 12  # folded characters each side of an insertion point searched for
MAX_CANDIDATES = 500  # occurrences of a marked text weighed (a one-letter mark could have thousands)
SHOWN_PLACES = 5  # places listed for an ambiguous mark

TRACED, UNSURE, AMBIGUOUS, ALREADY, UNMATCHED, OFF_TEXT = (
    "traced",  # found at one place, the text around it as on the proof
    "unsure",  # found once, but the text around it reads otherwise now: the source changed since the proof?
    "ambiguous",  # found at several places that the text around it cannot tell apart
    "already",  # the sources already read as the correction asks
    "unmatched",  # found nowhere in the sources
    "off-text",  # on no text of the page
)


@dataclass(frozen=True)
class Place:
    """Where in a source a mark's text is: a span of its file (empty for an insertion point)."""

    source: SourceText
    start: int
    end: int
    exact: bool  # the span reads exactly as the marked text, punctuation and spaces included
    score: int = 0  # characters of the text around it that agree with the proof

    @property
    def line_column(self) -> tuple[int, int]:
        return self.source.line_column(self.start)

    @property
    def written(self) -> str:
        return self.source.text[self.start : self.end]


@dataclass
class Trace:
    """What was found for one mark."""

    status: str
    places: list[Place] = field(default_factory=list)
    widened: bool = False  # found outside the article its page belongs to
    weak: bool = False  # traced to a whole value with no text around it to vouch for the place

    @property
    def place(self) -> Place | None:
        return self.places[0] if self.status in (TRACED, UNSURE, ALREADY) and self.places else None


@dataclass(frozen=True)
class _Candidate:
    source: SourceText
    at: int  # index in the source's folded keys where the mark starts (an insertion point: where `after` starts)
    length: int  # folded characters of the mark
    left: int  # agreeing context characters before it
    right: int
    confirmed: bool
    weak: bool  # confirmed only by covering a whole value, no text around it to vouch

    @property
    def score(self) -> int:
        return self.left + self.right


def trace(mark: Mark, sources: IssueSources, articles: list[int] | None) -> Trace:
    """Find the source of `mark`'s text: in `articles` (the article its page runs, or every manifest value on the
    cover, contents and back pages when None), then anywhere in the issue."""
    spot = mark.spot
    if spot is None:
        return Trace(OFF_TEXT)
    narrow = [s for index in articles for s in sources.of_article(index)] if articles else sources.of_issue()
    rest = [s for s in sources.texts if s not in narrow]
    unsure = []
    for pool, widened in ((narrow, False), (rest, True)):
        found = _search(spot, pool)
        if found is None or found.status != TRACED or found.weak:
            corrected, vouched = _corrected(mark, pool)
            if corrected is not None and (found is None or found.weak or vouched):
                found = corrected
        if found is not None:
            found.widened = widened
            if found.status in (TRACED, ALREADY):
                return found
            unsure.append(found)
    return unsure[0] if unsure else Trace(UNMATCHED)


def _search(spot: Spot, pool: list[SourceText]) -> Trace | None:
    """The best place of a spot's text in `pool`: letters and digits first, then letters alone (numbers the layout
    adds, a list's or a note's, do not stop a match)."""
    for letters_only in (False, True):
        marked = _folded(spot.text, letters_only)
        before = _folded(spot.before, letters_only)[-CONTEXT:]
        after = _folded(spot.after, letters_only)[:CONTEXT]
        if marked:
            candidates = _occurrences(marked, before, after, pool, letters_only)
        else:
            candidates = _insertion_points(before, after, pool, letters_only)
        if candidates:
            return _verdict(candidates, spot, letters_only)
    return None


def _folded(text: str, letters_only: bool) -> str:
    return "".join(fold(c, letters_only) for c in text)


def _occurrences(marked: str, before: str, after: str, pool: list[SourceText], letters_only: bool) -> list[_Candidate]:
    found = []
    for source in pool:
        keys, _ = source.keys(letters_only)
        at = keys.find(marked)
        while at >= 0 and len(found) < MAX_CANDIDATES:
            found.append(_candidate(source, at, len(marked), before, after, letters_only))
            at = keys.find(marked, at + 1)
    return found


def _insertion_points(before: str, after: str, pool: list[SourceText], letters_only: bool) -> list[_Candidate]:
    """Where the text before and after a point meet in the sources; in a short value (a title, a coverline) the
    text on one side may run past the value's start or end, so less of it is asked for there."""
    head, tail = before[-ANCHOR:], after[:ANCHOR]
    found = []
    for source in pool:
        keys, _ = source.keys(letters_only)
        at = keys.find(head + tail) if head and tail else -1
        while at >= 0 and len(found) < MAX_CANDIDATES:
            found.append(_candidate(source, at + len(head), 0, before, after, letters_only))
            at = keys.find(head + tail, at + 1)
        if not found or found[-1].source is not source:
            meeting = _point_in_value(keys, head, tail)
            if meeting is not None:
                found.append(_candidate(source, meeting[0], 0, before, after, letters_only))
    return found


def _point_in_value(keys: str, head: str, tail: str) -> tuple[int, int, int] | None:
    """The point of a value where the end of `head` meets the start of `tail`, one of them cut short by the value's
    start or end (the most of both that reads so), and how much of each reads so there; None when they do not meet
    there."""
    for size in range(len(head) + len(tail), 0, -1):
        for left in range(min(size, len(head)), max(0, size - len(tail)) - 1, -1):
            right = size - left
            anchor = head[len(head) - left :] + tail[:right]
            if left < len(head) and keys.startswith(anchor) and (right == len(tail) or len(anchor) == len(keys)):
                return left, left, right
            if left == len(head) and right < len(tail) and keys.endswith(anchor):
                return len(keys) - right, left, right
    return None


def _candidate(source: SourceText, at: int, length: int, before: str, after: str, letters_only: bool) -> _Candidate:
    keys, _ = source.keys(letters_only)
    blocks = source.blocks(letters_only)
    first = max((b for b in blocks if b <= at), default=0)
    following = min((b for b in blocks if b >= at + max(length, 1)), default=len(keys))
    left = _common_suffix(before, keys[max(0, at - len(before)) : at])
    right = _common_prefix(after, keys[at + length : at + length + len(after)])
    # a side vouches for the place when it agrees as far as the mark's block goes (up to CONTEXT), and for at least
    # CONFIRM characters when the block has them: beyond its block the page may set other text beside it (a
    # running head, a note, a float, the foot of another column)
    enough = min(CONFIRM, following - first - length)
    sides = ((left, min(len(before), at - first)), (right, min(len(after), following - at - length)))
    vouched = any(possible > 0 and agreeing >= max(possible, enough) for agreeing, possible in sides)
    whole = length > 0 and at == first and at + length == following  # the mark covers a whole value, a heading
    return _Candidate(source, at, length, left, right, vouched or whole, not vouched)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _verdict(candidates: list[_Candidate], spot: Spot, letters_only: bool) -> Trace:
    """Traced to the one place the text around it vouches for (or that leads the others by MARGIN); unsure of the
    one place that agrees best when none is vouched for; ambiguous between places that agree as well."""
    confirmed = sorted((c for c in candidates if c.confirmed), key=lambda c: -c.score)
    if confirmed and (len(confirmed) == 1 or confirmed[0].score - confirmed[1].score >= MARGIN):
        return Trace(TRACED, [_place(confirmed[0], spot, letters_only)], weak=confirmed[0].weak)
    best = confirmed or sorted(candidates, key=lambda c: -c.score)
    tied = [c for c in best if c.score >= best[0].score - (MARGIN - 1 if confirmed else 0)]
    if len(tied) == 1:
        return Trace(UNSURE, [_place(tied[0], spot, letters_only)])
    return Trace(AMBIGUOUS, [_place(c, spot, letters_only) for c in tied[:SHOWN_PLACES]])


def _place(candidate: _Candidate, spot: Spot, letters_only: bool) -> Place:
    """The span of the source a candidate stands for, and whether it reads exactly as the proof."""
    source = candidate.source
    keys, offsets = source.keys(letters_only)
    text = source.text
    if candidate.length:
        first, last = offsets[candidate.at], offsets[candidate.at + candidate.length - 1]
        span = _exact_span(spot.text, text, first, last + len(_char_at(text, last)))
        if span is not None:
            return Place(source, span[0], span[1], True, candidate.score)
        return Place(source, first, last + 1, False, candidate.score)
    left = offsets[candidate.at - 1] + 1 if candidate.at > 0 else None
    right = offsets[candidate.at] if candidate.at < len(keys) else None
    point = _insertion_offset(spot, text, left, right)
    if point is not None:
        return Place(source, point[0], point[1], True, candidate.score)
    fallback = right if right is not None else left or 0
    return Place(source, fallback, fallback, False, candidate.score)


def _char_at(text: str, offset: int) -> str:
    return text[offset] if offset < len(text) else ""


def _edges(text: str) -> tuple[str, str, str]:
    """`text` cut into what comes before its first letter or digit, the middle, and what follows its last."""
    alnum = [i for i, c in enumerate(text) if fold(c)]
    if not alnum:
        return text, "", ""
    return text[: alnum[0]], text[alnum[0] : alnum[-1] + 1], text[alnum[-1] + 1 :]


def _exact_span(marked: str, text: str, first: int, end: int) -> tuple[int, int] | None:
    """The span of `text` that reads as `marked` (punctuation and spaces included), given where its first and last
    letters are; None when the source holds more between them (Markdown, a note's call) or reads otherwise."""
    lead, middle, trail = _edges(marked)
    if normalised(text[first:end]) != normalised(middle):
        return None
    start = _reach(text, first, lead, backwards=True)
    stop = _reach(text, end, trail, backwards=False)
    return None if start is None or stop is None else (start, stop)


def _reach(text: str, at: int, piece: str, backwards: bool) -> int | None:
    """The offset that many characters from `at` that read as `piece` (before it when `backwards`)."""
    want = normalised(piece)
    if not want:
        return at
    for size in range(1, 4 * len(piece) + 3):
        span = text[max(0, at - size) : at] if backwards else text[at : at + size]
        got = normalised(span)
        if got == want:
            return at - size if backwards else at + size
        if len(got) > len(want) or len(span) < size:
            return None
    return None


def _insertion_offset(spot: Spot, text: str, left: int | None, right: int | None) -> tuple[int, int] | None:
    """Where in `text` a point between two letters of the proof is (or the span of punctuation a mark without
    letters covers): the page's characters between the letters either side must read as the source's."""
    gap_before = _after_last_letter(spot.before)
    gap_after = _before_first_letter(spot.after)
    if left is None or right is None:
        if left is not None and not gap_before and not spot.text:
            return left, left
        if right is not None and not gap_after and not spot.text:
            return right, right
        return None
    between = text[left:right]
    if normalised(between) != normalised(gap_before + spot.text + gap_after):
        if spot.text:
            return None
        if not gap_after:
            return right, right
        if not gap_before:
            return left, left
        return None
    start = left + _length_reading(between, gap_before)
    end = start + _length_reading(text[start:right], spot.text) if spot.text else start
    if not spot.text and not gap_after:
        start = end = right
    return start, end


def _after_last_letter(text: str) -> str:
    for index in range(len(text) - 1, -1, -1):
        if fold(text[index]):
            return text[index + 1 :]
    return text


def _before_first_letter(text: str) -> str:
    for index, char in enumerate(text):
        if fold(char):
            return text[:index]
    return text


def _length_reading(text: str, piece: str) -> int:
    """How many characters at the start of `text` read as `piece`."""
    want = len(normalised(piece))
    for size in range(len(text) + 1):
        if len(normalised(text[:size])) >= want and normalised(text[:size]) == normalised(piece):
            return size
    return 0


_SPACES = re.compile(r"\s+")
_HYPHENS = re.compile(r"-{1,3}")
_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`"} | {c: '"' for c in "“”„‟″«»"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


def normalised(text: str) -> str:
    """Text as two renderings of it are compared exactly: typographic and straight quotes alike, a dash and the
    hyphens it is typed as alike, an ellipsis and three dots alike, any run of spaces and line ends one space,
    case folded."""
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_QUOTES).translate(_DASHES)
    text = _HYPHENS.sub("-", text.replace("…", "..."))
    return _SPACES.sub(" ", text).casefold()


def _corrected(mark: Mark, pool: list[SourceText]) -> tuple[Trace | None, bool]:
    """For a strike-out, a replacement or an insertion that is no longer where the proof shows it: whether the
    sources already read as corrected (the text around it followed by the new text, or by nothing), and whether
    text on both sides says so (not only the start or the end of a value)."""
    spot = mark.spot
    if spot is None or mark.kind not in ("strike-out", "replace", "insert"):
        return None, False
    new = mark.new_text or ""
    if len(new) > MAX_NEW_TEXT:  # never applied (comments.py says why): not worth searching the sources for
        return None, False
    for letters_only in (False, True):
        head = _folded(spot.before, letters_only)[-ANCHOR:]
        tail = _folded(spot.after, letters_only)[:ANCHOR]
        middle, old = _folded(new, letters_only), _folded(spot.text, letters_only)
        if not (head or tail) or middle == old:  # letters cannot tell the correction from the text as it was
            continue
        for source in pool:
            keys, offsets = source.keys(letters_only)
            at = keys.find(head + middle + tail) if head and tail else -1
            if at >= 0:
                point, both = at + len(head) + len(middle), True
            else:
                meeting = _point_in_value(keys, head + middle, tail)
                if meeting is None:
                    continue
                point, both = meeting[0], meeting[1] > len(middle) and meeting[2] > 0
            if keys[point - len(middle) : point] == middle:
                start = offsets[point - len(middle)] if point - len(middle) < len(offsets) else len(source.text)
                return Trace(ALREADY, [Place(source, start, start, False)]), both
    return None, False
