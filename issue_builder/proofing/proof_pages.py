"""A proof's pages as PDFium reads them: the slug, the printed characters, and the text a mark covers or points at."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from issue_builder.editions.stamp import SLUG_BAND
from issue_builder.proofing.annotations import Annotation, Rect

BREAK_HYPHENS = "\u2010\u00ad\x02\ufffe"  # WeasyPrint's hyphen where it hyphenates; soft hyphen; PDFium's marks
CONTEXT = 80  # printed characters read on each side of a mark
NEAR = 36.0  # points: how far from a note's corner the text it is about may be
TILT = 0.02  # radians: characters turned more than this are the watermark (or not running text)
CALL_SIZE = 0.9  # a digit this much smaller than its neighbours is a footnote call or a note's number
NEIGHBOURS = 8  # characters looked at on each side of a digit for its neighbours' size
_SLUG = re.compile(
    r"PROOF · (?P<publication>.+?) · Issue (?P<issue>\S+)(?: · round (?P<round>.+?))? · build (?P<build>\S+)"
    r" · content as of (?P<as_of>.+?) · page (?P<page>\d+) of (?P<pages>\d+)(?: · (?P<title>.+))?$"
)


@dataclass(frozen=True)
class Slug:
    """What the slug along the top of a proof page says."""

    publication: str
    issue: str
    build: str
    as_of: str
    page: int
    pages: int
    round: str | None = None
    title: str | None = None  # the article running on the page


@dataclass(frozen=True)
class Spot:
    """The text a mark is about, as printed, with the text around it: `before + text + after` reads as the page."""

    text: str  # what it covers; empty for an insertion point
    before: str
    after: str
    near: bool = False  # text beside a note or a drawing, not text it covers


@dataclass(frozen=True)
class _Char:
    text: str
    box: Rect | None  # None for the line ends PDFium adds


def band_text(textpage: pdfium.PdfTextPage, box: Rect) -> str:
    """The text in the band along the top of a page where a proof's slug is printed, spaces collapsed."""
    return " ".join(textpage.get_text_bounded(box[0], box[3] - SLUG_BAND, box[2], box[3]).split())


def read_slug(text: str) -> Slug | None:
    """The proof slug in a page's top band (`band_text`), when there is one."""
    match = _SLUG.search(text)
    if match is None:
        return None
    found = match.groupdict()
    return Slug(
        publication=found["publication"],
        issue=found["issue"],
        build=found["build"],
        as_of=found["as_of"],
        page=int(found["page"]),
        pages=int(found["pages"]),
        round=found["round"],
        title=found["title"],
    )


def printed_chars(textpage: pdfium.PdfTextPage, box: Rect, slugged: bool) -> list[_Char]:
    """The page's characters in content order, without the watermark, the slug and footnote calls' digits."""
    count = textpage.count_chars()
    raw = textpage.raw
    chars: list[_Char] = []
    sizes: list[float] = []
    slug_bottom = box[3] - SLUG_BAND
    for index in range(count):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        text = chr(code) if 0 < code < 0x110000 else " "
        if pdfium_c.FPDFText_IsGenerated(raw, index):
            if text == "\n" or (text != "\r" and text.isspace()):
                chars.append(_Char("\n" if text == "\n" else " ", None))
                sizes.append(0.0)
            continue
        angle = pdfium_c.FPDFText_GetCharAngle(raw, index)
        if angle >= 0 and min(angle, 2 * math.pi - angle) > TILT:
            continue
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        if slugged and (bottom + top) / 2 > slug_bottom:
            continue
        chars.append(_Char(text, (left, bottom, right, top)))
        sizes.append(pdfium_c.FPDFText_GetFontSize(raw, index))
    return [c for i, c in enumerate(chars) if not _footnote_digit(chars, sizes, i)]


def _footnote_digit(chars: list[_Char], sizes: list[float], index: int) -> bool:
    """A digit set smaller than the text beside it: a footnote call, or the number of a note (not in the source)."""
    if not chars[index].text.isdigit():
        return False
    beside = []
    for step in (-1, 1):  # the nearest character drawn on each side, past the number's other digits and spaces
        for at in range(index + step, index + step * NEIGHBOURS, step):
            if not 0 <= at < len(chars):
                break
            char = chars[at]
            if char.box is not None and not char.text.isspace() and not char.text.isdigit():
                beside.append(sizes[at])
                break
    return bool(beside) and sizes[index] < CALL_SIZE * max(beside)


def spot(chars: list[_Char], annotation: Annotation) -> Spot | None:
    """The text `annotation` covers (text markup, boxes, drawings) or points at (notes, carets, callouts)."""
    kind = annotation.kind
    if kind == "insert":
        return _insertion(chars, annotation.rect)
    if annotation.quads or kind in ("highlight", "underline", "strike-out", "squiggly"):
        boxes = annotation.quads or (annotation.rect,)
        covered = [i for i, c in enumerate(chars) if c.box is not None and any(_centre_in(c.box, q) for q in boxes)]
    elif kind in ("box", "circle", "drawing"):  # what a shape or a drawing encloses
        area = annotation.drawn if kind == "drawing" and annotation.drawn is not None else annotation.rect
        covered = [i for i, c in enumerate(chars) if c.box is not None and _centre_in(c.box, area)]
        while covered and not chars[covered[0]].text.isalnum():  # drawn loosely: it encloses words
            covered.pop(0)
    else:
        covered = []
    covered = [i for i in covered if not chars[i].text.isspace()]
    if covered:
        return _around(chars, covered, near=False)
    return _near(chars, _pointed_at(annotation))


