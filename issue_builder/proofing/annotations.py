"""Markup annotations read from an untrusted PDF, within limits: who marked what, where, and what they wrote."""

from __future__ import annotations

import html.parser
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pikepdf

from issue_builder.base.bounded import LimitExceeded

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in page coordinates (origin bottom left)

MAX_PAGES = 5000  # pages of a proof read
MAX_PAGE_ANNOTATIONS = 2000  # entries of one page's /Annots (links and pop-ups included)
MAX_ANNOTATIONS = 5000  # markup annotations read in one file
MAX_TEXT = 20_000  # characters of a comment kept; a longer one is cut, and never applied
MAX_RICH_TEXT = 200_000  # bytes of /RC (XHTML) parsed
MAX_QUADS = 1000  # quadrilaterals of one text markup annotation
MAX_INK_POINTS = 50_000  # coordinates of one ink annotation
MARKUP = {
    "/Text": "note",
    "/FreeText": "text box",
    "/Highlight": "highlight",
    "/Underline": "underline",
    "/StrikeOut": "strike-out",
    "/Squiggly": "squiggly",
    "/Caret": "insert",
    "/Ink": "drawing",
    "/Square": "box",
    "/Circle": "circle",
    "/Line": "line",
    "/Polygon": "polygon",
    "/PolyLine": "polyline",
    "/Stamp": "stamp",
    "/FileAttachment": "attachment",
}
_HIDDEN = 2  # annotation flag bit: not shown, not printed
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]")
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?")


@dataclass(frozen=True)
class Annotation:
    """One markup annotation as its reader wrote it."""

    page: int  # 1-based, in the file
    ref: str  # its object number ("12 0"), or its place when it is not an indirect object
    kind: str  # note, highlight, strike-out, insert, ...
    author: str = ""
    date: str = ""  # ISO 8601 when the file's date could be read, else as written
    contents: str = ""  # /Contents, else the plain text of the rich text /RC
    cut: bool = False  # the comment was longer than MAX_TEXT and was cut
    subject: str = ""
    intent: str = ""  # /IT without the slash: Replace, StrikeOutTextEdit, FreeTextCallout, ...
    symbol: str = ""  # a caret's /Sy: P asks for a new paragraph
    reply_to: str | None = None  # the ref of /IRT
    reply_type: str = "R"  # R: a reply; Group: one mark with its /IRT (a replacement's strike-out and caret)
    state: str = ""  # a review reply's /State: Accepted, Rejected, Cancelled, Completed, None
    quads: tuple[Rect, ...] = ()  # each quadrilateral of marked text as its bounding box, any corner order
    rect: Rect = (0.0, 0.0, 0.0, 0.0)
    point: tuple[float, float] | None = None  # where a callout's line ends
    drawn: Rect | None = None  # the bounding box of an ink drawing's strokes


@dataclass
class AnnotatedFile:
    """The markup annotations of a file, and what its pages are."""

    pages: int
    annotations: list[Annotation] = field(default_factory=list)
    sizes: dict[int, Rect] = field(default_factory=dict)  # page -> its crop box (the media box when it has none)


def read_annotations(pdf: pikepdf.Pdf) -> AnnotatedFile:
    """Every markup annotation of `pdf` (pop-ups, links and form fields left out), within the limits above; a file
    past a limit raises LimitExceeded."""
    if len(pdf.pages) > MAX_PAGES:
        raise LimitExceeded(f"the file has {len(pdf.pages):,} pages; at most {MAX_PAGES:,} are read")
    found = AnnotatedFile(pages=len(pdf.pages))
    for number, page in enumerate(pdf.pages, start=1):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array) or not len(annots):
            continue
        if len(annots) > MAX_PAGE_ANNOTATIONS:
            raise LimitExceeded(
                f"page {number} has {len(annots):,} annotations; at most {MAX_PAGE_ANNOTATIONS:,} are read"
            )
        found.sizes[number] = _page_box(page)
        for index, annot in enumerate(annots):
            read = _annotation(annot, number, index)
            if read is None:
                continue
            if len(found.annotations) >= MAX_ANNOTATIONS:
                raise LimitExceeded(f"the file has more than {MAX_ANNOTATIONS:,} comments; at most that many are read")
            found.annotations.append(read)
    return found


def _page_box(page: pikepdf.Page) -> Rect:
    for key in ("/CropBox", "/MediaBox"):
        box = _rect(page.obj.get(key))
        if box is not None:
            return box
    try:
        box = _rect(page.mediabox)  # inherited from the page tree
    except (pikepdf.PdfError, TypeError, ValueError, AttributeError):
        box = None
    return box or (0.0, 0.0, 612.0, 792.0)


