"""Sections laid out side by side into a disk cache, then joined: the same bytes as a clean build, whatever changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import fields
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from helpers import copy_fixture, edit, page_texts, run_cli
from issue_builder.base.diagnostics import RenderError
from issue_builder.base.paths import FONTS_DIR
from issue_builder.layout import parallel
from issue_builder.layout.copyfit import Fit, Rules
from issue_builder.layout.document import _parts
from issue_builder.layout.engine import weasyprint
from issue_builder.layout.fetcher import SandboxFetcher
from issue_builder.layout.folios import furniture_html, margin_boxes, without_furniture
from issue_builder.layout.font_merge import merge_fonts, originals
from issue_builder.layout.join import LINK_SCHEME, Part, join
from issue_builder.layout.parallel import SectionCache
from issue_builder.layout.sections import _read_fits, _read_sizes, _shifted
from issue_builder.layout.urls import ISSUE_BASE

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
    """BaseFont -> the distinct font programs its fonts embed."""
    found: dict[str, dict[tuple[int, int], bytes]] = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0":
            descriptor = obj.DescendantFonts[0].FontDescriptor
            program = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            found.setdefault(str(obj.BaseFont), {})[program.objgen] = program.read_bytes()
    return {name: list(programs.values()) for name, programs in found.items()}


def _type0(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0"
    ]


def _dest(pdf: pikepdf.Pdf, name: str) -> pikepdf.Array:
    names = list(pdf.Root.Names.Dests.Names)
    return names[names.index(name) + 1]


def _content(page: pikepdf.Page) -> bytes:
    contents = page.obj.Contents
    return b"".join(s.read_bytes() for s in (contents if isinstance(contents, pikepdf.Array) else [contents]))


def test_margin_boxes_that_print_a_page_counter_are_the_folios():
    boxes = margin_boxes(_html("<p>x</p>"))
    assert boxes.folios == ((":left", "bottom-left"), (":right", "bottom-right"))
    assert boxes.others == ((":left", "top-left"),)  # "content: none" is no box
    section = without_furniture(_html("<p>x</p>"), boxes)
    assert section.count("content: none") == 2 + 3  # every margin box, appended after the layout's CSS: it wins
    assert section.index("@page :left { @bottom-left { content: none } }") > section.index("body { font")
    custom = margin_boxes(_html("", "@page { @bottom-center { content: 'p. ' counter(page) ' of ' counter(pages) } }"))
    assert custom.folios == (("", "bottom-center"),)
    overridden = margin_boxes(_html("", CSS + '@page :left { @bottom-left { content: "7" } }'))  # the last one wins
    assert overridden.folios == ((":right", "bottom-right"),) and (":left", "bottom-left") in overridden.others


@pytest.mark.parametrize(
    ("css", "refused"),
    [
        (".a { break-before: right }", "right-hand page"),
        ("h1 { page-break-after: verso }", "verso-hand page"),
        ("@page { @top-center { content: element(head) } }", "running element"),
    ],
)
def test_what_a_section_cannot_know_is_refused(css: str, refused: str):
    with pytest.raises(RenderError, match=refused):
        margin_boxes(_html("<p>x</p>", CSS + css))


def test_text_frames_of_different_sizes_on_the_two_sides_are_refused():
    section = {"pdf": "s.pdf", "frames": [[20.0, 30.0, 200.0, 300.0]] * 2, "page_types": [["", False]] * 2}
    furniture = {"frames": [[20.0, 30.0, 200.0, 300.0], [35.0, 30.0, 200.0, 300.0]], "page_types": [["", False]] * 2}
    (part,) = _parts([section], furniture)
    assert part.shifts == (0.0, 15.0)
    furniture["frames"][1] = [35.0, 30.0, 190.0, 300.0]
    with pytest.raises(RenderError, match="page 2: .* different sizes .*200 x 300 pt.*190 x 300 pt"):
        _parts([section], furniture)


def test_a_linked_stylesheet_is_refused_with_the_rule_to_follow():
    with pytest.raises(RenderError, match="<style> elements only"):
        margin_boxes('<html><head><link rel="stylesheet" href="x.css"></head><body></body></html>')


def test_join_makes_one_tagged_pdf_with_links_across_sections_and_folios(tmp_path: Path):
    front = _html(
        '<h1>Contents</h1><p><a href="#article-b">To B</a></p><p><a href="#nowhere">Lost</a></p>'.replace(
            'href="#', f'href="{LINK_SCHEME}'
        )
    )
    a = _html('<h1 id="article-a">Article A</h1><p><a href="https://example.org/">A link</a></p>')
    b = _html('<h1 id="article-b">Article B</h1><p>Beta.</p>')
    parts = [Part(_write(tmp_path, "front", without_furniture(front, margin_boxes(front))))]
    parts += [Part(_write(tmp_path, "a", without_furniture(a, margin_boxes(a))), (20.0,))]  # falls on the left
    parts += [Part(_write(tmp_path, "b", without_furniture(b, margin_boxes(b))))]
    pages = [("", False), ("plain", False), ("", False)]
    folios = _write(tmp_path, "folios", furniture_html(front, pages, [[], [], []]), tagged=False)
    target = tmp_path / "joined.pdf"
    found = join(parts, folios, originals([INTER]), target)

    assert [d.code for d in found] == ["unknown-anchor"] and "#nowhere" in found[0].message
    texts = page_texts(target)
    assert len(texts) == 3 and "Contents" in texts[0] and "Article A" in texts[1] and "Article B" in texts[2]
    assert "1" in texts[0].split() and "2" not in texts[1].split() and "3" in texts[2].split()  # page 2: "plain"
    assert "Head" in texts[1] and "Head" not in texts[0] + texts[2]  # the left-hand page's running head
    with pikepdf.open(target) as pdf, pikepdf.open(parts[1].pdf) as alone:
        root = pdf.Root.StructTreeRoot
        (document,) = list(root.K)
        assert document.S == "/Document" and all(kid.P.objgen == document.objgen for kid in document.K)
        assert _content(pdf.pages[1]).startswith(b"q\nq 1 0 0 1 20 0 cm\n")  # moved 20 pt, then the furniture
        assert not _content(pdf.pages[2]).startswith(b"q\nq 1 0 0 1 ")
        (moved,), (link,) = list(pdf.pages[1].obj.Annots), list(alone.pages[0].obj.Annots)
        assert [float(v) for v in moved.Rect] == [float(v) + d for v, d in zip(link.Rect, (20, 0, 20, 0), strict=True)]
        dest, unmoved = _dest(pdf, "article-a"), _dest(alone, "article-a")
        assert float(dest[2]) == float(unmoved[2]) + 20 and float(dest[3]) == float(unmoved[3])
        keys = [int(k) for k in list(root.ParentTree.Nums)[::2]]
        assert keys == sorted(set(keys)) and int(root.ParentTreeNextKey) > max(keys)
        assert [str(n) for n in list(pdf.Root.Names.Dests.Names)[::2]] == ["article-a", "article-b"]
        links = [a for a in pdf.pages[0].obj.Annots if a.get("/Subtype") == "/Link"]
        assert [str(a.get("/Dest")) for a in links] == ["article-b", "None"]
        assert all("/A" not in a for a in links)
        content = _content(pdf.pages[2])
        assert content.startswith(b"q\n") and b"/Artifact BMC /IssueFolio3 Do EMC" in content
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


def test_a_face_whose_original_does_not_cut_to_what_a_section_embedded_is_left_unmerged(tmp_path: Path):
    """The guard that keeps a variable or colour font (which WeasyPrint changes before embedding it) as the
    sections embedded it: the original file, cut as WeasyPrint cuts it, must give back a section's program."""
    parts = [Part(_write(tmp_path, "one", _html("<p>abc</p>"))), Part(_write(tmp_path, "two", _html("<p>xyz</p>")))]
    bold = sorted(FONTS_DIR.glob("inter/Inter-Bold.*"))[0]
    target = tmp_path / "joined.pdf"
    join(parts, None, {name: bold for name in originals([INTER])}, target)  # another file under the face's name
    with pikepdf.open(target) as pdf:
        assert [len(p) for p in _face_programs(pdf).values()] == [2]
    assert "abc" in page_texts(target)[0] and "xyz" in page_texts(target)[1]


