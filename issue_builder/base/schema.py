"""The manifest schema: one typed model, a docstring per field (the docs' reference and the JSON Schema are made
from it)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from issue_builder.base.identifiers import issn_problem
from issue_builder.base.types import Colour, FileRef, Length


@dataclass(frozen=True)
class Rule:
    """A check of one field's value: `test` returns an error message or None; `schema` states the same rule to
    editors as JSON Schema keywords (as far as JSON Schema can say it: check digits, for one, it cannot)."""

    test: Callable[[Any], str | None]
    schema: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, value: Any) -> str | None:
        return self.test(value)


def rule(test: Callable[[Any], str | None], **schema: Any) -> Rule:
    """A Rule whose JSON Schema keywords are given by name: `rule(test, minimum=1)`."""
    return Rule(test, MappingProxyType(schema))


def doc(
    text: str,
    default: Any = MISSING,
    *,
    factory: Callable[[], Any] | None = None,
    check: Rule | None = None,
) -> Any:
    """A field with its documentation; `check` returns an error message or None."""
    meta = {"doc": text, "check": check}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _positive_test(value: float | int) -> str | None:
    return None if value > 0 else "must be greater than 0"


_positive = rule(_positive_test, exclusiveMinimum=0)

MAX_ISSUE = 999_999  # issue and volume numbers: enough for a daily for 2,700 years; they end up in file names


def _issue_number_test(value: int) -> str | None:
    return None if 0 < value <= MAX_ISSUE else f"must be a whole number from 1 to {MAX_ISSUE:,}"


_issue_number = rule(_issue_number_test, minimum=1, maximum=MAX_ISSUE)


def _non_negative_length_test(value: Length) -> str | None:
    return None if value.points >= 0 else "must not be negative"


_non_negative_length = rule(_non_negative_length_test)


MAX_MARKS_OFFSET = 72.0  # points: marks beyond an inch of the trim fall off every press sheet the page is set on


def _marks_offset_test(value: Length) -> str | None:
    if value.points < 0:
        return "must not be negative"
    return None if value.points <= MAX_MARKS_OFFSET else "at most 1in: marks further out fall off the press sheet"


_marks_offset = rule(_marks_offset_test)
_issn = rule(issn_problem, pattern=r"^\s*\d{4}-?\d{3}[\dXx]\s*$")

# A host name: DNS labels ending in a top-level domain of letters (or an IDNA `xn--` one).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})"
# A web address as printed: an optional http(s)://, the host, an optional port, path, query or fragment.
# (The patterns are also JSON Schema patterns, read as JavaScript regular expressions: no needless escapes.)
_WEB = re.compile(rf'^(?:[hH][tT][tT][pP][sS]?://)?{_HOST}(?::[0-9]{{1,5}})?(?:[/?#][^\s<>"]*)?$')


def _web_address_test(value: str) -> str | None:
    return None if _WEB.match(value) else "expected a web address such as `example.org` or `https://example.org/path`"


_web_address = rule(_web_address_test, pattern=_WEB.pattern)

# An email address as HTML forms accept one (the WHATWG definition: a strict subset of RFC 5322's that every mail
# system takes), with a dot in the domain: a printed address reaches the public internet, not `admin@localhost`.
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_HOST}$")


# A language tag as PDF's /Lang and HTML's lang take it: a BCP 47 primary language (2-3 letters) and subtags, or a
# private-use tag (`x-...`).
LANGUAGE_TAG = re.compile(r"^([a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*|[xX](-[a-zA-Z0-9]{1,8})+)$")


def _language_test(value: str) -> str | None:
    return None if LANGUAGE_TAG.match(value) else "expected a BCP 47 language tag such as `en`, `fr-CA` or `pt-BR`"


_language = rule(_language_test, pattern=LANGUAGE_TAG.pattern)


def _email_test(value: str) -> str | None:
    if _EMAIL.match(value):
        return None
    return "expected an email address such as `editors@example.org`"


_email = rule(_email_test, pattern=_EMAIL.pattern)

# A telephone number as printed for readers: digits grouped by spaces, hyphens, dots, slashes or brackets, an
# optional leading + (international form), 5 to 15 digits (E.164 numbers have at most 15), an optional extension.
# Conservative on purpose: without the publication's country a national number cannot be checked any further.
_PHONE = re.compile(r"^\+?[0-9(]([0-9 ./()-]*[0-9])?( ?(ext\.?|x) ?[0-9]{1,6})?$")
_EXTENSION = re.compile(r" ?(ext\.?|x) ?[0-9]{1,6}$")


def _phone_test(value: str) -> str | None:
    digits = sum(c.isdigit() for c in _EXTENSION.sub("", value))
    if _PHONE.match(value) and 5 <= digits <= 15:
        return None
    return (
        "expected a telephone number such as `646-791-6279` or `+44 20 7946 0958`: 5 to 15 digits grouped by "
        "spaces, hyphens, dots or brackets, an optional leading + and extension (`ext. 12`)"
    )


_phone = rule(_phone_test, pattern=_PHONE.pattern)


def _not_blank_test(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


_not_blank = rule(_not_blank_test, pattern=r"\S")

_POSITION = re.compile(r"^(left|center|right|top|bottom|\d{1,3}%)( (left|center|right|top|bottom|\d{1,3}%))?$")


def _position_test(value: str) -> str | None:
    return None if _POSITION.match(value) else "expected a position such as `50% 30%`, `center` or `left top`"


_position = rule(_position_test, pattern=_POSITION.pattern)


@dataclass(frozen=True)
class Periodical:
    """The publication itself, usually set once in the publication file."""

    name: str = doc("Name of the publication, as printed in the masthead.", check=_not_blank)
    slug: str | None = doc(
        "File-name stem of the outputs (`<slug>-<issue>-print.pdf`); made from `name` when absent.", None
    )
    tagline: str | None = doc("Line printed under the masthead on the cover.", None)
    publisher: str | None = doc("Publisher, printed in the imprint on the back page.", None)
    issn: str | None = doc(
        "ISSN (e.g. `1234-5679`, check digit verified): printed in the imprint, and as an EAN-13 "
        "barcode (977 prefix, issue number as 2-digit add-on) on the print cover.",
        None,
        check=_issn,
    )
    language: str = doc(
        "Language of the text, a BCP 47 tag; drives hyphenation and the PDF's /Lang.", "en", check=_language
    )
    website: str | None = doc("Web address of the publication, printed in the imprint.", None, check=_web_address)


@dataclass(frozen=True)
class PageSetup:
    """Trim size, bleed, margins and columns."""

    width: Length = doc("Trim width.", Length.parse("8.5in"))
    height: Length = doc("Trim height.", Length.parse("11in"))
    bleed: Length = doc(
        "Bleed beyond the trim on every side of the print PDF (US 0.125in, Europe 3mm).",
        Length.parse("0.125in"),
        check=_non_negative_length,
    )
    margin_top: Length = doc("Top margin (running head sits inside it).", Length.parse("0.75in"))
    margin_bottom: Length = doc("Bottom margin (folio sits inside it).", Length.parse("0.8in"))
    margin_inside: Length = doc("Margin at the spine.", Length.parse("0.75in"))
    margin_outside: Length = doc("Margin at the fore-edge.", Length.parse("0.6in"))
    columns: int = doc("Text columns of article bodies.", 2, check=_positive)
    column_gap: Length = doc("Gap between columns.", Length.parse("0.25in"))


@dataclass(frozen=True)
class Fonts:
    """Font families, by family name, from `fonts/` or the project's own `font_dirs`."""

    body: str = doc("Family of body text.", "Charis SIL")
    heading: str = doc("Family of titles, subheads, captions and furniture.", "Inter")
    masthead: str = doc("Family of the cover masthead.", "Bebas Neue")
    code: str = doc("Family of inline code and code blocks: a monospace face.", "Noto Sans Mono")
    fallback: list[str] = doc(
        "Families for the characters of other scripts, tried in order after the body or heading family for a "
        "character it lacks (a Hebrew or Arabic word in English text).",
        factory=lambda: ["Noto Serif Hebrew", "Noto Naskh Arabic"],
    )


