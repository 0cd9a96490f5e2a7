"""The print edition is a PDF/X-4 file: CMYK only, full bleed box, marks in registration colour, output intent."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from helpers import page_texts, squeeze

MM = 72 / 25.4
PRINT = "the-tenant-bulletin-7-print.pdf"


def object_texts(pdf: pikepdf.Pdf):
    """Every indirect object's dictionary or array as PDF syntax (stream data excluded)."""
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            yield obj.stream_dict.unparse()
        elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
            yield obj.unparse()


def test_output_intent_and_pdfx_identification(rendered_bulletin: Path):
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        assert pdf.pdf_version == "1.6"
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX"
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        assert str(intent.RegistryName) == "http://www.color.org"
        assert int(intent.DestOutputProfile.N) == 4
        assert intent.DestOutputProfile.read_bytes()[36:40] == b"acsp"
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
        assert "<pdf:Trapped>False</pdf:Trapped>" in xmp
        assert "<xmpMM:DocumentID>uuid:" in xmp and "<xmp:CreateDate>2024-10-01T00:00:00Z" in xmp
        assert pdf.docinfo.Trapped == "/False"
        assert "/Encrypt" not in pdf.trailer


def test_no_device_rgb_anywhere(rendered_bulletin: Path):
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        for text in object_texts(pdf):
            assert b"/DeviceRGB" not in text, text[:300]
        for page in pdf.pages:
            for _operands, operator in pikepdf.parse_content_stream(page):
                assert str(operator) not in ("rg", "RG"), operator
        images = [img for page in pdf.pages for img in page.get_images().values()]
        assert images and all(img.ColorSpace == "/DeviceCMYK" for img in images)


def test_black_text_and_rules_are_black_ink_only(rendered_bulletin: Path):
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        for page in pdf.pages:
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("scn", "sc", "k") and len(operands) == 4:
                    c, m, y, k = (float(v) for v in operands)
                    assert not (k >= 0.85 and c + m + y > 0), f"rich black {operands}"


def test_boxes_bleed_and_marks(rendered_bulletin: Path):
    bleed = 3 * MM
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        for page in pdf.pages:
            trim = [float(v) for v in page.TrimBox]
            bleed_box = [float(v) for v in page.BleedBox]
            media = [float(v) for v in page.MediaBox]
            assert [round(v, 2) for v in bleed_box] == [
                round(trim[0] - bleed, 2),
                round(trim[1] - bleed, 2),
                round(trim[2] + bleed, 2),
                round(trim[3] + bleed, 2),
            ]
            assert media[0] < bleed_box[0] and media[2] > bleed_box[2]
            assert "/ArtBox" not in page.obj and "/Annots" not in page.obj
            spaces = {
                str(cs[1])
                for xobject in page.Resources.XObject.values()
                if "/Resources" in xobject
                for cs in dict(xobject.Resources.get("/ColorSpace", {})).values()
                if isinstance(cs, pikepdf.Array) and cs[0] == "/Separation"
            }
            assert "/All" in spaces  # crop and registration marks in registration colour
        assert abs(float(pdf.pages[0].TrimBox[2]) - 148 * MM) < 0.05


def test_slug_line_names_the_page(rendered_bulletin: Path):
    texts = page_texts(rendered_bulletin / PRINT)
    assert "The Tenant Bulletin · Issue 7 · October 2024 · page 3 of 8" in texts[2]


def test_printer_profile_must_be_cmyk(cli, bulletin):
    srgb = bulletin / "srgb.icc"
    from PIL import ImageCms

    srgb.write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (bulletin / "not-icc.icc").write_bytes(b"nonsense")
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("printing:\n", "printing:\n  output_profile: srgb.icc\n"), "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "printing.output_profile: an output profile must be CMYK, this one is RGB" in result.stderr


def test_marks_inside_the_bleed_are_refused(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("    offset: 9pt", "    offset: 2pt"), "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert (
        "printing.marks.offset: marks would print inside the bleed: offset 2pt is less than the bleed 3mm"
        in result.stderr
    )


def test_page_count_meets_the_binding(rendered_bulletin: Path):
    assert len(read_pages(rendered_bulletin / PRINT)) % 4 == 0


def read_pages(path: Path) -> list[str]:
    return page_texts(path)


def cut_last_article(bulletin: Path) -> None:
    manifest = bulletin / "7.yaml"
    text = manifest.read_text("utf-8")
    manifest.write_text(text[: text.index("  - title: Meeting Notes")], "utf-8")


