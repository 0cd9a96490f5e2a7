"""Hostile text (issue 20, items 2, 5, 6 and 9): text the parent process reads never disappears silently, never
takes more than linear time or a bounded amount of memory, and never crashes: each case is a clean error naming
the file and the line or key (exit 2), or is handled."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from PIL import Image

from helpers import line_of
from issue_builder.base.cache import MAX_FONT_BYTES, MAX_INPUT_BYTES, file_sha256
from issue_builder.base.diagnostics import Diagnostic, IssueBuilderError, ManifestError, RenderError
from issue_builder.prepare.markdown import MAX_HTML_DEPTH, render_markdown
from issue_builder.prepare.typography import QUOTES, smartquotes

GB = 1024**3
MEETING = "7/articles/meeting.md"


def append(bulletin: Path, text: str, name: str = MEETING) -> int:
    """Add `text` to an article body; returns the line number its first line gets."""
    path = bulletin / name
    before = path.read_text("utf-8").rstrip("\n") + "\n\n"
    path.write_text(before + text, "utf-8")
    return before.count("\n") + 1


def edit_manifest(bulletin: Path, old: str, new: str, name: str = "7.yaml") -> None:
    path = bulletin / name
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def sparse(path: Path, size: int, head: bytes = b"") -> None:
    """A file of `size` bytes that takes no disk beyond `head`: read whole it would exhaust the machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """A command in a child process (its own process group, killed whole if it overruns)."""
    process = subprocess.Popen(
        args, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{' '.join(args)[:200]} did not finish within {timeout:g} s")
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def cli_run(bulletin: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "issue_builder", *args], bulletin, timeout)


def assert_refused(cli, bulletin: Path, *needles: str) -> str:
    """`check` and `render --strict` both exit 2 naming the place, without a traceback; nothing is written."""
    for command in (["check"], ["render", "--strict", "--out", str(bulletin / "out")]):
        result = cli(command[0], str(bulletin / "7.yaml"), *command[1:])
        assert result.exit_code == 2, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        for needle in needles:
            assert needle in result.stderr, result.stderr
    assert not (bulletin / "out").exists()
    return result.stderr


def body(text: str) -> tuple[str, list[str]]:
    """The sanitised HTML of a Markdown body and its problems as a user reads them."""
    rendered, problems = render_markdown(text, Path("a.md"), lambda src, line: None)
    return rendered.html, [str(p) for p in problems]


# --- item 2: no text lost silently --------------------------------------------------------------------------------


def nested_list(levels: int) -> str:
    return "".join("  " * i + f"- level{i} words\n" for i in range(levels))


@pytest.mark.parametrize(
    "structure, deepest",
    [
        (nested_list(10), 9),  # markdown-it holds 20 levels; a list level takes two
        ("".join(">" * i + f" quote{i} words\n" + ">" * i + "\n" for i in range(1, 21)), 38),
    ],
    ids=["list-10-levels", "quotes-20-levels"],
)
def test_markdown_nested_past_the_reader_limit_is_an_error_with_its_line(cli, bulletin, structure, deepest):
    first = append(bulletin, structure + "\nA closing paragraph that used to vanish.\n")
    assert_refused(cli, bulletin, f"{MEETING}:{first + deepest}: lists and block quotes nested too deeply")


def test_markdown_nested_to_the_reader_limit_keeps_every_word():
    quotes = "".join(">" * i + f" quote{i}\n" + ">" * i + "\n" for i in range(1, 20))
    for structure, deepest in ((nested_list(9), "level8"), (quotes, "quote19")):
        html, problems = body(structure + "\nclosing paragraph\n")
        assert problems == []
        assert deepest in html and "closing paragraph" in html


def test_the_reader_limit_is_found_inside_footnotes_and_pull_quotes_too():
    note = "Text.[^1]\n\n[^1]: A note.\n\n" + "".join(f"    {line}\n" for line in nested_list(10).splitlines())
    pull = "::: pullquote\n" + nested_list(10) + ":::\n"
    for text in (note, pull):
        _, problems = body(text)
        assert any("nested too deeply" in p for p in problems), problems


# --- item 5: linear time, bounded reads -------------------------------------------------------------------------


