"""Render the prepared issue into the HTML of the one layout every edition is finished from."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from issue_builder.base.diagnostics import Diagnostic, RenderError
from issue_builder.base.schema import Contact
from issue_builder.layout.templates import extra_stylesheets, make_environment, read_contained
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
    article: PreparedArticle | None = None,
    starts: dict[str, int] | None = None,
) -> RenderedHtml:
    """The HTML of one part of the issue, numbered from `first_page`: "main" (cover to last article), "tail" (fill
    pages and back cover), "front" (cover and contents, which print `starts`: article id -> first page) or "article"
    (`article` alone). Template errors become RenderError naming the template and line.

    Pages run into the bleed and colours are the publication's sRGB values: the print edition's finisher gives
    each declared colour its declared CMYK and crops nothing; the screen editions are cropped to the trim.
    """
    chain = issue.layout_chain
    env = make_environment(chain)
    env.filters["drop_cap"] = drop_cap
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

    context = template_context(
        {
            "issue": issue,
            "m": m,
            "white": "#fff",
            "bleed": m.page.bleed.points,
            "contact_sentence": contact_sentence(m.contact),
            "font_faces": [face for faces in issue.font_faces.values() for face in faces],
            "part": part,
            "barcode": barcode,
            "transparency": transparency,
            "first_page": first_page,
            "section_article": article,
            "spacer": part == "article" and first_page % 2 == 0,  # a left-hand first page needs a spacer page before it
            "starts": starts,
            "fill_templates": fill_templates(m.printing.fill, fill_pages),
        },
        functions={"colour": colour, "image_url": lambda url: urls.get(url, url)},
    )
    try:
        html = env.get_template(MASTER_TEMPLATE).render(context)
        extra = "\n".join(
            env.from_string(read_contained(path, folder)).render(context) for path, folder in extra_stylesheets(chain)
        )
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
    if extra:
        html = html.replace("</head>", f"<style>\n{extra}\n</style>\n</head>", 1)
    return RenderedHtml(html=html, base_url=issue.root.as_uri() + "/", layout_chain=chain)


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
    """Wrap the first letter of the first paragraph (with any opening quote) for a drop cap."""
    match = re.search(r"<p>([“‘„‚«‹»›\"']?[\u202f\u00a0]?)(\w)", str(html))
    if not match:
        return html
    start, end = match.span()
    letter = match.group(1) + match.group(2)
    return Markup(str(html)[:start] + f'<p class="first"><span class="dropcap">{letter}</span>' + str(html)[end:])