@dataclass(frozen=True)
class Typesetting:
    """How typed text is set (dashes, copy-fitting)."""

    dashes: Literal["en", "em", "spaced-en", "spaced-em", "closed-em"] = doc(
        "What `--` and `---` become: `en` (`--` an en dash, `---` an em dash, spaces as typed), `em` (both em "
        "dashes), `spaced-en` or `spaced-em` (set off by a no-break space before and a space after), `closed-em` "
        "(an em dash with no spaces). A `--` between digits (`10--12`) is always a closed en dash.",
        "en",
    )
    min_fill: int = doc(
        "Body pages whose text area is less than this percent full are reported (render summary, `flatplan`, and "
        "the lint with what would fix them).",
        35,
        check=rule(lambda v: None if 0 <= v <= 100 else "must be from 0 to 100", minimum=0, maximum=100),
    )
    tighten_steps: int = doc(
        "Steps of slightly tighter leading and letter spacing (0.25pt and 0.005em a step) an article may be set in to "
        "pull back a last page under `min_fill`; `0` never tightens.",
        2,
        check=rule(lambda v: None if 0 <= v <= 4 else "must be from 0 to 4", minimum=0, maximum=4),
    )
    title_steps: int = doc(
        "Steps smaller a title may be set when it runs over its line limit, before the build refuses it (a step is "
        "8% smaller).",
        2,
        check=rule(lambda v: None if 0 <= v <= 4 else "must be from 0 to 4", minimum=0, maximum=4),
    )
    filler: Literal["house-ad", "none"] = doc(
        "What takes the rest of an article's last page when that page stays under `min_fill`: `house-ad` (the "
        "publication's subscription box) or `none`.",
        "house-ad",
    )
    run_on: int = doc(
        "Articles of at most this many words start on the page where the previous article ends, after a rule, "
        "instead of on a page of their own (an article's `run_on` decides for it alone); a `full-bleed` opener "
        "and the first article always start a page; `0` never runs an article on.",
        0,
        check=rule(lambda v: None if 0 <= v <= 100000 else "must be from 0 to 100000", minimum=0, maximum=100000),
    )


