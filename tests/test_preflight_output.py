"""The preflight report as a person reads it: repeated findings grouped with their pages, plain lines when piped,
a table on a terminal; JSON kept whole, one entry per finding. And progress lines for long commands in logs."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
import weasyprint
from PIL import Image
from rich.console import Console

import issue_builder.base.console as console
from helpers import FIXTURES
from issue_builder.base.placed_size import placed_size
from issue_builder.base.preflight_report import PreflightSettings, Report, page_ranges
from issue_builder.checks.preflight.run import preflight
from issue_builder.commands.preflight import PreflightFailed, report_text, show_report


@pytest.fixture(scope="module")
def foreign_pdf(tmp_path_factory) -> Path:
    """A 14-page PDF made elsewhere (plain WeasyPrint): RGB text and links on pages 1-13, an RGB photo on 2-14."""
    folder = tmp_path_factory.mktemp("foreign")
    Image.new("RGB", (300, 200), (200, 40, 40)).save(folder / "red.png")
    pages = "".join(
        f'<p style="color: #c00; break-after: page">Page {i} <a href="https://example.org/">a link</a></p>'
        '<img src="red.png" style="width: 2in">'
        for i in range(13)
    )
    pdf = folder / "elsewhere.pdf"
    weasyprint.HTML(string=f"<style>@page {{ size: A5 }}</style>{pages}", base_url=f"{folder}/").write_pdf(pdf)
    return pdf


def test_page_ranges():
    assert page_ranges([3, 4, 5, 6, 7, 8, 9, 12]) == "3-9, 12"
    assert page_ranges([1, 3, 4, 7]) == "1, 3-4, 7"
    assert page_ranges([]) == "-"


def test_piped_report_is_one_line_per_finding_with_its_pages(cli, foreign_pdf):
    result = cli("preflight", str(foreign_pdf), "--no-separations")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"Preflight of {foreign_pdf} (14 pages)"
    assert lines[1].split("\t") == ["pages", "check", "severity", "finding"]  # no source: not a file we built
    rows = [line.split("\t") for line in lines[2:-1]]
    assert all(len(row) == 4 for row in rows), lines  # nothing wrapped, nothing split over lines
    by_finding = {(row[1], row[3]): row[0] for row in rows}
    assert by_finding[("bleed", "bleed is 0.00 pt, at least 9.00 pt required")] == "1-14"
    assert by_finding[("device-rgb", "DeviceRGB: colour operator rg")] == "1-13"
    assert by_finding[("image-resolution", "image 300 x 200 px placed at 2.00 x 1.33 in: 150 ppi (minimum 225)")] == (
        "2-14"
    )
    assert by_finding[("output-intent", "no PDF/X output intent (/OutputIntents with /S /GTS_PDFX)")] == "-"
    assert len(rows) == len(set(by_finding)) < 20
    errors = json.loads(cli("preflight", str(foreign_pdf), "--no-separations", "--json").stdout)["findings"]
    assert lines[-1].startswith(f"FAIL: {len(errors)} error(s), 0 warning(s) in {len(rows)} row(s); checked: ")
    assert [row[2] for row in rows] == sorted((row[2] for row in rows), key=["error", "warning"].index)


def test_json_keeps_one_entry_per_finding_with_its_page(cli, foreign_pdf):
    report = json.loads(cli("preflight", str(foreign_pdf), "--no-separations", "--json").stdout)
    bleed = [f for f in report["findings"] if f["code"] == "bleed"]
    assert sorted(f["page"] for f in bleed) == list(range(1, 15))
    assert all(f["message"] == "bleed is 0.00 pt, at least 9.00 pt required" for f in bleed)


def test_terminal_report_is_a_table_of_grouped_findings(foreign_pdf):
    report = preflight(foreign_pdf, PreflightSettings(separations=False))
    out = console.Reporter()
    out.out = Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None, emoji=False)
    with pytest.raises(PreflightFailed):
        show_report(report, out, as_json=False)
    text = out.out.file.getvalue()
    assert "┃ pages" in text and "│ 1-14 " in text and "\t" not in text
    assert sum("bleed is 0.00 pt" in line for line in text.splitlines()) == 1


def test_our_files_name_the_manifest_entry_in_a_source_column(cli, rendered_bulletin):
    pdf = rendered_bulletin / "the-tenant-bulletin-7-print.pdf"
    manifest = FIXTURES / "bulletin" / "7.yaml"
    result = cli("preflight", str(pdf), "--manifest", str(manifest), "--no-separations", "--warn-ppi", "400")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1].split("\t") == ["pages", "check", "severity", "finding", "source"]
    cover = next(line.split("\t") for line in lines if "cover.image" in line)
    assert cover[:3] == ["1", "image-resolution", "warning"] and cover[4].startswith("cover.image")
    assert lines[-1].startswith("PASS: 0 error(s), 4 warning(s); checked: ")


def test_package_report_file_is_the_plain_report():
    report = Report("x.pdf", 3)
    for page in (1, 2, 3):
        report.add("bleed", "error", "bleed is 0.00 pt, at least 9.00 pt required", page, "cover")
    report.add("fonts", "warning", "font F1 is a Type 3 font", 2, "articles[0] A title")
    report.checks = ["bleed", "fonts"]
    assert report_text(report).splitlines() == [
        "Preflight of x.pdf (3 pages)",
        "pages\tcheck\tseverity\tfinding\tsource",
        "1-3\tbleed\terror\tbleed is 0.00 pt, at least 9.00 pt required\tcover",
        "2\tfonts\twarning\tfont F1 is a Type 3 font\tarticles[0] A title",
        "FAIL: 3 error(s), 1 warning(s) in 2 row(s); checked: bleed, fonts",
    ]


def test_long_commands_print_progress_lines_when_not_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(console, "PLAIN_AFTER", 0.3)
    monkeypatch.setattr(console, "PLAIN_EVERY", 0.6)
    out = console.Reporter()
    with out.status("checking the manifest") as status:
        status.update("laying out the issue")
        time.sleep(2.2)  # one long step: said once the command has run PLAIN_AFTER, then again as it goes on
        status.update("checking and writing the files")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("laying out the issue (") and lines[-1].startswith("checking and writing the files (")
    assert any(line.startswith("still laying out the issue (") for line in lines[1:-1]), lines
    with out.status("checking the manifest") as status:  # a quick command prints only its results
        status.update("laying out the issue")
    assert capsys.readouterr().err == ""
    with console.Reporter(quiet=True).status("checking the manifest") as status:
        time.sleep(0.5)
        status.update("laying out the issue")
    assert capsys.readouterr().err == ""


def test_findings_differing_in_one_number_are_one_row_with_its_range():
    report = Report("x.pdf", 6)
    for page, places in ((1, 15), (2, 10), (3, 2)):
        report.add("knockout-black-text", "warning", f"black text knocks out in {places} place(s)", page)
    report.add("image-resolution", "error", "image 900 x 1275 px placed at 6.06 x 8.50 in: 148 ppi", 4)
    report.add("image-resolution", "error", "image 500 x 500 px placed at 4.72 x 2.91 in: 106 ppi", 5)
    report.add("device-rgb", "error", "DeviceRGB: image /i1a2", 5)
    report.add("device-rgb", "error", "DeviceRGB: image /i1a3", 6)
    rows = [(g.page_range, g.diagnostic.message, g.count) for g in report.grouped()]
    assert rows == [
        ("4", "image 900 x 1275 px placed at 6.06 x 8.50 in: 148 ppi", 1),  # errors first; different images apart
        ("5", "image 500 x 500 px placed at 4.72 x 2.91 in: 106 ppi", 1),
        ("5", "DeviceRGB: image /i1a2", 1),  # digits in a name are no number
        ("6", "DeviceRGB: image /i1a3", 1),
        ("1-3", "black text knocks out in 2-15 place(s)", 3),
    ]
    assert [d.message for d in report.diagnostics][:3] == [
        "black text knocks out in 15 place(s)",
        "black text knocks out in 10 place(s)",
        "black text knocks out in 2 place(s)",
    ]  # the findings themselves (and so --json) unchanged


def test_sizes_are_stated_with_their_bleed_and_crop():
    cover = placed_size((8.75, 11.25), (8.5, 11.0), (20.0, 11.25))
    assert (
        cover == "placed at 8.75 x 11.25 in with bleed (8.50 x 11.00 in inside the trim), cropped from 20.00 x 11.25 in"
    )
    assert (
        placed_size((7.15, 3.97), (7.15, 3.97), (7.15, 4.47)) == "placed at 7.15 x 3.97 in, cropped from 7.15 x 4.47 in"
    )
    assert placed_size((4.72, 3.15), (4.72, 3.15), (4.72, 3.15)) == "placed at 4.72 x 3.15 in"
    assert (
        placed_size((6.06, 8.5), drawn=(6.06, 8.59), bleeds=True)
        == "placed at 6.06 x 8.50 in with bleed, cropped from 6.06 x 8.59 in"
    )


def test_preflight_states_what_the_page_shows_of_a_cropped_picture(cli, tmp_path):
    """A picture cropped by its frame (object-fit: cover) and one bleeding off the page: the size the page shows,
    the part inside the trim, and the size of the whole picture as drawn, as the render states them."""
    Image.new("RGB", (1200, 800), (90, 90, 90)).save(tmp_path / "wide.png")
    html = (
        "<style>@page { size: 6in 4in; bleed: 0.125in; margin: 0 }"
        "img { display: block; object-fit: cover }</style>"
        '<img src="wide.png" style="width: 3in; height: 1in; margin: 1in">'
        '<img src="wide.png" style="position: absolute; top: -0.125in; left: -0.125in; width: 2.125in; height: 4.25in">'
    )
    pdf = tmp_path / "cropped.pdf"
    weasyprint.HTML(string=html, base_url=f"{tmp_path}/").write_pdf(pdf)
    result = cli("preflight", str(pdf), "--no-separations", "--warn-ppi", "2000", "--min-ppi", "10")
    messages = [line.split("\t")[3] for line in result.stdout.splitlines() if "\timage-resolution\t" in line]
    assert "image 1200 x 800 px placed at 3.00 x 1.00 in, cropped from 3.00 x 2.00 in: 400 ppi (below 2000)" in messages
    assert (
        "image 1200 x 800 px placed at 2.12 x 4.25 in with bleed (2.00 x 4.00 in inside the trim), "
        "cropped from 6.38 x 4.25 in: 188 ppi (below 2000)"
    ) in messages, messages