def test_each_section_keeps_its_own_widths_in_a_merged_face(tmp_path: Path):
    """WeasyPrint rounds a glyph's width where a document first sets it: sections may differ by a unit. The merge
    shares the program, never the widths, so no glyph moves."""
    one, two = _write(tmp_path, "one", _html("<p>abc</p>")), _write(tmp_path, "two", _html("<p>abc</p>"))
    with pikepdf.open(two, allow_overwriting_input=True) as pdf:
        (font,) = _type0(pdf)
        w = font.DescendantFonts[0].W
        w[1][0] = int(w[1][0]) + 1
        pdf.save(two)
    target = tmp_path / "joined.pdf"
    join([Part(one), Part(two)], None, originals([INTER]), target)
    with pikepdf.open(target) as pdf, pikepdf.open(one) as first, pikepdf.open(two) as second:
        assert [len(p) for p in _face_programs(pdf).values()] == [1]

        def widths(fonts: list) -> list[list[int]]:
            return sorted([int(v) for v in font.DescendantFonts[0].W[1]] for font in fonts)

        assert widths(_type0(pdf)) == widths(_type0(first) + _type0(second))  # both, the unit apart kept


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
        cache.put(key, {"report": {"n": n}, "measured": None, "inputs": {}}, b"x" * 1000)
        os.utime(tmp_path / f"{key}.json", (time.time() - 100 + n, time.time() - 100 + n))
    cache.used.clear()
    assert cache.get("old")["report"] == {"n": 0}  # used now: the most recent
    (tmp_path / "orphan.pdf").write_bytes(b"x")  # a PDF whose entry went
    ended = subprocess.Popen(["true"])
    ended.wait()
    (tmp_path / f".mid.pdf.{ended.pid}.tmp").write_bytes(b"x")  # left by a worker that was stopped
    (tmp_path / f".mid.pdf.{os.getpid()}.tmp").write_bytes(b"x")  # a worker still writing
    cache.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".in-use",  # what a build holds while it uses the cache
        f".mid.pdf.{os.getpid()}.tmp",
        "new.json",
        "new.pdf",
        "old.json",
        "old.pdf",
    ]
    (tmp_path / "new.pdf").unlink()
    assert cache.get("new")["report"] is None  # a report without its PDF is no layout
    (tmp_path / "old.pdf").write_bytes(b"y" * 1000)
    assert cache.get("old")["report"] is None  # nor one with another PDF


