"""Lay the issue out once, section by section and side by side, and join it into one PDF: the document every
edition is finished from."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, OutputError, RenderError, display_path
from issue_builder.base.identifiers import ean13_for_issn
from issue_builder.base.kept_files import SECTIONS
from issue_builder.base.paths import FONTS_DIR
from issue_builder.layout import png_streams
from issue_builder.layout.barcode import barcode_file, barcode_width
from issue_builder.layout.copyfit import Rules
from issue_builder.layout.fetcher import SandboxFetcher
from issue_builder.layout.fit import PageFill, page_budget_findings, titles_over, underfilled_findings
from issue_builder.layout.font_merge import originals
from issue_builder.layout.html import Barcode, html_renderer
from issue_builder.layout.join import Part, join_in_child
from issue_builder.layout.laid_out import Layout, Placement, article_at
from issue_builder.layout.overflow import describe
from issue_builder.layout.parallel import Env, SectionCache, code_digest
from issue_builder.layout.sections import Placed, place
from issue_builder.layout.urls import ISSUE_SCHEME, as_written, build_url, issue_path
from issue_builder.layout.warm import fonts_shared_for_the_build
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.images import placeable
from issue_builder.prepare.inputs import resources_digest
from issue_builder.prepare.scripts import missing_glyph_hint

_NOTDEF = re.compile(
    r'\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)" \(U\+([0-9A-F]+)\)', re.S
)
WARNING, ERROR = 30, 40  # logging levels of WeasyPrint's messages


def lay_out_issue(issue: PreparedIssue, cache_dir: Path, step: Callable[[str], None] = lambda _: None) -> Layout:
    """Lay out and write `issue`; converted copies of images that WeasyPrint cannot place and the laid-out sections
    (layout/sections.py, layout/parallel.py) go to `cache_dir`."""
    cache_dir = cache_dir.resolve()  # its files are placed by file: URL
    flatten = issue.manifest.printing.pdf_x == "1a"
    try:
        placed = {info.path: placeable(info, cache_dir, srgb=False, flatten=flatten) for info in issue.images}
    except OSError as exc:
        raise OutputError(f"cannot write prepared images to {cache_dir}: {exc.strerror or exc}") from None
    image_urls = {
        url: build_url(placed[info.path].name)
        for url, (_, info) in issue.image_sources.items()
        if placed[info.path] != info.path
    }
    barcode, generated = _barcode(issue)

    html_for = html_renderer(issue, barcode=barcode, transparency=not flatten, image_urls=image_urls)

    originals_of = {copy: url for url, copy in image_urls.items()}
    sizes = {url: (info.width, info.height) for url, (_, info) in issue.image_sources.items()}
    sizes.update({copy: sizes[url] for copy, url in originals_of.items()})
    cache = SectionCache(cache_dir / SECTIONS)
    with (
        tempfile.TemporaryDirectory(prefix="issue-layout-") as scratch,
        fonts_shared_for_the_build(),
        cache.held(),
        png_streams.kept_in(cache_dir),
    ):
        env = Env(
            html_for=html_for,
            fetcher=SandboxFetcher(
                [issue.root, FONTS_DIR, *issue.layout_chain], generated, build_dir=cache_dir, issue_root=issue.root
            ),
            sizes=sizes,
            cache=cache,
            context=f"{resources_digest(issue)}\0{code_digest()}",
            rules=Rules.of(issue.manifest.typesetting),
            scratch=Path(scratch),
            issue=issue,
        )
        placed_sections = place(issue, env, lambda editorial: fill_pages(editorial, issue), step)
        sections = placed_sections.sections
        step(f"joining {len(sections)} sections")
        fonts = originals(face.path for faces in issue.font_faces.values() for face in faces)
        parts = _parts(sections, placed_sections.folios)
        try:  # the joined PDF stays on disk, read by the finishers as they need it (a whole issue is large)
            handle, name = tempfile.mkstemp(prefix=".layout.", suffix=f".{os.getpid()}.tmp", dir=cache_dir)
            os.close(handle)
            target = Path(name)
            try:
                joined = join_in_child(parts, Path(placed_sections.folios["pdf"]), fonts, target)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutputError(
                f"cannot write the laid-out issue to {display_path(cache_dir)}: {exc.strerror or exc}; earlier "
                "outputs were kept"
            ) from None
        env.cache.prune()
    return _layout(issue, placed_sections, target, joined, originals_of, env)


def _parts(sections: list[dict], furniture: dict) -> list[Part]:
    """The sections' PDFs, each page moved to where the furniture document (laid out on the pages' real sides)
    puts its text frame; the frames must be of one size on both sides."""
    frames = iter(furniture["frames"])
    kinds = iter(furniture["page_types"])
    parts, number = [], 0
    for report in sections:
        shifts = []
        for frame, (_, blank) in zip(report["frames"], report["page_types"], strict=True):
            number += 1
            side, (_, left_blank) = next(frames), next(kinds)
            if blank or left_blank:
                shifts.append(0.0)
                continue
            if any(abs(a - b) > 0.01 for a, b in zip(frame[1:], side[1:], strict=True)):
                raise RenderError(
                    f"page {number}: the layout gives left- and right-hand pages text frames of different sizes "
                    f"({_size(frame)} and {_size(side)}): sections are laid out without knowing their sides, so "
                    "the @page :left and :right margins must mirror each other"
                )
            shifts.append(round(side[0] - frame[0], 4))
        parts.append(Part(Path(report["pdf"]), tuple(shifts)))
    return parts


def _size(frame: list[float]) -> str:
    return f"{frame[2]:g} x {frame[3]:g} pt at {frame[1]:g} pt from the top"


def _layout(
    issue: PreparedIssue, placed: Placed, pdf: Path, joined: list[Diagnostic], originals_of: dict, env: Env
) -> Layout:
    """The Layout from the sections' reports: their pages numbered in the issue."""
    sections = placed.sections
    firsts, page = [], 1
    for report in sections:
        firsts.append(page)
        page += report["pages"]
    pages = page - 1
    article_pages: dict[str, int] = {}
    for report, first in zip(sections, firsts, strict=True):
        for number, anchors in enumerate(report["anchors"], start=first):
            for anchor in anchors:
                if anchor.startswith("article-"):
                    article_pages.setdefault(anchor.removeprefix("article-"), number)
    placements = []
    for report, first in zip(sections, firsts, strict=True):
        for p in report["placements"]:
            placements.append(
                Placement(
                    page=p["page"] + first - 1,
                    src=originals_of.get(p["src"], p["src"]),
                    width_in=p["width_in"],
                    height_in=p["height_in"],
                    ppi=p["ppi"],
                    trimmed=tuple(p["trimmed"]) if p["trimmed"] is not None else None,
                    drawn=tuple(p["drawn"]) if p["drawn"] is not None else None,
                )
            )
    fills = {
        int(n) + first - 1: PageFill(**fill)
        for report, first in zip(sections, firsts, strict=True)
        for n, fill in report["fills"].items()
    }
    editorial = pages - placed.tail["pages"]
    found = _classify(
        [tuple(r) for report in [*sections, placed.folios] for r in report["records"]],
        [tuple(r) for report in [*sections, placed.folios] for r in report["refused"]],
        issue,
    )
    found += joined
    found += [Diagnostic.from_dict(d) for d in placed.front.get("contrast", [])]
    for report in sections:
        for article_id, expected, reached in report["lost"]:
            title = next((a.title for a in issue.articles if f"article-{a.id}" == article_id), article_id)
            found.append(
                Diagnostic(
                    f"{title}: only {reached} of {expected} letters reached the pages (text the layout's CSS "
                    "hides, such as display: none, or a positioned block too large for its page?)",
                    code="lost-text",
                )
            )
    steps = issue.manifest.typesetting.title_steps
    smaller = f", even set {steps} step{'s' if steps > 1 else ''} smaller (typesetting.title_steps)" if steps else ""
    titles = {k: tuple(v) for report in placed.articles for k, v in report["titles"].items()}
    found += [  # titles still too long at the smallest size copy-fitting may set them
        Diagnostic(f"{text}{smaller}: shorten it, or allow more lines", code="editorial")
        for text in titles_over(titles, issue)
    ]
    ran_on = placed.ran_on
    found += [  # asked of an article itself, and not done: its opening found no room where the one before ends
        Diagnostic(
            f"articles[{a.number - 1}] has run_on: true, but its opening (rule, picture, title and first lines) "
            "does not fit in the room the article before it leaves: it starts a page of its own",
            severity="warning",
            code="run-on",
            page=article_pages.get(a.id),
        )
        for a in issue.articles
        if a.runs_on and a.source.run_on and a.id not in ran_on
    ]
    found += [
        Diagnostic(text, severity="warning", code="editorial")
        for text in page_budget_findings(article_pages, editorial, issue, ran_on)
    ]
    for report, first in zip(sections, firsts, strict=True):
        for number, problem, continues in report["overflows"]:
            number += first - 1
            article = article_at(number, article_pages, issue)
            where = f"{article.title}: " if article else ""
            problem = describe(problem, continues + first - 1 if continues is not None else None)
            found.append(Diagnostic(f"{where}{problem}", code="overflow", page=number))
    found += [
        Diagnostic(text, severity="warning", code="underfilled", page=number)
        for number, text in underfilled_findings(fills, article_pages, issue, ran_on)
    ]
    fresh = sum(r["key"] in env.fresh for r in [*sections, placed.folios])  # laid out by this build, not read back
    return Layout(
        pdf=pdf,
        pages=pages,
        article_pages=article_pages,
        fill_pages=placed.fill_pages,
        placements=placements,
        html=_html_files([*sections, placed.folios]),
        diagnostics=found,
        sections=(fresh, len(sections) + 1 - fresh),
        fills=[fills[n].percent if n in fills else None for n in range(1, pages + 1)],
        inputs=_drawn_on(issue, [*sections, placed.folios]),
        ran_on=ran_on,
    )


