"""Sections laid out side by side, each in a forked process, into a disk cache of laid-out sections.

A section (the front, one article at one page parity, the tail, the folios) is laid out by WeasyPrint in a fresh
fork of the render, written as a tagged PDF, and described in a JSON-safe report: its pages, their names and
anchors, what the checks of laid-out pages found on them (page numbers relative to the section), WeasyPrint's
messages and the URLs the sandbox refused. Both go to the cache folder by a key of everything the layout depends
on (the HTML, which carries only the page parity, the files it draws on, WeasyPrint's version, this code), so an
unchanged section is never laid out again, in this process or the next; an article's copy-fitting runs inside its
worker, each step tried cached by its own HTML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import select
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.forked import Forked
from issue_builder.layout.boxes import page_root
from issue_builder.layout.copyfit import Fit, Measured, Rules, next_fit
from issue_builder.layout.engine import weasyprint
from issue_builder.layout.fetcher import SandboxFetcher
from issue_builder.layout.fit import body_line, is_body_page, measure_article, page_fill, titles
from issue_builder.layout.folios import margin_boxes, without_folios
from issue_builder.layout.html import RenderedHtml
from issue_builder.layout.join import LINK_SCHEME
from issue_builder.layout.overflow import find_overflows, lost_text
from issue_builder.layout.resolution import placements

CACHE_BYTES = 512 * 1024 * 1024  # the section cache's size: least recently used sections go beyond it
REPORT_VERSION = 1  # raised when the report's fields change
_CODE = Path(__file__).parent


def code_digest() -> str:
    """A hash of the layout code (what the reports hold and how they are measured): a changed tool lays out anew."""
    digest = hashlib.sha256(f"{REPORT_VERSION}\0{weasyprint.__version__}".encode())
    for path in sorted(_CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class SectionCache:
    """Laid-out sections on disk: `<key>.json` (the report) and `<key>.pdf`, least recently used dropped first."""

    def __init__(self, folder: Path, limit: int = CACHE_BYTES):
        self.folder, self.limit = folder, limit
        self.used: set[str] = set()

    def get(self, key: str) -> dict | None:
        path = self.folder / f"{key}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if entry.get("report") is not None and not (self.folder / f"{key}.pdf").is_file():
            entry["report"] = None  # its PDF went: only the measurements are left
        self.used.add(key)
        with contextlib.suppress(OSError):
            os.utime(path)
        return entry

    def pdf(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def put(self, key: str, entry: dict, pdf: bytes | None = None) -> None:
        """Store an entry whole (its PDF before its report: a report found means its PDF is there)."""
        if pdf is not None:
            store_in_cache(self.pdf(key), pdf)
        store_in_cache(self.folder / f"{key}.json", json.dumps(entry, sort_keys=True).encode())
        self.used.add(key)

    def prune(self) -> None:
        """Drop the least recently used entries beyond the size limit, never one this build used."""
        try:
            files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*.json")]
        except OSError:
            return
        sizes = {}
        for _, size, path in files:
            pdf = path.with_suffix(".pdf")
            sizes[path] = size + (pdf.stat().st_size if pdf.exists() else 0)
        total = sum(sizes.values())
        for _, _, path in sorted(files, key=lambda f: (f[0], f[2].name)):
            if total <= self.limit:
                break
            if path.stem in self.used:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                path.with_suffix(".pdf").unlink(missing_ok=True)
            total -= sizes[path]


@dataclass
class Env:
    """What every worker inherits from the render: set up once, before the first fork."""

    html_for: Callable[..., RenderedHtml]
    fetcher: SandboxFetcher
    sizes: dict[str, tuple[int, int]]  # image URL -> pixels, for the placements
    cache: SectionCache
    context: str  # resources, WeasyPrint, code: what every key holds besides the HTML
    rules: Rules
    scratch: Path  # PDFs that could not go to the cache
    laid_out: int = 0  # sections laid out by this build's workers (an article at both parities counts twice)
    cached: int = 0  # sections read from the cache


@dataclass(frozen=True)
class Task:
    """One section to settle: an article at a parity, the front, the tail or the folios."""

    kind: str  # "article", "front", "tail", "folios"
    name: str  # the article's id, or the kind
    html: Callable[[Fit], RenderedHtml] = field(compare=False)  # the section's HTML at a fit
    spacer: bool = False  # laid out behind a spacer page that the join drops
    tagged: bool = True
    fitted: bool = False  # copy-fitted: its fit loop runs in the worker


def prepared(html: str) -> str:
    """A section's HTML as laid out: its folios switched off, its links to anchors made links across sections."""
    return without_folios(html, margin_boxes(html)).replace('href="#', f'href="{LINK_SCHEME}')


def key_of(env: Env, html: str, base_url: str, tagged: bool) -> str:
    digest = hashlib.sha256(html.encode())
    digest.update(f"\0{base_url}\0{tagged}\0{env.context}".encode())
    return digest.hexdigest()


