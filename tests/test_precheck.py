"""`check` finds before layout what a render would: characters no font has, pictures placed at a fixed size below
the printer's resolution, links the web PDF cannot carry; `check --strict` fails where `render --strict` does."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from helpers import REPO, copy_fixture, edit, line_of

CHARACTER = re.compile(r"\(U\+([0-9A-F]{4,6})\)")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def missing(output: str) -> list[str]:
    """The code points named by `missing-glyph` lines, in order."""
    return [m for line in output.splitlines() if "missing-glyph" in line for m in CHARACTER.findall(line)]


def resolution(output: str) -> list[str]:
    return re.findall(r"image-resolution: .*?(\d+ ppi placed at [\d.]+ x [\d.]+ in(?: with bleed)?)", output)


@pytest.fixture
def quartier(tmp_path: Path) -> Path:
    """A fresh copy of the French sample issue (square page, a full-bleed opener, links)."""
    return copy_fixture("quartier", tmp_path)


def shrink(picture: Path, width: int) -> None:
    with Image.open(picture) as image:
        image.resize((width, round(image.height * width / image.width))).save(picture, quality=85)


# --- glyphs ---------------------------------------------------------------------------------------------------


def test_a_character_no_font_has_is_named_once_with_its_places(cli, bulletin):
    manifest = bulletin / "7.yaml"
    edit(manifest, "  - title: The New Lease Law", "  - title: The New Lease Law ☭")
    edit(manifest, "    - Rent strike wins repairs", "    - Rent strike wins repairs ☭")
    body = bulletin / "7" / "articles" / "meeting.md"
    append(body, "\nThe union's symbol is ☭, and its motto begins ⴰⵣ in Tifinagh.\n")
    result = cli("check", str(manifest))
    assert result.exit_code == 1
    err = result.stderr
    assert "7.yaml: 3 errors a render would fail on, found before layout:" in err
    # one line per character, at its first place (the cover comes first), naming the articles and other places
    assert (
        f"7.yaml:{line_of(manifest, 'repairs ☭')}: missing-glyph: cover.lines[0]: no font the layout can use has the "
        f"character '☭' (U+262D); in: The New Lease Law ☭; Meeting Notes (also at articles[1].title, "
        f"7.yaml:{line_of(manifest, 'Law ☭')}, articles[2].body, meeting.md:{line_of(body, 'symbol')})" in err
    )
    assert (
        f"7/articles/meeting.md:{line_of(body, 'symbol')}: missing-glyph: articles[2].body: no font the layout can "
        "use has the character 'ⴰ' (U+2D30); in: Meeting Notes" in err
    )
    assert missing(err) == ["262D", "2D30", "2D63"]
    assert "print:" not in err and "web:" not in err  # one layout: the two editions print the same characters


def test_check_knows_it_without_laying_out(tmp_path):
    """`check` runs without loading WeasyPrint: nothing is laid out (and so it takes a second, not a render's)."""
    folder = copy_fixture("bulletin", tmp_path)
    append(folder / "7" / "articles" / "meeting.md", "\nThe symbol ☭.\n")
    script = (
        "import sys\nfrom issue_builder.cli import main\ntry:\n    main(['check', sys.argv[1]])\n"
        "except SystemExit as exc:\n    print('exit', exc.code, 'weasyprint' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(folder / "7.yaml")], capture_output=True, text=True)
    assert "exit 1 False" in done.stdout, done.stdout + done.stderr
    assert missing(done.stderr) == ["262D"]


# Characters of each kind the coverage rules tell apart, in a body: none of the fonts has them (a symbol, an emoji,
# Tibetan, private use), only a fallback font has it (Greek capital heta, in Inter, not in the body's Charis), no
# glyph needed (format characters, variation selectors, spaces no font has), composed from covered parts (a
# negated arrow, a decomposed é), never printed (control characters, the line separator; not the paragraph
# separator).
PROBES = [
    "☭",
    "\U0001f600",
    "\u0f00",
    "\U000f0000",
    "\u0370",
    "\u2066",
    "\u180e",
    "\U000e0100",
    "\u3000",
    "\u1680",
    "\u21ae",
    "e\u0301",
    "a\u0730",
    "\u3164",
    "\u2028",
    "\u2029",
    "\x07",
    "\x0c",
    "\x85",
]


def test_the_characters_check_names_are_those_the_render_fails_on(cli, bulletin):
    """The coverage rules measured on WeasyPrint: the same characters, no more, no fewer."""
    body = bulletin / "7" / "articles" / "lease-law.md"
    append(body, "".join(f"\n\nProbe {i}: x{c}x.\n" for i, c in enumerate(PROBES)))
    check = cli("check", str(bulletin / "7.yaml"))
    render = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert check.exit_code == render.exit_code == 1
    assert sorted(missing(check.stderr)) == sorted(missing(render.stderr))
    assert sorted(missing(check.stderr)) == [
        "0007",
        "000C",
        "0085",
        "0730",
        "0F00",
        "1F600",
        "2028",
        "262D",
        "3164",
        "F0000",
    ]


def test_issue_18_and_the_fixtures_have_nothing_to_find_before_layout(cli):
    for manifest in (REPO / "issues" / "18.yaml", REPO / "tests" / "fixtures" / "quartier" / "3.yaml"):
        result = cli("check", str(manifest), "--json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert [f for f in data["findings"] if f["stage"] == "precheck"] == []
        assert "the resolution of pictures the text flow sizes (lead images, inline figures)" in data["render_only"]


# --- pictures placed at a fixed size ------------------------------------------------------------------------


def test_a_low_resolution_cover_fails_check_as_it_fails_the_render(cli, bulletin):
    cover = bulletin / "7" / "img" / "cover.jpg"
    shrink(cover, 400)  # 400 pixels over the A5 cover's 154 mm (148 mm and the bleed): 66 ppi, below 72
    manifest = bulletin / "7.yaml"
    check = cli("check", str(manifest))
    assert check.exit_code == 1
    assert (
        f"7.yaml:{line_of(manifest, 'cover.jpg')}: print: image-resolution: cover.image: 7/img/cover.jpg is 66 ppi "
        "placed at 6.06 x 8.50 in with bleed, cropped from 6.06 x 8.59 in "
        "(below 72 ppi): the layout places it at that size whatever the text, so it "
        "needs 437 x 613 pixels or more (it has 400 x 567)" in check.stderr
    )
    render = cli("render", str(manifest), "--out", str(bulletin / "out"), "--only", "print")
    assert render.exit_code == 1
    assert resolution(check.stderr) == resolution(render.stderr) == ["66 ppi placed at 6.06 x 8.50 in with bleed"]


def test_a_full_bleed_opener_is_checked_at_the_size_its_template_gives_it(cli, quartier):
    picture = quartier / "3" / "img" / "marche.jpg"
    shrink(picture, 700)  # 700 pixels over 220 mm: 81 ppi, between min_ppi 72 and warn_ppi 100
    manifest = quartier / "3.yaml"
    check = cli("check", str(manifest))
    assert check.exit_code == 0
    assert f"3.yaml:{line_of(manifest, 'marche.jpg')}: warning: print: image-resolution: articles[0].image.src: " in (
        check.stderr
    )
    # its height follows its proportions (the template's inline style): 700 x 318 pixels at 8.66 in wide
    assert resolution(check.stderr) == ["81 ppi placed at 8.66 x 3.93 in with bleed"]
    assert cli("check", str(manifest), "--strict").exit_code == 1
    render = cli("render", str(manifest), "--out", str(quartier / "out"), "--only", "print", "--strict")
    assert render.exit_code == 1
    assert resolution(render.stderr) == resolution(check.stderr)


def test_sizes_come_from_the_layout_not_from_the_code(cli, bulletin):
    """A layout that places the cover smaller gets its own resolution, read from its stylesheet."""
    shrink(bulletin / "7" / "img" / "cover.jpg", 400)
    append(bulletin / "layout" / "css" / "extra.css", "\n.cover-image { width: 216pt; height: 306pt; }\n")
    check = cli("check", str(bulletin / "7.yaml"))
    assert check.exit_code == 0, check.stderr  # 400 pixels over 3 in: 133 ppi
    append(bulletin / "layout" / "css" / "extra.css", ".cover-image { width: 100%; height: auto; }\n")
    assert resolution(cli("check", str(bulletin / "7.yaml")).stderr) == []  # sized by the layout: a render's to tell


# --- links ----------------------------------------------------------------------------------------------------


def test_links_the_web_pdf_cannot_carry_are_named_and_are_the_ones_it_drops(cli, quartier):
    body = quartier / "3" / "articles" / "jardins.md"
    append(
        body,
        "\nVoir [le règlement](reglement.html), [l’archive](ftp://archives.example.org/jardins), "
        "[le site](www.example.org), [la permanence](tel:+33478000000), "
        '[la mairie](https://mairie.example.org/jardins) et <a href="plan.pdf">le plan</a>.\n',
    )
    manifest = quartier / "3.yaml"
    check = cli("check", str(manifest))
    assert check.exit_code == 0
    line = line_of(body, "règlement")
    dropped = [w for w in check.stderr.splitlines() if "dropped-link" in w]
    assert dropped == [
        f"{body}:{line}: warning: web: dropped-link: articles[1].body: relative link "
        f"'{target}' is dropped from the web PDF (its words stay, unlinked); {hint}"
        if kind == "relative"
        else f"{body}:{line}: warning: web: dropped-link: articles[1].body: link '{target}' is dropped "
        f"from the web PDF: it carries http, https, mailto and #anchor links, not {target.split(':')[0]}:"
        for kind, target, hint in [
            ("relative", "reglement.html", "give the full address, https://..."),
            ("scheme", "ftp://archives.example.org/jardins", ""),
            ("relative", "www.example.org", "write https://www.example.org"),
            ("scheme", "tel:+33478000000", ""),
            ("relative", "plan.pdf", "give the full address, https://..."),
        ]
    ]
    assert cli("check", str(manifest), "--strict").exit_code == 1
    render = cli("render", str(manifest), "--out", str(quartier / "out"), "--only", "web")
    assert render.exit_code == 0, render.stderr
    with pikepdf.open(next((quartier / "out").glob("*-web.pdf"))) as pdf:
        uris = {str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A}
    # the web PDF keeps exactly the links check did not name
    assert uris == {
        "https://gazette-quartier.example.org/marche",
        "mailto:jardins@gazette-quartier.example.org",
        "https://gazette-quartier.example.org/contact",
        "https://mairie.example.org/jardins",
    }


def test_a_link_to_an_anchor_the_layout_lacks_fails_both(cli, quartier):
    body = quartier / "3" / "articles" / "jardins.md"
    append(body, "\nVoir [le marché](#article-le-marche-du-samedi-a-dix-ans) et [la suite](#ailleurs).\n")
    check = cli("check", str(quartier / "3.yaml"))
    assert check.exit_code == 1
    assert (
        f"3/articles/jardins.md:{line_of(body, '#ailleurs')}: unknown-anchor: articles[1].body: link to #ailleurs, "
        "an anchor the layout does not have (the render fails on it)" in check.stderr
    )
    assert "le-marche-du-samedi" not in check.stderr  # an article's anchor is there
    render = cli("render", str(quartier / "3.yaml"), "--out", str(quartier / "out"), "--only", "web")
    assert render.exit_code == 1 and "unknown-anchor: No anchor #ailleurs" in render.stderr


# --- strict ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fails"),
    [
        (None, False),
        ("opener-81-ppi", True),
        ("missing-glyph", True),
    ],
)
def test_check_strict_fails_where_render_strict_fails(cli, quartier, change, fails):
    if change == "opener-81-ppi":
        shrink(quartier / "3" / "img" / "marche.jpg", 700)
    elif change == "missing-glyph":
        append(quartier / "3" / "articles" / "marche.md", "\nLe symbole ☭.\n")
    check = cli("check", str(quartier / "3.yaml"), "--strict")
    render = cli("render", str(quartier / "3.yaml"), "--out", str(quartier / "out"), "--strict")
    assert (check.exit_code != 0, render.exit_code != 0) == (fails, fails), (check.stderr, render.stderr)


def test_check_says_what_only_a_render_can_check(cli, quartier):
    result = cli("check", str(quartier / "3.yaml"))
    assert result.exit_code == 0
    assert "only a render checks: text that overflows its box or does not reach the pages; titles' fit and " in (
        result.stdout
    )
