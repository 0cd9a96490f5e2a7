"""What each section's process would otherwise load again: loaded once in the render process, before it forks them.

Every section is laid out in a fork of the render process (layout/parallel.py), so whatever WeasyPrint loads and
keeps for the life of a process, or for one layout, is loaded again by every section: the hyphenation patterns, the
C types it asks cffi for, the fonts of the stylesheet's @font-face rules (read, written to a temporary file and
scanned by fontconfig for each layout) and the stylesheet itself (parsed and validated for each layout, though the
sections' style elements differ only by a copy-fitting step or the contents' page numbers). Loaded here, in the render
process, every fork inherits them. Nothing here changes what is laid out: the same patterns, types, fonts and
rules are used either way (tests/test_warm.py compares the PDFs).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
from collections.abc import Callable, Iterable, Iterator

import pyphen

from issue_builder.layout.engine import FontConfiguration, css, ffi
from issue_builder.layout.fetcher import SandboxFetcher

# The C types WeasyPrint 70 asks cffi for by name as it lays out and writes; cffi parses a name it has not seen
# (about 2 ms: it reads every declared type name again) once per process.
NAMED_TYPES = (
    "PangoRectangle *",
    "unsigned int *",
    "PangoFcFontMap *",
    "hb_tag_t[100]",
    "char[]",
    "char[4]",
    "PangoLogAttr[]",
    "FcResult *",
    "FcChar8 **",
    "hb_codepoint_t *",
)
_ARRAY = re.compile(r"([A-Za-z_][A-Za-z_0-9 ]*?)\s*\[(\d+)\]")


class _Types(dict):
    """cffi's cache of parsed type names, which makes an array type of a length not seen yet (WeasyPrint asks for
    `hb_codepoint_t[N]` with N the glyphs of each font it subsets) from the element type instead of parsing it."""

    def __missing__(self, name: str):
        match = _ARRAY.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            raise KeyError(name)
        pointer = ffi._typeof(f"{match.group(1)} *")  # parsed once, then cached here
        self[name] = found = (ffi._backend.new_array_type(pointer, int(match.group(2))), False)
        return found


def fast_array_types() -> None:
    """Array types of any length made without parsing (the same types cffi would parse)."""
    if type(getattr(ffi, "_parsed_types", None)) is dict and hasattr(ffi, "_backend"):
        ffi._parsed_types = _Types(ffi._parsed_types)


def warm(languages: Iterable[str]) -> None:
    """Load the hyphenation patterns of `languages` and the C types WeasyPrint names, in this process, for the
    forks it starts next."""
    for language in languages:
        found = pyphen.language_fallback(language)
        if found:
            pyphen.Pyphen(lang=found)  # kept in pyphen's module-level cache of patterns
    for name in NAMED_TYPES:
        ffi.typeof(name)


_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}", re.I)
_STYLE_ARGUMENTS = {
    "string",
    "base_url",
    "url_fetcher",
    "media_type",
    "font_config",
    "counter_style",
    "color_profiles",
    "page_rules",
    "layers",
}


def font_faces(html: str) -> tuple[str, ...]:
    """The @font-face rules of the style elements in `html`, as written: a layout whose rules are those of a shared
    font configuration, and only such a layout, may be given it (a face it does not declare would be found)."""
    return tuple(rule for style in _STYLE.findall(html) for rule in _FONT_FACE.findall(style))


def shared_fonts(html: str, base_url: str, fetcher: SandboxFetcher) -> FontConfiguration:
    """A font configuration holding the @font-face fonts of the style elements in `html`, for laying out sections
    with the same rules (WeasyPrint adds a face to a configuration once, by its rule: a layout given this one finds
    each face added already); from now on, in this process and its forks, a style element laid out with it is
    parsed once (`_Stylesheets`), these first, until the build ends (`fonts_shared_for_the_build`)."""
    fonts = FontConfiguration()
    stylesheets = _Stylesheets(getattr(css.CSS, "make", css.CSS), fonts)
    css.CSS = stylesheets  # what WeasyPrint 70 makes each style element's stylesheet with
    for style in _STYLE.findall(html):
        stylesheets(
            string=style,
            base_url=base_url,
            url_fetcher=fetcher,
            media_type="print",  # as WeasyPrint's HTML has it
            font_config=fonts,
            counter_style=css.counters.CounterStyle(),
            color_profiles={},
            page_rules=[],
            layers=[],
        )
    return fonts


@contextlib.contextmanager
def fonts_shared_for_the_build() -> Iterator[None]:
    """The block of a build that may share fonts (`shared_fonts`); WeasyPrint's own stylesheets again when it ends,
    and the shared fonts and parsed stylesheets let go (a `watch` render process lives on)."""
    try:
        yield
    finally:
        css.CSS = getattr(css.CSS, "make", css.CSS)


class _Heard(logging.Filter):
    """WeasyPrint's messages, counted as they go by."""

    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.records += 1
        return True