def test_a_build_leaves_the_cache_another_build_is_using_unpruned(tmp_path: Path):
    """Two builds into one folder: the one that finishes first prunes nothing the other may still join (an entry
    it looked up, a PDF its worker wrote a moment before the entry); the last one to finish prunes."""
    cache = SectionCache(tmp_path, limit=1500)
    for n, key in enumerate(["old", "new"]):
        cache.put(key, {"report": {"n": n}, "measured": None, "inputs": {}}, b"x" * 1000)
        os.utime(tmp_path / f"{key}.json", (time.time() - 100 + n, time.time() - 100 + n))
    (tmp_path / "written.pdf").write_bytes(b"x")  # the other build's worker: its entry comes next
    everything = sorted(p.name for p in tmp_path.iterdir()) + [".in-use"]
    other = SectionCache(tmp_path, limit=1500)
    with other.held():
        with cache.held():
            cache.prune()
        cache.prune()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(everything)
    cache.used = {"new"}
    with cache.held():
        cache.prune()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["new.json", "new.pdf"]


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
    kept = {  # what each edition's readers keep of its pages, used by every render below
        "page-furniture-web.json",
        "page-text-print.json",
        "page-text-web.json",
        "pdfua-pages.json",
        "print-pressed.bin",
        "web-repair-pages.json",
        "web-rewritten.bin",
    }
    assert kept <= {p.name for p in (folder / "warm" / ".cache").iterdir()}
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


def _laid(result) -> str:
    """What a render's summary says of the sections laid out again."""
    assert result.exit_code == 0, result.stderr
    return result.stdout.rsplit(";", 1)[-1].strip()


