"""What the tests share beside their fixtures: the fixture folders, the CLI run in-process, PDF text, file edits."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest

from issue_builder.base.stored import SEAL_BYTES, sealed
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


def cli_said(*args: str) -> tuple[int, str]:
    """The CLI run in-process outside pytest's capture (a fixture of a wider scope has none): (exit code, what it
    printed on either stream)."""
    said = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, said.getvalue()


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


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file at `path` with `new`; `old` must be there."""
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(path: Path, needle: str) -> int:
    """The number of the first line of `path` holding `needle`."""
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file directly in `folder`, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def squeeze(text: str) -> str:
    """Text without white space, case or quote style: letter-spaced furniture extracts with spaces between letters,
    and the build sets manifest text with typographic quotes."""
    return re.sub(r"\s+", "", text).upper().translate(QUOTES)


class PrintedLines:
    """What a running command prints, read in a thread so that a test can wait for a line."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=lambda: self.lines.extend(process.stdout), daemon=True)
        self.thread.start()

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def wait_for(self, text: str, count: int = 1, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.count(text) < count:
            assert time.monotonic() < deadline, f"no {text!r} ({count}x) in:\n{''.join(self.lines)}"
            time.sleep(0.1)


def start_watch(folder: Path, *args: str) -> tuple[subprocess.Popen, PrintedLines]:
    """`issue-builder watch 7.yaml --out out --settle 300 ARGS` running in `folder`, and what it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "issue_builder", "watch", "7.yaml", "--out", "out", "--settle", "300", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C's default action even when the tests run in the background (where SIGINT is ignored, inherited so)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    return process, PrintedLines(process)


def kept_body(path: Path) -> bytes:
    """A page record as a build keeps it (base/kept_json.py), without the SHA-256 it ends with."""
    return path.read_bytes()[:-SEAL_BYTES]


def write_kept(path: Path, body: bytes) -> None:
    """`body` written as a build keeps a page record, sealed with its SHA-256: a change the seal cannot see, for the
    reading of each entry to find."""
    path.write_bytes(sealed(body))


def drawn_pictures(pdf) -> list[tuple[object, float]]:
    """Each picture a page of `pdf` (a pikepdf.Pdf) draws, once, with the width over height of the whole picture it
    is, or was cut from: the web edition keeps only the part shown, drawn by a form over that part of the whole."""
    found = {}
    for page in pdf.pages:
        for drawn in page.obj.get("/Resources", {}).get("/XObject", {}).values():
            if drawn.get("/Subtype") == "/Image":
                found[drawn.objgen] = (drawn, int(drawn.Width) / int(drawn.Height))
            elif drawn.get("/Subtype") == "/Form" and "/Picture" in drawn.get("/Resources", {}).get("/XObject", {}):
                picture = drawn.Resources.XObject.Picture
                part_w, part_h = (float(v) for v in drawn.read_bytes().split()[1:5:3])  # "q w 0 0 h x y cm ..."
                found[picture.objgen] = (picture, int(picture.Width) / part_w / (int(picture.Height) / part_h))
    return list(found.values())
