"""Shared fixtures: fixture issues copied to a temporary folder, the CLI run in-process, renders made once a session
for the tests that only read them."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
from pathlib import Path

import pytest

from helpers import REPO, copy_fixture, run_cli
from issue_builder.cli import main


@pytest.fixture
def cli(capsys):
    return lambda *args: run_cli(capsys, *args)


@pytest.fixture
def bulletin(tmp_path: Path) -> Path:
    """A fresh copy of the second sample issue (A5, one column, own layout override)."""
    return copy_fixture("bulletin", tmp_path)


@pytest.fixture(scope="session")
def rendered_bulletin(tmp_path_factory) -> Path:
    """The bulletin rendered once with --strict (any WeasyPrint warning fails); returns the output folder."""
    folder = copy_fixture("bulletin", tmp_path_factory.mktemp("bulletin"))
    out = folder / "out"
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["render", str(folder / "7.yaml"), "--out", str(out), "--strict", "--keep-html"])
        except SystemExit as exc:
            code = exc.code
    assert code == 0, err.getvalue()
    assert "warning" not in err.getvalue().lower(), err.getvalue()
    return out


@pytest.fixture(scope="session")
def rendered_18(tmp_path_factory) -> Path:
    """Issue 18 (issues/18.yaml) rendered once a test run, every edition; returns the output folder. Only read it:
    a test that writes beside it starts from `issue_18_cache` instead. Under pytest-xdist the workers share one
    render, made by the first that needs it while the others wait (xdist's `loadgroup` cannot keep the tests on one
    worker under pytest 9.2, whose node ids it no longer marks)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent  # this run's folder, above each worker's own
    else:
        shared = tmp_path_factory.mktemp("shared")
    out = shared / "issue18"
    with open(shared / "issue18.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = shared / "issue18.done"
        if not done.exists():
            err = io.StringIO()
            code = 0
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    main(["render", str(REPO / "issues" / "18.yaml"), "--out", str(out)])
                except SystemExit as exc:
                    code = exc.code
            assert code == 0, err.getvalue()
            # the only accepted warning until page filling lands: the saddle-stitch page count
            unexpected = [
                line
                for line in err.getvalue().splitlines()
                if line.startswith("warning") and "saddle-stitch" not in line
            ]
            assert unexpected == []
            done.touch()
    return out


@pytest.fixture
def issue_18_cache(rendered_18: Path, tmp_path: Path) -> Path:
    """A new output folder for issues/18.yaml holding only a copy of `rendered_18`'s caches (laid-out sections,
    converted pictures), without its outputs or build records: a command of the test's own that builds issue 18
    into it lays out no section anew, but still writes, finishes and checks every edition it makes."""
    out = tmp_path / "issue18"
    shutil.copytree(rendered_18 / ".cache", out / ".cache", ignore=shutil.ignore_patterns("build-*.json"))
    return out
