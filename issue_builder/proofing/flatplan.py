"""The flatplan: every rendered page as a labelled thumbnail in reader spreads, as PNG, one-page PDF and table."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pypdfium2
from PIL import Image

from issue_builder.proofing.flatplan_canvas import PNG_SCALE, Canvas, PdfCanvas, PngCanvas

Kind = Literal["cover", "contents", "article", "fill", "back"]
KIND_TEXT = {"cover": "Front cover", "contents": "Contents", "fill": "Fill page", "back": "Back cover"}
TABLEAU = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
NO_SECTION, INK, MUTED, EDGE, SHORT = "#8c8c8c", "#1a1a1a", "#707070", "#b4b4b4", "#d21f1b"
THUMB_W, SPREAD_GAP, ROW_GAP, MARGIN, HEADER, LEGEND_W, LEGEND_H = 90.0, 20.0, 14.0, 24.0, 40.0, 110.0, 12.0
BAND, FOLIO_SIZE, TITLE_SIZE, LABEL_H = 4.0, 8.0, 7.0, 30.0


@dataclass(frozen=True)
class PageLabel:
    """What one page of the issue carries."""

    number: int
    folio: str
    article: str | None
    section: str | None
    kind: Kind
    starts: bool = False  # an article begins on this page
    fill: int | None = None  # percent of the text area full, on a body page of an article
    ends: str | None = None  # the article that ends on this page, where `article` runs on after it

    @property
    def caption(self) -> str:
        if self.ends:  # the article that opens on the page first: the one that ends is named on the page before
            return f"{self.article} (after {self.ends})"
        return self.article or KIND_TEXT[self.kind]


def page_labels(
    pages: int,
    articles: Sequence[tuple[str, str, str | None]],
    starts: Mapping[str, int],
    fill_pages: int,
    fills: Sequence[int | None] = (),
    run_on: Collection[str] = (),
) -> list[PageLabel]:
    """Label every page from plain facts of a render: articles as (id, title, section) in manifest order, their
    first pages, the fill page count, and how full each page is (percent, None where it is not a body page; as the
    layout measured it). Page 1 is the cover, the contents run until the first article, each article runs until the
    next one starts (or on the page it starts, for the articles in `run_on`: ids of those that run on), the fill
    pages come right before the back cover, which is the last page."""
    runs = sorted(
        ((starts[i], n, title, section, i in run_on) for n, (i, title, section) in enumerate(articles) if i in starts)
    )
    labels = []
    for number in range(1, pages + 1):
        kind: Kind = "contents"
        article = section = ends = None
        first = False
        if number == 1:
            kind = "cover"
        elif number == pages:
            kind = "back"
        elif number >= pages - fill_pages:
            kind = "fill"
        else:
            for start, _, title, sec, runs_on in runs:  # the last article started by this page runs on it
                if start <= number:
                    ends = article if start == number and runs_on and article != title else None
                    kind, article, section, first = "article", title, sec, start == number
        fill = fills[number - 1] if number <= len(fills) and kind == "article" else None
        labels.append(PageLabel(number, str(number), article, section, kind, first, fill, ends))
    return labels


def spreads(pages: int) -> list[tuple[int | None, int | None]]:
    """(left, right) page numbers as a reader sees them: the cover alone on the right, then 2-3, 4-5, ..."""
    result: list[tuple[int | None, int | None]] = [(None, 1)] if pages else []
    for left in range(2, pages + 1, 2):
        result.append((left, left + 1 if left + 1 <= pages else None))
    return result


def section_colours(labels: Sequence[PageLabel]) -> dict[str, str]:
    """A colour per section, in the order the sections first appear: the same issue gets the same colours."""
    names = list(dict.fromkeys(label.section for label in labels if label.section))
    colours = {}
    for index, name in enumerate(names):
        if index < len(TABLEAU):
            colours[name] = TABLEAU[index]
        else:  # golden-angle hues keep further sections apart
            r, g, b = colorsys.hls_to_rgb((index * 0.618034) % 1.0, 0.5, 0.55)
            colours[name] = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
    return colours


def article_page_counts(labels: Sequence[PageLabel]) -> dict[int, int]:
    """Pages of each article run, keyed by the page it starts on."""
    counts: dict[int, int] = {}
    start = None
    for label in labels:
        if label.kind != "article":
            start = None
            continue
        if label.starts and label.ends and start is not None:  # the page it ends on counts for the one before too
            counts[start] += 1
        if label.starts or start is None:
            start = label.number
        counts[start] = counts.get(start, 0) + 1
    return counts


def spread_name(left: int | None, right: int | None) -> str:
    return "-".join(str(p) for p in (left, right) if p is not None)


def table_rows(labels: Sequence[PageLabel]) -> list[tuple[str, str, str, str, str, str, str]]:
    """One row per page: spread, page, folio, article (or what the page is), section, pages of the article run,
    how full the page is (body pages)."""
    by_number = {label.number: label for label in labels}
    counts = article_page_counts(labels)
    rows = []
    for left, right in spreads(len(labels)):
        for number in (left, right):
            if number is None:
                continue
            label = by_number[number]
            pages = str(counts[number]) if number in counts else ""
            fill = f"{label.fill}%" if label.fill is not None else ""
            rows.append(
                (spread_name(left, right), str(number), label.folio, label.caption, label.section or "", pages, fill)
            )
    return rows


def print_table(labels: Sequence[PageLabel], console, title: str, plain: bool, min_fill: int | None = None) -> None:
    """The flatplan as a rich table on a terminal (fills under `min_fill` percent in red), or tab-separated lines
    (with a header) for scripts."""
    rows = table_rows(labels)
    header = ("spread", "page", "folio", "article", "section", "pages", "fill")
    if plain:
        console.file.write("".join("\t".join(row) + "\n" for row in [header, *rows]))  # print() expands tabs
        console.file.flush()
        return
    from rich.table import Table
    from rich.text import Text

    colours = section_colours(labels)
    by_number = {label.number: label for label in labels}
    table = Table(title=title, title_justify="left")
    widths = [max(len(text) for text in column) for column in zip(header, *rows, strict=False)]
    widths[3] = max(16, console.width - (sum(widths) - widths[3]) - 3 * len(header) - 1)  # titles give way
    for name, width in zip(header, widths, strict=False):
        table.add_column(
            name,
            justify="right" if name in ("page", "folio", "pages", "fill") else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=width,
        )
    for index, row in enumerate(rows):
        label = by_number[int(row[1])]
        first_of_spread = index == 0 or rows[index - 1][0] != row[0]
        last_of_spread = index + 1 == len(rows) or rows[index + 1][0] != row[0]
        article = Text(row[3], style="dim" if label.kind == "article" and not label.starts else "")
        section = Text(row[4], style=colours.get(row[4], ""))
        short = label.fill is not None and min_fill is not None and label.fill < min_fill
        fill = Text(row[6], style="bold red" if short else "")
        table.add_row(
            row[0] if first_of_spread else "",
            row[1],
            row[2],
            article,
            section,
            row[5],
            fill,
            end_section=last_of_spread,
        )
    console.print(table)


def flatplan_json(labels: Sequence[PageLabel], title: str, min_fill: int) -> dict:
    """The flatplan as data: every page in reading order with its spread, what it carries and how full it is
    (`fill`: percent of the text area, null where it is not a body page; `underfilled`: under `min_fill`)."""
    by_number = {label.number: label for label in labels}
    counts = article_page_counts(labels)
    pages = []
    for left, right in spreads(len(labels)):
        for number in (left, right):
            if number is None:
                continue
            label = by_number[number]
            pages.append(
                {
                    "page": number,
                    "folio": label.folio,
                    "spread": spread_name(left, right),
                    "kind": label.kind,
                    "article": label.article,
                    "section": label.section,
                    "starts": label.starts,
                    "ends": label.ends,
                    "article_pages": counts.get(number),
                    "fill": label.fill,
                    "underfilled": label.fill is not None and label.fill < min_fill,
                }
            )
    return {"title": title, "min_fill": min_fill, "pages": pages}


class Flatplan:
    """The drawing of an issue's pages: thumbnails rasterised from the (trimmed) PDF, laid out in reader spreads;
    body pages under `min_fill` percent full framed in red, with their fill beside the folio."""

    def __init__(self, pdf: bytes, labels: Sequence[PageLabel], title: str, min_fill: int | None = None):
        self.labels, self.title, self.min_fill = list(labels), title, min_fill
        self.thumbs, self.page_size = _rasterise(pdf, THUMB_W * PNG_SCALE)
        if len(self.thumbs) != len(self.labels):
            raise ValueError(f"{len(self.labels)} page labels for a PDF of {len(self.thumbs)} pages")
        self.colours = section_colours(self.labels)
        self.spreads = spreads(len(self.labels))
        self.columns = max(1, math.ceil(len(self.spreads) / max(1, round(math.sqrt(len(self.spreads) / 1.6)))))
        self.rows = math.ceil(len(self.spreads) / self.columns)
        self.thumb_h = THUMB_W * self.page_size[1] / self.page_size[0]
        self.width = 2 * MARGIN + self.columns * 2 * THUMB_W + (self.columns - 1) * SPREAD_GAP
        self.legend = list(self.colours.items())
        if any(label.kind == "article" and label.section is None for label in self.labels):
            self.legend.append(("no section", NO_SECTION))
        self.legend_columns = max(1, int((self.width - 2 * MARGIN) // LEGEND_W))
        legend_rows = math.ceil(len(self.legend) / self.legend_columns)
        self.height = (
            2 * MARGIN
            + HEADER
            + self.rows * (self.thumb_h + LABEL_H)
            + (self.rows - 1) * ROW_GAP
            + 10
            + legend_rows * LEGEND_H
        )

    def page_boxes(self) -> dict[int, tuple[float, float, float, float]]:
        """(x, y, width, height) of every page's thumbnail in points from the top left."""
        boxes = {}
        for index, (left, right) in enumerate(self.spreads):
            row, column = divmod(index, self.columns)
            x = MARGIN + column * (2 * THUMB_W + SPREAD_GAP)
            y = MARGIN + HEADER + row * (self.thumb_h + LABEL_H + ROW_GAP)
            for offset, number in ((0, left), (THUMB_W, right)):
                if number is not None:
                    boxes[number] = (x + offset, y, THUMB_W, self.thumb_h)
        return boxes

    def _ops(self, canvas: Canvas) -> None:
        """Everything drawn, in reading order, on either canvas."""
        articles = sum(label.starts for label in self.labels)
        boxes = self.page_boxes()
        canvas.text(MARGIN, MARGIN + 14, f"{self.title}: flatplan", 14, True, INK, self.width - 2 * MARGIN)
        canvas.text(
            MARGIN,
            MARGIN + 28,
            f"{len(self.labels)} pages in {len(self.spreads)} reader spreads, {articles} articles",
            8,
            False,
            MUTED,
            self.width - 2 * MARGIN,
        )
        for label in self.labels:
            x, y, w, h = boxes[label.number]
            canvas.image(label.number - 1, x, y, w, h)
            short = label.fill is not None and self.min_fill is not None and label.fill < self.min_fill
            canvas.rect(x, y, w, h, None, SHORT if short else EDGE)
            if label.kind == "article":
                canvas.rect(x + 1, y + h + 2, w - 2, BAND, self.colours.get(label.section or "", NO_SECTION), None)
            line = label.folio if label.section is None else f"{label.folio}  ·  {label.section}"
            baseline = y + h + BAND + 12
            used = canvas.text(x + 2, baseline, line, FOLIO_SIZE, True, INK, w - 4)
            if short:
                canvas.text(x + 6 + used, baseline, f"{label.fill}% full", FOLIO_SIZE, True, SHORT, w - 8 - used)
            ink = INK if label.starts or label.kind != "article" else MUTED
            canvas.text(x + 2, y + h + BAND + 21, label.caption, TITLE_SIZE, False, ink, w - 4)
        top = self.height - MARGIN - math.ceil(len(self.legend) / self.legend_columns) * LEGEND_H
        for index, (name, colour) in enumerate(self.legend):
            row, column = divmod(index, self.legend_columns)
            x, y = MARGIN + column * LEGEND_W, top + (row + 1) * LEGEND_H - 4
            canvas.rect(x, y - 7, 14, 7, colour, None)
            canvas.text(x + 18, y, name, FOLIO_SIZE, False, INK, LEGEND_W - 24)

    def png(self) -> bytes:
        """The flatplan as PNG bytes (same input, same bytes: no time chunk)."""
        canvas = PngCanvas(self.width, self.height, self.thumbs)
        self._ops(canvas)
        return canvas.finish()

    def pdf(self) -> bytes:
        """The flatplan as a one-page PDF: vector labels, thumbnails as JPEG images (invariant bytes)."""
        canvas = PdfCanvas(self.width, self.height, self.thumbs, f"{self.title}: flatplan")
        self._ops(canvas)
        return canvas.finish()


def _rasterise(pdf: bytes, width_px: float) -> tuple[list[Image.Image], tuple[float, float]]:
    """Every page cut to its TrimBox, rendered `width_px` wide; and the trimmed size of the first page in points."""
    document = pypdfium2.PdfDocument(pdf)
    thumbs, size = [], (1.0, 1.0)
    try:
        for index in range(len(document)):
            page = document[index]
            c0, c1, c2, c3 = page.get_cropbox()
            t0, t1, t2, t3 = page.get_trimbox()
            crop = (max(0.0, t0 - c0), max(0.0, t1 - c1), max(0.0, c2 - t2), max(0.0, c3 - t3))
            trim_w, trim_h = (c2 - c0) - crop[0] - crop[2], (c3 - c1) - crop[1] - crop[3]
            if index == 0:
                size = (trim_w, trim_h)
            # twice the size, then reduced: sharper small text, and pdfium's one-pixel seams between
            # transparent boxes (seen on covers at some scales) fade out
            thumb = page.render(scale=2 * width_px / trim_w, crop=crop).to_pil().convert("RGB")
            thumbs.append(thumb.resize((round(width_px), round(width_px * size[1] / size[0])), Image.LANCZOS))
            page.close()
    finally:
        document.close()
    return thumbs, size
