"""The comments on a proof traced to their sources: what `issue-builder comments` reports."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from issue_builder.base.diagnostics import IssueBuilderError, display_path
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.inputs import content_time
from issue_builder.prepare.issue import prepare_issue
from issue_builder.proofing.marks import Mark, MarkedProof, read_marked_proof
from issue_builder.proofing.sources import IssueSources, fold, issue_sources
from issue_builder.proofing.tracing import (
    ALREADY,
    AMBIGUOUS,
    MAX_NEW_TEXT,
    OFF_TEXT,
    TRACED,
    UNMATCHED,
    UNSURE,
    Place,
    Trace,
    trace,
)

TITLE_LIKENESS = 0.75  # how alike a slug's title and an article's must be when the title was corrected since


class WrongProof(IssueBuilderError):
    """The proof is of another issue than the manifest given (exit 2)."""

    exit_code = 2


@dataclass
class Comment:
    """One mark of the proof, where its text comes from, and what it asks of the sources."""

    mark: Mark
    trace: Trace
    article: int | None  # the article it belongs to (index in `articles`), None for the cover, contents and back
    action: str = ""  # delete, replace, insert: a correction; empty for a comment to read
    blocked: str = ""  # why a correction is not made by --apply
    applied: bool = False

    @property
    def place(self) -> Place | None:
        return self.trace.place


@dataclass
class CommentsReport:
    """Every comment on a proof, sorted by source and grouped by article."""

    proof: Path
    manifest: Path
    issue: PreparedIssue
    sources: IssueSources
    comments: list[Comment]
    notes: list[str] = field(default_factory=list)  # about the proof as a whole (of another build, no slug)

    def groups(self) -> list[tuple[str, list[Comment]]]:
        """The comments by article in the issue's order, then the cover, contents and back pages, then those
        traced nowhere."""
        titles = [f"{a.title} ({display_path(a.source.body.path)})" for a in self.issue.articles]
        found: dict[int | None, list[Comment]] = {}
        unplaced = []
        for comment in self.comments:
            if comment.trace.places:
                found.setdefault(comment.article, []).append(comment)
            else:
                unplaced.append(comment)
        groups = [(titles[i], found[i]) for i in range(len(titles)) if i in found]
        if None in found:
            groups.append(("Cover, contents and back pages", found[None]))
        if unplaced:
            groups.append(("Not traced to a source", unplaced))
        return groups

    def as_dict(self) -> dict:
        return {
            "proof": str(self.proof),
            "manifest": str(self.manifest),
            "notes": self.notes,
            "comments": [_comment_dict(c, self.issue) for _, group in self.groups() for c in group],
        }


def read_comments(proof: Path, manifest: Path) -> CommentsReport:
    """The marks on `proof` traced to the sources of the issue at `manifest`, as those read now."""
    marked = read_marked_proof(proof)
    issue = prepare_issue(manifest)
    _same_issue(marked, issue, proof, manifest)
    sources = issue_sources(issue)
    comments = []
    for mark in marked.marks:
        articles = _articles_of(mark.title, issue)
        found = trace(mark, sources, articles)
        # its article: where its text is; else the one article of all the places it may be, else its page's
        owners = {p.source.article for p in found.places}
        if found.place is not None:
            article = found.place.source.article
        elif len(owners) == 1:
            article = owners.pop()
        else:
            article = articles[0] if articles and len(articles) == 1 else None
        comment = Comment(mark, found, article)
        _decide(comment)
        comments.append(comment)
    comments.sort(key=_order)
    return CommentsReport(proof, manifest, issue, sources, comments, _notes(marked, issue))


def _same_issue(marked: MarkedProof, issue: PreparedIssue, proof: Path, manifest: Path) -> None:
    slug = next(iter(marked.slugs.values()), None)
    if slug is None:
        return
    m = issue.manifest
    if slug.issue != str(m.issue) or fold_text(slug.publication) != fold_text(m.periodical.name):
        raise WrongProof(
            f"{display_path(proof)} is a proof of {slug.publication}, Issue {slug.issue}; "
            f"{display_path(manifest)} is {m.periodical.name}, Issue {m.issue}"
        )


def fold_text(text: str) -> str:
    return "".join(fold(c) for c in text)


def _articles_of(title: str | None, issue: PreparedIssue) -> list[int] | None:
    """The articles a page's slug names (by title; two articles may share one), or None for pages of no article."""
    if not title:
        return None
    wanted = fold_text(title)
    found = [i for i, a in enumerate(issue.articles) if fold_text(a.title) == wanted]
    if found:
        return found
    # a title corrected since the proof: the article whose title is most like it
    likeness = [
        (difflib.SequenceMatcher(None, wanted, fold_text(a.title)).ratio(), i) for i, a in enumerate(issue.articles)
    ]
    best = max(likeness, default=(0.0, 0))
    return [best[1]] if best[0] >= TITLE_LIKENESS else None


def _decide(comment: Comment) -> None:
    """What the mark asks of the sources, and whether --apply may do it: only what is unambiguous."""
    mark, found = comment.mark, comment.trace
    if mark.kind == "strike-out":
        comment.action = "delete"
    elif mark.kind == "replace":
        comment.action = "replace"
    elif mark.kind == "insert":
        comment.action = "insert"
    else:
        return
    new = mark.new_text or ""
    reasons = [
        (mark.declined, f"declined in its thread ({mark.state})"),
        (mark.kind == "strike-out" and bool(mark.comment), "the strike-out has a comment: read it"),
        (bool(mark.replies), "it has replies: read them"),
        (mark.paragraph, "it asks for a new paragraph"),
        (comment.action != "delete" and not new.strip(), "no new text was typed"),
        (mark.cut or len(new) > MAX_NEW_TEXT, f"the new text is longer than {MAX_NEW_TEXT:,} characters"),
        ("\n" in new.strip(), "the new text runs over several lines"),
        (found.status == ALREADY, "the sources already read so"),
        (found.status == AMBIGUOUS, "its text is in several places"),
        (found.status == UNSURE, "the text around it reads otherwise now"),
        (found.status in (UNMATCHED, OFF_TEXT), "its text is not in the sources"),
        (
            found.status == TRACED and found.place is not None and not found.place.exact,
            "the source holds more than the marked text there (Markdown, a note): correct it by hand",
        ),
    ]
    comment.blocked = next((why for blocked, why in reasons if blocked), "")


def _order(comment: Comment) -> tuple:
    place = comment.place or (comment.trace.places[0] if comment.trace.places else None)
    if place is None:
        return (1, False, "", 0, 0, comment.mark.page)
    line, column = place.line_column  # an article's manifest values (title, dek, caption) before its body
    return (0, not place.source.key, str(place.source.file), line, column, comment.mark.page)


def _notes(marked: MarkedProof, issue: PreparedIssue) -> list[str]:
    notes = []
    slug = next(iter(marked.slugs.values()), None)
    if slug is None:
        notes.append("not a proof made by issue-builder (no slug): marks are looked for in every source")
        return notes
    if marked.spreads:
        notes.append("a proof in reader spreads: pages are told by the slug of each half")
    try:
        made = dt.datetime.strptime(slug.as_of, "%Y-%m-%d %H:%M UTC").replace(tzinfo=dt.UTC)
    except ValueError:
        return notes
    now = content_time(issue)
    if now - made >= dt.timedelta(minutes=1):
        notes.append(
            f"the sources were saved after this proof was made (content as of {slug.as_of}, now "
            f"{now:%Y-%m-%d %H:%M} UTC): marks are matched by their text, and a text changed since is reported"
        )
    return notes


def _comment_dict(comment: Comment, issue: PreparedIssue) -> dict:
    mark, found = comment.mark, comment.trace
    spot = mark.spot
    data = {
        "page": mark.page,
        "kind": mark.kind,
        "author": mark.author,
        "date": mark.date,
        "comment": mark.comment,
        "new_text": mark.new_text,
        "text": spot.text if spot is not None else None,
        "near": spot.near if spot is not None else False,
        "status": found.status,
        "article": issue.articles[comment.article].id if comment.article is not None else None,
        "source": None,
        "places": [_place_dict(p) for p in found.places],
        "action": comment.action or None,
        "applied": comment.applied,
        "not_applied": comment.blocked or None,
        "state": mark.state or None,
        "replies": [{"author": r.author, "date": r.date, "text": r.text} for r in mark.replies],
    }
    if comment.place is not None:
        data["source"] = _place_dict(comment.place)
    return data


def _place_dict(place: Place) -> dict:
    line, column = place.line_column
    return {
        "file": str(place.source.file),
        "line": line,
        "column": column,
        "key": place.source.key or None,
        "written": place.written,
        "exact": place.exact,
    }


def where(place: Place) -> str:
    """A place as a user finds it: file:line:column, and the manifest key of a value."""
    line, column = place.line_column
    key = f" {place.source.key}" if place.source.key else ""
    return f"{display_path(place.source.file)}:{line}:{column}{key}"
