"""Markdown article bodies to sanitised HTML: typography, footnotes, pull quotes, figures."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

from issue_builder.base.diagnostics import Diagnostic, capped
from issue_builder.prepare.links import Lines, Link, body_links, record_positions
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
_VOID_TAGS = {"br", "hr", "img"}
MAX_HTML_DEPTH = 40  # nested elements of a body: WeasyPrint lays out each level by recursion
MAX_TABLE_COLUMNS = 50  # columns of a table (spans counted): more cannot be read on a page, and lay out slowly
MAX_ROWSPAN = 1000
_SPAN_LIMITS = {"colspan": MAX_TABLE_COLUMNS, "rowspan": MAX_ROWSPAN}
_HTML_INTEGER = re.compile(r"[ \t\n\f\r]*\+?([0-9]+)")  # how HTML reads colspan and rowspan: the leading digits


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
    links: list[Link] = field(default_factory=list)  # as written, with their lines (what `check` reports on)


@cache
def _markdown(quotes: str | tuple[str, ...] = "“”‘’", dashes: str = "en") -> MarkdownIt:
    """A parser setting quotation marks `quotes` (open, close, open single, close single) and `--` as `dashes`."""
    md = MarkdownIt("commonmark", {"html": True, "quotes": list(quotes) if isinstance(quotes, tuple) else quotes})
    md.enable(["table", "strikethrough"])
    use_typography(md, dashes)
    _report_dropped_nesting(md)
    record_positions(md)
    md.use(footnote_plugin).use(
        container_plugin,
        "pullquote",
        render=lambda self, tokens, idx, options, env: (
            '<aside class="pullquote">\n' if tokens[idx].nesting == 1 else "</aside>\n"
        ),
    )
    return md


def _report_dropped_nesting(md: MarkdownIt) -> None:
    """Record in `env["too_deep"]` each line where the block parser meets its nesting limit with text left: there
    markdown-it drops the rest of the list or quote (and all that follows it inside) without a word."""
    tokenize = md.block.tokenize

    def guarded(state, start: int, end: int, *args) -> None:
        line = state.skipEmptyLines(start)
        if state.level >= md.options.maxNesting and line < end and state.sCount[line] >= state.blkIndent:
            state.env.setdefault("too_deep", []).append(line + 1)
        tokenize(state, start, end, *args)

    md.block.tokenize = guarded


def markdown_for(language: str, dashes: str = "en") -> MarkdownIt:
    """The parser of a language (its quotation marks) and of a dash rule (typesetting.dashes)."""
    quotes = quotes_for(language)
    return _markdown(quotes if isinstance(quotes, str) else tuple(quotes), dashes)


_MD = _markdown()


MAX_WORD = 1000  # characters: the longest web address or chemical name fits, a pasted blob does not
_OVERLONG = re.compile(rf"(?<!\S)\S{{{MAX_WORD + 1},}}")  # tried at word starts only: linear time
# markdown-it reads prose fast, but stops at each markup character to try its rules, and is slow where they are
# dense: about 20 microseconds for each bracket or emphasis mark, more for each as one paragraph fills with them
# (`<<<...`, `&amp&amp...`, "`a `a ..." took 10-20 s at the 2 MB an article may have, unclosed `[^` over a
# minute), and 50-100 for each line of a table, a list or headings. Past these counts an article is refused with
# its line before it is parsed; at the limits a 2 MB article of the worst shapes is read in a few seconds.
MAX_LINES = 50_000  # a 2 MB article of prose has about 10,000 (paragraphs, each a line and a blank one)
MAX_DELIMITERS = 50_000  # `[`, `*` and `_`: prose has a few hundred, a book-length article a few thousand
MAX_MARKUP = 200_000  # characters markdown-it stops at in running text: prose has about 3 %, this is 10 % of 2 MB
_DELIMITERS = re.compile(r"[\[*_]")
_MARKUP = re.compile(r"[!#$%&*+\-:<=>@\[\\\]^_`{}~|]")
# raw HTML blocks markdown-it runs on to their end marker, to the end of the article (or of the list or quote they
# are in) when it never comes; the sanitiser then drops them whole: (opening, end marker, what it is)
_SWALLOWING_HTML = (
    (re.compile(r"<!--"), "-->", "an HTML comment"),
    (re.compile(r"<!\[CDATA\["), "]]>", "a CDATA section"),
    (re.compile(r"<\?"), "?>", "an HTML processing instruction"),
    (re.compile(r"<![A-Za-z]"), ">", "an HTML declaration"),
    (re.compile(r"<script(?=[\s>]|$)", re.I), "</script>", "a <script> element"),
    (re.compile(r"<style(?=[\s>]|$)", re.I), "</style>", "a <style> element"),
)


def render_markdown(
    text: str, source: Path, image_url: Callable[[str, int], str | None], language: str = "en", dashes: str = "en"
) -> tuple[MarkdownBody, list[Diagnostic]]:
    """Render `text` (from `source`, written in `language`, `--` set as `dashes`); `image_url(src, line)` maps an
    image's path to its URL, or None if refused."""
    md = markdown_for(language, dashes)
    problems = _beyond_limits(text, source)
    if problems:
        return MarkdownBody(html=""), problems
    env: dict = {}
    tokens = md.parse(text, env)
    links = body_links(tokens)
    images: list[ImageReference] = []
    urls: dict[str, str] = {}
    in_note = False
    for token in tokens:  # footnote bodies included: their images are checked like any other
        in_note = {"footnote_open": True, "footnote_close": False}.get(token.type, in_note)
        if token.type == "heading_open" and token.tag == "h1":
            token.tag = "h2"  # the article title is the page's h1
        image_lines = _image_lines(token)
        for child in token.children or []:
            line = image_lines.get(id(child)) or _line_of(token, child)
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
    problems = capped(problems, "footnotes referring to other footnotes")
    problems += capped(_overlong_words(tokens, source), "words too long")
    problems += _unclosed_html(tokens, source)
    problems += _dropped_nesting(env, source, md.options.maxNesting)
    problems += capped(_dropped_html(tokens, source), "kinds of HTML tag dropped")
    problems += capped(_unplaced_footnotes(text, env, source), "footnotes never referred to")
    problems += capped(_cut_table_rows(tokens, text.split("\n"), source), "table rows cut")
    tokens = _inline_footnotes(tokens, env)
    _mark_figures(tokens)
    html = md.renderer.render(tokens, md.options, env)
    clean = _sanitise(html, urls)
    problems += _shape_problems(
        clean, tokens, source, lambda k: _sanitise(md.renderer.render(tokens[:k], md.options, env), urls)
    )
    words = len(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", clean)))
    typography = env.get("typography") or Typography()
    return MarkdownBody(html=clean, images=images, words=words, typography=typography, links=links), problems


def _beyond_limits(text: str, source: Path) -> list[Diagnostic]:
    """Errors for an article too long in lines or too dense in markup for the Markdown reader to take in good time,
    each at the line where the count passes its limit."""
    found = []
    if text.count("\n") >= MAX_LINES:
        found.append(
            Diagnostic(
                f"the article has more than {MAX_LINES:,} lines, more than the Markdown reader takes in good time "
                "(this is the first line past them); join its lines into paragraphs or split the article",
                file=source,
                line=MAX_LINES + 1,
            )
        )
    for pattern, limit, what in (
        (_DELIMITERS, MAX_DELIMITERS, "brackets and emphasis marks ([, * and _)"),
        (_MARKUP, MAX_MARKUP, "markup characters ([ ] * _ ` < > & \\ ! # - : | ~ and the like)"),
    ):
        if len(pattern.findall(text)) > limit:
            past = next(itertools.islice(pattern.finditer(text), limit, None))
            found.append(
                Diagnostic(
                    f"the article has more than {limit:,} {what}, more than the Markdown reader takes in good time "
                    "(this line holds the first past them); remove stray marks or split the article",
                    file=source,
                    line=text.count("\n", 0, past.start()) + 1,
                )
            )
            break  # the delimiters are markup too: one error is enough
    return found


def _unclosed_html(tokens: list[Token], source: Path) -> list[Diagnostic]:
    """An error for each raw HTML block opened but never closed: it swallows the rest of the article (or of the list
    or quote it is in), which the sanitiser would then drop without a word."""
    found = []
    for token in tokens:
        if token.type != "html_block":
            continue
        content = token.content.lstrip(" ")
        for opening, end, what in _SWALLOWING_HTML:
            if not opening.match(content):
                continue
            if end not in content.lower():  # markdown-it looks for the end on the opening line too
                found.append(
                    Diagnostic(
                        f"{what} opened here is never closed with {end}: everything after it in the article "
                        "(or in its list or quote) would be dropped; close it or remove it",
                        file=source,
                        line=token.map[0] + 1 if token.map else None,
                    )
                )
            break
    return found


# HTML's element names (and a few obsolete ones pasted text still carries): a disallowed one is dropped with its text
# kept; any other name in angle brackets (`<landlord-name>`) is text the writer typed, which would be lost.
_HTML_ELEMENTS = frozenset(
    """a abbr acronym address area article aside audio b base basefont bdi bdo big blink blockquote body br button
    canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed
    fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe
    img input ins kbd label legend li link listing main map mark marquee math menu meta meter nav nobr noembed
    noframes noscript object ol optgroup option output p param picture plaintext pre progress q rp rt ruby s samp
    script search section select slot small source span strike strong style sub summary sup svg table tbody td
    template textarea tfoot th thead time title tr track tt u ul var video wbr xmp""".split()
)
_CONTENT_DROPPED = frozenset({"script", "style", "template", "math", "svg"})  # the sanitiser drops what they hold
_OPENING_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])[^>]*>")
MAX_TAG_SHOWN = 60  # characters of a tag quoted in a message