def _annotation(annot, page: int, index: int) -> Annotation | None:
    if not isinstance(annot, pikepdf.Dictionary):
        return None
    kind = MARKUP.get(_name(annot.get("/Subtype")))
    flags = annot.get("/F")
    if kind is None or (isinstance(flags, int) and flags & _HIDDEN):
        return None
    contents, cut = _text(annot.get("/Contents"))
    if not contents.strip():
        contents, cut = _rich_text(annot.get("/RC"))
    reply_to = annot.get("/IRT")
    return Annotation(
        page=page,
        ref=_ref(annot, page, index),
        kind=kind,
        author=_text(annot.get("/T"))[0].strip(),
        date=_date(annot.get("/M")) or _date(annot.get("/CreationDate")),
        contents=contents.strip(),
        cut=cut,
        subject=_text(annot.get("/Subj"))[0].strip(),
        intent=_name(annot.get("/IT")).lstrip("/"),
        symbol=_name(annot.get("/Sy")).lstrip("/"),
        reply_to=_ref(reply_to, page, -1) if isinstance(reply_to, pikepdf.Dictionary) else None,
        reply_type=_name(annot.get("/RT")).lstrip("/") or "R",
        state=_text(annot.get("/State"))[0].strip(),
        quads=_quads(annot.get("/QuadPoints")),
        rect=_rect(annot.get("/Rect")) or (0.0, 0.0, 0.0, 0.0),
        point=_callout(annot),
        drawn=_ink(annot.get("/InkList")),
    )


def _ref(obj, page: int, index: int) -> str:
    if isinstance(obj, pikepdf.Object) and obj.is_indirect:
        number, generation = obj.objgen
        return f"{number} {generation}"
    return f"p{page}#{index}"


def _name(value) -> str:
    return str(value) if isinstance(value, pikepdf.Name) else ""


def _text(value) -> tuple[str, bool]:
    """A text string as plain text: control characters out, line ends as \\n; cut at MAX_TEXT."""
    if isinstance(value, pikepdf.Stream):  # a text stream is allowed where a string is
        try:
            raw = value.read_bytes()[: MAX_TEXT * 4]
        except pikepdf.PdfError:
            return "", False
        value = pikepdf.String(raw)
    if not isinstance(value, pikepdf.String):
        return "", False
    try:
        text = str(value)
    except (UnicodeDecodeError, ValueError):
        text = bytes(value).decode("latin-1")
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return (text[:MAX_TEXT], True) if len(text) > MAX_TEXT else (text, False)


class _RichText(html.parser.HTMLParser):
    """The text of an XHTML rich-text body: paragraphs and line breaks as new lines, markup dropped."""

    BREAKS = {"p", "div", "br", "li"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag.lower() in self.BREAKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _rich_text(value) -> tuple[str, bool]:
    if isinstance(value, pikepdf.Stream):
        try:
            raw = value.read_bytes()
        except pikepdf.PdfError:
            return "", False
    elif isinstance(value, pikepdf.String):
        raw = bytes(value)
    else:
        return "", False
    if len(raw) > MAX_RICH_TEXT:
        raw = raw[:MAX_RICH_TEXT]
    markup, _ = _text(pikepdf.String(raw)) if raw[:2] in (b"\xfe\xff", b"\xff\xfe") else (_decode(raw), False)
    parser = _RichText()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):
        return "", False
    return _text(pikepdf.String("".join(parser.parts)))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _date(value) -> str:
    """A PDF date (D:YYYYMMDDHHmmSSOHH'mm') as ISO 8601; other text as written (cut short)."""
    text, _ = _text(value)
    text = text.strip()
    match = _PDF_DATE.match(text)
    if not match:
        return text[:40]
    year, month, day, hour, minute, second, zone, zone_hours, zone_minutes = match.groups()
    stamp = f"{year}-{month or '01'}-{day or '01'}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    if zone in ("Z", "z"):
        return stamp + "Z"
    if zone:
        return stamp + f"{zone}{zone_hours or '00'}:{zone_minutes or '00'}"
    return stamp


def _numbers(value, limit: int) -> list[float]:
    if not isinstance(value, pikepdf.Array) or len(value) > limit:
        return []
    found = []
    for item in value:
        if isinstance(item, (int, float, Decimal)) and not isinstance(item, bool) and math.isfinite(float(item)):
            found.append(float(item))
        else:
            return []
    return found


def _rect(value) -> Rect | None:
    values = _numbers(value, 4)
    if len(values) != 4:
        return None
    x0, y0, x1, y1 = values
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _quads(value) -> tuple[Rect, ...]:
    """Each quadrilateral's bounding box: readers write the four corners in different orders."""
    values = _numbers(value, 8 * MAX_QUADS)
    boxes = []
    for start in range(0, len(values) - 7, 8):
        xs, ys = values[start : start + 8 : 2], values[start + 1 : start + 8 : 2]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return tuple(boxes)


def _callout(annot: pikepdf.Dictionary) -> tuple[float, float] | None:
    """The point a callout text box points at: the start of its /CL line."""
    line = _numbers(annot.get("/CL"), 6)
    return (line[0], line[1]) if len(line) >= 4 else None


def _ink(value) -> Rect | None:
    if not isinstance(value, pikepdf.Array) or len(value) > MAX_INK_POINTS:
        return None
    xs: list[float] = []
    ys: list[float] = []
    for stroke in value:
        points = _numbers(stroke, MAX_INK_POINTS - len(xs) - len(ys))
        xs += points[0::2]
        ys += points[1::2]
    return (min(xs), min(ys), max(xs), max(ys)) if xs and ys else None
