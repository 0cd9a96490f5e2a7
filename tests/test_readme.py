"""The README's manifest reference is the one the schema generates."""

from __future__ import annotations

from conftest import REPO
from issue_builder.validate.reference import reference_markdown


def test_readme_holds_the_generated_manifest_reference():
    assert reference_markdown() in (REPO / "README.md").read_text("utf-8")
