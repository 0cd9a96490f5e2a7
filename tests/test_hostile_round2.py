"""Hardening, round two (issue 20, what was left open): no word of an article lost on the way to a PDF, unclosed
raw HTML and markup-dense Markdown refused with their line, file reads bounded, and the lower items of item 9."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
import signal
from collections import Counter
from pathlib import Path

import pikepdf
import pytest

from helpers import FIXTURES, edit, line_of, page_texts, squeeze, start_watch
from issue_builder.base.diagnostics import RenderError
from issue_builder.base.paths import FONTS_DIR
from issue_builder.checks.words import PrintedWords, words
from issue_builder.editions import xmp
from issue_builder.editions.finishers import FINISHERS
from issue_builder.prepare.markdown import MAX_DELIMITERS, MAX_LINES, MAX_MARKUP

GPL = Path("/usr/share/common-licenses/GPL-3")
LEASE = "7/articles/lease-law.md"


def render(cli, bulletin: Path, *more: str):
    return cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), *more)


# -- item 1: the read-back word check ---------------------------------------------------------------------------


def test_a_layout_that_hides_a_paragraph_fails_the_build_naming_its_line(cli, bulletin: Path):
    """A stylesheet that makes a paragraph vanish (here on purpose; in life a selector gone wrong) used to give a
    PDF without it and exit 0. The layout counts the article's letters on its pages: it fails, naming the article
    and what may hide text."""
    css = bulletin / "layout" / "css" / "extra.css"
    css.write_text(
        css.read_text("utf-8") + "\n#article-the-new-lease-law .article-body > p:nth-of-type(3) { display: none; }\n"
    )
    result = render(cli, bulletin)
    assert result.exit_code == 1, result.stderr
    assert "no output was written" in result.stderr
    assert "lost-text: The New Lease Law: only " in result.stderr and "display: none" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (bulletin / "out").exists()


def _drop_lines(pdf: bytes, page: int, lines: range) -> bytes:
    """`pdf` with the text-showing operators `lines` (counted on the page) taken out: a paragraph lost."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        target = document.pages[page]
        kept, shown = [], 0
        for operands, operator in pikepdf.parse_content_stream(target):
            if str(operator) in ("TJ", "Tj", "'", '"'):
                shown += 1
                if shown - 1 in lines:
                    continue
            kept.append(pikepdf.ContentStreamInstruction(operands, operator))
        target.obj.Contents = document.make_stream(pikepdf.unparse_content_stream(kept))
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def test_text_lost_while_finishing_an_edition_fails_the_build(cli, bulletin: Path, monkeypatch):
    """A finisher that loses lines of text (the print edition's content rewritten wrongly) fails the build with the
    edition, the article's file and its lines; nothing is written, the previous outputs stay."""
    assert render(cli, bulletin).exit_code == 0
    before = {p.name: p.read_bytes() for p in (bulletin / "out").glob("*.pdf")}
    original = FINISHERS["print"]

    def losing(pdf: bytes, job):
        edition = original.finish(pdf, job)
        return dataclasses.replace(edition, pdf=_drop_lines(edition.pdf, 3, range(4, 12)))

    monkeypatch.setitem(FINISHERS, "print", dataclasses.replace(original, finish=losing))
    result = render(cli, bulletin, "--force")
    assert result.exit_code == 1, result.stderr
    assert "text was lost on the way to the print PDF" in result.stderr
    assert "rent-strike.md:" in result.stderr and ": print: " in result.stderr
    assert {p.name: p.read_bytes() for p in (bulletin / "out").glob("*.pdf")} == before
    assert not list((bulletin / "out").glob(".*.tmp"))


