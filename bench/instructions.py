"""Instructions a command and every process it starts execute, counted by Valgrind's callgrind.

On a shared machine the CPU seconds of one and the same render swing by 15% from run to run (other work on the
host), more than most changes worth measuring; the instructions executed repeat to within 1%. They are not time (a
cache miss or a page fault costs no instruction), so the targets stay set in the timed figures of `run.py`, and
`run.py --instructions` is for setting two commits side by side. Counting runs each process 20 to 40 times slower.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

# A forked child starts with its parent's counts so far; they are zeroed where CPython hands over to the child, so
# that each process counts only what it executed itself. Programs a process starts (qpdf, Ghostscript) are counted.
CALLGRIND = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--zero-before=PyOS_AfterFork_Child"]


def have_valgrind() -> bool:
    return shutil.which("valgrind") is not None


def count_instructions(command: list[str], cwd: Path | None = None) -> dict:
    """Run `command` under callgrind to its end: the instructions of its whole process tree and how many
    processes ran. SystemExit when it fails."""
    if not have_valgrind():
        raise SystemExit("--instructions needs Valgrind (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="callgrind-") as scratch:
        out = Path(scratch)
        done = subprocess.run(
            [*CALLGRIND, f"--callgrind-out-file={out}/callgrind.%p", *command],
            capture_output=True,
            text=True,
            cwd=cwd,
        )
        if done.returncode != 0:
            said = done.stderr[-3000:]
            raise SystemExit(f"{' '.join(command)} failed under valgrind (exit {done.returncode}):\n{said}")
        counts = [summary(path) for path in sorted(out.glob("callgrind.*"))]
    return {"instructions": sum(counts), "processes": len(counts), "command": command}


def summary(path: Path) -> int:
    """The instructions one callgrind file counts (its `summary:` line); 0 for a process that wrote none (one
    that replaced itself with another program, counted in that program's file)."""
    with path.open("rb") as lines:
        for line in lines:
            if line.startswith(b"summary:"):
                return int(line.split()[1])
    return 0
