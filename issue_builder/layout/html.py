"""Render the prepared issue into the HTML of the one layout every edition is finished from."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape as html_unescape
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from issue_builder.base.diagnostics import Diagnostic, RenderError
from issue_builder.base.schema import Contact
from issue_builder.layout.copyfit import Fit
from issue_builder.layout.templates import extra_stylesheets, make_environment, read_contained
from issue_builder.layout.urls import ISSUE_BASE
from issue_builder.layout.values import template_context
from issue_builder.prepare.content import PreparedArticle, PreparedIssue

MASTER_TEMPLATE = "issue.html"
_IMG_SRC = re.compile(r'src="([^"]*)"')


@dataclass(frozen=True)
class RenderedHtml:
    """The HTML of one edition and the folders its resources may come from."""

    html: str
    base_url: str
    layout_chain: list[Path]


def contact_sentence(contact: Contact) -> str | None:
    """ "Contact us at A or B." from whichever of email and phone are given; None when neither is."""
    ways = [w for w in (contact.email, contact.phone) if w]
    return f"Contact us at {' or '.join(ways)}." if ways else None


def fill_templates(policy: str, count: int) -> list[str]:
    """Templates of the fill pages: one house ad, then notes pages; or all notes, or all blank."""
    if policy == "house-ad":
        return ["fill-house-ad.html"] + ["fill-notes.html"] * (count - 1) if count else []
    return [f"fill-{policy}.html"] * count


RUNNING_TITLE_CHARS = 56  # about what the running head's margin box holds on one line at letter-spaced 6.5pt


def running_title(title: str, limit: int = RUNNING_TITLE_CHARS) -> str:
    """An article's title as its running head: whole, or cut at a word before `limit` characters with an
    ellipsis (the read-back check accepts a head that begins the title)."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.–—-") or title[:limit]
    return cut + "\u2026"


def running_publication(name: str, issue: int) -> str:
    """The left-hand running head: the publication and the issue."""
    return f"{name.upper()}  \u00b7  ISSUE {issue}"


LONE_WORD_CHARS = 16  # the last two words are kept together when they are this short together


def no_lone_word(text: str, limit: int = LONE_WORD_CHARS) -> Markup:
    """A headline (escaped) whose last two words are kept on one line (`<span class="nobreak">`), so that its last
    line never holds one short word alone (`...Version 3`, not `...Version / 3`); two long last words are left
    free to break. A span, not a no-break space: the words read back from the PDF as typed."""
    words = str(text).rsplit(" ", 2)
    if len(words) < 3 or len(words[1]) + len(words[2]) + 1 > limit:
        return escape(text)
    return escape(words[0] + " ") + Markup('<span class="nobreak">') + escape(" ".join(words[1:])) + Markup("</span>")


@dataclass(frozen=True)
class Barcode:
    """The cover barcode as the layout places it."""

    url: str
    width: float  # points


def render_html(
    issue: PreparedIssue,
    part: str = "main",
    first_page: int = 1,
    fill_pages: int = 0,
    barcode: Barcode | None = None,
    transparency: bool = True,
    image_urls: dict[str, str] | None = None,
    articles: tuple[PreparedArticle, ...] = (),
    starts: dict[str, int] | None = None,
    fit: Fit | None = None,
) -> RenderedHtml:
    """The HTML of one part of the issue (see `html_renderer`)."""
    render = html_renderer(issue, barcode, transparency, image_urls)
    return render(part, first_page, fill_pages=fill_pages, articles=articles, starts=starts, fit=fit)


