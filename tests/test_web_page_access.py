"""The issue's web page for people using a screen reader or the keyboard: axe-core in Chromium, 0 violations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_web_page import ARGS, CHROMIUM

from helpers import REPO

AXE = REPO / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"  # `make test` installs it (npm)
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed (`make test` installs it)"),
]


def _axe(index: Path, width: int) -> list[dict]:
    """The violations axe-core finds on the page at a viewport width (WCAG 2.x A and AA, and best practice)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(index.as_uri(), wait_until="load")
        page.add_script_tag(content=AXE.read_text("utf-8"))
        result = page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
        )
        browser.close()
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [390, 1280])
def test_web_page_has_no_axe_violations(rendered_bulletin: Path, width: int):
    violations = _axe(rendered_bulletin / "web" / "index.html", width)
    assert violations == [], json.dumps(violations, indent=1)


def _keyboard_walk(index: Path) -> dict:
    """Tab through the page: what gets focus first, whether focus is visible, and the headings' levels in order."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(index.as_uri(), wait_until="load")
        page.keyboard.press("Tab")
        first = page.evaluate(
            "() => ({text: document.activeElement.textContent.trim(), href: document.activeElement.getAttribute('href'),"
            " outline: getComputedStyle(document.activeElement).outlineStyle,"
            " shadow: getComputedStyle(document.activeElement).boxShadow})"
        )
        page.keyboard.press("Enter")
        target = page.evaluate("() => location.hash")
        levels = page.evaluate("() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
        browser.close()
    return {"first": first, "target": target, "levels": levels}


def test_web_page_is_usable_with_the_keyboard(rendered_bulletin: Path):
    walk = _keyboard_walk(rendered_bulletin / "web" / "index.html")
    first = walk["first"]
    assert first["href"] and first["href"].startswith("#"), first  # a skip link comes first
    assert "skip" in first["text"].lower(), first
    assert first["outline"] != "none" or first["shadow"] != "none", first  # focus is visible
    assert walk["target"] == first["href"]
    levels = walk["levels"]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
