"""The files a build keeps by content in its cache (pictures converted and reduced, PNG streams, the web page's
pictures and fonts) stay within a size: the least recently used go, never one the build used."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from PIL import Image

from helpers import copy_fixture, digests, run_cli
from issue_builder.base import kept_files
from issue_builder.base.kept_files import prune_kept, read_kept

KEPT = re.compile(r"(cmyk|rgb|web|png|page)-[0-9a-f]{32}\.(jpg|bin)|[0-9a-f]{24}-[a-z0-9-]+\.(jpg|png)")


def _aged(path: Path, seconds: float) -> Path:
    os.utime(path, (time.time() - seconds, time.time() - seconds))
    return path


def test_the_least_recently_used_go_first_and_nothing_used_since_the_build_began(tmp_path: Path):
    old = [tmp_path / f"{kind}-{n:032x}.jpg" for n, kind in enumerate(["cmyk", "web", "page"])]
    records = ["web-rewritten.bin", "page-text-1-print.json", "placing.json", "web-repair-pages.json", "issue.json"]
    for n, path in enumerate(old):
        _aged(_written(path, 1000), 400 - 100 * n)  # the first the least recently used
    for name in records:  # the build's records: never pruned here, however old
        _aged(_written(tmp_path / name, 1000), 1000)
    began = time.time()
    used = _written(tmp_path / f"png-{9:032x}.bin", 5000)  # used by this build: kept whatever the size
    prune_kept(tmp_path, began, limit=7500)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*records, old[1].name, old[2].name, used.name])
    prune_kept(tmp_path, began, limit=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*records, used.name])


def _written(path: Path, size: int) -> Path:
    path.write_bytes(b"x" * size)
    return path


def test_a_kept_file_read_counts_as_used(tmp_path: Path):
    path = _aged(_written(tmp_path / f"web-{1:032x}.bin", 4), 1000)
    assert read_kept(path) == b"xxxx" and path.stat().st_mtime > time.time() - 60
    assert read_kept(tmp_path / f"web-{2:032x}.bin") is None


def test_a_build_drops_what_earlier_builds_kept_and_it_did_not_use(tmp_path: Path, capsys, monkeypatch):
    """Pictures replaced, or a new version of the tool (every key changes): what no build uses any more goes once
    the cache passes its size; what the build used stays, and the next build reads it."""
    folder = copy_fixture("bulletin", tmp_path)
    pictures = folder / "7" / "img"
    with Image.open(pictures / "plan.jpg") as plan:  # in CMYK: the web page places a copy in sRGB
        plan.convert("CMYK").save(pictures / "plan.jpg", quality=90)
    with Image.open(pictures / "towers.jpg") as towers:  # with a description: a copy without it is placed
        exif = Image.Exif()
        exif[0x010E] = "Towers on the estate"
        towers.save(pictures / "towers.jpg", quality=90, exif=exif)
    render = ("render", str(folder / "7.yaml"), "--out", str(folder / "out"))
    assert run_cli(capsys, *render).exit_code == 0
    cache = folder / "out" / ".cache"
    kept = {p.name for p in cache.iterdir() if KEPT.fullmatch(p.name)}
    kinds = {name.split("-", 1)[0] if name[24:25] != "-" else name[38:] for name in kept}  # picture-code-kind
    assert kinds >= {"cmyk", "web", "page", "png", "clean.jpg", "srgb.jpg"}, kinds
    stale = [cache / f"cmyk-{'ab' * 16}.jpg", cache / f"web-{'cd' * 16}.bin", cache / f"{'ef' * 12}-srgb.jpg"]
    for path in stale:  # left by the build of a picture since replaced
        path.write_bytes(b"x" * 100_000)
        _aged(path, 3600)
    for path in cache.iterdir():  # all from a build an hour ago
        _aged(path, 3600)
    monkeypatch.setattr(kept_files, "KEPT_BYTES", 0)  # every file this build did not use is beyond the size
    before = digests(folder / "out")
    shutil.rmtree(cache / "sections")  # every section laid out again: its pictures' streams are read too
    (folder / "links").mkdir()
    for name in kept:  # a second name for each: a file dropped and made again has one only
        os.link(cache / name, folder / "links" / name)
    assert run_cli(capsys, *render, "--force").exit_code == 0
    assert {p.name for p in cache.iterdir() if KEPT.fullmatch(p.name)} == kept
    assert [name for name in kept if (cache / name).stat().st_nlink != 2] == []  # none dropped and made again
    assert digests(folder / "out") == before
