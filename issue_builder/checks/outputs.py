"""Checks every written PDF must pass before it replaces the previous one."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from issue_builder.checks.readback import read_back
from issue_builder.editions.finishers import FINISHERS, Edition
from issue_builder.prepare.content import PreparedIssue


def edition_problems(path: Path, edition: Edition, article_pages: dict[str, int], issue: PreparedIssue) -> list[str]:
    """Read the file back; list what breaks the edition's promises (empty when all is well)."""
    try:
        facts = read_back(path)
    except pikepdf.PdfError as exc:
        return [f"the written file is not a readable PDF: {exc}"]
    finisher = FINISHERS[edition.name]
    problems = []
    if facts.pages != edition.pages:
        problems.append(f"has {facts.pages} pages, the layout made {edition.pages}")
    families = sorted(issue.font_faces)
    for font in facts.fonts:
        if not font.embedded:
            problems.append(f"font {font.base_name} is not embedded")
        if not _from_families(font.base_name, issue) and not any(f in font.base_name for f in finisher.extra_fonts):
            problems.append(f"font {font.base_name} is not one of the publication's families ({', '.join(families)})")
    if facts.embedded_files:
        problems.append("contains embedded files (attachments)")
    if not finisher.links and facts.annotations:
        problems.append(f"has {facts.annotations} annotations; the {edition.name} edition must have none")
    missing = [a.id for a in issue.articles if a.id not in article_pages]
    if missing:
        problems.append(f"articles missing from the pages: {', '.join(missing)}")
    return problems


def _from_families(name: str, issue: PreparedIssue) -> bool:
    """WeasyPrint names fonts `Family-Name-Style` (spaces as hyphens) or by PostScript name."""
    for family, faces in issue.font_faces.items():
        stem = family.replace(" ", "-")
        if name == stem or name.startswith(stem + "-") or name in {f.postscript_name for f in faces}:
            return True
    return False
