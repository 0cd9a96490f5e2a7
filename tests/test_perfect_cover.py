"""`impose` of a perfect-bound issue: the text block without the cover pages, and the cover spread with its spine,
read back as a printer would check them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from helpers import copy_fixture, edit, line_of, page_texts

REPO = Path(__file__).parent.parent
MM = 72 / 25.4


def _perfect(folder: Path, manifest: str, caliper: str | None) -> Path:
    """The issue at `folder / manifest`, made perfect-bound on paper `caliper` thick a leaf (none: no caliper)."""
    path = folder / manifest
    number = path.stem
    edit(path, f"issue: {number}\n", f"issue: {number}\nbinding: perfect\n")
    if caliper is not None:
        path.write_text(path.read_text("utf-8") + f"printing:\n  caliper: {caliper}\n", "utf-8")
    return path


def _trim(pdf: Path, page: int = 0) -> list[float]:
    with pikepdf.open(pdf) as doc:
        return [float(v) for v in doc.pages[page].obj.TrimBox]


def _words_in(pdf: Path, page: int, box: tuple[float, float, float, float]) -> set[str]:
    """The words pdfium reads inside `box` (x0, y0, x1, y1, PDF points) of a page."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        text = document[page].get_textpage()
        return set(text.get_text_bounded(*box).split())
    finally:
        document.close()


def _page_of(words: set[str], pages: list[set[str]]) -> int:
    """The page (from 1) of the print PDF whose words a panel holds: the best overlap, and a clear one."""
    scores = sorted(((len(words & p) / max(1, len(words | p)), n) for n, p in enumerate(pages, start=1)), reverse=True)
    assert scores[0][0] > 0.6 and scores[0][0] > scores[1][0] + 0.2, scores[:2]
    return scores[0][1]


