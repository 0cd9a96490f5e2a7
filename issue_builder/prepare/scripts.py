"""The writing system of a character, and what would let the layout set it: for missing-glyph messages."""

from __future__ import annotations

import unicodedata

# Unicode character names whose script is not their first word (the first word is a kind, not a script)
_SCRIPT_NAMES = {"CJK": "Chinese, Japanese or Korean (CJK)", "HANGUL": "Korean (Hangul)", "NKO": "N'Ko"}
_NOT_SCRIPTS = {"COMBINING", "MODIFIER", "SMALL", "CAPITAL", "FULLWIDTH", "HALFWIDTH", "SQUARED", "CIRCLED"}


def script_of(character: str) -> str | None:
    """The script a letter or mark belongs to (`Hebrew`, `Arabic`, `Tifinagh`), read from its Unicode name; None
    for symbols, punctuation, digits and characters without a name."""
    if not unicodedata.category(character).startswith(("L", "M")):
        return None
    name = unicodedata.name(character, "")
    words = [w for w in name.split() if w not in _NOT_SCRIPTS]
    if not words:
        return None
    first = words[0].split("-")[0]
    return _SCRIPT_NAMES.get(first, first.capitalize())


def missing_glyph_hint(character: str) -> str:
    """What to tell a user whose text holds `character` and no font has it: the script and the setting."""
    script = script_of(character) if len(character) == 1 else None
    if script is None:
        return "no font has this symbol: replace it, or add a font that has it to font_dirs and fonts.fallback"
    return (
        f"a {script} character: add a font folder with a {script} font to font_dirs in the publication file, and "
        f"its family to fonts.fallback"
    )
