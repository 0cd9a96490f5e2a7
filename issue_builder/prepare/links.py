"""The links an article body holds, with their Markdown lines: read once, from the parsed body."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from markdown_it.token import Token


@dataclass(frozen=True)
class Link:
    """A link as written in a body: its target and line."""

    href: str
    line: int


def body_links(tokens: list[Token]) -> list[Link]:
    """Every link of a parsed Markdown body (footnotes and raw HTML included), with its line."""
    found = []
    for block in tokens:
        first = block.map[0] + 1 if block.map else 1
        if block.type == "html_block":
            found += [Link(href, first + line) for href, line in _html_links(block.content)]
        done = 0  # where in the block's text the last link was found: links are searched for in order
        for child in block.children or []:
            if child.type == "link_open":
                hrefs, needle = [child.attrGet("href") or ""], child.attrGet("href") or ""
            elif child.type == "html_inline":
                hrefs, needle = [href for href, _ in _html_links(child.content)], child.content
            else:
                continue
            at = block.content.find(needle, done) if needle else -1
            done = at if at >= 0 else done
            found += [Link(str(href), first + block.content.count("\n", 0, done)) for href in hrefs]
    return found


class _Anchors(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, int]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href is not None:
            self.found.append((href, self.getpos()[0] - 1))


def _html_links(html: str) -> list[tuple[str, int]]:
    return _Anchors(html).found
