"""Preflight catches real faults: files broken on purpose, each fault reported with its page."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from PIL import Image

from helpers import FIXTURES, edit

PRINT = "the-tenant-bulletin-7-print.pdf"
needs_gs = pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")


def preflight(cli, pdf: Path, *options: str) -> tuple[int, dict]:
    result = cli("preflight", str(pdf), "--manifest", str(FIXTURES / "bulletin" / "7.yaml"), "--json", *options)
    assert "Traceback" not in result.stderr
    return result.exit_code, (json.loads(result.stdout) if result.stdout.strip() else {})


def findings(report: dict, check: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == check]


def broken(rendered: Path, tmp_path: Path, change) -> Path:
    target = tmp_path / "broken.pdf"
    with pikepdf.open(rendered / PRINT) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def content(page: pikepdf.Page) -> bytes:
    page.contents_coalesce()
    return page.obj.Contents.read_bytes()


@needs_gs
def test_our_print_pdf_passes(cli, rendered_bulletin):
    code, report = preflight(cli, rendered_bulletin / PRINT)
    assert code == 0, report
    assert report["passed"] and report["findings"] == []
    assert {"device-rgb", "total-ink", "rich-black-areas", "image-resolution", "bleed"} <= set(report["checks"])


def test_plain_weasyprint_output_fails(cli, tmp_path):
    Image.new("RGB", (300, 200), (200, 40, 40)).save(tmp_path / "red.png")
    plain = tmp_path / "plain.pdf"
    weasyprint.HTML(
        string='<p style="color: #c00">Hello</p><img src="red.png" style="width: 2in">', base_url=str(tmp_path) + "/"
    ).write_pdf(plain)
    code, report = preflight(cli, plain, "--no-separations")
    assert code == 1
    assert findings(report, "output-intent") and findings(report, "pdfx-identification")
    rgb = findings(report, "device-rgb")
    assert rgb and all(f["page"] == 1 for f in rgb)
    assert any("image" in f["message"] for f in rgb)
    assert findings(report, "bleed")[0]["page"] == 1


def test_rgb_image_is_reported_with_page_and_manifest_entry(cli, rendered_bulletin, tmp_path):
    def make_rgb(pdf):
        page = pdf.pages[2]  # WeasyPrint shares one resource dictionary: change only the image page 3 draws
        for image in [i for i in page.get_images().values() if int(i.Width) == 1200]:
            rgb = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
            buffer = io.BytesIO()
            rgb.save(buffer, "JPEG")
            image.write(buffer.getvalue(), filter=pikepdf.Name.DCTDecode)
            image.ColorSpace = pikepdf.Name.DeviceRGB
            if "/Decode" in image:
                del image["/Decode"]

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, make_rgb), "--no-separations")
    assert code == 1
    rgb = findings(report, "device-rgb")
    assert {f["page"] for f in rgb} == {3}, rgb
    # a changed file is no longer the one its build recorded: its findings name no manifest entry
    assert all(f["key"] == "" for f in rgb)


def test_unembedded_font_is_reported(cli, rendered_bulletin, tmp_path):
    def unembed(pdf):
        for font in pdf.pages[4].Resources.Font.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor:
                    del descriptor[key]
            break

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, unembed), "--no-separations")
    assert code == 1
    fonts = findings(report, "fonts")
    assert fonts and "is not embedded" in fonts[0]["message"] and fonts[0]["page"] is not None


def test_missing_trim_box_is_reported(cli, rendered_bulletin, tmp_path):
    def drop_trim(pdf):
        del pdf.pages[3].obj["/TrimBox"]

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, drop_trim), "--no-separations")
    assert code == 1
    assert [(f["page"], f["message"]) for f in findings(report, "boxes")] == [(4, "no TrimBox")]


def test_json_findings_are_diagnostics_of_the_file(cli, rendered_bulletin, tmp_path):
    def drop_trim(pdf):
        del pdf.pages[3].obj["/TrimBox"]

    path = broken(rendered_bulletin, tmp_path, drop_trim)
    code, report = preflight(cli, path, "--no-separations")
    (finding,) = findings(report, "boxes")
    assert report["file"] == str(path) and code == 1
    assert finding == {
        "message": "no TrimBox",
        "file": str(path),
        "line": None,
        "key": "",  # a changed copy is not the file its build recorded the sources of
        "severity": "error",
        "code": "boxes",
        "page": 4,
        "edition": "",
    }


def test_short_bleed_is_reported(cli, rendered_bulletin, tmp_path):
    def short_bleed(pdf):
        trim = [float(v) for v in pdf.pages[1].TrimBox]
        pdf.pages[1].obj.BleedBox = pikepdf.Array([trim[0] - 2, trim[1] - 2, trim[2] + 2, trim[3] + 2])

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, short_bleed), "--no-separations")
    assert code == 1
    (finding,) = findings(report, "bleed")
    assert finding["page"] == 2 and "bleed is 2.00 pt" in finding["message"]


def test_low_resolution_photo_is_reported(cli, rendered_bulletin):
    code, report = preflight(
        cli, rendered_bulletin / PRINT, "--no-separations", "--min-ppi", "225", "--warn-ppi", "300"
    )
    assert code == 1
    low = {(f["page"], f["severity"]): f for f in findings(report, "image-resolution")}
    assert "148 ppi" in low[(1, "error")]["message"] and low[(1, "error")]["key"].startswith("cover.image")
    assert "254 ppi" in low[(3, "warning")]["message"] and low[(3, "warning")]["key"].startswith("articles[0].image")


def test_sources_come_from_the_build_record_of_the_same_file(cli, rendered_bulletin, tmp_path):
    """The build record beside the file (or one folder up, as in the printer's package) names the sources; a copy
    elsewhere has none, and the PDF itself holds no trace of them."""
    options = ("--no-separations", "--min-ppi", "225", "--warn-ppi", "300")
    package = rendered_bulletin / "printer-copy"
    package.mkdir(exist_ok=True)
    shutil.copy(rendered_bulletin / PRINT, package / PRINT)
    elsewhere = tmp_path / PRINT
    shutil.copy(rendered_bulletin / PRINT, elsewhere)
    try:
        _, beside = preflight(cli, rendered_bulletin / PRINT, *options)
        _, below = preflight(cli, package / PRINT, *options)
    finally:
        shutil.rmtree(package)
    _, alone = preflight(cli, elsewhere, *options)
    for report in (beside, below):
        keys = {f["page"]: f["key"] for f in findings(report, "image-resolution")}
        assert keys[1] == "cover.image (7/img/cover.jpg)" and keys[3] == "articles[0].image (7/img/towers.jpg)"
    assert [f["key"] for f in findings(alone, "image-resolution")] == [""] * len(findings(beside, "image-resolution"))
    result = cli("preflight", str(elsewhere), "--manifest", str(FIXTURES / "bulletin" / "7.yaml"), *options)
    assert "source" not in result.stdout.splitlines()[1]  # the plain report drops the column it cannot fill


@needs_gs
def test_max_tac_comes_from_the_manifest(cli, bulletin, rendered_bulletin):
    edit(bulletin / "publication.yaml", "  warn_ppi: 100\n", "  warn_ppi: 100\n  max_ink: 120\n")
    result = cli("preflight", str(rendered_bulletin / PRINT), "--manifest", str(bulletin / "7.yaml"), "--json")
    inks = findings(json.loads(result.stdout), "total-ink")
    assert result.exit_code == 1 and inks and all("(at most 120%)" in f["message"] for f in inks)
    result = cli(
        "preflight", str(rendered_bulletin / PRINT), "--manifest", str(bulletin / "7.yaml"), "--max-tac", "400"
    )
    assert result.exit_code == 0, result.stdout  # the option still overrides the manifest


@needs_gs
def test_rich_black_text_and_ink_limit_are_reported(cli, rendered_bulletin, tmp_path):
    def rich_black(pdf):
        page = pdf.pages[4]
        data = content(page)
        body_black = re.compile(rb"0(?:\.0+)? 0(?:\.0+)? 0(?:\.0+)? 1(?:\.0+)? k")
        assert body_black.search(data)
        data = body_black.sub(rb"0.6 0.5 0.4 1 k", data)
        # and a patch of 400% ink in the margin
        data += b"\nq /DeviceCMYK cs 1 1 1 1 scn 20 20 30 30 re f Q\n"
        page.obj.Contents = pdf.make_stream(data)

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, rich_black))
    assert code == 1
    assert [f["page"] for f in findings(report, "rich-black-text")] == [5]
    assert 5 in [f["page"] for f in findings(report, "rich-black-areas")]
    (ink,) = findings(report, "total-ink")
    assert ink["page"] == 5 and "400%" in ink["message"]


def test_annotations_encryption_and_actions_are_reported(cli, rendered_bulletin, tmp_path):
    def add_faults(pdf):
        page = pdf.pages[2]
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.Link,
                        Rect=[50, 50, 150, 80],
                        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org")),
                    )
                ]
            )
        )
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))

    path = broken(rendered_bulletin, tmp_path, add_faults)
    encrypted = tmp_path / "encrypted.pdf"
    with pikepdf.open(path) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="owner", user=""))
    code, report = preflight(cli, encrypted, "--no-separations")
    assert code == 1
    assert [f["page"] for f in findings(report, "annotations")] == [3]
    assert findings(report, "actions") and findings(report, "encryption")


def test_page_count_rule(cli, rendered_bulletin, tmp_path):
    def drop_page(pdf):
        del pdf.pages[5]

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, drop_page), "--no-separations")
    assert (
        code == 1
        and "7 pages: the binding needs a multiple of 4 (1 missing)" in findings(report, "page-count")[0]["message"]
    )


def test_unusable_input_exits_2(cli, tmp_path):
    (tmp_path / "not.pdf").write_text("hello", "utf-8")
    result = cli("preflight", str(tmp_path / "not.pdf"))
    assert result.exit_code == 2 and "not a readable PDF" in result.stderr
    assert cli("preflight", str(tmp_path / "missing.pdf")).exit_code == 2


def test_human_report_lists_findings_with_a_verdict(
    cli, rendered_bulletin
):  # piped: plain lines (see test_preflight_output)
    result = cli(
        "preflight",
        str(rendered_bulletin / PRINT),
        "--manifest",
        str(FIXTURES / "bulletin" / "7.yaml"),
        "--no-separations",
        "--min-ppi",
        "225",
    )
    assert result.exit_code == 1
    assert "image-resolution" in result.stdout and "FAIL: 3 error(s)" in result.stdout
    cover = next(line for line in result.stdout.splitlines() if "cover.image" in line).split("\t")
    assert cover[:3] == ["1", "image-resolution", "error"] and "148 ppi" in cover[3]


def test_attachments_are_reported(cli, rendered_bulletin, tmp_path):
    def attach(pdf):
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"private notes")

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, attach), "--no-separations")
    assert code == 1
    assert findings(report, "attachments")[0]["message"] == "the document embeds files"


def test_hidden_rgb_and_odd_structures_are_reported(cli, rendered_bulletin, tmp_path):
    def hide_rgb(pdf):
        page = pdf.pages[1]
        page.contents_add(
            pdf.make_stream(b"q BI /W 2 /H 2 /CS /RGB /BPC 8 ID \xff\x00\x00\xff\x00\x00\xff\x00\x00\xff\x00\x00 EI Q")
        )
        appearance = pdf.make_stream(b"1 0 0 rg 0 0 5 5 re f", BBox=[0, 0, 5, 5], Subtype=pikepdf.Name.Form)
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.Square,
                        Rect=[-8, 100, -3, 105],
                        AP=pikepdf.Dictionary(N=appearance),
                    )
                ]
            )
        )

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, hide_rgb), "--no-separations")
    assert code == 1
    messages = {f["message"] for f in findings(report, "device-rgb") if f["page"] == 2}
    assert "DeviceRGB: inline image" in messages and "DeviceRGB: colour operator rg" in messages
    assert findings(report, "annotations")[0]["page"] == 2  # inside the bleed, not the trim


def test_a_file_without_pages_fails(cli, rendered_bulletin, tmp_path):
    def no_pages(pdf):
        while len(pdf.pages):
            del pdf.pages[0]

    code, report = preflight(cli, broken(rendered_bulletin, tmp_path, no_pages), "--no-separations")
    assert code == 1 and findings(report, "page-count")[0]["message"] == "the file has no pages"
