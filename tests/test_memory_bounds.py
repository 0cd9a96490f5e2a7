"""Memory bounded by a page or a part, not by the issue: the finishers hold one page's parsed content at a time, set
the print pictures aside on disk past a bound, and leave a large finished file on disk for the build to move."""

from __future__ import annotations

import io
import weakref
from pathlib import Path

import pikepdf
import pytest

from helpers import copy_fixture, digests, run_cli
from issue_builder.base.pdf_files import open_pdf
from issue_builder.build import driver
from issue_builder.editions import colours, finishers
from issue_builder.editions.finishers import FINISHERS, EditionOptions, FinishJob
from issue_builder.editions.structure import repair_structure, structure_job
from issue_builder.layout.document import lay_out_issue
from issue_builder.prepare.issue import prepare_issue


class _Parsed(list):
    """A page's parsed instructions, as a list that can be watched (weakly referenced, by identity)."""

    __hash__ = object.__hash__
    __eq__ = object.__eq__


@pytest.mark.slow
def test_the_structure_repair_holds_one_page_parsed_at_a_time(tmp_path: Path, monkeypatch):
    issue = prepare_issue(copy_fixture("bulletin", tmp_path) / "7.yaml", {})
    layout = lay_out_issue(issue, tmp_path / "cache")
    parse = pikepdf.parse_content_stream
    alive: weakref.WeakSet = weakref.WeakSet()
    most, parsed = 0, 0

    def watched(page, *args):
        nonlocal most, parsed
        instructions = _Parsed(parse(page, *args))
        alive.add(instructions)
        most, parsed = max(most, len(alive)), parsed + 1
        return instructions

    monkeypatch.setattr(pikepdf, "parse_content_stream", watched)
    with open_pdf(layout.pdf) as pdf:
        findings = repair_structure(pdf, structure_job(issue, layout))
        pages = len(pdf.pages)
    assert not [f for f in findings if f.severity != "note"]
    assert pages > 2 and parsed >= pages  # every page read (and those rewritten read again) ...
    assert most == 1  # ... but never two pages' instructions held at once


def _finished_print(issue, layout, cache: Path) -> pikepdf.Pdf:
    edition = FINISHERS["print"].finish(layout.pdf, FinishJob(issue, layout, cache, EditionOptions()))
    return pikepdf.open(io.BytesIO(edition.pdf))


def _pictures_and_pages(pdf: pikepdf.Pdf) -> tuple[list, list]:
    """Each picture's bytes and colour, and each page's content."""
    pictures = sorted(
        (bytes(image.read_raw_bytes()), str(image.get("/ColorSpace")), repr(image.get("/Decode")))
        for page in pdf.pages
        for image in page.obj.Resources.get("/XObject", {}).values()
        if image.get("/Subtype") == "/Image"
    )
    contents = [page.obj.Contents for page in pdf.pages]
    streams = [list(c) if isinstance(c, pikepdf.Array) else [c] for c in contents]
    return pictures, [b"".join(s.read_bytes() for s in page) for page in streams]


@pytest.mark.slow
def test_the_print_pictures_are_set_aside_on_disk_past_a_bound_and_come_back_the_same(tmp_path: Path, monkeypatch):
    issue = prepare_issue(copy_fixture("quartier", tmp_path) / "3.yaml", {})
    cache = (tmp_path / "cache").resolve()
    layout = lay_out_issue(issue, cache)
    with _finished_print(issue, layout, cache) as whole:
        expected = _pictures_and_pages(whole)
    assert len({data for data, _, _ in expected[0]}) == 2  # the two photographs, each drawn where it is placed
    assert all(space == "/DeviceCMYK" for _, space, _ in expected[0])
    reopened = []
    open_pdf = pikepdf.open

    def watched(source, *args, **kwargs):
        if isinstance(source, Path) and source.name.startswith("pictures-"):
            reopened.append(source.name)
        return open_pdf(source, *args, **kwargs)

    monkeypatch.setattr(colours, "SPILL_BYTES", 1)  # every picture converted sets the document aside
    monkeypatch.setattr(pikepdf, "open", watched)
    with _finished_print(issue, layout, cache) as spilled:
        assert _pictures_and_pages(spilled) == expected
    assert reopened == ["pictures-1.pdf", "pictures-2.pdf"]  # the quartier's two photographs, one at a time


@pytest.mark.slow
def test_a_large_edition_is_moved_into_place_from_where_it_was_written(tmp_path: Path, capsys, monkeypatch):
    folder = copy_fixture("bulletin", tmp_path)
    small, large = tmp_path / "small", tmp_path / "large"
    assert run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(small)).exit_code == 0
    monkeypatch.setattr(finishers, "IN_MEMORY_BYTES", 0)  # every edition is large: left on disk, then moved
    result = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(large))
    assert result.exit_code == 0, result.stderr
    assert digests(large) == digests(small)
    assert digests(large / "web") == digests(small / "web")  # the web page's copy of the web PDF too
    assert not list((large / ".cache").glob(".*.tmp"))  # nothing left behind in the cache


@pytest.mark.slow
def test_a_large_edition_is_removed_when_the_build_fails(tmp_path: Path, capsys, monkeypatch):
    folder = copy_fixture("bulletin", tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(finishers, "IN_MEMORY_BYTES", 0)
    monkeypatch.setattr(driver, "edition_problems", lambda *_: ["a problem the test planted"])
    result = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(out))
    assert result.exit_code == 1 and "a problem the test planted" in result.stderr
    assert not list(out.glob("*.pdf")) and not list(out.glob(".*.tmp"))
    assert not list((out / ".cache").glob(".*.tmp"))
