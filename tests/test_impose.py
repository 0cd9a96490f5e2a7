"""`impose`: saddle-stitch printer spreads, checked by folding the sheets in software."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from helpers import page_texts

REPO = Path(__file__).parent.parent


def _halves(pdf: Path) -> list[tuple[set[str], set[str], float]]:
    """Per side: the words left and right of the fold, and the leftmost x of the left half's letters."""
    document = pypdfium2.PdfDocument(str(pdf))
    sides = []
    try:
        for page in document:
            trim = page.get_trimbox()
            fold = (trim[0] + trim[2]) / 2
            text = page.get_textpage()
            left = text.get_text_bounded(trim[0], trim[1], fold, trim[3])
            right = text.get_text_bounded(fold, trim[1], trim[2], trim[3])
            boxes = [text.get_charbox(i) for i in range(text.count_chars())]
            lefts = [b[0] for b in boxes if trim[0] <= b[0] < fold and trim[1] <= b[1] <= trim[3]]  # not the slug
            sides.append((set(left.split()), set(right.split()), min(lefts)))
            text.close()
            page.close()
    finally:
        document.close()
    return sides


def _page_of(words: set[str], pages: list[set[str]]) -> int:
    """The page (from 1) of the print PDF whose words the half holds: the best overlap, and a clear one."""
    scores = sorted(((len(words & p) / max(1, len(words | p)), n) for n, p in enumerate(pages, start=1)), reverse=True)
    assert scores[0][0] > 0.6 and scores[0][0] > scores[1][0] + 0.2, scores[:2]  # the print page also has its slug
    return scores[0][1]


def _folded_order(sides: list[tuple[int, int]]) -> list[int]:
    """Fold the sides (front, back of each sheet, outermost sheet first) into a booklet and read it: the right
    halves of the fronts and left halves of the backs going in, then the rest coming out again."""
    sheets = [(sides[i], sides[i + 1]) for i in range(0, len(sides), 2)]
    going_in = [p for front, back in sheets for p in (front[1], back[0])]
    coming_out = [p for front, back in reversed(sheets) for p in (back[1], front[0])]
    return going_in + coming_out


def test_folded_sheets_read_in_page_order(cli, bulletin: Path):
    out = bulletin / "out"
    result = cli("impose", str(bulletin / "7.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "2 sheets, 4 sides" in result.stdout
    imposed = next(out.glob("*-imposed-*.pdf"))
    pages = [set(t.split()) for t in page_texts(next(out.glob("*-print.pdf")))]
    sides = [(_page_of(left, pages), _page_of(right, pages)) for left, right, _ in _halves(imposed)]
    assert sides[0] == (8, 1)
    assert _folded_order(sides) == list(range(1, 9))


def test_creep_moves_inner_pages_toward_the_fold(cli, bulletin: Path):
    plain, crept = bulletin / "plain", bulletin / "crept"
    assert cli("impose", str(bulletin / "7.yaml"), "--out", str(plain)).exit_code == 0
    assert cli("impose", str(bulletin / "7.yaml"), "--out", str(crept), "--creep", "1").exit_code == 0
    before = [x for *_, x in _halves(next(plain.glob("*-imposed-*.pdf")))]
    after = [x for *_, x in _halves(next(crept.glob("*-imposed-*.pdf")))]
    mm = 72 / 25.4
    assert after[0] == pytest.approx(before[0], abs=0.01)  # the outer sheet stays
    assert after[2] - before[2] == pytest.approx(mm, abs=0.05)  # the inner sheet's left page moves right by 1 mm


def test_pages_keep_their_bleed_on_the_outer_edges(cli, bulletin: Path):
    out = bulletin / "out"
    assert cli("impose", str(bulletin / "7.yaml"), "--out", str(out)).exit_code == 0
    document = pypdfium2.PdfDocument(str(next(out.glob("*-imposed-*.pdf"))))
    try:
        page = document[0]  # pages 8 | 1: the front cover's dark picture runs past the trim on the right
        trim = page.get_trimbox()
        image = page.render(scale=1).to_pil().convert("RGB")
        bleed = image.getpixel((int(trim[2] + 4), int(image.height - (trim[1] + trim[3]) / 2)))
        inside = image.getpixel((int(trim[2] - 4), int(image.height - (trim[1] + trim[3]) / 2)))
    finally:
        document.close()
    assert max(bleed) < 200 and max(inside) < 200, (bleed, inside)


@pytest.mark.slow
def test_sample_issue_imposes_and_folds_in_page_order(cli, issue_18_cache: Path):
    manifest = REPO / "issues" / "18.yaml"
    out = issue_18_cache  # the print edition is built here, from the session render's laid-out sections
    small = cli("impose", str(manifest), "--out", str(out), "--sheet", "tabloid")
    assert small.exit_code == 1 and "try --sheet 12x18" in small.stderr, small.stderr
    result = cli("impose", str(manifest), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    pages = [set(t.split()) for t in page_texts(next(out.glob("*-print.pdf")))]
    count = len(pages)  # the layout decides it (44 when issue 17 was filed): a multiple of 4 either way
    assert f"{count // 4} sheets, {count // 2} sides on 12x18" in result.stdout
    sides = [
        (_page_of(left, pages), _page_of(right, pages))
        for left, right, _ in _halves(next(out.glob("*-imposed-12x18.pdf")))
    ]
    assert sides[0] == (count, 1)
    assert _folded_order(sides) == list(range(1, count + 1))


def test_pages_of_another_size_or_rotated_are_refused():
    import io

    import pikepdf

    from issue_builder.base.diagnostics import RenderError
    from issue_builder.package.impose import impose

    def pdf(rotate_last: bool, wide_last: bool) -> bytes:
        with pikepdf.new() as doc:
            for number in range(4):
                width = 440 if wide_last and number == 3 else 420
                page = doc.add_blank_page(page_size=(width + 18, 612))
                page.obj.TrimBox = pikepdf.Array([9, 9, width + 9, 603])
                page.obj.BleedBox = pikepdf.Array([0, 0, width + 18, 612])
                if rotate_last and number == 3:
                    page.obj.Rotate = 90
            out = io.BytesIO()
            doc.save(out)
            return out.getvalue()

    assert impose(pdf(False, False), "12x18", 0, "test")[1] == 2
    with pytest.raises(RenderError, match="page 4 of the print PDF differs in trim or bleed"):
        impose(pdf(False, True), "12x18", 0, "test")
    with pytest.raises(RenderError, match="page 4 of the print PDF is rotated"):
        impose(pdf(True, False), "12x18", 0, "test")
