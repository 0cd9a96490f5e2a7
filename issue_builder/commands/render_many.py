"""Render several issues at once (`render issues/*.yaml -j N`): a process pool and one progress display."""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import IssueBuilderError, display_path
from issue_builder.build.driver import BuildOptions, build_issue, default_out


def render_many(manifests: list[Path], options: BuildOptions, jobs: int, out: Reporter, run_preflight: bool) -> None:
    """Build every manifest; report each as it finishes; fail at the end if any failed (the others are written)."""
    unique: dict[Path, Path] = {}
    for manifest in manifests:  # a manifest matched by two of the shell's patterns renders once
        unique.setdefault(manifest.resolve(), manifest)
    manifests = list(unique.values())
    _refuse_shared_folders(manifests)
    failed: list[str] = []
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out.err,
        disable=out.quiet or not out.err.is_terminal,
        transient=True,
    )
    context = multiprocessing.get_context("forkserver")  # workers fork their own edition renders: start them clean
    with progress, ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_ignore_ctrl_c) as pool:
        task = progress.add_task("rendering issues", total=len(manifests))
        futures = {pool.submit(_build, manifest, options): manifest for manifest in manifests}
        try:
            for future in as_completed(futures):
                progress.advance(task)
                _report_one(futures[future], future, out, run_preflight, failed)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)  # queued issues are dropped
            for worker in list((pool._processes or {}).values()):
                worker.terminate()  # its edition processes die with it
            raise
    if failed:
        raise IssueBuilderError(f"{len(failed)} of {len(manifests)} issues failed: {', '.join(failed)}")


def _refuse_shared_folders(manifests: list[Path]) -> None:
    """Two issues with one number (of two publications, say) would replace each other's web page in build/<n>/."""
    folders: dict[Path, list[Path]] = {}
    for manifest in manifests:
        folder = default_out(manifest)
        if folder is not None:
            folders.setdefault(folder, []).append(manifest)
    clashes = [
        f"{', '.join(display_path(m) for m in group)} all render into {display_path(folder)}/"
        for folder, group in folders.items()
        if len(group) > 1
    ]
    if clashes:
        raise IssueBuilderError(
            f"nothing was rendered: {'; '.join(clashes)}; render these one at a time, each with its own --out"
        )


def _report_one(manifest: Path, future, out: Reporter, run_preflight: bool, failed: list[str]) -> None:
    from issue_builder.commands.summary import report

    try:
        result = future.result()
    except IssueBuilderError as exc:
        failed.append(display_path(manifest))
        out.warn(f"{display_path(manifest)}: FAILED\n{exc.report()}")
        return
    except Exception as exc:
        failed.append(display_path(manifest))
        out.warn(
            f"{display_path(manifest)}: FAILED: internal error: {type(exc).__name__}: {exc} "
            "(render it alone with --debug for the traceback)"
        )
        return
    report(result, out, run_preflight)


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the whole group: the parent stops the pool


def _build(manifest: Path, options: BuildOptions):
    return build_issue(manifest, options)