def test_missing_pages_are_filled_before_the_back_cover(cli, bulletin):
    cut_last_article(bulletin)
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert result.exit_code == 0, result.stderr
    assert "8 pages (2 fill pages, house-ad, before the back cover)" in result.stdout
    texts = read_pages(bulletin / "out" / "the-tenant-bulletin-7-web.pdf")
    assert squeeze("Subscribe to The Tenant Bulletin") in squeeze(texts[5])
    assert squeeze(texts[6]).startswith("NOTES")
    assert squeeze("Printed in the union's own print shop") in squeeze(texts[7])


def test_fill_policies(cli, bulletin):
    cut_last_article(bulletin)
    pub = bulletin / "publication.yaml"
    base = pub.read_text("utf-8")
    pub.write_text(base.replace("  paper: 90 gsm coated silk", "  paper: 90 gsm coated silk\n  fill: fail"), "utf-8")
    failed = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "web")
    assert failed.exit_code == 1
    assert (
        "6 pages: saddle-stitch binding needs a multiple of 4; 2 page(s) missing before the back cover (pages 6-7). "
        "Add content, or set printing.fill to house-ad, notes or blank."
    ) in failed.stderr
    assert not (bulletin / "out").exists()
    pub.write_text(base.replace("  paper: 90 gsm coated silk", "  paper: 90 gsm coated silk\n  fill: notes"), "utf-8")
    notes = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "notes"), "--only", "web")
    assert notes.exit_code == 0 and "(2 fill pages, notes, before the back cover)" in notes.stdout
    assert [t.strip() for t in read_pages(bulletin / "notes" / "the-tenant-bulletin-7-web.pdf")[5:7]] == [
        "Notes",
        "Notes",
    ]


def test_low_resolution_images_warn_and_fail_with_their_manifest_entry(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(
        pub.read_text("utf-8").replace("  warn_ppi: 100\n  min_ppi: 72", "  warn_ppi: 300\n  min_ppi: 150"), "utf-8"
    )
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 1
    err = result.stderr
    assert (
        "print: image-resolution: page 1: cover.image (7/img/cover.jpg) is 148 ppi placed at 6.06 x 8.50 in with bleed "
        "(5.83 x 8.27 in inside the trim), cropped from 6.06 x 8.59 in (below 150 ppi)" in err
    )
    assert "print: image-resolution: page 6: articles[2].image (7/img/badge.png) is 106 ppi" in err
    pub.write_text(pub.read_text("utf-8").replace("  min_ppi: 150", "  min_ppi: 100"), "utf-8")
    relaxed = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert relaxed.exit_code == 0, relaxed.stderr
    assert (
        "warning: print: image-resolution: page 7: 7/articles/meeting.md:5 (7/img/plan.jpg) is 190 ppi"
        in relaxed.stderr
    )


@pytest.mark.skipif(
    shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None, reason="zbar or poppler missing"
)
def test_cover_barcode_scans_as_issn_ean13_with_issue_add_on(rendered_bulletin: Path, tmp_path: Path):
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "300",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            str(rendered_bulletin / PRINT),
            str(tmp_path / "cover"),
        ],
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sean2.enable", str(next(tmp_path.glob("cover*.png")))],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert sorted(scanned) == ["07", "9772049363002"]  # ISSN 2049-3630, issue 7


def test_bad_issn_check_digit_is_a_validation_error(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("issn: 2049-3630", "issn: 2049-3631"), "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "periodical.issn: check digit is 1, but the digits 2049-363 need 0" in result.stderr


def charis_only_x1a(bulletin: Path) -> None:
    pub = bulletin / "publication.yaml"
    text = pub.read_text("utf-8").replace("printing:\n", "printing:\n  pdf_x: 1a\n")
    pub.write_text(text + "fonts:\n  heading: Charis SIL\n  masthead: Charis SIL\n", "utf-8")


def test_pdfx_1a_has_no_transparency_and_passes_preflight(cli, bulletin):
    charis_only_x1a(bulletin)
    out = bulletin / "out"
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(out), "--only", "print")
    assert result.exit_code == 0, result.stderr
    pdf_path = out / PRINT
    with pikepdf.open(pdf_path) as pdf:
        assert pdf.pdf_version == "1.4"
        assert (
            str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1:2003"
            and str(pdf.docinfo.GTS_PDFXConformance) == "PDF/X-1a:2003"
        )
        for text in object_texts(pdf):
            assert b"/SMask" not in text and b"/Transparency" not in text, text[:200]
        badge = [img for page in pdf.pages for img in page.get_images().values() if int(img.Width) == 500][0]
        pixels = pikepdf.PdfImage(badge).as_pil_image()
        assert pixels.getpixel((250, 250)) == (0, 0, 0, 0)  # the badge's transparent centre is now white paper
    report = cli("preflight", str(pdf_path), "--manifest", str(bulletin / "7.yaml"), "--json")
    assert report.exit_code == 0, report.stdout


