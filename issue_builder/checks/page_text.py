"""The text PDFium reads from each page of a PDF; with a record, a page drawn alike in the file read last time (the
same content and resources, base/pdf_digest.py, pictures by their dictionaries, and the same boxes) is taken from
what that reading kept."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from issue_builder.base.kept_json import KeptJson
from issue_builder.base.pdf_digest import PageDigests
from issue_builder.base.stored import typed

PAGES_A_READING = 16  # PDFium keeps what it parsed (fonts, images) as long as the document is open: reopened
BOXES = ("/MediaBox", "/CropBox", "/TrimBox", "/BleedBox", "/ArtBox", "/Rotate", "/UserUnit")  # where PDFium reads


def record_path(cache_dir: Path, reading: str, edition: str) -> Path:
    """Where the pages of one edition's file read one way are kept between builds (one file each: the checks of
    several editions run side by side)."""
    return cache_dir / f"page-{reading}-{edition}.json"


def read_pages(
    pdf: Path | bytes, read: Callable[[pdfium.PdfPage], list[str]], width: int, what: str, kept: Path | None = None
) -> list[list[str]]:
    """What `read` gives for each page of `pdf` (`width` texts a page), read PAGES_A_READING pages to an opening of
    the document (what PDFium keeps of the pages it parsed grows with the file, and a print edition holds hundreds of
    megabytes of pictures). With `kept` (a record file), pages drawn alike and read alike (`what` names the reading
    and all it depends on besides the page) are taken from it, and it is replaced with this file's pages."""
    keys = _page_keys(pdf, what) if kept is not None else None
    record = _Record.load(kept if keys is not None else None)
    record.width = width
    found: list[list[str] | None] | None = [record.get(k) if k else None for k in keys] if keys is not None else None
    while found is None or None in found:
        document = pdfium.PdfDocument(pdf)
        try:
            if found is None or len(found) != len(document):  # no keys, or a damaged file read otherwise by qpdf
                keys, found = None, [None] * len(document)
            for n in [n for n, texts in enumerate(found) if texts is None][:PAGES_A_READING]:
                page = document[n]
                try:
                    found[n] = read(page)
                finally:
                    page.close()
                if keys is not None and keys[n] is not None:
                    record.keep(keys[n], found[n])
        finally:
            document.close()
    if keys is not None:
        record.save()
    return found  # type: ignore[return-value]


def _page_keys(pdf: Path | bytes, what: str) -> list[str | None] | None:
    """Each page's key: its digest, its boxes and `what`; None for all when the file cannot be opened here."""
    try:
        with pikepdf.open(pdf if isinstance(pdf, Path) else io.BytesIO(pdf)) as opened:
            digests = PageDigests(opened, pictures=False)  # no picture's data makes text
            keys: list[str | None] = []
            for page in opened.pages:
                drawn = digests.page(page.obj)
                keys.append(None if drawn is None else f"{what}\0{drawn}\0{_boxes(page.obj)}")
            return keys
    except (pikepdf.PdfError, OSError, ValueError, TypeError, RecursionError):
        return None


def _boxes(page: pikepdf.Dictionary) -> str:
    """The page's boxes, rotation and unit as written (qpdf moves those a page inherits onto the page)."""
    found = (page.get(key) for key in BOXES)
    return "\0".join(
        v.unparse(resolved=True).decode("latin-1") if isinstance(v, pikepdf.Object) else repr(v) for v in found
    )


class _Record(KeptJson):
    """The texts read of each page, by key: `width` of them a page."""

    width = 1

    def read(self, stored: list) -> list[str]:
        texts = [typed(text, str) for text in typed(stored, list)]
        if len(texts) != self.width:
            raise ValueError(f"{self.width} texts a page expected")
        return texts

    def write(self, value: list[str]) -> list[str]:
        return value