@dataclass(frozen=True)
class Colours:
    """Named colours; each gives `cmyk: [C, M, Y, K]` for print and `rgb: "#rrggbb"` for the web."""

    ink: Colour = doc("Text colour (print: keep it 100% K).", Colour(cmyk=(0, 0, 0, 100), rgb="#1a1a1a"))
    accent: Colour = doc("Kickers, rules, drop caps, the masthead.", Colour(cmyk=(0, 95, 90, 0), rgb="#d21f1b"))
    muted: Colour = doc("Captions, credits, running heads.", Colour(cmyk=(0, 0, 0, 65), rgb="#6b6b6b"))
    tint: Colour = doc("Background of boxes such as the contact block.", Colour(cmyk=(0, 4, 8, 4), rgb="#f5efe6"))


@dataclass(frozen=True)
class Contact:
    """How readers reach the publication; every field optional, absent ones are left out cleanly."""

    text: str | None = doc("Sentence introducing the publication, printed before the contact details.", None)
    email: str | None = doc("Email address (`editors@example.org`).", None, check=_email)
    phone: str | None = doc(
        "Telephone number as printed (`646-791-6279`, `+44 20 7946 0958`): digits grouped by spaces, hyphens, dots "
        "or brackets.",
        None,
        check=_phone,
    )
    address: str | None = doc("Postal address (may span lines).", None)
    web: str | None = doc(
        "Web address (`example.org` or `https://...`); a link in the web PDF.", None, check=_web_address
    )


@dataclass(frozen=True)
class Picture:
    """An image with the words that go with it."""

    src: FileRef = doc("Image file (JPEG, PNG, TIFF or WebP), relative to the manifest's folder.")
    alt: str | None = doc("Alternative text for readers who cannot see the image (PDF tags, web page).", None)
    caption: str | None = doc("Caption printed with the image.", None)
    credit: str | None = doc("Photo credit printed with the image.", None)
    focus: str = doc(
        "Part of the image kept when it is cropped to fit, as CSS `object-position` (e.g. `50% 30%`).",
        "50% 50%",
        check=_position,
    )


