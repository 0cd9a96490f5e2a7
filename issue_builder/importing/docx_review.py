"""Tracked changes and comments of a .docx, as pandoc shows them (`--track-changes=all`): listed, then resolved.

Pandoc marks an inserted run as a span of class `insertion`, a deleted one `deletion`, an inserted or deleted
paragraph break `paragraph-insertion` or `paragraph-deletion`, and a comment as a `comment-start` span holding its
text with a `comment-end` span where its range ends; each carries author and date.
"""

from __future__ import annotations

from issue_builder.importing.review import Position, ReviewChoices, ReviewMark
from issue_builder.importing.tree import (
    Node,
    attributes,
    classes,
    close_removals,
    merge_mark,
    merge_marked_paragraphs,
    plain_text,
    raw_comment,
    removed_mark,
    walk,
)

_KINDS = {
    "insertion": "insertion",
    "deletion": "deletion",
    "paragraph-insertion": "paragraph break inserted",
    "paragraph-deletion": "paragraph break deleted",
    "comment-start": "comment",
}


def resolve(blocks: list[Node], choices: ReviewChoices) -> tuple[list[Node], list[ReviewMark]]:
    """The blocks with each change accepted or rejected and each comment kept (as a Markdown comment) or
    dropped, as `choices` say; and every change and comment found. Marks whose choice is None are left as
    they are (the caller refuses the document then)."""
    marks: list[ReviewMark] = []
    position = Position()
    out: list[Node] = []
    for block in blocks:
        in_heading = block["t"] == "Header"
        if in_heading:
            position.enter_heading(plain_text(block["c"][2]))
        else:
            position.enter_block(plain_text(block))

        def fix(node: Node, in_heading: bool = in_heading) -> list[Node] | None:
            if node["t"] != "Span":
                return None
            kind = next((_KINDS[c] for c in classes(node) if c in _KINDS), None)
            if kind is None:
                return [] if "comment-end" in classes(node) and choices.comments else None
            about = attributes(node)
            content = node["c"][1]
            text = plain_text(content) if kind != "comment" else _comment_text(content)
            where = position.describe(in_heading)
            marks.append(ReviewMark(kind, about.get("author", ""), about.get("date", ""), text, where))
            return _resolved(kind, content, about, text, choices)

        out.extend(walk([block], fix))
    return close_removals(merge_marked_paragraphs(out)), marks


def _comment_text(content: list[Node]) -> str:
    return plain_text([{"t": "Para", "c": content}])


def _resolved(kind: str, content: list[Node], about: dict, text: str, choices: ReviewChoices) -> list[Node] | None:
    """What replaces one mark, or None to leave it for the refusal."""
    if kind == "comment":
        if choices.comments == "keep":
            who = about.get("author", "someone")
            when = f" ({about['date'][:10]})" if about.get("date") else ""
            return [raw_comment(f"comment by {who}{when}: {text}")]
        return [] if choices.comments == "drop" else None
    accept = {"accept": True, "reject": False}.get(choices.changes or "")
    if accept is None:
        return None
    if kind == "insertion":
        return content if accept else [removed_mark()]
    if kind == "deletion":
        return [removed_mark()] if accept else content
    if kind == "paragraph break inserted":
        return [] if accept else [merge_mark()]
    return [merge_mark()] if accept else []  # a paragraph break deleted
