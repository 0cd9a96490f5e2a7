"""The flatplan: every page of the second sample issue as a labelled thumbnail in reader spreads, PNG, PDF, table."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageChops, ImageStat
from reportlab.pdfgen.canvas import Canvas
from rich.console import Console

from helpers import copy_fixture, page_texts
from issue_builder.cli import main
from issue_builder.proofing.flatplan import (
    Flatplan,
    PageLabel,
    article_page_counts,
    page_labels,
    print_table,
    spreads,
    table_rows,
)
from issue_builder.proofing.flatplan_canvas import PNG_SCALE

STEM = "the-tenant-bulletin-7-flatplan"
TITLES = [
    "After Eleven Months of Organising Door to Door, the Tenants of the Riverside Towers Won Every One of "
    "Their Repair Demands",
    "The New Lease Law",
    "Meeting Notes",
]
# what each of the bulletin's 8 pages carries: (what it is, section)
EXPECTED = [
    ("Front cover", ""),
    ("Contents", ""),
    (TITLES[0], "Organising"),
    (TITLES[0], "Organising"),
    (TITLES[1], "Law"),
    (TITLES[2], ""),
    (TITLES[2], ""),
    ("Back cover", ""),
]


@pytest.fixture(scope="module")
def flatplan_run(tmp_path_factory) -> tuple[Path, str, str]:
    """`flatplan` run once on the bulletin, stdout not a terminal: (output folder, stdout, stderr)."""
    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("flatplan"))
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["flatplan", str(folder / "7.yaml"), "--out", str(folder / "out")])
        except SystemExit as exc:
            code = exc.code
    assert code == 0, err.getvalue()
    return folder / "out", out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[bytes, list[PageLabel]]:
    """The bulletin's web edition rendered once, with its page labels."""
    from issue_builder.editions.finishers import EditionOptions
    from issue_builder.editions.render import render_issue
    from issue_builder.prepare.issue import prepare_issue

    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("edition"))
    issue = prepare_issue(folder / "7.yaml")
    rendered = render_issue(issue, ("web",), folder / ".cache", EditionOptions())
    layout = rendered.layout
    articles = [(a.id, a.title, a.section) for a in issue.articles]
    labels = page_labels(layout.pages, articles, layout.article_pages, layout.fill_pages, layout.fills)
    return rendered.editions[0].pdf, labels


def test_page_labels_from_plain_values():
    labels = page_labels(
        12,
        [("a", "Alpha", "News"), ("b", "Beta", None), ("c", "Gamma", "News")],
        {"a": 4, "b": 7, "c": 8},
        fill_pages=2,
    )
    assert [(p.number, p.kind, p.article, p.section, p.starts) for p in labels] == [
        (1, "cover", None, None, False),
        (2, "contents", None, None, False),
        (3, "contents", None, None, False),
        (4, "article", "Alpha", "News", True),
        (5, "article", "Alpha", "News", False),
        (6, "article", "Alpha", "News", False),
        (7, "article", "Beta", None, True),
        (8, "article", "Gamma", "News", True),
        (9, "article", "Gamma", "News", False),
        (10, "fill", None, None, False),
        (11, "fill", None, None, False),
        (12, "back", None, None, False),
    ]
    assert [p.folio for p in labels] == [str(n) for n in range(1, 13)]
    fills = [None, 90, None, 80, 70, 20, 60, 50, 40, 0, 0, None]
    filled = page_labels(12, [("a", "Alpha", "News")], {"a": 4}, 2, fills)
    assert [p.fill for p in filled] == [None, None, None, 80, 70, 20, 60, 50, 40, None, None, None]  # body pages
    assert [row[6] for row in table_rows(filled)][3:6] == ["80%", "70%", "20%"]


def test_a_page_an_article_runs_on_at_names_both_and_counts_for_both():
    """Beta runs on at page 6, where Alpha ends: Alpha runs 3 pages (4-6), Beta 2 (6-7)."""
    labels = page_labels(10, [("a", "Alpha", "News"), ("b", "Beta", None)], {"a": 4, "b": 6}, 2, run_on={"b"})
    assert [(p.number, p.caption, p.starts) for p in labels[3:7]] == [
        (4, "Alpha", True),
        (5, "Alpha", False),
        (6, "Beta (after Alpha)", True),
        (7, "Beta", False),
    ]
    assert article_page_counts(labels) == {4: 3, 6: 2}
    unrun = page_labels(10, [("a", "Alpha", "News"), ("b", "Beta", None)], {"a": 4, "b": 6}, 2)
    assert article_page_counts(unrun) == {4: 2, 6: 2} and unrun[5].caption == "Beta"


