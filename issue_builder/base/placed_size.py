"""How the size of a placed picture is stated everywhere (check, render, preflight): its frame, bleed and crop said."""

from __future__ import annotations

Size = tuple[float, float]  # width and height in inches


def placed_size(frame: Size, trimmed: Size | None = None, drawn: Size | None = None, bleeds: bool = False) -> str:
    """The words for a placed size, e.g. "placed at 8.75 x 11.25 in with bleed (8.50 x 11.00 in inside the trim),
    cropped from 20.00 x 11.25 in" (a landscape photograph filling a portrait cover, bleed included).

    `frame` is what the page shows of the picture, bleed included; `trimmed` the part of it inside the trim (None or
    the same: no bleed); `bleeds` says "with bleed" alone where the part inside the trim is not known (before
    layout); `drawn` is the whole picture at the scale it is drawn when the frame crops it (object-fit: cover), the
    size its resolution is measured at.
    """
    text = f"placed at {inches(frame)}"
    if trimmed is not None and inches(trimmed) != inches(frame):
        text += f" with bleed ({inches(trimmed)} inside the trim)"
    elif bleeds and trimmed is None:
        text += " with bleed"
    if drawn is not None and inches(drawn) != inches(frame):
        text += f", cropped from {inches(drawn)}"
    return text


def inches(size: Size) -> str:
    """A size as every message writes it: "7.15 x 3.97 in"."""
    return f"{size[0]:.2f} x {size[1]:.2f} in"
