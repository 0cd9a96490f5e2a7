"""Page furniture laid out apart from the sections: the layout's own margin boxes (folios, running heads), in one
document of as many pages as the issue, laid over the joined pages.

A section knows neither its page numbers nor which of its pages fall on the left (its layout is kept by content,
and content does not say where it starts): every section is laid out on right-hand pages with its margin boxes
switched off. Once all page counts are known, the margin boxes are laid out in an untagged document whose pages
take the issue's page names and sides and the named strings (`string-set`) each section set on each page, so
counters, `string()` values and left/right rules come out as one whole-issue layout gives them. The margin boxes
are read from the `@page` rules in the `<style>` elements of the HTML; a margin box that shows a running element
(`element()`) cannot be laid out apart, and is refused.
"""

from __future__ import annotations

import functools
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
NO_FOLIO_PAGE = "issue-builder-no-folio"  # the furniture document's name for pages that carry no furniture
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_LINKED = re.compile(r"<link\b[^>]*\brel=[\"']?stylesheet", re.IGNORECASE)
_COUNTER = re.compile(r"\bcounter\(\s*pages?\s*[,)]", re.IGNORECASE)
_RUNNING_ELEMENT = re.compile(r"\belement\(", re.IGNORECASE)
_SIDE_BREAK = re.compile(r"\b(?:page-)?break-(?:before|after)\s*:\s*(left|right|recto|verso)\b", re.IGNORECASE)


@dataclass(frozen=True)
class MarginBoxes:
    """The margin boxes the layout's `@page` rules give content: (page selector, box) of the folios and of the
    rest (running heads and the like)."""

    folios: tuple[tuple[str, str], ...]
    others: tuple[tuple[str, str], ...]

    @property
    def all(self) -> tuple[tuple[str, str], ...]:
        return self.folios + self.others


def margin_boxes(html: str) -> MarginBoxes:
    """The margin boxes of the CSS in `html`'s `<style>` elements (see the module's docstring)."""
    if _LINKED.search(html):
        raise RenderError(
            "the layout links a stylesheet: the page margin boxes are read from the CSS in <style> "
            "elements only (inline it, as layouts/base/issue.html does)"
        )
    return _margin_boxes(tuple(_STYLE.findall(html)))


@functools.lru_cache(maxsize=16)
def _margin_boxes(styles: tuple[str, ...]) -> MarginBoxes:
    """`margin_boxes` of the CSS `styles`: every section of an issue has the same, or one of a few (copy-fitting
    steps), so each is parsed once."""
    last: dict[tuple[str, str], str] = {}  # the content that wins: the last declared under the same selector
    for css in styles:
        side_break = _SIDE_BREAK.search(css)
        if side_break:
            raise RenderError(
                f"the layout's CSS asks for a break to a {side_break.group(1)}-hand page "
                f"({side_break.group(0)!r}): sections are laid out without knowing their sides; "
                "start a section on a new page with 'break-before: page'"
            )
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
    for (selector, box), content in shown:
        if _RUNNING_ELEMENT.search(content):
            raise RenderError(
                f"the layout's @page {selector} @{box} shows a running element ({content}): margin boxes are "
                "laid out apart from the pages, so use string-set and string() instead"
            )
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


def without_furniture(html: str, boxes: MarginBoxes) -> str:
    """A section's HTML with its margin boxes switched off (appended last: it wins over the rules it repeats)."""
    if not boxes.all:
        return html
    return html.replace("</head>", f"<style>\n{_switched_off(boxes.all)}</style>\n</head>", 1)


def furniture_html(html: str, pages: list[tuple[str, bool]], strings: list[list[tuple[str, str]]]) -> str:
    """The furniture document: the head of `html` (the issue's CSS) and one empty page per issue page, `pages`
    giving each page's name ('' for none) and whether WeasyPrint added it blank (a blank page shows no margin box),
    `strings` the named strings set on it, in order."""
    head = html.split("<body", 1)[0]
    nothing = "".join(f"@{box} {{ content: none }} " for box in MARGIN_BOXES)
    style = f"<style>\n@page {NO_FOLIO_PAGE} {{ {nothing}}}\n</style>\n"
    head = head.replace("</head>", style + "</head>", 1)
    divs = []
    for number, ((name, blank), sets) in enumerate(zip(pages, strings, strict=True), start=1):
        page = NO_FOLIO_PAGE if blank else (name or "auto")
        brk = "; break-after: page" if number < len(pages) else ""
        inner = "".join(
            f'<div style="string-set: {html_escape.escape(_ident(string))} {html_escape.escape(_css_string(text))}">'
            "</div>"
            for string, text in sets
        )
        divs.append(f'<div style="page: {html_escape.escape(page)}{brk}">{inner}</div>')
    return f"{head}<body>\n" + "\n".join(divs) + "\n</body>\n</html>\n"


def _ident(name: str) -> str:
    return tinycss2.serializer.serialize_identifier(name)


def _css_string(text: str) -> str:
    return f'"{tinycss2.serializer.serialize_string_value(text)}"'
