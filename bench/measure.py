"""Measuring one command: wall, CPU and peak RSS of its whole process tree, in a fresh wrapper process."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MARK = "BENCH-MEASURE "
# Runs the command as its child (with Ctrl-C's default action even when started in the background, where SIGINT
# is ignored and the ignoring inherited), forwards SIGINT to it, and prints the figures of the finished tree as its
# last line. ru_maxrss of RUSAGE_CHILDREN is the largest RSS of any waited-for descendant (Linux), not a sum.
WRAPPER = f"""
import json, resource, signal, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
print({MARK!r} + json.dumps({{'pid': p.pid}}), flush=True)
signal.signal(signal.SIGINT, lambda *_: p.send_signal(signal.SIGINT))
code = p.wait()
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print({MARK!r} + json.dumps({{'code': code, 'wall': wall, 'cpu': u.ru_utime + u.ru_stime,
                             'rss_mb': u.ru_maxrss / 1024}}), flush=True)
"""
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}


def _split(stdout: str) -> tuple[str, dict]:
    """The command's own output, and the wrapper's final figures."""
    own, figures = [], {}
    for line in stdout.splitlines():
        if line.startswith(MARK):
            figures.update(json.loads(line[len(MARK) :]))
        else:
            own.append(line)
    return "\n".join(own), figures


def measure(command: list[str], cwd: Path | None = None) -> dict:
    """Run `command` to its end in a fresh wrapper; its figures plus its stdout and stderr."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, cwd=cwd, env=ENV)
    stdout, figures = _split(done.stdout)
    if "code" not in figures:
        raise RuntimeError(f"the measuring wrapper failed:\n{done.stderr}")
    figures.pop("pid", None)
    return {**figures, "stdout": stdout, "stderr": done.stderr}


def tree_cpu(pid: int) -> float:
    """CPU seconds so far of `pid` and its live descendants (reaped ones are in their parents' cutime/cstime)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in stat[11:15])  # utime stime cutime cstime (fields 14-17)
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / tick


@dataclass
class Session:
    """A long-running command (`watch`) under the wrapper, whose output lines are read as they come."""

    command: list[str]
    cwd: Path | None = None
    figures: dict = field(default_factory=dict)
    seen: list[tuple[float, str]] = field(default_factory=list)  # (time read, line) of stdout and stderr

    def start(self) -> None:
        self._queue: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self._cursor, self._ended = 0, 0
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *self.command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.cwd,
            env=ENV,
            bufsize=1,
        )
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put((time.perf_counter(), line.rstrip("\n")))
        self._queue.put((time.perf_counter(), None))

    def _pull(self, timeout: float) -> None:
        """Take one line off the streams (raises queue.Empty on timeout)."""
        at, line = self._queue.get(timeout=max(0.01, timeout))
        if line is None:
            self._ended += 1
        elif line.startswith(MARK):
            self.figures.update(json.loads(line[len(MARK) :]))
        else:
            self.seen.append((at, line))

    def wait_for(self, *texts: str, timeout: float) -> tuple[float, str]:
        """Time and text of the next line containing one of `texts`; RuntimeError on timeout or exit."""
        deadline = time.perf_counter() + timeout
        while True:
            while self._cursor < len(self.seen):
                at, line = self.seen[self._cursor]
                self._cursor += 1
                if any(t in line for t in texts):
                    return at, line
            if self._ended == 2:
                raise RuntimeError(f"the command ended (exit {self.figures.get('code')}) before printing {texts}")
            try:
                self._pull(deadline - time.perf_counter())
            except queue.Empty:
                raise RuntimeError(f"no line with {texts} within {timeout:.0f} s") from None

    def skip_pending(self) -> None:
        """Forget the lines printed so far, so that the next wait_for sees only later ones."""
        while not self._queue.empty():
            self._pull(0.01)
        self._cursor = len(self.seen)

    def child_pid(self, timeout: float = 30) -> int:
        """The process id of the command itself (the wrapper's child)."""
        while "pid" not in self.figures and self._ended < 2:
            self._pull(timeout)
        return self.figures["pid"]

    def stop(self, timeout: float = 60) -> dict:
        """Stop the command with SIGINT (forwarded by the wrapper); the tree's figures."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=timeout)
        while self._ended < 2:
            self._pull(timeout)
        return self.figures
