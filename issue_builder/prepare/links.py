"""The links an article body holds, with their Markdown lines: read once, from the parsed body."""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import autolink, html_inline, link
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

# Where a target is written in raw HTML; each link nh3 reads is matched to the first of the next few that reads as it
# (one may be no link's: a comment's, a `<link href>`), else to the next one (its target written with entities).
_WRITTEN_HREF = re.compile(r"\bhref\s*=\s*[\"']?", re.IGNORECASE)
_LOOKAHEAD = 8


@dataclass(frozen=True)
class Link:
    """A link as written in a body: its target and line."""

    href: str
    line: int


class Lines:
    """The line (from 0) of positions in a text asked for in increasing order, counted on from the last: linear
    time in all, where counting from the start for each would take the square of it."""

    def __init__(self, text: str):
        self.text, self.position, self.line = text, 0, 0

    def of(self, position: int) -> int:
        if position < self.position:  # asked out of order: counted again from the start
            self.position, self.line = 0, 0
        self.line += self.text.count("\n", self.position, position)
        self.position = position
        return self.line


def record_positions(md: MarkdownIt) -> None:
    """Have `md` record in the meta of each link and raw HTML tag of running text where it starts in its block's
    text (`at`): their lines are then counted, not searched for (a target is not always written as it is read)."""
    for name, rule in (("link", link), ("autolink", autolink), ("html_inline", html_inline)):
        md.inline.ruler.at(name, _recording(rule))


def _recording(rule):
    def recorded(state: StateInline, silent: bool) -> bool:
        start, before = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        for token in state.tokens[before:]:  # a tag inside a link's words has recorded its own place first
            token.meta.setdefault("at", start)
        return True

    return recorded


def body_links(tokens: list[Token]) -> list[Link]:
    """Every link of a Markdown body parsed by a parser that records positions (footnotes and raw HTML included),
    with its line."""
    found = []
    for block in tokens:
        first = block.map[0] + 1 if block.map else 1
        if block.type == "html_block":
            found += [Link(href, first + line) for href, line in _html_links(block.content)]
        lines = Lines(block.content)
        for child in block.children or []:
            if child.type == "link_open":
                hrefs = [child.attrGet("href") or ""]
            elif child.type == "html_inline" and child.content[:2].lower() == "<a":  # one tag: only <a> links
                hrefs = [href for href, _ in _html_links(child.content)]
            else:
                continue
            found += [Link(str(href), first + lines.of(child.meta.get("at", 0))) for href in hrefs]
    return found


def _html_links(html: str) -> list[tuple[str, int]]:
    """The targets of the links in raw HTML as the sanitiser's parser reads them (html5ever, in linear time), each
    with the line (from 0) where it is written."""
    hrefs: list[str] = []

    def target(tag: str, attribute: str, value: str) -> None:
        if tag == "a" and attribute == "href":
            hrefs.append(value)

    nh3.clean(html, tags={"a"}, attributes={"a": {"href"}}, attribute_filter=target, link_rel=None)
    if not hrefs:
        return []
    written = [match.end() for match in _WRITTEN_HREF.finditer(html)]
    found, next_written, lines = [], 0, Lines(html)
    for href in hrefs:
        ahead = range(next_written, min(next_written + _LOOKAHEAD, len(written)))
        at = next((i for i in ahead if html.startswith(href, written[i])), next_written)
        next_written = at + 1 if at < len(written) else next_written
        found.append((href, lines.of(written[min(at, len(written) - 1)]) if written else 0))
    return found
