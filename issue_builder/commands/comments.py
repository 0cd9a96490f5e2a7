"""`issue-builder comments`: the comments on a marked-up proof, each traced to the file and line its text comes from;
`--apply` makes the unambiguous corrections in the sources."""

from __future__ import annotations

import json
from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import display_path

SHOWN_TEXT = 60  # characters of a marked text or a comment shown in the table


@click.command("comments")
@click.argument("proof", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--manifest",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The issue's manifest. Default: the one manifest of the proof's issue in the current folder or issues/.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comments as JSON.")
@click.option(
    "--apply",
    "apply",
    is_flag=True,
    help="Make the unambiguous corrections (strike-outs, replacements, insertions) in the sources; print a diff.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress; the table as tab-separated lines.")
def comments_command(proof: Path, manifest: Path | None, as_json: bool, apply: bool, quiet: bool) -> None:
    """List the comments on PROOF (a proof marked up in Acrobat, Preview, Okular, Evince, Firefox or Foxit) with the
    Markdown file and line, or the manifest key, their text comes from."""
    from issue_builder.proofing.comments import read_comments
    from issue_builder.proofing.corrections import apply_corrections

    out = Reporter(quiet=quiet)
    with out.status("reading the comments"):
        manifest = manifest or _manifest_of(proof)
        report = read_comments(proof, manifest)
        applied = apply_corrections(report) if apply else None
    if as_json:
        data = report.as_dict()
        if applied is not None:
            data["changed_files"] = [str(p) for p in applied.files]
            data["diff"] = applied.diff
        out.out.print_json(json.dumps(data, ensure_ascii=False))
        return
    for note in report.notes:
        out.err.print(f"note: {note}", markup=False)
    _print_table(report, out, plain=quiet or not out.out.is_terminal)
    if not quiet:
        out.err.print(_summary(report), markup=False)
    if applied is not None:
        out.out.file.write(applied.diff)  # as is: print() would expand the tabs of the sources
        out.out.file.flush()
        files = ", ".join(display_path(p) for p in applied.files) or "no file"
        made = f"applied {applied.made} correction{'s' if applied.made != 1 else ''}: changed {files}"
        out.err.print(made, markup=False)


def _manifest_of(proof: Path) -> Path:
    """The manifest of the issue a proof is of (its title says which): the one such manifest in the current folder,
    its issues/ folder, or the proof's folder and the two above it."""
    import re

    import pikepdf

    from issue_builder.load.yaml_source import read_yaml
    from issue_builder.proofing.words import open_pdf

    open_pdf(proof).close()  # missing, not a PDF, encrypted: named plainly
    try:
        with pikepdf.open(proof) as pdf:
            title = str(pdf.docinfo.get("/Title", ""))
    except (pikepdf.PdfError, ValueError, RecursionError):
        title = ""
    match = re.fullmatch(r"PROOF: (.+), Issue (\d+)", title)
    if match is None:
        raise click.UsageError(f"{display_path(proof)} does not say which issue it is a proof of: give --manifest")
    number = int(match.group(2))
    folders = [Path.cwd(), Path.cwd() / "issues", proof.parent, proof.parent.parent, proof.parent.parent.parent]
    found = []
    for folder in dict.fromkeys(p.resolve() for p in folders):
        for candidate in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            if candidate.name == "publication.yaml" or candidate in found:
                continue
            document, _ = read_yaml(candidate)
            if document is not None and isinstance(document.data, dict) and document.data.get("issue") == number:
                found.append(candidate)
    if len(found) != 1:
        listed = f" (found {', '.join(display_path(p) for p in found)})" if found else ""
        raise click.UsageError(f"which manifest is issue {number}'s? give --manifest{listed}")
    return found[0]


def _print_table(report, out: Reporter, plain: bool) -> None:
    """One row per comment, grouped by article: a rich table on a terminal, tab-separated lines for scripts."""
    from rich.table import Table
    from rich.text import Text

    header = ("article", "source", "page", "kind", "author", "date", "text", "comment", "verdict")
    rows = [(title, _row(c)) for title, group in report.groups() for c in group]
    if plain:  # written as is: print() expands tabs
        lines = ["\t".join(header)] + ["\t".join(" ".join(v.split()) for v in [title, *row]) for title, row in rows]
        out.out.file.write("".join(line + "\n" for line in lines))
        out.out.file.flush()
        return
    for title, group in report.groups():  # Text: what proofreaders typed is not rich markup
        table = Table(title=Text(title), title_justify="left")
        for name in header[1:]:
            table.add_column(name, overflow="fold")
        for comment in group:
            table.add_row(*(Text(value) for value in _row(comment)))
        out.out.print(table)


def _row(comment) -> list[str]:
    from issue_builder.proofing.comments import where

    mark, found = comment.mark, comment.trace
    place = comment.place
    source = where(place) if place is not None else "; ".join(where(p) for p in found.places) or "-"
    return [
        source,
        str(mark.page),
        mark.kind,
        mark.author,
        mark.date[:16].replace("T", " "),
        _text(mark),
        _comment(mark),
        _verdict(comment),
    ]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


def _text(mark) -> str:
    spot = mark.spot
    if spot is None:
        return ""
    if not spot.text:  # an insertion point
        return f"…{spot.before.replace(chr(10), ' ')[-24:]}‸{spot.after.replace(chr(10), ' ')[:24]}…"
    return f"near “{_short(spot.text)}”" if spot.near else f"“{_short(spot.text)}”"


def _comment(mark) -> str:
    parts = []
    if mark.new_text is not None:
        parts.append(f"→ “{_short(mark.new_text)}”" + (" (new paragraph)" if mark.paragraph else ""))
    elif mark.paragraph:
        parts.append("new paragraph")
    if mark.comment:
        parts.append(_short(mark.comment))
    parts += [f"{r.author or 'reply'}: {_short(r.text)}" for r in mark.replies]
    if mark.state:
        parts.append(f"[{mark.state}]")
    return " / ".join(parts)


def _verdict(comment) -> str:
    from issue_builder.proofing.tracing import AMBIGUOUS

    found = comment.trace
    status = found.status
    if status == AMBIGUOUS:
        status = f"ambiguous ({len(found.places)} places)"
    elif found.widened:
        status += " (outside its page's article)"
    if not comment.action:
        return status
    if comment.applied:
        return f"{status}; {comment.action}: applied"
    if comment.blocked:
        return f"{status}; {comment.action}: not applied: {comment.blocked}"
    return f"{status}; {comment.action}"


def _summary(report) -> str:
    from collections import Counter

    counts = Counter(c.trace.status for c in report.comments)
    parts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    total = len(report.comments)
    return f"{display_path(report.proof)}: {total} comment{'s' if total != 1 else ''}" + (
        f" ({parts})" if parts else ""
    )
