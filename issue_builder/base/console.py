"""Terminal output: results on stdout, problems and progress on stderr, quiet when asked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console


class Reporter:
    """Prints results, warnings and a progress status; progress only on a terminal and when not quiet."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.out = Console(highlight=False, soft_wrap=True, emoji=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.out.print(text, markup=False)

    def warn(self, text: str) -> None:
        self.err.print(text, markup=False, style="yellow")

    @contextmanager
    def status(self, text: str) -> Iterator[_Status]:
        if self.quiet or not self.err.is_terminal:
            yield _Status(None)
            return
        with self.err.status(text) as live:
            yield _Status(live)


class _Status:
    def __init__(self, live):
        self.live = live

    def update(self, text: str) -> None:
        if self.live is not None:
            self.live.update(text)


def print_error(report: str) -> None:
    """Show a user error on stderr without markup interpretation."""
    Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(report, markup=False, style="red")
    sys.stderr.flush()