def html_renderer(
    issue: PreparedIssue,
    barcode: Barcode | None = None,
    transparency: bool = True,
    image_urls: dict[str, str] | None = None,
) -> Callable[..., RenderedHtml]:
    """A function giving the HTML of one part of the issue, numbered from `first_page` (a section is laid out
    knowing neither its first page nor its side: layout/sections.py): "main" (cover to last article), "tail" (fill
    pages and back cover), "front" (cover and contents, which print `starts`: article id -> first page) or
    "article" (`articles`: an article and those that run on after it, set at `fit`: their copy-fitting steps,
    layout/copyfit.py). The templates are compiled and the issue made plain once, for every part rendered. Template
    errors become RenderError naming the template and line.

    Pages run into the bleed and colours are the publication's sRGB values: the print edition's finisher gives
    each declared colour its declared CMYK and crops nothing; the screen editions are cropped to the trim.
    """
    chain = issue.layout_chain
    env = make_environment(chain)
    env.filters["drop_cap"] = drop_cap
    env.filters["printed_links"] = printed_links
    env.filters["no_lone_word"] = no_lone_word
    urls = image_urls or {}
    # WeasyPrint re-reads a local image by the path in its URL, so a converted copy needs a URL of its own
    env.filters["with_image_urls"] = lambda html: Markup(
        _IMG_SRC.sub(lambda m: f'src="{urls.get(m.group(1), m.group(1))}"', str(html))
    )
    m = issue.manifest

    def colour(name: str) -> str:
        if name not in {f.name for f in dataclasses.fields(m.colours)}:
            raise ValueError(f"no colour named {name!r} in the publication's colours")
        return getattr(m.colours, name).rgb

    shared = template_context(
        {
            "issue": issue,
            "m": m,
            "white": "#fff",
            "bleed": m.page.bleed.points,
            "contact_sentence": contact_sentence(m.contact),
            "running_publication": running_publication(m.periodical.name, m.issue),
            "font_faces": [face for faces in issue.font_faces.values() for face in faces],
            "barcode": barcode,
            "transparency": transparency,
        },
        functions={"colour": colour, "image_url": lambda url: urls.get(url, url), "running_title": running_title},
    )
    with _template_errors():
        master = env.get_template(MASTER_TEMPLATE)
        extras = [env.from_string(read_contained(path, folder)) for path, folder in extra_stylesheets(chain)]
    base_url = ISSUE_BASE  # the issue's files by their path in it, whatever its folder (layout/urls.py)

    def render(
        part: str = "main",
        first_page: int = 1,
        fill_pages: int = 0,
        articles: tuple[PreparedArticle, ...] = (),
        starts: dict[str, int] | None = None,
        fit: Fit | None = None,
    ) -> RenderedHtml:
        context = shared | template_context(
            {
                "part": part,
                "first_page": first_page,
                "section_articles": articles,
                "starts": starts,
                "fill_templates": fill_templates(m.printing.fill, fill_pages),
                "fit": fit or Fit(),
            },
            functions={"title_set": (fit or Fit()).title_set},
        )
        with _template_errors():
            html = master.render(context)
            extra = "\n".join(template.render(context) for template in extras)
        if extra:
            html = html.replace("</head>", f"<style>\n{extra}\n</style>\n</head>", 1)
        return RenderedHtml(html=html, base_url=base_url, layout_chain=chain)

    return render


