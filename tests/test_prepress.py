"""Press inks: black overprints, large black areas are rich black, small text keeps to one ink, and preflight
reports each fault on a file broken on purpose. Plates are read back with Ghostscript's tiffsep device."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Dictionary, Name
from PIL import Image, ImageChops
from reportlab.pdfgen import canvas

from issue_builder.base.paths import DEFAULT_CMYK_PROFILE
from issue_builder.editions.colours import CmykConverter
from issue_builder.editions.pdfx import PrintJob, finish_pdfx
from issue_builder.editions.prepress import PressInks, convert_and_press

needs_gs = pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")
PRINT = "the-tenant-bulletin-7-print.pdf"
PLATES = ("Cyan", "Magenta", "Yellow", "Black")
DPI = 144
SIZE = 300  # points: the test pages are square


def drawing(draw) -> bytes:
    """A one-page PDF of SIZE x SIZE points drawn by reportlab in DeviceCMYK."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(SIZE, SIZE), invariant=1)
    draw(c)
    c.showPage()
    c.save()
    return buffer.getvalue()


def magazine_page(c: canvas.Canvas) -> None:
    """A tinted page with black text and a thin black rule on the tint, a large black panel with white text in it,
    and small footnote numbers in two-ink red on a white box."""
    c.setFillColorCMYK(0, 0.3, 0.3, 0)
    c.rect(0, 0, SIZE, SIZE, stroke=0, fill=1)
    c.setFillColorCMYK(0, 0, 0, 1)
    c.setFont("Helvetica-Bold", 40)
    c.drawString(20, 220, "HHHH")
    c.rect(20, 190, 260, 1.5, stroke=0, fill=1)
    c.rect(20, 20, 180, 120, stroke=0, fill=1)
    c.setFillColorCMYK(0, 0, 0, 0)
    c.drawString(30, 60, "WW")
    c.rect(215, 20, 70, 40, stroke=0, fill=1)
    c.setFillColorCMYK(0, 0.95, 0.9, 0)
    c.setFont("Helvetica-Bold", 6)
    c.drawString(225, 35, "1 2 3 4 5 6")


def finished(tmp_path: Path, source: bytes, **settings) -> Path:
    job = PrintJob(
        title="Test",
        date=dt.date(2024, 10, 1),
        pdf_x="4",
        slug_text="",
        bleed=0.0,
        marks=None,
        profile_bytes=DEFAULT_CMYK_PROFILE.read_bytes(),
        profile_description="test",
        output_condition="FOGRA39",
        output_condition_info="test",
        registry="http://www.color.org",
        rendering_intent="relative-colorimetric",
        **settings,
    )
    path = tmp_path / f"finished-{len(list(tmp_path.glob('finished-*')))}.pdf"
    path.write_bytes(finish_pdfx(source, job))
    return path


def plates(pdf: Path, tmp_path: Path, overprint: str = "/simulate") -> dict[str, Image.Image]:
    """Each process plate of page 1 as Ghostscript separates it, as ink from 0 (none) to 255 (solid)."""
    out = tmp_path / f"sep-{pdf.stem}-{overprint.strip('/')}"
    out.mkdir()
    subprocess.run(
        ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffsep", f"-dOverprint={overprint}",
         f"-r{DPI}", "-dFirstPage=1", "-dLastPage=1", f"-sOutputFile={out}/p.tif", str(pdf)],
        check=True,
    )  # fmt: skip
    return {name: ImageChops.invert(Image.open(out / f"p({name}).tif").convert("L")) for name in PLATES}


def region(plate: Image.Image, x0: float, y0: float, x1: float, y1: float) -> Image.Image:
    """The part of a plate between the given page coordinates (points, origin at the bottom left)."""
    scale = DPI / 72
    return plate.crop((round(x0 * scale), round((SIZE - y1) * scale), round(x1 * scale), round((SIZE - y0) * scale)))


def ink_under(mask_plate: Image.Image, plate: Image.Image) -> list[int]:
    """The ink of `plate` wherever `mask_plate` is solid."""
    mask = mask_plate.point(lambda v: 255 if v >= 250 else 0)
    return [v for m, v in zip(mask.tobytes(), plate.tobytes(), strict=True) if m]


