"""Tracked changes and comments found in a writer's document, and what the editor chose to do with them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, IssueBuilderError, display_path

SNIPPET = 60  # characters of text quoted to say where a change or comment is


@dataclass(frozen=True)
class ReviewChoices:
    """What to do with tracked changes (`accept`, `reject`) and comments (`keep`, `drop`); None: not chosen."""

    changes: str | None = None
    comments: str | None = None


@dataclass(frozen=True)
class ReviewMark:
    """One tracked change or comment: its kind, who made it and when, its text and where it is."""

    kind: str  # "insertion", "deletion", "paragraph break inserted", "paragraph break deleted", "formatting change",
    # "comment"
    author: str
    date: str
    text: str
    where: str

    @property
    def is_comment(self) -> bool:
        return self.kind == "comment"

    def describe(self) -> str:
        """`insertion by Ed (2024-05-01) in "Sub", paragraph 2: “new words”`."""
        who = f" by {self.author}" if self.author else ""
        when = f" ({self.date[:10]})" if self.date else ""
        text = f": “{shorten(self.text)}”" if self.text.strip() else ": a space" if self.text else ""
        return f"{self.kind}{who}{when} {self.where}{text}"


class UnresolvedReview(IssueBuilderError):
    """The document holds tracked changes or comments and the command line does not say what to do with them."""

    exit_code = 1


def shorten(text: str, limit: int = SNIPPET) -> str:
    """`text` on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class Position:
    """Where the walk through a document is: the last heading and the paragraph counted since."""

    def __init__(self) -> None:
        self.heading: str | None = None
        self.paragraph = 0
        self.context = ""

    def enter_heading(self, text: str) -> None:
        self.heading, self.paragraph, self.context = text, 0, text

    def enter_block(self, context: str) -> None:
        self.paragraph += 1
        self.context = context

    def describe(self, in_heading: bool = False) -> str:
        if in_heading:
            return f"in the heading “{shorten(self.heading or '')}”"
        section = f"under “{shorten(self.heading, 40)}”" if self.heading else "before the first heading"
        return f"{section}, paragraph {self.paragraph} (“{shorten(self.context, 40)}”)"


def check_choices(marks: list[ReviewMark], choices: ReviewChoices, source_path: Path) -> None:
    """Refuse, listing every mark, when the document has changes or comments and no choice was made for them."""
    changes = [m for m in marks if not m.is_comment]
    comments = [m for m in marks if m.is_comment]
    missing = []
    if changes and choices.changes is None:
        missing.append(f"{len(changes)} tracked change{'s' if len(changes) != 1 else ''} not yet accepted")
    if comments and choices.comments is None:
        missing.append(f"{len(comments)} comment{'s' if len(comments) != 1 else ''}")
    if not missing:
        return
    options = []
    if changes and choices.changes is None:
        options.append("--accept-changes or --reject-changes")
    if comments and choices.comments is None:
        options.append("--keep-comments (as Markdown comments, never printed) or --drop-comments")
    listed = [
        m for m in marks if (m.is_comment and choices.comments is None) or (not m.is_comment and not choices.changes)
    ]
    raise UnresolvedReview(
        f"{display_path(source_path)}: not imported: it holds {' and '.join(missing)}; resolve them in the "
        f"document, or say what to do with {' and with '.join(options)}:",
        [Diagnostic(mark.describe(), file=source_path) for mark in listed],
    )
