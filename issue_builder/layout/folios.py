"""Folios laid out apart from the sections: the layout's own page-number margin boxes, in one document of as many
pages as the issue, laid over the joined pages.

A section does not know its absolute page numbers (its layout is kept by content, and content does not say where
it starts), so the margin boxes that print a page counter are switched off in the sections and laid out once all
page counts are known, in an untagged document whose pages take the issue's page names. Which margin boxes are
folios is read from the layout's CSS: every margin box whose `content` uses `counter(page)` or `counter(pages)`,
under the `@page` selector that sets it (the last `content` declared under that selector), in the `<style>`
elements of the HTML.
"""

from __future__ import annotations

import html as html_escape
import re
from dataclasses import dataclass

import tinycss2

from issue_builder.base.diagnostics import RenderError

MARGIN_BOXES = tuple(
    f"{edge}-{place}"
    for edge, places in (
        ("top", ("left-corner", "left", "center", "right", "right-corner")),
        ("bottom", ("left-corner", "left", "center", "right", "right-corner")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for place in places
)
NO_FOLIO_PAGE = "issue-builder-no-folio"  # the folio document's name for pages that carry no folio
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_LINKED = re.compile(r"<link\b[^>]*\brel=[\"']?stylesheet", re.IGNORECASE)
_COUNTER = re.compile(r"\bcounter\(\s*pages?\s*[,)]", re.IGNORECASE)


@dataclass(frozen=True)
class MarginBoxes:
    """The margin boxes the layout's `@page` rules give content: (page selector, box) of the folios and of the
    rest (running heads and the like)."""

    folios: tuple[tuple[str, str], ...]
    others: tuple[tuple[str, str], ...]


def margin_boxes(html: str) -> MarginBoxes:
    """The margin boxes of the CSS in `html`'s `<style>` elements (see the module's docstring)."""
    if _LINKED.search(html):
        raise RenderError(
            "the layout links a stylesheet: the page-number margin boxes are read from the CSS in <style> "
            "elements only (inline it, as layouts/base/issue.html does)"
        )
    last: dict[tuple[str, str], str] = {}  # the content that wins: the last declared under the same selector
    for css in _STYLE.findall(html):
        for rule in tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True):
            if rule.type != "at-rule" or rule.lower_at_keyword != "page" or rule.content is None:
                continue
            selector = tinycss2.serialize(rule.prelude).strip()
            for item in tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True):
                if item.type != "at-rule" or item.lower_at_keyword not in MARGIN_BOXES or item.content is None:
                    continue
                content = _content(item)
                if content is not None:
                    last[(selector, item.lower_at_keyword)] = content
    shown = [(box, content) for box, content in last.items() if content != "none"]
    return MarginBoxes(
        tuple(box for box, content in shown if _COUNTER.search(content)),
        tuple(box for box, content in shown if not _COUNTER.search(content)),
    )


def _content(box) -> str | None:
    """The last `content` a margin box rule declares, as written; None when it declares none."""
    value = None
    for declaration in tinycss2.parse_blocks_contents(box.content, skip_whitespace=True, skip_comments=True):
        if declaration.type == "declaration" and declaration.lower_name == "content":
            value = tinycss2.serialize(declaration.value).strip().lower()
    return value


def _switched_off(boxes: tuple[tuple[str, str], ...]) -> str:
    return "".join(f"@page {selector} {{ @{box} {{ content: none }} }}\n" for selector, box in boxes)


def without_folios(html: str, boxes: MarginBoxes) -> str:
    """A section's HTML with its folios switched off (appended last: it wins over the rules it repeats)."""
    if not boxes.folios:
        return html
    return html.replace("</head>", f"<style>\n{_switched_off(boxes.folios)}</style>\n</head>", 1)


def folio_html(html: str, boxes: MarginBoxes, pages: list[tuple[str, bool]]) -> str:
    """The folio document: the head of `html` (the issue's CSS) with every margin box but the folios switched off,
    and one empty page per issue page, `pages` giving each page's name ('' for none) and whether WeasyPrint added
    it blank (a blank page shows no folio)."""
    head = html.split("<body", 1)[0]
    nothing = "".join(f"@{box} {{ content: none }} " for box in MARGIN_BOXES)
    style = f"<style>\n{_switched_off(boxes.others)}@page {NO_FOLIO_PAGE} {{ {nothing}}}\n</style>\n"
    head = head.replace("</head>", style + "</head>", 1)
    divs = []
    for number, (name, blank) in enumerate(pages, start=1):
        page = NO_FOLIO_PAGE if blank else (name or "auto")
        brk = "; break-after: page" if number < len(pages) else ""
        divs.append(f'<div style="page: {html_escape.escape(page)}{brk}"></div>')
    return f"{head}<body>\n" + "\n".join(divs) + "\n</body>\n</html>\n"