class _Stylesheets:
    """WeasyPrint's stylesheets of style elements laid out with the shared fonts, each text parsed once: each later
    layout is given a copy holding its own document's page rules, as WeasyPrint would have made it."""

    def __init__(self, make: Callable, fonts: FontConfiguration):
        self.make, self.fonts = make, fonts
        self.parsed: dict[tuple, object] = {}  # (text, base URL, media) -> stylesheet, or None: parsed every time

    def __call__(self, *args, **kwargs):
        if args or kwargs.get("string") is None or kwargs.get("font_config") is not self.fonts:
            return self.make(*args, **kwargs)  # a stylesheet of a layout without the shared fonts, or a file's
        if kwargs.keys() - _STYLE_ARGUMENTS:
            return self.make(**kwargs)  # asked for in a way WeasyPrint 70 does not ask for a style element
        key = (kwargs["string"], kwargs.get("base_url"), kwargs.get("media_type"))
        if key not in self.parsed:
            sheet, self.parsed[key] = self._first(kwargs)
            return sheet
        template = self.parsed[key]
        if template is None:
            return self.make(**kwargs)
        page_rules = [] if kwargs.get("page_rules") is None else kwargs["page_rules"]
        page_rules.extend(template.page_rules)
        given = copy.copy(template)
        given.page_rules = page_rules  # the document's own list, as WeasyPrint shares it between its stylesheets
        given.layers = [] if kwargs.get("layers") is None else kwargs["layers"]
        return given

    def _first(self, kwargs: dict) -> tuple[object, object]:
        """The stylesheet made as WeasyPrint makes it, and what to give the next layouts of the same text: None when
        it cannot be given again as WeasyPrint would make it: it said something (each layout says it again), uses
        var() (WeasyPrint marks on the rule what it reported of one), or adds layers, counter styles or colour
        profiles."""
        page_rules, layers = kwargs.get("page_rules"), kwargs.get("layers")
        counters, profiles = kwargs.get("counter_style") or {}, kwargs.get("color_profiles") or {}
        before = (len(page_rules or ()), len(layers or ()), dict(counters), dict(profiles))
        heard = _Heard()
        logger = logging.getLogger("weasyprint")
        logger.addFilter(heard)
        try:
            sheet = self.make(**kwargs)
        finally:
            logger.removeFilter(heard)
        unchanged = len(layers or ()) == before[1] and _same(counters, before[2]) and _same(profiles, before[3])
        if heard.records or "var(" in kwargs["string"] or not unchanged:
            return sheet, None
        template = copy.copy(sheet)
        template.page_rules = list(sheet.page_rules[before[0] :])  # this stylesheet's own
        template.layers = []
        return sheet, template


def _same(now: dict, before: dict) -> bool:
    return now.keys() == before.keys() and all(now[key] is before[key] for key in now)