def _pointed_at(annotation: Annotation) -> tuple[float, float]:
    x0, y0, x1, y1 = annotation.rect
    if annotation.point is not None:
        return annotation.point
    if annotation.kind == "note":
        return (x0, y1)  # a note's icon hangs from the point clicked
    return ((x0 + x1) / 2, (y0 + y1) / 2)


def _centre_in(box: Rect, area: Rect, slack: float = 0.5) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] - slack <= x <= area[2] + slack and area[1] - slack <= y <= area[3] + slack


def _distance(box: Rect, x: float, y: float) -> float:
    dx = max(box[0] - x, 0.0, x - box[2])
    dy = max(box[1] - y, 0.0, y - box[3])
    return math.hypot(dx, dy)


def _near(chars: list[_Char], point: tuple[float, float]) -> Spot | None:
    """The word nearest to `point`, within NEAR points."""
    best, best_distance = None, NEAR
    for index, char in enumerate(chars):
        if char.box is not None and char.text.isalnum():
            distance = _distance(char.box, *point)
            if distance <= best_distance:
                best, best_distance = index, distance
    if best is None:
        return None
    start = end = best
    while start > 0 and chars[start - 1].box is not None and chars[start - 1].text.isalnum():
        start -= 1
    while end + 1 < len(chars) and chars[end + 1].box is not None and chars[end + 1].text.isalnum():
        end += 1
    return _around(chars, list(range(start, end + 1)), near=True)


def _insertion(chars: list[_Char], rect: Rect) -> Spot | None:
    """The place between two characters where a caret points: its line first, then the nearest edge of a character."""
    x, y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    boxed = [(i, c.box) for i, c in enumerate(chars) if c.box is not None and not c.text.isspace()]
    if not boxed:
        return None
    rises = {i: max(box[1] - y, 0.0, y - box[3]) for i, box in boxed}
    lowest = min(rises.values())
    if lowest > NEAR / 2:
        return None
    best, best_distance = None, NEAR
    for i, box in boxed:
        if rises[i] > lowest + 1:
            continue
        for at, edge in ((i, box[0]), (i + 1, box[2])):
            if abs(x - edge) < best_distance:
                best, best_distance = at, abs(x - edge)
    if best is None:
        return None
    before = _joined([c.text for c in chars[max(0, best - CONTEXT) : best]])
    after = _joined([c.text for c in chars[best : best + CONTEXT]])
    return Spot("", before, after)


def _around(chars: list[_Char], covered: list[int], near: bool) -> Spot:
    """The covered characters (in content order; a gap between them read as a space or a line end) and the text
    before and after them."""
    first, last = covered[0], covered[-1]
    pieces: list[str] = []
    for previous, index in zip([None, *covered], covered, strict=False):
        if previous is not None and index > previous + 1:
            gap = [c.text for c in chars[previous + 1 : index]]
            if all(c.isspace() or c in BREAK_HYPHENS for c in gap):  # a line end, a hyphen the quads left out
                pieces += gap
            else:  # text between that the mark skips (a drop cap's line, a float): a word break at most
                pieces.append("\n" if "\n" in gap else " " if any(c.isspace() for c in gap) else "")
        pieces.append(chars[index].text)
    before = [c.text for c in chars[max(0, first - CONTEXT) : first]]
    after = [c.text for c in chars[last + 1 : last + 1 + CONTEXT]]
    whole = _joined(before + pieces + after, marks=(len(before), len(before) + len(pieces)))
    text, start, end = whole
    covered_text = text[start:end]
    stripped = covered_text.strip()
    start += len(covered_text) - len(covered_text.lstrip())
    end = start + len(stripped)
    return Spot(text[start:end], text[:start], text[end:], near=near)


def _joined(pieces: list[str], marks: tuple[int, int] | None = None):
    """Pieces of printed text read as running text: a line end is a space, or nothing after a hyphenated word's
    head (whose added hyphen goes); runs of spaces as one. With `marks` (two piece indices), also returns where
    those pieces begin and end in the text: (text, start, end)."""
    out: list[str] = []
    where: list[int] = []
    for piece in pieces:
        where.append(len(out))
        if not piece:
            continue
        if piece.isspace():
            joins = out and (out[-1] in BREAK_HYPHENS or (out[-1] == "-" and len(out) > 1 and out[-2].isalpha()))
            if out and out[-1] != " " and not (piece == "\n" and joins):
                out.append(" ")
        elif piece not in BREAK_HYPHENS:
            out.append(piece)
        elif piece != "\u00ad":  # a soft hyphen is never printed; a break hyphen only tells where the line ends
            out.append("\u2010")
    where.append(len(out))
    kept = [0]
    for c in out:
        kept.append(kept[-1] + (c not in BREAK_HYPHENS))
    text = "".join(c for c in out if c not in BREAK_HYPHENS)
    if marks is None:
        return text
    return text, kept[where[marks[0]]], kept[where[marks[1]]]