def _drawn_on(issue: PreparedIssue, reports: list[dict]) -> dict[str, str | None]:
    """The files of the issue's folder the sections drew on, by `file:` URL (None: looked for and not found): the
    build record keeps them, so that a file no manifest names but the layout's CSS uses is seen to change."""
    found = {}
    for report in reports:
        for url, digest in sorted(report["inputs"].items()):
            path = issue_path(url, issue.root)
            if path is not None:
                found[path.as_uri()] = digest
    return found


def _html_files(sections: list[dict]) -> dict[str, str]:
    """The HTML of each section as laid out, by a file name that sorts in page order, then the running heads and
    folios laid over them."""
    names = ["00-front.html"] + [f"{n:02d}-{r['name']}.html" for n, r in enumerate(sections[1:-2], start=1)]
    names.append(f"{len(names):02d}-tail.html")
    names.append(f"{len(names):02d}-running-heads-and-folios.html")
    return {name: report["html"] for name, report in zip(names, sections, strict=True)}


def _barcode(issue: PreparedIssue) -> tuple[Barcode | None, dict[str, bytes]]:
    m = issue.manifest
    if not m.periodical.issn:
        return None, {}
    name, data = barcode_file(ean13_for_issn(m.periodical.issn), f"{m.issue % 100:02d}")
    return Barcode(url=build_url(name), width=barcode_width()), {name: data}


