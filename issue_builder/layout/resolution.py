"""Effective resolution of every placed image, measured on the laid-out pages."""

from __future__ import annotations

from issue_builder.layout.engine import boxes
from issue_builder.layout.laid_out import Placement

CSS_PX_PER_INCH = 96


def placements(pages: list, pixel_sizes: dict[str, tuple[int, int]]) -> list[Placement]:
    """Every `<img>` placement whose source is in `pixel_sizes` (URL -> (width, height) in pixels)."""
    found = []
    for number, page in enumerate(pages, start=1):
        for box in page._page_box.descendants(placeholders=True):
            if not isinstance(box, boxes.ReplacedBox) or box.element is None:
                continue
            src = box.element.get("src")
            if src not in pixel_sizes or box.width <= 0 or box.height <= 0:
                continue
            iw, ih = pixel_sizes[src]
            fit = box.style["object_fit"]
            sx, sy = box.width / iw, box.height / ih  # CSS px per image pixel
            if fit == "cover":
                sx = sy = max(sx, sy)
            elif fit == "contain" or fit == "scale-down":
                sx = sy = min(sx, sy)
            elif fit == "none":
                sx = sy = 1.0
            ppi = CSS_PX_PER_INCH / max(sx, sy)
            found.append(Placement(number, src, box.width / CSS_PX_PER_INCH, box.height / CSS_PX_PER_INCH, ppi))
    return found
