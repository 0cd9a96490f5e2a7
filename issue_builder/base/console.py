"""Terminal output: results on stdout, problems and progress on stderr, quiet when asked."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

PLAIN_AFTER = 15.0  # seconds a command runs before it prints progress lines where stderr is no terminal
PLAIN_EVERY = 30.0  # seconds between lines repeating a step that goes on


class Reporter:
    """Prints results, warnings and progress; progress is a status line on a terminal, plain lines on stderr
    once a command has run PLAIN_AFTER seconds otherwise (logs, CI), nothing when quiet."""

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
    def status(self, text: str) -> Iterator[_Status | _PlainStatus]:
        if self.quiet:
            yield _Status(None)
            return
        if not self.err.is_terminal:
            plain = _PlainStatus(text, self.err)
            try:
                yield plain
            finally:
                plain.stop()
            return
        with self.err.status(text) as live:
            yield _Status(live)


class _Status:
    def __init__(self, live):
        self.live = live

    def update(self, text: str) -> None:
        if self.live is not None:
            self.live.update(text)


class _PlainStatus:
    """Progress as lines ("laying out the issue (12 s)"): none in the first PLAIN_AFTER seconds, so that quick
    commands print only their results; then each new step, and a step that goes on again every PLAIN_EVERY."""

    def __init__(self, text: str, console: Console):
        self.console, self.text = console, text
        self.started = self.said_at = time.monotonic()
        self.said: str | None = None
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="progress", daemon=True)
        self.watcher.start()

    def update(self, text: str) -> None:
        with self.lock:
            self.text = text
            if time.monotonic() - self.started >= PLAIN_AFTER:
                self._say()

    def stop(self) -> None:
        self.done.set()
        self.watcher.join()

    def _watch(self) -> None:
        if self.done.wait(PLAIN_AFTER):
            return
        while True:
            with self.lock:
                if self.said != self.text or time.monotonic() - self.said_at >= PLAIN_EVERY:
                    self._say()
            if self.done.wait(1.0):
                return

    def _say(self) -> None:
        elapsed = time.monotonic() - self.started
        again = "still " if self.said == self.text else ""
        self.console.print(f"{again}{self.text} ({elapsed:.0f} s)", markup=False, highlight=False)
        self.said, self.said_at = self.text, time.monotonic()


def print_error(report: str) -> None:
    """Show a user error on stderr without markup interpretation."""
    Console(stderr=True, highlight=False, soft_wrap=True, emoji=False).print(report, markup=False, style="red")
    sys.stderr.flush()
