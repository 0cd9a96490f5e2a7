"""Run a callable in a forked copy of this process, with limits or without: its result, or a clean failure.

The one mechanism behind `call_bounded` (untrusted files read under limits of memory and time) and the render's
finishers (work side by side, bounded by the render's own limits). The child sends back what the callable returned
or raised; a user error, an OSError or an exception of ours is raised again in the parent as it was, running out of
memory or stack becomes LimitExceeded, anything else ChildFailed with the child's traceback (shown under --debug).
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
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from issue_builder.base.diagnostics import IssueBuilderError

PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for the child when its parent dies


@dataclass(frozen=True)
class Limits:
    """How long and how large a child process may grow before it is stopped."""

    seconds: float
    memory_mb: int


class LimitExceeded(IssueBuilderError):
    """Reading an untrusted file passed a limit of work, time or memory, and was stopped (exit 2)."""

    exit_code = 2


class ChildFailed(Exception):
    """A bug in a forked child process, carried to the parent with its traceback (shown under --debug)."""

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


class Forked:
    """`function()` running in a forked child from now on; `result()` waits for it and returns or raises what it did.

    With `limits` the child's processor time and memory are limited and `result()` stops it past `limits.seconds`;
    without, it is bounded with this process (a render's limits count its children's memory too). `what` names the
    work in the errors the user reads.
    """

    def __init__(self, function: Callable[[], Any], what: str = "", limits: Limits | None = None):
        self.what, self.limits = what or "a forked process", limits
        self.where = f"the child process of {what}" if what else "a forked process"
        self.deadline = math.inf if limits is None else time.monotonic() + limits.seconds
        read_end, write_end = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            os.close(read_end)
            _child(write_end, function, limits, parent)
        os.close(write_end)
        self.read_end = read_end

    def result(self) -> Any:
        """What the function returned; what it raised is raised here (see the module's docstring)."""
        try:
            data = _read_all(self.read_end, self.deadline)
        except TimeoutError:
            _kill(self.pid)
            raise LimitExceeded(f"{self.what} took longer than {self.limits.seconds:g} s and was stopped") from None
        except BaseException:
            _kill(self.pid)
            raise
        finally:
            os.close(self.read_end)
            self.read_end = None
        _, status = os.waitpid(self.pid, 0)
        signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        if not data and self.limits is not None:
            raise LimitExceeded(stopped(self.what, signum, self.limits))
        if not data:
            raise ChildFailed(f"{self.what} stopped without a result ({_signal_name(signum)})", "")
        try:
            message = pickle.loads(data)
        except Exception as exc:  # an exception class that cannot be rebuilt from its arguments
            raise ChildFailed(
                f"the outcome of {self.where} could not be read ({type(exc).__name__}: {exc})", ""
            ) from None
        return self._unpack(message)

    def cancel(self) -> None:
        """Stop the child and forget its result (when the caller gives up on it: another failed, or Ctrl-C)."""
        if self.read_end is None:
            return
        _kill(self.pid)
        with contextlib.suppress(OSError):
            os.close(self.read_end)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.read_end = None

    def _unpack(self, message: tuple) -> Any:
        kind = message[0]
        if kind == "ok":
            return message[1]
        if kind == "raised":
            raise message[1]
        if kind == "memory":
            limit = f"more than {self.limits.memory_mb} MB of" if self.limits else "more"
            raise LimitExceeded(f"{self.what} needed {limit} memory and was stopped")
        if kind == "recursion":
            raise LimitExceeded(f"{self.what} stopped: the file nests its objects too deeply")
        raise ChildFailed(f"{message[1]} (in {self.where})", message[2])


def _child(fd: int, function: Callable[[], Any], limits: Limits | None, parent: int) -> None:
    """In the forked child: run `function` (under `limits`) and write the pickled outcome to `fd`, then exit at once."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # not the streams whose locks a thread may hold
        die_with_parent(parent)
        if limits is not None:
            limit_self(limits, relative=True)
        try:
            message: tuple = ("ok", function())
        except MemoryError:
            message = ("memory",)
        except RecursionError:
            message = ("recursion",)
        except BaseException as exc:
            ours = isinstance(exc, Exception) and type(exc).__module__.startswith("issue_builder")
            if ours or isinstance(exc, OSError):
                message = ("raised", exc)
            else:
                message = ("bug", f"{type(exc).__name__}: {exc}", traceback.format_exc())
        try:
            data = pickle.dumps(message)
        except Exception as exc:
            data = pickle.dumps(_picklable(message, exc))
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _picklable(message: tuple, problem: Exception) -> tuple:
    """What to send back when `message` cannot be pickled: a user error keeps its text and exit code."""
    if message[0] == "raised" and isinstance(message[1], IssueBuilderError):
        return ("raised", _ChildUserError(str(message[1]), message[1].exit_code))
    what = f"{type(message[1]).__name__}: {message[1]}" if message[0] == "raised" else "its result"
    return ("bug", f"{what} could not be sent back ({type(problem).__name__}: {problem})", "")


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


def _signal_name(signum: int) -> str:
    return signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"


def stopped(what: str, signum: int, limits: Limits) -> str:
    """Why a limited child died by a signal, as the user reads it."""
    if signum == signal.SIGXCPU:
        return f"{what} used more than {limits.seconds:g} s of processor time and was stopped"
    return (
        f"{what} stopped ({_signal_name(signum)}): it needed more than {limits.memory_mb} MB of memory, "
        "or the file broke the reader"
    )


def limit_self(limits: Limits, relative: bool) -> None:
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


def die_with_parent(parent: int) -> None:
    """Have the kernel stop this child when its parent (`parent`, the pid that forked it) dies: a killed command
    leaves no child running. A parent that died before this was asked is not waited for: the child ends at once."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # adopted: the parent was gone before the kernel could be asked to watch it
        os._exit(1)
