"""Find text that WeasyPrint placed off the page or wider than its column: it does so silently."""

from __future__ import annotations

from issue_builder.layout.boxes import page_root
from issue_builder.layout.engine import boxes

TOLERANCE = 0.75  # CSS px; rounding in layout


def find_overflows(pages: list) -> list[tuple[int, str, int | None]]:  # weasyprint.Page objects
    """(page number, description, the page it continues on) for each piece of text that overflows (the last for a
    positioned block WeasyPrint split over pages, None otherwise); empty when none does. `describe` words it."""
    found = []
    positioned_on: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for number, page in enumerate(pages, start=1):
        root = page_root(page)
        seen: set[str] = set()
        for box in root.descendants(placeholders=True):
            if box.style["position"] in ("absolute", "fixed") and box.element is not None and box.element_tag != "html":
                pages_of = positioned_on.setdefault(id(box.element), [])
                if number not in pages_of:
                    pages_of.append(number)
                names[id(box.element)] = f'<{box.element_tag} class="{box.element.get("class", "")}">'
            if isinstance(box, boxes.TextBox):
                if (
                    box.position_x < -TOLERANCE
                    or box.position_y < -TOLERANCE
                    or box.position_x + box.width > page.width + TOLERANCE
                    or box.position_y + box.height > page.height + TOLERANCE
                ):
                    _add(found, seen, number, f"text runs off the page: {_snippet(box.text)}")
            elif isinstance(box, boxes.BlockContainerBox) and any(isinstance(c, boxes.LineBox) for c in box.children):
                right = box.content_box_x() + box.width
                for line in box.children:
                    if not isinstance(line, boxes.LineBox):
                        continue
                    for text in line.descendants():
                        if isinstance(text, boxes.TextBox) and text.position_x + text.width > right + TOLERANCE:
                            _add(found, seen, number, f"text wider than its column: {_snippet(text.text)}")
    for key, numbers in positioned_on.items():
        if (
            len(numbers) > 1
        ):  # WeasyPrint splits a positioned block that does not fit and draws the rest over later pages
            found.append((numbers[0], f"positioned block {names[key]} is too large for its page", numbers[1]))
    return found


def describe(problem: str, continues: int | None) -> str:
    """An overflow as the user reads it, with the page a split positioned block continues on."""
    return problem if continues is None else f"{problem} (continues on page {continues})"


def _add(found: list, seen: set, number: int, message: str) -> None:
    if message not in seen:
        seen.add(message)
        found.append((number, message, None))


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 40 else text[:37] + "...")


def lost_text(pages: list) -> list[tuple[str, int, int]]:
    """(article id, letters in the HTML, letters laid out) for each article whose text was not all placed.

    WeasyPrint silently drops the content of a positioned block that does not fit its page; counting
    letters (not digits, spaces or punctuation, which generated content and hyphenation add) finds it.
    """
    root = next(
        (
            box.element
            for page in pages
            for box in page_root(page).descendants()
            if box.element_tag == "html" and box.element is not None
        ),
        None,
    )
    if root is None:
        return []
    owner: dict[int, str] = {}
    expected: dict[str, int] = {}
    for article in root.iter("article"):
        name = article.get("id") or "?"
        expected[name] = _letters("".join(article.itertext()))
        for element in article.iter():
            owner[id(element)] = name
    placed = dict.fromkeys(expected, 0)
    for page in pages:
        for box in page_root(page).descendants(placeholders=True):
            if isinstance(box, boxes.TextBox) and id(box.element) in owner:
                placed[owner[id(box.element)]] += _letters(box.text)
    return [(name, expected[name], placed[name]) for name in expected if placed[name] < expected[name]]


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())