CoverColour = Literal["white", "ink", "accent", "muted", "tint"]


@dataclass(frozen=True)
class Cover:
    """The front cover."""

    image: FileRef = doc("Cover image, printed full-bleed; relative to the manifest's folder.")
    alt: str | None = doc("Alternative text of the cover image.", None)
    lines: list[str] = doc("Coverlines: article teasers printed on the cover, in order.", factory=list)
    credit: str | None = doc("Credit of the cover image, printed on the contents page.", None)
    focus: str = doc(
        "Part of the cover image kept when it is cropped, as CSS `object-position`.", "50% 50%", check=_position
    )
    masthead_colour: CoverColour = doc(
        "Colour of the masthead: `white` or one of `colours` (`ink`, `accent`, `muted`, `tint`).", "white"
    )
    tagline_colour: CoverColour = doc("Colour of the tagline and the issue line under the masthead.", "white")
    lines_colour: CoverColour = doc("Colour of the coverlines.", "white")
    scrim: Literal["dark", "light", "none"] = doc(
        "Shading between the picture and the cover type, top and bottom: `dark` (for light type), `light` (for "
        "dark type on a light picture) or `none`. PDF/X-1a has no transparency and leaves it out.",
        "dark",
    )


@dataclass(frozen=True)
class Article:
    """One article, in reading order."""

    title: str = doc("Title.", check=_not_blank)
    body: FileRef = doc("Markdown file of the article's text, relative to the manifest's folder.")
    dek: str | None = doc("Dek (standfirst): the one- or two-sentence summary under the title.", None)
    author: str | None = doc("Byline; left out when absent.", None)
    section: str | None = doc("Section the article belongs to; shown in contents and running heads.", None)
    kicker: str | None = doc("Small label above the title; defaults to the section.", None)
    image: Picture | None = doc("Lead image.", None)
    opener: Literal["standard", "full-bleed", "text"] = doc(
        "Layout of the opening page: `standard` (image over the title), `full-bleed` (image filling the "
        "opening page, title, dek and byline on a panel over it), `text` (no lead image, large title).",
        "standard",
    )
    page_budget: int | None = doc(
        "Pages the article is planned to fill, opening page included; a laid-out article running longer is reported.",
        None,
        check=_positive,
    )
    slug: str | None = doc("Identifier used in links and anchors; made from the title when absent.", None)
    run_on: bool | None = doc(
        "`true`: the article starts on the page where the previous one ends, after a rule; `false`: on a page of "
        "its own; absent: as `typesetting.run_on` decides by its length.",
        None,
    )


@dataclass(frozen=True)
class Marks:
    """Printer's marks drawn outside the bleed of the print PDF."""

    crop: bool = doc("Crop marks at the corners of the trim.", True)
    registration: bool = doc("Registration targets at the middle of each side.", False)
    slug: bool = doc("A slug line with publication, issue, date and page below the bleed.", False)
    offset: Length = doc(
        "Distance from the trim to where the marks begin; at least the bleed, at most 1in.",
        Length.parse("12pt"),
        check=_marks_offset,
    )


def _rich_black_test(value: list[float] | None) -> str | None:
    if value is None or (len(value) == 4 and all(0 <= v <= 100 for v in value) and value[3] > 0):
        return None
    return "expected four percentages `[C, M, Y, K]` from 0 to 100 with some K, such as `[40, 30, 30, 100]`"


_rich_black = rule(_rich_black_test, minItems=4, maxItems=4)


@dataclass(frozen=True)
class ProductionContact:
    """The person at the publication the printer calls about the job (not the readers' contact)."""

    name: str | None = doc("Name of the production contact.", None, check=_not_blank)
    email: str | None = doc("Email address of the production contact.", None, check=_email)
    phone: str | None = doc("Telephone number of the production contact, as dialled.", None, check=_phone)


@dataclass(frozen=True)
class Delivery:
    """Where and when the printed copies go."""

    address: str | None = doc("Delivery address of the printed copies (may span lines).", None, check=_not_blank)
    date: dt.date | None = doc("Date the copies are wanted by, `YYYY-MM-DD`.", None)


