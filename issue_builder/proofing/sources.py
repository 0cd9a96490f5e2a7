"""The printed text of an issue's sources, character by character, with where in its file each character is written:
the Markdown bodies, and the manifest's titles, decks, captions, coverlines and contact block."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from issue_builder.load.yaml_source import KeyPath, format_key_path
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.printed import ARTICLE_TEXTS, ISSUE_TEXTS
from issue_builder.prepare.text_files import read_utf8

_TAG = re.compile(r"<[^<>]*>")
BLOCK = "\x1d"  # stands, among a body's printed characters, where a block begins
_UNDRAWN = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


def fold(char: str, letters_only: bool = False) -> str:
    """What a character counts as when texts are matched: letters and digits, ligatures spelled out, case folded.

    Everything else (spaces, line ends, hyphens, quotes, dashes, Markdown) is left out, so that a hyphenated word,
    a word broken across a line, a column or a page, and typographic quotes all read as the source does."""
    folded = unicodedata.normalize("NFKC", char.translate(_UNDRAWN)).casefold()
    return "".join(c for c in folded if (c.isalpha() if letters_only else c.isalnum()))


@dataclass
class SourceText:
    """One printed text of the issue as written: a Markdown body, or one manifest value."""

    file: Path
    text: str  # the whole file, line ends as \n
    chars: list[tuple[str, int]]  # each printed character and where it is in `text`
    article: int | None  # the index in `articles`; None for the issue's own values
    key: str = ""  # the manifest key of a value (articles[2].dek); empty for a body
    _keys: dict[bool, tuple[str, list[int], list[int]]] = field(default_factory=dict, repr=False)

    def keys(self, letters_only: bool = False) -> tuple[str, list[int]]:
        """The folded characters as one string, and the offset in `text` of each."""
        return self._folded(letters_only)[:2]

    def blocks(self, letters_only: bool = False) -> list[int]:
        """Where each block (paragraph, heading, list item, note, caption) begins in the folded characters: the
        page may set other text beside a block than the source does."""
        return self._folded(letters_only)[2]

    def _folded(self, letters_only: bool) -> tuple[str, list[int], list[int]]:
        if letters_only not in self._keys:
            folded, offsets, blocks = [], [], [0]
            for char, offset in self.chars:
                if char == BLOCK:
                    blocks.append(len(folded))
                for c in fold(char, letters_only):
                    folded.append(c)
                    offsets.append(offset)
            self._keys[letters_only] = ("".join(folded), offsets, sorted(set(blocks)))
        return self._keys[letters_only]

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset in `text`."""
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1


@dataclass
class IssueSources:
    """Every printed text of an issue, and the files they are written in."""

    texts: list[SourceText]
    files: dict[Path, str]  # file -> its text as read

    def of_article(self, index: int) -> list[SourceText]:
        return [s for s in self.texts if s.article == index]

    def of_issue(self) -> list[SourceText]:
        """The issue's own values and every article's manifest values (the cover and contents print them)."""
        return [s for s in self.texts if s.article is None or s.key]


def issue_sources(issue: PreparedIssue) -> IssueSources:
    """The printed texts of `issue`: its Markdown bodies and its manifest values (as the prepared issue read them,
    with their places), and the files' text now."""
    files: dict[Path, str] = {}
    texts: list[SourceText] = []

    def file_text(path: Path) -> str | None:
        if path not in files:
            text, _ = read_utf8(path)
            if text is None:
                return None
            files[path] = text
        return files[path]

    document = issue.document
    lines: dict[Path, list[int]] = {}
    for location in document.locations.values():
        lines.setdefault(location.file, []).append(location.line)
    for path in lines:
        lines[path] = sorted(set(lines[path]))

    def value(path: KeyPath, article: int | None) -> None:
        written = _lookup(document.data, path)
        location = document.locations.get(path)
        if not isinstance(written, str) or not written.strip() or location is None:
            return
        text = file_text(location.file)
        if text is None:
            return
        chars = _value_chars(text, written, path, location.line, lines.get(location.file, []))
        texts.append(SourceText(location.file, text, chars, article, format_key_path(path)))

    for index, article in enumerate(issue.articles):
        body = article.source.body.path
        text = file_text(body)
        if text is not None:
            texts.append(SourceText(body, text, markdown_chars(text), index))
        for name in ARTICLE_TEXTS:
            value(("articles", index, *name), index)
    cover_lines = _lookup(document.data, ("cover", "lines"))
    for number in range(len(cover_lines) if isinstance(cover_lines, list) else 0):
        value(("cover", "lines", number), None)
    for name in ISSUE_TEXTS:
        value(name, None)
    return IssueSources(texts, files)