def percent(value: float) -> float:
    return value / 255 * 100


@needs_gs
def test_black_overprints_large_black_is_rich_and_small_text_one_ink(tmp_path):
    pdf = finished(tmp_path, drawing(magazine_page))
    p = plates(pdf, tmp_path)
    text = {name: region(p[name], 20, 220, 200, 250) for name in PLATES}
    under = ink_under(text["Black"], text["Magenta"])
    assert len(under) > 200
    assert min(under) > 0.25 * 255, "the tint must stay under the black text: it overprints"
    rule = {name: region(p[name], 60, 190.3, 240, 191.2) for name in PLATES}
    assert ink_under(rule["Black"], rule["Magenta"]) and min(ink_under(rule["Black"], rule["Magenta"])) > 0.25 * 255
    panel = [region(p[name], 100, 100, 180, 130).getextrema() for name in PLATES]
    assert [round(percent(low)) for low, _high in panel] == [40, 30, 30, 100]  # the rich black, 40/30/30/100
    white = [region(p[name], 30, 60, 90, 85) for name in PLATES]
    paper = ImageChops.lighter(ImageChops.lighter(white[0], white[1]), ImageChops.lighter(white[2], white[3]))
    assert paper.histogram()[0] > 100, "white text knocks out of the black panel: it never overprints"
    footnotes = {name: region(p[name], 220, 30, 285, 50).getextrema()[1] for name in PLATES}
    assert footnotes["Magenta"] > 0.5 * 255 and footnotes["Yellow"] == footnotes["Cyan"] == footnotes["Black"] == 0


@needs_gs
def test_without_overprint_and_rich_black_black_knocks_out_in_k_alone(tmp_path):
    pdf = finished(tmp_path, drawing(magazine_page), overprint=False, rich_black=None)
    p = plates(pdf, tmp_path)
    under = ink_under(region(p["Black"], 20, 220, 200, 250), region(p["Magenta"], 20, 220, 200, 250))
    assert under and max(under) == 0, "black text knocks out of the tint"
    panel = [region(p[name], 100, 100, 180, 130).getextrema() for name in PLATES]
    assert [round(percent(high)) for _low, high in panel] == [0, 0, 0, 100]


@needs_gs
def test_rich_black_keeps_within_the_ink_limit(tmp_path):
    pdf = finished(tmp_path, drawing(magazine_page), rich_black=(70, 60, 60, 100), max_ink=260)
    p = plates(pdf, tmp_path)
    cmyk = [percent(region(p[name], 100, 100, 180, 130).getextrema()[0]) for name in PLATES]
    assert sum(cmyk) == pytest.approx(260, abs=2)  # 70/60/60 scaled by 160/190
    assert cmyk[0] == pytest.approx(70 * 160 / 190, abs=1) and cmyk[3] == pytest.approx(100, abs=0.5)


def test_finishing_twice_gives_the_same_bytes(tmp_path):
    source = drawing(magazine_page)
    assert finished(tmp_path, source).read_bytes() == finished(tmp_path, source).read_bytes()


# preflight on files broken on purpose


def preflight(cli, pdf: Path, *options: str) -> dict:
    result = cli("preflight", str(pdf), "--json", "--bleed", "0pt", *options)
    assert "Traceback" not in result.stderr and result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def codes(report: dict, code: str) -> list[dict]:
    return [f for f in report["findings"] if f["code"] == code]


def write(tmp_path: Path, name: str, draw) -> Path:
    path = tmp_path / name
    path.write_bytes(drawing(draw))
    return path


def black_text(c: canvas.Canvas) -> None:
    c.setFillColorCMYK(0, 0.3, 0.3, 0)
    c.rect(0, 0, SIZE, SIZE, stroke=0, fill=1)
    c.setFillColorCMYK(0, 0, 0, 1)
    c.setFont("Helvetica", 10)
    c.drawString(20, 200, "Black text that knocks out of the tint.")


