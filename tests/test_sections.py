"""Sections laid out side by side into a disk cache, then joined: the same bytes as a clean build, whatever changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pikepdf
import pytest

from helpers import copy_fixture, edit, page_texts, run_cli
from issue_builder.base.paths import FONTS_DIR
from issue_builder.layout.engine import weasyprint
from issue_builder.layout.folios import folio_html, margin_boxes, without_folios
from issue_builder.layout.font_merge import merge_fonts, originals
from issue_builder.layout.join import LINK_SCHEME, Part, join
from issue_builder.layout.parallel import SectionCache

INTER = sorted(FONTS_DIR.glob("inter/Inter-Regular.*"))[0]
CSS = f"""
@font-face {{ font-family: T; src: url("{INTER.as_uri()}"); }}
@page {{ size: 100mm 80mm; margin: 10mm; }}
@page :left {{ @bottom-left {{ content: counter(page); font: 8pt T }} @top-left {{ content: "Head" }} }}
@page :right {{ @bottom-right {{ content: counter(page); font: 8pt T }} }}
@page plain {{ @bottom-left {{ content: none }} @bottom-right {{ content: none }} }}
body {{ font: 10pt T; }}
"""


def _html(body: str, css: str = CSS) -> str:
    return f'<!DOCTYPE html><html lang="en"><head><title>t</title><style>{css}</style></head><body>{body}</body></html>'


def _write(tmp_path: Path, name: str, html: str, tagged: bool = True) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(weasyprint.HTML(string=html).write_pdf(pdf_tags=tagged))
    return path


def _face_programs(pdf: pikepdf.Pdf) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0":
            descriptor = obj.DescendantFonts[0].FontDescriptor
            program = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            found.setdefault(str(obj.BaseFont), []).append(program.read_bytes())
    return found


def _content(page: pikepdf.Page) -> bytes:
    contents = page.obj.Contents
    return b"".join(s.read_bytes() for s in (contents if isinstance(contents, pikepdf.Array) else [contents]))


def test_margin_boxes_that_print_a_page_counter_are_the_folios():
    boxes = margin_boxes(_html("<p>x</p>"))
    assert boxes.folios == ((":left", "bottom-left"), (":right", "bottom-right"))
    assert boxes.others == ((":left", "top-left"),)  # "content: none" is no box
    section = without_folios(_html("<p>x</p>"), boxes)
    assert section.count("content: none") == 2 + 2  # appended after the layout's CSS: it wins
    assert section.index("@page :left { @bottom-left { content: none } }") > section.index("body { font")
    custom = margin_boxes(_html("", "@page { @bottom-center { content: 'p. ' counter(page) ' of ' counter(pages) } }"))
    assert custom.folios == (("", "bottom-center"),)
    overridden = margin_boxes(_html("", CSS + '@page :left { @bottom-left { content: "7" } }'))  # the last one wins
    assert overridden.folios == ((":right", "bottom-right"),) and (":left", "bottom-left") in overridden.others


def test_a_linked_stylesheet_is_refused_with_the_rule_to_follow():
    from issue_builder.base.diagnostics import RenderError

    with pytest.raises(RenderError, match="<style> elements only"):
        margin_boxes('<html><head><link rel="stylesheet" href="x.css"></head><body></body></html>')


def test_join_makes_one_tagged_pdf_with_links_across_sections_and_folios(tmp_path: Path):
    front = _html(
        '<h1>Contents</h1><p><a href="#article-b">To B</a></p><p><a href="#nowhere">Lost</a></p>'.replace(
            'href="#', f'href="{LINK_SCHEME}'
        )
    )
    a = _html("<h1>Article A</h1>" + "<p>Alpha text.</p>" * 3)
    b = _html('<div style="height: 1pt; break-after: page"></div><h1 id="article-b">Article B</h1><p>Beta.</p>')
    parts = [Part(_write(tmp_path, "front", without_folios(front, margin_boxes(front))))]
    parts += [Part(_write(tmp_path, "a", without_folios(a, margin_boxes(a))))]
    parts += [Part(_write(tmp_path, "b", without_folios(b, margin_boxes(b))), spacer=True)]
    pages = [("", False), ("plain", False), ("", False)]
    folios = _write(tmp_path, "folios", folio_html(front, margin_boxes(front), pages), tagged=False)
    target = tmp_path / "joined.pdf"
    found = join(parts, folios, originals([INTER]), target)

    assert [d.code for d in found] == ["unknown-anchor"] and "#nowhere" in found[0].message
    texts = page_texts(target)
    assert len(texts) == 3 and "Contents" in texts[0] and "Article A" in texts[1] and "Article B" in texts[2]
    assert "1" in texts[0].split() and "2" not in texts[1].split() and "3" in texts[2].split()  # page 2: "plain"
    with pikepdf.open(target) as pdf:
        root = pdf.Root.StructTreeRoot
        (document,) = list(root.K)
        assert document.S == "/Document" and all(kid.P.objgen == document.objgen for kid in document.K)
        assert not any(kid.S == "/Div" and len(kid.get("/K", [])) == 0 for kid in document.K)  # the spacer's
        keys = [int(k) for k in list(root.ParentTree.Nums)[::2]]
        assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) > max(keys)
        assert [str(n) for n in list(pdf.Root.Names.Dests.Names)[::2]] == ["article-b"]
        links = [a for a in pdf.pages[0].obj.Annots if a.get("/Subtype") == "/Link"]
        assert [str(a.get("/Dest")) for a in links] == ["article-b", "None"]
        assert all("/A" not in a for a in links)
        content = _content(pdf.pages[2])
        assert content.startswith(b"q\n") and b"/Artifact BMC /IssueFolio3 Do EMC" in content
        assert b"IssueFolio" not in _content(pdf.pages[1])
        programs = _face_programs(pdf)
        assert any(name.endswith("+T") for name in programs) and all(
            len(p) == 1 for p in programs.values()
        )  # one program a face


def test_merged_font_is_the_subset_one_document_would_embed(tmp_path: Path):
    one, two = "<p>Quick brown fox</p>", "<p>jumps over 1,234 lazy dogs?</p>"
    parts = [Part(_write(tmp_path, "one", _html(one))), Part(_write(tmp_path, "two", _html(two)))]
    target = tmp_path / "joined.pdf"
    join(parts, None, originals([INTER]), target)
    whole = _write(tmp_path, "whole", _html(one + two))
    with pikepdf.open(target) as joined, pikepdf.open(whole) as reference:
        assert _face_programs(joined) == _face_programs(reference)


def test_fonts_that_break_an_assumption_are_left_unmerged(tmp_path: Path):
    parts = [Part(_write(tmp_path, "one", _html("<p>abc</p>"))), Part(_write(tmp_path, "two", _html("<p>xyz</p>")))]
    target = tmp_path / "joined.pdf"
    join(parts, None, {}, target)  # no original file for the face
    with pikepdf.open(target) as pdf:
        assert [len(p) for p in _face_programs(pdf).values()] == [2]
        assert merge_fonts(pdf, {}) == list(_face_programs(pdf))
    assert "abc" in page_texts(target)[0] and "xyz" in page_texts(target)[1]


def test_a_damaged_section_says_what_to_delete(tmp_path: Path):
    from issue_builder.base.diagnostics import RenderError

    damaged = tmp_path / "sections" / "0123.pdf"
    damaged.parent.mkdir()
    damaged.write_bytes(b"%PDF-1.7 cut short")
    with pytest.raises(RenderError, match=r"cannot be read .*; delete .*sections and render again"):
        join([Part(damaged)], None, {}, tmp_path / "joined.pdf")


def test_section_cache_drops_the_least_recently_used_beyond_its_size(tmp_path: Path):
    cache = SectionCache(tmp_path, limit=2500)
    for n, key in enumerate(["old", "mid", "new"]):
        cache.put(key, {"report": {"n": n}, "measured": None}, b"x" * 1000)
        os.utime(tmp_path / f"{key}.json", (time.time() - 100 + n, time.time() - 100 + n))
    cache.used.clear()
    assert cache.get("old")["report"] == {"n": 0}  # used now: the most recent
    cache.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "new.pdf", "old.json", "old.pdf"]
    (tmp_path / "new.pdf").unlink()
    assert cache.get("new") == {"report": None, "measured": None}  # a report without its PDF is no layout


def _render(folder: Path, out: str, capsys, laid: str = "") -> dict[str, bytes]:
    """The PDFs of a forced render into `out`; `laid`: what its summary says of the sections laid out again."""
    result = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(folder / out), "--force")
    assert result.exit_code == 0, result.stderr
    assert laid in result.stdout, result.stdout
    return {p.name: p.read_bytes() for p in sorted((folder / out).glob("*.pdf"))}


@pytest.mark.slow
def test_every_fast_path_gives_the_bytes_of_a_clean_build(tmp_path: Path, capsys):
    """An edited article, an edit that moves later pages, a reordered manifest, a layout (CSS) change and a font
    change: the build from the warm cache equals a build from no cache at all."""
    folder = copy_fixture("bulletin", tmp_path)
    articles, clean = folder / "7" / "articles", 0

    def same_as_clean(laid: str = "") -> None:
        nonlocal clean
        warm = _render(folder, "warm", capsys, laid)
        clean += 1
        assert warm == _render(folder, f"clean{clean}", capsys)

    _render(folder, "warm", capsys)
    edit(articles / "lease-law.md", "tenants", "residents")
    same_as_clean("; 1 of 6 sections laid out again")  # the edited article alone
    long = "\n\n".join(["A paragraph added to push the rest of the issue along. " * 6] * 6)
    (articles / "rent-strike.md").write_text((articles / "rent-strike.md").read_text("utf-8") + "\n\n" + long + "\n")
    same_as_clean()
    manifest = folder / "7.yaml"
    text = manifest.read_text("utf-8")
    second, third = text.index("  - title: The New Lease Law"), text.index("  - title: Meeting Notes")
    end = text.index("\n", text.index("alt: The union's round badge")) + 1
    manifest.write_text(text[:second] + text[third:end] + text[second:third] + text[end:], "utf-8")
    same_as_clean()
    css = folder / "layout" / "css" / "extra.css"
    css.write_text(css.read_text("utf-8") + "\n.article-body p { word-spacing: 0.02em; }\n", "utf-8")
    same_as_clean()
    publication = folder / "publication.yaml"
    publication.write_text(publication.read_text("utf-8") + "fonts:\n  heading: Charis SIL\n", "utf-8")
    same_as_clean()
