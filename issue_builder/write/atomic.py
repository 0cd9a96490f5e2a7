"""All-or-nothing output: every file goes to a temporary neighbour, is checked, then renamed into place."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Callable


def replace_all(outputs: dict[Path, bytes], check: Callable[[Path, Path], None]) -> None:
    """Write each target's bytes beside it, call `check(temp, target)`, then rename all into place.

    If writing or any check fails, no target is touched and no temporary file is left behind.
    """
    temps: dict[Path, Path] = {}
    try:
        for target, data in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temps[target] = temp
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            check(temp, target)
        for target, temp in temps.items():
            os.replace(temp, target)
        for folder in {t.parent for t in temps}:
            _fsync_dir(folder)
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` (relative names) into a new folder that then replaces `folder` whole."""
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if folder.exists():
            os.replace(folder, old)
        os.replace(staging, folder)
    finally:
        for leftover in (staging, old):
            if leftover.exists():
                shutil.rmtree(leftover)
