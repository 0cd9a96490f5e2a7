"""Render several issues at once (`render issues/*.yaml -j N`): a process pool and one progress display."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from issue_builder.build import BuildOptions, build_issue
from issue_builder.console import Reporter
from issue_builder.errors import IssueBuilderError, display_path


def render_many(manifests: list[Path], options: BuildOptions, jobs: int, out: Reporter, run_preflight: bool) -> None:
    """Build every manifest; report each as it finishes; fail at the end if any failed (the others are written)."""
    from issue_builder.commands.render import report

    # one issue per worker; with several workers each issue renders its editions one after the other
    options = replace(options, parallel=jobs == 1)
    failed: list[str] = []
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=out.err, disable=out.quiet or not out.err.is_terminal, transient=True)
    context = multiprocessing.get_context("forkserver")  # workers fork their own edition renders: start them clean
    with progress, ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        task = progress.add_task("rendering issues", total=len(manifests))
        futures = {pool.submit(_build, manifest, options): manifest for manifest in manifests}
        for future in as_completed(futures):
            manifest = futures[future]
            progress.advance(task)
            try:
                result = future.result()
            except IssueBuilderError as exc:
                failed.append(display_path(manifest))
                out.warn(f"{display_path(manifest)}: FAILED\n{exc.report()}")
                continue
            report(result, out, run_preflight)
    if failed:
        raise IssueBuilderError(f"{len(failed)} of {len(manifests)} issues failed: {', '.join(failed)}")


def _build(manifest: Path, options: BuildOptions):  # noqa: ANN202 - BuildResult, pickled back to the parent
    return build_issue(manifest, options)
