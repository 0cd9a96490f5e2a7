"""What a user reads after a build: warnings, the files written or kept, a one-line summary."""

from __future__ import annotations

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import display_path, summarise
from issue_builder.build.driver import BuildResult


def report(result: BuildResult, out: Reporter, run_preflight: bool = False) -> None:
    """What a user reads after a build: warnings, files written (or kept) and a one-line summary."""
    for line in summarise([str(w) for w in result.warnings]):
        out.warn(line)
    verb = "unchanged" if result.reused else "wrote"
    pdfs = [p for p in result.files if p.suffix in (".pdf", ".html") and p.parent == result.out_dir]
    for path in pdfs:
        out.info(f"{verb} {display_path(path)}")
    html = sorted({p.parent for p in result.files if p.suffix == ".html" and p.parent.name.endswith("-html")})
    for folder in html:
        out.info(f"{verb} {display_path(folder)}/ (the HTML laid out, one file per document)")
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
    laid, reused = s.get("sections", (0, 0))
    if reused and not result.reused:
        kept += f"; {laid} of {laid + reused} sections laid out again"
    out.info(
        f"{result.issue.title}: {s.get('pages')} pages{filled}, {sizes}, {len(result.warnings)} warnings, "
        f"{underfilled(result)}{result.seconds:.1f} s{kept}"
    )


def underfilled(result: BuildResult) -> str:
    """`2 pages under 35% full (p18, p34), ` from the build's `underfilled` warnings; empty when there are none."""
    pages = sorted({w.page for w in result.warnings if w.code == "underfilled" and w.page is not None})
    if not pages:
        return ""
    shown = ", ".join(f"p{n}" for n in pages)
    least = result.issue.manifest.typesetting.min_fill
    return f"{len(pages)} page{'s' if len(pages) > 1 else ''} under {least}% full ({shown}), "


def _preflight(result: BuildResult, out: Reporter) -> None:
    from issue_builder.checks.preflight.run import preflight
    from issue_builder.commands.preflight import settings_from_manifest, show_report

    for path in result.files:
        if path.name.endswith("-print.pdf"):
            show_report(preflight(path, settings_from_manifest(result.issue.manifest)), out, as_json=False)
