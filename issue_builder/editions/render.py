"""One render: the issue laid out once, then every edition asked for finished from that one layout."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from issue_builder.base.forked import Forked
from issue_builder.editions.finishers import FINISHERS, Edition, EditionOptions, FinishJob
from issue_builder.layout.document import lay_out_issue
from issue_builder.layout.laid_out import Layout
from issue_builder.prepare.content import PreparedIssue


@dataclass
class Rendered:
    """The layout (without its PDF) and the finished editions."""

    layout: Layout
    editions: list[Edition]


def render_issue(
    issue: PreparedIssue,
    editions: tuple[str, ...],
    cache_dir: Path,
    options: EditionOptions,
    step: Callable[[str], None] = lambda _: None,
) -> Rendered:
    """Lay `issue` out and finish `editions` (names in FINISHERS) from the layout.

    The finishers share nothing but the layout's PDF, so all but the last run in forked copies of this process,
    side by side (they are bounded with it: its limits count its children's memory too).
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
    job = FinishJob(issue, layout, cache_dir.resolve(), options)
    forked: list[Forked] = []
    try:
        forked += [
            Forked(partial(FINISHERS[name].finish, layout.pdf, job), what=f"finishing the {name} edition")
            for name in editions[:-1]
        ]
        last = [FINISHERS[name].finish(layout.pdf, job) for name in editions[-1:]]
        finished = [f.result() for f in forked] + last
    except BaseException:
        for running in forked:
            running.cancel()
        for pid in [os.getpid(), *(f.pid for f in forked)]:  # large files the finishers left on disk (finishers.py)
            for left in job.cache_dir.glob(f".*.{pid}.tmp"):
                left.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(layout.pdf, Path):  # the laid-out issue, once every finisher has read it
            layout.pdf.unlink(missing_ok=True)
    return Rendered(dataclasses.replace(layout, pdf=b""), finished)