def test_pdfx_1a_with_opentype_fonts_is_refused(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("printing:\n", "printing:\n  pdf_x: 1a\n"), "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "print")
    assert result.exit_code == 1
    assert "cannot be PDF/X-1a" in result.stderr and "Inter" in result.stderr and "OpenType/CFF" in result.stderr


def test_preflight_for_x1a_flags_transparency_and_version(cli, rendered_bulletin):
    result = cli(
        "preflight", str(rendered_bulletin / PRINT), "--pdf-x", "1a", "--bleed", "3mm", "--no-separations", "--json"
    )
    assert result.exit_code == 1
    checks = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert {"pdfx-identification", "pdf-version", "transparency", "fonts"} <= checks


def test_pdf_x_flavour_can_be_asked_on_the_command_line(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8") + "fonts:\n  heading: Charis SIL\n  masthead: Charis SIL\n", "utf-8")
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--only", "print", "--pdf-x", "1a")
    assert result.exit_code == 0, result.stderr
    with pikepdf.open(bulletin / "out" / PRINT) as pdf:
        assert pdf.pdf_version == "1.4" and str(pdf.docinfo.GTS_PDFXConformance) == "PDF/X-1a:2003"


def test_document_information_and_xmp_agree(rendered_bulletin: Path):
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert f"<rdf:li>{pdf.docinfo.Author}</rdf:li>" in xmp
        assert f"<pdf:Keywords>{pdf.docinfo.Keywords}</pdf:Keywords>" in xmp
        assert "<dc:description>" in xmp and str(pdf.docinfo.Creator) == "issue-builder"


def stream_bytes(stream: pikepdf.Stream) -> bytes:
    """A stream's data, decoded where it can be (photographs stay JPEG)."""
    try:
        return stream.read_bytes()
    except pikepdf.PdfError:
        return stream.read_raw_bytes()


# what PDF 1.7 defines for the document catalog (ISO 32000-1, table 28) and PDF 2.0 adds
CATALOG_KEYS = {
    "/Type", "/Version", "/Extensions", "/Pages", "/PageLabels", "/Names", "/Dests", "/ViewerPreferences",
    "/PageLayout", "/PageMode", "/Outlines", "/Threads", "/OpenAction", "/AA", "/URI", "/AcroForm", "/Metadata",
    "/StructTreeRoot", "/MarkInfo", "/Lang", "/SpiderInfo", "/OutputIntents", "/PieceInfo", "/OCProperties",
    "/Perms", "/Legal", "/Requirements", "/Collection", "/NeedsRendering", "/DSS", "/AF", "/DPartRoot",
}  # fmt: skip


def test_print_pdf_carries_no_private_keys_or_file_paths(rendered_bulletin: Path):
    """The file goes to the printer: nothing of ours but the pages (where each comes from is in the build record)."""
    folder = rendered_bulletin.parent  # the issue's folder: 7.yaml, 7/articles/*.md, 7/img/*
    needles = [str(folder).encode(), b"7.yaml", b"publication.yaml", b"/tmp/", b"/home/", b"IssueBuilder"]
    needles += [p.name.encode() for p in (folder / "7").rglob("*") if p.is_file()]
    with pikepdf.open(rendered_bulletin / PRINT) as pdf:
        assert set(pdf.Root.keys()) <= CATALOG_KEYS, set(pdf.Root.keys()) - CATALOG_KEYS
        assert all(key in {"/Title", "/Producer", "/Creator", "/CreationDate", "/ModDate", "/Trapped",
                           "/GTS_PDFXVersion", "/GTS_PDFXConformance", "/Author", "/Subject", "/Keywords"}
                   for key in pdf.docinfo.keys()), list(pdf.docinfo.keys())  # fmt: skip
        texts = list(object_texts(pdf))
        texts += [stream_bytes(obj) for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
    assert len(needles) > 8  # the article files and pictures were found to look for
    for needle in needles:
        assert not any(needle in text for text in texts), needle