def test_a_file_the_layout_draws_on_changed_lays_out_again_the_sections_that_show_it(tmp_path: Path, capsys):
    """Pictures and any file the CSS takes from the issue folder are recorded as each section draws them: a changed
    one lays out again the sections that show it (and only those), even where no key names it."""
    from PIL import Image, ImageOps

    folder = copy_fixture("bulletin", tmp_path)
    band = folder / "7" / "img" / "band.png"
    Image.new("RGB", (300, 100), (255, 0, 0)).save(band)
    css = folder / "layout" / "css" / "extra.css"
    css.write_text(css.read_text("utf-8") + '\n.contents-title { background: url("7/img/band.png"); }\n', "utf-8")
    for path in (band, css):  # saved well before the render: its record is kept
        os.utime(path, (time.time() - 60, time.time() - 60))
    warm = ("render", str(folder / "7.yaml"), "--out", str(folder / "warm"), "--only", "print")
    _laid(run_cli(capsys, *warm))
    assert "nothing rendered" in run_cli(capsys, *warm).stdout
    Image.new("RGB", (300, 100), (0, 0, 255)).save(band)  # no manifest names it: the build record has it
    assert _laid(run_cli(capsys, *warm)) == "1 of 6 sections laid out again"  # the front: the contents
    plan = folder / "7" / "img" / "plan.jpg"
    ImageOps.autocontrast(Image.open(plan)).save(plan, quality=90)
    assert _laid(run_cli(capsys, *warm)) == "1 of 6 sections laid out again"  # the article that shows it
    cold = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(folder / "cold"), "--only", "print")
    assert cold.exit_code == 0, cold.stderr
    assert [p.read_bytes() for p in sorted((folder / "warm").glob("*.pdf"))] == [
        p.read_bytes() for p in sorted((folder / "cold").glob("*.pdf"))
    ]


@pytest.mark.parametrize("damage", ["[]", '{"report": {"name": "x"}}', "pdf"])
def test_a_damaged_cache_entry_is_laid_out_again(tmp_path: Path, capsys, damage: str):
    folder = copy_fixture("bulletin", tmp_path)
    render = ("render", str(folder / "7.yaml"), "--out", str(folder / "out"), "--only", "print", "--force")
    _laid(run_cli(capsys, *render))
    sections = folder / "out" / ".cache" / "sections"
    reports = [p for p in sections.glob("*.json") if json.loads(p.read_text("utf-8"))["report"] is not None]
    entry = max(reports, key=lambda p: len(json.loads(p.read_text("utf-8"))["report"]["html"]))  # not a measurement
    if damage == "pdf":  # another section's PDF of as many pages in its place
        other = next(p for p in sections.glob("*.pdf") if p != entry.with_suffix(".pdf"))
        entry.with_suffix(".pdf").write_bytes(other.read_bytes())
    else:
        entry.write_text(damage, "utf-8")
    assert _laid(run_cli(capsys, *render)) == "1 of 6 sections laid out again"


@pytest.mark.parametrize("placing", ["[]", '{"starts": {"x": 3}, "fill": 1}', '{"starts": {}, "fill": -1}', "{"])
def test_a_damaged_placing_is_no_guess(tmp_path: Path, capsys, placing: str):
    """The last placing only starts the front and tail early: whatever it holds, the build is the clean one."""
    folder = copy_fixture("bulletin", tmp_path)
    render = ("render", str(folder / "7.yaml"), "--only", "print", "--force", "--out")
    _laid(run_cli(capsys, *render, str(folder / "clean")))
    (folder / "guess" / ".cache").mkdir(parents=True)
    (folder / "guess" / ".cache" / "placing.json").write_text(placing, "utf-8")
    _laid(run_cli(capsys, *render, str(folder / "guess")))
    assert (folder / "guess" / "the-tenant-bulletin-7-print.pdf").read_bytes() == (
        folder / "clean" / "the-tenant-bulletin-7-print.pdf"
    ).read_bytes()


