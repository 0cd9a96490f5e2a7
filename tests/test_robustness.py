"""Nothing is lost: killed renders, renders running at once, and leftovers of killed renders."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers import digests, run_cli
from issue_builder.base.atomic import remove_dead_temps, scratch_folder
from issue_builder.base.diagnostics import OutputError
from issue_builder.base.forked import Forked
from issue_builder.build import driver
from issue_builder.editions import finishers
from issue_builder.editions.finishers import Edition

COMMAND = [sys.executable, "-m", "issue_builder", "render", "7.yaml", "--out", "out", "--quiet"]


def test_kill_during_a_render_leaves_the_previous_outputs(bulletin: Path):
    first = subprocess.run(COMMAND, cwd=bulletin, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = digests(bulletin / "out")
    article = bulletin / "7" / "articles" / "lease-law.md"
    article.write_text(article.read_text("utf-8") + "\nA changed last paragraph.\n", "utf-8")
    for delay in (0.5, 1.5, 2.5):
        process = subprocess.Popen(COMMAND, cwd=bulletin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = digests(bulletin / "out")
        # either untouched, or (if the kill came after the rename) the complete new files: never a broken one
        for name, digest in after.items():
            if digest != before.get(name):
                assert (bulletin / "out" / name).read_bytes().rstrip().endswith(b"%%EOF"), name
    final = subprocess.run(COMMAND, cwd=bulletin, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert not [p for p in (bulletin / "out").iterdir() if p.name.endswith(".tmp")]


def test_stale_temporary_files_of_killed_renders_are_removed(bulletin: Path):
    out = bulletin / "out"
    out.mkdir()
    stale = out / ".the-tenant-bulletin-7-web.pdf.999999999.tmp"
    stale.write_bytes(b"%PDF-1.7 half written")
    result = subprocess.run(COMMAND + ["--only", "web"], cwd=bulletin, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()


def test_what_a_killed_render_process_was_writing_is_removed_from_the_cache(bulletin: Path, capsys, monkeypatch):
    """The render process killed (as a limit kills it) while an edition is being finished: the laid-out issue and
    the edition it was writing are not left in the cache, where nothing else would ever remove them."""
    out = bulletin / "out"
    web = finishers.FINISHERS["web"]

    def killed_while_writing(pdf, job):
        (job.cache_dir / f".the-tenant-bulletin-7-web.pdf.{job.render_pid}.tmp").write_bytes(b"%PDF-1.7 half")
        os.kill(os.getppid(), signal.SIGKILL)  # the render process that forked this finisher
        time.sleep(60)  # stopped with it (die_with_parent)

    render = ["render", str(bulletin / "7.yaml"), "--out", str(out), "--force"]
    assert run_cli(capsys, *render).exit_code == 0  # an output folder (a failed build removes one it made)
    monkeypatch.setitem(finishers.FINISHERS, "web", dataclasses.replace(web, finish=killed_while_writing))
    failed = run_cli(capsys, *render)
    assert failed.exit_code == 1 and "the render stopped" in failed.stderr, failed.stderr
    assert list((out / ".cache").glob(".*.tmp")) == []  # named after the render process: removed at once
    monkeypatch.setitem(finishers.FINISHERS, "web", web)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # a render killed outright: no process of it is left
    ended.wait()
    (out / ".cache" / f".layout.abcd.{ended.pid}.tmp").write_bytes(b"%PDF-1.7 half written")
    (out / ".cache" / f".layout.abcd.{os.getpid()}.tmp").write_bytes(b"%PDF-1.7 being written")  # a render running
    again = run_cli(capsys, *render)
    assert again.exit_code == 0, again.stderr
    assert [p.name for p in (out / ".cache").glob(".*.tmp")] == [f".layout.abcd.{os.getpid()}.tmp"]


def test_a_finished_edition_left_on_disk_stays_while_its_build_moves_it(tmp_path: Path, monkeypatch):
    """A large edition waits in the cache for its build to check and move it after its finisher has ended: named
    after the render process, it is not what a build running at once into the same folder takes for a leftover."""
    monkeypatch.setattr(finishers, "IN_MEMORY_BYTES", 0)
    issue = SimpleNamespace(slug="the-tenant-bulletin", manifest=SimpleNamespace(issue=7))
    job = SimpleNamespace(issue=issue, cache_dir=tmp_path, render_pid=os.getpid())
    written = Forked(lambda: finishers._written("web", job, lambda target: target.write_bytes(b"%PDF-1.7")))
    data, path = written.result()  # the finisher has ended
    assert data == b"" and path.read_bytes() == b"%PDF-1.7"
    remove_dead_temps(tmp_path)  # another build, starting meanwhile
    assert path.exists()


def test_a_web_swap_killed_between_its_renames_is_undone_by_the_next_render(bulletin: Path):
    """Killed after moving web/ aside and before moving the new one in: the next render cleans up."""
    first = subprocess.run(COMMAND + ["--only", "web"], cwd=bulletin, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    out = bulletin / "out"
    (out / "web").rename(out / ".web.999999999.old")  # the state a SIGKILL between the renames leaves
    (out / ".web.999999999.tmp").mkdir()
    (out / ".web.999999999.tmp" / "index.html").write_text("half", "utf-8")
    again = subprocess.run(COMMAND + ["--only", "web", "--force"], cwd=bulletin, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert (out / "web" / "index.html").is_file() and not list(out.glob(".web.*"))


def test_scratch_folders_of_killed_renders_are_removed_by_the_next(bulletin: Path, tmp_path: Path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    stale = scratch / "issue-builder-scratch-999999999-abcd"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "font.ttf").write_bytes(b"x" * 1000)
    environment = {**os.environ, "TMPDIR": str(scratch)}
    result = subprocess.run(COMMAND + ["--only", "web"], cwd=bulletin, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert not list(scratch.glob("issue-builder-scratch-*"))  # its own scratch folder is gone too


def test_a_check_stopped_mid_way_leaves_no_copy_of_its_edition(tmp_path: Path, monkeypatch):
    """A check is killed when the build fails or is interrupted meanwhile: the copy of the edition it was reading
    goes with it (the test suite alone left 411 such copies in /tmp before)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    reading = tmp_path / "reading"

    def read_slowly(path: Path, *_) -> None:
        reading.write_text(str(path), "utf-8")
        time.sleep(60)

    monkeypatch.setattr(driver, "edition_problems", read_slowly)
    checks = driver._Checks(None, driver.BuildOptions(editions=("print", "web")), tmp_path / "cache")
    checks.layout = SimpleNamespace(article_pages={})
    checks.ready(Edition("print", "x-print.pdf", b"%PDF-1.7 the finished edition", 1))
    deadline = time.monotonic() + 30
    while not reading.exists():
        assert time.monotonic() < deadline, "the check never started"
        time.sleep(0.05)
    assert Path(reading.read_text("utf-8")).read_bytes() == b"%PDF-1.7 the finished edition"
    checks.cancel()
    assert not list((tmp_path / "tmp").iterdir())


def test_two_renders_at_once_do_not_corrupt_each_other(bulletin: Path):
    reference = subprocess.run(COMMAND[:-3] + ["--out", "reference", "--quiet"], cwd=bulletin, capture_output=True)
    assert reference.returncode == 0
    processes = [
        subprocess.Popen(COMMAND, cwd=bulletin, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for process in processes:
        assert process.wait() == 0, process.stderr.read()
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (bulletin / "reference").glob("*.pdf")}
    assert {k: v for k, v in digests(bulletin / "out").items() if k.endswith(".pdf")} == expected
    assert os.path.isfile(bulletin / "out" / "web" / "index.html")


def test_no_room_for_temporary_files_is_a_clear_error(monkeypatch):
    def full(*_, **__):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", full)
    with pytest.raises(OutputError, match="No space left on device; free some space there, or set TMPDIR"):
        scratch_folder()
