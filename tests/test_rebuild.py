"""Rebuilding: unchanged inputs reuse the outputs, changes are picked up, many issues build at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import copy_fixture, edit, page_texts, start_watch

PRINT = "the-tenant-bulletin-7-print.pdf"


def test_nothing_changed_keeps_the_outputs_and_a_change_renders_again(cli, bulletin: Path):
    out = bulletin / "out"
    first = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    stamps = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.glob("*.pdf")}
    again = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert again.exit_code == 0 and "inputs unchanged, nothing rendered" in again.stdout
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.glob("*.pdf")} == stamps

    forced = cli(
        "render", str(bulletin / "7.yaml"), "--out", str(out), "--force"
    )  # a clean render gives the same bytes
    assert forced.exit_code == 0 and "nothing rendered" not in forced.stdout
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == {k: v[1] for k, v in stamps.items()}

    (out / PRINT).write_bytes(b"%PDF-1.7 damaged by hand")  # an output changed since: rendered again
    repaired = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert "nothing rendered" not in repaired.stdout and (out / PRINT).read_bytes() == stamps[PRINT][1]

    article = bulletin / "7" / "articles" / "meeting.md"
    article.write_text(article.read_text("utf-8") + "\nA new closing line about the next meeting.\n", "utf-8")
    edited = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert edited.exit_code == 0 and "nothing rendered" not in edited.stdout
    assert "A new closing line" in " ".join(" ".join(page_texts(out / PRINT)).split())


def test_several_issues_render_with_a_process_pool(tmp_path: Path):
    seven = copy_fixture("bulletin", tmp_path / "a")
    eight = copy_fixture("bulletin", tmp_path / "b")
    edit(eight / "7.yaml", "issue: 7", "issue: 8")
    broken = copy_fixture("bulletin", tmp_path / "c")
    edit(broken / "7.yaml", "issue: 7", "issue: 9\nissue: 9")
    command = [
        sys.executable,
        "-m",
        "issue_builder",
        "render",
        str(seven / "7.yaml"),
        str(eight / "7.yaml"),
        str(broken / "7.yaml"),
        "-j",
        "2",
        "--only",
        "web",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "1 of 3 issues failed" in done.stderr and "duplicate key" in done.stderr.lower()
    assert "Traceback" not in done.stderr
    assert (tmp_path / "build" / "7" / "the-tenant-bulletin-7-web.pdf").is_file()
    assert (tmp_path / "build" / "8" / "the-tenant-bulletin-8-web.pdf").is_file()
    assert (
        "The Tenant Bulletin, Issue 7: 8 pages" in done.stdout
        and "The Tenant Bulletin, Issue 8: 8 pages" in done.stdout
    )


def test_issues_that_would_share_an_output_folder_are_refused_before_rendering(tmp_path: Path):
    first = copy_fixture("bulletin", tmp_path / "a")
    second = copy_fixture("bulletin", tmp_path / "b")  # another publication's issue 7 would replace web/ in build/7/
    command = [
        sys.executable,
        "-m",
        "issue_builder",
        "render",
        str(first / "7.yaml"),
        str(second / "7.yaml"),
        str(first / "7.yaml"),
        "-j",
        "2",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "a/bulletin/7.yaml, b/bulletin/7.yaml all render into build/7/" in done.stderr  # the repeated one once
    assert "nothing was rendered" in done.stderr and not (tmp_path / "build").exists()


def test_watch_rebuilds_the_proof_after_an_edit_and_survives_a_broken_save(bulletin: Path):
    process, lines = start_watch(bulletin)
    proof = bulletin / "out" / "the-tenant-bulletin-7-proof.pdf"
    try:
        lines.wait_for("watching")
        first = proof.read_bytes()
        article = bulletin / "7" / "articles" / "lease-law.md"
        text = article.read_text("utf-8")
        for n in range(3):  # a burst of saves is rebuilt once it settles
            article.write_text(text + f"\nAn edited closing paragraph, save {n}.\n", "utf-8")
            time.sleep(0.05)
        lines.wait_for("rebuilt", count=2)
        assert proof.read_bytes() != first
        assert "save 2" in " ".join(" ".join(page_texts(proof)).split())
        assert sum("rebuilt" in line for line in lines.lines) == 2  # one rebuild for the burst

        good = proof.read_bytes()
        manifest = bulletin / "7.yaml"
        manifest_text = manifest.read_text("utf-8")
        manifest.write_text(manifest_text + "issue: 8\n", "utf-8")  # a duplicate key: the rebuild fails
        lines.wait_for("rebuild failed; still watching")
        assert proof.read_bytes() == good
        manifest.write_text(manifest_text, "utf-8")
        lines.wait_for("rebuilt", count=3)
        assert not [p for p in (bulletin / "out").iterdir() if p.name.endswith(".tmp")]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        lines.thread.join(timeout=5)
    assert process.returncode == 0, "".join(lines.lines)
    assert "stopped watching" in "".join(lines.lines) and "Traceback" not in "".join(lines.lines)
    assert os.path.isfile(proof)


def test_render_time_and_memory_are_bounded(cli, bulletin: Path):
    publication = bulletin / "publication.yaml"
    original = publication.read_text("utf-8")
    publication.write_text(original + "limits:\n  seconds: 1\n", "utf-8")
    article = bulletin / "7" / "articles" / "rent-strike.md"
    body = article.read_text("utf-8")
    article.write_text(body * 40, "utf-8")  # some 40 pages: well past a second even with everything warm
    slow = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert slow.exit_code == 1 and "took longer than 1 s and was stopped" in slow.stderr, slow.stderr
    assert "limits.seconds" in slow.stderr and not list(bulletin.glob("out/*.pdf"))

    article.write_text(body, "utf-8")
    publication.write_text(original + "limits:\n  memory_mb: 100\n", "utf-8")
    large = cli("render", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert large.exit_code == 1 and "needed more than 100 MB of memory and was stopped" in large.stderr, large.stderr
    assert not list(bulletin.glob("out/*.pdf"))

    publication.write_text(original + "limits:\n  memory_mb: 10\n", "utf-8")
    invalid = cli("check", str(bulletin / "7.yaml"))
    assert invalid.exit_code == 2 and "limits.memory_mb: must be at least 100" in invalid.stderr


def _clean_proof(folder: Path, out: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "issue_builder", "proof", "7.yaml", "--out", out, "--force", "--quiet"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return (folder / out / "the-tenant-bulletin-7-proof.pdf").read_bytes()


def test_proofs_from_a_warm_cache_equal_clean_builds(bulletin: Path, monkeypatch):
    from issue_builder.build.driver import BuildOptions, build_issue
    from issue_builder.editions.processes import RenderWorker

    monkeypatch.chdir(bulletin)
    worker = RenderWorker()
    options = BuildOptions(editions=("proof",), out_dir=Path("warm"), worker=worker)
    proof = bulletin / "warm" / "the-tenant-bulletin-7-proof.pdf"
    lease, rent = bulletin / "7" / "articles" / "lease-law.md", bulletin / "7" / "articles" / "rent-strike.md"
    try:
        laid, cached = build_issue(Path("7.yaml"), options).summary["sections"]
        assert (laid, cached) == (6, 0)  # front, 3 articles, tail and the running heads and folios, each once

        lease.write_text(lease.read_text("utf-8").replace("tenants", "residents", 1), "utf-8")  # a few words
        warm = build_issue(Path("7.yaml"), options)
        assert warm.summary["sections"] == [1, 5]  # only the edited article was laid out again
        assert proof.read_bytes() == _clean_proof(bulletin, "clean1")

        long = "\n\n".join(["A paragraph added to push the rest of the issue along. " * 6] * 6)
        rent.write_text(rent.read_text("utf-8") + "\n\n" + long + "\n", "utf-8")  # later articles move
        shifted = build_issue(Path("7.yaml"), options)
        # the first article grew: it, the contents (the page numbers of the two after it), the tail (fill pages for
        # the new count) and the folios are laid out again; the two articles after it, on the other side now, are not
        assert shifted.summary["pages"] > warm.summary["pages"] and shifted.summary["sections"] == [4, 2]
        assert proof.read_bytes() == _clean_proof(bulletin, "clean2")

        css = bulletin / "layout" / "css" / "extra.css"
        css.write_text(css.read_text("utf-8") + "\n.article-title { letter-spacing: 0.01em; }\n", "utf-8")
        restyled = build_issue(Path("7.yaml"), options)
        assert restyled.summary["sections"] == [6, 0]  # a layout change lays out everything again
        assert proof.read_bytes() == _clean_proof(bulletin, "clean3")
    finally:
        worker.close()


def test_a_new_text_library_renders_again(cli, bulletin: Path, monkeypatch):
    """A system upgrade of Pango or HarfBuzz can move a line break with no Python package changing: not reused."""
    from issue_builder.base import cache as state

    names = state.native_libraries()
    assert any(n.startswith("libharfbuzz-subset.so.0.") for n in names) and any(
        n.startswith("libpango-1.0.so.0.") for n in names
    )
    out = bulletin / "out"
    assert cli("render", str(bulletin / "7.yaml"), "--out", str(out)).exit_code == 0
    assert "nothing rendered" in cli("render", str(bulletin / "7.yaml"), "--out", str(out)).stdout
    upgraded = [n.replace("libharfbuzz.so.0.", "libharfbuzz.so.0.9") for n in names]
    monkeypatch.setattr(state, "native_libraries", lambda: upgraded)
    state.tools_fingerprint.cache_clear()
    state.libraries_fingerprint.cache_clear()
    try:
        again = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    finally:
        state.tools_fingerprint.cache_clear()
        state.libraries_fingerprint.cache_clear()
    assert again.exit_code == 0 and "nothing rendered" not in again.stdout
    assert "sections laid out again" not in again.stdout  # every section laid out: none kept from the old libraries
