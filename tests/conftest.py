"""Shared fixtures: fixture issues copied to a temporary folder, the CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import copy_fixture, run_cli
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
    import contextlib
    import io

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
