"""The layout's rules on real material (tests/fixtures/realtext: licences and a README as Debian ships them):
running heads and folios, printed links, code, cover contrast, headlines, fallback faces; read back from the PDFs."""

from __future__ import annotations

import contextlib
import glob
import io
import json
import re
from pathlib import Path

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from helpers import cli_said, copy_fixture, page_texts
from issue_builder.checks.running_heads import read_furniture, running_head_problems
from issue_builder.cli import main
from issue_builder.layout import cover_contrast
from issue_builder.layout.cover_contrast import cover_contrast_findings, cover_lines
from issue_builder.layout.html import BREAK, no_lone_word, printed_links
from issue_builder.prepare.issue import prepare_issue
from issue_builder.prepare.scripts import missing_glyph_hint, script_of
from issue_builder.prepare.typography import smarten

STEM = "free-text-review-1"


def render(folder: Path, *extra: str) -> tuple[Path, str]:
    """Render the issue in `folder` (both editions, HTML kept); the output folder and what was printed."""
    out = folder / "out"
    code, said = cli_said("render", str(folder / "1.yaml"), "--out", str(out), "--keep-html", "--force", *extra)
    assert code == 0, said
    (out / "said.txt").write_text(said)
    return out, said


@pytest.fixture(scope="module")
def realtext(tmp_path_factory) -> tuple[Path, Path]:
    """The real-material issue rendered once: (its folder, the output folder). Its only warnings are about the
    README's own links the web PDF cannot carry (its title of four lines is set two steps smaller, in three)."""
    folder = copy_fixture("realtext", tmp_path_factory.mktemp("realtext"))
    out, err = render(folder)
    warnings = [line for line in err.splitlines() if "warning: " in line]
    assert len(warnings) == 2, err
    assert all("dropped-link" in w for w in warnings), err
    return folder, out


def summary(out: Path) -> dict:
    """Pages and fill pages as the render printed them; the first page of each article from the web PDF's
    bookmarks."""
    said = next(out.glob("said.txt"), None)
    said = said.read_text() if said else ""
    pages, fill = re.search(r": (\d+) pages \((\d+) fill page", said).groups() if said else (0, 0)
    (pdf,) = out.glob("*-web.pdf")
    with pikepdf.open(pdf) as document, document.open_outline() as outline:
        numbers = {page.obj.objgen: n for n, page in enumerate(document.pages, start=1)}
        if not said:
            pages, fill = len(document.pages), 0
        starts = {item.title: numbers[item.destination[0].objgen] for item in outline.root}
    return {"pages": int(pages), "fill_pages": int(fill), "starts": starts}


def article_pages(out: Path, issue) -> dict[str, int]:
    starts = summary(out)["starts"]
    return {a.id: starts[a.title] for a in issue.articles}


def heads_problems(folder: Path, out: Path, edition: str) -> list[str]:
    issue = prepare_issue(folder / "1.yaml", {})
    facts = summary(out)
    editorial = facts["pages"] - facts["fill_pages"] - 1
    pdf = (out / f"{STEM}-{edition}.pdf").read_bytes()
    return [str(d) for d in running_head_problems(pdf, issue, article_pages(out, issue), editorial)]


def furniture(out: Path, issue) -> list:
    page = issue.manifest.page
    return read_furniture((out / f"{STEM}-web.pdf").read_bytes(), page.margin_top.points, page.margin_bottom.points)


def joined(text: str) -> str:
    return " ".join(text.split())


def read(pdf: Path) -> str:
    """The words of a PDF as a reader sees them: words hyphenated at a line end joined again (pdfium reads a hyphen
    it takes for a soft one as U+FFFE), white space collapsed."""
    text = " ".join(page_texts(pdf)).replace("\ufffe", "-")
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", re.sub("\u2010\\s+", "", text)))
    return joined(text)


# 1. Running heads and folios


def test_every_body_page_names_its_article_in_both_editions(realtext):
    folder, out = realtext
    assert heads_problems(folder, out, "web") == []
    assert heads_problems(folder, out, "print") == []


def test_the_pages_after_a_full_bleed_opener_carry_heads_and_folios(realtext):
    folder, out = realtext
    issue = prepare_issue(folder / "1.yaml", {})
    opener = article_pages(out, issue)["gnu-general-public-license-version-3"]
    pages = furniture(out, issue)
    assert pages[opener - 1].head == "" and pages[opener - 1].foot == ""  # the opener itself: picture, no furniture
    left, right = pages[opener], pages[opener + 1]  # the first text pages: a left-hand, then a right-hand page
    assert "FREE TEXT REVIEW" in left.head and left.foot == str(opener + 1)
    assert right.head == "GNU GENERAL PUBLIC LICENSE, VERSION 3" and right.foot == str(opener + 2)