@dataclass(frozen=True)
class Job:
    """The print job, for the printer's job ticket (`issue-builder package`); each field left out is warned about."""

    quantity: int | None = doc("Copies to print.", None, check=_positive)
    cover: Literal["self-cover", "separate"] | None = doc(
        "`self-cover` (the cover printed on the text paper, with the text pages) or `separate` (a cover on its own "
        "stock).",
        None,
    )
    cover_stock: str | None = doc(
        "Paper stock of a separate cover (e.g. `100 lb gloss cover`); the text stock is `printing.paper`.",
        None,
        check=_not_blank,
    )
    contact: ProductionContact = doc("Who the printer calls about the job.", factory=ProductionContact)
    proof: Literal["contract-proof", "soft-proof", "none"] | None = doc(
        "The proof the printer sends back before printing: `contract-proof` (a hard-copy contract proof), "
        "`soft-proof` (a PDF soft proof) or `none`.",
        None,
    )
    delivery: Delivery = doc("Where and when the copies are delivered.", factory=Delivery)


@dataclass(frozen=True)
class Printing:
    """What the printer asks of the print PDF."""

    pdf_x: Literal["4", "1a"] = doc(
        "PDF/X flavour of the print PDF: `4` (PDF/X-4, transparency kept live) or `1a` "
        "(PDF/X-1a:2003: no transparency; gradients over photos are left out and images "
        "with alpha are flattened onto white).",
        "4",
    )
    output_profile: FileRef | None = doc(
        "The printer's CMYK output profile (.icc); the built-in coated FOGRA39 profile (`icc/`) when absent.", None
    )
    output_condition: Literal["FOGRA39", "CGATS21_CRPC6", "CGATS21_CRPC5", "Custom"] | None = doc(
        "The press condition the output intent names (its OutputConditionIdentifier): `FOGRA39` (coated offset, "
        "Europe), `CGATS21_CRPC6` (GRACoL 2013, US commercial), `CGATS21_CRPC5` (SWOP 2013, US publication) or "
        "`Custom`. A registered condition is named only when the output profile is that condition: `FOGRA39` with "
        "the built-in profile, or a printer's profile that prints like it (measured against the built-in one); "
        "`CGATS21_CRPC6` and `CGATS21_CRPC5` only with a printer's profile whose description names that condition "
        "(no free characterization data of them is at hand to measure it against). When absent: `FOGRA39` with "
        "the built-in profile, `Custom` with a printer's own.",
        None,
    )
    output_condition_info: str | None = doc(
        "Human-readable description of the printing condition (the output intent's OutputCondition); when absent, "
        "the registered condition's description, or for `Custom` the profile's own description.",
        None,
    )
    rendering_intent: Literal["perceptual", "relative-colorimetric", "saturation", "absolute-colorimetric"] = doc(
        "How RGB photos and colours are converted to CMYK (black point compensation is always on).",
        "relative-colorimetric",
    )
    marks: Marks = doc("Printer's marks.", factory=Marks)
    warn_ppi: int = doc(
        "Images placed below this effective resolution (pixels per inch) are warned about.", 300, check=_positive
    )
    min_ppi: int = doc("Images placed below this effective resolution fail the build.", 225, check=_positive)
    fill: Literal["house-ad", "notes", "blank", "fail"] = doc(
        "How the page count is brought to what the binding needs (a multiple of 4 for saddle-stitch, of 2 "
        "otherwise), with pages before the back cover: `house-ad` (a subscription ad, then ruled notes pages), "
        "`notes`, `blank` (left blank on purpose, no folio), or `fail` with a message saying how many pages are "
        "missing.",
        "house-ad",
    )
    paper: str | None = doc(
        "Paper stock of the text pages, for the job ticket (e.g. `80 lb gloss text`, `90 gsm coated silk`).", None
    )
    caliper: Length | None = doc(
        "Thickness of one leaf of the text paper (e.g. `0.1mm`, `4.5pt`): a perfect-bound cover's spine is as wide "
        "as the leaves it holds.",
        None,
    )
    overprint: bool = doc(
        "Black (100% K) text and thin black rules (up to 2 pt) overprint the colours under them, so that "
        "misregistration shows no white halo around them; white never overprints. `false`: everything knocks out.",
        True,
    )
    rich_black: list[float] | None = doc(
        "Rich black `[C, M, Y, K]` (percent) for large black areas (at least 18 pt wide both ways and a square inch); "
        "C, M and Y are scaled down to keep within `max_ink`. Never used for text. `null`: large areas stay 100% K.",
        factory=lambda: [40, 30, 30, 100],
        check=_rich_black,
    )
    max_ink: int = doc(
        "Highest total ink (C + M + Y + K, percent) the press takes: the rich black keeps within it, preflight checks "
        "it, and the job ticket states it.",
        300,
        check=rule(lambda v: None if 100 <= v <= 400 else "must be from 100 to 400", minimum=100, maximum=400),
    )
    job: Job = doc(
        "The print job, for the job ticket `package` writes: quantity, cover and its stock, the production contact, "
        "the proof wanted back, delivery. `package` warns about each field left out.",
        factory=Job,
    )


