"""Hostile article bodies (review round 3): small bodies that took minutes in `check` (an HTML block of unclosed
tags, thousands of footnotes never referred to, thousands of tags or links in one paragraph) take seconds, and
their warnings still name the file and the line, a few of each kind and then a count."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import copy_fixture
from issue_builder.base.diagnostics import MAX_OF_A_KIND
from issue_builder.prepare.markdown import render_markdown

MEETING = "7/articles/meeting.md"
CPU_SECONDS = 20  # each case took 14 s to minutes before; it takes a few seconds now


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def check_with_body(tmp_path: Path, body: str) -> str:
    """`check` of the bulletin with `body` as an article's, in a child held to CPU_SECONDS of CPU; its messages."""
    folder = copy_fixture("bulletin", tmp_path)
    (folder / MEETING).write_text(body, "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "issue_builder", "check", "7.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        preexec_fn=_limited,
        timeout=600,  # only a safety net: the CPU limit ends a slow check first (killed by SIGXCPU)
        check=False,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    return result.stderr


def reported(stderr: str, line: int, text: str) -> bool:
    """Whether a warning at `line` of the article says `text`."""
    return any(m.startswith(f"{MEETING}:{line}: warning: ") and text in m for m in stderr.splitlines())


def test_an_html_block_of_unclosed_tags(tmp_path: Path):
    """`<div>` then 66,000 `<a ` (200 KB): 61 s for a third of it, as Python's HTML parser read it again at each."""
    body = 'Intro.\n\n<div>\n<a href="minutes.html">the minutes</a>\n' + "<a " * 66_000 + "\n"
    stderr = check_with_body(tmp_path, body)
    assert reported(stderr, 4, "relative link 'minutes.html' is dropped from the web PDF")
    assert reported(stderr, 3, "`<div>`: HTML a body may not use")


def test_twenty_thousand_footnotes_never_referred_to(tmp_path: Path):
    """1 MB of footnotes nobody refers to took 159 s: the text was searched once for each."""
    notes = "".join(f"[^n{i}]: note {i}, with a few more words to make it a sentence.\n\n" for i in range(20_000))
    stderr = check_with_body(tmp_path, "Intro.\n\n" + notes)
    assert reported(stderr, 3, "footnote [^n0] is never referred to")
    assert reported(stderr, 41, "footnote [^n19] is never referred to")
    assert "[^n20]" not in stderr
    assert reported(stderr, 43, "... and 19,980 more footnotes never referred to after those above")
    assert len(stderr.splitlines()) < 40


@pytest.mark.slow
def test_twenty_thousand_tags_and_links_in_one_paragraph(tmp_path: Path):
    """20,000 inline tags in one paragraph took 14 s (lines counted from the paragraph's start for each); links
    whose targets are not written as they are read (an accent, an entity) were searched for to the end."""
    lines = ["word <b>bold</b> and more"] * 20_000
    for i in range(0, 20_000, 10):
        lines[i] += f" [more](https://é{i}.example/) <a href='https://x.example/?a&amp;b={i}'>x</a>"
    lines[12_345] += " <a href='notes.html'>notes</a> [plan](plan.pdf)"
    stderr = check_with_body(tmp_path, "Intro.\n\n" + "\n".join(lines) + "\n")
    assert reported(stderr, 3, "`<b>` (and 19999 more times after it)")
    assert reported(stderr, 3 + 12_345, "relative link 'notes.html' is dropped")
    assert reported(stderr, 3 + 12_345, "relative link 'plan.pdf' is dropped")
    assert len(stderr.splitlines()) < 20


@pytest.mark.slow
def test_a_paragraph_of_the_most_lines_an_article_may_have_and_a_tag_on_each(tmp_path: Path):
    """49,000 lines of one paragraph, each with a tag: the Markdown reading alone took 29 s of CPU."""
    script = (
        "from pathlib import Path\n"
        "from issue_builder.prepare.markdown import render_markdown\n"
        "text = 'Intro.\\n\\n' + '\\n'.join('word <b>bold</b> and more' for i in range(49_000)) + '\\n'\n"
        "body, problems = render_markdown(text, Path('a.md'), lambda src, line: None)\n"
        "print(*problems, sep='\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, preexec_fn=_limited, timeout=600, check=False
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.startswith("a.md:3: warning: `<b>` (and 48999 more times after it)"), result.stdout


@pytest.mark.slow
def test_twenty_thousand_kinds_of_unknown_tag_are_counted_not_listed(tmp_path: Path):
    body = "Intro.\n\n" + "\n".join(f"the <landlord-{i}> said" for i in range(20_000)) + "\n"
    stderr = check_with_body(tmp_path, body)
    assert reported(stderr, 3, "`<landlord-0>` reads as an HTML tag")
    assert reported(stderr, 3 + MAX_OF_A_KIND, "... and 19,980 more kinds of HTML tag dropped")
    assert "landlord-20>" not in stderr


def test_links_keep_their_lines():
    """Lines of links in raw HTML blocks and in running text, targets as the sanitiser reads them."""
    text = (
        "Intro.\n\n"
        '<div>\n<a href="x&amp;y">a</a>\n<!-- <a href="hidden.html"> -->\n<A HREF=q>b</A>\n</div>\n\n'
        "Text <a href='inline.html'>i</a>\nand [md](http://é.example) and\n[^1] <a\nhref='split.html'>s</a>\n\n"
        "[^1]: A note [with a link](note.html).\n"
    )
    body, _ = render_markdown(text, Path("a.md"), lambda src, line: None)
    assert [(link.href, link.line) for link in body.links] == [
        ("x&y", 4),
        ("q", 6),
        ("inline.html", 9),
        ("http://xn--9ca.example", 10),
        ("split.html", 11),
        ("note.html", 14),
    ]


@pytest.mark.parametrize("kind", ["notes", "rows"])
def test_warnings_of_one_kind_are_capped_with_a_count(kind: str):
    if kind == "notes":
        text = "Intro.\n\n" + "".join(f"[^n{i}]: note.\n\n" for i in range(25))
        what = "5 more footnotes never referred to"
    else:
        text = "| a | b |\n|---|---|\n" + "".join(f"| {i} | x | extra |\n" for i in range(25))
        what = "5 more table rows cut"
    _, problems = render_markdown(text, Path("a.md"), lambda src, line: None)
    shown = [str(p) for p in problems]
    assert len(shown) == MAX_OF_A_KIND + 1, shown
    last, before = (re.match(r"a\.md:(\d+): warning: (.*)", line) for line in shown[-1:-3:-1])
    assert last and before and last.group(2).startswith(f"... and {what} after those above"), shown[-2:]
    assert int(last.group(1)) > int(before.group(1))  # at the first of those not listed


def test_links_the_web_pdf_drops_are_listed_twenty_then_counted(tmp_path: Path):
    lines = [f"See [part {i}](part-{i}.html)." for i in range(100)]
    stderr = check_with_body(tmp_path, "Intro.\n\n" + "\n\n".join(lines) + "\n")
    assert reported(stderr, 3, "relative link 'part-0.html' is dropped")
    assert reported(stderr, 3 + 2 * 19, "relative link 'part-19.html' is dropped")
    assert "part-20.html" not in stderr
    assert reported(stderr, 3 + 2 * 20, "... and 80 more links the web PDF drops after those above")