def test_knocked_out_black_text_is_reported(cli, tmp_path):
    report = preflight(cli, write(tmp_path, "knockout.pdf", black_text), "--no-separations")
    (finding,) = codes(report, "knockout-black-text")
    assert finding["severity"] == "warning" and finding["page"] == 1
    assert "knocks out" in finding["message"] and "overprint" in finding["message"]
    assert "knockout-black-text" in report["checks"]


def test_overprinting_black_text_is_not_reported(cli, tmp_path):
    def overprinting(c: canvas.Canvas) -> None:
        c.setFillOverprint(True)
        c.setOverprintMask(1)
        black_text(c)

    report = preflight(cli, write(tmp_path, "overprint.pdf", overprinting), "--no-separations")
    assert not codes(report, "knockout-black-text") and not codes(report, "overprint-white")


def test_overprinting_white_is_an_error(cli, tmp_path):
    def white(c: canvas.Canvas) -> None:
        c.setFillColorCMYK(0, 0, 0, 1)
        c.rect(0, 0, SIZE, SIZE, stroke=0, fill=1)
        c.setFillOverprint(True)
        c.setOverprintMask(1)
        c.setFillColorCMYK(0, 0, 0, 0)
        c.setFont("Helvetica", 24)
        c.drawString(20, 200, "Reversed out")

    report = preflight(cli, write(tmp_path, "white.pdf", white), "--no-separations")
    (finding,) = codes(report, "overprint-white")
    assert finding["severity"] == "error" and "text" in finding["message"] and "disappears" in finding["message"]
    assert report["passed"] is False


def test_small_text_in_two_inks_is_reported(cli, tmp_path):
    def footnote(c: canvas.Canvas) -> None:
        c.setFillColorCMYK(0, 0.95, 0.9, 0)
        c.setFont("Helvetica", 6)
        c.drawString(20, 200, "1")
        c.setFont("Helvetica", 9)
        c.drawString(40, 200, "a red word large enough")
        c.setFillColorCMYK(0, 0, 0, 0.7)
        c.setFont("Helvetica", 6)
        c.drawString(20, 100, "grey in one ink")

    report = preflight(cli, write(tmp_path, "small.pdf", footnote), "--no-separations")
    (finding,) = codes(report, "small-text-inks")
    assert finding["severity"] == "warning"
    assert finding["message"].startswith("6.00 pt text in 0/95/90/0 (C/M/Y/K)")


@needs_gs
def test_large_black_in_k_alone_is_reported(cli, tmp_path):
    def solid(c: canvas.Canvas) -> None:
        c.setFillColorCMYK(0, 0, 0, 1)
        c.rect(20, 20, 200, 150, stroke=0, fill=1)
        c.setFont("Helvetica", 10)
        c.drawString(20, 250, "Body text in black is not a solid.")

    report = preflight(cli, write(tmp_path, "solid.pdf", solid))
    (finding,) = codes(report, "k-only-solids")
    assert finding["severity"] == "warning" and "rich black" in finding["message"]
    assert float(finding["message"].split(" cm²")[0]) == pytest.approx(200 * 150 * (2.54 / 72) ** 2, rel=0.1)


@needs_gs
def test_a_large_rich_black_area_is_accepted_but_a_rich_black_rule_is_not(cli, tmp_path):
    def panel(c: canvas.Canvas) -> None:
        c.setFillColorCMYK(0.4, 0.3, 0.3, 1)
        c.rect(20, 20, 200, 150, stroke=0, fill=1)
        c.setFillColorCMYK(0, 0, 0, 0)
        c.setFont("Helvetica-Bold", 30)
        c.drawString(30, 120, "Reversed")
        c.drawString(30, 85, "out of it")

    accepted = preflight(cli, write(tmp_path, "panel.pdf", panel))
    assert "rich-black-areas" in accepted["checks"] and not codes(accepted, "rich-black-areas")
    assert not codes(accepted, "k-only-solids")

    def panel_and_rule(c: canvas.Canvas) -> None:
        panel(c)
        c.setFillColorCMYK(0.4, 0.3, 0.3, 1)
        c.rect(20, 250, 250, 4, stroke=0, fill=1)

    (finding,) = codes(preflight(cli, write(tmp_path, "rule.pdf", panel_and_rule)), "rich-black-areas")
    assert finding["severity"] == "error"