def _dropped_html(tokens: list[Token], source: Path) -> list[Diagnostic]:
    """A warning for raw HTML the sanitiser would drop, by tag, at its first line: words lost (a name in angle
    brackets that is no HTML element, an element whose contents are dropped), or the tag alone (its text kept).
    Comments are editors' notes, dropped on purpose."""
    first: dict[str, tuple[str, int | None, int]] = {}  # tag name -> (as written, line, times)
    for token in tokens:
        pieces = [(token.content, 0)] if token.type == "html_block" else []
        block_lines = Lines(token.content)  # lines counted on from the last tag: linear time
        for child in token.children or []:
            if child.type == "html_inline":  # where in its block the parser found it (prepare/links.py)
                pieces.append((child.content, block_lines.of(child.meta.get("at", 0))))
        for content, lines_before in pieces:
            lines = Lines(content)
            # a tag ends at a `>`: none is looked for past the last one (each try would read to the end)
            for match in _OPENING_TAG.finditer(content, 0, content.rfind(">") + 1):
                name = match.group(1).lower()
                if name in _ALLOWED_TAGS:
                    continue
                line = token.map[0] + 1 + lines_before + lines.of(match.start()) if token.map else None
                written, at, times = first.get(name, (match.group(), line, 0))
                first[name] = (written, at, times + 1)
    found = []
    for name, (written, line, times) in first.items():
        shown = written if len(written) <= MAX_TAG_SHOWN else written[: MAX_TAG_SHOWN - 4] + "...>"
        more = f" (and {times - 1} more time{'s' if times > 2 else ''} after it)" if times > 1 else ""
        if name in _CONTENT_DROPPED:
            text = f"`{shown}`{more}: HTML a body may not hold; it and all it holds would be dropped: remove it"
        elif name not in _HTML_ELEMENTS:
            text = (
                f"`{shown}`{more} reads as an HTML tag, which would be dropped with its words; to print it as typed, "
                f"write `\\{shown}`"
            )
        else:
            text = (
                f"`{shown}`{more}: HTML a body may not use; the tag is dropped, its text kept (use Markdown for "
                f"emphasis, or write `\\{shown}` to print it as typed)"
            )
        found.append(Diagnostic(text, severity="warning", file=source, line=line))
    return found


