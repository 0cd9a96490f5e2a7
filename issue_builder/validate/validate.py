"""Validate a merged manifest into an IssueManifest, with the checks that span several fields."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from issue_builder.base.diagnostics import Diagnostic, ManifestError
from issue_builder.base.schema import IssueManifest
from issue_builder.load.manifest import RawManifest
from issue_builder.validate.convert import INVALID, Converter

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_SLUG = 100  # characters of the publication's slug: output file names stay well below the 255 bytes allowed


def slugify(text: str) -> str:
    """`Venezuela: February 23—the Day` -> `venezuela-february-23-the-day`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "item"


def validate(raw: RawManifest) -> tuple[IssueManifest, list[Diagnostic]]:
    """The typed manifest and its warnings; raises ManifestError with every error found."""
    conv = Converter(raw.document, raw.root)
    manifest = conv.convert(raw.document.data, IssueManifest, ())
    problems = raw.problems + conv.problems
    if manifest is not INVALID:
        problems += _cross_checks(manifest, raw, conv)
    errors = [p for p in problems if p.severity == "error"]
    if errors or manifest is INVALID:
        raise ManifestError(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the manifest:", problems)
    return manifest, problems


def _cross_checks(m: IssueManifest, raw: RawManifest, conv: Converter) -> list[Diagnostic]:
    doc = raw.document
    found: list[Diagnostic] = []
    slugs: dict[str, int] = {}
    for i, article in enumerate(m.articles):
        slug = article.slug or slugify(article.title)
        if article.slug is not None and not _SLUG.match(article.slug):
            found.append(doc.diagnostic(("articles", i, "slug"), "use lower-case letters, digits and hyphens"))
        if slug in slugs:
            found.append(
                doc.diagnostic(
                    ("articles", i, "title" if article.slug is None else "slug"),
                    f"same identifier '{slug}' as articles[{slugs[slug]}]; set a distinct 'slug'",
                )
            )
        slugs.setdefault(slug, i)
        if article.opener == "text" and article.image is not None:
            found.append(
                doc.diagnostic(
                    ("articles", i, "opener"), "a 'text' opener shows no image; remove 'image' or change 'opener'"
                )
            )
        if article.opener == "full-bleed" and article.image is None:
            found.append(doc.diagnostic(("articles", i, "opener"), "a 'full-bleed' opener needs an 'image'"))
        if article.run_on and (i == 0 or article.opener == "full-bleed"):
            why = (
                "the first article starts the page after the contents"
                if i == 0
                else "a full-bleed opener fills its page"
            )
            found.append(doc.diagnostic(("articles", i, "run_on"), f"cannot run on: {why}; remove 'run_on'"))
        if article.image is not None and not article.image.alt:
            found.append(
                doc.diagnostic(
                    ("articles", i, "image", "alt"),
                    "no alt text: screen-reader users get nothing for this image",
                    severity="warning",
                )
            )
    if not m.cover.alt:
        found.append(doc.diagnostic(("cover", "alt"), "no alt text for the cover image", severity="warning"))
    found += _colour_clashes(m, doc)
    if m.periodical.slug is not None and not _SLUG.match(m.periodical.slug):
        found.append(doc.diagnostic(("periodical", "slug"), "use lower-case letters, digits and hyphens"))
    slug = m.periodical.slug or slugify(m.periodical.name)
    if len(slug) > MAX_SLUG:
        key = "slug" if m.periodical.slug else "name"
        found.append(
            doc.diagnostic(
                ("periodical", key),
                f"the output file names start with the slug '{slug[:30]}...' of {len(slug):,} characters "
                f"(at most {MAX_SLUG}); set a shorter 'periodical.slug'",
            )
        )
    for key, folders in (("layout", [m.layout] if m.layout else []), ("font_dirs", m.font_dirs)):
        for j, folder in enumerate(folders):
            path = (key,) if key == "layout" else (key, j)
            resolved = (raw.root / folder).resolve()
            if not resolved.is_relative_to(raw.root):
                found.append(doc.diagnostic(path, f"points outside the issue folder: {folder}"))
            elif not resolved.is_dir():
                found.append(doc.diagnostic(path, f"folder not found: {folder}"))
    if m.printing.marks.offset.points < m.page.bleed.points:
        found.append(
            doc.diagnostic(
                ("printing", "marks", "offset"),
                f"marks would print inside the bleed: offset {m.printing.marks.offset.text} is less "
                f"than the bleed {m.page.bleed.text}",
            )
        )
    if m.printing.min_ppi > m.printing.warn_ppi:
        found.append(
            doc.diagnostic(
                ("printing", "min_ppi"),
                f"the failing limit ({m.printing.min_ppi} ppi) is above the "
                f"warning limit warn_ppi ({m.printing.warn_ppi} ppi)",
            )
        )
    page = m.page
    text_width = page.width.points - page.margin_inside.points - page.margin_outside.points
    text_height = page.height.points - page.margin_top.points - page.margin_bottom.points
    if text_width < 72 or text_height < 72:
        found.append(doc.diagnostic(("page",), "margins leave less than 1 inch for text"))
    elif (text_width - (page.columns - 1) * page.column_gap.points) / page.columns < 72:
        found.append(doc.diagnostic(("page", "columns"), f"{page.columns} columns would each be narrower than 1 inch"))
    return found


def _colour_clashes(m: IssueManifest, doc) -> list[Diagnostic]:
    """Declared colours sharing an sRGB value but not their CMYK: the layout is in sRGB, so the print edition
    could not tell which CMYK each place should get."""
    found = []
    seen: dict[str, tuple[str, tuple]] = {}
    for f in dataclasses.fields(m.colours):
        colour = getattr(m.colours, f.name)
        earlier = seen.setdefault(colour.rgb, (f.name, colour.cmyk))
        if earlier[1] != colour.cmyk:
            found.append(
                doc.diagnostic(
                    ("colours", f.name, "rgb"),
                    f"same rgb {colour.rgb} as colours.{earlier[0]} but other cmyk values; "
                    "give each declared colour its own rgb",
                )
            )
    return found