def test_smart_quotes_take_linear_time(tmp_path):
    """160 KB of `"a' ` took 57-88 s and 2 MB would take hours (quadratic); now 2 MB takes seconds."""
    script = (
        "from pathlib import Path\n"
        "from issue_builder.prepare.markdown import render_markdown\n"
        "from issue_builder.prepare.typography import smarten\n"
        "text = '\"a\\' ' * 500_000\n"
        "smarten(text)\n"
        "render_markdown(text, Path('a.md'), lambda s, l: None)\n"
        "render_markdown('<p>' + text, Path('a.md'), lambda s, l: None)\n"
        "render_markdown(''.join(f'![](i{i}.png) ' for i in range(100_000)), Path('a.md'), lambda s, l: None)\n"
    )
    result = run([sys.executable, "-c", script], tmp_path, timeout=90)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_smart_quotes_decide_as_markdown_it_does(language):
    """The linear rule gives markdown-it's output exactly, on many random texts full of quotes."""
    quotes = QUOTES[language]
    theirs = MarkdownIt("commonmark", {"typographer": True, "quotes": quotes}).enable("smartquotes")
    ours = MarkdownIt("commonmark", {"typographer": True, "quotes": quotes}).enable("smartquotes")
    ours.core.ruler.at("smartquotes", smartquotes)
    pieces = ['"', "'", "a", "b", " ", "*", "**", ".", "1", "\n", "`", "<b>", "</b>", "_", "(", ")", "-"]
    pieces += ["[x](y)", "\\", "\n\n", "> ", "«", "\u00a0", "é"]
    rng = random.Random(20)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        assert ours.render(text) == theirs.render(text), repr(text)


def test_an_unclosed_html_comment_takes_linear_time(tmp_path):
    script = (
        "from pathlib import Path\n"
        "from issue_builder.prepare.markdown import render_markdown\n"
        "render_markdown('<!--\\n' + '<!--' * 500_000, Path('a.md'), lambda s, l: None)\n"
    )
    assert run([sys.executable, "-c", script], tmp_path, timeout=60).returncode == 0


def test_hashing_stops_past_its_limit(tmp_path):
    path = tmp_path / "big.bin"
    sparse(path, 10 * 1024 * 1024)
    assert file_sha256(path) == file_sha256(path, 10 * 1024 * 1024)
    with pytest.raises(ManifestError) as caught:
        file_sha256(path, 1024 * 1024)
    assert "big.bin: file is" in caught.value.report()


def add_font_folder(bulletin: Path) -> None:
    edit_manifest(bulletin, "layout: layout\n", "layout: layout\nfont_dirs: [fonts]\n", "publication.yaml")
    (bulletin / "fonts").mkdir()


@pytest.mark.parametrize("case", ["font", "layout", "image", "profile"])
def test_huge_files_are_refused_without_being_read(bulletin, case):
    """A 100 GB sparse file in a font folder took minutes to hash; a 3 GB output profile was read whole."""
    if case == "font":
        add_font_folder(bulletin)
        sparse(bulletin / "fonts" / "Huge.ttf", 100 * GB)
        expected = f"fonts/Huge.ttf: file is {100 * GB:,} bytes; a build reads files of at most {MAX_FONT_BYTES:,}"
    elif case == "layout":
        sparse(bulletin / "layout" / "css" / "huge.css", 100 * GB)
        expected = (
            f"layout/css/huge.css: file is {100 * GB:,} bytes; a build reads files of at most {MAX_INPUT_BYTES:,}"
        )
    elif case == "image":
        towers = bulletin / "7" / "img" / "towers.jpg"
        sparse(towers, 100 * GB, towers.read_bytes())
        expected = f"articles[0].image.src: image is {100 * GB:,} bytes; a build reads files of at most"
    else:
        sparse(bulletin / "7" / "printer.icc", 3 * GB)
        edit_manifest(bulletin, "cover:\n", "printing:\n  output_profile: 7/printer.icc\ncover:\n")
        expected = "printing.output_profile: the profile is larger than 33,554,432 bytes"
    for args in (["check", "7.yaml"], ["render", "7.yaml", "--out", "out"]):
        result = cli_run(bulletin, *args, timeout=60)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr
    assert not (bulletin / "out").exists()


