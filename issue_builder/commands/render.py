"""`issue-builder render`: lay issues out and write their print and web PDFs (and proofs when asked)."""

from __future__ import annotations

from pathlib import Path

import click

from issue_builder.build import BuildOptions, BuildResult, build_issue
from issue_builder.console import Reporter
from issue_builder.errors import display_path
from issue_builder.write.profiles import DEFAULT_PROFILES, PROFILES


@click.command("render")
@click.argument("manifests", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (one manifest only). Default: build/<issue number>/ under the current folder.")
@click.option("--only", "only", multiple=True, type=click.Choice(sorted(PROFILES)),
              help="Write only this edition (repeatable). Default: print and web.")
@click.option("--strict", is_flag=True, help="Fail on any warning, not only on errors.")
@click.option("--keep-html", is_flag=True, help="Also write the HTML given to WeasyPrint, for inspection.")
@click.option("--preflight", "run_preflight", is_flag=True, help="Preflight the print PDF after writing it.")
@click.option("--pdf-x", type=click.Choice(["4", "1a"]), help="PDF/X flavour of the print PDF (default: the publication's).")
@click.option("--force", is_flag=True, help="Render even when the outputs are up to date with their inputs.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Issues rendered at once when several manifests are given.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but problems.")
def render_command(manifests: tuple[Path, ...], out_dir: Path | None, only: tuple[str, ...], strict: bool,
                   keep_html: bool, run_preflight: bool, pdf_x: str | None, force: bool, jobs: int, quiet: bool) -> None:
    """Render MANIFESTS (issues' YAML files) into their PDFs."""
    if out_dir is not None and len(manifests) > 1:
        raise click.UsageError("--out takes one manifest; several issues go to build/<issue number>/ each")
    options = BuildOptions(profiles=tuple(dict.fromkeys(only)) or DEFAULT_PROFILES, out_dir=out_dir, strict=strict,
                           keep_html=keep_html, pdf_x=pdf_x, reuse=not force)
    out = Reporter(quiet=quiet)
    if len(manifests) > 1:
        from issue_builder.commands.render_many import render_many

        render_many(list(manifests), options, jobs, out, run_preflight)
        return
    with out.status("checking the manifest") as status:
        result = build_issue(manifests[0], options, step=status.update)
    report(result, out, run_preflight)


def report(result: BuildResult, out: Reporter, run_preflight: bool = False) -> None:
    """What a user reads after a build: warnings, files written (or kept) and a one-line summary."""
    for warning in result.warnings:
        out.warn(f"warning: {warning}")
    verb = "unchanged" if result.reused else "wrote"
    pdfs = [p for p in result.files if p.suffix in (".pdf", ".html") and p.parent == result.out_dir]
    for path in pdfs:
        out.info(f"{verb} {display_path(path)}")
    if any(p.parent.name == "web" for p in result.files):
        out.info(f"{verb} {display_path(result.out_dir / 'web' / 'index.html')} (the issue's web page)")
    if run_preflight:
        _preflight(result, out)
    s = result.summary
    fill = s.get("fill_pages", 0)
    m = result.issue.manifest
    filled = f" ({fill} fill page{'s' if fill > 1 else ''}, {m.printing.fill}, before the back cover)" if fill else ""
    sizes = ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in s.get("sizes", {}).items())
    kept = "; inputs unchanged, nothing rendered" if result.reused else ""
    for name, (laid, reused) in s.get("sections", {}).items():
        if reused and not result.reused:
            kept += f"; {name}: {laid} of {laid + reused} sections laid out again"
    out.info(f"{result.issue.title}: {s.get('pages')} pages{filled}, {sizes}, {len(result.warnings)} warnings, "
             f"{result.seconds:.1f} s{kept}")


def _preflight(result: BuildResult, out: Reporter) -> None:
    from issue_builder.check.preflight.run import preflight
    from issue_builder.commands.preflight import settings_from_manifest, show_report

    for path in result.files:
        if path.name.endswith("-print.pdf"):
            show_report(preflight(path, settings_from_manifest(result.issue.manifest)), out, as_json=False)
