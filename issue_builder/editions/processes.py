"""Render editions in child processes, side by side, each bounded in time and memory."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from issue_builder.base.diagnostics import IssueBuilderError, ManifestError, OutputError, RenderError
from issue_builder.layout.profiles import OutputProfile
from issue_builder.prepare.content import PreparedIssue

if TYPE_CHECKING:
    from issue_builder.editions.render import Edition

_ERRORS = {cls.__name__: cls for cls in (IssueBuilderError, ManifestError, OutputError, RenderError)}
POLL_SECONDS = 0.1
PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for the child when its parent dies


@dataclass(frozen=True)
class Limits:
    """How long and how large one edition's render may grow before it is stopped."""

    seconds: float
    memory_mb: int


class InternalError(Exception):
    """A bug in a child process, carried to the parent with its traceback (shown under --debug)."""

    def __init__(self, message: str, child_traceback: str):
        super().__init__(message)
        self.child_traceback = child_traceback

    def __reduce__(self):
        return (type(self), (str(self), self.child_traceback))


def render_editions(
    issue: PreparedIssue,
    profiles: list[OutputProfile],
    cache_dir: Path,
    limits: Limits,
    parallel: bool = True,
    on_done: Callable[[str], None] | None = None,
    worker: RenderWorker | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Edition]:
    """Every edition of `profiles`, rendered in its own child process (all at once when `parallel`).

    A child that runs past `limits.seconds` or whose resident memory passes `limits.memory_mb` is killed and the
    build fails with a message saying which limit was hit and where to raise it.
    """
    if worker is not None:
        editions = []
        for profile in profiles:
            editions.append(worker.render(issue, profile, cache_dir, limits))
            if on_done:
                on_done(profile.name)
        return editions
    import issue_builder.editions.render  # noqa: F401 - loaded once, before the fork: every child inherits it

    context = multiprocessing.get_context("fork")  # the prepared issue is inherited, not pickled
    pending = list(profiles)
    running: dict[str, tuple] = {}
    results: dict[str, Edition] = {}
    helper: threading.Thread | None = None
    try:
        while pending or running:
            if not pending and meanwhile is not None and helper is None:
                # in a thread of this process, started only once every child has forked: a fork while a thread
                # holds a lock (imports, logging) could leave the child waiting forever
                helper = threading.Thread(target=meanwhile, daemon=True)
                helper.start()
            while pending and (parallel or not running):
                profile = pending.pop(0)
                receive, send = context.Pipe(duplex=False)
                scratch = tempfile.mkdtemp(prefix="issue-builder-")
                process = context.Process(
                    target=_in_scratch, args=(scratch, _child, issue, profile, cache_dir, send), daemon=True
                )
                process.start()
                send.close()
                running[profile.name] = (process, receive, scratch, time.monotonic())
            for name, (process, receive, scratch, began) in list(running.items()):
                if receive.poll(POLL_SECONDS / max(len(running), 1)):
                    results[name] = _result(name, receive)
                    process.join()
                    shutil.rmtree(scratch, ignore_errors=True)
                    del running[name]
                    if on_done:
                        on_done(name)
                elif not process.is_alive() and not receive.poll():
                    raise RenderError(
                        f"the {name} edition's render stopped unexpectedly (exit code {process.exitcode})"
                    )
                else:
                    _enforce(name, process, limits, began)
    finally:
        for process, receive, scratch, _ in running.values():
            process.kill()
            process.join()
            receive.close()
            shutil.rmtree(scratch, ignore_errors=True)
        if helper is not None:
            helper.join()  # its files are done (or it failed) before the build goes on, or cleans up
    return [results[p.name] for p in profiles]


class RenderWorker:
    """One long-lived render process, for `watch`: its section cache stays warm between rebuilds.

    The same limits hold as for one-off renders; a worker stopped by a limit is replaced by a fresh one.
    """

    def __init__(self) -> None:
        self.process = None
        self.connection = None
        self.scratch: str | None = None

    def render(self, issue: PreparedIssue, profile: OutputProfile, cache_dir: Path, limits: Limits) -> Edition:
        if self.process is None or not self.process.is_alive():
            self._start()
        started = time.monotonic()
        try:
            self.connection.send((issue, profile, cache_dir))
            while not self.connection.poll(POLL_SECONDS):
                if not self.process.is_alive():
                    raise RenderError(
                        f"the {profile.name} edition's render stopped unexpectedly (exit code {self.process.exitcode})"
                    )
                _enforce(profile.name, self.process, limits, started)
        except BaseException:
            self.close()  # stopped mid-render, or its answer unread: start afresh next time
            raise
        return _result(profile.name, self.connection)

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.connection.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.process = self.connection = self.scratch = None

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe(duplex=True)
        self.scratch = tempfile.mkdtemp(prefix="issue-builder-")
        self.process = context.Process(target=_in_scratch, args=(self.scratch, _serve, theirs), daemon=True)
        self.process.start()
        theirs.close()


def _in_scratch(scratch: str, target: Callable, *args) -> None:
    """Run `target` in a child process whose temporary files go to `scratch` (removed by the parent: a child
    exits without Python's clean-up) and which ends when its parent does (a killed render leaves no orphans)."""
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    target(*args)


def _serve(connection) -> None:
    while True:
        try:
            issue, profile, cache_dir = connection.recv()
        except EOFError:
            return
        _child(issue, profile, cache_dir, connection, close=False)


def _child(issue: PreparedIssue, profile: OutputProfile, cache_dir: Path, send, close: bool = True) -> None:
    try:
        from issue_builder.editions.render import render_edition

        send.send(("ok", render_edition(issue, profile, cache_dir)))
    except IssueBuilderError as exc:
        send.send(("user", type(exc).__name__, str(exc), exc.diagnostics))
    except OSError as exc:  # a full disk or temporary folder: the user's to fix, not a bug
        send.send(
            (
                "user",
                "OutputError",
                f"the {profile.name} edition could not be rendered: "
                f"{exc.strerror or exc}{f' ({exc.filename})' if exc.filename else ''}",
                [],
            )
        )
    except Exception as exc:
        send.send(("bug", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        if close:
            send.close()


def _result(name: str, receive) -> Edition:
    try:
        message = receive.recv()
    except EOFError:
        raise RenderError(f"the {name} edition's render stopped without a result") from None
    if message[0] == "ok":
        return message[1]
    if message[0] == "user":
        _, kind, text, diagnostics = message
        raise _ERRORS.get(kind, IssueBuilderError)(text, diagnostics)
    raise InternalError(f"{message[1]} (in the {name} edition's render process)", message[2])


def _enforce(name: str, process, limits: Limits, started: float) -> None:
    elapsed = time.monotonic() - started
    if elapsed > limits.seconds:
        raise RenderError(
            f"the {name} edition took longer than {limits.seconds:g} s and was stopped; "
            "raise limits.seconds in the publication file if the issue really needs it"
        )
    rss = resident_mb(process.pid)
    if rss is not None and rss > limits.memory_mb:
        raise RenderError(
            f"the {name} edition needed more than {limits.memory_mb} MB of memory and was stopped; "
            "raise limits.memory_mb in the publication file if the issue really needs it"
        )


def resident_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (Linux /proc; None where that is not available)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def cpu_count() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
