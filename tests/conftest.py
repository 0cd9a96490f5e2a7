"""Shared fixtures: fixture issues copied to a temporary folder, the CLI run in-process."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest

from issue_builder.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@dataclass
class Result:
    """What a user sees after running the command."""

    exit_code: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> Result:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return Result(code, out, err)


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy a fixture issue folder to `dest` and return the copy's folder."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def page_texts(pdf: Path) -> list[str]:
    """The text of every page, in order."""
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        texts = []
        for page in doc:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


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
