"""Reading two rounds of a PDF for comparison: opened safely, words with their boxes, running heads set apart."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from issue_builder.base.diagnostics import IssueBuilderError, display_path

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, page coordinates (origin bottom left)

# U+2010 is the hyphen WeasyPrint adds where it hyphenates; U+00AD a soft hyphen;
# 0x02 PDFium's mark for a line-end hyphen
BREAK_HYPHENS = "\u2010\u00ad\x02"
WORD_RE = re.compile(r"[^\s\x00\x01\x03-\x1f]+")  # 0x02 is PDFium's line-end hyphen, part of its word
SPACE_RE = re.compile(r"[\s\x00\x01\x03-\x1f]*")
FURNITURE_BAND = 0.12  # running heads and folios sit this close to the top or bottom edge (share of the height)


class UnreadablePdf(IssueBuilderError):
    """A file given to compare is missing, not a PDF, or locked with a password."""

    exit_code = 2


@dataclass(frozen=True)
class Word:
    """One word as read: its text, its page (0-based) and where it is drawn (two places when hyphenated)."""

    text: str
    page: int
    places: tuple[tuple[int, Rect], ...]  # (page, box) of each part
    line_end: bool = False  # the last word of its line

    @property
    def box(self) -> Rect:
        return self.places[0][1]

    @property
    def key(self) -> str:
        """What two rounds compare: the text without hyphenation marks, ligatures spelled out."""
        return unicodedata.normalize("NFKC", "".join(c for c in self.text if c not in BREAK_HYPHENS))


@dataclass
class PdfText:
    """A document's words as compared: the running text, and each page's furniture apart."""

    body: list[Word]  # reading order, hyphenated words joined (across pages too), furniture left out
    furniture: list[list[Word]]  # per page: running heads and folios, which stay put when text reflows
    areas: list[Rect]  # per page: the compared part of the page


MAX_PDF_BYTES = 512 * 1024 * 1024  # a proof of a few hundred pages with its pictures fits many times over


def refuse_oversized(path: Path) -> None:
    """Raise UnreadablePdf for a file past MAX_PDF_BYTES, before any reader parses it (a sparse file of many GB
    would keep a reader busy for minutes)."""
    size = path.stat().st_size
    if size > MAX_PDF_BYTES:
        raise UnreadablePdf(f"{display_path(path)}: {size:,} bytes; a PDF of at most {MAX_PDF_BYTES:,} is read")


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open `path` with PDFium, or raise UnreadablePdf naming the file and what is wrong with it."""
    name = display_path(path)
    if not path.exists():
        raise UnreadablePdf(f"{name}: file not found")
    if not path.is_file():
        raise UnreadablePdf(f"{name}: is a folder, not a PDF file" if path.is_dir() else f"{name}: not a PDF file")
    refuse_oversized(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as exc:
        raise UnreadablePdf(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if b"%PDF-" not in head:
        raise UnreadablePdf(f"{name}: not a PDF file")
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise UnreadablePdf(f"{name}: the file is encrypted with a password; compare an unlocked copy") from None
        reason = "damaged or cut short" if exc.err_code == pdfium_c.FPDF_ERR_FORMAT else str(exc)
        raise UnreadablePdf(f"{name}: not a readable PDF ({reason})") from None


def page_area(page: pdfium.PdfPage) -> Rect:
    """The part of a page that is compared: its bleed box (the crop box when it has none), inside the crop box.

    Printer's marks and the slug ("page 3 of 8") sit outside the bleed and change with the page count.
    """
    crop = page.get_cropbox()
    bleed = page.get_bleedbox()
    area = (max(crop[0], bleed[0]), max(crop[1], bleed[1]), min(crop[2], bleed[2]), min(crop[3], bleed[3]))
    return area if area[0] < area[2] and area[1] < area[3] else crop


def read_texts(old: pdfium.PdfDocument, new: pdfium.PdfDocument) -> tuple[PdfText, PdfText]:
    """Both documents' text. A line along the top or bottom edge found on another page of the same document
    (numbers aside: "Issue 18 · 7"), or a number alone there, is furniture: running heads and folios stay on
    their page, so left in the text flow they would look changed whenever text moves past them."""
    old_pages, old_areas = _read(old)
    new_pages, new_areas = _read(new)
    keys = _furniture_keys(old_pages, old_areas) | _furniture_keys(new_pages, new_areas)
    return _split(old_pages, old_areas, keys), _split(new_pages, new_areas, keys)


def _read(doc: pdfium.PdfDocument) -> tuple[list[list[Word]], list[Rect]]:
    pages, areas = [], []
    for number in range(len(doc)):
        page = doc[number]
        try:
            area = page_area(page)
            areas.append(area)
            pages.append([w for w in _page_words(page, number) if _inside(w.box, area)])
        finally:
            page.close()
    return pages, areas


def _page_words(page: pdfium.PdfPage, number: int) -> list[Word]:
    """The page's words in content order, split at whitespace and where the text jumps elsewhere on the page."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        if len(text) != count:  # characters outside the BMP: read one by one to keep indices aligned
            text = "".join(_char(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
        words: list[Word] = []
        for match in WORD_RE.finditer(text):
            start, end = match.span()
            gap = SPACE_RE.match(text, end)
            line_end = end == len(text) or "\r" in gap.group() or "\n" in gap.group()
            if textpage.count_rects(start, end - start) == 1:  # the common case, without a call per character
                left, _, right, _ = textpage.get_rect(0)
                _, bottom, _, top = textpage.get_charbox(start, loose=True)
                words.append(Word(match.group(), number, ((number, (left, bottom, right, top)),), line_end))
            else:
                words += _split_by_place(textpage, number, text, start, end, line_end)
        return words
    finally:
        textpage.close()


def _char(code: int) -> str:
    return chr(code) if 0 < code < 0x110000 else " "


def _split_by_place(
    textpage: pdfium.PdfTextPage, number: int, text: str, start: int, end: int, line_end: bool
) -> list[Word]:
    """A run of characters split where it jumps to another line or far along: PDFium may run two pieces together."""
    words: list[Word] = []
    chars: list[str] = []
    box: list[float] = []
    for index in range(start, end):
        char_box = textpage.get_charbox(index, loose=True)
        if chars and _jumps(box, char_box):
            words.append(Word("".join(chars), number, ((number, tuple(box)),), True))
            chars, box = [], []
        left, bottom, right, top = char_box
        box = (
            [left, bottom, right, top]
            if not box
            else [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
        )
        chars.append(text[index])
    words.append(Word("".join(chars), number, ((number, tuple(box)),), line_end))
    return words


def _jumps(box: list[float], char: Rect) -> bool:
    """A character off the word's line, or far from it along the line, starts a new word."""
    if char[3] - char[1] <= 0:
        return False
    height = box[3] - box[1]
    middle = (char[1] + char[3]) / 2
    return not box[1] <= middle <= box[3] or not box[0] - height <= char[0] <= box[2] + height


def _inside(box: Rect, area: Rect) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] <= x <= area[2] and area[1] <= y <= area[3]


def _lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped in lines: each following the last to the right, at the same height."""
    lines: list[list[Word]] = []
    for word in words:
        last = lines[-1][-1].box if lines else None
        if last is not None and word.box[0] >= last[0] and min(last[3], word.box[3]) - max(last[1], word.box[1]) > 0:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _edge_key(line: list[Word], area: Rect) -> str | None:
    """The line's text with numbers as '#', when the whole line sits in the band along the top or bottom edge."""
    band = (area[3] - area[1]) * FURNITURE_BAND
    if all(w.box[1] >= area[3] - band for w in line) or all(w.box[3] <= area[1] + band for w in line):
        return re.sub(r"\d+", "#", " ".join(w.key for w in line))
    return None


def _furniture_keys(pages: list[list[Word]], areas: list[Rect]) -> set[str]:
    """Edge lines found on two pages or more, and edge lines that are a number alone (folios)."""
    seen: dict[str, set[int]] = defaultdict(set)
    for number, words in enumerate(pages):
        for line in _lines(words):
            key = _edge_key(line, areas[number])
            if key is not None:
                seen[key].add(number)
    return {key for key, numbers in seen.items() if len(numbers) > 1 or key.strip("#. ") == ""}


def _split(pages: list[list[Word]], areas: list[Rect], keys: set[str]) -> PdfText:
    body: list[Word] = []
    furniture: list[list[Word]] = []
    for number, words in enumerate(pages):
        furniture.append([])
        for line in _lines(words):
            (furniture[-1] if _edge_key(line, areas[number]) in keys else body).extend(line)
    return PdfText(_join_hyphenated(body), furniture, areas)


def _join_hyphenated(words: list[Word]) -> list[Word]:
    """A word hyphenated at the end of a line (or page) joined with its second half: 'ques-' 'tions' -> 'questions'."""
    joined: list[Word] = []
    pending: Word | None = None
    for word in words:
        if pending is not None:
            head = pending.text[:-1] if pending.text[-1] in BREAK_HYPHENS else pending.text
            word = Word(head + word.text, pending.page, pending.places + word.places, word.line_end)
            pending = None
        if word.line_end and _hyphenated(word.text):
            pending = word
        else:
            joined.append(word)
    if pending is not None:
        joined.append(pending)
    return joined


def _hyphenated(text: str) -> bool:
    """A word ending in a hyphen after a letter: hyphenated at the end of its line."""
    return len(text) > 1 and (text[-1] in BREAK_HYPHENS or text[-1] == "-") and text[-2].isalpha()


def text_pages(document: pdfium.PdfDocument, count: int | None = None) -> Iterator[tuple[int, pdfium.PdfPage, Any]]:
    """The first `count` pages of `document` (all by default) with their text pages: (index, page, text page), each
    closed once the caller moves on."""
    for index in range(len(document) if count is None else min(count, len(document))):
        page = document[index]
        try:
            textpage = page.get_textpage()
            try:
                yield index, page, textpage
            finally:
                textpage.close()
        finally:
            page.close()
