"""What the structure repair reads of each page, kept between builds by the page's digest (base/pdf_digest.py).

A page drawn alike in the next build's laid-out issue (the same content, the same fonts and pictures) is not read
again: reading a page's content is most of the repair's time, and an edit changes the pages of one article. A page
the repair rewrites differently from last time is read again whole (`_Repair._rewritten`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from issue_builder.base.kept_json import KeptJson
from issue_builder.base.marked_content import Box, PageContent, Show
from issue_builder.base.stored import number, numbers, rows, typed

PAGES_FILE = "web-repair-pages.json"
MAX_SHOW_CHARACTERS = 1 << 16  # a show is a line's run of text: a few hundred characters
FORM = (0, 0)  # a show drawn by a form XObject, kept without the form's object number (the repair asks only whether)


class KeptGlyph(NamedTuple):
    """A glyph of a kept show: what it stands for (None when its font maps it to nothing)."""

    text: str | None


@dataclass(frozen=True)
class KeptShow:
    """A text-showing instruction as kept: where it is, and its text glyph by glyph (each glyph stands for one
    character of `text` but those in `odd`: glyph number -> characters it stands for, 0 for a glyph mapped to
    nothing, which `text` shows as U+FFFD)."""

    index: int
    form: tuple[int, int] | None
    text: str
    odd: dict[int, int]
    count: int

    @cached_property
    def glyphs(self) -> list[KeptGlyph]:
        found, at = [], 0
        for n in range(self.count):
            size = self.odd.get(n, 1)
            found.append(KeptGlyph(self.text[at : at + size] if size else None))
            at += max(size, 1)
        return found


@dataclass
class KeptSequence:
    """A page's marked-content sequence as the repair uses it on a page it does not rewrite: what it says, where it
    starts and sits, and its first and last shows, which are all that joining words across lines asks of them (a
    sequence of one show keeps one; of more, two)."""

    mcid: int
    start: int
    actual_text: str | None
    text: str
    bbox: Box | None
    origin: tuple[float, float] | None
    size: float
    shows: list[KeptShow] = field(default_factory=list)


def page_entry(content: PageContent) -> list:
    """The page's sequences by MCID as kept."""
    sequences = []
    for mcid, sequence in content.by_mcid().items():
        shows = [_show_entry(show) for show in sequence.shows[:1] + sequence.shows[1:][-1:]]
        box = list(sequence.bbox) if sequence.bbox is not None else None
        origin = list(sequence.origin) if sequence.origin is not None else None
        text = sequence.text
        sequences.append([mcid, sequence.start, sequence.actual_text, text, box, origin, sequence.size, shows])
    return sequences


def _show_entry(show: Show) -> list:
    """A show as kept: its index, whether a form draws it, its text, and the glyphs that stand for other than one
    character (found without splitting the show into glyphs when it has one character a glyph, as most have)."""
    count = _fixed_count(show)
    if count is None or count != len(show.text) or "\ufffd" in show.text:
        glyphs = show.glyphs
        count = len(glyphs)
        odd = [
            [n, len(g.text) if g.text is not None else 0]
            for n, g in enumerate(glyphs)
            if g.text is None or len(g.text) != 1
        ]
    else:
        odd = []
    return [show.index, show.form is not None, show.text, odd, count]


def _fixed_count(show: Show) -> int | None:
    """How many glyphs the show has when its codes are all one length; None otherwise."""
    if show.font is None:
        return len(show.data)
    size = show.font.fixed_size()
    if size is None:
        return None
    return sum(math.ceil(len(data) / size) for _, data in show.strings)


def sequences_of(stored) -> dict[int, KeptSequence]:
    """The sequences of a page as `page_entry` kept it; ValueError or TypeError when it is anything else."""
    found: dict[int, KeptSequence] = {}
    for mcid, start, actual, text, box, origin, size, shows in rows(stored, 8):
        sequence = KeptSequence(
            typed(mcid, int),
            typed(start, int),
            None if actual is None else typed(actual, str),
            typed(text, str),
            None if box is None else numbers(box, 4),
            None if origin is None else numbers(origin, 2),
            number(size),
        )
        if len(typed(shows, list)) > 2:
            raise ValueError("more than the first and last show")
        for index, in_form, shown, odd, count in rows(shows, 5):
            glyphs = {typed(n, int): typed(chars, int) for n, chars in rows(odd, 2)}
            shown, count = typed(shown, str), typed(count, int)
            if len(shown) > MAX_SHOW_CHARACTERS:
                raise ValueError("longer than any show a page draws")
            if any(not 0 <= n < count or chars < 0 for n, chars in glyphs.items()):
                raise ValueError("not a glyph of the show")
            if count - len(glyphs) + sum(max(chars, 1) for chars in glyphs.values()) != len(shown):
                raise ValueError("the glyphs do not spell the show's text")
            form = FORM if typed(in_form, bool) else None
            sequence.shows.append(KeptShow(typed(index, int), form, shown, glyphs, count))
        found[sequence.mcid] = sequence
    return found


class RepairPages(KeptJson):
    """The pages the last repair read, by digest; taken as KeptSequence, kept from what a page's reading holds."""

    def read(self, stored: list) -> dict[int, KeptSequence]:
        return sequences_of(stored)

    def write(self, value: PageContent) -> list:
        return page_entry(value)