def test_a_long_title_is_cut_in_the_running_head_and_still_passes(realtext):
    folder, out = realtext
    issue = prepare_issue(folder / "1.yaml", {})
    start = article_pages(out, issue)["apache-2"]
    pages = furniture(out, issue)
    right = next(p for n, p in enumerate(pages, start=1) if n > start and n % 2 and p.head)
    assert right.head.endswith("\u2026") and "APACHE LICENSE, VERSION 2.0" in right.head


def test_the_check_fails_a_head_that_names_another_article(tmp_path):
    folder = copy_fixture("realtext", tmp_path)
    (folder / "layout" / "css").mkdir(parents=True)
    (folder / "layout" / "css" / "extra.css").write_text(
        '@page :right { @top-right { content: "The previous article" } }\n'
        '@page :left { @bottom-left { content: "7" } }\n'
    )
    (folder / "publication.yaml").write_text((folder / "publication.yaml").read_text() + "layout: layout\n")
    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said), pytest.raises(SystemExit) as exit:
        main(["render", str(folder / "1.yaml"), "--out", str(folder / "out")])
    problems = said.getvalue().splitlines()
    assert exit.value.code == 1 and not list((folder / "out").glob("*.pdf"))  # the build fails, nothing is written
    assert any(
        "page 5: GNU General Public License, Version 3: the running head reads 'THE PREVIOUS ARTICLE'" in p
        for p in problems
    ), problems
    assert any("page 4: " in p and "the folio reads '7', not 4" in p for p in problems), problems


def test_the_bulletin_passes_the_running_head_check(rendered_bulletin):
    folder = rendered_bulletin.parent
    issue = prepare_issue(folder / "7.yaml", {})
    (record,) = glob.glob(str(rendered_bulletin / ".cache" / "build-*.json"))
    facts = json.loads(Path(record).read_text())["summary"]
    pdf = next(rendered_bulletin.glob("*-web.pdf")).read_bytes()
    editorial = facts["pages"] - facts["fill_pages"] - 1
    assert running_head_problems(pdf, issue, facts["article_pages"], editorial) == []


# 2. Links


def test_link_addresses_are_printed_alike_in_print_and_web(realtext):
    _, out = realtext
    web, print_ = (read(out / f"{STEM}-{edition}.pdf") for edition in ("web", "print"))
    # the same letters on the pages (the tagged web PDF is read in its tags' order, with other spaces)
    assert sorted(web.replace(" ", "")) == sorted(print_.replace(" ", ""))
    for text in (web, print_):
        assert "Debian Tracker page (tracker.debian.org/pkg/apt)." in text
        assert "the mailing list (deity@lists.debian.org)" in text
        assert "(python-apt, tracker.debian.org/pkg/python-apt)" in text  # in brackets already: none added
        assert "GitHub (github.com/Debian/apt)" in text


def test_the_web_pdf_keeps_the_links_clickable(realtext):
    _, out = realtext
    with pikepdf.open(out / f"{STEM}-web.pdf") as pdf:
        uris = {str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A}
    assert {"https://tracker.debian.org/pkg/apt", "mailto:deity@lists.debian.org", "https://fsf.org/"} <= uris


def test_urls_break_only_after_slash_dot_or_hyphen_with_no_hyphen_added(realtext):
    _, out = realtext
    text = "\n".join(page_texts(out / f"{STEM}-web.pdf")).replace("\r", "")
    urls = [
        "https://deb.debian.org/debian/pool/main/a/apt/",
        "https://www.gnu.org/licenses/gpl-3.0.html",
        "tracker.debian.org/pkg/libapt-pkg-perl",
        "https://salsa.debian.org/apt-team/apt",
    ]
    broken = 0
    for url in urls:
        pattern = "\n?".join(re.escape(ch) for ch in url)
        found = re.search(pattern, text)
        assert found, url
        for at in [m.start() for m in re.finditer("\n", found.group(0))]:
            broken += 1
            assert found.group(0)[at - 1] in "/.-", found.group(0)
    assert broken, "no URL of the fixture broke across lines: the test shows nothing"
    assert not re.search(r"h\W*t\W*t\W*p\W*s?\W*-", text)  # no hyphen added inside a URL ("ht-tps://")


def test_break_opportunities_go_after_slash_dot_hyphen_only():
    html = printed_links('<p><a href="https://a-b.org/x/">site</a> and https://c.org/d-e now</p>')
    assert f"(a-{BREAK}b.{BREAK}org/{BREAK}x)" in html
    assert f'<span class="url">https://{BREAK}c.{BREAK}org/{BREAK}d-{BREAK}e</span> now' in html
    assert BREAK not in printed_links("<pre><code>https://c.org/d</code></pre>")


# 3. Code


