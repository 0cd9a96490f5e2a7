"""Work on untrusted files, bounded: a budget for content walkers, limits for child processes and external tools.

A few hundred bytes of PDF can ask for billions of drawing operations (a form that draws itself four times, nested),
and a few kilobytes can keep a renderer busy for hours. Walkers count what they read against a `Budget`; readers we
cannot instrument (PDFium, Ghostscript) run in a child process with limits on memory and time (`call_bounded`,
`run_tool`), and a limit hit becomes a clean error for the user, never a hang or a crash.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from issue_builder.base.diagnostics import IssueBuilderError

MAX_OPERATORS = 2_000_000  # content-stream operators read in one file, a form's counted each time it is drawn
MAX_OPERANDS = 3 * MAX_OPERATORS  # operands read in one file: a curve takes six, text two
MAX_FORMS = 100_000  # form XObjects, tiling patterns and soft masks drawn in one file, each time counted
PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for the child when its parent dies


@dataclass(frozen=True)
class Limits:
    """How long and how large a child process may grow before it is stopped."""

    seconds: float
    memory_mb: int


TOOL_LIMITS = Limits(seconds=300, memory_mb=2048)  # Ghostscript, qpdf, poppler on one file
READER_LIMITS = Limits(seconds=600, memory_mb=3072)  # our own readers of one or two files (preflight, diff)


class LimitExceeded(IssueBuilderError):
    """Reading an untrusted file passed a limit of work, time or memory, and was stopped (exit 2)."""

    exit_code = 2


class OverBudget(LimitExceeded):
    """A content walker was asked for more drawing than its budget allows."""


class ChildFailed(Exception):
    """A bug in a bounded child process, carried to the parent with its traceback (shown under --debug)."""

    def __init__(self, message: str, child_traceback: str):
        super().__init__(message)
        self.child_traceback = child_traceback

    def __reduce__(self):
        return (type(self), (str(self), self.child_traceback))


class _ChildUserError(IssueBuilderError):
    """A user error from a child whose own class could not be carried over; keeps its message and exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def __reduce__(self):
        return (type(self), (str(self), self.exit_code))


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


def run_tool(args: list[str], what: str, limits: Limits | None = None, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run an external program limited in processor time, memory and wall time; LimitExceeded when one is hit."""
    limits = limits or TOOL_LIMITS
    try:
        result = subprocess.run(
            args, preexec_fn=lambda: _limit_self(limits, relative=False), timeout=limits.seconds, **kwargs
        )
    except subprocess.TimeoutExpired:
        raise LimitExceeded(f"{what} took longer than {limits.seconds:g} s and was stopped") from None
    if result.returncode < 0:
        raise LimitExceeded(_stopped(what, -result.returncode, limits))
    return result


def call_bounded(func: Callable[..., Any], *args: Any, what: str, limits: Limits | None = None) -> Any:
    """`func(*args)` run in a forked child limited in memory and time: its result, or its user error raised here.

    A child past its limits is stopped and LimitExceeded raised; a bug in it raises ChildFailed with its traceback.
    """
    limits = limits or READER_LIMITS
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        os.close(read_end)
        _child(write_end, func, args, limits)
    os.close(write_end)
    try:
        data = _read_all(read_end, time.monotonic() + limits.seconds)
    except TimeoutError:
        _kill(pid)
        raise LimitExceeded(f"{what} took longer than {limits.seconds:g} s and was stopped") from None
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if not data:
        signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        raise LimitExceeded(_stopped(what, signum, limits))
    return _unpack(pickle.loads(data), what, limits)


def _child(fd: int, func: Callable[..., Any], args: tuple, limits: Limits) -> None:
    """In the forked child: run `func` under limits and write the pickled outcome to `fd`, then exit at once."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # not the streams whose locks a thread may hold
        _die_with_parent()
        _limit_self(limits, relative=True)
        try:
            message: tuple = ("ok", func(*args))
        except IssueBuilderError as exc:
            message = ("user", exc)
        except MemoryError:
            message = ("memory",)
        except RecursionError:
            message = ("recursion",)
        except BaseException as exc:
            message = ("bug", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        try:
            data = pickle.dumps(message)
        except Exception:
            exc = message[1] if message[0] == "user" else None
            fallback = ("user", _ChildUserError(str(exc), exc.exit_code)) if exc else ("bug", "unpicklable result", "")
            data = pickle.dumps(fallback)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _unpack(message: tuple, what: str, limits: Limits) -> Any:
    """The child's outcome: a result returned, or raised as the error the user sees."""
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "user":
        raise message[1]
    if kind == "memory":
        raise LimitExceeded(f"{what} needed more than {limits.memory_mb} MB of memory and was stopped")
    if kind == "recursion":
        raise LimitExceeded(f"{what} stopped: the file nests its objects too deeply")
    raise ChildFailed(f"{message[1]} (in the child process of {what})", message[2])


def _read_all(fd: int, deadline: float) -> bytes:
    """Everything written to `fd` until its writer closes it; TimeoutError past `deadline`."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], min(remaining, 1.0))
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _stopped(what: str, signum: int, limits: Limits) -> str:
    """Why a child died by a signal, as the user reads it."""
    if signum == signal.SIGXCPU:
        return f"{what} used more than {limits.seconds:g} s of processor time and was stopped"
    name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
    return f"{what} stopped ({name}): it needed more than {limits.memory_mb} MB of memory, or the file broke the reader"


def _limit_self(limits: Limits, relative: bool) -> None:
    """Limit this process's processor time and address space (beyond what it already maps, when `relative`)."""
    seconds = max(1, math.ceil(limits.seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = limits.memory_mb * 1024 * 1024 + (_mapped_bytes() if relative else 0)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or memory < hard:
        resource.setrlimit(resource.RLIMIT_AS, (memory, hard))


def _mapped_bytes() -> int:
    """Address space this process already maps (Linux /proc; 0 where that is not available)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0


def _die_with_parent() -> None:
    """Have the kernel stop this child when its parent dies: a killed command leaves no reader running."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