def test_the_fits_an_article_was_tried_at_are_laid_out_ahead_each_once(tmp_path: Path, capsys, monkeypatch):
    """After an edit, a processor no section waits for lays out the fits the article was tried at last time, the
    one it was set at first; its own worker, trying them in order, waits for that layout and reads it: nothing is
    laid out twice, and the bytes are a clean build's."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--out")
    _laid(run_cli(capsys, *render, str(folder / "warm")))
    edit(folder / "3" / "articles" / "water.md", "seen a bill", "seen a note")  # the same lines, the same house box
    log = tmp_path / "layouts.txt"
    lay_out, ahead = parallel._lay_out, parallel.settle_ahead

    def logged_layout(env, html: str, *args, **kwargs):
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {hashlib.sha256(html.encode()).hexdigest()}\n")
        if not ahead_here:  # the worker's own first fit slow enough that the fit ahead is claimed before it
            time.sleep(1)
        laid = lay_out(env, html, *args, **kwargs)
        if ahead_here:  # slow enough that the article's worker asks for it while it is being laid out
            time.sleep(2)
        return laid

    def logged_ahead(*args):
        ahead_here.append(True)  # in this forked process alone
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} ahead\n")
        return ahead(*args)

    ahead_here: list[bool] = []

    with monkeypatch.context() as patched:
        patched.setattr(os, "cpu_count", lambda: 2)  # the article's worker and one more
        patched.setattr(parallel, "_lay_out", logged_layout)
        patched.setattr(parallel, "settle_ahead", logged_ahead)
        assert _laid(run_cli(capsys, *render, str(folder / "warm"))) == "1 of 5 sections laid out again"
    lines = [line.split() for line in log.read_text("utf-8").splitlines()]
    ahead_processes = {pid for pid, what in lines if what == "ahead"}
    layouts = [(pid, html) for pid, html in lines if html != "ahead"]
    assert len(layouts) == len({html for _, html in layouts}) == 2  # as set first, and with its house box
    assert [pid in ahead_processes for pid, _ in layouts].count(True) == 1
    _laid(run_cli(capsys, *render, str(folder / "clean")))
    name = "the-allotment-gazette-3-print.pdf"
    assert (folder / "warm" / name).read_bytes() == (folder / "clean" / name).read_bytes()


def test_an_edited_article_starts_before_the_front_is_looked_up(tmp_path: Path, capsys, monkeypatch):
    """The front's key takes two renderings of the cover and contents: after an edit, the articles are looked up
    first, those saved since the last build first (the gazette's second and shorter here), and the edited one's
    worker is started before any other section is looked up (a front to lay out is still started first of those
    waiting, the longest article before it)."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--out")
    _laid(run_cli(capsys, *render, str(folder / "warm")))
    edit(folder / "3" / "articles" / "water.md", "seen a bill", "seen a note")
    log = tmp_path / "order.txt"
    settle, forked = parallel.settle, parallel.Forked

    def logged_settle(env, task, lay_out):
        if not lay_out:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"look {task.name}\n")
        return settle(env, task, lay_out)

    def logged_fork(function, what="", *args):
        with log.open("a", encoding="utf-8") as out:
            out.write(f"start {what}\n")
        return forked(function, what, *args)

    with monkeypatch.context() as patched:
        patched.setattr(parallel, "settle", logged_settle)
        patched.setattr(parallel, "Forked", logged_fork)
        assert _laid(run_cli(capsys, *render, str(folder / "warm"))) == "1 of 5 sections laid out again"
    order = log.read_text("utf-8").splitlines()
    water = "water-rights-on-the-lower-plots"
    assert order[:2] == [f"look {water}", f"start laying out {water}"]  # saved last: looked up first
    assert order.index(f"start laying out {water}") < order.index("look front")
    # every section to lay out again, one processor: the front, looked up last, is the first of those waiting
    shutil.rmtree(folder / "warm" / ".cache" / "sections")
    log.unlink()
    with monkeypatch.context() as patched:
        patched.setattr(os, "cpu_count", lambda: 1)
        patched.setattr(parallel, "settle", logged_settle)
        patched.setattr(parallel, "Forked", logged_fork)
        run_cli(capsys, *render, str(folder / "warm"), "--force")
    started = [line.removeprefix("start laying out ") for line in log.read_text("utf-8").splitlines()]
    started = [name for name in started if not name.startswith("look ")]
    assert started[:2] == ["seed-swaps-across-the-borough", "front"]  # the longest first: none saved since


def test_the_sections_whose_copy_fitting_took_most_layouts_start_first(tmp_path: Path):
    """Sections are started the likely longest first: an article's text, times the layouts its copy-fitting tried
    the last time (the gazette's second article is the shorter; tried at four fits, it is the longer to lay out)."""
    from issue_builder.layout.sections import _by_cost, _run_key, article_runs
    from issue_builder.prepare.issue import prepare_issue

    runs = article_runs(prepare_issue(copy_fixture("gazette", tmp_path) / "3.yaml").articles)
    water = _run_key(runs[1])
    assert _by_cost(runs, {}) == [0, 1]
    assert _by_cost(runs, {water: [Fit(), Fit(tighten=1)]}) == [0, 1]
    assert _by_cost(runs, {water: [Fit(), Fit(tighten=1), Fit(tighten=2), Fit(tighten=2)]}) == [0, 1]  # 3 layouts
    assert _by_cost(runs, {water: [Fit(), Fit(tighten=1), Fit(tighten=2), Fit(filler=90.0), Fit(filler=90.0)]}) == [
        1,
        0,
    ]


