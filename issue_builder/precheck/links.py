"""Links of the article bodies the web PDF cannot carry: relative links and unknown schemes (which the sanitiser
drops, leaving the words without their link), and links to anchors the layout does not have."""

from __future__ import annotations

import re
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, capped
from issue_builder.prepare.content import PreparedIssue

# What the body sanitiser keeps (prepare/markdown.py: its link filter and nh3's URL schemes); tested against a render.
CARRIED_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_WWW = re.compile(r"^www\.[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(/|$)", re.IGNORECASE)
_ID = re.compile(r"""\sid=["']?([^"'\s>]+)""")


def link_problem(href: str, anchors: set[str]) -> tuple[str, str] | None:
    """What the web PDF makes of a link it cannot carry, as (severity, message); None when it carries it."""
    if not href:
        return "warning", "a link without a target is dropped from the web PDF (its words stay, unlinked)"
    if href.startswith("#"):
        if href[1:] in anchors:
            return None
        return "error", f"link to #{href[1:]}, an anchor the layout does not have (the render fails on it)"
    scheme = _SCHEME.match(href)
    if scheme is None:
        hint = f"; write https://{href}" if _WWW.match(href) else "; give the full address, https://..."
        return "warning", f"relative link {href!r} is dropped from the web PDF (its words stay, unlinked){hint}"
    if scheme.group(1).lower() not in CARRIED_SCHEMES:
        return "warning", (
            f"link {href!r} is dropped from the web PDF: it carries {', '.join(CARRIED_SCHEMES)} and #anchor links, "
            f"not {scheme.group(1).lower()}:"
        )
    return None


def link_findings(issue: PreparedIssue, html: str) -> list[Diagnostic]:
    """Each body link the web PDF cannot carry, at its Markdown file and line; `html` is the laid-out HTML's
    source (its ids are the anchors links may point to)."""
    anchors = set(_ID.findall(html))
    found = []
    seen: set[Path] = set()
    for i, article in enumerate(issue.articles):
        path = article.source.body.path
        if path in seen:
            continue
        seen.add(path)
        kinds: dict[str, list[Diagnostic]] = {"error": [], "warning": []}
        for link in article.links:
            problem = link_problem(link.href, anchors)
            if problem is not None:
                severity, message = problem
                kinds[severity].append(
                    Diagnostic(
                        message,
                        file=path,
                        line=link.line,
                        key=f"articles[{i}].body",
                        severity=severity,
                        code="unknown-anchor" if severity == "error" else "dropped-link",
                        edition="web" if severity == "warning" else "",
                    )
                )
        found += capped(kinds["error"], "links to anchors the layout does not have")
        found += capped(kinds["warning"], "links the web PDF drops")
    return found
