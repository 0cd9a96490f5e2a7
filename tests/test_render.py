"""Rendering the second sample issue: read the PDFs back and check what a user would see."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from helpers import drawn_pictures, page_texts, squeeze
from issue_builder.checks.readback import read_back

MM = 72 / 25.4
PRINT = "the-tenant-bulletin-7-print.pdf"
WEB = "the-tenant-bulletin-7-web.pdf"


def test_both_editions_are_written_with_the_publication_name(rendered_bulletin: Path):
    names = sorted(p.name for p in rendered_bulletin.iterdir() if p.suffix == ".pdf")
    assert names == [PRINT, WEB]
    assert not [p for p in rendered_bulletin.iterdir() if p.name.endswith(".tmp")]


def test_print_pages_have_trim_and_bleed(rendered_bulletin: Path):
    facts = read_back(rendered_bulletin / PRINT)
    width, height, bleed = 148 * MM, 210 * MM, 3 * MM
    for (w, h), trim in zip(facts.page_sizes, facts.trim_boxes, strict=False):
        assert trim is not None
        assert abs((trim[2] - trim[0]) - width) < 0.05 and abs((trim[3] - trim[1]) - height) < 0.05
        assert w >= width + 2 * bleed - 0.05 and h >= height + 2 * bleed - 0.05


def test_web_pages_are_trimmed(rendered_bulletin: Path):
    facts = read_back(rendered_bulletin / WEB)
    for w, h in facts.page_sizes:
        assert abs(w - 148 * MM) < 0.05 and abs(h - 210 * MM) < 0.05


def test_same_pages_in_both_editions_and_back_cover_last(rendered_bulletin: Path):
    print_texts = page_texts(rendered_bulletin / PRINT)
    web_texts = page_texts(rendered_bulletin / WEB)
    assert len(print_texts) == len(web_texts)
    assert squeeze("Printed in the union's own print shop") in squeeze(print_texts[-1])
    assert len(print_texts) % 2 == 0  # the back cover is a left-hand page


def test_every_edition_has_the_same_text_on_every_page(rendered_bulletin: Path):
    """One layout for all editions: each web page holds the print page's letters, bar the printer's slug. (The web
    edition reads hyphenated words and drop caps whole, so the letters are compared, not the lines or their order.)"""

    def letters(text: str) -> str:
        kept = "".join(line for line in text.splitlines() if " · page " not in line)
        return re.sub(r"[\s\-\u00ad\u2010]", "", kept)

    pairs = zip(page_texts(rendered_bulletin / PRINT), page_texts(rendered_bulletin / WEB), strict=True)
    for number, (print_page, web_page) in enumerate(pairs, start=1):
        assert sorted(letters(print_page)) == sorted(letters(web_page)), f"page {number}"
        assert len(letters(web_page)) > 50, f"page {number}"


def test_fonts_are_embedded_and_only_committed_families(rendered_bulletin: Path):
    for name in (PRINT, WEB):
        facts = read_back(rendered_bulletin / name)
        assert facts.fonts
        for font in facts.fonts:
            assert font.embedded, font
            assert re.match(r"^(Charis-SIL|CharisSIL|Inter|Bebas-Neue)(-|$)", font.base_name), font


def test_titles_and_deks_in_reading_order(rendered_bulletin: Path):
    text = re.sub(r"\s+", " ", " ".join(page_texts(rendered_bulletin / WEB)[2:]))
    order = [
        "After Eleven Months of Organising Door to Door",
        "How a rent strike in three tower blocks",
        "The New Lease Law",
        "Meeting Notes",
        "What the general meeting decided in September.",
    ]
    positions = [text.find(t) for t in order]
    assert -1 not in positions, positions
    assert positions == sorted(positions)


def test_contents_page_numbers_match_where_articles_start(rendered_bulletin: Path):
    texts = page_texts(rendered_bulletin / WEB)
    titles = ("After Eleven Months", "The New Lease Law", "Meeting Notes")
    starts = [next(i for i, t in enumerate(texts[2:], start=3) if squeeze(title) in squeeze(t)) for title in titles]
    furniture = re.sub(r"ISSUE \d+|\b\d{4}\b", "", texts[1])
    numbers = [int(n) for n in re.findall(r"\b\d{1,3}\b", furniture)]
    assert numbers[:-1] == starts  # the last number is the contents page's own folio
    assert numbers[-1] == 2


def test_web_has_bookmarks_links_and_metadata(rendered_bulletin: Path):
    facts = read_back(rendered_bulletin / WEB)
    titles = facts.outline_titles
    assert "Contents" in titles
    assert any(t.startswith("After Eleven Months") for t in titles)
    assert "Counting the damage" in titles  # subheads sit beneath their article
    assert facts.annotations > 0
    assert facts.title == "The Tenant Bulletin, Issue 7"
    with pikepdf.open(rendered_bulletin / WEB) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert "/StructTreeRoot" in pdf.Root
        uris = {str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A}
        assert "https://riverside.example.org" in uris


def test_print_has_no_annotations_and_full_resolution_images(rendered_bulletin: Path):
    facts = read_back(rendered_bulletin / PRINT)
    assert facts.annotations == 0
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        widths = {int(img.Width) for page in pdf.pages for img in _images(page)}
    assert 1200 in widths  # towers.jpg placed at its own resolution


def test_web_images_are_downsampled(rendered_bulletin: Path):
    from issue_builder.base.pdf_content import image_placements

    with pikepdf.open(rendered_bulletin / WEB) as pdf:
        widths = {int(img.Width) for page in pdf.pages for img in _images(page)}
        ppis = [p.ppi for p in image_placements(pdf)]
    assert widths and max(widths) < 1200
    assert max(ppis) <= 150 * 1.05 + 1  # about 150 ppi where the source had more


def test_web_pdf_is_tagged_and_described(rendered_bulletin: Path):
    with pikepdf.open(rendered_bulletin / WEB) as pdf:
        assert pdf.Root.MarkInfo.Marked and pdf.Root.ViewerPreferences.DisplayDocTitle
        (intent,) = pdf.Root.OutputIntents
        assert str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1" and int(intent.DestOutputProfile.N) == 3
        xmp = pdf.Root.Metadata.read_bytes().decode()
        for expected in (
            "<pdfuaid:part>1</pdfuaid:part>",
            "<rdf:li>Ana Petrović</rdf:li>",
            "<rdf:li>en-GB</rdf:li>",
            "The Tenant Bulletin, Issue 7",
            "<xmp:CreateDate>2024-10-01T00:00:00Z",
        ):
            assert expected in xmp
        assert str(pdf.docinfo.Author) == "Ana Petrović"


def test_optional_fields_absent_leave_no_trace(rendered_bulletin: Path):
    texts = page_texts(rendered_bulletin / WEB)
    everything = " ".join(texts)
    lease = next(t for t in texts if "The New Lease Law" in t and "Notice periods" in t)
    assert "By " not in lease.split("Parliament")[0]  # no author: no byline
    assert "Contact us at bulletin@example.org." in everything.replace("\r\n", " ").replace("\n", " ")
    assert " at or" not in everything and "at  or" not in everything


def test_no_attachments_in_either_edition(rendered_bulletin: Path):
    for name in (PRINT, WEB):
        assert not read_back(rendered_bulletin / name).embedded_files


def test_kept_html_is_escaped_and_sandboxed(rendered_bulletin: Path):
    html = "".join(p.read_text("utf-8") for p in sorted((rendered_bulletin / "the-tenant-bulletin-7-html").iterdir()))
    assert "<script" not in html
    assert "Riverside Tenants&#39; Union" in html or "Riverside Tenants' Union" in html


def _images(page: pikepdf.Page):
    yield from page.get_images().values()


def test_converted_images_are_the_ones_placed(cli, bulletin):
    """CMYK JPEG, 16-bit PNG and TIFF: each edition places its own converted copy, with the right pixels."""
    from PIL import Image

    img = bulletin / "7" / "img"
    Image.new("CMYK", (1200, 800), (0, 200, 200, 0)).save(img / "towers.jpg", quality=95)
    Image.new("I;16", (900, 600), 40000).save(img / "grey16.png")
    article = bulletin / "7" / "articles" / "meeting.md"
    article.write_text(article.read_text("utf-8").replace("../img/plan.jpg", "../img/grey16.png"), "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 0, result.stderr
    for name, expected_space in (("web", {"/DeviceRGB", "/DeviceGray"}), ("print", {"/DeviceCMYK", "/DeviceGray"})):
        with pikepdf.open(bulletin / "out" / f"the-tenant-bulletin-7-{name}.pdf") as pdf:
            pictures = drawn_pictures(pdf)  # in the web edition, a picture its frame crops is cut to what it shows
            assert {str(i.ColorSpace) for i, _ in pictures} <= expected_space
            wide = [i for i, whole in pictures if abs(whole - 1.5) < 0.01]
            towers = pikepdf.PdfImage(next(i for i in wide if str(i.ColorSpace) != "/DeviceGray")).as_pil_image()
            grey = pikepdf.PdfImage(next(i for i in wide if str(i.ColorSpace) == "/DeviceGray")).as_pil_image()
            if name == "web":
                r, g, b = towers.convert("RGB").getpixel((10, 10))
                assert r > 200 and g < 90 and b < 90  # red, not the CMYK numbers read as RGB
            else:
                c, m, y, k = towers.getpixel((10, 10))
                assert c < 20 and m > 150 and y > 150
            assert abs(grey.getpixel((10, 10)) - 40000 // 256) <= 2


def test_default_output_folder_is_build_issue_under_the_current_folder(cli, bulletin, monkeypatch):
    monkeypatch.chdir(bulletin)
    from PIL import Image

    Image.new("CMYK", (1200, 800), (0, 200, 200, 0)).save(
        bulletin / "7" / "img" / "towers.jpg"
    )  # needs a converted copy
    result = cli("render", "7.yaml", "--only", "web")
    assert result.exit_code == 0, result.stderr
    assert "wrote build/7/the-tenant-bulletin-7-web.pdf" in result.stdout
    assert (bulletin / "build" / "7" / "the-tenant-bulletin-7-web.pdf").is_file()