@contextlib.contextmanager
def _template_errors():
    """Jinja's errors in the block as RenderError naming the template and line."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            "layout template error:",
            [Diagnostic(exc.message or "syntax error", file=Path(exc.filename or exc.name or "?"), line=exc.lineno)],
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError("layout template error:", [Diagnostic(f"template not found: {exc.name}")]) from None
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(
            "layout template error:", [Diagnostic(f"unsafe template code refused: {exc}", file=_template_file(exc))]
        ) from None
    except jinja2.TemplateError as exc:
        raise RenderError(
            "layout template error:", [Diagnostic(f"{type(exc).__name__}: {exc}", file=_template_file(exc))]
        ) from None


def _template_file(exc: Exception) -> Path | None:
    tb = exc.__traceback__
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".css")):
            found = Path(name)
        tb = tb.tb_next
    return found


def drop_cap(html: Markup) -> Markup:
    """Wrap the first letter of the first paragraph (with any opening quote) for a drop cap: only when the body
    opens with a paragraph of text, not with a block quote, list, heading, figure or code."""
    match = re.match(r"\s*<p>([“‘„‚«‹»›\"']?[\u202f\u00a0]?)(\w)", str(html))
    if not match:
        return html
    start, end = match.span()
    letter = match.group(1) + match.group(2)
    return Markup(str(html)[:start] + f'<p class="first"><span class="dropcap">{letter}</span>' + str(html)[end:])


_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TAGS = re.compile(r"<[^>]*>")
_BARE_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"]+[^\s<>\".,;:!?)\]]")
_RAW = re.compile(r"<(/?)(code|pre|kbd|samp)\b", re.IGNORECASE)
BREAK = "\u200b"  # zero-width space: a line may break here, and no hyphen is added


def breakable_url(text: str) -> str:
    """`text` (an address, escaped HTML) with a break opportunity after each `/`, `.` and `-` but the last
    character: a URL breaks only there, never with a hyphen."""
    return re.sub(r"([/.\-])(?=[^/.\-])", "\\1" + BREAK, text)


def short_address(href: str) -> str:
    """A link's target as printed after its words: `https://` and a final `/` left out, `mailto:` dropped."""
    address = html_unescape(href)
    for prefix in ("https://", "http://", "mailto:"):
        if address.lower().startswith(prefix):
            address = address[len(prefix) :]
            break
    return address.removesuffix("/")


def printed_links(html: Markup) -> Markup:
    """Links as print reads them, in every edition alike: the address follows the words of a link whose words are
    not the address already (`the mailing list (lists.debian.org/deity)`); addresses, in links and in running
    text, get a break opportunity after `/`, `.` and `-`. Links to anchors (`#...`) and links the sanitiser left
    without a target are left alone; the link itself stays, clickable in the web PDF."""

    text, out, raw, at = str(html), [], 0, 0

    def link(match: re.Match) -> str:
        attrs, inner = match.group(1), match.group(2)
        href = _HREF.search(attrs)
        if href is None or href.group(1).startswith("#"):
            return match.group(0)
        words = _TAGS.sub("", inner)
        shown = short_address(href.group(1))
        letters = _letters(html_unescape(words))
        if letters in (_letters(shown), _letters(html_unescape(href.group(1)))):
            return f"<a{attrs}>{_break_html(inner)}</a>"
        escaped = breakable_url(shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        if text[: match.start()].endswith("(") and text[match.end() :].startswith(")"):
            # already in brackets: `(python-apt, tracker.debian.org/pkg/python-apt)`, not brackets in brackets
            return f'<a{attrs}>{inner}</a><span class="link-address">, {escaped}</span>'
        return f'<a{attrs}>{inner}</a> <span class="link-address">({escaped})</span>'

    for match in [*_LINK.finditer(text), None]:
        for piece in re.split(r"(<[^>]*>)", text[at : match.start() if match else len(text)]):
            tag = _RAW.match(piece)
            if tag:
                raw = max(0, raw + (-1 if tag.group(1) else 1))
            out.append(piece if raw or piece.startswith("<") else _break_text(piece))
        if match:
            out.append(link(match) if not raw else match.group(0))
            at = match.end()
    result = "".join(out)
    # a paragraph holding code with spaces is set ragged: justification would stretch the spaces inside the code
    result = re.sub(
        r"<p>((?:(?!</p>).)*?<code>[^<]* [^<]*</code>)", r'<p class="with-code">\1', result, flags=re.DOTALL
    )
    return Markup(result)


def _break_text(text: str) -> str:
    """Running text with the URLs it holds kept from hyphenation, with break opportunities inside them."""
    return _BARE_URL.sub(lambda m: f'<span class="url">{breakable_url(m.group(0))}</span>', text)


def _break_html(fragment: str) -> str:
    """`_break_text` on the text of an HTML fragment, not on its tags."""
    return "".join(p if p.startswith("<") else _break_text(p) for p in re.split(r"(<[^>]*>)", fragment))


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())
