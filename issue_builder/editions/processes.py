"""Render in a child process bounded in time and memory: a one-off child, or a long-lived worker for `watch`."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from issue_builder.base.atomic import scratch_folder
from issue_builder.base.diagnostics import IssueBuilderError, ManifestError, OutputError, RenderError
from issue_builder.base.forked import ChildFailed, Limits, die_with_parent
from issue_builder.prepare.content import PreparedIssue

if TYPE_CHECKING:
    from issue_builder.editions.finishers import EditionOptions, Rendered

_ERRORS = {cls.__name__: cls for cls in (IssueBuilderError, ManifestError, OutputError, RenderError)}
POLL_SECONDS = 0.1
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def render_in_child(
    issue: PreparedIssue,
    editions: tuple[str, ...],
    cache_dir: Path,
    options: EditionOptions,
    limits: Limits,
    step: Callable[[str], None] = lambda _: None,
    worker: RenderWorker | None = None,
    meanwhile: Callable[[], None] | None = None,
    ready: Callable[[object], None] | None = None,
) -> Rendered:
    """The issue laid out and its `editions` finished in a child process (or in `worker`), bounded by `limits`.

    A child that runs past `limits.seconds` or whose resident memory passes `limits.memory_mb` is killed and the
    build fails with a message saying which limit was hit and where to raise it. `meanwhile` runs in a thread of
    this process while the child works. `ready` is given the layout (without its PDF) as soon as it is laid out,
    then each edition as soon as it is finished, while the child goes on (`meanwhile` is done by then: `ready` may
    fork).
    """
    request = (issue, editions, cache_dir, options, ready is not None)
    if worker is not None:
        return worker.render(request, limits, step, ready, meanwhile)
    import issue_builder.editions.render  # noqa: F401 - loaded once, before the fork: every child inherits it

    context = multiprocessing.get_context("fork")  # the prepared issue is inherited, not pickled
    receive, send = context.Pipe(duplex=False)
    scratch = str(scratch_folder())
    process = context.Process(target=_in_scratch, args=(scratch, _child, request, send), daemon=True)
    helper = None

    def finished(what: object) -> None:
        if helper is not None:
            helper.join()  # a fork while a thread holds a lock (imports, logging) could leave the child waiting
        ready(what)

    try:
        process.start()
        send.close()
        if meanwhile is not None:
            # started only once the child has forked, for the same reason
            helper = threading.Thread(target=meanwhile, daemon=True)
            helper.start()
        return _await(process, receive, limits, step, finished if ready is not None else None)
    finally:
        process.kill()
        process.join()
        receive.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if helper is not None:
            helper.join()  # its files are done (or it failed) before the build goes on, or cleans up


def _await(
    process, connection, limits: Limits, step: Callable[[str], None], ready: Callable[[object], None] | None = None
) -> Rendered:
    """The child's result, its progress passed to `step` and what it has made so far to `ready`, the limits enforced
    while it works."""
    started = time.monotonic()
    while True:
        if connection.poll(POLL_SECONDS):
            try:
                message = connection.recv()
            except EOFError:
                raise RenderError("the render stopped without a result") from None
            if message[0] == "step":
                step(message[1])
                continue
            if message[0] == "ready":
                if ready is not None:
                    ready(message[1])
                continue
            return _result(message)
        if not process.is_alive() and not connection.poll():
            raise RenderError(f"the render stopped unexpectedly (exit code {process.exitcode})")
        _enforce(process, limits, started)


class RenderWorker:
    """One long-lived render process, for `watch`: it saves starting a process for each rebuild (the layout's
    section cache is on disk, `<out>/.cache/sections/`, so every build reuses it); and for a one-off build, started
    before the manifest is read, so that it loads the layout code while the issue is prepared.

    The same limits hold as for one-off renders; a worker stopped by a limit is replaced by a fresh one.
    """

    def __init__(self) -> None:
        self.process = None
        self.connection = None
        self.scratch: str | None = None

    def render(
        self,
        request: tuple,
        limits: Limits,
        step: Callable[[str], None],
        ready: Callable[[object], None] | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> Rendered:
        if self.process is None or not self.process.is_alive():
            self.start()
        helper = None

        def finished(what: object) -> None:
            if helper is not None:
                helper.join()  # `ready` may fork: not while a thread holds a lock (imports, logging)
            ready(what)

        try:
            self.connection.send(request)
            if meanwhile is not None:
                helper = threading.Thread(target=meanwhile, daemon=True)
                helper.start()
            return _await(self.process, self.connection, limits, step, finished if ready is not None else None)
        except BaseException:
            self.close()  # stopped mid-render, or its answer unread: start afresh next time
            raise
        finally:
            if helper is not None:
                helper.join()

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.connection.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.process = self.connection = self.scratch = None

    def start(self) -> None:
        """Start the process (it loads the layout code at once); `render` starts it when it is not running."""
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe(duplex=True)
        self.scratch = str(scratch_folder())
        self.process = context.Process(target=_in_scratch, args=(self.scratch, _serve, theirs), daemon=True)
        self.process.start()
        theirs.close()


def _in_scratch(scratch: str, target: Callable, *args) -> None:
    """Run `target` in a child process whose temporary files go to `scratch` (removed by the parent: a child
    exits without Python's clean-up) and which ends when its parent does (a killed render leaves no orphans)."""
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(multiprocessing.parent_process().pid)
    target(*args)


def _serve(connection) -> None:
    import issue_builder.editions.render  # noqa: F401 - loaded while the parent prepares the issue

    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        _child(request, connection, close=False)


def _child(request: tuple, send, close: bool = True) -> None:
    try:
        from issue_builder.editions.render import render_issue

        issue, editions, cache_dir, options, notify = request
        ready = (lambda what: send.send(("ready", what))) if notify else None
        rendered = render_issue(issue, editions, cache_dir, options, lambda text: send.send(("step", text)), ready)
        send.send(("ok", rendered))
    except IssueBuilderError as exc:
        send.send(("user", type(exc).__name__, str(exc), exc.diagnostics))
    except OSError as exc:  # a full disk or temporary folder: the user's to fix, not a bug
        name = exc.filename if isinstance(exc.filename, str | os.PathLike) else getattr(exc.filename, "name", None)
        where = f" (writing {name})" if name else ""
        message = f"the issue could not be rendered: {exc.strerror or exc}{where}; earlier outputs were kept"
        send.send(("user", "OutputError", message, []))
    except Exception as exc:
        send.send(("bug", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        if close:
            send.close()


def _result(message: tuple) -> Rendered:
    if message[0] == "ok":
        return message[1]
    if message[0] == "user":
        _, kind, text, diagnostics = message
        raise _ERRORS.get(kind, IssueBuilderError)(text, diagnostics)
    raise ChildFailed(f"{message[1]} (in the render process)", message[2])


def _enforce(process, limits: Limits, started: float) -> None:
    elapsed = time.monotonic() - started
    if elapsed > limits.seconds:
        raise RenderError(
            f"the render took longer than {limits.seconds:g} s and was stopped; "
            "raise limits.seconds in the publication file if the issue really needs it"
        )
    rss = resident_mb(process.pid, exact=False)
    if rss is not None and rss > limits.memory_mb:
        rss = resident_mb(process.pid)  # resident sizes count pages shared after a fork twice: look closer
    if rss is not None and rss > limits.memory_mb:
        raise RenderError(
            f"the render needed more than {limits.memory_mb} MB of memory and was stopped; "
            "raise limits.memory_mb in the publication file if the issue really needs it"
        )


def resident_mb(pid: int, exact: bool = True) -> float | None:
    """Memory of a process and its children in MB: their proportional set sizes (pages shared after a fork
    counted once), or resident sizes where the kernel gives no PSS; None where /proc is not available.

    Not `exact`: the sum of resident sizes, an upper bound read in microseconds (PSS takes milliseconds a process,
    too dear to poll ten times a second through a whole render).
    """
    total, found = 0.0, False
    for member in [pid, *_descendants(pid)]:
        if exact:
            size = _field_kb(f"/proc/{member}/smaps_rollup", "Pss:") or _field_kb(f"/proc/{member}/status", "VmRSS:")
        else:
            size = _statm_kb(member)
        if size is not None:
            total, found = total + size / 1024, True
    return total if found else None


def _statm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * PAGE_KB
    except (OSError, ValueError, IndexError):
        return None


def _descendants(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
            children = [int(c) for c in listing.read().split()]
    except (OSError, ValueError):
        return []
    return [d for c in children for d in (c, *_descendants(c))]


def _field_kb(path: str, name: str) -> int | None:
    try:
        with open(path, encoding="ascii") as lines:
            for line in lines:
                if line.startswith(name):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
