"""Every text an issue prints, as the layout receives it (typographic quotes made), with where it was written."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from issue_builder.load.yaml_source import KeyPath, YamlDocument, format_key_path
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.printed import ARTICLE_TEXTS, ISSUE_TEXTS
from issue_builder.prepare.text_files import read_utf8
from issue_builder.prepare.typography import smarten

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class PrintedText:
    """One printed text: what the layout gets, the manifest key or Markdown file it comes from, and its article."""

    text: str
    key: KeyPath
    file: Path | None
    line: int | None
    article: int | None = None  # index in the issue's articles
    body: bool = False  # an article's Markdown body: `file` is the Markdown file, `line` found per character

    @property
    def where(self) -> str:
        """`articles[2].title` or `articles[2].body`."""
        return format_key_path(self.key)


def printed_texts(issue: PreparedIssue, document: YamlDocument) -> list[PrintedText]:
    """The issue's printed texts in reading order: the manifest's (cover and back page included), then each
    article's fields and body."""
    m = issue.manifest
    found: list[PrintedText] = []

    def add(value: object, key: KeyPath, article: int | None = None) -> None:
        if isinstance(value, str) and value:
            where = document.locate(key)
            found.append(PrintedText(value, key, where.file if where else None, where.line if where else None, article))

    for key in ISSUE_TEXTS:
        add(_value(m, key), key)
    for i, line in enumerate(m.cover.lines):
        add(line, ("cover", "lines", i))
    for i, article in enumerate(issue.articles):
        for key in ARTICLE_TEXTS:
            add(_value(article.source, key), ("articles", i, *key), i)
        text = html.unescape(_TAG.sub(" ", str(article.body_html)))
        found.append(PrintedText(text, ("articles", i, "body"), article.source.body.path, None, i, body=True))
    return found


def _value(obj: object, key: KeyPath) -> object:
    for part in key:
        obj = getattr(obj, str(part), None)
    return obj


def line_with(path: Path, character: str, language: str) -> int | None:
    """The first line of the Markdown file `path` where `character` is printed: written there, or made there by
    the typographer (a curly quote from a straight one)."""
    text, _ = read_utf8(path)
    if text is None:
        return None
    lines = text.split("\n")  # not splitlines(): U+2028, U+0085 and the like are characters to find here
    for number, line in enumerate(lines, start=1):
        if character in unicodedata.normalize("NFC", line):
            return number
    for number, line in enumerate(lines, start=1):
        if character in smarten(line, language)[0]:
            return number
    return None
