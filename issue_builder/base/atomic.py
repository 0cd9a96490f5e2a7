"""All-or-nothing output: every file goes to a temporary neighbour, is checked, then renamed into place."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from issue_builder.base.diagnostics import OutputError


def replace_all(outputs: dict[Path, bytes], check: Callable[[Path, Path], None]) -> None:
    """Write each target's bytes beside it, call `check(temp, target)` for each, then rename all into place.

    If writing or any check fails, no target is touched and no temporary file is left behind.
    """
    replace_all_checked(outputs, lambda temps: [check(temp, target) for target, temp in temps.items()])


def replace_all_checked(outputs: dict[Path, bytes], check_all: Callable[[dict[Path, Path]], object]) -> None:
    """Write each target's bytes beside it, call `check_all({target: temp})` once (checks that may run side by
    side), then rename all into place; as `replace_all`, all or nothing."""
    temps: dict[Path, Path] = {}
    try:
        for target, data in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_temps(target)
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temps[target] = temp
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        check_all(dict(temps))
        for target, temp in temps.items():
            os.replace(temp, target)
        for folder in {t.parent for t in temps}:
            _fsync_dir(folder)
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def write_whole(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (its folder made if need be); an OSError is the caller's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def store_in_cache(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all; a cache that cannot be written only costs time, so errors pass."""
    with contextlib.suppress(OSError):
        write_whole(path, data)


def _remove_stale_temps(target: Path) -> None:
    """Temporary files of renders that were killed (their process is gone) are removed."""
    remove_dead_temps(target.parent, f".{target.name}.*.tmp")


def remove_dead_temps(folder: Path, pattern: str = ".*.tmp") -> None:
    """Temporary files `.<name>.<pid>.tmp` in `folder` (those `pattern` matches) whose process is gone are removed:
    what a render stopped by a limit, or killed outright, was writing (a laid-out issue or a finished edition can
    be hundreds of MB)."""
    try:
        temps = list(folder.glob(pattern))
    except OSError:
        return
    for temp in temps:
        pid = temp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not process_alive(int(pid)) and not temp.is_dir():
            with contextlib.suppress(OSError):
                temp.unlink()


def _remove_stale_swaps(folder: Path) -> None:
    """The staging and previous folders of a swap whose render was killed (its process gone) are removed; if it was
    killed between its two renames, the previous folder is put back first."""
    for suffix in (".old", ".tmp"):  # the previous folder first: it goes back if the folder itself is missing
        for leftover in folder.parent.glob(f".{folder.name}.*{suffix}"):
            pid = leftover.name.removeprefix(f".{folder.name}.").removesuffix(suffix)
            if not pid.isdigit() or process_alive(int(pid)):
                continue
            if suffix == ".old" and not folder.exists():
                with contextlib.suppress(OSError):
                    os.replace(leftover, folder)
                    continue
            shutil.rmtree(leftover, ignore_errors=True)


SCRATCH_PREFIX = "issue-builder-scratch-"


def scratch_folder() -> Path:
    """A temporary folder for this process's children, named after this process: the next render removes it if we
    are killed (a child killed outright leaves its files there for its parent to remove, not in the system's)."""
    remove_stale_scratch(Path(tempfile.gettempdir()), SCRATCH_PREFIX)
    try:
        return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    except OSError as exc:
        raise OutputError(
            f"cannot make a temporary folder in {tempfile.gettempdir()}: {exc.strerror or exc}; free some space "
            "there, or set TMPDIR to a folder that has some"
        ) from None


def remove_stale_scratch(parent: Path, prefix: str) -> None:
    """Folders `<prefix><pid>-*` in `parent` whose process is gone (a render killed outright) are removed."""
    for leftover in parent.glob(f"{prefix}*-*"):
        pid = leftover.name.removeprefix(prefix).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)) and leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Whether a process of that id runs (one of another user counts; one that has ended but not yet been waited
    for, a zombie, does not: it writes nothing more)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (or the process just went): it is taken to run


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` (relative names) into a new folder that then replaces `folder` whole."""
    _remove_stale_swaps(folder)
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
        for _ in range(10):  # another render of the same issue may be swapping its folder in at the same moment
            if old.exists():
                shutil.rmtree(old)
            with contextlib.suppress(FileNotFoundError):
                os.replace(folder, old)  # kept until the new folder is in place
            try:
                os.replace(staging, folder)
                break
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    with contextlib.suppress(OSError):
                        os.replace(old, folder)  # the previous folder goes back
                    raise
        else:
            raise OSError(errno.EBUSY, f"{folder} kept being replaced by another render")
    finally:
        for leftover in (staging, old):
            if leftover.exists():
                shutil.rmtree(leftover)
