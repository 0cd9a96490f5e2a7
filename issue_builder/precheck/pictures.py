"""Pictures whose placed size the layout fixes (the cover, full-bleed openers), read from the layout's own HTML and
stylesheets, and their effective resolution there, without laying out.

The layout's templates are filled as for the render; each picture's `width`, `height` and `object-fit` are found
as CSS finds them (selectors matched by cssselect2 and tinycss2, WeasyPrint's own readers: specificity, order,
`!important`, the `style` attribute). A picture given an absolute width and height is placed at that size whatever
the text does; any other (a percentage, `auto`, `calc()`) is sized by the layout and only a render can measure it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import cssselect2
import tinycss2
import tinyhtml5

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.placed_size import placed_size
from issue_builder.load.yaml_source import KeyPath, YamlDocument, format_key_path
from issue_builder.prepare.content import PreparedIssue

POINTS = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "q": 72 / 101.6, "pc": 12.0, "px": 0.75}
_PROPERTIES = ("width", "height", "object-fit")


@dataclass(frozen=True)
class FixedPicture:
    """A picture the layout places at a fixed size: its URL, the size in points, and how it is fitted."""

    src: str
    width: float
    height: float
    fit: str = "fill"

    def ppi(self, pixels: tuple[int, int]) -> float:
        """The effective resolution of an image of `pixels` (width, height) placed here, as the render measures it
        (layout/resolution.py): the scale of the fitted image, in pixels per inch."""
        sx, sy = 72 * pixels[0] / self.width, 72 * pixels[1] / self.height  # image pixels per inch, each way
        if self.fit == "cover":
            return min(sx, sy)
        if self.fit in ("contain", "scale-down"):
            return max(sx, sy)
        if self.fit == "none":
            return 96.0
        return min(sx, sy)  # fill: stretched each way, the coarser direction counts

    def drawn(self, pixels: tuple[int, int]) -> tuple[float, float]:
        """The whole picture's size in inches at the scale drawn: larger than its frame where `cover` crops it."""
        if self.fit not in ("cover", "contain", "scale-down", "none"):
            return (self.width / 72, self.height / 72)
        ppi = self.ppi(pixels)
        return (pixels[0] / ppi, pixels[1] / ppi)


def fixed_pictures(html: str, sources: dict[str, object]) -> list[FixedPicture]:
    """Every `<img>` of `html` whose `src` is in `sources` and whose width and height the stylesheets fix."""
    root = tinyhtml5.parse(html, namespace_html_elements=False)
    matcher = cssselect2.Matcher()
    for style in root.iter("style"):
        for rule in tinycss2.parse_stylesheet(style.text or "", skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":  # @page, @font-face, @media print: nothing about pictures' sizes
                continue
            try:
                selectors = cssselect2.compile_selector_list(rule.prelude)
            except cssselect2.SelectorError:
                continue  # WeasyPrint ignores such a rule too (and the render says so)
            declarations = _declarations(rule.content)
            for selector in selectors:
                matcher.add_selector(selector, declarations)
    found = []
    for element in cssselect2.ElementWrapper.from_html_root(root).iter_subtree():
        src = element.etree_element.get("src")
        if element.local_name != "img" or src not in sources:
            continue
        values = _cascade(matcher, element)
        width, height = _points(values.get("width")), _points(values.get("height"))
        if width and height:
            fit = values.get("object-fit")
            found.append(FixedPicture(src, width, height, _ident(fit) or "fill"))
    return found


def _declarations(tokens: list | str) -> list[tuple[str, list, bool]]:
    return [
        (d.lower_name, d.value, d.important)
        for d in tinycss2.parse_blocks_contents(tokens, skip_comments=True, skip_whitespace=True)
        if d.type == "declaration" and d.lower_name in _PROPERTIES
    ]


def _cascade(matcher: cssselect2.Matcher, element: cssselect2.ElementWrapper) -> dict[str, list]:
    """The winning value of each property: normal declarations by specificity and order, then the `style`
    attribute's, then the `!important` ones in the same order."""
    matched = [declarations for _, _, pseudo, declarations in matcher.match(element) if pseudo is None]
    inline = _declarations(element.etree_element.get("style") or "")
    values: dict[str, list] = {}
    for important in (False, True):
        for declarations in (*matched, inline):
            for name, value, flag in declarations:
                if flag == important:
                    values[name] = value
    return values


def _significant(tokens: list | None) -> list:
    return [t for t in tokens or [] if t.type not in ("whitespace", "comment")]


def _points(tokens: list | None) -> float | None:
    """An absolute length in points, or None for anything the layout computes (%, auto, calc())."""
    significant = _significant(tokens)
    if len(significant) != 1:
        return None
    token = significant[0]
    if token.type == "dimension" and token.lower_unit in POINTS and token.value > 0:
        return token.value * POINTS[token.lower_unit]
    return None


def _ident(tokens: list | None) -> str | None:
    significant = _significant(tokens)
    return significant[0].lower_value if len(significant) == 1 and significant[0].type == "ident" else None


def picture_findings(issue: PreparedIssue, document: YamlDocument, html: str) -> list[Diagnostic]:
    """Pictures placed at a fixed size below the printer's resolution: errors below `min_ppi`, warnings below
    `warn_ppi`, as the render reports them for the print edition."""
    printing = issue.manifest.printing
    lowest: dict[str, tuple[float, FixedPicture]] = {}
    for picture in fixed_pictures(html, issue.image_sources):
        info = issue.image_sources[picture.src][1]
        ppi = picture.ppi((info.width, info.height))
        if picture.src not in lowest or ppi < lowest[picture.src][0]:
            lowest[picture.src] = (ppi, picture)
    found = []
    for src, (ppi, picture) in lowest.items():
        if ppi >= max(printing.warn_ppi, printing.min_ppi):
            continue
        severity = "error" if ppi < printing.min_ppi else "warning"
        limit = printing.min_ppi if severity == "error" else printing.warn_ppi
        width, height = picture.width / 72, picture.height / 72
        file, line, key = _where(issue, document, src)
        image = issue.image_sources[src][1]
        page = issue.manifest.page
        beyond_trim = max(picture.width - page.width.points, picture.height - page.height.points)
        drawn = picture.drawn((image.width, image.height))
        size = placed_size(
            (width, height), drawn=drawn, bleeds=beyond_trim > 0.5
        )  # where it bleeds: known after layout
        found.append(
            Diagnostic(
                f"{unquote(src)} is {ppi:.0f} ppi {size}"
                f" (below {limit} ppi): the layout places it at that size whatever the text, so it needs "
                f"{math.ceil(width * limit):,} x {math.ceil(height * limit):,} pixels or more "
                f"(it has {image.width:,} x {image.height:,})",
                file=file,
                line=line,
                key=format_key_path(key) if key else "",
                severity=severity,
                code="image-resolution",
                edition="print",
            )
        )
    return found


def _where(issue: PreparedIssue, document: YamlDocument, src: str) -> tuple[Path | None, int | None, KeyPath]:
    """The manifest key (and its file and line) or the Markdown file and line that place the picture `src`."""
    key: KeyPath = ()
    if issue.cover_image.url == src:
        key = ("cover", "image")
    for i, article in enumerate(issue.articles):
        if article.image is not None and article.image.url == src and not key:
            key = ("articles", i, "image", "src")
    if key:
        location = document.locate(key)
        return (location.file, location.line, key) if location else (None, None, key)
    named = issue.image_sources[src][0]  # `7/articles/x.md:12` for a picture a body places
    path, _, line = named.rpartition(":")
    return issue.root / path, int(line) if line.isdigit() else None, ()