def _seed_swap_grown(folder: Path) -> tuple[Path, str, str]:
    """The gazette's first article: its file, its text, and its text with about a page's worth of its prose added."""
    body = folder / "3" / "articles" / "seed-swap.md"
    text = body.read_text("utf-8")
    prose = [p for p in text.split("\n\n") if p[:1].isalnum() and len(p.split()) > 12]
    return body, text, text.rstrip("\n") + "\n\n" + "\n\n".join((prose * 2)[:10]) + "\n"


def _article_slowed_and_starts_logged(patched, started: Path) -> None:
    """Two processors; each article laid out 2 s late (a guess beside it is done first, on any machine); the name
    of every process started written to `started`."""
    settle, forked = parallel.settle, parallel.Forked

    def slowed_settle(env, task, lay_out):
        if lay_out and task.kind == "article":
            time.sleep(2)
        return settle(env, task, lay_out)

    def logged_fork(function, what="", *args):
        with started.open("a", encoding="utf-8") as out:
            out.write(f"{what}\n")
        return forked(function, what, *args)

    patched.setattr(os, "cpu_count", lambda: 2)
    patched.setattr(parallel, "settle", slowed_settle)
    patched.setattr(parallel, "Forked", logged_fork)


@pytest.mark.parametrize("slowed", ["article", "guess"])
def test_the_contents_an_article_grown_by_a_page_asks_for_are_laid_out_beside_it(
    tmp_path: Path, capsys, monkeypatch, slowed: str
):
    """After an edit that grows the first article by a page, the spare processor lays out the contents at the page
    numbers that gives while the article is laid out again: done first, they are read; still being laid out when
    the contents are asked for, they are waited for. Nothing is laid out twice, and the bytes are a clean
    build's."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--out")
    _laid(run_cli(capsys, *render, str(folder / "warm")))
    body, _, grown = _seed_swap_grown(folder)
    body.write_text(grown, "utf-8")
    log = tmp_path / "order.txt"
    settle, forked, lay_out = parallel.settle, parallel.Forked, parallel._lay_out
    guessing: list[bool] = []  # in the process laying out a guess alone

    def slowed_settle(env, task, lay_out):
        if lay_out and task.kind == "article":
            # "article": the guess is done first, on any machine; "guess": the guess is started while the article
            # is laid out (ahead work starts once every section is looked up: a loaded machine's worker could end
            # first)
            time.sleep(3 if slowed == "article" else 2)
        return settle(env, task, lay_out)

    def logged_fork(function, what="", *args):
        with log.open("a", encoding="utf-8") as out:
            out.write(f"start {what}\n")

        def marked():
            guessing.append(what == "laying out front ahead")
            guessing[:] = [g for g in guessing if g]
            return function()

        return forked(marked, what, *args)

    def logged_layout(env, html: str, *args, **kwargs):
        with log.open("a", encoding="utf-8") as out:
            out.write(f"layout {hashlib.sha256(html.encode()).hexdigest()}\n")
        if guessing and slowed == "guess":
            time.sleep(6)  # each of its layouts claimed while the contents are asked for, on any machine
        return lay_out(env, html, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(os, "cpu_count", lambda: 2)
        patched.setattr(parallel, "settle", slowed_settle)
        patched.setattr(parallel, "Forked", logged_fork)
        patched.setattr(parallel, "_lay_out", logged_layout)
        laid = _laid(run_cli(capsys, *render, str(folder / "warm")))
    assert laid == "4 of 5 sections laid out again"  # the article, the contents, the tail and the folios
    lines = log.read_text("utf-8").splitlines()
    shown = " | ".join("L" if line.startswith("layout ") else line.removeprefix("start laying out ") for line in lines)
    assert "start laying out front ahead" in lines, shown  # the whole order (L: a layout), should it fail again
    assert ("start laying out front" in lines) == (slowed == "guess")  # asked for while still laid out ahead
    layouts = [line for line in lines if line.startswith("layout ")]
    assert len(layouts) == len(set(layouts))
    placing = json.loads((folder / "warm" / ".cache" / "placing.json").read_text("utf-8"))
    assert placing["starts"] == {"seed-swaps-across-the-borough": 3, "water-rights-on-the-lower-plots": 6}
    _laid(run_cli(capsys, *render, str(folder / "clean")))
    name = "the-allotment-gazette-3-print.pdf"
    assert (folder / "warm" / name).read_bytes() == (folder / "clean" / name).read_bytes()


def test_contents_guessed_that_an_earlier_build_laid_out_are_read_not_counted(tmp_path: Path, capsys, monkeypatch):
    """A guess the cache already holds is read, not laid out: the summary counts only what the build laid out."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--out", str(folder / "warm"))
    body, text, grown = _seed_swap_grown(folder)
    body.write_text(grown, "utf-8")
    _laid(run_cli(capsys, *render))  # grown by a page: its contents laid out
    body.write_text(text, "utf-8")
    _laid(run_cli(capsys, *render))
    body.write_text(grown.replace("seed", "Seed", 1), "utf-8")  # grown again, otherwise
    started = tmp_path / "started.txt"
    with monkeypatch.context() as patched:
        _article_slowed_and_starts_logged(patched, started)
        assert _laid(run_cli(capsys, *render)) == "1 of 5 sections laid out again"
    assert "laying out front ahead" in started.read_text("utf-8").splitlines()