# end to end: the bulletin's print edition


@needs_gs
def test_bulletin_black_text_overprints_the_back_cover_tint(rendered_bulletin, tmp_path):
    """Page 8 is the back cover: black text on the 0/4/8/4 tint. Printed (overprint simulated), the tint's yellow
    stays under the black; with every object as it was set (overprint off), it would not."""
    pdf = tmp_path / "back.pdf"
    subprocess.run(
        ["qpdf", str(rendered_bulletin / PRINT), "--pages", str(rendered_bulletin / PRINT), "8", "--", str(pdf)],
        check=True,
    )
    printed, as_set = plates(pdf, tmp_path), plates(pdf, tmp_path, "/disable")
    under_printed = ink_under(printed["Black"], printed["Yellow"])
    under_set = ink_under(as_set["Black"], as_set["Yellow"])
    assert len(under_printed) > 100
    assert sum(v > 0 for v in under_printed) > 0.5 * len(under_printed)
    assert sum(v > 0 for v in under_set) < 0.1 * len(under_set)


@needs_gs
def test_bulletin_passes_the_press_ink_checks(cli, rendered_bulletin):
    from helpers import FIXTURES

    result = cli(
        "preflight", str(rendered_bulletin / PRINT), "--manifest", str(FIXTURES / "bulletin" / "7.yaml"), "--json"
    )
    report = json.loads(result.stdout)
    new = {"knockout-black-text", "overprint-white", "small-text-inks", "k-only-solids", "rich-black-areas"}
    assert new <= set(report["checks"])
    assert not [f for f in report["findings"] if f["code"] in new], report["findings"]


def test_a_rich_black_that_is_not_four_percentages_is_refused(cli, bulletin):
    pub = bulletin / "publication.yaml"
    pub.write_text(pub.read_text("utf-8").replace("printing:\n", "printing:\n  rich_black: [40, 30, 130]\n"), "utf-8")
    result = cli("check", str(bulletin / "7.yaml"))
    assert result.exit_code == 2
    assert "printing.rich_black: expected four percentages `[C, M, Y, K]` from 0 to 100" in result.stderr


@pytest.mark.parametrize("first", ["page", "form"])
def test_colours_set_through_a_colour_space_two_owners_share_are_converted_for_both(first: str):
    """WeasyPrint gives the pages of a section one resource dictionary: converting the first owner of a dictionary
    (a page, or a form drawn on another page, with no colours of its own) renames its DeviceRGB spaces, and the
    second page's colours set through them are converted all the same."""
    pdf = pikepdf.new()
    shared = pdf.make_indirect(Dictionary(ColorSpace=Dictionary(CS0=Name.DeviceRGB)))
    form = pdf.make_stream(b"10 10 5 5 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 100, 100])
    form.Resources = shared
    pages = [(b"/F0 Do", Dictionary(XObject=Dictionary(F0=form))) if first == "form" else None, None]
    for drawn in pages:
        content, resources = drawn or (b"/CS0 cs 1 0 0 sc 10 10 50 50 re f", shared)
        page = Dictionary(Type=Name.Page, MediaBox=[0, 0, 100, 100], Contents=pdf.make_stream(content))
        page.Resources = resources
        pdf.pages.append(pikepdf.Page(page))
    converter = CmykConverter(DEFAULT_CMYK_PROFILE.read_bytes(), "relative-colorimetric")
    convert_and_press(pdf, converter, PressInks())
    fills = [i.operands for p in pdf.pages for i in pikepdf.parse_content_stream(p) if str(i.operator) == "sc"]
    assert [len(f) for f in fills] == [4] * (2 if first == "page" else 1), fills  # CMYK: /CS0 names DeviceCMYK
    assert shared.ColorSpace.CS0 == Name.DeviceCMYK
