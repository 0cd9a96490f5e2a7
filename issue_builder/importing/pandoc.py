"""Pandoc, run bounded: a writer's document into its JSON tree, and a tree into the bodies' Markdown.

Pandoc runs in its sandbox (`--sandbox`: it reads the one file named and fetches nothing, not even a linked
picture), with a heap limit of its own runtime (`+RTS -M`) and the time and memory limits of `run_tool`, as its
manual advises for untrusted input.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from issue_builder.base.bounded import Limits, run_tool
from issue_builder.base.diagnostics import display_path
from issue_builder.importing.sources import DocumentError

PANDOC_LIMITS = Limits(seconds=120, memory_mb=3072)  # a 300-page .docx reads in seconds
PANDOC_HEAP = "1536m"  # pandoc's own heap limit: it stops with "Heap exhausted" instead of being killed
# Markdown read as CommonMark with the extensions the bodies share (footnotes, pipe tables, ~~strikeout~~,
# `::: pullquote` containers, YAML front matter); no TeX math or smart quotes (the layout's typographer sets quotes)
READERS = {
    "docx": "docx+styles",  # paragraph styles kept: a quotation or caption style means something here
    "odt": "odt",
    "html": "html",
    "md": "commonmark_x-smart-tex_math_dollars-raw_tex-emoji-implicit_header_references-task_lists",
}
# GitHub-flavoured CommonMark: pipe tables, footnotes, ~~strikeout~~; what the bodies' Markdown reader takes
WRITER = "gfm"


def pandoc() -> str:
    """The pandoc program, or an error saying how to install it."""
    found = shutil.which("pandoc")
    if found is None:
        raise DocumentError(
            "pandoc is not installed: import converts documents with it (Debian/Ubuntu: apt-get install pandoc; "
            "`make test` installs it)"
        )
    return found


def read_tree(path: Path, kind: str) -> dict[str, Any]:
    """The document's tree (pictures named by their place in the package, never written out by pandoc: its
    `--extract-media` has had file-write flaws); a .docx shows its tracked changes and comments as marked spans
    (`--track-changes=all`) so that nothing is accepted unseen."""
    args = ["--from", READERS[kind], "--to", "json"]
    if kind == "docx":
        args.append("--track-changes=all")
    result = _run(args + ["--", str(path)], f"reading {display_path(path)}", None)
    try:
        return json.loads(result)
    except ValueError:
        raise DocumentError(f"{display_path(path)}: pandoc gave no document tree") from None


def write_markdown(tree: dict[str, Any], where: str) -> str:
    """The tree as Markdown, one paragraph a line."""
    data = json.dumps(tree, ensure_ascii=False).encode()
    return _run(["--from", "json", "--to", WRITER, "--wrap=none"], f"writing the Markdown of {where}", data)


def _run(args: list[str], what: str, data: bytes | None) -> str:
    command = [pandoc(), "+RTS", f"-M{PANDOC_HEAP}", "-RTS", "--sandbox", "--quiet", *args]
    result = run_tool(command, f"pandoc {what}", PANDOC_LIMITS, input=data, capture_output=True)
    if result.returncode != 0:
        error = result.stderr.decode("utf-8", "replace").strip()
        if "Heap exhausted" in error:
            raise DocumentError(f"pandoc {what} needed more than {PANDOC_HEAP}B of memory and was stopped")
        first = error.splitlines()[0] if error else f"exit status {result.returncode}"
        raise DocumentError(f"pandoc {what} failed: {first.removeprefix('pandoc: ')}; the file may be damaged")
    return result.stdout.decode("utf-8", "replace")