def fill_pages(editorial_pages: int, issue: PreparedIssue) -> int:
    """Pages to add before the back cover so that the binding's page multiple is met."""
    m = issue.manifest
    multiple = page_multiple(m.binding)
    missing = -(editorial_pages + 1) % multiple
    if missing and m.printing.fill == "fail":
        raise RenderError(
            f"{editorial_pages + 1} pages: {m.binding} binding needs a multiple of {multiple}; "
            f"{missing} page(s) missing before the back cover (pages {editorial_pages + 1}"
            f"{'-' + str(editorial_pages + missing) if missing > 1 else ''}). Add content, or set "
            "printing.fill to house-ad, notes or blank."
        )
    return missing


def page_multiple(binding: str) -> int:
    """Pages a binding takes in multiples of: four for saddle stitching (folded sheets), two otherwise."""
    return 4 if binding == "saddle-stitch" else 2


_ISSUE_URL = re.compile(rf"{ISSUE_SCHEME}:[^\s'\"]+")


def _classify(records: list[tuple[int, str]], refused: list[tuple[str, str]], issue: PreparedIssue) -> list[Diagnostic]:
    """WeasyPrint's messages ((level, text), each once) and the URLs the sandbox refused, as findings."""
    found = [Diagnostic(f"{as_written(url)} ({why})", code="refused-url") for url, why in dict.fromkeys(refused)]
    seen = set()
    for level, text in records:
        if text in seen:
            continue
        seen.add(text)
        glyph = _NOTDEF.search(text)
        if glyph:
            char = glyph.group(1)
            where = [
                a.title for a in issue.articles if char in str(a.body_html) or char in a.title or char in (a.dek or "")
            ]
            place = f" in: {'; '.join(where)}" if where else ""
            found.append(
                Diagnostic(
                    f"no committed font has the character {char!r} (U+{glyph.group(2)}){place} "
                    f"({missing_glyph_hint(char[:1])})",
                    code="missing-glyph",
                )
            )
        elif text.startswith("Failed to load"):
            if not any(url in text for url, _ in refused):
                found.append(
                    Diagnostic(
                        _ISSUE_URL.sub(lambda u: as_written(u[0]), text.splitlines()[0]), code="missing-resource"
                    )
                )
        elif "anchor" in text.lower():
            found.append(Diagnostic(text, code="unknown-anchor"))
        elif level >= ERROR:
            found.append(Diagnostic(text, code="other"))
        elif text.startswith(("Ignored", "Unsupported", "Invalid", "Expected")):
            found.append(Diagnostic(text, severity="warning", code="css"))
        else:
            found.append(Diagnostic(text, severity="warning", code="other"))
    return found
