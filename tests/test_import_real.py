"""`issue-builder import` of documents made by LibreOffice itself (tests/fixtures/import/, see its PROVENANCE.md):
written through Writer as a writer would, edited with changes tracked and commented, saved as .odt and exported as
.docx; imported into a new issue as a user would, then checked and rendered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

from helpers import page_texts

SAMPLES = Path(__file__).parent / "fixtures" / "import"
REPO = Path(__file__).parent.parent
# what differs between LibreOffice's two files: the .docx carries the picture's description as its alternative text
# (Word's Alt Text), the .odt its title; the .docx export merges the table cell's deletion and insertion with the
# changes around them differently
ALT = {
    "odt": "A ladybird on a green leaf",
    "docx": "A red ladybird with black spots on a green leaf, photographed close up",
}
CHANGES = {"odt": 12, "docx": 11}


@pytest.fixture
def issue(tmp_path, monkeypatch, cli) -> Path:
    """Issue 91 started by `new` with the sample publication's settings; returns its manifest."""
    (tmp_path / "issues").mkdir()
    shutil.copy(REPO / "issues" / "publication.yaml", tmp_path / "issues")
    monkeypatch.chdir(tmp_path)
    started = cli("new", "91", "--date", "2026-12-15", "--quiet")
    assert started.exit_code == 0, started.stderr
    return tmp_path / "issues" / "91.yaml"


def body_of(manifest: Path, slug: str) -> str:
    return (manifest.parent / "91" / "articles" / f"{slug}.md").read_text()


@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_libreoffice_document_is_imported_with_its_structure(issue, cli, kind):
    result = cli(
        "import", str(SAMPLES / f"gpl-reading.{kind}"), "--into", str(issue), "--accept-changes", "--keep-comments"
    )
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and "alternative text" not in result.stderr
    assert "title: Reading the GPL, Version 3 (from its Title paragraph)" in result.stdout
    assert (
        "(from its Subtitle paragraph)" in result.stdout
        and "author: Zofia Łukasiewicz (from its byline)" in result.stdout
    )
    assert f"{CHANGES[kind]} tracked changes accepted and 3 comments kept as Markdown comments:" in result.stdout
    assert "1 picture in 91/img/" in result.stdout
    body = body_of(issue, "reading-the-gpl-version-3")
    # title, dek and byline are the entry's, not the body's
    assert body.startswith("Our reading group met five times this autumn")
    assert "Reading the GPL" not in body.splitlines()[0] and "By Zofia" not in body
    # the Heading 1/2/3 outline as the body's subheads
    for heading in ("## Preamble", "## Terms and conditions", "### 0. Definitions", "#### What the group asked"):
        assert f"\n{heading}\n" in body
    assert "*verbatim*" in body and "not** made of lawyers" in body  # bold (the comment is on that word)
    assert "\n> To protect your rights, we need to prevent others" in body  # the Quotations style
    assert (
        '\n-   A "covered work" means either' in body and "\n2.  Is a build script part of the *Corresponding" in body
    )
    # the table keeps its heading row (repeated on each page in the document), comment and all
    assert "| Reader " in body and "Sessions |" in body and "| Nguyễn Thị Hương     | Hà Nội      | 4 " in body
    assert "| אבי כהן              | חיפה        | 4 " in body
    # the footnote, with the change the editor made in it
    assert "allows,[^1] with our notes" in body
    assert "[^1]: “Everyone is permitted to copy" in body and "GPL-3. Read in November 2026." in body
    # the captioned picture: its own paragraph after the heading it was anchored to, its caption without the label
    picture = f'![{ALT[kind]}](../img/reading-the-gpl-version-3-1.jpg "Free as in freedom, not as in price. Photo: '
    assert f'## Terms and conditions\n\n{picture}Charles Barbin (GPL-2+)")\n' in body
    assert Image.open(issue.parent / "91/img/reading-the-gpl-version-3-1.jpg").size == (640, 400)
    # the editor's changes made, the comments kept for the editor
    assert "kept coming back to, in every session, is" in body and "at the library." in body
    assert "not price.\n\nOur General Public Licenses" in body  # the paragraph the editor split
    assert "without reading. We will read the Affero licence" in body  # the two paragraphs the editor joined
    for comment in (
        "<!-- comment by Γιώργος Παπαδόπουλος (2026-11-24): Is this true? One of them is a retired judge. -->",
        "<!-- comment by Анна Кузнецова (2026-11-25): Six, counting English. -->",
        "<!-- comment by אבי כהן (2026-11-26): Counted from the sign-in sheets — בסדר. -->",
    ):
        assert comment in body
    text = issue.read_text()  # the entry follows the placeholder article's commented-out fields, not between them
    assert (
        text.index("# page_budget: 2")
        < text.index(f"# Imported from gpl-reading.{kind}")
        < text.index("- title: Reading")
    )
    entry = yaml.safe_load(text)["articles"][-1]
    assert entry == {
        "title": "Reading the GPL, Version 3",
        "dek": "What the licence that protects most free software actually says, section by section.",
        "author": "Zofia Łukasiewicz",
        "body": "91/articles/reading-the-gpl-version-3.md",
    }