# --- item 6: crashes from untrusted content --------------------------------------------------------------------


def test_yaml_nested_400_levels_is_an_error_with_its_line(cli, bulletin):
    edit_manifest(bulletin, "cover:\n", "notice: " + "[" * 400 + "]" * 400 + "\ncover:\n")
    line = line_of(bulletin / "7.yaml", "notice:")
    assert_refused(cli, bulletin, f"7.yaml:{line}: mappings and lists nested more than 32 levels deep")


def test_yaml_nested_in_block_style_too(cli, bulletin):
    deep = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "end\n"
    (bulletin / "7.yaml").write_text(
        (bulletin / "7.yaml").read_text("utf-8") + "extra:\n" + deep.replace("\n", "\n  ")[:-2]
    )
    stderr = assert_refused(cli, bulletin, "7.yaml:", "nested more than 32 levels deep")
    assert len(stderr.splitlines()) < 5


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "issue: 7",
            "issue: " + "9" * 5000,
            "7.yaml:1: issue: a number of 5,000 digits is too large (at most 18 digits)",
        ),
        ("issue: 7", "issue: " + "9" * 300, "7.yaml:1: issue: a number of 300 digits is too large"),
        ("issue: 7", "issue: 1000000", "7.yaml:1: issue: must be a whole number from 1 to 999,999"),
        ("cover:\n", "volume: 1e999\ncover:\n", "7.yaml:3: volume: the number 1e999 is too large"),
        ("cover:\n", "volume: 1234567\ncover:\n", "7.yaml:3: volume: must be a whole number from 1 to 999,999"),
    ],
    ids=["5000-digits", "300-digit-issue", "issue-over-bound", "infinite-float", "huge-volume"],
)
def test_huge_numbers_are_errors_with_their_key(cli, bulletin, old, new, expected):
    edit_manifest(bulletin, old, new)
    assert_refused(cli, bulletin, expected)


def test_a_huge_number_elsewhere_is_an_error_not_an_overflow(cli, bulletin):
    edit_manifest(bulletin, "  min_ppi: 72\n", "  min_ppi: 99999999999999999\n", "publication.yaml")
    assert_refused(cli, bulletin, "publication.yaml:", "printing.min_ppi: too large: at most 2,147,483,647")


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "dek: What the general meeting decided in September.",
            'dek: "\\ud800 What the general meeting decided in September."',
            "articles[2].dek: contains the character U+D800 (a lone surrogate), which no text may hold",
        ),
        (
            "    alt: The union's round badge",
            '    alt: The union\'s round badge\n    "\\udfff": x',
            "articles[2]: a key contains the character U+DFFF (a lone surrogate)",
        ),
        (
            "title: The New Lease Law",
            'title: "The New \\e[31mLease Law"',
            "articles[1].title: contains the character U+001B (a control character or non-character)",
        ),
    ],
    ids=["surrogate-value", "surrogate-key", "terminal-escape"],
)
def test_characters_no_text_may_hold_are_errors_at_check(cli, bulletin, old, new, expected):
    """A lone surrogate passed `check` and crashed the render (exit 70)."""
    edit_manifest(bulletin, old, new)
    line = line_of(bulletin / "7.yaml", new.splitlines()[-1].strip()[:12])
    assert_refused(cli, bulletin, f"7.yaml:{line}: {expected}")


def test_a_long_publication_name_cannot_make_file_names_too_long(cli, bulletin):
    edit_manifest(bulletin, "name: The Tenant Bulletin", "name: " + "Tenant " * 60, "publication.yaml")
    assert_refused(cli, bulletin, "publication.yaml:", "periodical.name: the output file names start with the slug")


def test_250_nested_spans_are_an_error_with_their_line(cli, bulletin):
    """They crashed the render of each edition (RecursionError, exit 70) after `check` said OK."""
    line = append(bulletin, "A paragraph.\n\n" + "<span>" * 250 + "deep" + "</span>" * 250 + "\n") + 2
    assert_refused(cli, bulletin, f"{MEETING}:{line}: HTML elements nested 251 levels deep (at most {MAX_HTML_DEPTH})")


