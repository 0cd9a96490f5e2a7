"""Files a build keeps in its cache by content (pictures converted and reduced, PNG streams, the web page's pictures
and fonts): read with their use noted, the least recently used dropped beyond a size."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Callable
from pathlib import Path

SECTIONS = "sections"  # the laid-out sections' folder in a build's cache folder (layout/parallel.py)
IN_USE = ".in-use"  # the lock file in it: held shared by each build laying out, exclusively to prune the cache
KEPT_BYTES = 1024**3  # what they may take in one cache folder; the least recently used go beyond it
CLOCK_SLACK = 2.0  # seconds: a file's time is the kernel's coarse clock, a little behind time.time()
# their names: a kind and a digest of what they were made from (the build's records have names of their own)
_KEPT = re.compile(r"(?:cmyk|rgb|web|png|page)-[0-9a-f]{32}\.(?:jpg|bin)|[0-9a-f]{24}-[a-z0-9-]+\.(?:jpg|png)")


def read_kept(path: Path) -> bytes | None:
    """The bytes of a kept file, its use noted (its modification time set to now); None when it is not there."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    note_use(path)
    return data


def note_use(path: Path) -> None:
    """Note that a kept file was used now: it goes last when the cache is pruned."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune_kept(folder: Path, since: float, limit: int | None = None) -> None:
    """Drop the kept files in `folder` least recently used first until they take at most `limit` bytes (default
    KEPT_BYTES), never one used since `since` (a time.time(): when the build began)."""
    limit = KEPT_BYTES if limit is None else limit
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):  # gone meanwhile
                if _KEPT.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    found.append((stat.st_mtime, entry.name, stat.st_size))
    total = sum(size for _, _, size in found)
    for used, name, size in sorted(found):
        if total <= limit or used >= since - CLOCK_SLACK:
            break
        with contextlib.suppress(OSError):
            (folder / name).unlink()
            total -= size


def when_alone(lock: Path, work: Callable[[], None]) -> None:
    """`work()` holding the lock file `lock` exclusively, unless another build holds it (shared, while it uses the
    cache): then nothing."""
    try:
        with open(lock, "a+b") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError: another build holds it
            work()
    except OSError:
        return
