"""Work on untrusted files, bounded: a budget for content walkers, limits for child processes and external tools.

A few hundred bytes of PDF can ask for billions of drawing operations (a form that draws itself four times, nested),
and a few kilobytes can keep a renderer busy for hours. Walkers count what they read against a `Budget`; readers we
cannot instrument (PDFium, Ghostscript) run in a child process with limits on memory and time (`call_bounded`,
`run_tool`), and a limit hit becomes a clean error for the user, never a hang or a crash.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import IO, Any

from issue_builder.base.forked import Forked, LimitExceeded, Limits, limit_self, stopped

MAX_OPERATORS = 2_000_000  # content-stream operators read in one file, a form's counted each time it is drawn
MAX_OPERANDS = 3 * MAX_OPERATORS  # operands read in one file: a curve takes six, text two
MAX_FORMS = 100_000  # form XObjects, tiling patterns and soft masks drawn in one file, each time counted
TOOL_LIMITS = Limits(seconds=300, memory_mb=2048)  # Ghostscript, qpdf, poppler on one file
READER_LIMITS = Limits(seconds=600, memory_mb=3072)  # our own readers of one or two files (preflight, diff)


class OverBudget(LimitExceeded):
    """A content walker was asked for more drawing than its budget allows."""


class Budget:
    """Drawing a walker may still read: operators and form invocations, each form counted every time it is drawn."""

    def __init__(self, operators: int | None = None, forms: int | None = None):
        self.operators = MAX_OPERATORS if operators is None else operators
        self.operands = MAX_OPERANDS if operators is None else 3 * operators
        self.forms = MAX_FORMS if forms is None else forms
        self.operators_read = self.operands_read = self.forms_drawn = 0

    def operator(self) -> None:
        """Count one operator; raise OverBudget past the limit."""
        self.operators_read += 1
        if self.operators_read > self.operators:
            raise OverBudget(
                f"more than {self.operators:,} drawing operations (forms counted each time they are drawn)"
            )

    def operand(self) -> None:
        """Count one operand; raise OverBudget past the limit."""
        self.operands_read += 1
        if self.operands_read > self.operands:
            raise OverBudget(f"more than {self.operands:,} operands in its drawing")

    def form(self) -> None:
        """Count one form, pattern or soft mask drawn; raise OverBudget past the limit."""
        self.forms_drawn += 1
        if self.forms_drawn > self.forms:
            raise OverBudget(f"forms, patterns or soft masks drawn more than {self.forms:,} times")

    def counted(self) -> tuple[int, int, int]:
        """What has been counted: operators, operands, forms."""
        return (self.operators_read, self.operands_read, self.forms_drawn)

    def take(self, counts: tuple[int, int, int]) -> bool:
        """Count what reading something again would count, when all of it fits; False, counting nothing, when it
        does not (then read it: the limit is hit where reading hits it)."""
        operators, operands, forms = (now + more for now, more in zip(self.counted(), counts, strict=True))
        if operators > self.operators or operands > self.operands or forms > self.forms:
            return False
        self.operators_read, self.operands_read, self.forms_drawn = operators, operands, forms
        return True


def run_tool(args: list[str], what: str, limits: Limits | None = None, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run an external program limited in processor time, memory and wall time; LimitExceeded when one is hit."""
    limits = limits or TOOL_LIMITS
    try:
        result = subprocess.run(
            args, preexec_fn=lambda: limit_self(limits, relative=False), timeout=limits.seconds, **kwargs
        )
    except subprocess.TimeoutExpired:
        raise LimitExceeded(f"{what} took longer than {limits.seconds:g} s and was stopped") from None
    if result.returncode < 0:
        raise LimitExceeded(stopped(what, -result.returncode, limits))
    return result


class ToolFailed(Exception):
    """An external program ended with an error: its exit code and what it said."""

    def __init__(self, what: str, code: int, said: str):
        super().__init__(f"{what} failed (exit {code}): {said}")
        self.code, self.said = code, said


@contextlib.contextmanager
def streamed_tool(args: list[str], what: str, limits: Limits | None = None) -> Iterator[IO[bytes]]:
    """An external program's standard output, to read as it writes it (never held whole), the program limited as
    `run_tool` limits it. Leaving the block ends it; then LimitExceeded when a limit stopped it, ToolFailed when it
    failed."""
    limits = limits or TOOL_LIMITS
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        process.kill()

    with tempfile.TemporaryFile() as said:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=said, preexec_fn=lambda: limit_self(limits, relative=False)
        )
        timer = threading.Timer(limits.seconds, stop)
        timer.start()
        try:
            yield process.stdout
            code = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:  # the reader stopped early: the program goes with it
                process.kill()
                process.wait()
            process.stdout.close()
        if timed_out.is_set():
            raise LimitExceeded(f"{what} took longer than {limits.seconds:g} s and was stopped")
        if code < 0:
            raise LimitExceeded(stopped(what, -code, limits))
        if code != 0:
            said.seek(0)
            raise ToolFailed(what, code, said.read(4096).decode("utf-8", "replace").strip())


def call_bounded(func: Callable[..., Any], *args: Any, what: str, limits: Limits | None = None) -> Any:
    """`func(*args)` run in a forked child limited in memory and time: its result, or its user error raised here.

    A child past its limits is stopped and LimitExceeded raised; a bug in it raises ChildFailed with its traceback.
    """
    return Forked(partial(func, *args), what, limits or READER_LIMITS).result()
