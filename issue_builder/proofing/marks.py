"""The marks on a proof: its annotations read within limits and grouped as a proofreader made them (replies,
replacements, review states), each with the text it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from issue_builder.base.bounded import call_bounded
from issue_builder.base.diagnostics import display_path
from issue_builder.proofing.annotations import AnnotatedFile, Annotation, read_annotations
from issue_builder.proofing.diff import check_drawing
from issue_builder.proofing.proof_pages import Slug, Spot, band_text, printed_chars, read_slug, spot
from issue_builder.proofing.words import UnreadablePdf, open_pdf, text_pages

MAX_THREAD = 16  # replies followed up to their first comment
TEXT_MARKS = ("highlight", "underline", "strike-out", "squiggly")
DECLINED = ("Rejected", "Cancelled")  # review states that withdraw a mark


@dataclass(frozen=True)
class Reply:
    """A reply in a mark's thread."""

    author: str
    date: str
    text: str


@dataclass
class Mark:
    """One correction or comment as the proofreader made it, and what it asks for."""

    page: int  # the issue's page (the slug's number on a proof; the file's page otherwise)
    kind: str  # highlight, strike-out, replace, insert, note, text box, drawing, box, ...
    author: str
    date: str
    comment: str
    spot: Spot | None  # the text it covers or points at; None when it is on no text
    title: str | None = None  # the article running on its page, from the proof's slug
    new_text: str | None = None  # what a replacement or an insertion puts in
    paragraph: bool = False  # a caret asking for a new paragraph
    cut: bool = False  # a text longer than the reader keeps was cut short
    state: str = ""  # the last review state given in its thread
    replies: list[Reply] = field(default_factory=list)
    refs: tuple[str, ...] = ()  # the annotations it is made of

    @property
    def declined(self) -> bool:
        return self.state in DECLINED


@dataclass
class MarkedProof:
    """What a marked-up proof holds: its marks, and what its slugs say."""

    path: Path
    pages: int
    marks: list[Mark]
    slugs: dict[int, Slug]  # file page -> the slug of that page (the left one of a spread)
    spreads: bool = False


@dataclass
class _Reading:
    """What the bounded reader sends back: annotations, the spots they are about, the slugs."""

    annotated: AnnotatedFile
    spots: dict[str, Spot]
    slugs: dict[int, list[tuple[float, Slug]]]  # file page -> (left edge of the half it heads, slug)


def read_marked_proof(path: Path) -> MarkedProof:
    """The marks on the proof at `path`: the file is measured within a budget first, then read in a child process
    limited in time and memory; a file past a limit raises LimitExceeded, an unreadable one UnreadablePdf."""
    name = display_path(path)
    open_pdf(path).close()  # missing, too large, not a PDF, encrypted: named plainly before anything else
    check_drawing(path)
    reading: _Reading = call_bounded(_read, path, what=f"reading the comments on {name}")
    marks = _group(reading)
    slugs = {page: halves[0][1] for page, halves in reading.slugs.items() if halves}
    spreads = any(len(halves) > 1 for halves in reading.slugs.values())
    return MarkedProof(path, reading.annotated.pages, marks, slugs, spreads)


def _read(path: Path) -> _Reading:
    """In the child: the annotations (pikepdf), then the slugs of every page and the text each mark is about."""
    try:
        with pikepdf.open(path) as pdf:
            annotated = read_annotations(pdf)
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, RecursionError) as exc:
        raise UnreadablePdf(f"{display_path(path)}: its comments cannot be read ({exc})") from None
    document = open_pdf(path)
    spots: dict[str, Spot] = {}
    slugs: dict[int, list[tuple[float, Slug]]] = {}
    try:
        for index, page, textpage in text_pages(document):
            box = tuple(page.get_cropbox())
            slugs[index + 1] = _slugs(textpage, box)
            marks = [a for a in annotated.annotations if a.page == index + 1]
            if marks:
                chars = printed_chars(textpage, box, slugged=bool(slugs[index + 1]))
                for annotation in marks:
                    found = spot(chars, annotation)
                    if found is not None:
                        spots[annotation.ref] = found
    finally:
        document.close()
    return _Reading(annotated, spots, slugs)


