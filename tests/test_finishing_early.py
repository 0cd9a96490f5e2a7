"""The finishing work after layout made cheaper: colour conversion that leaves unread the content with nothing to
convert, and each edition checked as soon as it is finished, while the others are still being finished."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from helpers import copy_fixture, digests, run_cli
from issue_builder.base.paths import DEFAULT_CMYK_PROFILE
from issue_builder.build import driver
from issue_builder.editions import colours
from issue_builder.editions.colours import CmykConverter, RgbConverter, convert_pdf
from issue_builder.editions.finishers import EditionOptions
from issue_builder.editions.render import render_issue
from issue_builder.layout.laid_out import Layout
from issue_builder.prepare.issue import prepare_issue


def _document(*contents: bytes) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    for content in contents:
        pdf.add_blank_page(page_size=(100, 100))
        pdf.pages[-1].obj.Contents = pdf.make_stream(content)
    return pdf


def _saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


CONTENTS = (
    b"0 0 0 1 k 0 0 10 10 re f",  # CMYK black: converted for the screen
    b"1 0 0 rg 0 0 10 10 re f",  # RGB only: nothing for the screen to convert
    b"BT /F1 12 Tf (a k b) Tj ET 0 0 1 rg 5 5 m 9 9 l S",  # the letter k in a string: read, left as it is
    b"/CS0 cs 0.1 0.2 0.3 0.4 sc 0 0 10 10 re f",  # a colour space named in the resources
    b"q 1 0 0 1 0 0 cm 0 0 0 0.5 K 0.5 w 0 0 m 10 10 l S Q",  # a stroke colour
)


@pytest.mark.parametrize("converter", [RgbConverter(), None], ids=["screen", "print"])
def test_content_with_nothing_to_convert_comes_out_as_if_it_had_been_read(converter, monkeypatch):
    if converter is None:
        converter = CmykConverter(DEFAULT_CMYK_PROFILE.read_bytes(), "relative-colorimetric")
    skipping = _document(*CONTENTS)
    for page in skipping.pages[3:4]:
        page.obj.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Name.DeviceCMYK))
    convert_pdf(skipping, converter)
    reading = _document(*CONTENTS)
    for page in reading.pages[3:4]:
        page.obj.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Name.DeviceCMYK))
    monkeypatch.setattr(colours, "_may_set_colour", lambda *_: True)
    convert_pdf(reading, converter)
    assert _saved(skipping) == _saved(reading)


def test_the_screen_conversion_leaves_rgb_content_unread_and_converts_cmyk():
    pdf = _document(*CONTENTS)
    pdf.pages[3].obj.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Name.DeviceCMYK))
    before = [page.obj.Contents.objgen for page in pdf.pages]
    convert_pdf(pdf, RgbConverter())
    after = [page.obj.Contents.objgen for page in pdf.pages]
    assert [b == a for b, a in zip(before, after, strict=True)] == [False, True, True, False, False]
    assert b"0.0000 0.0000 0.0000 rg" in pdf.pages[0].obj.Contents.read_bytes()
    assert pdf.pages[1].obj.Contents.read_bytes() == CONTENTS[1]
    assert b"0.5000 0.5000 0.5000 RG" in pdf.pages[4].obj.Contents.read_bytes()


def test_content_split_over_streams_is_read_whole_for_its_operators():
    pdf = _document(b"0 0 0 1")
    pdf.pages[0].obj.Contents = pikepdf.Array([pdf.make_stream(b"0 0 0 1"), pdf.make_stream(b"k 0 0 9 9 re f")])
    convert_pdf(pdf, RgbConverter())
    assert b"0.0000 0.0000 0.0000 rg" in pdf.pages[0].obj.Contents.read_bytes()


def test_the_layout_and_each_edition_are_handed_on_as_soon_as_they_are_ready(tmp_path: Path):
    folder = copy_fixture("bulletin", tmp_path)
    issue = prepare_issue(folder / "7.yaml")
    handed: list = []
    rendered = render_issue(issue, ("print", "web"), tmp_path / "cache", EditionOptions(), ready=handed.append)
    assert isinstance(handed[0], Layout) and handed[0].pdf == b"" and handed[0].pages == rendered.layout.pages
    assert sorted(e.name for e in handed[1:]) == ["print", "web"]  # in the order they were finished
    by_name = {e.name: e for e in handed[1:]}
    assert [by_name[e.name].contents() for e in rendered.editions] == [e.contents() for e in rendered.editions]
    plain = render_issue(issue, ("print", "web"), tmp_path / "cache", EditionOptions())
    assert [e.contents() for e in plain.editions] == [e.contents() for e in rendered.editions]


@pytest.mark.slow
def test_a_check_that_fails_on_the_early_edition_still_fails_the_build(tmp_path: Path, capsys, monkeypatch):
    folder = copy_fixture("bulletin", tmp_path)
    out = tmp_path / "out"
    good = tmp_path / "good"
    assert run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(good)).exit_code == 0
    checks = driver.edition_problems
    monkeypatch.setattr(
        driver,
        "edition_problems",
        lambda path, edition, *rest: ["planted"] if edition.name == "print" else checks(path, edition, *rest),
    )
    result = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(out))
    assert result.exit_code == 1 and "planted" in result.stderr and "print.pdf failed its checks" in result.stderr
    assert not list(out.glob("*.pdf"))
    monkeypatch.setattr(driver, "edition_problems", checks)
    assert run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(out)).exit_code == 0
    assert digests(out) == digests(good)


def test_the_build_process_reads_the_render_without_loading_weasyprint(tmp_path):
    """What the render process sends back is read in the build's own process without importing the layout code:
    loading WeasyPrint there cost every build half a second after its editions were finished."""
    folder = copy_fixture("bulletin", tmp_path)
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('weasyprint loaded:', 'weasyprint' in sys.modules))\n"
        "from issue_builder.cli import main\n"
        f"main(['render', {str(folder / '7.yaml')!r}, '--out', {str(tmp_path / 'out')!r}, '-q'])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "weasyprint loaded: False" in done.stdout
    assert (tmp_path / "out" / "the-tenant-bulletin-7-web.pdf").is_file()
