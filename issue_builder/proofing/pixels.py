"""The pixel comparison of two pages: where their rasterized pictures differ, as rectangles in page coordinates."""

from __future__ import annotations

import math

import pypdfium2 as pdfium
from PIL import Image, ImageChops

from issue_builder.proofing.words import Rect

PIXEL_THRESHOLD = 40  # grey-level difference below which a pixel counts as unchanged (anti-aliasing, JPEG noise)
CELL_PT = 12.0  # changed pixels are gathered in cells of about one line of text, then joined into areas
MAX_PIXELS = 40_000_000  # pixels of one rendered page: a larger page is rendered at a lower resolution


def changed_areas(
    old_page: pdfium.PdfPage, old_area: Rect, new_page: pdfium.PdfPage, new_area: Rect, dpi: int
) -> tuple[list[Rect], bool]:
    """Areas of the NEW page whose pixels differ from the OLD page; the whole page when its size changed."""
    width, height = new_area[2] - new_area[0], new_area[3] - new_area[1]
    if abs(width - (old_area[2] - old_area[0])) > 0.5 or abs(height - (old_area[3] - old_area[1])) > 0.5:
        return [new_area], True
    dpi = capped_dpi(new_area, dpi)
    old_image, new_image = render_area(old_page, old_area, dpi), render_area(new_page, new_area, dpi)
    if old_image.size != new_image.size:  # rounding of the same size in points
        old_image = old_image.resize(new_image.size)
    mask = ImageChops.difference(old_image, new_image).convert("L").point(lambda v: 255 if v > PIXEL_THRESHOLD else 0)
    if mask.getbbox() is None:
        return [], False
    cell = max(2, round(CELL_PT * dpi / 72))
    grid = mask.reduce(cell)
    columns = grid.size[0]
    marked = {(i % columns, i // columns) for i, v in enumerate(grid.tobytes()) if v}
    scale = 72 / dpi * cell
    rects = []
    for x0, y0, x1, y1 in _regions(marked):
        rects.append(
            (
                new_area[0] + x0 * scale,
                max(new_area[1], new_area[3] - (y1 + 1) * scale),
                min(new_area[2], new_area[0] + (x1 + 1) * scale),
                new_area[3] - y0 * scale,
            )
        )
    return rects, False


def _regions(cells: set[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (in cells) of groups of touching cells, overlapping boxes merged, in reading order."""
    boxes = []
    left = set(cells)
    while left:
        stack = [min(left, key=lambda c: (c[1], c[0]))]
        left.discard(stack[0])
        x0 = x1 = stack[0][0]
        y0 = y1 = stack[0][1]
        while stack:
            x, y = stack.pop()
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for near in ((x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
                if near in left:
                    left.discard(near)
                    stack.append(near)
        boxes.append((x0, y0, x1, y1))
    merged = True
    while merged:
        merged = False
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                p, q = boxes[a], boxes[b]
                if p[0] <= q[2] + 1 and q[0] <= p[2] + 1 and p[1] <= q[3] + 1 and q[1] <= p[3] + 1:
                    boxes[a] = (min(p[0], q[0]), min(p[1], q[1]), max(p[2], q[2]), max(p[3], q[3]))
                    del boxes[b]
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def capped_dpi(area: Rect, dpi: float) -> float:
    """`dpi`, or less when `area` rendered at `dpi` would pass MAX_PIXELS."""
    square_inches = max(area[2] - area[0], 1) * max(area[3] - area[1], 1) / 72 / 72
    return min(dpi, math.sqrt(MAX_PIXELS / square_inches))


def render_area(page: pdfium.PdfPage, area: Rect, dpi: float) -> Image.Image:
    """The page's `area` as an RGB picture at `dpi` (at most MAX_PIXELS: lower for a huge page)."""
    dpi = capped_dpi(area, dpi)
    crop = page.get_cropbox()
    margins = (area[0] - crop[0], area[1] - crop[1], crop[2] - area[2], crop[3] - area[3])
    bitmap = page.render(scale=dpi / 72, crop=margins)
    try:
        return bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
