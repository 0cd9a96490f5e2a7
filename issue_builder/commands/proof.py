"""`issue-builder proof`: a proof PDF of the issue, watermarked, with a slug on every page."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
import pikepdf

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import display_path
from issue_builder.build.driver import BuildOptions, build_issue, default_out
from issue_builder.commands.options import out_dir_option, quiet_option
from issue_builder.commands.summary import report


@click.command("proof")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@out_dir_option
@click.option(
    "--round",
    "proof_round",
    metavar="NAME",
    help="Round of corrections (e.g. 2), named in the slug and the file name (...-proof-round-2.pdf): rounds are "
    "kept side by side.",
)
@click.option(
    "--spreads", is_flag=True, help="Lay the pages out as reader spreads: the cover alone, then 2-3, 4-5, ..."
)
@click.option(
    "--since",
    "since",
    type=click.Path(path_type=Path, dir_okay=False),
    help="An earlier proof (a file, or the name of a round in the output folder): say which pages changed since, "
    "and write a copy with the changes marked.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Render even when the proof is up to date with its inputs "
    "(laid-out sections whose inputs are unchanged are still reused: delete <out>/.cache/sections to lay "
    "everything out again).",
)
@click.option(
    "--full-resolution",
    is_flag=True,
    help="Keep the pictures at the print edition's resolution (default: screen resolution, small enough to email).",
)
@quiet_option
def proof_command(
    manifest: Path,
    out_dir: Path | None,
    proof_round: str | None,
    spreads: bool,
    since: Path | None,
    force: bool,
    full_resolution: bool,
    quiet: bool,
) -> None:
    """Write a proof PDF of MANIFEST for reading between rounds of corrections."""
    if since is not None and spreads:
        raise click.UsageError("--since compares page by page; leave out --spreads")
    if since is not None:
        from issue_builder.proofing.words import open_pdf

        if not since.exists() and since.suffix.lower() != ".pdf" and len(since.parts) == 1:
            since = _round_proof(str(since), out_dir or default_out(manifest))
        open_pdf(since).close()  # a missing or unreadable earlier proof is reported by its name, before rendering
        earlier = since.read_bytes()  # before the build: the earlier proof may be the file this build replaces
    out = Reporter(quiet=quiet)
    options = BuildOptions(
        editions=("proof",),
        out_dir=out_dir,
        proof_round=proof_round,
        spreads=spreads,
        full_resolution=full_resolution,
        reuse=not force,
    )
    with out.status("checking the manifest") as status:
        result = build_issue(manifest, options, step=status.update)
    report(result, out)
    if since is not None:
        proof = next(p for p in result.files if p.suffix == ".pdf")
        _changes_since(since, earlier, proof, out)


def _round_proof(name: str, folder: Path | None) -> Path:
    """The proof of the round called `name` in the output folder, found by the round its slug names."""
    from issue_builder.proofing.identity import proof_round
    from issue_builder.proofing.words import UnreadablePdf

    if folder is None:
        raise click.UsageError(f"--since {name}: give the earlier proof's file, or --out for the folder of its round")
    rounds = {}
    for path in sorted(folder.glob("*-proof-round-*.pdf")):
        if not path.stem.endswith(("-changes", "-spreads")):
            rounds.setdefault(proof_round(path), path)
    if name in rounds:
        return rounds[name]
    kept = ", ".join(sorted(r for r in rounds if r)) or "none"
    raise UnreadablePdf(f"--since {name}: no proof of round {name} in {display_path(folder)} (rounds there: {kept})")


def _changes_since(old: Path, earlier: bytes, proof: Path, out: Reporter) -> None:
    """Which pages changed since an earlier proof (stamps set aside; articles matched by the titles their slugs
    name, so that one on other pages is reported as moved), and a copy of the proof with the changes marked."""
    from issue_builder.editions.stamp import unstamped
    from issue_builder.proofing.diff import compare_pdfs, summary_lines
    from issue_builder.proofing.highlight import write_highlights
    from issue_builder.proofing.identity import page_titles
    from issue_builder.proofing.words import UnreadablePdf

    with tempfile.TemporaryDirectory() as tmp:
        stamped_old, plain_old, plain_new = Path(tmp) / "earlier.pdf", Path(tmp) / "old.pdf", Path(tmp) / "new.pdf"
        stamped_old.write_bytes(earlier)
        try:
            plain_old.write_bytes(unstamped(earlier))
        except pikepdf.PdfError as exc:
            raise UnreadablePdf(f"{display_path(old)}: not a readable PDF ({exc})") from None
        plain_new.write_bytes(unstamped(proof.read_bytes()))
        with out.status("comparing with the earlier proof"):
            comparison = compare_pdfs(
                plain_old, plain_new, old_titles=page_titles(stamped_old), new_titles=page_titles(proof)
            )
    marked = proof.with_name(proof.stem + "-changes.pdf")
    write_highlights(comparison, proof, marked)
    differing = len(comparison.differing)
    out.info(f"since {display_path(old)}: {differing or 'no'} page{'s' if differing != 1 else ''} changed")
    for line in summary_lines(comparison):
        out.info(f"  {line}")
    out.info(f"wrote {display_path(marked)} (changed words in red, changed pixels in blue)")
