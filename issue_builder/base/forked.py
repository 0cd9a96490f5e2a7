"""Run a function in a forked copy of this process and take its result back: work side by side on Linux."""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from issue_builder.base.bounded import ChildFailed

PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for the child when its parent dies


class Forked:
    """A function running in a forked child; `result()` waits for it and returns or raises what it did."""

    def __init__(self, function: Callable[[], Any]):
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: run, send the outcome, leave without any of the parent's clean-up
            os.close(read)
            if sys.platform == "linux":
                with contextlib.suppress(OSError, AttributeError):
                    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            try:
                outcome = ("ok", function())
            except BaseException as exc:  # every outcome goes back to the parent
                outcome = ("raised", exc, traceback.format_exc())
            try:
                data = pickle.dumps(outcome)
            except Exception as exc:
                data = pickle.dumps(("raised", RuntimeError(f"{type(exc).__name__}: {exc}"), ""))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            os._exit(0)
        os.close(write)
        self.pipe = os.fdopen(read, "rb")

    def result(self) -> Any:
        """What the function returned; what it raised is raised here (a bug as ChildFailed with its traceback)."""
        try:
            data = self.pipe.read()
        finally:
            self.pipe.close()
            os.waitpid(self.pid, 0)
        if not data:
            raise ChildFailed("the forked process stopped without a result", "")
        outcome = pickle.loads(data)
        if outcome[0] == "ok":
            return outcome[1]
        exc, child_traceback = outcome[1], outcome[2]
        if isinstance(exc, OSError) or (
            isinstance(exc, Exception) and type(exc).__module__.startswith("issue_builder")
        ):
            raise exc
        raise ChildFailed(f"{type(exc).__name__}: {exc} (in a forked process)", child_traceback)
