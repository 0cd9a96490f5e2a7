"""Proof PDFs: a diagonal PROOF watermark and a slug on every page, and reader spreads."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pikepdf
from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from issue_builder.base.paths import FONTS_DIR
from issue_builder.editions.overlay import stamp_page

FONT = ("CharisSIL-Bold", FONTS_DIR / "charis-sil" / "CharisSIL-Bold.ttf")  # committed, so the proof embeds it
WATERMARK = Color(0.85, 0.1, 0.1, alpha=0.16)
SLUG_SIZE = 6.0
SLUG_BAND = SLUG_SIZE + 5
SPREAD_GAP = 0.0  # facing pages touch, as in the bound copy


@dataclass(frozen=True)
class ProofSlug:
    """What the slug of every proof page says, apart from its page number."""

    publication: str
    issue: int
    build: str  # short content hash of the inputs: two proofs of the same inputs carry the same id
    as_of: str  # when the newest input was changed (or SOURCE_DATE_EPOCH)
    round: str | None = None

    def text(self, page: int, pages: int, article: str | None) -> str:
        parts = [f"PROOF · {self.publication} · Issue {self.issue}"]
        if self.round:
            parts.append(f"round {self.round}")
        parts += [f"build {self.build}", f"content as of {self.as_of}", f"page {page} of {pages}"]
        if article:
            parts.append(article)
        return " · ".join(parts)


@contextmanager
def proof_stamped(pdf: pikepdf.Pdf, slug: ProofSlug, articles: dict[int, str] | None = None) -> Iterator[None]:
    """Draw the watermark and slug over every page of `pdf` (trimmed pages), in place; save `pdf` inside the
    block: the stamps' data is copied from their own document only as `pdf` is written."""
    articles = articles or {}
    sizes = [_size(page) for page in pdf.pages]
    texts = [slug.text(n, len(sizes), articles.get(n)) for n in range(1, len(sizes) + 1)]
    with pikepdf.open(io.BytesIO(_draw_stamps(sizes, texts))) as overlay:
        for number, page in enumerate(pdf.pages):
            box = [float(v) for v in page.mediabox]
            stamp_page(pdf, page, overlay.pages[number], (box[0], box[1]), f"IBProofStamp{number + 1}")
        pdf.docinfo["/Title"] = pikepdf.String(f"PROOF: {slug.publication}, Issue {slug.issue}")
        yield


def unstamped(data: bytes) -> bytes:
    """`data` without the proof stamps (the watermark and slug drawn by `proof_stamped`), for comparing rounds:
    the slug names the build, so every stamped page differs. Other PDFs come back as they are."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            names = [
                n for n in page.obj.get("/Resources", {}).get("/XObject", {}).keys() if n.startswith("/IBProofStamp")
            ]
            contents = page.obj.get("/Contents")
            if not names or not isinstance(contents, pikepdf.Array) or len(contents) < 3:
                continue
            first, last = contents[0].read_bytes(), contents[len(contents) - 1].read_bytes()
            if first == b"q\n" and any(n.encode() in last for n in names):
                page.obj.Contents = pikepdf.Array(list(contents)[1:-1])
                for name in names:
                    del page.obj.Resources.XObject[name]
        return save_pdf(pdf)


def reader_spreads(pdf: pikepdf.Pdf) -> tuple[bytes, int]:
    """The pages of `pdf` side by side as a reader sees them, and the number of sheets: the cover alone on the
    right, then 2-3, 4-5, ... and the back cover alone on the left when the page count is even."""
    with pikepdf.new() as out:
        count = len(pdf.pages)
        spreads = [(None, 0)] + [(i, i + 1 if i + 1 < count else None) for i in range(1, count, 2)]
        for number, (left, right) in enumerate(spreads, start=1):
            width, height = _size(pdf.pages[right if right is not None else left])
            sheet = out.add_blank_page(page_size=(2 * width + SPREAD_GAP, height))
            for index, x in ((left, 0.0), (right, width + SPREAD_GAP)):
                if index is None:
                    continue
                box = [float(v) for v in pdf.pages[index].mediabox]
                form = out.copy_foreign(pdf.pages[index].as_form_xobject())
                name = f"IBSpread{number}{'L' if x == 0 else 'R'}"
                sheet.obj.Resources.XObject = sheet.obj.Resources.get("/XObject", pikepdf.Dictionary())
                sheet.obj.Resources.XObject[f"/{name}"] = form
                sheet.contents_add(
                    out.make_stream(f"q 1 0 0 1 {x - box[0]:.4f} {-box[1]:.4f} cm /{name} Do Q\n".encode())
                )
        out.docinfo["/Title"] = pdf.docinfo.get("/Title", pikepdf.String("Proof"))
        out.Root.PageLayout = pikepdf.Name.SinglePage
        return save_pdf(out), len(spreads)


def _size(page: pikepdf.Page) -> tuple[float, float]:
    box = [float(v) for v in page.mediabox]
    return box[2] - box[0], box[3] - box[1]


def _draw_stamps(sizes: list[tuple[float, float]], texts: list[str]) -> bytes:
    if FONT[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT[0], str(FONT[1])))
    buffer = io.BytesIO()
    c = canvas.Canvas(
        buffer, pagesize=sizes[0], invariant=1, pageCompression=1, initialFontName=FONT[0], initialFontSize=SLUG_SIZE
    )
    for (width, height), text in zip(sizes, texts, strict=False):
        c.setPageSize((width, height))
        c.saveState()
        c.translate(width / 2, height / 2)
        c.rotate(math.degrees(math.atan2(height, width)))
        size = math.hypot(width, height) / 4.2  # the word spans about two thirds of the diagonal
        c.setFont(FONT[0], size)
        c.setFillColor(WATERMARK)
        c.drawCentredString(0, -size * 0.35, "PROOF")
        c.restoreState()
        c.setFillColor(Color(1, 1, 1, alpha=0.85))
        c.rect(0, height - SLUG_BAND, width, SLUG_BAND, stroke=0, fill=1)
        c.setFillColor(Color(0.75, 0.05, 0.05))
        font_size = SLUG_SIZE
        while font_size > 3 and pdfmetrics.stringWidth(text, FONT[0], font_size) > width - 12:
            font_size -= 0.25
        c.setFont(FONT[0], font_size)
        c.drawString(6, height - SLUG_BAND + 3, text)
        c.showPage()
    c.save()
    return buffer.getvalue()


def save_pdf(pdf: pikepdf.Pdf) -> bytes:
    """`pdf` as reproducible bytes."""
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, compress_streams=True, recompress_flate=False)
    return out.getvalue()
