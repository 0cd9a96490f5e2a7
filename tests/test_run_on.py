"""Articles that run on (`typesetting.run_on`, an article's `run_on`): a short article starts under a rule on the page
where the previous one ends; on copies of the realtext fixture (licence texts and Debian's APT README, 553 words)
and of issue 18."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import cli_said, copy_fixture, edit, line_of, page_texts, run_cli

PRINT, WEB = "free-text-review-1-print.pdf", "free-text-review-1-web.pdf"
APACHE_END = "stated in this License."  # the last words of the Apache article
APT_DEK = "The README of Debian"
APACHE_NOTE = "A note added for this test, called from the last words of the Apache text."
ROOT = Path(__file__).parent.parent


def realtext(tmp: Path, run_on: int = 600) -> Path:
    """A copy of the realtext issue whose publication runs on articles of at most `run_on` words (APT has 553), the
    Apache article (3 pages, whether APT runs on or not) given a budget of 2 pages."""
    folder = copy_fixture("realtext", tmp)
    with (folder / "publication.yaml").open("a", encoding="utf-8") as publication:
        publication.write(f"typesetting:\n  run_on: {run_on}\n")
    edit(folder / "1.yaml", "    slug: apache-2\n", "    slug: apache-2\n    page_budget: 2\n")
    body = folder / "1" / "articles" / "apache-2.md"  # a footnote at the foot of the page APT runs on at
    edit(body, APACHE_END, f"{APACHE_END}[^last]")
    body.write_text(body.read_text("utf-8") + f"\n[^last]: {APACHE_NOTE}\n", "utf-8")
    return folder


def render(manifest: Path, *extra: str) -> tuple[int, str]:
    """`render MANIFEST --out FOLDER/out`: (exit code, what it printed)."""
    return cli_said("render", str(manifest), "--out", str(manifest.parent / "out"), *extra)


def page_of(texts: list[str], words: str) -> list[int]:
    """The page numbers (from 1) whose text holds `words`, line breaks and hyphenation aside."""
    flat = [" ".join(re.sub(r"[\u2010\u00ad-]\s*\n", "", text).split()) for text in texts]
    return [n for n, text in enumerate(flat, start=1) if words in text]


@pytest.fixture(scope="module")
def ran_on(tmp_path_factory) -> tuple[Path, str]:
    """The copy rendered, print and web: (output folder, what the render printed)."""
    folder = realtext(tmp_path_factory.mktemp("run-on"))
    code, said = render(folder / "1.yaml")
    assert code == 0, said
    return folder / "out", said


@pytest.mark.slow
def test_a_short_article_starts_on_the_page_where_the_previous_one_ends(ran_on):
    out, _ = ran_on
    texts = page_texts(out / PRINT)
    (end,) = page_of(texts, APACHE_END)
    assert page_of(texts, APT_DEK) == [2, end]  # the contents, and the page the Apache text ends on
    # the contents give it that page, the running head is left off there as on any page an article opens on
    assert f"{end}MANUALSAPT" in "".join(texts[1].split())  # the kicker letter-spaced


@pytest.mark.slow
def test_an_article_that_runs_on_counts_the_page_it_shares(ran_on):
    """The Apache article ends on the page APT starts on: it runs 3 pages, over its budget of 2 (counted to the
    page before APT's, it would run 2)."""
    _, said = ran_on
    assert "articles[1] runs 3 pages, budget 2" in said


@pytest.mark.slow
def test_the_tags_keep_each_article_s_text_in_its_own_article(ran_on):
    """In the web PDF's structure tree (read by poppler), the end of the Apache text on the shared page belongs to
    the Apache article, and APT's article begins with its title."""
    out, _ = ran_on
    texts = struct_articles(out / WEB)
    (apache,) = [t for t in texts if "LICENCES Apache License" in t]
    (apt,) = [t for t in texts if "MANUALS APT" in t]
    assert "this License." in apache[-200:]  # the last line on the shared page
    assert APACHE_NOTE in apache  # and its footnote, at the foot of that page, with its call
    assert apt.startswith("MANUALS APT The README") and APACHE_NOTE not in apt


@pytest.mark.slow
def test_an_article_s_own_setting_wins_and_off_is_a_page_of_its_own(tmp_path):
    folder = realtext(tmp_path)
    edit(folder / "1.yaml", "    section: Manuals\n", "    section: Manuals\n    run_on: false\n")
    code, said = render(folder / "1.yaml", "--only", "print")
    assert code == 0, said
    texts = page_texts(folder / "out" / PRINT)
    (end,) = page_of(texts, APACHE_END)
    assert page_of(texts, APT_DEK) == [2, end + 1]
    assert "budget 2" in said  # 3 pages on its own too


def test_the_first_article_and_a_full_bleed_opener_cannot_run_on(tmp_path, capsys):
    folder = copy_fixture("realtext", tmp_path)
    edit(folder / "1.yaml", "    opener: full-bleed\n", "    opener: full-bleed\n    run_on: true\n")
    result = run_cli(capsys, "check", str(folder / "1.yaml"))
    assert result.exit_code == 2
    line = line_of(folder / "1.yaml", "run_on: true")
    assert f"1.yaml:{line}:" in result.stderr
    assert "articles[0].run_on: cannot run on: the first article starts the page after the contents" in result.stderr


@pytest.mark.slow
def test_issue_18_runs_on_a_statement_and_a_pictured_article(tmp_path):
    """Issue 18 with the statement (994 words, a text opener) and the Tamaulipas report (1,155 words, its picture
    over its title) run on: both open, with their first lines, on the page where the article before them ends."""
    folder = tmp_path / "issues"
    shutil.copytree(ROOT / "issues", folder)
    with (folder / "publication.yaml").open("a", encoding="utf-8") as publication:
        publication.write("typesetting:\n  run_on: 1200\n")
    code, said = render(folder / "18.yaml", "--only", "web")  # the same pages as the print edition, and tagged
    assert code == 0, said
    texts = page_texts(folder / "out" / "socialist-revolution-18-web.pdf")
    for end, dek, first_words in (
        (
            "movement of the labor movement and the youth to say",
            "The IMT commits itself to continue",
            "marked a qualitative turn in the long campaign",
        ),
        (
            "Lenin and Trotsky on the state and revolution",
            "Workers from 45 different factories are striking",
            "city of Matamoros, in the northern",
        ),
    ):
        opening = page_of(texts, dek)[-1]  # the contents print it too
        assert page_of(texts, end) == [opening], (dek, opening)
        assert opening in page_of(texts, first_words), (dek, opening)


def struct_articles(pdf: Path) -> list[str]:
    """The text of each Art element of `pdf`'s structure tree, as poppler reads it."""
    tree = subprocess.run(["pdfinfo", "-struct-text", str(pdf)], capture_output=True, text=True, check=True).stdout
    parts = re.split(r"^  Art\b.*$", tree, flags=re.MULTILINE)[1:]
    return [" ".join(" ".join(re.findall(r'"(.*)"', part)).split()) for part in parts]


@pytest.mark.slow
def test_an_article_whose_opening_finds_no_room_starts_a_page_of_its_own(tmp_path):
    """The gazette's water article (its picture over its title, two columns) asked to run on: its opening fits at
    the foot of the page the seed swap ends on, but not a line of its text. It starts a section of its own, and the
    next page, its title with its first lines and no rule above, and the render says so."""
    folder = copy_fixture("gazette", tmp_path)
    edit(folder / "3.yaml", "    body: 3/articles/water.md\n", "    body: 3/articles/water.md\n    run_on: true\n")
    code, said = render(folder / "3.yaml", "--only", "print")
    assert code == 0, said
    assert "articles[1] has run_on: true, but its opening" in said and "starts a page of its own" in said
    texts = page_texts(folder / "out" / "the-allotment-gazette-3-print.pdf")
    (title,) = page_of(texts, "Water Rights on the Lower")[1:]  # after the contents
    assert title in page_of(texts, "council has written to every plot holder")
    assert page_of(texts, "Seed Swaps Across")[-1] < title
    # the seed swap ends a section of its own, copy-fitted on its own: the house box takes the rest of its page
    assert "subscribe to the allotment gazette" in " ".join(texts[title - 2].split()).lower()


LEASE = (
    "What the Lease Committee of the Riverside Tenants Union Decided in August About Repairs and Rents in the Towers"
)
MEETING = "What the General Meeting of the Riverside Tenants Union Decided in September About Repairs and Rents in"


@pytest.mark.slow
def test_two_titles_over_their_limits_in_one_section_are_both_set_smaller(tmp_path):
    """The bulletin's two last articles run on, each with a title too long for its lines: both are set a step
    smaller, each from its own size, instead of the second being refused."""
    folder = copy_fixture("bulletin", tmp_path)
    edit(
        folder / "7.yaml",
        "  - title: The New Lease Law\n",
        f"  - title: {LEASE} and Blocks Near the River\n    run_on: true\n",
    )
    edit(
        folder / "7.yaml",
        "    opener: text\n  - title: Meeting Notes\n",
        f"  - title: {MEETING} the Towers Near the Old River Bank\n",
    )
    edit(folder / "7.yaml", "    dek: What the general meeting", "    run_on: true\n    dek: What the general meeting")
    code, said = render(folder / "7.yaml", "--only", "print", "--keep-html")
    assert code == 0, said
    html = "".join(p.read_text("utf-8") for p in (folder / "out").glob("*-html/*.html"))
    assert len(re.findall(r'class="article-title" style="font-size: [\d.]+pt', html)) == 2
    texts = " ".join(" ".join(t.split()) for t in page_texts(folder / "out" / "the-tenant-bulletin-7-print.pdf"))
    assert "Blocks Near the River" in texts and "Old River Bank" in texts
