"""Typographic quotes, dashes and ellipses for Markdown bodies and plain text, counting what was fixed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
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
DASH_STYLES = ("en", "em", "spaced-en", "spaced-em", "closed-em")  # what `--` and `---` become (base/schema.py)
_DOUBLE, _TRIPLE = "\ue000", "\ue001"  # dashes being made from `--` and `---`, before the style sets them
_SET_OFF = re.compile(r"([ \t\u00a0]*)([\ue000\ue001])([ \t\u00a0]*)")
_TAG = re.compile(r"(<!--.*?(?:-->|\Z)|<[^<>]*>)", re.DOTALL)  # an unclosed comment runs to the end, as in HTML
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


def use_typography(md: MarkdownIt, dashes: str = "en") -> None:
    """Replace markdown-it's `replacements` (which also turns `(c)` into © and `..` into …) with dashes and
    ellipses only, count every change in `env["typography"]`, and set HTML blocks and image titles too. `dashes`
    is one of DASH_STYLES."""
    md.options["typographer"] = True
    md.options["dashes"] = dashes
    md.core.ruler.at("replacements", _replace_and_count)
    md.core.ruler.at("smartquotes", smartquotes)
    md.enable(["replacements", "smartquotes"])
    md.core.ruler.after("smartquotes", "typography_count", _count_and_finish)


def smarten(text: str, language: str = "en", dashes: str = "en") -> tuple[str, Typography]:
    """Plain text (a title, a dek) with typographic quotes, dashes (in the style `dashes`, one of DASH_STYLES)
    and ellipses, and what was changed."""
    children = [Token("text", "", 0, content=text)]
    counts = _smarten_children(children, _plain(_quotes_key(quotes_for(language)), dashes))
    return children[0].content, counts


def _quotes_key(quotes: str | list[str]) -> str | tuple[str, ...]:
    return quotes if isinstance(quotes, str) else tuple(quotes)


@cache
def _plain(quotes: str | tuple[str, ...], dashes: str = "en") -> MarkdownIt:
    quote_marks = list(quotes) if isinstance(quotes, tuple) else quotes
    return MarkdownIt("zero", {"typographer": True, "quotes": quote_marks, "dashes": dashes})


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


def _dashes_and_dots(token: Token, counts: Typography, dashes: str = "en") -> None:
    text, em = _EM_DASH.subn("\\1" + _TRIPLE, token.content)
    text, en = _EN_DASH.subn(lambda m: (m.group(1) or m.group(2) or "") + _DOUBLE, text)
    if em or en:
        text = _set_dashes(text, dashes)
    text, dots = _ELLIPSIS.subn("\u2026", text)
    token.content = text
    counts.dashes += em + en
    counts.ellipses += dots


def _set_dashes(text: str, style: str) -> str:
    """The dashes made from `---` and `--` in `style`: `en` (`--` an en dash, `---` an em dash, spaces as typed),
    `em` (both em dashes), `spaced-en` and `spaced-em` (set off by a no-break space before and a space after),
    `closed-em` (an em dash with no spaces). A `--` between digits (a range) stays a closed en dash."""
    em = "\u2013" if style == "spaced-en" else "\u2014"
    double = "\u2013" if style in ("en", "spaced-en") else "\u2014"

    def dash(match: re.Match) -> str:
        space_before, kind, space_after = match.groups()
        before = text[match.start() - 1 : match.start()]
        after = text[match.end() : match.end() + 1]
        if kind == _DOUBLE and before.isdigit() and after.isdigit():
            return "\u2013"
        mark = em if kind == _TRIPLE else double
        if style.startswith("spaced") and before and after:
            return f"\u00a0{mark} "
        if style == "closed-em" and before and after:
            return mark
        return space_before + mark + space_after

    return _SET_OFF.sub(dash, text)


def _replace_and_count(state: StateCore) -> None:
    counts = _env_counts(state)
    dashes = state.md.options.get("dashes", "en")
    for token in state.tokens:
        if token.type == "inline" and token.children:
            state.env.setdefault("_straight", {})[id(token)] = _straight(token.children)
            for child in _text_children(token.children):
                _dashes_and_dots(child, counts, dashes)


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


def smartquotes(state: StateCore) -> None:
    """markdown-it's `smartquotes` rule in linear time: its own takes time quadratic in the quotes of a paragraph
    (it copies the text for each quote and searches all open quotes for a partner)."""
    if state.md.options.typographer:
        for token in state.tokens:
            if token.type == "inline" and token.children and _STRAIGHT.search(token.content):
                _pair_quotes(token.children, state.md.options.quotes)


def _pair_quotes(tokens: list[Token], quotes: str | list[str]) -> None:
    """The quotes of one paragraph's inline tokens, decided exactly as markdown-it decides them.

    The text of each token is kept as a list of pieces, one per original character, so that a replacement never
    moves a position; open quotes waiting for a partner are indexed by kind and nesting level."""
    pieces = {i: list(t.content) for i, t in enumerate(tokens) if t.type == "text"}
    stack: list[tuple[int, int, bool, int]] = []  # (token, position, single, level), levels never decreasing
    waiting: dict[tuple[bool, int], list[int]] = {}  # (single, level) -> their indices in the stack

    def truncate(length: int) -> None:
        while len(stack) > length:
            _, _, single, level = stack.pop()
            waiting[(single, level)].pop()

    for i, token in enumerate(tokens):
        level = token.level
        keep = len(stack)
        while keep and stack[keep - 1][3] > level:
            keep -= 1
        truncate(keep)
        if token.type != "text":
            continue
        text, chars = token.content, pieces[i]
        for found in _STRAIGHT.finditer(text):
            at, single = found.start(), found.group() == "'"
            last = chars[at - 1][-1] if at > 0 else _neighbour(tokens, pieces, range(i - 1, -1, -1), -1)
            after = (
                chars[at + 1][0] if at + 1 < len(chars) else _neighbour(tokens, pieces, range(i + 1, len(tokens)), 0)
            )
            can_open, can_close = _can_open_close(last, after, found.group())
            if not can_open and not can_close:
                if single:
                    chars[at] = "\u2019"  # an apostrophe in a word
                continue
            partners = waiting.get((single, level)) if can_close else None
            if partners:
                j = partners[-1]
                opener_token, opener_at = stack[j][0], stack[j][1]
                chars[at] = quotes[3] if single else quotes[1]
                pieces[opener_token][opener_at] = quotes[2] if single else quotes[0]
                truncate(j)
            elif can_open:
                stack.append((i, at, single, level))
                waiting.setdefault((single, level), []).append(len(stack) - 1)
            elif can_close and single:
                chars[at] = "\u2019"
    for i, chars in pieces.items():
        tokens[i].content = "".join(chars)


def _neighbour(tokens: list[Token], pieces: dict[int, list[str]], order: range, end: int) -> str:
    """The character next to a quote at the edge of its token: from the nearest token with text on that side
    (not across a line break), or a space."""
    for j in order:
        if tokens[j].type in ("softbreak", "hardbreak"):
            break
        if tokens[j].content:
            content = pieces[j] if j in pieces else tokens[j].content
            return content[end][end]
    return " "


def _can_open_close(last: str, after: str, quote: str) -> tuple[bool, bool]:
    """Whether a quote between the characters `last` and `after` may open and may close a quotation."""
    last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
    after_punct = isMdAsciiPunct(ord(after)) or isPunctChar(after)
    last_space, after_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(after))
    can_open = not after_space and not (after_punct and not (last_space or last_punct))
    can_close = not last_space and not (last_punct and not (after_space or after_punct))
    if after == '"' and quote == '"' and "0" <= last <= "9":
        can_open = can_close = False  # 1"" - the first quote is an inch mark
    if can_open and can_close:  # within a run of punctuation, not within a word
        can_open, can_close = last_punct, after_punct
    return can_open, can_close


def _smarten_children(children: list[Token], md: MarkdownIt) -> Typography:
    """Run the dashes, dots and quotes rules over the inline `children` of one paragraph-like run."""
    counts = Typography()
    before = _straight(children)
    for child in _text_children(children):
        _dashes_and_dots(child, counts, md.options.get("dashes", "en"))
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