def test_reader_spreads_put_the_cover_alone_on_the_right_and_the_back_alone_on_the_left():
    assert spreads(8) == [(None, 1), (2, 3), (4, 5), (6, 7), (8, None)]
    assert spreads(4) == [(None, 1), (2, 3), (4, None)]


def test_png_and_pdf_are_written_under_the_issue_name(flatplan_run):
    out, stdout, stderr = flatplan_run
    # drawn from the web edition, built (and kept) as `render --only web` would
    web = "the-tenant-bulletin-7-web.pdf"
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [f"{STEM}.pdf", f"{STEM}.png", web]
    assert not list(out.glob(".*.tmp"))
    written = [line for line in stderr.splitlines() if not re.search(r"\(\d+ s\)$", line)]  # not the progress
    assert [line.rsplit("/", 1)[-1] for line in written] == [f"{STEM}.png", f"{STEM}.pdf"]
    assert "wrote" not in stdout  # stdout is the table only


def test_png_shows_every_page_in_its_place_in_reader_spreads(flatplan_run, rendered):
    out, _, _ = flatplan_run
    pdf, labels = rendered
    plan = Flatplan(pdf, labels, "The Tenant Bulletin, Issue 7")
    boxes = plan.page_boxes()
    assert sorted(boxes) == list(range(1, 9))
    # facing pages touch at the spine on one line; the cover and the back cover stand alone
    for left, right in [(2, 3), (4, 5), (6, 7)]:
        assert boxes[left][0] + boxes[left][2] == boxes[right][0] and boxes[left][1] == boxes[right][1]
    assert boxes[1][0] == boxes[7][0] and boxes[8][0] == boxes[2][0]  # 3 spreads a row: 1 and 7 are right pages
    with Image.open(out / f"{STEM}.png") as png:
        image = png.convert("RGB")
    assert image.size == (round(plan.width * PNG_SCALE), round(plan.height * PNG_SCALE))
    document = pypdfium2.PdfDocument(pdf)
    pages = [
        document[i].render(scale=boxes[1][2] * PNG_SCALE / document[i].get_width()).to_pil().convert("RGB")
        for i in range(len(document))
    ]
    for number, (x, y, w, h) in boxes.items():
        crop = image.crop(_pixels(x, y, x + w, y + h))
        distances = [_distance(crop, page) for page in pages]
        assert distances.index(min(distances)) == number - 1, (number, distances)
        assert min(distances) < 20  # the same picture, give or take the frame and resampling
    x, y, w, h = boxes[1]  # nothing left of the cover
    empty = image.crop(_pixels(x - w, y, x - 1, y + h))
    assert empty.getextrema() == ((255, 255), (255, 255), (255, 255))


def _pixels(*points: float) -> tuple[int, ...]:
    return tuple(round(p * PNG_SCALE) for p in points)


def _distance(a: Image.Image, b: Image.Image) -> float:
    b = b.resize(a.size)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_pdf_is_one_page_labelled_with_every_folio_and_title_in_reading_order(flatplan_run):
    out, _, _ = flatplan_run
    texts = page_texts(out / f"{STEM}.pdf")
    assert len(texts) == 1
    text = texts[0]
    lines = [line.strip() for line in text.splitlines()]
    labels = [(line, lines[i + 1]) for i, line in enumerate(lines[:-1]) if re.fullmatch(r"\d+( · \w+)?", line)]
    assert [folio for folio, _ in labels] == [
        f"{n} · {section}" if section else str(n) for n, (_, section) in enumerate(EXPECTED, start=1)
    ]
    assert all(caption.startswith(what[:12]) for (_, caption), (what, _) in zip(labels, EXPECTED, strict=False)), labels
    assert "After Eleven Months of O…" in text  # titles too long for a thumbnail are cut, not overprinted
    assert "Organising Law no section" in text  # the legend