def _slugs(textpage, box) -> list[tuple[float, Slug]]:
    """The page's slug, or the slug of each half of a reader spread."""
    text = band_text(textpage, box)
    if text.count("PROOF · ") < 2:
        whole = read_slug(text)
        return [] if whole is None else [(box[0], whole)]
    middle = (box[0] + box[2]) / 2
    halves = [(box[0], (box[0], box[1], middle, box[3])), (middle, (middle, box[1], box[2], box[3]))]
    found = [(left, read_slug(band_text(textpage, half))) for left, half in halves]
    return [(left, slug) for left, slug in found if slug is not None]


def _group(reading: _Reading) -> list[Mark]:
    """Replies joined to the mark they answer, a replacement's strike-out and caret made one mark."""
    annotations = reading.annotated.annotations
    by_ref = {a.ref: a for a in annotations}
    members: dict[str, list[Annotation]] = {}  # a group's primary annotation -> the annotations grouped with it
    threads: dict[str, list[Annotation]] = {}  # a mark's first annotation -> its replies, in file order
    roots: list[Annotation] = []
    for annotation in annotations:
        top = _root(annotation, by_ref)
        if top is None or top is annotation:
            roots.append(annotation)
        elif annotation.reply_type == "Group":
            members.setdefault(top.ref, []).append(annotation)
        else:
            threads.setdefault(top.ref, []).append(annotation)
    marks = []
    for root in roots:
        group = [root, *members.get(root.ref, [])]
        mark = _mark(group, reading)
        for reply in threads.get(root.ref, []):
            if reply.state:
                mark.state = reply.state
            elif reply.contents:
                mark.replies.append(Reply(reply.author, reply.date, reply.contents))
        marks.append(mark)
    return marks


def _root(annotation: Annotation, by_ref: dict[str, Annotation]) -> Annotation | None:
    """The first annotation of the thread `annotation` is in (itself when it answers none); None when the replies
    answer each other in a circle, or run longer than MAX_THREAD."""
    seen = {annotation.ref}
    for _ in range(MAX_THREAD):
        parent = by_ref.get(annotation.reply_to) if annotation.reply_to else None
        if parent is None:
            return annotation
        if parent.ref in seen:
            return None
        seen.add(parent.ref)
        annotation = parent
    return None


def _mark(group: list[Annotation], reading: _Reading) -> Mark:
    first = group[0]
    strike = next((a for a in group if a.kind == "strike-out"), None)
    caret = next((a for a in group if a.kind == "insert"), None)
    shown = strike or first
    page, title = _page_of(shown, reading)
    comment = next((a.contents for a in group if a.contents), "")
    mark = Mark(
        page=page,
        kind=first.kind,
        author=first.author or next((a.author for a in group if a.author), ""),
        date=first.date,
        comment=comment,
        spot=reading.spots.get(shown.ref),
        title=title,
        cut=any(a.cut for a in group),
        refs=tuple(a.ref for a in group),
    )
    if (strike is not None and caret is not None) or first.intent == "Replace":
        # Acrobat's Replace Text: a caret (the new text) grouped with a strike-out (the old)
        mark.kind = "replace"
        mark.new_text = (caret or first).contents or (strike.contents if strike else "")
        mark.comment = ""
        if strike is None:
            mark.spot = None  # the struck text is missing: nothing to replace
    elif first.kind == "insert":
        mark.new_text = first.contents
        mark.comment = ""
        mark.paragraph = first.symbol == "P"
    return mark


def _page_of(annotation: Annotation, reading: _Reading) -> tuple[int, str | None]:
    """The issue's page an annotation is on, and the article running there (from the proof's slug)."""
    halves = reading.slugs.get(annotation.page) or []
    x = (annotation.rect[0] + annotation.rect[2]) / 2
    if annotation.quads:
        x = (annotation.quads[0][0] + annotation.quads[0][2]) / 2
    chosen = None
    for left, slug in halves:
        if x >= left or chosen is None:
            chosen = slug
    if chosen is None:
        return annotation.page, None
    return chosen.page, chosen.title