def test_code_is_set_in_the_monospace_face_without_smart_typography(realtext):
    _, out = realtext
    for edition in ("web", "print"):
        with pikepdf.open(out / f"{STEM}-{edition}.pdf") as pdf:
            fonts = {str(f.BaseFont) for page in pdf.pages for f in page.resources.get("/Font", {}).values()}
        assert any("Noto-Sans-Mono" in f for f in fonts), fonts
    text = joined(" ".join(page_texts(out / f"{STEM}-web.pdf")))
    assert "CC=cc ./configure --prefix=/usr -- \"quoted\" 'args'..." in text
    assert 'CC=cc --verbose "x"' in text
    assert "setlocal shiftwidth=3 noexpandtab tabstop=8" in text


# 4. Cover


def test_white_cover_type_on_a_light_picture_is_warned_about_by_name(tmp_path):
    folder = copy_fixture("realtext", tmp_path)
    manifest = folder / "1.yaml"
    manifest.write_text(
        re.sub(r"  (masthead_colour|tagline_colour|lines_colour|scrim): \w+\n", "", manifest.read_text())
    )
    out, _ = render(folder)
    issue = prepare_issue(manifest, {})
    found = [str(d) for d in cover_contrast_findings((out / f"{STEM}-web.pdf").read_bytes(), issue)]
    assert any(
        "the cover's tagline 'Licences and manuals, read closely' has a contrast of 1." in f
        and "WCAG asks 4.5:1" in f
        and "set cover.tagline_colour or cover.scrim" in f
        for f in found
    ), found
    assert any("the cover's masthead 'Free Text Review'" in f for f in found), found
    assert all(f.startswith("warning: cover-contrast: page 1: ") for f in found)
    _, said = render(folder, "--only", "print")  # a print-only build reads the cover from its layout
    assert "cover-contrast: page 1: the cover's tagline 'Licences and manuals, read closely'" in said, said


def test_cover_colours_and_scrim_come_from_the_settings(realtext):
    folder, out = realtext
    issue = prepare_issue(folder / "1.yaml", {})
    pdf = (out / f"{STEM}-web.pdf").read_bytes()
    assert cover_contrast_findings(pdf, issue) == []
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[0]
    colours = {joined(line.text): line.colour for line in cover_lines(page, page.get_textpage())}
    assert colours["FREE TEXT"] == (0xD2, 0x1F, 0x1B)  # the accent
    assert colours["The GPL, version 3"] == (0x1A, 0x1A, 0x1A)  # ink
    front = (out / f"{STEM}-html" / "00-front.html").read_text()
    assert 'class="cover-scrim scrim-light"' in front


def test_the_scrim_leaves_no_line_across_the_cover(tmp_path):
    """poppler drew the edge of a shade that ended inside the page as a thin dark line (issue 16)."""
    import subprocess

    from PIL import Image

    folder = copy_fixture("realtext", tmp_path)
    manifest = folder / "1.yaml"
    manifest.write_text(manifest.read_text().replace("scrim: light", "scrim: dark"))
    out, _ = render(folder)
    seams = {}
    for dpi in (40, 44, 52, 56, 64, 72):  # the seam showed at some resolutions only (where the edge fell mid-pixel)
        stem = tmp_path / f"cover-{dpi}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(out / f"{STEM}-web.pdf"), stem])
        image = Image.open(next(tmp_path.glob(f"cover-{dpi}*.png"))).convert("L")
        width, height = image.size
        pixels = image.load()
        edge = int(width * 0.45 / 7)  # the strip left of the type (0.45in of the 7in page): picture and scrim only
        rows = [sum(pixels[x, y] for x in range(edge)) / edge for y in range(height)]
        # a seam is a row much darker than both its neighbours; the picture has none
        seams[dpi] = [y for y in range(1, height - 1) if rows[y] < min(rows[y - 1], rows[y + 1]) - 12]
    assert seams == dict.fromkeys(seams, [])


# 5. Headlines


def test_a_headline_never_ends_on_one_short_word():
    assert no_lone_word("GNU General Public License, Version 3") == (
        'GNU General Public License, <span class="nobreak">Version 3</span>'
    )
    assert no_lone_word("Two words") == "Two words"
    assert no_lone_word("A <b> & C") == 'A &lt;b&gt; <span class="nobreak">&amp; C</span>'  # escaped
    long = "Attempt to Overthrow Venezuelan Government"
    assert no_lone_word(long) == long