@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_libreoffice_changes_and_comments_are_listed_then_rejected(issue, cli, kind):
    source = str(SAMPLES / f"gpl-reading.{kind}")
    before = issue.read_bytes()
    refused = cli("import", source, "--into", str(issue))
    assert refused.exit_code == 1
    assert f"it holds {CHANGES[kind]} tracked changes not yet accepted and 3 comments" in refused.stderr
    for line in (
        "deletion by Nguyễn Văn An (",
        "before the first heading, paragraph 2 (“Our reading group met five times this a…”): “four times”",
        "insertion by Nguyễn Văn An (",
        "before the first heading, paragraph 2 (“Our reading group met five times this a…”): “five times”",
        "under “Preamble”, paragraph 5 (“The sentence the group kept coming back…”): “, in every session,”",
        "paragraph break inserted by Nguyễn Văn An (",
        "under “Preamble”, paragraph 3 (“When we speak of free software, we are…”)",
        "paragraph break deleted by Nguyễn Văn An (",
        "under “What we took away”, paragraph 1 (“A licence is a tool, and the GPL is a g…”)",
        "comment by אבי כהן (2026-11-26) under “Who read it”, paragraph 2 (“Reader City Sessions",
        "): “Counted from the sign-in sheets — בסדר.”",
    ):
        assert line in refused.stderr, line
    assert "Traceback" not in refused.stderr
    assert issue.read_bytes() == before and not (issue.parent / "91/img/reading-the-gpl-version-3-1.jpg").exists()
    rejected = cli("import", source, "--into", str(issue), "--reject-changes", "--drop-comments")
    assert rejected.exit_code == 0, rejected.stderr
    body = body_of(issue, "reading-the-gpl-version-3")
    assert "met four times this autumn" in body and "five times" not in body
    assert "not price. Our General Public Licenses" in body  # the paragraph the editor split, whole again
    assert "kept coming back to is the one" in body
    assert "the library and lasted two hours each." in body
    assert "without reading.\n\nWe will read the Affero licence" in body  # the joined paragraphs apart again
    assert "| Nguyễn Thị Hương     | Hà Nội      | 3 " in body
    assert "Read in November" not in body and "<!--" not in body and "retired judge" not in body


def test_libreoffice_documents_check(issue, cli):
    for kind in ("odt", "docx"):
        source = str(SAMPLES / f"gpl-reading.{kind}")
        imported = cli(
            "import", source, "--into", str(issue), "--as", f"gpl-{kind}", "--accept-changes", "--drop-comments"
        )
        assert imported.exit_code == 0, imported.stderr
    checked = cli("check", str(issue))
    assert checked.exit_code == 0, checked.stderr
    assert "OK: issue 91, 3 articles" in checked.stdout
    assert "glyph" not in checked.stderr and "alternative text" not in checked.stderr


@pytest.mark.slow
def test_imported_libreoffice_article_renders(issue, cli, tmp_path):
    source = str(SAMPLES / "gpl-reading.odt")
    assert cli("import", source, "--into", str(issue), "--accept-changes", "--keep-comments").exit_code == 0
    out = tmp_path / "out"
    rendered = cli("render", str(issue), "--out", str(out), "--only", "web")
    assert rendered.exit_code == 0, rendered.stderr
    texts = page_texts(next(out.glob("*-web.pdf")))
    # compared without spaces or case: bylines are set in letter-spaced capitals, the first letter as a drop cap
    words = "".join("".join(page.split()) for page in texts).casefold()
    for expected in (
        "Reading the GPL, Version 3",
        "Zofia Łukasiewicz",
        "Terms and conditions",
        "To protect your rights, we need to prevent others",
        "Free as in freedom, not as in price.",
        "Γιώργος Παπαδόπουλος",
        "Новосибирск",
        "Read in November 2026.",
    ):
        assert "".join(expected.split()).casefold() in words, expected
    assert "retiredjudge" not in words  # a kept comment is for the editor, never printed
    assert "illustration1" not in words  # the caption's label is the layout's to set, not the writer's


# --- files Word made: pandoc's own test documents (see PROVENANCE.md) ------------------------------------------------


def test_word_quote_styles_and_indented_quotes_are_block_quotes(issue, cli):
    result = cli("import", str(SAMPLES / "word-block-quotes.docx"), "--into", str(issue), "--as", "quotes")
    assert result.exit_code == 0, result.stderr
    body = body_of(issue, "quotes")
    assert "\n> I don’t know why this would be in italics" in body  # the Quote style, one level deep
    assert "\n> This is called the Intense Quote style." in body
    assert "\n> I just indented this, so it looks like a block quote." in body
    assert "> >" not in body and "And back to the normal style." in body


def test_word_comments_are_listed_then_kept(issue, cli):
    source = str(SAMPLES / "word-comments.docx")
    refused = cli("import", source, "--into", str(issue), "--as", "noted")
    assert refused.exit_code == 1
    assert "it holds 5 comments;" in refused.stderr
    assert (
        "comment by Jesse Rosenthal (2016-05-09) before the first heading, paragraph 4 (“One more. And this is one"
        in refused.stderr
    )
    kept = cli("import", source, "--into", str(issue), "--as", "noted", "--keep-comments")
    assert kept.exit_code == 0, kept.stderr
    body = body_of(issue, "noted")
    assert "I want <!-- comment by Jesse Rosenthal (2016-05-09): I left a comment. -->some text" in body
    assert "<!-- comment by Jesse Rosenthal (2016-05-09): This one has multiple paragraphs. ¶ See? -->" in body
    assert yaml.safe_load(issue.read_text())["articles"][-1]["author"] == "Jesse Rosenthal"  # from its properties


def test_word_picture_in_a_text_box_is_never_lost_silently(issue, cli):
    """Pandoc 2.17 (Debian 12's) reads nothing of a Word text box: the picture in one is reported, not dropped
    unseen; a pandoc that reads it imports it."""
    result = cli("import", str(SAMPLES / "word-textbox-image.docx"), "--into", str(issue), "--as", "boxed")
    assert result.exit_code == 0, result.stderr
    pictures = list((issue.parent / "91" / "img").glob("boxed-*"))
    reported = "a picture (image1.png) in a text box or frame was not read by pandoc and is left out" in result.stderr
    assert reported != bool(pictures), result.stderr
    assert "The image is below." in body_of(issue, "boxed")