def test_html_nested_to_the_limit_renders(cli, bulletin):
    """The limit leaves room: blocks, tables and inline elements nested 40 deep lay out and print every word."""
    tags = ["table", "tbody", "tr", "td"] * 4 + ["blockquote", "section", "ul", "li"] * 5
    inner = (
        "<span>" * (MAX_HTML_DEPTH - len(tags) - 1)
        + "<em>deepest words</em>"
        + "</span>" * (MAX_HTML_DEPTH - len(tags) - 1)
    )
    append(bulletin, "".join(f"<{t}>" for t in tags) + inner + "".join(f"</{t}>" for t in reversed(tags)) + "\n")
    html, problems = body((bulletin / MEETING).read_text("utf-8"))
    assert problems == [] and "deepest words" in html
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 0, result.stderr


# --- item 9: huge tables ------------------------------------------------------------------------------------------


def test_a_10000_column_table_is_one_error_with_its_line(cli, bulletin):
    """It printed 39,913 overflow lines after a minute of layout."""
    n = 10_000
    row = "|" + "|".join("x" for _ in range(n)) + "|\n"
    line = append(bulletin, "|" + "|".join(f"c{i}" for i in range(n)) + "|\n|" + "|".join("-" * n) + "|\n" + row)
    stderr = assert_refused(cli, bulletin, f"{MEETING}:{line}: a table row of more than 50 columns")
    assert len(stderr.splitlines()) < 5


@pytest.mark.parametrize("attribute", ["colspan=1000000", "rowspan='  +99999999999999999999'", 'colspan="0000051"'])
def test_huge_cell_spans_are_an_error_with_their_line(cli, bulletin, attribute):
    """`colspan=1000000` ran the render to its time limit."""
    line = append(bulletin, f"<table><tr><td {attribute}>x</td></tr></table>\n")
    assert_refused(cli, bulletin, f"{MEETING}:{line}: a table ")


def test_the_sanitiser_clamps_spans():
    html, problems = body("<table><tr><td colspan=1000000 rowspan=x>a</td><td colspan=3>b</td></tr></table>\n")
    assert '<td colspan="51">a</td><td colspan="3">b</td>' in html and len(problems) == 1
    html, problems = body("<table><tr><td colspan=2 rowspan=1000>a</td></tr></table>\n")
    assert '<td colspan="2" rowspan="1000">a</td>' in html and problems == []


def test_repeated_diagnostics_are_summarised(capsys):
    """Each repeated message is shown ten times, then counted; at most 200 lines are shown in all."""
    found = [
        Diagnostic(f"print: overflow: page 7 (Meeting Notes): text runs off the page: 'c{i}'") for i in range(20_000)
    ]
    found += [Diagnostic(f"web: overflow: page {i}: text runs off the page: 'c{i}'") for i in range(19_913)]
    found += [Diagnostic(f"image not found: picture-{chr(97 + i % 26) * (i + 1)}.png") for i in range(300)]
    lines = RenderError("the render failed; no output was written:", found).report().splitlines()
    assert len(lines) == 1 + 10 + 1 + 10 + 1 + 180 + 1
    assert lines[11] == "  ... and 19,990 more like the line above"
    assert lines[22] == "  ... and 19,903 more like the line above"
    assert lines[-1].startswith("... and 120 more")
    assert isinstance(RenderError("x", found), IssueBuilderError)


def test_the_cli_prints_a_summary_not_every_line(cli, bulletin, monkeypatch):
    """The CLI shows the summarised report (the build driver raises the full list)."""
    import issue_builder.commands.check as check

    many = [Diagnostic(f"overflow on page {i}: '{i}'") for i in range(5000)]

    def failing(*_args, **_kwargs):
        raise RenderError("the render failed:", many)

    monkeypatch.setattr(check, "prepare_issue", failing)
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 12
    assert re.search(r"and 4,990 more like the line above", result.stderr)


def test_a_cmyk_image_and_a_small_one_are_still_accepted(cli, bulletin):
    """The size bound does not touch ordinary pictures."""
    Image.new("CMYK", (400, 300), (0, 50, 50, 0)).save(bulletin / "7" / "img" / "towers.jpg", dpi=(300, 300))
    assert cli("check", str(bulletin / "7.yaml")).exit_code == 0
