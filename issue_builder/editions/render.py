"""One render: the issue laid out once, then every edition asked for finished from that one layout."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from issue_builder.base.forked import Forked
from issue_builder.editions.finishers import FINISHERS, EditionOptions, FinishJob, Rendered
from issue_builder.layout.document import lay_out_issue
from issue_builder.prepare.content import PreparedIssue


def render_issue(
    issue: PreparedIssue,
    editions: tuple[str, ...],
    cache_dir: Path,
    options: EditionOptions,
    step: Callable[[str], None] = lambda _: None,
    ready: Callable[[object], None] | None = None,
) -> Rendered:
    """Lay `issue` out and finish `editions` (names in FINISHERS) from the layout; `ready`, when given, gets the
    layout (without its PDF) as soon as it is laid out, then each edition as soon as it is finished.

    The finishers share nothing but the layout's PDF, so they run in forked copies of this process, side by side
    (they are bounded with it: its limits count its children's memory too); without `ready`, the last one runs in
    this process.
    """
    # what a finisher can do without the layout (the print pictures' CMYK) runs beside it, into the cache
    early = [
        Forked(partial(FINISHERS[name].early, issue, cache_dir.resolve()), f"preparing the {name} edition")
        for name in editions
        if FINISHERS[name].early is not None
    ]
    try:
        layout = lay_out_issue(issue, cache_dir, step)
        for started in early:
            with contextlib.suppress(Exception):  # only a head start: the finisher does (and reports) the rest
                started.result()
    finally:
        for started in early:
            started.cancel()
    step(f"laid out {layout.pages} pages; finishing {', '.join(editions)}")
    if ready is not None:
        ready(dataclasses.replace(layout, pdf=b""))
    job = FinishJob(issue, layout, cache_dir.resolve(), options, os.getpid())
    here = editions[-1:] if ready is None else ()
    forked: dict[str, Forked] = {}
    try:
        forked = {
            name: Forked(partial(FINISHERS[name].finish, layout.pdf, job), what=f"finishing the {name} edition")
            for name in editions
            if name not in here
        }
        done = {name: FINISHERS[name].finish(layout.pdf, job) for name in here}
        for name in _as_they_finish(forked):
            done[name] = forked[name].result()
            if ready is not None:
                ready(done[name])
        finished = [done[name] for name in editions]
    except BaseException:
        for running in forked.values():
            running.cancel()
        for pid in [os.getpid(), *(f.pid for f in forked.values())]:  # large files the finishers left on disk
            for left in job.cache_dir.glob(f".*.{pid}.tmp"):
                left.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(layout.pdf, Path):  # the laid-out issue, once every finisher has read it
            layout.pdf.unlink(missing_ok=True)
    return Rendered(dataclasses.replace(layout, pdf=b""), finished)


def _as_they_finish(running: dict[str, Forked]) -> Iterator[str]:
    """The names of `running` in the order their children finish (their outcome ready to be read)."""
    waiting = dict(running)
    while waiting:
        readable, _, _ = select.select([f.read_end for f in waiting.values()], [], [])
        for name in [n for n, f in waiting.items() if f.read_end in readable]:
            del waiting[name]
            yield name
