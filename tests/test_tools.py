"""The sample image painter (tools/paint_sample_images.py) and the sample issue's pictures agree.

Painting takes about 20 s, so it is not run here: `make sample-images` repaints the pictures byte for byte.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from helpers import REPO

IMG = REPO / "issues" / "18" / "img"


def painter():
    spec = importlib.util.spec_from_file_location("paint_sample_images", REPO / "tools" / "paint_sample_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sources_md_is_the_one_the_painter_writes(tmp_path: Path):
    painter().write_sources(tmp_path)
    assert (tmp_path / "SOURCES.md").read_text("utf-8") == (IMG / "SOURCES.md").read_text("utf-8")


def test_the_painter_makes_every_picture_of_the_sample_issue_and_no_other():
    painted = {name for name, *_ in painter().SCENES}
    assert painted == {p.name for p in IMG.iterdir() if p.name != "SOURCES.md"}