def _lookup(data, path: KeyPath):
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _line_starts(text: str) -> list[int]:
    return [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]


def _value_chars(text: str, written: str, path: KeyPath, line: int, file_lines: list[int]) -> list[tuple[str, int]]:
    """Where the characters of a manifest value are in its file: from its key's line (after the key or the list's
    dash) to the next line holding another value."""
    starts = _line_starts(text)
    begin = starts[min(line, len(starts)) - 1]
    later = [n for n in file_lines if n > line]
    end = starts[later[0] - 1] if later and later[0] - 1 < len(starts) else len(text)
    last = path[-1]
    marker = f"{last}:" if isinstance(last, str) else "-"
    at = text.find(marker, begin, end)
    cursor = at + len(marker) if at >= 0 else begin
    return _align(written, text, cursor, end)[0]


def _align(piece: str, text: str, cursor: int, end: int) -> tuple[list[tuple[str, int]], int]:
    """Each character of `piece` found in order in text[cursor:end] (one not found is left out): where the printed
    text is in its source, with the markup between its characters skipped."""
    found = []
    for char in piece:
        at = text.find(char, cursor, end)
        if at < 0:
            continue
        found.append((char, at))
        cursor = at + 1
    return found, cursor


@cache
def _parser() -> MarkdownIt:
    """CommonMark with the extensions the bodies are rendered with, without the typographer: text as written."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.use(footnote_plugin).use(container_plugin, "pullquote")


def markdown_chars(text: str) -> list[tuple[str, int]]:
    """The printed characters of a Markdown body, each with its offset in `text`, in the order written (notes
    where they are defined), with BLOCK where a block begins."""
    starts = _line_starts(text)
    found: list[tuple[str, int]] = []
    for token in _parser().parse(text, {}):
        if not token.map:
            continue
        begin = starts[token.map[0]] if token.map[0] < len(starts) else len(text)
        end = starts[token.map[1]] if token.map[1] < len(starts) else len(text)
        if token.type == "inline":
            first = token.content.split("\n", 1)[0]
            at = text.find(first, begin, end) if first else -1
            found.append((BLOCK, at if at >= 0 else begin))
            found += _inline_chars(token, text, at if at >= 0 else begin, end)
        elif token.type == "html_block":
            at = text.find(token.content.split("\n", 1)[0], begin, end)
            at = at if at >= 0 else begin
            found.append((BLOCK, at))
            for piece in _TAG.split(text[at:end]):
                if piece and not _TAG.fullmatch(piece):
                    found += _align(piece, text, text.find(piece, at, end), end)[0]
    return found


def _inline_chars(token: Token, text: str, cursor: int, end: int) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "text_special"):
            chars, cursor = _align(child.content, text, cursor, end)
            found += chars
        elif child.type in ("softbreak", "hardbreak"):
            at = text.find("\n", cursor, end)
            if at >= 0:
                found.append(("\n", at))
                cursor = at + 1
        elif child.type == "image":
            # the title is printed as the caption of a figure; the alt text is not printed
            opening = text.find("](", cursor, end)
            if opening < 0:
                continue
            closing = _after_destination(text, opening + 1, end)
            title = str(child.attrGet("title") or "")
            at = text.find(title, opening, closing) if title else -1
            if at >= 0:
                found += [(c, at + i) for i, c in enumerate(title)]
            cursor = closing
        elif child.type == "link_close" and text.startswith("](", cursor):
            cursor = _after_destination(text, cursor + 1, end)
        elif child.type == "footnote_ref":
            opening = text.find("[^", cursor, end)
            closing = text.find("]", opening, end) if opening >= 0 else -1
            cursor = closing + 1 if closing >= 0 else cursor
        elif child.type == "html_inline":
            at = text.find(child.content, cursor, end)
            cursor = at + len(child.content) if at >= 0 else cursor
    return found


def _after_destination(text: str, opening: int, end: int) -> int:
    """The offset after a link's `(destination "title")`, whose `(` is at `opening`."""
    depth = 0
    for at in range(opening, end):
        if text[at] == "(":
            depth += 1
        elif text[at] == ")":
            depth -= 1
            if depth == 0:
                return at + 1
    return opening
