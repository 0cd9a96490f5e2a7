"""`issue-builder watch`: re-render (the proof by default) whenever an input of the issue changes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import click

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import IssueBuilderError, display_path
from issue_builder.base.paths import FONTS_DIR, LAYOUTS_DIR
from issue_builder.build.driver import BuildOptions, build_issue
from issue_builder.commands.options import out_dir_option
from issue_builder.commands.summary import report
from issue_builder.editions.finishers import FINISHERS
from issue_builder.editions.processes import RenderWorker


@click.command("watch")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@out_dir_option
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(sorted(FINISHERS)),
    help="Edition to keep up to date (repeatable). Default: the proof.",
)
@click.option(
    "--settle",
    type=click.IntRange(50, 60000),
    default=400,
    show_default=True,
    help="Milliseconds without further changes before a burst of saves is rebuilt.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but problems and what was rebuilt.")
def watch_command(manifest: Path, out_dir: Path | None, only: tuple[str, ...], settle: int, quiet: bool) -> None:
    """Rebuild MANIFEST's outputs when the manifest, an article, an image, a font or the layout changes.

    Ctrl-C stops.
    """
    import watchfiles

    import issue_builder.editions.render  # noqa: F401 - loaded once here; every rebuild's render process inherits it

    out = Reporter(quiet=quiet)
    worker = RenderWorker()  # keeps laid-out sections between rebuilds: an edit lays out only its article again
    options = BuildOptions(editions=tuple(dict.fromkeys(only)) or ("proof",), out_dir=out_dir, worker=worker)
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops the watch as Ctrl-C does: the render worker goes with it
    try:
        _watch(manifest, options, settle, out, watchfiles)
    except KeyboardInterrupt:
        pass
    finally:
        worker.close()
    out.info("stopped watching")


LAYOUT_AND_FONT_FILES = {".html", ".css", ".yaml", ".otf", ".ttf", ".woff", ".woff2", ".icc", ".icm"}


def _stop(signum: int, frame) -> None:
    raise KeyboardInterrupt


def _watch(manifest: Path, options: BuildOptions, settle: int, out: Reporter, watchfiles) -> None:
    inputs = _rebuild(manifest, options, out)
    folders = _folders(inputs, manifest) if inputs else _outermost({manifest.resolve().parent, LAYOUTS_DIR, FONTS_DIR})
    resolved_out = (options.out_dir or Path("build")).resolve()

    def relevant(change: watchfiles.Change, path: str) -> bool:
        p = Path(path)
        if p.is_relative_to(resolved_out) or p.name.startswith((".", "#")) or p.name.endswith(("~", ".tmp", ".swp")):
            return False
        # after a failed build any file may be the missing one; otherwise what the last build read counts, and any
        # layout or font file (a new template override, stylesheet or font is read by the next build), and a
        # folder holding what it read that appears or goes (a layout folder swapped by renames: its files send
        # no events of their own)
        return (
            not inputs
            or p in inputs
            or p == manifest.resolve()
            or p.suffix.lower() in LAYOUT_AND_FONT_FILES
            or (change != watchfiles.Change.modified and any(i.is_relative_to(p) for i in inputs))
        )

    watching = True
    while watching:
        out.info(f"watching {', '.join(display_path(f) for f in folders)}; Ctrl-C stops")
        watching = False
        # watchfiles yields once nothing changed for `step` ms (the settle time), or after `debounce` ms at most
        for changes in watchfiles.watch(
            *folders,
            watch_filter=relevant,
            debounce=max(5000, 10 * settle),
            step=settle,
            raise_interrupt=False,
            yield_on_timeout=False,
        ):
            names = sorted({display_path(Path(path)) for _, path in changes})
            out.info(f"changed: {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
            inputs = _rebuild(manifest, options, out)
            new_folders = _folders(inputs, manifest) if inputs else folders
            if set(new_folders) != set(folders):
                folders, watching = new_folders, True  # the manifest now names other folders: watch those
                break


def _rebuild(manifest: Path, options: BuildOptions, out: Reporter) -> set[Path]:
    """Build once; a failure is printed and the watch goes on. Returns the files the build read (none if it failed)."""
    from issue_builder.prepare.inputs import input_files

    started = time.strftime("%H:%M:%S")
    try:
        with out.status("rebuilding") as status:
            result = build_issue(manifest, options, step=status.update)
    except IssueBuilderError as exc:
        out.warn(f"{started} rebuild failed; still watching:\n{exc.report()}")
        return set()
    except Exception as exc:
        if options.worker is not None:
            options.worker.close()
        out.warn(
            f"{started} rebuild failed with an internal error; still watching: {type(exc).__name__}: {exc} "
            "(render with --debug for the traceback)"
        )
        return set()
    out.info(f"{started} rebuilt")
    report(result, out)
    issue = result.issue
    # the publication's layout and font folders themselves too: watched from the folder above them, a folder
    # swapped in by renames is seen (a watch on the folder itself would follow the old one to its new name)
    trusted = issue.layout_chain[:-1] + [(issue.root / d).resolve() for d in issue.manifest.font_dirs]
    return set(input_files(issue)) | set(trusted)


def _folders(inputs: set[Path], manifest: Path) -> list[Path]:
    return _outermost({p.parent for p in inputs} | {manifest.resolve().parent})


def _outermost(folders: set[Path]) -> list[Path]:
    """The folders without those inside another of them (each is watched recursively)."""
    ordered = sorted(folders, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for folder in ordered:
        if not any(folder.is_relative_to(k) for k in kept):
            kept.append(folder)
    return kept
