"""Effective resolution of every placed image, measured on the laid-out pages."""

from __future__ import annotations

from issue_builder.layout.boxes import page_root
from issue_builder.layout.engine import boxes
from issue_builder.layout.laid_out import Placement

CSS_PX_PER_INCH = 96


def placements(pages: list, pixel_sizes: dict[str, tuple[int, int]]) -> list[Placement]:
    """Every `<img>` placement whose source is in `pixel_sizes` (URL -> (width, height) in pixels)."""
    found = []
    for number, page in enumerate(pages, start=1):
        for box in page_root(page).descendants(placeholders=True):
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
            drawn = (iw * sx, ih * sy)  # the whole picture at the scale drawn; the box crops what overhangs it
            shown = (min(box.width, drawn[0]), min(box.height, drawn[1]))
            # layout coordinates start at the trim's top left corner, the bleed outside it; object-position: centred
            x = box.content_box_x() + (box.width - shown[0]) / 2
            y = box.content_box_y() + (box.height - shown[1]) / 2
            root = page_root(page)
            trimmed = (
                max(0, min(x + shown[0], root.margin_width()) - max(x, 0)),
                max(0, min(y + shown[1], root.margin_height()) - max(y, 0)),
            )
            inches = [(a / CSS_PX_PER_INCH, b / CSS_PX_PER_INCH) for a, b in (shown, trimmed, drawn)]
            found.append(Placement(number, src, *inches[0], ppi, trimmed=inches[1], drawn=inches[2]))
    return found