def settle(env: Env, task: Task, lay_out: bool) -> dict | None:
    """The section's report (with its `key`, `pdf` and every key it `used`): from the cache, or, when `lay_out`,
    laid out here (in a worker) and stored; None when it is not cached and `lay_out` is false. An article is
    copy-fitted first: each fit tried is measured, or its measurements read from the cache."""
    documents: dict[Fit, tuple[Any, list, list]] = {}
    used: list[str] = []

    def look(fit: Fit) -> tuple[str, str, str, dict | None]:
        rendered = task.html(fit)
        html = rendered.html if task.kind == "folios" else prepared(rendered.html)
        key = key_of(env, html, rendered.base_url, task.tagged)
        used.append(key)
        return key, html, rendered.base_url, env.cache.get(key)

    fit = Fit()
    if task.fitted:
        tried: dict[Fit, Measured] = {}
        while fit not in tried:
            key, html, base_url, entry = look(fit)
            if entry is None or entry.get("measured") is None:
                if not lay_out:
                    return None
                documents[fit] = _lay_out(env, html, base_url)
                pages = documents[fit][0].pages
                entry = {"measured": asdict(measure_article(pages[1:] if task.spacer else pages)), "report": None}
                env.cache.put(key, entry)
            tried[fit] = Measured(**entry["measured"])
            fit = next_fit(tried, env.rules)
    key, html, base_url, entry = look(fit)
    if entry is not None and entry.get("report") is not None:
        return {**entry["report"], "key": key, "pdf": str(env.cache.pdf(key)), "cached": True, "used": used}
    if not lay_out:
        return None
    if fit not in documents:
        documents[fit] = _lay_out(env, html, base_url)
    document, records, refused = documents[fit]
    with _messages(env) as (written, fetched):  # writing embeds the fonts: a glyph no font has is found here
        pdf = document.write_pdf(pdf_tags=task.tagged)
    report = _report(env, task, document, records + written, refused + fetched, html, fit)
    env.cache.put(key, {"measured": (entry or {}).get("measured"), "report": report}, pdf)
    path = env.cache.pdf(key)
    if not path.is_file():  # the cache cannot be written: the PDF goes to the render's scratch folder
        path = env.scratch / f"{key}.pdf"
        path.write_bytes(pdf)
    return {**report, "key": key, "pdf": str(path), "cached": False, "used": used}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


@contextlib.contextmanager
def _messages(env: Env):
    """WeasyPrint's messages ((level, text)) and the URLs the sandbox refused while the block runs, in two lists
    filled when it ends."""
    logger = logging.getLogger("weasyprint")
    capture = _Capture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    refused = len(env.fetcher.refused)
    found: tuple[list, list] = ([], [])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield found
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
        found[0].extend(list(r) for r in capture.records)
        found[1].extend(list(r) for r in env.fetcher.refused[refused:])


def _lay_out(env: Env, html: str, base_url: str) -> tuple[Any, list, list]:
    """(document, WeasyPrint's messages, URLs refused) of one layout."""
    with _messages(env) as (records, refused):
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=env.fetcher).render()
    return document, records, refused


def _report(env: Env, task: Task, document, records: list, refused: list, html: str, fit: Fit) -> dict:
    """What the rest of the build needs of a laid-out section, in plain data (pages relative to the section)."""
    pages = document.pages[1:] if task.spacer else document.pages
    fills = {}
    if task.kind == "article":
        line = body_line(pages)
        fills = {str(n): asdict(page_fill(p, line)) for n, p in enumerate(pages, start=1) if is_body_page(p)}
    return {
        "name": task.name,
        "pages": len(pages),
        "page_types": [[page_root(p).page_type.name or "", bool(page_root(p).page_type.blank)] for p in pages],
        "anchors": [sorted(p.anchors) for p in pages],
        "titles": {k: list(v) for k, v in titles(pages).items()},
        "overflows": [list(o) for o in find_overflows(pages)],
        "lost": [list(lost) for lost in lost_text(pages)],
        "placements": [asdict(p) for p in placements(pages, env.sizes)],
        "records": [list(r) for r in records],
        "refused": refused,
        "fills": fills,
        "fit": asdict(fit),
        "spacer": task.spacer,
        "html": html,
    }


def settle_all(env: Env, tasks: list[Task], step: Callable[[dict], None] = lambda _: None) -> list[dict]:
    """Each task's report, in order: cached ones read here, the rest laid out side by side, one forked process
    per section and at most as many alive as there are processors (the render's limits count their memory);
    `step` is given each report as it comes."""
    reports: list[dict | None] = [settle(env, task, lay_out=False) for task in tasks]
    for report in reports:
        if report is not None:
            env.cached += 1
            step(report)
    pending = [i for i, r in enumerate(reports) if r is None]
    running: dict[int, Forked] = {}
    limit = max(1, os.cpu_count() or 1)
    try:
        while pending or running:
            while pending and len(running) < limit:
                i = pending.pop(0)
                task = tasks[i]
                running[i] = Forked(lambda task=task: settle(env, task, lay_out=True), f"laying out {task.name}")
            ready, _, _ = select.select([f.read_end for f in running.values()], [], [])
            for i in [i for i, f in running.items() if f.read_end in ready]:
                reports[i] = running.pop(i).result()
                env.cache.used.update(reports[i]["used"])
                env.laid_out += 1
                step(reports[i])
    finally:
        for forked in running.values():
            forked.cancel()
    return reports  # type: ignore[return-value]


def scratch_folder() -> Path:
    """Where section PDFs go when the cache cannot take them: the render's temporary folder."""
    return Path(tempfile.mkdtemp(prefix="sections-"))