def test_titles_keep_their_last_words_together_on_the_page(realtext):
    """Without the rule, the Apache title's last line holds `Works` alone at its full size (copy-fitting then sets
    this title of four lines two steps smaller, where it breaks well either way)."""
    from issue_builder.base.paths import FONTS_DIR
    from issue_builder.layout.boxes import page_root
    from issue_builder.layout.engine import boxes, weasyprint
    from issue_builder.layout.fetcher import SandboxFetcher
    from issue_builder.layout.html import render_html

    folder, _ = realtext
    issue = prepare_issue(folder / "1.yaml", {})
    rendered = render_html(issue, part="article", first_page=5, articles=(issue.articles[1],))  # at full size
    fetcher = SandboxFetcher([issue.root, FONTS_DIR, *rendered.layout_chain], issue_root=issue.root)
    page = weasyprint.HTML(string=rendered.html, base_url=rendered.base_url, url_fetcher=fetcher).render().pages[0]
    title = next(b for b in page_root(page).descendants() if b.element_tag == "h1")
    lines = [
        joined("".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox))) for line in title.children
    ]
    assert lines[-1] != "Works" and len(lines) == 4, lines
    assert lines[-2:] == ["Reproduction and Distribution", "of Works"], lines


def test_drop_caps_only_on_an_opening_paragraph_of_text(realtext):
    _, out = realtext
    html = {p.name: p.read_text() for p in (out / f"{STEM}-html").glob("*.html")}
    gpl = next(v for k, v in html.items() if "gnu-general" in k)
    apache = next(v for k, v in html.items() if "apache" in k)
    assert gpl.count('class="dropcap"') == 1
    assert 'class="dropcap"' not in apache  # it opens with a block quote


def test_dash_rules_are_configurable():
    assert smarten("a -- b")[0] == "a \u2013 b"
    assert smarten("a -- b", dashes="em")[0] == "a \u2014 b"
    assert smarten("a -- b", dashes="closed-em")[0] == "a\u2014b"
    assert smarten("a---b", dashes="spaced-em")[0] == "a\u00a0\u2014 b"


# 6. Scripts


def test_hebrew_and_arabic_words_are_set_from_the_fallback_faces(realtext):
    _, out = realtext
    with pikepdf.open(out / f"{STEM}-print.pdf") as pdf:
        fonts = {str(f.BaseFont) for page in pdf.pages for f in page.resources.get("/Font", {}).values()}
    assert any("Noto-Serif-Hebrew" in f for f in fonts) and any("Noto-Naskh-Arabic" in f for f in fonts), fonts
    text = " ".join(page_texts(out / f"{STEM}-web.pdf"))
    for word in ("עברית", "חבילה", "العربية", "حزمة"):
        assert word in text or word[::-1] in text, word


def test_without_the_fallback_faces_the_hebrew_and_arabic_words_fail_the_render(tmp_path, cli):
    folder = copy_fixture("realtext", tmp_path)
    (folder / "publication.yaml").write_text((folder / "publication.yaml").read_text() + "fonts:\n  fallback: []\n")
    result = cli("render", str(folder / "1.yaml"), "--out", str(folder / "out"), "--only", "web")
    assert result.exit_code == 1
    assert "Noto" in result.stderr and "not one of the publication's families" in result.stderr


def test_a_missing_glyph_is_named_by_its_script():
    assert script_of("\u2d30") == "Tifinagh" and script_of("\u05d0") == "Hebrew" and script_of("\u262d") is None
    assert missing_glyph_hint("\u2d30") == (
        "a Tifinagh character: add a font folder with a Tifinagh font to font_dirs in the publication file, and its "
        "family to fonts.fallback"
    )


def test_the_dash_rule_reaches_article_bodies(tmp_path: Path):
    folder = copy_fixture("bulletin", tmp_path)
    body = folder / "7" / "articles" / "lease-law.md"
    body.write_text(body.read_text("utf-8") + "\nNotice periods -- the heart of the law -- got longer.\n", "utf-8")
    publication = folder / "publication.yaml"
    publication.write_text(publication.read_text("utf-8") + "typesetting:\n  dashes: closed-em\n", "utf-8")
    issue = prepare_issue(folder / "7.yaml")
    html = next(str(a.body_html) for a in issue.articles if a.title == "The New Lease Law")
    assert "periods\u2014the heart of the law\u2014got longer" in html


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=300),
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
)
def test_the_cover_contrast_counted_by_colour_is_the_contrast_of_every_pixel(pixels, text):
    """The contrast 90% of the pixels beneath a line reach, counted once per colour, is the one of every pixel
    sorted, with the luminance as WCAG 2 defines it."""

    def wcag(rgb):
        c = [v / 255 for v in rgb]
        c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    every = sorted(cover_contrast.contrast(wcag(text), wcag(p)) for p in pixels)
    picture = Image.new("RGB", (len(pixels), 1))
    picture.putdata(pixels)
    counted = sorted(
        (cover_contrast.contrast(cover_contrast.luminance(text), cover_contrast.luminance(c)), n)
        for n, c in picture.getcolors(len(pixels))
    )
    assert cover_contrast._percentile(counted, cover_contrast.PERCENTILE) == every[int(len(every) * 0.1)]