def test_table_lists_every_page_with_spread_article_section_and_page_count(flatplan_run):
    _, stdout, _ = flatplan_run
    lines = [line.split("\t") for line in stdout.splitlines()]
    assert lines[0] == ["spread", "page", "folio", "article", "section", "pages", "fill"]
    rows = lines[1:]
    assert [row[1] for row in rows] == [str(n) for n in range(1, 9)]
    assert [row[0] for row in rows] == ["1", "2-3", "2-3", "4-5", "4-5", "6-7", "6-7", "8"]
    assert [(row[3], row[4]) for row in rows] == EXPECTED
    assert {row[3]: row[5] for row in rows if row[5]} == {TITLES[0]: "2", TITLES[1]: "1", TITLES[2]: "2"}


def test_json_lists_every_page_with_what_it_carries_and_its_fill(flatplan_run, capsys):
    out, _, _ = flatplan_run
    folder = out.parent
    capsys.readouterr()
    with contextlib.suppress(SystemExit):
        main(["flatplan", str(folder / "7.yaml"), "--out", str(out), "--json", "--no-png", "--no-pdf", "--quiet"])
    data = json.loads(capsys.readouterr().out)
    assert data["min_fill"] == 35
    pages = data["pages"]
    assert [p["page"] for p in pages] == list(range(1, 9))
    assert [(p["article"] or "", p["section"] or "") for p in pages][2:7] == EXPECTED[2:7]
    assert [p["kind"] for p in pages] == ["cover", "contents", *["article"] * 5, "back"]
    assert all(set(p) >= {"fill", "underfilled", "spread", "starts"} for p in pages)
    assert all(p["fill"] is None and not p["underfilled"] for p in pages if p["kind"] != "article")
    assert all(isinstance(p["fill"], int) and 0 < p["fill"] <= 100 for p in pages if p["kind"] == "article")


def test_table_on_a_terminal_is_a_rich_table_listing_every_page(rendered):
    _, labels = rendered
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    print_table(labels, console, "Issue 7", plain=False)
    text = console.file.getvalue()
    rows = [line for line in text.splitlines() if re.match(r"│ [\d -]+│ +\d+ │", line)]
    assert [int(row.split("│")[2]) for row in rows] == list(range(1, 9))
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "After Eleven Months of Organising" in text and "The New Lease Law" in text


def test_a_page_under_the_threshold_is_marked_with_its_fill_in_the_drawing(rendered, tmp_path):
    pdf, labels = rendered
    short = [dataclasses.replace(label, fill=4) if label.number == 5 else label for label in labels]
    (tmp_path / "short.pdf").write_bytes(Flatplan(pdf, short, "Issue 7", min_fill=35).pdf())
    (tmp_path / "plain.pdf").write_bytes(Flatplan(pdf, labels, "Issue 7", min_fill=35).pdf())
    assert "5 · Law 4% full" in " ".join(page_texts(tmp_path / "short.pdf")[0].split())
    assert "% full" not in page_texts(tmp_path / "plain.pdf")[0]


def test_drawing_the_same_pages_gives_the_same_bytes(rendered):
    pdf, labels = rendered
    first, second = Flatplan(pdf, labels, "Issue 7"), Flatplan(pdf, labels, "Issue 7")
    assert first.png() == second.png()
    assert first.pdf() == second.pdf()


def test_print_pages_are_cut_to_their_trim_box():
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(220, 320))
    for _ in range(2):  # red bleed and marks area around a blue trimmed page
        canvas.setTrimBox((10, 10, 210, 310))
        canvas.setFillColor("red")
        canvas.rect(0, 0, 220, 320, fill=1, stroke=0)
        canvas.setFillColor("blue")
        canvas.rect(10, 10, 200, 300, fill=1, stroke=0)
        canvas.showPage()
    canvas.save()
    labels = page_labels(2, [], {}, 0)
    plan = Flatplan(buffer.getvalue(), labels, "Trimmed")
    assert plan.page_size == (200, 300)
    red, green, blue = plan.thumbs[0].split()
    assert red.getextrema()[1] < 40 and blue.getextrema()[0] > 200


def test_a_missing_manifest_is_a_user_error(cli, tmp_path):
    result = cli("flatplan", str(tmp_path / "nope.yaml"))
    assert result.exit_code != 0
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr
