"""One page's verdict in a comparison of two PDFs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from issue_builder.proofing.words import Rect


@dataclass
class PageDiff:
    """One page's verdict. `number` counts from 1 in NEW (in OLD for removed pages); rects are in page coordinates."""

    number: int
    # unchanged, reflowed (same words, moved), changed (words), visual (same words, other pixels), added, removed,
    # moved (its article moved elsewhere in the issue, the page's words as they were)
    status: str
    added: int = 0  # words in NEW that OLD did not have here
    removed: int = 0  # words of OLD missing from NEW here
    changed: int = 0  # words changed: a replaced word counts once
    added_examples: list[str] = field(default_factory=list)
    removed_examples: list[str] = field(default_factory=list)
    reflowed_after: int | None = None  # the changed page whose edit moved this page's text
    moved_from: int | None = None  # the page of OLD it was, when its article moved
    size_changed: bool = False
    word_rects: list[Rect] = field(default_factory=list)  # added or replaced words, on the NEW page
    deletion_rects: list[Rect] = field(default_factory=list)  # thin marks where words were removed, on the NEW page
    old_word_rects: list[Rect] = field(default_factory=list)  # removed words on the OLD page of the same number
    visual_rects: list[Rect] = field(default_factory=list)  # areas whose pixels differ, on the NEW page

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("word_rects", "deletion_rects", "old_word_rects", "visual_rects"):
            data[key] = [[round(v, 2) for v in rect] for rect in data[key]]
        return data