@dataclass(frozen=True)
class WebSettings:
    """The web edition readers download."""

    image_ppi: int = doc(
        "Images are reduced to about this resolution at the largest size they are placed at.", 150, check=_positive
    )
    jpeg_quality: int = doc(
        "JPEG quality (1-95) of reduced photographs: lower is smaller and blurrier.",
        80,
        check=rule(lambda v: None if 1 <= v <= 95 else "must be from 1 to 95", minimum=1, maximum=95),
    )


@dataclass(frozen=True)
class Limits:
    """Bounds on one render, so that a runaway issue fails clearly instead of hanging a laptop or CI."""

    seconds: int = doc(
        "Longest time one render (layout and every edition's finishing) may take, in seconds; then it is stopped.",
        900,
        check=_positive,
    )
    memory_mb: int = doc(
        "Most memory the render process and its finishing processes may use together, in MB; it is stopped beyond.",
        2000,
        check=rule(lambda v: None if v >= 100 else "must be at least 100", minimum=100),
    )


@dataclass(frozen=True)
class IssueManifest:
    """A numbered issue: the publication file's settings plus this issue's own content."""

    issue: int = doc(f"Issue number (1 to {MAX_ISSUE:,}).", check=_issue_number)
    date: dt.date = doc("Publication date, `YYYY-MM-DD`; also the date stamped in the PDFs' metadata.")
    cover: Cover = doc("Front cover.")
    periodical: Periodical = doc("The publication (usually set in the publication file).")
    articles: list[Article] = doc(
        "Articles in reading order (at least one).",
        check=rule(lambda v: None if v else "an issue needs at least one article", minItems=1),
    )
    date_label: str | None = doc(
        "Date as printed on the cover and in running heads (e.g. `Spring 2019`); month and year of `date` when absent.",
        None,
    )
    volume: int | None = doc("Volume number, printed with the issue number when given.", None, check=_issue_number)
    page: PageSetup = doc("Page geometry.", factory=PageSetup)
    fonts: Fonts = doc("Font families.", factory=Fonts)
    typesetting: Typesetting = doc("How typed text is set (dashes, copy-fitting).", factory=Typesetting)
    colours: Colours = doc("Colours.", factory=Colours)
    binding: Literal["saddle-stitch", "perfect"] = doc(
        "Binding; saddle-stitch needs a page count that is a multiple of 4.", "saddle-stitch"
    )
    contact: Contact = doc("Contact block printed on the back page.", factory=Contact)
    printing: Printing = doc("Requirements of the printer for the print PDF.", factory=Printing)
    web: WebSettings = doc("The web edition.", factory=WebSettings)
    limits: Limits = doc("Time and memory a render may take.", factory=Limits)
    notice: str | None = doc("A note printed in the imprint (e.g. that texts are sample copy).", None)
    layout: str | None = doc(
        "Layout folder overriding templates or stylesheets of the built-in layout, relative to the manifest's folder.",
        None,
    )
    font_dirs: list[str] = doc(
        "Extra font folders of the project, searched before the built-in `fonts/`.", factory=list
    )
