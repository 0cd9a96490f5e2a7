"""`issue-builder render`: lay an issue out and write its print and web PDFs."""

from __future__ import annotations

import time
from pathlib import Path

import click

from issue_builder.check.outputs import edition_problems
from issue_builder.console import Reporter
from issue_builder.errors import Diagnostic, OutputError, RenderError, display_path
from issue_builder.pipeline import prepare_issue, with_pdf_x
from issue_builder.write.atomic import replace_all, replace_folder
from issue_builder.write.profiles import DEFAULT_PROFILES, PROFILES


@click.command("render")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder. Default: build/<issue number>/ under the current folder.")
@click.option("--only", "only", multiple=True, type=click.Choice(sorted(PROFILES)),
              help="Write only this edition (repeatable). Default: print and web.")
@click.option("--strict", is_flag=True, help="Fail on any warning, not only on errors.")
@click.option("--keep-html", is_flag=True, help="Also write the HTML given to WeasyPrint, for inspection.")
@click.option("--preflight", "run_preflight", is_flag=True, help="Preflight the print PDF after writing it.")
@click.option("--pdf-x", type=click.Choice(["4", "1a"]), help="PDF/X flavour of the print PDF (default: the publication's).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but problems.")
def render_command(manifest: Path, out_dir: Path | None, only: tuple[str, ...], strict: bool, keep_html: bool,
                   run_preflight: bool, pdf_x: str | None, quiet: bool) -> None:
    """Render MANIFEST (an issue's YAML file) into its PDFs."""
    from issue_builder.write.weasy import render_edition  # WeasyPrint loads only when rendering

    started = time.monotonic()
    out = Reporter(quiet=quiet)
    with out.status("checking the manifest") as status:
        issue = with_pdf_x(prepare_issue(manifest), pdf_x)
        out_dir = out_dir or Path("build") / str(issue.manifest.issue)
        editions = []
        for name in only or DEFAULT_PROFILES:
            status.update(f"rendering the {name} edition")
            editions.append(render_edition(issue, PROFILES[name], out_dir / ".cache"))

    errors = [Diagnostic(f"{e.profile.name}: {m}") for e in editions for m in e.messages if m.severity == "error"]
    warnings = [str(w) for w in issue.warnings]
    warnings += [f"{e.profile.name}: {m}" for e in editions for m in e.messages if m.severity == "warning"]
    warnings += _page_warnings(editions)
    if errors:
        raise RenderError(f"{display_path(manifest)}: the render failed; no output was written:", errors)
    if strict and warnings:
        raise RenderError(f"{display_path(manifest)}: {len(warnings)} warning(s) and --strict is set; no output was written:",
                          [Diagnostic(w) for w in warnings])

    stem = f"{issue.slug}-{issue.manifest.issue}"
    targets = {out_dir / f"{stem}-{e.profile.name}.pdf": e for e in editions}
    files: dict[Path, bytes] = {path: e.pdf for path, e in targets.items()}
    if keep_html:
        for path, e in targets.items():
            files[path.with_suffix(".html")] = e.html_parts[0].encode()
            files[path.with_name(path.stem + "-tail.html")] = e.html_parts[1].encode()

    def check(temp: Path, target: Path) -> None:
        if target in targets:
            _, problems = edition_problems(temp, targets[target], issue)
            if problems:
                raise OutputError(f"{target.name} failed its checks; the previous file was kept:",
                                  [Diagnostic(p) for p in problems])

    web = next((e for e in editions if e.profile.web_finish), None)
    try:
        replace_all(files, check)
        if web is not None:
            from issue_builder.prepare.images import placeable
            from issue_builder.render.web_page import web_page_files

            pdf_name = f"{stem}-{web.profile.name}.pdf"
            placed = {info.path: placeable(info, (out_dir / ".cache").resolve(), srgb=True) for info in issue.images}
            replace_folder(out_dir / "web", web_page_files(issue, pdf_name, web.pdf, placed))
    except OSError as exc:
        raise OutputError(f"cannot write to {display_path(out_dir)}: {exc.strerror or exc}; earlier outputs were kept") from None
    for warning in warnings:
        out.warn(f"warning: {warning}")
    for path in files:
        out.info(f"wrote {display_path(path)}")
    if web is not None:
        out.info(f"wrote {display_path(out_dir / 'web' / 'index.html')} (the issue's web page)")
    sizes = ", ".join(f"{e.profile.name} {len(e.pdf) / 1e6:.1f} MB" for e in editions)
    if run_preflight:
        from issue_builder.check.preflight.run import preflight
        from issue_builder.commands.preflight import settings_from_manifest, show_report

        for path, edition in targets.items():
            if edition.profile.pdf_x:
                show_report(preflight(path, settings_from_manifest(issue.manifest)), out, as_json=False)
    fill = editions[0].fill_pages
    filled = f" ({fill} fill page{'s' if fill > 1 else ''}, {issue.manifest.printing.fill}, before the back cover)" if fill else ""
    out.info(f"{issue.title}: {editions[0].pages} pages{filled}, {sizes}, {len(warnings)} warnings, "
             f"{time.monotonic() - started:.1f} s")


def _page_warnings(editions) -> list[str]:  # noqa: ANN001
    counts = {e.profile.name: e.pages for e in editions}
    return [f"editions differ in page count: {counts}"] if len(set(counts.values())) > 1 else []