def test_a_small_edit_guesses_nothing_and_a_cut_guesses_a_page_less(tmp_path: Path, capsys, monkeypatch):
    """The contents are guessed only for an edit that adds or cuts half a page's worth of text or more: a word
    changed guesses nothing, and a page's worth cut lays the contents out a page earlier beside the article."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--out", str(folder / "warm"))
    body, text, grown = _seed_swap_grown(folder)
    body.write_text(grown, "utf-8")
    _laid(run_cli(capsys, *render))
    started = tmp_path / "started.txt"
    for edited, guessed in [(grown.replace("seed", "Seed", 1), False), (text, True)]:
        body.write_text(edited, "utf-8")
        started.write_text("", "utf-8")
        with monkeypatch.context() as patched:
            _article_slowed_and_starts_logged(patched, started)
            _laid(run_cli(capsys, *render))
        lines = started.read_text("utf-8").splitlines()
        assert ("laying out front ahead" in lines) == guessed
    placing = json.loads((folder / "warm" / ".cache" / "placing.json").read_text("utf-8"))
    assert placing["starts"] == {"seed-swaps-across-the-borough": 3, "water-rights-on-the-lower-plots": 5}
    assert "laying out front" not in lines  # the cut's contents were read where they were guessed


@pytest.mark.parametrize(
    ("sizes", "read"),
    [
        ({"a": [100, 2], "b": [0, 1]}, {"a": (100, 2), "b": (0, 1)}),
        ({"a": [100, 0], "b": [-1, 2], "c": [True, 2], "d": [1.5, 2], "e": [1, 2, 3], "f": "x"}, {}),
        ([], {}),
        ("[" * 100_000, {}),
    ],
)
def test_sizes_read_back_are_only_those_a_layout_could_leave(tmp_path: Path, sizes, read):
    path = tmp_path / "placing.json"
    path.write_text(sizes if isinstance(sizes, str) else json.dumps({"sizes": sizes}), "utf-8")
    assert _read_sizes(path) == read


def test_a_guess_is_kept_while_a_front_of_another_length_may_still_meet_it():
    guessed = {"a": 4, "b": 8}
    assert _shifted(guessed, {"a": 4, "b": 8}) and _shifted(guessed, {"a": 3, "b": 7})  # a front a page shorter
    assert not _shifted(guessed, {"a": 3, "b": 8}) and not _shifted(guessed, {"a": 4, "b": 9})


FIT = {f.name: getattr(Fit(), f.name) for f in fields(Fit)} | {"titles": []}
WATER = json.dumps(["water-rights-on-the-lower-plots"])  # the section's key among the fits


@pytest.mark.parametrize(
    "fits",
    [
        {WATER: [FIT, FIT | {"tighten": 2}, FIT | {"filler": 120.0}]},  # not asked for
        {WATER: [FIT | {"filler": 9e99}]},
        {WATER: [FIT | {"filler": 120}]},  # not as copy-fitting gives it: a float
        {WATER: [FIT | {"tighten": 1.5}]},
        {WATER: [FIT | {"title_size": 20.0}]},  # a title size with no title step
        {WATER: [FIT | {"title": 1, "titles": [["x", 20.0, 24.0]], "title_of": "x"}]},
        {WATER: [FIT | {"title": 1, "titles": [["x", float("nan"), 1.0]]}]},
        {WATER: [FIT] * 100},
        {WATER: [{"tighten": 1}]},
        {WATER: "all"},
        [],
        "[" * 100_000,
    ],
)
def test_fits_read_back_are_only_a_head_start(tmp_path: Path, capsys, fits):
    """Fits the last layout did not try, or that no copy-fitting could choose, change nothing: the build is the
    clean one, and a fit no copy-fitting could choose is never laid out."""
    folder = copy_fixture("gazette", tmp_path)
    render = ("render", str(folder / "3.yaml"), "--only", "print", "--force", "--out")
    _laid(run_cli(capsys, *render, str(folder / "clean")))
    placing = json.loads((folder / "clean" / ".cache" / "placing.json").read_text("utf-8"))
    (folder / "guess" / ".cache").mkdir(parents=True)
    written = json.dumps(placing | {"fits": fits}) if isinstance(fits, dict | list) else fits
    (folder / "guess" / ".cache" / "placing.json").write_text(written, "utf-8")
    rules = Rules(min_fill=0.35, tighten_steps=3, title_steps=2, filler=True)
    read = _read_fits(folder / "guess" / ".cache" / "placing.json", rules)
    assert read == ({WATER: [Fit(), Fit(2), Fit(filler=120.0)]} if len(read) else {})
    _laid(run_cli(capsys, *render, str(folder / "guess")))
    name = "the-allotment-gazette-3-print.pdf"
    assert (folder / "guess" / name).read_bytes() == (folder / "clean" / name).read_bytes()


def test_the_fits_read_back_are_those_the_last_layout_tried(tmp_path: Path, capsys):
    folder = copy_fixture("gazette", tmp_path)
    _laid(run_cli(capsys, "render", str(folder / "3.yaml"), "--only", "print", "--out", str(folder / "out")))
    rules = Rules(min_fill=0.35, tighten_steps=3, title_steps=2, filler=True)
    read = _read_fits(folder / "out" / ".cache" / "placing.json", rules)
    assert sorted(read) == [json.dumps(["seed-swaps-across-the-borough"]), WATER]
    water = read[WATER]
    assert water[0] == Fit() and water[-1].filler > 0  # tried as set, then set with its house box


@pytest.mark.slow
def test_the_same_issue_in_another_folder_gives_the_same_bytes(tmp_path: Path, capsys):
    """Pictures are placed under URLs that name no folder (layout/urls.py): the issue copied elsewhere, rendered
    into another output folder, gives the same print, web and proof PDFs."""
    found = []
    for folder in (copy_fixture("bulletin", tmp_path / "a"), copy_fixture("bulletin", tmp_path / "b" / "deeper")):
        out = folder.parent / "out"
        editions = ("--only", "print", "--only", "web", "--only", "proof")
        result = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(out), *editions)
        assert result.exit_code == 0, result.stderr
        found.append({p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))})
    assert len(found[0]) == 3 and found[0] == found[1]


@pytest.mark.slow
@pytest.mark.parametrize("reference", ["../outside.png", "/outside.png", "../../../../../outside.png"])
def test_a_layout_url_that_leaves_the_issue_folder_is_refused_by_what_it_says(tmp_path: Path, capsys, reference):
    """The issue's files are laid out under a URL that names no folder; a reference that climbs out of the issue's
    folder (or starts at the top) still names no file of it, and is refused as the author wrote it."""
    folder = copy_fixture("bulletin", tmp_path / "deep" / "er")
    Image.new("RGB", (8, 8), "red").save(folder.parent / "outside.png")
    Image.new("RGB", (8, 8), "blue").save(folder / "outside.png")  # what a clamped `..` would have found instead
    with open(folder / "layout" / "css" / "extra.css", "a", encoding="utf-8") as css:
        css.write(f'\n.masthead {{ background-image: url("{reference}"); }}\n')
    result = run_cli(capsys, "render", str(folder / "7.yaml"), "--out", str(tmp_path / "out"))
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert "refused-url: ../" in result.stderr and "outside.png (outside the issue folder)" in result.stderr


def test_the_fetcher_refuses_names_no_file_can_have(tmp_path: Path):
    fetcher = SandboxFetcher([tmp_path], issue_root=tmp_path)
    for url in (f"{ISSUE_BASE}{'a' * 5000}.png", f"{ISSUE_BASE}a%00b.png", f"{tmp_path.as_uri()}/a%00b.png"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 3
    assert SandboxFetcher([tmp_path]).digest_now(f"{ISSUE_BASE}a.png") == ""  # no issue folder: no issue URL
