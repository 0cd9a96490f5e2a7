"""Work a finisher starts beside the layout: the print pictures' CMYK, converted into the cache it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import copy_fixture
from issue_builder.editions.early import convert_print_pictures
from issue_builder.editions.finishers import FINISHERS, EditionOptions, FinishJob
from issue_builder.layout.document import lay_out_issue
from issue_builder.prepare.issue import prepare_issue


@pytest.mark.slow
def test_the_print_finisher_uses_the_pictures_converted_beside_the_layout(tmp_path: Path):
    issue = prepare_issue(copy_fixture("quartier", tmp_path) / "3.yaml", {})
    early, cold = tmp_path / "early", tmp_path / "cold"
    early.mkdir(), cold.mkdir()
    assert convert_print_pictures(issue, early.resolve()) == 2  # the quartier's two RGB JPEG photographs
    converted = sorted(p.name for p in early.glob("cmyk-*"))
    assert len(converted) == 2
    layout = lay_out_issue(issue, early)
    ahead = FINISHERS["print"].finish(layout.pdf, FinishJob(issue, layout, early.resolve(), EditionOptions()))
    assert sorted(p.name for p in early.glob("cmyk-*")) == converted  # the finisher found them: none converted again
    alone = FINISHERS["print"].finish(layout.pdf, FinishJob(issue, layout, cold.resolve(), EditionOptions()))
    assert ahead.pdf == alone.pdf
    assert sorted(p.name for p in cold.glob("cmyk-*")) == converted