_NOTE_DEFINITION = re.compile(r"^[ ]{0,3}\[\^([^\]]+)\]:", re.M)


def _unplaced_footnotes(text: str, env: dict, source: Path) -> list[Diagnostic]:
    """A warning for each footnote written but never referred to: its text is printed nowhere."""
    unplaced = [key[1:] for key, number in (env.get("footnotes") or {}).get("refs", {}).items() if number == -1]
    if not unplaced:
        return []
    defined: dict[str, int] = {}  # label -> line of its first definition, found in one pass over the text
    lines = Lines(text)
    for match in _NOTE_DEFINITION.finditer(text):
        defined.setdefault(match.group(1), lines.of(match.start()) + 1)
    found = []
    for label in unplaced:
        line = defined.get(label)
        found.append(
            Diagnostic(
                f"footnote [^{label}] is never referred to, so it is printed nowhere: put [^{label}] where it "
                "belongs, or remove it",
                severity="warning",
                file=source,
                line=line,
            )
        )
    return found


def _table_cells(line: str) -> int:
    """Cells of a Markdown table row as written: its unescaped pipes, outer ones not counted."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return len(re.split(r"(?<!\\)\|", row))


def _cut_table_rows(tokens: list[Token], lines: list[str], source: Path) -> list[Diagnostic]:
    """A warning for each table row with more cells than its header: the Markdown reader drops the extra ones."""
    found, header, in_body = [], 0, False
    for token in tokens:
        if token.type == "thead_open" and token.map:
            header = _table_cells(lines[token.map[0]])
        in_body = {"tbody_open": True, "tbody_close": False}.get(token.type, in_body)
        if token.type == "tr_open" and in_body and token.map and header:
            cells = _table_cells(lines[token.map[0]])
            if cells > header:
                found.append(
                    Diagnostic(
                        f"this table row has {cells} cells and its header {header}: the last {cells - header} would "
                        "not be printed; add header cells or join the row's cells",
                        severity="warning",
                        file=source,
                        line=token.map[0] + 1,
                    )
                )
    return found


def _sanitise(html: str, urls: dict[str, str]) -> str:
    """The HTML with only the allowed tags and attributes, links and images checked."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=lambda tag, attr, value: _filter_attribute(tag, attr, value, urls),
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
        strip_comments=True,
    )