def test_what_differs_legitimately_between_source_and_page_is_not_a_loss():
    source = (
        "For decades the \u201cmaquiladoras\u201d\u2014suppliers\u2014offered efficient workflows; ques\u00adtions "
        "asked, answered. The agenda. By Ana Petrovi\u0107. A long\u2011standing, twenty-four-hour affair. Then "
        + "Unbreakable"
        * 12
    )
    pages = [
        'F\r\nor decades the "maquiladoras" - suppliers - offered e\ufb03cient work\ufb02ows; ques\u2010\r\n'
        "tions asked, answered. The agenda.2\r\nB Y A N A P E T R O V I \u0106\r\nA long-stand\u2010 PROOF\r\n"
        "1. a footnote at the foot of the page\r\nISSUE 7 \u00b7 4",
        # the page turns inside "long-stand-ing"; then a word too long for a line, broken over three
        "ing, twenty-four-\r\nhour affair. Then\r\n"
        + "Unbreakable" * 5
        + "Un\r\nbreakable"
        + "Unbreakable" * 5
        + "Unbreak\u2010\r\nable",
    ]
    assert PrintedWords(pages).missing(Counter(words(source))) == Counter()
    # what is really not there is missing, as often as it is missing
    lost = Counter(words(source + " answered twice more answered"))
    assert PrintedWords(pages).missing(lost) == Counter({"answered": 2, "twice": 1, "more": 1})


@pytest.mark.skipif(not GPL.is_file(), reason="Debian's /usr/share/common-licenses/GPL-3 is not installed")
def test_a_long_real_text_passes_the_word_check_in_every_edition(cli, bulletin: Path):
    """The GPL (35 kB: numbered sections, lists, quotes, dashes, long words hyphenated across lines, pages and
    reader spreads) as an article body, its lines unindented so that Markdown reads paragraphs, not code."""
    body = "\n".join(line.strip() for line in GPL.read_text("utf-8").splitlines())
    (bulletin / LEASE).write_text(body, "utf-8")
    result = render(cli, bulletin, "--only", "print", "--only", "web", "--only", "proof")
    assert result.exit_code == 0, result.stderr
    spreads = cli("proof", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--spreads")
    assert spreads.exit_code == 0, spreads.stderr
    text = " ".join(" ".join(page_texts(bulletin / "out" / "the-tenant-bulletin-7-web.pdf")).split())
    assert "END OF TERMS AND CONDITIONS" in text and "instead of this License. But first, please read" in text


# -- item 2: unclosed raw HTML ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "what"),
    [
        ("<!-- a note to the editor", "an HTML comment opened here is never closed with -->"),
        ("<?php echo 1;", "an HTML processing instruction opened here is never closed with ?>"),
        ("<![CDATA[ raw", "a CDATA section opened here is never closed with ]]>"),
        ("<script>", "a <script> element opened here is never closed with </script>"),
    ],
)
def test_an_unclosed_comment_is_an_error_naming_file_and_line(cli, bulletin: Path, opening: str, what: str):
    """markdown-it runs such a block on to the end of the article and the sanitiser drops it whole: every paragraph
    after it vanished, with `check` saying OK."""
    edit(bulletin / LEASE, "## Repairs", f"{opening}\n\n## Repairs")
    line = line_of(bulletin / LEASE, opening)
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2, result.stderr
    assert f"lease-law.md:{line}: {what}" in result.stderr, result.stderr


def test_a_closed_comment_and_an_inline_one_are_fine(cli, bulletin: Path):
    edit(bulletin / LEASE, "## Repairs", "<!-- a closed note\n\nover lines -->\n\n## Repairs <!-- an inline one")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr


# -- item 3: Markdown the reader is slow on ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "needle"),
    [
        # unclosed brackets: each is tried as a link, a footnote or an image
        (lambda: ("[a " * 1000 + "\n") * (MAX_DELIMITERS // 1000 + 1), "brackets and emphasis marks"),
        # a long run of emphasis marks that never pair up
        (lambda: ("*a _b " * 500 + "\n") * (MAX_DELIMITERS // 1000 + 1), "brackets and emphasis marks"),
        # unclosed angle brackets and backticks: the paragraph fills with text markdown-it stops at
        (lambda: ("<a `b " * 1000 + "\n") * (MAX_MARKUP // 2000 + 1), "markup characters"),
        # reference-definition-like lines and table rows: about 20 microseconds a line
        (lambda: "a|b\n-|-\n" + "a|b\n" * MAX_LINES, "lines"),
    ],
    ids=["brackets", "emphasis", "angles-and-backticks", "lines"],
)
def test_markdown_too_dense_for_the_reader_is_refused_with_its_line(cli, bulletin: Path, shape, needle: str):
    """Inputs well inside the 2 MB an article may have used to keep the build busy for minutes, outside every
    limit; now they are refused before parsing, naming the line where the count passes the limit."""
    path = bulletin / LEASE
    text = shape()
    path.write_text(path.read_text("utf-8") + "\n" + text, "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2, result.stderr
    assert "the article has more than" in result.stderr and needle in result.stderr, result.stderr
    assert "lease-law.md:" in result.stderr and "good time" in result.stderr


def test_the_line_named_is_where_the_count_passes_the_limit(cli, bulletin: Path):
    path = bulletin / LEASE
    head = path.read_text("utf-8") + "\n"
    assert not any(mark in head for mark in "[*_")
    # four marks a line: the first past the limit is on the line after them
    path.write_text(head + "*stress* *this*\n" * (MAX_DELIMITERS // 4) + "[one] more\n", "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    line = head.count("\n") + MAX_DELIMITERS // 4 + 1
    assert f"lease-law.md:{line}: the article has more than {MAX_DELIMITERS:,} brackets" in result.stderr, result.stderr


def test_a_long_article_of_plain_prose_is_read(cli, bulletin: Path):
    """The limits leave room: 1.5 MB of prose in short paragraphs, with the punctuation prose has, is fine."""
    path = bulletin / LEASE
    paragraph = "Tenants met on Tuesday: twenty-four of them, all agreed, and the vote was carried. " * 4 + "\n\n"
    path.write_text(paragraph * (1_500_000 // len(paragraph)), "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 0, result.stderr


# -- item 4: files read whole -----------------------------------------------------------------------------------


def test_the_fetcher_refuses_a_file_larger_than_a_build_reads(cli, bulletin: Path):
    """A 1 GiB + 1 sparse file in the issue folder named by the layout's stylesheet was read whole into memory."""
    huge = bulletin / "huge.png"
    with open(huge, "wb") as handle:
        handle.truncate(1024**3 + 1)
    css = bulletin / "layout" / "css" / "extra.css"
    css.write_text(css.read_text("utf-8") + f'\n.kicker {{ background: url("{huge.as_uri()}") }}\n')
    result = render(cli, bulletin, "--only", "web")
    assert result.exit_code == 1, result.stderr
    assert f"{huge.as_uri()} (the file is larger than 1,073,741,824 bytes" in result.stderr, result.stderr


def test_the_document_id_reads_content_as_stored_and_only_so_much(monkeypatch):
    """The ID hashed every content stream decompressed and whole: a small stream that inflates to gigabytes was
    inflated in memory. Now streams are hashed as stored, and past the input limit the finishing stops."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(b"0 0 m 1 1 l S\n" * 200)
    first = xmp.content_uuid(pdf)
    assert first == xmp.content_uuid(pdf) and first.startswith("uuid:")
    monkeypatch.setattr(xmp, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(RenderError, match="larger than 1,000 bytes"):
        xmp.content_uuid(pdf)


# -- item 5: item 9's leftovers ---------------------------------------------------------------------------------


def test_a_font_linked_from_outside_is_refused_before_anything_is_written(cli, bulletin: Path, tmp_path: Path):
    """(a) A font folder of the publication holding a link to a font outside it: the layout refused the font, but
    the web page's subset of it was in `.cache` already."""
    assert render(cli, bulletin).exit_code == 0
    cache = bulletin / "out" / ".cache"
    before = sorted(p.name for p in cache.iterdir())
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(FONTS_DIR / "inter" / "Inter-Regular.otf", outside / "Inter-Regular.otf")
    (bulletin / "fonts").mkdir()
    (bulletin / "fonts" / "Inter-Regular.otf").symlink_to(outside / "Inter-Regular.otf")
    publication = bulletin / "publication.yaml"
    publication.write_text(publication.read_text("utf-8") + "font_dirs: [fonts]\n", "utf-8")
    result = render(cli, bulletin, "--force")
    assert result.exit_code == 2, result.stderr
    assert "fonts/Inter-Regular.otf: links to" in result.stderr and "outside the font folder" in result.stderr
    assert sorted(p.name for p in cache.iterdir()) == before


def test_watch_sees_a_layout_folder_swapped_by_renames(bulletin: Path, tmp_path: Path):
    """(b) A layout folder replaced whole by two renames (as deployment tools do) sends events for the folder only,
    which the watch ignored: the proof kept the old layout."""
    staging = tmp_path / "new-layout"
    shutil.copytree(bulletin / "layout", staging)
    css = staging / "css" / "extra.css"
    css.write_text(css.read_text("utf-8") + '\n.kicker::after { content: " SWAPPEDLAYOUT"; }\n', "utf-8")
    process, lines = start_watch(bulletin)
    proof = bulletin / "out" / "the-tenant-bulletin-7-proof.pdf"
    try:
        lines.wait_for("watching")
        assert "SWAPPEDLAYOUT" not in squeeze("".join(page_texts(proof)))  # letter-spaced: read as S W A...
        os.rename(bulletin / "layout", tmp_path / "old-layout")
        os.rename(staging, bulletin / "layout")
        lines.wait_for("rebuilt", count=2)
        assert "SWAPPEDLAYOUT" in squeeze("".join(page_texts(proof)))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        lines.thread.join(timeout=5)
    assert process.returncode == 0, "".join(lines.lines)


def test_a_second_issue_is_refused_an_output_folder_holding_another(cli, bulletin: Path, tmp_path: Path):
    """(c) Two issues into one `--out`: their PDFs have their own names, but the second replaced the first's web
    page and build record. Refused, so that `web/` stays where every command expects it."""
    out = tmp_path / "shared"
    assert cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--only", "web").exit_code == 0
    page = (out / "web" / "index.html").read_bytes()
    records = {p.name: p.read_bytes() for p in (out / ".cache").glob("build-*.json")}
    eight = shutil.copytree(FIXTURES / "bulletin", tmp_path / "eight")
    edit(eight / "7.yaml", "issue: 7", "issue: 8")
    result = cli("render", str(eight / "7.yaml"), "--out", str(out), "--only", "web")
    assert result.exit_code == 2, result.stderr
    assert "holds the outputs of The Tenant Bulletin, Issue 7" in result.stderr, result.stderr
    assert "The Tenant Bulletin, Issue 8 would replace its web page" in result.stderr
    assert (out / "web" / "index.html").read_bytes() == page
    assert {p.name: p.read_bytes() for p in (out / ".cache").glob("build-*.json")} == records
    assert not (out / "the-tenant-bulletin-8-web.pdf").exists()
    # the same issue renders there again as before
    assert cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--only", "web").exit_code == 0


def test_dates_before_the_year_1000_are_written_with_four_digits(cli, bulletin: Path):
    """(d) strftime's %Y gave `D:9990301...` for 999-03-01: a date in the year 9990 to every reader."""
    edit(bulletin / "7.yaml", "date: 2024-10-01", "date: 0999-03-01\ndate_label: Spring 999")
    result = render(cli, bulletin, "--only", "print", "--only", "web")
    assert result.exit_code == 0, result.stderr
    for name in ("print", "web"):
        with pikepdf.open(bulletin / "out" / f"the-tenant-bulletin-7-{name}.pdf") as pdf:
            assert str(pdf.docinfo["/CreationDate"]) == "D:09990301000000Z"
            assert str(pdf.docinfo["/ModDate"]) == "D:09990301000000Z"
            assert "<xmp:CreateDate>0999-03-01T00:00:00Z</xmp:CreateDate>" in pdf.Root.Metadata.read_bytes().decode()


def test_pdf_dates_take_every_year_a_date_can_hold():
    assert str(xmp.pdf_date(dt.date(1, 1, 1))) == "D:00010101000000Z"
    assert str(xmp.pdf_date(dt.date(9999, 12, 31))) == "D:99991231000000Z"
