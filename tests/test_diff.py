"""`issue-builder diff`: two rounds of the bulletin compared page by page, highlighted, and bad inputs refused."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from helpers import copy_fixture, page_texts
from issue_builder.cli import main
from issue_builder.editions.marks import SLUG_FONT
from issue_builder.proofing.diff import compare_pdfs, summary_lines

WEB = "the-tenant-bulletin-7-web.pdf"
# inserted into the first paragraph of the rent strike article (p. 3): its last lines move on to p. 4
EXTRA = (
    "Everyone in the towers knew the story of the broken boilers by heart, because every winter it was told "
    "again in the stairwells, in the laundry room and at the bus stop, and every winter the landlord promised "
    "that next year would be different."
)


@pytest.fixture(scope="module")
def rounds(rendered_bulletin: Path, tmp_path_factory) -> tuple[Path, Path]:
    """(round 1, round 2) web PDFs: round 2 has a longer paragraph on p. 3 and another badge picture on p. 6."""
    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("round2"))
    article = folder / "7" / "articles" / "rent-strike.md"
    text = article.read_text(encoding="utf-8")
    assert "stopped asking politely. " in text
    article.write_text(
        text.replace("stopped asking politely. ", f"stopped asking politely. {EXTRA} ", 1), encoding="utf-8"
    )
    badge = folder / "7" / "img" / "badge.png"
    with Image.open(badge) as picture:
        swapped = ImageOps.invert(picture.convert("RGB"))  # another picture of the same size
    swapped.save(badge)
    code = 0
    with contextlib.redirect_stderr(io.StringIO()) as err, contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["render", str(folder / "7.yaml"), "--out", str(folder / "out"), "--only", "web"])
        except SystemExit as exc:
            code = exc.code
    assert code == 0, err.getvalue()
    return rendered_bulletin / WEB, folder / "out" / WEB


def test_the_edited_page_is_changed_and_the_next_reflowed(cli, rounds):
    old, new = rounds
    before, after = page_texts(old), page_texts(new)
    assert len(before) == len(after) == 8
    # the edit really pushes text on to the next page, and no further
    assert "broken window" in before[2] and "broken window" not in after[2] and "broken window" in after[3]
    assert before[4:] == after[4:]

    result = cli("diff", str(old), str(new))
    assert result.exit_code == 1, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    words = len(EXTRA.split())
    assert f"p. 3: {words} words changed ({words} added): +“Everyone in the towers knew the …”" in lines
    assert "p. 4: text reflowed after an edit on p. 3 (same words, moved)" in lines
    assert "p. 6: changed visually (1 area, same words)" in lines
    assert "unchanged: p. 1-2, 5, 7-8" in lines
    assert "3 pages differ" in result.stderr


def test_json_gives_every_page_its_verdict(cli, rounds):
    result = cli("diff", *map(str, rounds), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["identical"] is False and data["old_pages"] == data["new_pages"] == 8
    statuses = [p["status"] for p in data["pages"]]
    assert statuses == [
        "unchanged",
        "unchanged",
        "changed",
        "reflowed",
        "unchanged",
        "visual",
        "unchanged",
        "unchanged",
    ]
    changed, reflowed, visual = data["pages"][2], data["pages"][3], data["pages"][5]
    assert (changed["added"], changed["removed"]) == (len(EXTRA.split()), 0)
    assert reflowed["reflowed_after"] == 3 and reflowed["changed"] == 0
    # the changed words sit in the lower part of p. 3 (the first paragraph), the swapped badge at the top of p. 6
    assert changed["word_rects"] and all(r[3] < 595.3 / 2 for r in changed["word_rects"])
    assert len(visual["visual_rects"]) == 1 and visual["visual_rects"][0][1] > 595.3 / 2


def test_the_same_file_twice_has_no_changes(cli, rendered_bulletin, tmp_path):
    copy = tmp_path / "round2.pdf"
    shutil.copyfile(rendered_bulletin / WEB, copy)
    result = cli("diff", str(rendered_bulletin / WEB), str(copy))
    assert result.exit_code == 0, result.stderr
    assert "no changes" in result.stdout
    assert result.stderr == ""


def _render(pdf: Path, number: int) -> Image.Image:
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return doc[number - 1].render(scale=50 / 72).to_pil().convert("RGB")
    finally:
        doc.close()


def test_the_highlighted_copy_marks_the_changed_pages_only(cli, rounds, tmp_path):
    old, new = rounds
    out = tmp_path / "marked.pdf"
    result = cli("diff", str(old), str(new), "--out", str(out))
    assert result.exit_code == 1, result.stderr
    with pikepdf.open(out) as pdf, pikepdf.open(new) as original:
        assert len(pdf.pages) == len(original.pages)
        drawn = {
            n + 1
            for n, page in enumerate(pdf.pages)
            if b"/IBDiffHighlight" in b"".join(c.read_bytes() for c in _contents(page))
        }
    assert drawn == {3, 4, 6}
    assert ImageChops.difference(_render(new, 1), _render(out, 1)).getbbox() is None
    marked, plain = _render(out, 3), _render(new, 3)
    box = ImageChops.difference(plain, marked).getbbox()
    assert box is not None and box[1] > plain.height / 2  # the highlight covers the edited paragraph
    # the changed words are tinted red: the marked page is redder than the plain one there
    (r1, _, b1), (r2, _, b2) = (ImageStat.Stat(im.crop(box)).sum for im in (marked, plain))
    assert r1 - b1 > r2 - b2
    # the same inputs give the same bytes
    again = tmp_path / "again.pdf"
    assert cli("diff", str(old), str(new), "--out", str(again)).exit_code == 1
    assert again.read_bytes() == out.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def _contents(page: pikepdf.Page) -> list[pikepdf.Stream]:
    contents = page.obj.Contents
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def test_pngs_show_old_and_new_side_by_side(cli, rounds, tmp_path):
    result = cli("diff", *map(str, rounds), "--png", str(tmp_path / "pngs"), "--quiet")
    assert result.exit_code == 1
    assert result.stdout == ""
    files = sorted(p.name for p in (tmp_path / "pngs").iterdir())
    assert files == ["page-003.png", "page-004.png", "page-006.png"]
    with Image.open(tmp_path / "pngs" / "page-003.png") as picture:
        assert picture.width > 1.9 * picture.height * 419.5 / 595.3


def test_added_and_removed_pages_are_named(cli, rendered_bulletin, tmp_path):
    shorter, longer = tmp_path / "shorter.pdf", tmp_path / "longer.pdf"
    with pikepdf.open(rendered_bulletin / WEB) as pdf:
        pdf.pages.append(pdf.pages[6])
        pdf.save(longer)
        del pdf.pages[7:]
        pdf.save(shorter)
    result = cli("diff", str(rendered_bulletin / WEB), str(longer))
    assert result.exit_code == 1
    assert "p. 9: new page (the old file has 8)" in result.stdout
    result = cli("diff", str(rendered_bulletin / WEB), str(shorter))
    assert result.exit_code == 1
    assert "old p. 8: removed (the new file has 7 pages)" in result.stdout
    assert "unchanged: p. 1-7" in result.stdout


def _two_page_pdf(path: Path, pages: list[list[str | tuple[float, str]]]) -> Path:
    """A PDF with the given lines of text on each page (from the top, or at a given height), drawn in that order,
    in a font that has the hyphen WeasyPrint hyphenates with."""
    if SLUG_FONT[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(SLUG_FONT[0], str(SLUG_FONT[1])))
    c = canvas.Canvas(str(path), pagesize=(300, 300), invariant=1, initialFontName=SLUG_FONT[0])
    for lines in pages:
        c.setFont(SLUG_FONT[0], 12)
        for n, line in enumerate(lines):
            y, text = line if isinstance(line, tuple) else (260 - 16 * n, line)
            c.drawString(20, y, text)
        c.showPage()
    c.save()
    return path


def test_words_pushed_to_the_next_page_are_reflowed_not_changed(tmp_path):
    old = _two_page_pdf(tmp_path / "old.pdf", [["one two three", "four five"], ["six seven"]])
    new = _two_page_pdf(tmp_path / "new.pdf", [["one two extra", "three four"], ["five six seven"]])
    comparison = compare_pdfs(old, new)
    assert [p.status for p in comparison.pages] == ["changed", "reflowed"]
    assert summary_lines(comparison) == [
        "p. 1: 1 word changed (1 added): +“extra”",
        "p. 2: text reflowed after an edit on p. 1 (same words, moved)",
    ]


def test_a_word_hyphenated_differently_is_not_a_change(tmp_path):
    old = _two_page_pdf(tmp_path / "old.pdf", [["asked for ques\u2010", "tions and more"]])
    new = _two_page_pdf(tmp_path / "new.pdf", [["asked for", "questions and more"]])
    comparison = compare_pdfs(old, new)
    assert comparison.pages[0].status == "reflowed" and comparison.pages[0].changed == 0
    replaced = compare_pdfs(old, _two_page_pdf(tmp_path / "other.pdf", [["asked for answers", "and more"]]))
    assert summary_lines(replaced)[0] == "p. 1: 1 word changed (1 added, 1 removed): +“answers” −“questions”"


@pytest.mark.parametrize("kind", ["missing", "not a pdf", "encrypted", "folder", "cut short"])
def test_unusable_inputs_exit_2_naming_the_file(cli, rendered_bulletin, tmp_path, kind):
    good = rendered_bulletin / WEB
    bad = tmp_path / "round1.pdf"
    expected = {
        "missing": "file not found",
        "not a pdf": "not a PDF file",
        "encrypted": "the file is encrypted with a password",
        "folder": "is a folder",
        "cut short": "not a readable PDF",
    }[kind]
    if kind == "not a pdf":
        bad.write_text("issue: 7\n")
    elif kind == "encrypted":
        with pikepdf.open(good) as pdf:
            pdf.save(bad, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    elif kind == "folder":
        bad.mkdir()
    elif kind == "cut short":
        bad.write_bytes(good.read_bytes()[:2000])
    for args in ((bad, good), (good, bad)):
        result = cli("diff", *map(str, args))
        assert result.exit_code == 2, result.stderr
        assert f"round1.pdf: {expected}" in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_out_may_not_overwrite_an_input(cli, rendered_bulletin):
    result = cli(
        "diff", str(rendered_bulletin / WEB), str(rendered_bulletin / WEB), "--out", str(rendered_bulletin / WEB)
    )
    assert result.exit_code == 2
    assert "is one of the files compared" in result.stderr


def test_removed_words_are_counted_and_marked_where_they_were(tmp_path):
    old = _two_page_pdf(tmp_path / "old.pdf", [["one two three four five six"]])
    new = _two_page_pdf(tmp_path / "new.pdf", [["one two five six"]])
    comparison = compare_pdfs(old, new)
    page = comparison.pages[0]
    assert summary_lines(comparison) == ["p. 1: 2 words changed (2 removed): −“three four”"]
    # a thin mark after "two" on the new page, the removed words' line boxed on the old page
    assert len(page.deletion_rects) == 1 and page.deletion_rects[0][2] - page.deletion_rects[0][0] < 2
    assert len(page.old_word_rects) == 1 and page.word_rects == []


def test_text_moved_past_a_footnote_is_reflowed_not_changed(tmp_path):
    # the footnote stays at the foot of p. 1 while the line above it moves to p. 2: in reading order the line and
    # the footnote change places, which a plain word diff would report as words removed on p. 1 and added on p. 2
    note = (20, "1. The survey form is on the website.")
    old = _two_page_pdf(
        tmp_path / "old.pdf",
        [["when the boilers failed", "the tenants stopped asking politely", note], ["and then they stopped paying"]],
    )
    new = _two_page_pdf(
        tmp_path / "new.pdf",
        [
            ["when the old boilers failed", note],
            ["the tenants stopped asking politely", "and then they stopped paying"],
        ],
    )
    comparison = compare_pdfs(old, new)
    assert summary_lines(comparison) == [
        "p. 1: 1 word changed (1 added): +“old”",
        "p. 2: text reflowed after an edit on p. 1 (same words, moved)",
    ]


def test_running_heads_and_folios_stay_out_of_the_text_flow(tmp_path):
    def page(number: int, *lines: str) -> list[str | tuple[float, str]]:
        return [
            *lines,
            (280, "THE TENANT BULLETIN · ISSUE 7"),
            (10, str(number)),
        ]  # drawn after the text, as WeasyPrint does

    old = _two_page_pdf(tmp_path / "old.pdf", [page(1, "one two three four", "five six seven"), page(2, "eight nine")])
    new = _two_page_pdf(
        tmp_path / "new.pdf", [page(1, "one two three extra"), page(2, "four five six seven", "eight nine")]
    )
    assert summary_lines(compare_pdfs(old, new)) == [
        "p. 1: 1 word changed (1 added): +“extra”",
        "p. 2: text reflowed after an edit on p. 1 (same words, moved)",
    ]
    # a change in a running head is still a change, told on its page
    fixed = _two_page_pdf(
        tmp_path / "fixed.pdf",
        [
            page(1, "one two three four", "five six seven"),
            [*page(2, "eight nine")[:1], (280, "THE TENANT BULLETIN · ISSUE 8"), (10, "2")],
        ],
    )
    assert summary_lines(compare_pdfs(old, fixed))[0] == "p. 2: 1 word changed (1 added, 1 removed): +“8” −“7”"