def _dropped_nesting(env: dict, source: Path, levels: int) -> list[Diagnostic]:
    """An error for the first place where the Markdown reader would drop text nested too deeply."""
    lines = sorted(set(env.get("too_deep", [])))
    if not lines:
        return []
    more = f" (and {len(lines) - 1} more place{'s' if len(lines) > 2 else ''} after it)" if len(lines) > 1 else ""
    return [
        Diagnostic(
            f"lists and block quotes nested too deeply{more}: the Markdown reader holds {levels} levels (a list "
            "takes two, a quote one) and would drop this text and everything after it in the same list or quote; "
            "nest less deeply",
            file=source,
            line=lines[0],
        )
    ]


class _Shape(HTMLParser):
    """The deepest nesting and the widest table row of well-formed HTML (as the sanitiser writes it)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.depth = self.deepest = self.widest = self.tallest = 0
        self.rows: list[int] = []  # cells so far (spans counted) of each open table row
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _VOID_TAGS:
            return
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)
        if tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th") and self.rows:
            spans = {name: _html_integer(value) or 1 for name, value in attrs if name in _SPAN_LIMITS}
            self.rows[-1] += spans.get("colspan", 1)
            self.widest = max(self.widest, self.rows[-1])
            self.tallest = max(self.tallest, spans.get("rowspan", 1))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        self.depth -= 1
        if tag == "tr" and self.rows:
            self.rows.pop()

    def problems(self) -> dict[str, str]:
        """What is beyond the limits, by kind."""
        found = {}
        if self.deepest > MAX_HTML_DEPTH:
            found["deepest"] = f"HTML elements nested {self.deepest} levels deep (at most {MAX_HTML_DEPTH})"
        if self.widest > MAX_TABLE_COLUMNS:
            found["widest"] = f"a table row of more than {MAX_TABLE_COLUMNS} columns (spans counted)"
        if self.tallest > MAX_ROWSPAN:
            found["tallest"] = f"a table cell spanning more than {MAX_ROWSPAN:,} rows"
        return found


def _shape_problems(
    clean: str, tokens: list[Token], source: Path, sanitised_prefix: Callable[[int], str]
) -> list[Diagnostic]:
    """Errors for structures nested or tables wider than the layout can take, each at the line where it first
    goes beyond the limit (found by sanitising ever shorter runs of the tokens: only when there is a problem)."""
    found = []
    ends = [k for k in range(1, len(tokens) + 1) if tokens[k - 1].level == 0 and tokens[k - 1].nesting <= 0]
    for kind, message in _Shape(clean).problems().items():
        low, high = 0, len(ends) - 1  # the first top-level block at whose end the problem is there
        while low < high:
            middle = (low + high) // 2
            if kind in _Shape(sanitised_prefix(ends[middle])).problems():
                high = middle
            else:
                low = middle + 1
        block = tokens[ends[low - 1] if low else 0 : ends[low]] if ends else tokens
        line = next((t.map[0] + 1 for t in block if t.map), None)
        found.append(Diagnostic(f"{message}: the layout cannot take it; simplify the structure", source, line))
    return found


def _html_integer(value: str | None) -> int | None:
    """An attribute value read as HTML reads colspan and rowspan: its leading digits."""
    match = _HTML_INTEGER.match(value or "")
    return int(match.group(1).lstrip("0")[:9] or "0") if match else None


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
    """The source line of an inline element other than an image: its block's first line."""
    return (token.map[0] + 1) if token.map else 1


def _image_lines(token: Token) -> dict[int, int]:
    """The source line of each image of an inline token (by the image token's id): the line of its `](src`, or
    of its `![`; each search goes on from the last image and stops at the next, so that it takes linear time."""
    lines: dict[int, int] = {}
    content, line, done = token.content, _line_of(token, token), 0
    for child in token.children or []:
        if child.type != "image":
            continue
        start = content.find("![", done)
        if start < 0:
            lines[id(child)] = line
            continue
        following = content.find("![", start + 2)
        at = content.find(f"]({child.attrGet('src') or ''}", start, following if following >= 0 else len(content))
        at = at if at >= 0 else start
        line += content.count("\n", done, at)
        lines[id(child)], done = line, at
    return lines


def _filter_attribute(tag: str, attr: str, value: str, urls: dict[str, str]) -> str | None:
    if tag == "a" and attr == "href":
        return value if _LINK.match(value) else None
    if tag == "img" and attr == "src":
        return value if value in urls else None  # only images the build checked
    if attr == "class":
        return value if value in {"pullquote", "footnote", "inline-figure"} else None
    if attr in _SPAN_LIMITS:  # beyond the limit is an error; kept one over it so that the check sees it
        number = _html_integer(value)
        return None if number is None else str(min(number, _SPAN_LIMITS[attr] + 1))
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
