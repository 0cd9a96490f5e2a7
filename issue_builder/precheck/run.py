"""The checks `check` makes before layout, and what only a render can tell."""

from __future__ import annotations

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.layout.html import render_html
from issue_builder.load.yaml_source import YamlDocument
from issue_builder.precheck.glyphs import glyph_findings
from issue_builder.precheck.links import link_findings
from issue_builder.precheck.pictures import picture_findings
from issue_builder.prepare.content import PreparedIssue

BEFORE_LAYOUT = (
    "glyphs of every printed text against the publication's fonts and their fallbacks",
    "the resolution of pictures placed at a size the layout fixes (the cover, full-bleed openers)",
    "links of the bodies the web PDF cannot carry, and links to anchors the layout lacks",
)
RENDER_ONLY = (
    "text that overflows its box or does not reach the pages",
    "titles' fit and articles' page budgets",
    "the page count the binding needs (printing.fill: fail)",
    "the resolution of pictures the text flow sizes (lead images, inline figures)",
    "the layout's CSS and the files it fetches (WeasyPrint's warnings)",
    "the written PDFs' own checks (PDF/X, fonts, links, tags)",
)


def prelayout_findings(issue: PreparedIssue, document: YamlDocument | None = None) -> list[Diagnostic]:
    """What a render of `issue` would report that can be known without laying it out; `document` is the merged
    manifest as read (with locations): the prepared issue's own unless given."""
    doc = document or issue.document
    html = render_html(issue, part="main").html  # the templates filled, as the render fills them: no layout
    anchors = html + render_html(issue, part="tail").html
    return glyph_findings(issue, doc) + picture_findings(issue, doc, html) + link_findings(issue, anchors)
