"""Markdown article bodies to sanitised HTML: typography, footnotes, pull quotes, figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.prepare.typography import Typography, quotes_for, use_typography

_ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "hr",
    "figure",
    "figcaption",
    "img",
    "aside",
    "span",
    "sup",
    "sub",
    "code",
    "pre",
    "s",
    "del",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "cite",
    "abbr",
    "small",
    "section",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "aside": {"class"},
    "figure": {"class"},
    "span": {"class"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
_LINK = re.compile(r"^(https?://|mailto:|#)", re.IGNORECASE)


@dataclass
class ImageReference:
    """An image that a Markdown body names, with where it is named."""

    src: str
    line: int
    alt: str = ""


@dataclass
class MarkdownBody:
    """A parsed article body: sanitised HTML plus what the build must check."""

    html: str
    images: list[ImageReference] = field(default_factory=list)
    words: int = 0
    typography: Typography = field(default_factory=Typography)  # what the typographer fixed, for the lint


@cache
def _markdown(quotes: str | tuple[str, ...] = "“”‘’") -> MarkdownIt:
    """A parser setting quotation marks `quotes` (open, close, open single, close single)."""
    md = MarkdownIt("commonmark", {"html": True, "quotes": list(quotes) if isinstance(quotes, tuple) else quotes})
    md.enable(["table", "strikethrough"])
    use_typography(md)
    md.use(footnote_plugin).use(
        container_plugin,
        "pullquote",
        render=lambda self, tokens, idx, options, env: (
            '<aside class="pullquote">\n' if tokens[idx].nesting == 1 else "</aside>\n"
        ),
    )
    return md


def markdown_for(language: str) -> MarkdownIt:
    """The parser of a language: its quotation marks (the rest does not depend on the language)."""
    quotes = quotes_for(language)
    return _markdown(quotes if isinstance(quotes, str) else tuple(quotes))


_MD = _markdown()


MAX_WORD = 1000  # characters: the longest web address or chemical name fits, a pasted blob does not
_OVERLONG = re.compile(rf"\S{{{MAX_WORD + 1},}}")


def render_markdown(
    text: str, source: Path, image_url: Callable[[str, int], str | None], language: str = "en"
) -> tuple[MarkdownBody, list[Diagnostic]]:
    """Render `text` (from `source`, written in `language`); `image_url(src, line)` maps an image's path to its
    URL, or None if refused."""
    md = markdown_for(language)
    env: dict = {}
    tokens = md.parse(text, env)
    problems: list[Diagnostic] = []
    images: list[ImageReference] = []
    urls: dict[str, str] = {}
    in_note = False
    for token in tokens:  # footnote bodies included: their images are checked like any other
        in_note = {"footnote_open": True, "footnote_close": False}.get(token.type, in_note)
        if token.type == "heading_open" and token.tag == "h1":
            token.tag = "h2"  # the article title is the page's h1
        for child in token.children or []:
            line = _line_of(token, child)
            if child.type == "image":
                src = child.attrGet("src") or ""
                alt = md.renderer.renderInlineAsText(child.children or [], md.options, {})
                images.append(ImageReference(src=src, line=line, alt=alt))
                url = image_url(src, line)
                child.attrSet("src", url or "")
                if url:
                    urls[url] = url
            elif child.type == "footnote_ref" and in_note:
                problems.append(Diagnostic("a footnote may not refer to another footnote", file=source, line=line))
    problems += _overlong_words(tokens, source)
    tokens = _inline_footnotes(tokens, env)
    _mark_figures(tokens)
    html = md.renderer.render(tokens, md.options, env)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=lambda tag, attr, value: _filter_attribute(tag, attr, value, urls),
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
        strip_comments=True,
    )
    words = len(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", clean)))
    typography = env.get("typography") or Typography()
    return MarkdownBody(html=clean, images=images, words=words, typography=typography), problems


def _overlong_words(tokens: list[Token], source: Path) -> list[Diagnostic]:
    """Printed words longer than any real one (a pasted hash, a run of characters): WeasyPrint breaks them by
    shaping the whole rest of the word again for every line, which takes minutes for tens of thousands."""
    found = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "text":
                for match in _OVERLONG.finditer(child.content):
                    found.append(
                        Diagnostic(
                            f"a word of {len(match.group()):,} characters (at most {MAX_WORD:,} are "
                            f"printed): {match.group()[:30]}...; break it up or shorten it",
                            file=source,
                            line=_line_of(token, child),
                        )
                    )
    return found


def _line_of(token: Token, child: Token) -> int:
    """The source line of an inline element: its block's first line plus the line breaks before it."""
    first = (token.map[0] + 1) if token.map else 1
    if child.type == "image":
        at = token.content.find(f"]({child.attrGet('src') or ''}")
        if at < 0:
            at = token.content.find("![")
        return first + token.content[: max(at, 0)].count("\n")
    return first


def _filter_attribute(tag: str, attr: str, value: str, urls: dict[str, str]) -> str | None:
    if tag == "a" and attr == "href":
        return value if _LINK.match(value) else None
    if tag == "img" and attr == "src":
        return value if value in urls else None  # only images the build checked
    if attr == "class":
        return value if value in {"pullquote", "footnote", "inline-figure"} else None
    return value


def _inline_footnotes(tokens: list[Token], env: dict) -> list[Token]:
    """Move each footnote's text to its reference, as a span the layout floats to the page foot."""
    notes: dict[int, list[Token]] = {}
    kept: list[Token] = []
    current: int | None = None
    in_block = False
    for token in tokens:
        if token.type == "footnote_block_open":
            in_block = True
        elif token.type == "footnote_block_close":
            in_block = False
        elif token.type == "footnote_open":
            current = token.meta["id"]
            notes[current] = []
        elif token.type == "footnote_close":
            current = None
        elif in_block and current is not None and token.type == "inline":
            notes[current].append(token)
        elif not in_block:
            kept.append(token)
    for token in kept:
        for child in token.children or []:
            if child.type == "footnote_ref":
                inner = " ".join(
                    _MD.renderer.renderInline(t.children or [], _MD.options, env)
                    for t in notes.get(child.meta["id"], [])
                )
                child.type = "html_inline"
                child.content = f'<span class="footnote">{inner}</span>'
    return kept


def _mark_figures(tokens: list[Token]) -> None:
    """An image alone in its paragraph becomes a figure; its title becomes the caption."""
    for i in range(len(tokens) - 2):
        opening, inline, closing = tokens[i : i + 3]
        if (
            opening.type == "paragraph_open"
            and inline.type == "inline"
            and closing.type == "paragraph_close"
            and len(inline.children or []) == 1
            and inline.children[0].type == "image"
        ):
            image = inline.children[0]
            caption = image.attrGet("title")
            alt = _MD.renderer.renderInlineAsText(image.children or [], _MD.options, {})
            opening.type = closing.type = "html_block"
            opening.content, closing.content = '<figure class="inline-figure">', "</figure>\n"
            image.attrs.pop("title", None)
            image.attrSet("alt", alt)
            if caption:
                cap = Token("html_inline", "", 0, content=f"<figcaption>{_escape(caption)}</figcaption>")
                inline.children.append(cap)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
