"""Typographic quotes, dashes and ellipses for Markdown bodies and plain text, counting what was fixed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import smartquotes
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token

# Primary and secondary quotation marks by language (BCP 47 primary subtag, or a full tag where a region differs).
QUOTES: dict[str, str | list[str]] = {
    "en": "“”‘’",
    "nl": "“”‘’",
    "pt-br": "“”‘’",
    "de": "„“‚‘",
    "cs": "„“‚‘",
    "sk": "„“‚‘",
    "de-ch": "«»‹›",
    "fr": ["«\u202f", "\u202f»", "“", "”"],  # French sets the guillemets off with a narrow no-break space
    "es": "«»“”",
    "it": "«»“”",
    "pt": "«»“”",
    "ca": "«»“”",
    "ru": "«»„“",
    "uk": "«»„“",
    "pl": "„”«»",
    "sv": "””’’",
    "fi": "””’’",
    "da": "»«›‹",
    "nb": "«»‘’",
    "nn": "«»‘’",
    "no": "«»‘’",
}
_STRAIGHT = re.compile(r"[\"']")
_EM_DASH = re.compile(r"(^|[^-])---(?=[^-]|$)", re.MULTILINE)
_EN_DASH = re.compile(r"(^|\s)--(?=\s|$)|(^|[^-\s])--(?=[^-\s]|$)", re.MULTILINE)
_ELLIPSIS = re.compile(r"\.\.\.")
_TAG = re.compile(r"(<!--.*?-->|<[^<>]*>)", re.DOTALL)
_RAW_TAGS = re.compile(r"<(/?)(pre|code|kbd|samp|script|style|textarea)\b", re.IGNORECASE)


@dataclass
class Typography:
    """What the typographer changed in one text, or what it could not change."""

    quotes: int = 0  # straight quotes made typographic (apostrophes included)
    dashes: int = 0  # `--` and `---` made en and em dashes
    ellipses: int = 0  # `...` made an ellipsis
    unpaired: int = 0  # straight quotes left as typed: no partner found (an inch mark, a lone opening quote)
    unpaired_lines: list[int] = field(default_factory=list)  # source lines (1-based) of those, where known

    def add(self, other: Typography) -> None:
        self.quotes += other.quotes
        self.dashes += other.dashes
        self.ellipses += other.ellipses
        self.unpaired += other.unpaired
        self.unpaired_lines += other.unpaired_lines

    @property
    def fixed(self) -> int:
        return self.quotes + self.dashes + self.ellipses

    def describe_fixed(self) -> str:
        """`14 straight quotes, 3 double hyphens, 1 triple dot` (the parts that are not zero)."""
        parts = [(self.quotes, "straight quote"), (self.dashes, "double hyphen"), (self.ellipses, "triple dot")]
        return ", ".join(f"{n} {label}{'s' if n != 1 else ''}" for n, label in parts if n)


def quotes_for(language: str) -> str | list[str]:
    """The quotation marks of a BCP 47 language tag; English ones for a language not in the table."""
    tag = language.lower().replace("_", "-")
    parts = tag.split("-")
    return QUOTES.get("-".join(parts[:2]), QUOTES.get(parts[0], QUOTES["en"]))


def use_typography(md: MarkdownIt) -> None:
    """Replace markdown-it's `replacements` (which also turns `(c)` into © and `..` into …) with dashes and
    ellipses only, count every change in `env["typography"]`, and set HTML blocks and image titles too."""
    md.options["typographer"] = True
    md.core.ruler.at("replacements", _replace_and_count)
    md.enable(["replacements", "smartquotes"])
    md.core.ruler.after("smartquotes", "typography_count", _count_and_finish)


def smarten(text: str, language: str = "en") -> tuple[str, Typography]:
    """Plain text (a title, a dek) with typographic quotes, dashes and ellipses, and what was changed."""
    children = [Token("text", "", 0, content=text)]
    counts = _smarten_children(children, _plain(_quotes_key(quotes_for(language))))
    return children[0].content, counts


def _quotes_key(quotes: str | list[str]) -> str | tuple[str, ...]:
    return quotes if isinstance(quotes, str) else tuple(quotes)


@cache
def _plain(quotes: str | tuple[str, ...]) -> MarkdownIt:
    return MarkdownIt("zero", {"typographer": True, "quotes": list(quotes) if isinstance(quotes, tuple) else quotes})


def _env_counts(state: StateCore) -> Typography:
    return state.env.setdefault("typography", Typography())


def _text_children(children: list[Token]) -> list[Token]:
    """The text the typographer may change: not code, not the text of an autolink."""
    found, in_autolink = [], False
    for child in children:
        if child.type == "link_open" and child.info == "auto":
            in_autolink = True
        elif child.type == "link_close" and child.info == "auto":
            in_autolink = False
        elif child.type == "text" and not in_autolink:
            found.append(child)
    return found


def _straight(children: list[Token]) -> int:
    return sum(len(_STRAIGHT.findall(t.content)) for t in _text_children(children))


def _dashes_and_dots(token: Token, counts: Typography) -> None:
    text, em = _EM_DASH.subn("\\1\u2014", token.content)
    text, en = _EN_DASH.subn(lambda m: (m.group(1) or m.group(2) or "") + "\u2013", text)
    text, dots = _ELLIPSIS.subn("\u2026", text)
    token.content = text
    counts.dashes += em + en
    counts.ellipses += dots


def _replace_and_count(state: StateCore) -> None:
    counts = _env_counts(state)
    for token in state.tokens:
        if token.type == "inline" and token.children:
            state.env.setdefault("_straight", {})[id(token)] = _straight(token.children)
            for child in _text_children(token.children):
                _dashes_and_dots(child, counts)


def _count_and_finish(state: StateCore) -> None:
    """After smartquotes: count what it changed; then set the text of HTML blocks and image titles."""
    counts = _env_counts(state)
    before = state.env.pop("_straight", {})
    for token in state.tokens:
        found = Typography()
        if token.type == "inline" and token.children:
            found.unpaired = _straight(token.children)
            found.quotes = before.get(id(token), found.unpaired) - found.unpaired
            for child in token.children:
                if child.type == "image" and child.attrGet("title"):
                    title = [Token("text", "", 0, content=str(child.attrGet("title")))]
                    found.add(_smarten_children(title, state.md))
                    child.attrSet("title", title[0].content)
        elif token.type == "html_block":
            found = _smarten_html(token, state.md)
        if found.unpaired and token.map:
            found.unpaired_lines.append(token.map[0] + 1)
        counts.add(found)


def _smarten_children(children: list[Token], md: MarkdownIt) -> Typography:
    """Run the dashes, dots and quotes rules over the inline `children` of one paragraph-like run."""
    counts = Typography()
    before = _straight(children)
    for child in _text_children(children):
        _dashes_and_dots(child, counts)
    state = StateCore("", md, {})
    state.tokens = [Token("inline", "", 0, content="".join(c.content for c in children), children=children)]
    smartquotes(state)
    left = _straight(children)
    counts.quotes, counts.unpaired = before - left, left
    return counts


def _smarten_html(token: Token, md: MarkdownIt) -> Typography:
    """The text between the tags of a raw HTML block, leaving code, scripts and the tags themselves alone."""
    children, raw = [], 0
    for piece in _TAG.split(token.content):
        if not piece:
            continue
        if _TAG.fullmatch(piece):
            children.append(Token("html_inline", "", 0, content=piece))
            tag = _RAW_TAGS.match(piece)
            if tag and not piece.endswith("/>"):
                raw = max(0, raw + (-1 if tag.group(1) else 1))
        else:  # a `<` left in text is half a tag: leave that text as typed
            kind = "code_inline" if raw or "<" in piece else "text"
            children.append(Token(kind, "", 0, content=piece))
    counts = _smarten_children(children, md)
    token.content = "".join(c.content for c in children)
    return counts
