"""The documentation: the MkDocs site in docs/ builds with --strict and its manifest reference is the one the
schema generates; the README stays a newcomer's short first page whose links into docs/ hold."""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

README = REPO / "README.md"
ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<type>.*?) \| (?P<default>.*?) \| (?P<doc>.*) \|$")


def _generated_reference() -> str:
    """The reference through the docs hook itself, so that the module making it is named in one place."""
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks.reference_markdown()


def _seen_in_markdown(text: str) -> str:
    """What a reader sees of a Markdown table cell: code backticks and emphasis dropped, spaces collapsed."""
    return " ".join(text.replace("`", " ").replace("*", " ").split())


def _seen_in_html(markup: str) -> str:
    """What a reader sees of HTML: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_the_site_builds_strictly(site):
    assert (site / "index.html").is_file()
    for page in ("commands", "manifest", "guarantees", "printing", "web", "proofing", "layouts", "development"):
        assert (site / page / "index.html").is_file(), page


def test_the_manifest_page_holds_the_reference_generated_from_the_schema(site):
    expected = [ROW.match(line) for line in _generated_reference().splitlines()]
    expected = [(_seen_in_markdown(m["key"]), _seen_in_markdown(m["doc"])) for m in expected if m]
    assert len(expected) > 20 and expected[0][0] == "issue"
    page = (site / "manifest" / "index.html").read_text("utf-8")
    built = set()
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        cells = [_seen_in_html(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        if len(cells) == 4:
            built.add((cells[0], cells[3]))
    missing = [row for row in expected if row not in built]
    assert not missing, f"rows of the generated reference missing from the built manifest page: {missing[:5]}"
    assert "<!-- manifest-reference" not in page, "the marker was left in the built page"


def test_the_readme_is_a_short_first_page_with_the_two_commands():
    text = README.read_text("utf-8")
    lines = text.splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move details into docs/"
    block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert block, "README.md has no ```sh block with the set-up commands"
    commands = [line.split("#")[0].strip() for line in block[1].splitlines()]
    assert "make render" in commands and "make test" in commands


def test_the_readme_links_into_docs_hold():
    text = README.read_text("utf-8")
    targets = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)  # [words](target "title")
    targets += re.findall(r"^\[[^\]]+\]:\s*(\S+)", text, re.MULTILINE)  # [label]: target
    relative = [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]
    assert any(t.startswith("docs/") for t in relative), "README.md links to no page in docs/"
    broken = [t for t in relative if not (REPO / t.split("#")[0]).is_file()]
    assert not broken, f"README.md links to missing files: {broken}"
