"""Glyph coverage: every printed character against the fonts the layout can draw it with, without laying out.

The layout asks for the publication's families (`fonts`), loaded from their files; a character none of them has
is drawn from a fallback, any font fontconfig knows, and fontconfig is confined to the committed `fonts/` folder
(layout/fontconfig.py). So a character prints when any of those files has it, or when the shaper needs no glyph
for it: format characters (joiners, directional marks) are not drawn, and spaces a font lacks are made from its
space. A character whose canonical decomposition is covered (a precomposed letter, a negated arrow) is composed
by the shaper. Control characters other than tab and line ends, and the line separator (U+2028, not the
paragraph separator), never print. This is what the render reports as `missing-glyph`, as measured on WeasyPrint
(tests/test_precheck.py holds the measurement).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.paths import FONTS_DIR
from issue_builder.load.yaml_source import YamlDocument
from issue_builder.precheck.texts import PrintedText, line_with, printed_texts
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.fonts import scan_fonts
from issue_builder.prepare.scripts import missing_glyph_hint

# format characters and the paragraph separator take no glyph; a space a font lacks is drawn as a space
_NOT_DRAWN = {"Cf", "Zs", "Zp"}
_NEVER_PRINTED = {"Cc", "Zl", "Cs"}  # control characters (the form feed too) and the line separator: .notdef
_WHITESPACE = set("\t\n\r")  # white space of HTML and CSS, collapsed
_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0), range(0x180B, 0x1810))
MAX_PLACES = 3  # further places of one character, named after the first


@dataclass(frozen=True)
class Miss:
    """A character no font draws, and every printed text it appears in."""

    character: str
    texts: list[PrintedText]


def font_files(issue: PreparedIssue) -> list[Path]:
    """The files the layout draws text from: the publication's families, then every committed font (fallbacks)."""
    files = [face.path for faces in issue.font_faces.values() for face in faces]
    files += [face.path for faces in scan_fonts([FONTS_DIR]).values() for face in faces]
    return list(dict.fromkeys(files))


def covered(files: list[Path]) -> frozenset[int]:
    """The code points any of `files` maps to a glyph."""
    found: set[int] = set()
    for path in files:
        stat = path.stat()
        found |= _cmap(path, stat.st_size, stat.st_mtime_ns)
    return frozenset(found)


@cache
def _cmap(path: Path, size: int, mtime: int) -> frozenset[int]:  # size and time: a changed file is read again
    try:
        with TTFont(path, lazy=True) as font:
            return frozenset(font.getBestCmap() or {})
    except (TTLibError, KeyError, OSError):
        return frozenset()


def printable(character: str, codes: frozenset[int]) -> bool:
    """Whether the layout draws `character` with one of the fonts whose code points are `codes`."""
    code = ord(character)
    category = unicodedata.category(character)
    if character in _WHITESPACE:
        return True
    if category in _NEVER_PRINTED:
        return False
    if code in codes or category in _NOT_DRAWN or any(code in r for r in _VARIATION_SELECTORS):
        return True
    decomposed = unicodedata.normalize("NFD", character)
    return decomposed != character and all(ord(c) in codes for c in decomposed)


def missing_characters(texts: list[PrintedText], codes: frozenset[int]) -> list[Miss]:
    """Characters of `texts` no font draws, in order of first appearance, each with the texts holding it."""
    verdicts: dict[str, bool] = {}
    misses: dict[str, list[PrintedText]] = {}
    for text in texts:
        for character in dict.fromkeys(unicodedata.normalize("NFC", text.text)):
            if character not in verdicts:
                verdicts[character] = printable(character, codes)
            if not verdicts[character]:
                misses.setdefault(character, []).append(text)
    return [Miss(c, found) for c, found in misses.items()]


def glyph_findings(issue: PreparedIssue, document: YamlDocument) -> list[Diagnostic]:
    """One error per character no font draws, at its first place, naming its articles and its other places."""
    language = issue.manifest.periodical.language
    found = []
    for miss in missing_characters(printed_texts(issue, document), covered(font_files(issue))):
        first, *more = miss.texts
        articles = list(dict.fromkeys(issue.articles[t.article].title for t in miss.texts if t.article is not None))
        message = f"no font the layout can use has the character {miss.character!r} (U+{ord(miss.character):04X})"
        if articles:
            message += f"; in: {'; '.join(articles)}"
        if more:
            shown = ", ".join(_place(t, miss.character, language) for t in more[:MAX_PLACES])
            rest = f" and {len(more) - MAX_PLACES} more" if len(more) > MAX_PLACES else ""
            message += f" (also at {shown}{rest})"
        message += f" ({missing_glyph_hint(miss.character)})"
        line = line_with(first.file, miss.character, language) if first.body and first.file else first.line
        found.append(Diagnostic(message, file=first.file, line=line, key=first.where, code="missing-glyph"))
    return found


def _place(text: PrintedText, character: str, language: str) -> str:
    """`articles[1].title, 7.yaml:20`."""
    line = line_with(text.file, character, language) if text.body and text.file else text.line
    if text.file is None:
        return text.where
    return f"{text.where}, {text.file.name}{f':{line}' if line else ''}"
