"""The words and running-head checks read a page with PDFium once: a page drawn alike (content, resources, boxes) in
the file checked last time is taken from what that check kept, and reads as reading it gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from helpers import kept_body, write_kept
from issue_builder.base.cache import cache_salt
from issue_builder.checks import page_text
from issue_builder.checks.page_text import read_pages
from issue_builder.checks.running_heads import read_furniture
from issue_builder.checks.words import page_texts

WEB = "the-tenant-bulletin-7-web.pdf"
PRINT = "the-tenant-bulletin-7-print.pdf"


def _counting(monkeypatch) -> list[int]:
    """The page numbers PDFium loads from now on."""
    loaded: list[int] = []
    get = pypdfium2.PdfDocument.__getitem__

    def counted(self, n):
        loaded.append(n)
        return get(self, n)

    monkeypatch.setattr(pypdfium2.PdfDocument, "__getitem__", counted)
    return loaded


def _changed(source: Path, target: Path, change) -> Path:
    with pikepdf.open(source) as pdf:
        change(pdf)
        pdf.save(target)
    return target


@pytest.mark.parametrize("name", [WEB, PRINT])
def test_pages_read_once_read_as_reading_them_gives(name: str, rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    pdf, kept = rendered_bulletin / name, tmp_path / "kept.json"
    fresh = page_texts(pdf)
    loaded = _counting(monkeypatch)
    assert page_texts(pdf, kept) == fresh
    assert sorted(loaded) == list(range(len(fresh)))
    loaded.clear()
    assert page_texts(pdf, kept) == fresh and page_texts(pdf.read_bytes(), kept) == fresh
    assert loaded == []  # every page taken from what the first reading kept


def test_a_page_drawn_otherwise_is_read_again(rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    kept = tmp_path / "kept.json"
    page_texts(rendered_bulletin / WEB, kept)

    def retitle(pdf: pikepdf.Pdf) -> None:  # page 3's text, one word changed
        page = pdf.pages[2]
        data = page.obj.Contents.read_bytes()
        assert b"TJ" in data
        font = next(iter(page.obj.Resources.Font.keys()))
        page.obj.Contents = pdf.make_stream(data + f"\nBT {font} 9 Tf 20 20 Td (Added) Tj ET".encode())

    changed = _changed(rendered_bulletin / WEB, tmp_path / "changed.pdf", retitle)
    loaded = _counting(monkeypatch)
    texts = page_texts(changed, kept)
    assert loaded == [2]
    assert texts == page_texts(changed)


def test_a_page_whose_trim_moved_is_read_again(rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    kept = tmp_path / "kept.json"
    before = read_furniture(rendered_bulletin / WEB, 40, 40, kept)

    def lower_trim(pdf: pikepdf.Pdf) -> None:  # page 4's trim 40 points lower: its head band reads other lines
        box = [float(v) for v in pdf.pages[3].trimbox]
        pdf.pages[3].trimbox = [box[0], box[1] - 40, box[2], box[3] - 40]

    changed = _changed(rendered_bulletin / WEB, tmp_path / "changed.pdf", lower_trim)
    loaded = _counting(monkeypatch)
    after = read_furniture(changed, 40, 40, kept)
    assert loaded == [3]
    assert after == read_furniture(changed, 40, 40) and after[3] != before[3]
    loaded.clear()
    read_furniture(changed, 50, 40, kept)  # other margins: another reading, every page
    assert sorted(loaded) == list(range(len(before)))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data.replace(b'"pages": {"', b'"pages": {"x', 1),  # another key
        lambda data: data.replace(b'": ["', b'": [7, "', 1),  # a number among the texts
        lambda data: data.replace(b'": ["', b'": ["", "', 1),  # two texts where a page has one
        lambda data: data.replace(cache_salt().encode(), b"other code", 1),  # kept by other code
        lambda data: b"[" * 100_000 + b"]" * 100_000,  # nested too deep
    ],
)
def test_a_damaged_record_is_read_past(damage, rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    pdf, kept = rendered_bulletin / WEB, tmp_path / "kept.json"
    fresh = page_texts(pdf, kept)
    write_kept(kept, damage(kept_body(kept)))  # sealed: each entry must be refused by reading it
    loaded = _counting(monkeypatch)
    assert page_texts(pdf, kept) == fresh
    assert loaded  # the damaged part read again


def test_a_record_changed_after_it_was_written_is_not_read(rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    pdf, kept = rendered_bulletin / WEB, tmp_path / "kept.json"
    fresh = page_texts(pdf, kept)
    stored = kept.read_bytes()
    at = stored.index(b"e", stored.index(b'": ["'))  # a letter of the first page's text
    kept.write_bytes(stored[:at] + b"a" + stored[at + 1 :])  # changed, the seal not
    loaded = _counting(monkeypatch)
    assert page_texts(pdf, kept) == fresh
    assert sorted(loaded) == list(range(len(fresh)))


def test_a_file_qpdf_cannot_open_is_read_whole_and_nothing_kept(rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    kept = tmp_path / "kept.json"
    monkeypatch.setattr(page_text, "_page_keys", lambda pdf, what: None)
    assert page_texts(rendered_bulletin / WEB, kept) == page_texts(rendered_bulletin / WEB)
    assert not kept.exists()


def test_a_page_showing_half_a_character_is_not_kept(rendered_bulletin: Path, tmp_path: Path):
    kept = tmp_path / "kept.json"
    read = read_pages(rendered_bulletin / WEB, lambda page: ["\ud800"], 1, "halves", kept)
    assert read[0] == ["\ud800"]
    assert not kept.exists()  # nothing to keep


def test_every_page_is_read_without_a_record(rendered_bulletin: Path, tmp_path: Path, monkeypatch):
    shutil.copyfile(rendered_bulletin / WEB, tmp_path / "web.pdf")
    loaded = _counting(monkeypatch)
    texts = page_texts(tmp_path / "web.pdf")
    assert sorted(loaded) == list(range(len(texts)))
