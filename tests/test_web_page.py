"""The issue's web page, opened in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def open_page(index: Path, width: int, screenshot: Path | None = None) -> dict:
    """Load the page at a viewport width; what the browser said, what it loaded, and how wide the page is."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        errors, failed, requests = [], [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(index.as_uri(), wait_until="load")
        page.evaluate("() => Promise.all([...document.images].map(i => i.loading = 'eager'))")
        page.wait_for_load_state("networkidle")
        result = {
            "errors": errors,
            "failed": failed,
            "requests": requests,
            "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
            "text": page.inner_text("body"),
            "broken_images": page.evaluate(
                "[...document.images].filter(i => i.complete && i.naturalWidth === 0).length"
            ),
            "fonts": page.evaluate(
                "document.fonts.ready.then(() => Promise.all([...document.fonts].map(f => "
                "f.load().then(() => f.status, () => 'error'))))"
            ),
        }
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
        return result


@pytest.mark.parametrize("width", [390, 1280])
def test_web_page_loads_offline_without_errors_or_overflow(rendered_bulletin: Path, tmp_path: Path, width: int):
    index = rendered_bulletin / "web" / "index.html"
    seen = open_page(index, width, tmp_path / f"page-{width}.png")
    assert seen["errors"] == [] and seen["failed"] == []
    assert all(url.startswith("file://") for url in seen["requests"])  # no CDN, no remote fonts
    assert seen["scroll_width"] <= width
    assert seen["broken_images"] == 0
    assert seen["fonts"] and set(seen["fonts"]) == {"loaded"}  # every subset font parsed and used by the browser
    assert (tmp_path / f"page-{width}.png").stat().st_size > 10_000


def test_web_page_is_semantic_and_light(rendered_bulletin: Path):
    html = (rendered_bulletin / "web" / "index.html").read_text("utf-8")
    assert "<script" not in html and "<main>" in html and "<article" in html and "<footer" in html
    assert html.count('loading="lazy"') >= 2 and 'width="' in html and 'height="' in html
    assert 'href="the-tenant-bulletin-7-web.pdf"' in html
    assert (rendered_bulletin / "web" / "the-tenant-bulletin-7-web.pdf").is_file()


def test_web_fonts_cover_the_page_and_keep_their_licence(rendered_bulletin: Path):
    import io

    from fontTools.ttLib import TTFont

    text = (rendered_bulletin / "web" / "index.html").read_text("utf-8")
    fonts = sorted((rendered_bulletin / "web" / "fonts").iterdir())
    assert fonts
    for path in fonts:
        font = TTFont(io.BytesIO(path.read_bytes()))
        assert "SIL Open Font License" in str(font["name"].getDebugName(13)), path.name
        cmap = font.getBestCmap()
        assert len(cmap) < 400, path.name  # cut down, not the whole font
        missing = {c for c in text if c.isprintable() and not c.isspace() and ord(c) not in cmap}
        assert not missing, (path.name, missing)


def test_web_pictures_are_named_by_content_whatever_their_file_names(tmp_path: Path):
    """Two pictures with one file name in two folders, and a name with a space and an accent: each its own file
    at its own size, with a name a browser fetches as written."""
    import re
    import subprocess
    import sys

    from PIL import Image

    from helpers import copy_fixture

    folder = copy_fixture("bulletin", tmp_path)
    (folder / "7" / "other").mkdir()
    Image.new("RGB", (900, 300), (200, 40, 40)).save(folder / "7" / "other" / "towers.jpg", quality=90)
    Image.new("RGB", (600, 600), (40, 40, 200)).save(folder / "7" / "img" / "café photo.jpg", quality=90)
    manifest = folder / "7.yaml"
    text = manifest.read_text("utf-8").replace("src: 7/img/badge.png", "src: 7/other/towers.jpg", 1)
    manifest.write_text(text.replace("image: 7/img/cover.jpg", "image: 7/img/café photo.jpg", 1), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "issue_builder", "render", "7.yaml", "--out", "out", "--only", "web", "--quiet"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    index = (folder / "out" / "web" / "index.html").read_text("utf-8")
    names = re.findall(r'src="(img/[^"]+)"', index)
    assert len(names) == len(set(names)) == 3 and all(re.fullmatch(r"img/[0-9a-f]+-\d+\.jpg", n) for n in names)
    colours = set()
    for name in names:
        with Image.open(folder / "out" / "web" / name) as picture:
            tag = re.search(rf'src="{re.escape(name)}"[^>]*width="(\d+)" height="(\d+)"', index)
            assert tag is not None and picture.size == (int(tag.group(1)), int(tag.group(2)))
            colours.add(picture.convert("RGB").resize((1, 1)).getpixel((0, 0)))
    assert len(colours) == 3  # three different pictures, none written over another
