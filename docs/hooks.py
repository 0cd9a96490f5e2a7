"""MkDocs hook: the manifest reference in docs/manifest.md is generated from the schema at build time."""

from __future__ import annotations


def reference_markdown() -> str:
    """The manifest reference as Markdown tables, made from the schema's field docs.

    The one place that names the module making it: if it moves, change this import only.
    Imported lazily, so that MkDocs loads this hook without importing the package first.
    """
    from issue_builder.validate.reference import reference_markdown as generate

    return generate()


PAGE = "manifest.md"
MARKER = "<!-- manifest-reference -->"


def on_page_markdown(markdown: str, page, config, files) -> str:  # MkDocs' signature: (markdown, page, config, files)
    """Put the generated reference in place of the marker line of the manifest page."""
    if page.file.src_uri != PAGE:
        return markdown
    lines = markdown.splitlines()
    found = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    if len(found) != 1:
        raise ValueError(f"docs/{PAGE} must hold the line {MARKER} exactly once (found {len(found)})")
    lines[found[0]] = reference_markdown().rstrip("\n") + "\n"
    return "\n".join(lines) + "\n"
