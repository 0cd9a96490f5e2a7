"""The contents' columns filled in order to a measured height (layout/fit.py `contents_height`) split as
WeasyPrint's own balancing splits them, laid out once instead of again and again."""

from __future__ import annotations

import pytest
import weasyprint

from issue_builder.layout.fit import contents_height

WORDS = "entry words that run to a few lines in a narrow column of the contents".split()


def contents(lines: list[int], fill: str = "") -> str:
    entries = "".join(f"<li>{' '.join(WORDS[: n * 4])}</li>" for n in lines)
    return (
        "<style>@page { size: 420px 640px; margin: 20px } body { margin: 0; font: 12px/16px serif }"
        " .toc { margin: 0; padding: 0; list-style: none; columns: 2; column-gap: 20px; "
        f"{fill} }} .toc li {{ margin: 0 0 9px; break-inside: avoid }}</style><p>Contents</p>"
        f'<ol class="toc">{entries}</ol><p>Cover: a credit</p>'
    )


def split(html: str) -> tuple[list[int], float]:
    """Entries in each column of the laid-out list, and where the paragraph after it begins."""
    pages = weasyprint.HTML(string=html).render().pages
    toc = next(b for b in pages[0]._page_box.descendants() if b.element_tag == "ol")
    after = [b for b in pages[0]._page_box.descendants() if b.element_tag == "p"][-1]
    return [len(column.children) for column in toc.children if column.element_tag == "ol"], round(after.position_y)


@pytest.mark.parametrize(
    "lines", [[1, 1, 1], [2, 4, 1], [1, 1, 1, 1, 1, 1, 1], [3, 1, 1, 1, 3, 2, 1, 2], [4, 1], [2, 2, 2, 2, 3, 1]]
)
def test_filled_to_the_measured_height_the_columns_split_as_balanced(lines):
    probe = weasyprint.HTML(string=contents(lines, "column-fill: auto;")).render().pages
    height, pull = contents_height(probe)
    assert height > 0
    filled = contents(lines, f"column-fill: auto; height: {height}px; margin-bottom: {-pull}px;")
    assert split(filled) == split(contents(lines))


def test_a_list_past_one_page_is_left_to_weasyprint():
    probe = weasyprint.HTML(string=contents([3] * 40, "column-fill: auto;")).render().pages
    assert contents_height(probe) == (0, 0)