def _spine_letters(pdf: Path) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The letters on the outside spread with their boxes, in the order pdfium reads them."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        text = document[0].get_textpage()
        return [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
    finally:
        document.close()


def _pixel(pdf: Path, page: int, x: float, y: float) -> tuple[int, ...]:
    """The colour at (x, y) PDF points of a page rendered at 72 dpi."""
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        image = document[page].render(scale=1).to_pil().convert("RGB")
        return image.getpixel((int(x), int(image.height - y)))
    finally:
        document.close()


def test_cover_spread_and_text_block(cli, bulletin: Path):
    manifest = _perfect(bulletin, "7.yaml", "2mm")  # a board-thick leaf: the bulletin's 8 pages get a spine with type
    out = bulletin / "out"
    result = cli("impose", str(manifest), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    print_pdf, cover, block = (out / f"the-tenant-bulletin-7-{n}.pdf" for n in ("print", "cover", "text"))
    printed = [set(t.split()) for t in page_texts(print_pdf)]
    count = len(printed)
    leaves = (count - 4) // 2
    spine = leaves * 2 * MM + 0.5 * MM  # the leaves of the text block times the caliper, and the cover board
    assert f"text block of {count - 4} pages ({leaves} leaves)" in result.stdout
    assert f"cover spine {spine / MM:.2f} mm" in result.stdout and "type on the spine" in result.stdout

    # the cover: one trim for the whole spread, spine included, on both sides
    page_trim = _trim(print_pdf)
    width, height = page_trim[2] - page_trim[0], page_trim[3] - page_trim[1]
    trim = _trim(cover)
    assert trim[2] - trim[0] == pytest.approx(2 * width + spine, abs=0.01)
    assert trim[3] - trim[1] == pytest.approx(height, abs=0.01)
    assert _trim(cover, 1) == trim
    back_fold, front_fold = trim[0] + width, trim[0] + width + spine
    left, right = (trim[0], trim[1], back_fold, trim[3]), (front_fold, trim[1], trim[2], trim[3])
    # outside: the back cover left of the spine, the front cover right; inside: inside front left, inside back right
    assert [_page_of(_words_in(cover, 0, box), printed) for box in (left, right)] == [count, 1]
    assert [_page_of(_words_in(cover, 1, box), printed) for box in (left, right)] == [2, count - 1]

    # the spine: the publication's name, then the issue and date, reading from head to foot between the folds
    letters = [(c, box) for c, box in _spine_letters(cover) if back_fold < (box[0] + box[2]) / 2 < front_fold]
    spine_text = "".join(c for c, _ in letters)
    assert " ".join(spine_text.split()).startswith("The Tenant Bulletin"), spine_text
    assert "Issue 7" in spine_text and "October 2024" in spine_text
    tops = [box[3] for c, box in letters if c.strip()]
    assert tops == sorted(tops, reverse=True)  # each letter lower than the last
    for _, box in letters:
        assert back_fold + 2 < box[0] and box[2] < front_fold - 2  # clear of both folds
    assert _words_in(cover, 1, (back_fold, trim[1], front_fold, trim[3])) == set()  # the inside spine is blank

    # bleed kept on the outer edges: the front cover's picture runs past the trim on the right
    assert max(_pixel(cover, 0, trim[2] + 4, trim[1] + height / 2)) < 200

    # the text block: the print PDF's pages 3 to N-2, in order
    assert [set(t.split()) for t in page_texts(block)] == printed[2 : count - 2]

    for pdf in (cover, block):
        with pikepdf.open(pdf) as doc:
            assert doc.Root.OutputIntents[0].S == "/GTS_PDFX"
            assert "PDF/X-4" in doc.open_metadata().get("pdfxid:GTS_PDFXVersion", "")
    check = ("--bleed", "3mm", "--binding", "perfect", "--min-ppi", "72", "--warn-ppi", "100", "--no-separations")
    passed = cli("preflight", str(cover), *check)
    assert passed.exit_code == 0, passed.stdout
    assert "PASS: 0 error(s), 0 warning(s)" in passed.stdout
    passed = cli("preflight", str(block), "--manifest", str(manifest), "--no-separations")
    assert passed.exit_code == 0, passed.stdout


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")
def test_cover_passes_the_ink_checks_and_is_reproducible(cli, bulletin: Path):
    manifest = _perfect(bulletin, "7.yaml", "2mm")
    first, second = bulletin / "first", bulletin / "second"
    assert cli("impose", str(manifest), "--out", str(first)).exit_code == 0
    cover = first / "the-tenant-bulletin-7-cover.pdf"
    check = ("--bleed", "3mm", "--binding", "perfect", "--min-ppi", "72", "--warn-ppi", "100")
    passed = cli("preflight", str(cover), *check)
    assert passed.exit_code == 0 and "PASS: 0 error(s), 0 warning(s)" in passed.stdout, passed.stdout
    assert cli("impose", str(manifest), "--out", str(second)).exit_code == 0
    for name in ("cover", "text"):
        pdf = f"the-tenant-bulletin-7-{name}.pdf"
        assert (first / pdf).read_bytes() == (second / pdf).read_bytes(), name


def test_spine_width_follows_caliper_and_allowance(cli, bulletin: Path):
    manifest = _perfect(bulletin, "7.yaml", "0.1mm")  # ordinary text paper: a spine too thin for type
    out = bulletin / "out"
    result = cli("impose", str(manifest), "--out", str(out), "--spine-allowance", "0")
    assert result.exit_code == 0, result.stderr
    assert "cover spine 0.20 mm (2 x 0.100 mm + 0 mm), no type" in result.stdout
    cover = out / "the-tenant-bulletin-7-cover.pdf"
    width = _trim(out / "the-tenant-bulletin-7-print.pdf")[2] - _trim(out / "the-tenant-bulletin-7-print.pdf")[0]
    trim = _trim(cover)
    assert trim[2] - trim[0] == pytest.approx(2 * width + 2 * 0.1 * MM, abs=0.01)
    assert "Issue" not in _words_in(cover, 0, tuple(trim))  # the front cover says ISSUE 7, the spine nothing


def test_missing_caliper_is_refused_before_rendering(cli, bulletin: Path):
    manifest = _perfect(bulletin, "7.yaml", None)
    result = cli("impose", str(manifest), "--out", str(bulletin / "out"))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "printing.caliper" in result.stderr and "publication.yaml:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (bulletin / "out").exists()  # nothing rendered
    manifest.write_text(manifest.read_text("utf-8") + "printing:\n  caliper: 0mm\n", "utf-8")
    result = cli("impose", str(manifest), "--out", str(bulletin / "out"))
    assert (
        result.exit_code == 2
        and f"7.yaml:{line_of(manifest, 'caliper')}: printing.caliper: must be more than 0" in (result.stderr)
    ), result.stderr


def test_options_of_the_other_binding_are_refused(cli, tmp_path: Path):
    saddle = copy_fixture("bulletin", tmp_path / "saddle")
    result = cli("impose", str(saddle / "7.yaml"), "--out", str(saddle / "out"), "--spine-allowance", "1")
    assert result.exit_code == 2 and "--spine-allowance is for perfect binding" in result.stderr, result.stderr
    manifest = _perfect(copy_fixture("bulletin", tmp_path / "perfect"), "7.yaml", "0.1mm")
    result = cli("impose", str(manifest), "--out", str(tmp_path / "out"), "--creep", "1")
    assert result.exit_code == 2 and "--sheet and --creep are for saddle-stitch" in result.stderr, result.stderr
    assert not (saddle / "out").exists() and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sample_issue_perfect_bound(cli, tmp_path: Path):
    issues = tmp_path / "issues"
    shutil.copytree(REPO / "issues", issues)
    manifest = _perfect(issues, "18.yaml", "0.2mm")
    out = tmp_path / "out"
    result = cli("impose", str(manifest), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    count = len(page_texts(out / "socialist-revolution-18-print.pdf"))
    leaves = (count - 4) // 2
    assert f"text block of {count - 4} pages" in result.stdout
    assert f"cover spine {(leaves * 0.2 + 0.5):.2f} mm" in result.stdout and "type on the spine" in result.stdout
    cover = out / "socialist-revolution-18-cover.pdf"
    assert "Socialist" in " ".join(page_texts(cover)[0].split())
    passed = cli("preflight", str(cover), "--binding", "perfect", "--no-separations")
    assert passed.exit_code == 0, passed.stdout
    assert len(page_texts(out / "socialist-revolution-18-text.pdf")) == count - 4


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")
def test_pdfx_1a_issue_gets_a_pdfx_1a_cover(cli, bulletin: Path):
    pub = bulletin / "publication.yaml"
    text = pub.read_text("utf-8").replace("printing:\n", "printing:\n  pdf_x: 1a\n")
    pub.write_text(text + "fonts:\n  heading: Charis SIL\n  masthead: Charis SIL\n", "utf-8")  # X-1a: TrueType
    manifest = _perfect(bulletin, "7.yaml", "2mm")
    out = bulletin / "out"
    assert cli("impose", str(manifest), "--out", str(out)).exit_code == 0
    cover = out / "the-tenant-bulletin-7-cover.pdf"
    with pikepdf.open(cover) as pdf:
        assert pdf.pdf_version == "1.4" and str(pdf.docinfo.GTS_PDFXConformance) == "PDF/X-1a:2003"
    check = ("--pdf-x", "1a", "--bleed", "3mm", "--binding", "perfect", "--min-ppi", "72", "--warn-ppi", "100")
    passed = cli("preflight", str(cover), *check)  # Ghostscript renders it for the ink checks
    assert passed.exit_code == 0 and "PASS: 0 error(s), 0 warning(s)" in passed.stdout, passed.stdout
