"""The web edition's structure repair keeps what it read of each page, and each page's rewritten content, for the
next build: a page drawn alike is not read again, and the repaired file is the one a fresh repair writes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest

from helpers import copy_fixture, edit, kept_body, write_kept
from issue_builder.base.cache import cache_salt
from issue_builder.base.kept_bytes import KeptBytes
from issue_builder.base.marked_content import FontInfo, Show
from issue_builder.base.pdf_files import open_pdf
from issue_builder.editions import repair_pages, structure
from issue_builder.editions.repair_pages import PAGES_FILE, RepairPages
from issue_builder.editions.structure import REWRITTEN_FILE, repair_structure, structure_job
from issue_builder.layout.document import lay_out_issue
from issue_builder.prepare.issue import prepare_issue

FIXTURES = {"bulletin": "7.yaml", "gazette": "3.yaml"}


def _laid_out(folder: Path, name: str):
    issue = prepare_issue(folder / FIXTURES[name], {})
    return issue, lay_out_issue(issue, folder / "sections")


def _repaired(issue, layout, cache: Path | None, monkeypatch) -> tuple[bytes, int]:
    """The repaired file's bytes, and how many times a page's content was parsed."""
    parse, parsed = pikepdf.parse_content_stream, []

    def counted(page, *args):
        parsed.append(page)
        return parse(page, *args)

    monkeypatch.setattr(pikepdf, "parse_content_stream", counted)
    with open_pdf(layout.pdf) as pdf:
        repair_structure(pdf, structure_job(issue, layout), cache)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True, recompress_flate=False)
    monkeypatch.setattr(pikepdf, "parse_content_stream", parse)
    return out.getvalue(), len(parsed)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_a_repair_from_kept_pages_writes_what_a_fresh_one_writes(name: str, tmp_path: Path, monkeypatch):
    issue, layout = _laid_out(copy_fixture(name, tmp_path), name)
    fresh, _ = _repaired(issue, layout, None, monkeypatch)
    cache = tmp_path / "kept"
    first, read_first = _repaired(issue, layout, cache, monkeypatch)
    again, read_again = _repaired(issue, layout, cache, monkeypatch)
    assert first == fresh and again == fresh
    assert (cache / PAGES_FILE).is_file() and (cache / REWRITTEN_FILE).is_file()
    assert read_first > layout.pages  # every page read, and those with edits parsed again to be rewritten ...
    assert read_again == 0  # ... and nothing read or rewritten the second time


@pytest.mark.slow
def test_after_an_edit_only_the_pages_drawn_otherwise_are_read_and_the_file_is_a_fresh_repairs(
    tmp_path: Path, monkeypatch
):
    folder = copy_fixture("bulletin", tmp_path)
    issue, layout = _laid_out(folder, "bulletin")
    cache = tmp_path / "kept"
    _repaired(issue, layout, cache, monkeypatch)
    edit(folder / "7" / "articles" / "lease-law.md", "four months' notice", "four full months' notice")
    issue, layout = _laid_out(folder, "bulletin")
    fresh, _ = _repaired(issue, layout, None, monkeypatch)
    kept, read = _repaired(issue, layout, cache, monkeypatch)
    assert kept == fresh
    assert 0 < read < layout.pages  # the edited article's page, not the rest


@pytest.mark.slow
def test_a_page_drawn_alike_but_repaired_otherwise_is_rewritten_anew(tmp_path: Path, monkeypatch):
    issue, layout = _laid_out(copy_fixture("bulletin", tmp_path), "bulletin")
    cache = tmp_path / "kept"
    whole, _ = _repaired(issue, layout, cache, monkeypatch)
    # the same pages, repaired otherwise: of the words cut by a line end on a page, only the first made whole
    artifacts = structure._Repair.unreached_to_artifacts

    def first_words_only(self, document):
        for edits in self.edits:
            edits.wraps = dict(list(edits.wraps.items())[:1])
        artifacts(self, document)

    monkeypatch.setattr(structure._Repair, "unreached_to_artifacts", first_words_only)
    fresh, _ = _repaired(issue, layout, None, monkeypatch)
    kept, _ = _repaired(issue, layout, cache, monkeypatch)
    assert fresh != whole  # the bulletin has words cut by a line end
    assert kept == fresh


@pytest.mark.slow
@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data.replace(b'"pages": {"', b'"pages": {"x', 1),  # other keys
        lambda data: data.replace(b", [[", b", [[1e400, ", 1),  # rows of another shape
        lambda data: data.replace(cache_salt().encode(), b"other code", 1),  # kept by other code
        lambda data: b"[" * 100_000 + b"]" * 100_000,  # nested too deep
    ],
)
def test_kept_pages_damaged_or_of_another_shape_are_read_again(damage, tmp_path: Path, monkeypatch):
    issue, layout = _laid_out(copy_fixture("bulletin", tmp_path), "bulletin")
    fresh, _ = _repaired(issue, layout, None, monkeypatch)
    cache = tmp_path / "kept"
    _repaired(issue, layout, cache, monkeypatch)
    write_kept(cache / PAGES_FILE, damage(kept_body(cache / PAGES_FILE)))  # sealed: each entry must be refused
    again, read = _repaired(issue, layout, cache, monkeypatch)
    assert again == fresh
    assert read >= 1  # the pages kept damaged read again (all of them, or the one whose row is damaged)


def _show(chars: dict[int, str], data: bytes) -> Show:
    font = FontInfo("F", "/Type0", True, [(2, 0, 0xFFFF)], dict(chars))
    text = font.decode(data)[0]
    return Show.of(7, "TJ", font, [(0, data[:4]), (2, data[4:])], text, None)


@pytest.mark.parametrize(
    "chars",
    [
        {1: "a", 2: "b", 3: "c"},  # one character a glyph: kept without splitting
        {1: "f", 2: "\ufb01", 3: "fi"},  # a ligature standing for two characters
        {1: "a", 3: "c"},  # a glyph mapped to nothing
        {1: "a", 2: "\ufffd", 3: "c"},  # a glyph standing for U+FFFD itself
    ],
)
def test_a_kept_show_spells_its_glyphs_as_the_read_one_does(chars: dict[int, str]):
    show = _show(chars, bytes([0, 1, 0, 2, 0, 3, 0, 1, 0, 2]))
    kept = repair_pages.sequences_of(json.loads(json.dumps(_entry_of(show))))[4].shows[0]
    assert [g.text for g in kept.glyphs] == [g.text for g in show.glyphs]
    assert (kept.index, kept.form) == (7, None)


def _entry_of(show: Show) -> list:
    return [[4, 0, None, show.text, None, None, 9.0, [repair_pages._show_entry(show)]]]


def test_a_kept_show_whose_glyphs_do_not_spell_its_text_is_refused():
    entry = _entry_of(_show({1: "a", 2: "b", 3: "c"}, bytes([0, 1, 0, 2, 0, 3])))
    entry[0][7][0][4] += 1  # one glyph more than its text has characters
    with pytest.raises(ValueError):
        repair_pages.sequences_of(entry)


def test_a_page_showing_half_a_character_is_not_kept(tmp_path: Path):
    from issue_builder.base.marked_content import PageContent, Sequence

    sequence = Sequence("P", 0, None, None, 0)
    sequence.shows.append(_show({1: "\ud800"}, bytes([0, 1])))
    sequence.items.append(sequence.shows[0])
    content = PageContent(1, [sequence])
    pages = RepairPages(tmp_path / PAGES_FILE, {})
    pages.keep("page", content)
    assert pages.used == {}


def test_kept_bytes_come_back_whole_or_not_at_all(tmp_path: Path):
    path = tmp_path / "kept.bin"
    kept = KeptBytes.load(path)
    kept.keep("one", b"x" * 100)
    kept.save()
    assert KeptBytes.load(path).get("one") == b"x" * 100
    stored = path.read_bytes()
    flipped = stored[:-60] + bytes([stored[-60] ^ 1]) + stored[-59:]  # a byte of the kept bytes themselves
    for damaged in (stored[:-1], stored[:40], flipped, b""):
        path.write_bytes(damaged)
        assert KeptBytes.load(path).get("one") is None


def test_kept_bytes_keep_only_what_the_last_build_used(tmp_path: Path):
    path = tmp_path / "kept.bin"
    first = KeptBytes.load(path)
    first.keep("old", b"1")
    first.keep("both", b"2")
    first.save()
    second = KeptBytes.load(path)
    assert second.get("both") == b"2"
    second.keep("new", b"3")
    second.save()
    third = KeptBytes.load(path)
    assert (third.get("old"), third.get("both"), third.get("new")) == (None, b"2", b"3")


def test_a_rewritten_page_is_kept_by_every_edit_made_to_it():
    def key(retag=None, wraps=None) -> str | None:
        return structure._content_key("drawn", structure._Edits(retag or {}, wraps or {}))

    artifact = pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name.Header)
    footer = pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name.Footer)
    keys = [
        key(),
        key(retag={3: ("Artifact", artifact)}),
        key(retag={3: ("Artifact", footer)}),
        key(retag={4: ("Artifact", artifact)}),
        key(retag={3: ("Artifact", None)}),
        key(wraps={9: [(0, 3, "word")]}),
        key(wraps={9: [(0, 3, "ward")]}),
        key(wraps={9: [(0, 2, "word")]}),
        key(wraps={9: [(0, 3, "word"), (5, 6, " ")]}),
        key(wraps={8: [(0, 3, "word")]}),
    ]
    assert len(set(keys)) == len(keys)
    assert structure._content_key(None, structure._Edits()) is None  # a page with no digest is rewritten every time


@pytest.mark.parametrize(
    "damage",
    [
        lambda row: row.__setitem__(4, [float("nan"), 0, 1, 1]),  # a box no build writes
        lambda row: row.__setitem__(6, float("inf")),  # a size
        lambda row: row[7].__setitem__(0, [7, False, "x" * 70_000, [], 70_000]),  # longer than a line: memory
        lambda row: row[7][0].__setitem__(4, -1),  # a glyph count
        lambda row: row[7].extend([row[7][0]] * 1000),  # more shows than the first and the last
    ],
)
def test_a_kept_page_holding_what_no_reading_gives_is_refused(damage):
    entry = _entry_of(_show({1: "a", 2: "b", 3: "c"}, bytes([0, 1, 0, 2, 0, 3])))
    entry[0][4] = [0.0, 0.0, 10.0, 10.0]
    damage(entry[0])
    with pytest.raises((ValueError, TypeError)):
        repair_pages.sequences_of(json.loads(json.dumps(entry)))


def test_kept_rewritten_content_damaged_is_rewritten_again(tmp_path: Path, monkeypatch):
    issue, layout = _laid_out(copy_fixture("bulletin", tmp_path), "bulletin")
    fresh, _ = _repaired(issue, layout, None, monkeypatch)
    cache = tmp_path / "kept"
    _repaired(issue, layout, cache, monkeypatch)
    stored = (cache / REWRITTEN_FILE).read_bytes()
    (cache / REWRITTEN_FILE).write_bytes(stored[:-100] + bytes([stored[-100] ^ 1]) + stored[-99:])
    again, read = _repaired(issue, layout, cache, monkeypatch)
    assert again == fresh and read > 0  # every page with edits rewritten again


def test_an_entry_read_again_over_a_damaged_one_is_saved(tmp_path: Path):
    path = tmp_path / PAGES_FILE
    write_kept(path, json.dumps({"code": cache_salt(), "pages": {"page": [[0]]}}).encode())
    pages = RepairPages.load(path)
    assert pages.get("page") is None  # damaged: the page is read ...
    pages.used["page"] = []  # ... and kept again (a page with no marked content)
    pages.save()
    assert RepairPages.load(path).get("page") == {}
