"""Sections laid out side by side, each in a forked process, into a disk cache of laid-out sections.

A section (the front, one article, the tail, the page furniture) is laid out by WeasyPrint in a fresh fork of the
render, written as a tagged PDF, and described in a JSON-safe report: its pages, their names, anchors, text frames
and named strings, what the checks of laid-out pages found on them (page numbers relative to the section),
WeasyPrint's messages and the URLs the sandbox refused. Both go to the cache folder by a key of what the layout
depends on (the HTML, the layout's folders and fonts, WeasyPrint and the libraries under it, this code), with the
files the layout drew on (pictures, and anything else the sandbox served) and their SHA-256 in the entry: an entry
whose files changed is no entry. So an unchanged section is never laid out again, in this process or the next,
and a retouched picture lays out again only the sections that show it; an article's copy-fitting runs inside its
worker, each step tried cached by its own HTML.

Every page of a section is laid out as a right-hand page (its margin boxes switched off: layout/folios.py), so a
section's layout does not depend on where it lands; the join moves a page that falls on the left by the
difference between the two sides' text frames, which must be the same size.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import select
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from issue_builder.base.atomic import remove_dead_temps, store_in_cache
from issue_builder.base.cache import file_sha256, libraries_fingerprint
from issue_builder.base.forked import Forked
from issue_builder.base.kept_files import IN_USE, when_alone
from issue_builder.layout.boxes import page_root
from issue_builder.layout.copyfit import CONTENTS_PROBE, Fit, Measured, Rules, next_fit
from issue_builder.layout.cover_contrast import cover_contrast_findings
from issue_builder.layout.engine import boxes, page_layout, weasyprint
from issue_builder.layout.fetcher import SandboxFetcher
from issue_builder.layout.fit import body_line, contents_height, is_body_page, measure_article, page_fill, titles
from issue_builder.layout.folios import margin_boxes, without_furniture
from issue_builder.layout.html import RenderedHtml
from issue_builder.layout.join import LINK_SCHEME
from issue_builder.layout.overflow import find_overflows, lost_text
from issue_builder.layout.resolution import placements
from issue_builder.layout.warm import fast_array_types, font_faces, shared_fonts, warm
from issue_builder.prepare.content import PreparedIssue

CACHE_BYTES = 512 * 1024 * 1024  # the section cache's size: least recently used sections go beyond it
CLAIMS = ".claims"  # a file per key being laid out, locked by the process laying it out
REPORT_VERSION = 3  # raised when the entry's or the report's fields change
PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels and writes points
CONTENTS = ("contents_height", "contents_pull")  # what measuring the front gives: `Fit` fields of its contents
_CODE = Path(__file__).parent


def code_digest() -> str:
    """A hash of the layout code (what the reports hold and how they are measured), WeasyPrint and the libraries
    under it: a changed tool lays out anew."""
    digest = hashlib.sha256(f"{REPORT_VERSION}\0{weasyprint.__version__}\0{libraries_fingerprint()}".encode())
    for path in sorted(_CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class SectionCache:
    """Laid-out sections on disk: `<key>.json` (the entry: the report, the copy-fitting measurements, the files the
    layout drew on with their SHA-256, and a SHA-256 of it all and of the PDF) and `<key>.pdf`, least recently used
    dropped first. An entry that is damaged, or whose PDF is not the one it was written with, is no entry."""

    def __init__(self, folder: Path, limit: int = CACHE_BYTES):
        self.folder, self.limit = folder, limit
        self.used: set[str] = set()
        self.lock: BinaryIO | None = None  # held shared while a build uses the cache (`held`)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The cache in use by this build until the block ends: another build using the same folder meanwhile does
        not prune it (an entry this build looked up is there when it joins its sections)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = open(self.folder / IN_USE, "a+b")  # held for the block, closed below
        except OSError:
            yield  # a cache that cannot be written: nothing to hold
            return
        try:
            with contextlib.suppress(OSError):  # a file system without locks: the cache is never pruned there
                fcntl.flock(lock, fcntl.LOCK_SH)
                self.lock = lock
            yield
        finally:
            self.lock = None
            lock.close()

    def get(self, key: str) -> dict | None:
        path = self.folder / f"{key}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not _sound(entry):
            return None
        if entry["report"] is not None and _pdf_digest(self.pdf(key)) != entry["pdf"]:
            entry["report"] = None  # its PDF went or changed: only the measurements are left
        self.used.add(key)
        with contextlib.suppress(OSError):
            os.utime(path)
        return entry

    def pdf(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    @contextlib.contextmanager
    def claimed(self, key: str, wait: bool = True) -> Iterator[bool]:
        """The key's layout claimed by this process until the block ends (True), so that no two processes lay out
        the same section at once: one that `wait`s gets the claim when the other is done (and finds its entry);
        one that does not gets False while another holds it. Where the cache cannot be written or locked, one that
        waits gets True without a claim, and one that does not gets False."""
        try:
            (self.folder / CLAIMS).mkdir(parents=True, exist_ok=True)
            claim = open(self.folder / CLAIMS / key, "a+b")  # closed below, which lets go of the claim
        except OSError:
            yield wait
            return
        with claim:
            try:
                fcntl.flock(claim, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held by another process; or a file system without locks, where only those that wait
                yield wait  # lay out what they need (and those that would lay out ahead do not)
                return
            yield True

    def put(self, key: str, entry: dict, pdf: bytes | None = None) -> None:
        """Store an entry whole (its PDF before its report: a report found means its PDF is there)."""
        entry = {**entry, "pdf": hashlib.sha256(pdf).hexdigest() if pdf is not None else None}
        if pdf is not None:
            store_in_cache(self.pdf(key), pdf)
        entry["digest"] = _entry_digest(entry)
        store_in_cache(self.folder / f"{key}.json", json.dumps(entry, sort_keys=True).encode())
        self.used.add(key)

    def prune(self) -> None:
        """Drop the least recently used entries beyond the size limit, never one this build used; and what no entry
        owns: a PDF without its entry, the temporary file of a worker that was stopped (its process gone). Only when
        no other build is using the cache: the last one to finish prunes it. The last this build does with the
        cache: it holds it no longer."""
        if self.lock is not None:  # let go first: Linux lets go of a shared lock it fails to make exclusive anyway
            with contextlib.suppress(OSError):
                fcntl.flock(self.lock, fcntl.LOCK_UN)
        when_alone(self.folder / IN_USE, self._prune)

    def _prune(self) -> None:
        try:
            for pdf in self.folder.glob("*.pdf"):
                if not pdf.with_suffix(".json").exists() and pdf.stem not in self.used:
                    pdf.unlink(missing_ok=True)
            remove_dead_temps(self.folder)
            for claim in (self.folder / CLAIMS).glob("*"):  # no build is using the cache: no claim is held
                claim.unlink(missing_ok=True)
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


def _entry_digest(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k != "digest"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _sound(entry: object) -> bool:
    """Whether a cache entry read back is whole: the shape this code writes, and its digest right."""
    return (
        isinstance(entry, dict)
        and set(entry) == {"measured", "report", "inputs", "pdf", "digest"}
        and isinstance(entry["inputs"], dict)
        and (entry["measured"] is None or isinstance(entry["measured"], dict))
        and (entry["report"] is None or (isinstance(entry["report"], dict) and isinstance(entry["pdf"], str)))
        and entry["digest"] == _entry_digest(entry)
    )


def _pdf_digest(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


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
    issue: PreparedIssue  # what the checks of the laid-out front name its cover lines by
    fresh: set[str] = field(default_factory=set)  # the keys of the sections this build's workers laid out
    cached: int = 0  # sections read from the cache
    digests: dict[str, str | None] = field(default_factory=dict)  # URL -> what it serves now, asked once a build
    font_config: Any = None  # the fonts every layout shares (False: none shared), made before the first fork
    guessed: dict[str, Forked] = field(default_factory=dict)  # sections laid out ahead on a guess, by the guess
    faces: tuple = ()  # the base URL and @font-face rules the shared fonts were made from

    def share_fonts(self, task: Task) -> None:
        """Add the fonts of the section's stylesheets to one font configuration for every fork from now on (a
        layout that finds a face added uses it as it is); none shared when adding them says anything at all, so
        that each section's layout says it (layout/warm.py)."""
        if self.font_config is None:
            self.font_config = False
            with contextlib.suppress(Exception):  # only a head start: each section adds its fonts itself
                rendered = task.html(Fit())
                html = laid_out_html(task, rendered)
                with _messages(self) as (records, refused):
                    fonts = shared_fonts(html, rendered.base_url, self.fetcher)
                if not records and not refused:
                    self.font_config, self.faces = fonts, (rendered.base_url, font_faces(html))

    def fonts_for(self, html: str, base_url: str):
        """The shared font configuration when `html` declares exactly its fonts (the same @font-face rules, the
        same base URL), else None: WeasyPrint makes one for the layout."""
        if self.font_config and self.faces == (base_url, font_faces(html)):
            return self.font_config
        return None

    def warm(self) -> None:
        """Load in this process what every section's fork would load again (layout/warm.py)."""
        warm([self.issue.manifest.periodical.language])

    def current(self, inputs: dict[str, str | None]) -> bool:
        """Whether every file a laid-out section drew on is still what it was (and every one missing still is)."""
        for url, digest in inputs.items():
            if url not in self.digests:
                self.digests[url] = self.fetcher.digest_now(url)
            if self.digests[url] != digest:
                return False
        return True


@dataclass(frozen=True)
class Task:
    """One section to settle: an article, the front, the tail or the furniture (kind "folios")."""

    kind: str  # "article", "front", "tail", "folios"
    name: str  # the article's id, or the kind
    html: Callable[[Fit], RenderedHtml] = field(compare=False)  # the section's HTML at a fit
    tagged: bool = True
    fitted: bool = False  # copy-fitted: its fit loop runs in the worker


def prepared(html: str) -> str:
    """A section's HTML as laid out: its margin boxes switched off, its links to anchors made links across
    sections."""
    return without_furniture(html, margin_boxes(html)).replace('href="#', f'href="{LINK_SCHEME}')


def laid_out_html(task: Task, rendered: RenderedHtml) -> str:
    """The HTML a task's section is laid out from: the furniture as it is rendered, any other section `prepared`."""
    return rendered.html if task.kind == "folios" else prepared(rendered.html)


def key_of(env: Env, html: str, base_url: str, tagged: bool) -> str:
    digest = hashlib.sha256(html.encode())
    digest.update(f"\0{base_url}\0{tagged}\0{env.context}".encode())
    return digest.hexdigest()


def body_size(html: str) -> int:
    """The length of `html` from its body on: what an edit of the text changes (not the stylesheets)."""
    return len(html) - max(html.find("<body"), 0)


def settle(env: Env, task: Task, lay_out: bool) -> dict | None:
    """The section's report (with its `key`, `pdf`, every key it `used`, the `fits` they were set at and the `size`
    of its HTML's body at the first): from the cache, or, when `lay_out`, laid out here (in a worker) and stored;
    None when it is not cached and `lay_out` is false. An article is copy-fitted first: each fit tried is measured,
    or its measurements read from the cache; the front's contents are measured filled in order first, and laid out
    at the height that balances their columns. Each layout is claimed first: one another process is laying out
    meanwhile (`settle_ahead`) is waited for and read from the cache."""
    documents: dict[str, tuple[Any, list, list]] = {}  # by key
    used: list[str] = []
    fits: list[dict] = []
    sizes: list[int] = []  # the length of the HTML's body at each fit tried
    inputs: dict[str, str | None] = {}  # what every fit tried drew on, whichever process laid it out

    def look(fit: Fit) -> tuple[str, str, str, dict | None]:
        rendered = task.html(fit)
        html = laid_out_html(task, rendered)
        key = key_of(env, html, rendered.base_url, task.tagged)
        used.append(key)
        fits.append(asdict(fit))
        sizes.append(body_size(html))
        entry = _entry(env, key)
        inputs.update(entry["inputs"] if entry is not None else {})
        return key, html, rendered.base_url, entry

    def measured(key: str, html: str, base_url: str, measure: Callable[[list], dict]) -> dict:
        with env.cache.claimed(key):
            entry = _entry(env, key)
            if entry is None or entry.get("measured") is None:
                documents[key] = _lay_out(env, html, base_url)
                served = dict(env.fetcher.served)
                entry = {"measured": measure(documents[key][0].pages), "report": None, "inputs": served}
                env.cache.put(key, entry)
        inputs.update(entry["inputs"])
        return entry

    fit = Fit()
    if task.fitted:
        tried: dict[Fit, Measured] = {}
        while fit not in tried:
            key, html, base_url, entry = look(fit)
            if entry is None or entry.get("measured") is None:
                if not lay_out:
                    return None
                entry = measured(key, html, base_url, lambda pages: asdict(measure_article(pages)))
            tried[fit] = Measured.read(entry["measured"])
            following = next_fit(tried, env.rules)
            if tried[fit].stranded and (fit == Fit() or following == fit):
                # an article run on found no room as set: the section is cut before it (layout/sections.py)
                split = tried[fit].stranded[0]
                found = {"name": task.name, "split": split, "pages": 0, "key": key}
                return {**found, "used": used, "fits": fits, "size": sizes[0]}
            fit = following
    elif task.kind == "front":
        # WeasyPrint balances columns by laying them out again and again (issue 18's contents: 1.5 s of 1.7); filled
        # in order to the height measured here, they are laid out once
        probe = Fit(contents_height=CONTENTS_PROBE)
        key, html, base_url, entry = look(probe)
        if entry is None or entry.get("measured") is None:
            if not lay_out:
                return None
            entry = measured(key, html, base_url, _contents_measured)
        fit = Fit(**{name: entry["measured"][name] for name in CONTENTS})
    key, html, base_url, entry = look(fit)
    if entry is None or entry.get("report") is None:
        if not lay_out:
            return None
        with env.cache.claimed(key):
            entry = _entry(env, key) or entry
            if entry is None or entry.get("report") is None:
                measurements = None if entry is None else entry.get("measured")
                report = _write(env, task, key, (html, base_url), fit, measurements, documents)
                return {**report, "inputs": inputs | report["inputs"], "used": used, "fits": fits, "size": sizes[0]}
    found = {"key": key, "pdf": str(env.cache.pdf(key)), "cached": True, "inputs": inputs | entry["inputs"]}
    return {**entry["report"], **found, "fit": asdict(fit), "used": used, "fits": fits, "size": sizes[0]}


def settle_ahead(env: Env, task: Task, fit: Fit, final: bool) -> None:
    """Lay out a copy-fitted section at `fit` before its own worker asks for it (a fit its last layout tried):
    measured, and written when `final`, into the cache, as `settle` would; nothing when the cache has it or another
    process is laying it out. What it stores is what `settle` would store under the same key: only the time the
    work is done differs."""
    rendered = task.html(fit)
    html = laid_out_html(task, rendered)
    key = key_of(env, html, rendered.base_url, task.tagged)
    with env.cache.claimed(key, wait=False) as claimed:
        if not claimed:
            return
        entry = _entry(env, key)
        if entry is not None and entry.get("measured") is not None:  # measured: its worker may hold the layout
            return
        documents = {key: _lay_out(env, html, rendered.base_url)}
        measured = asdict(measure_article(documents[key][0].pages))
        if final:
            _write(env, task, key, (html, rendered.base_url), fit, measured, documents)
        else:
            env.cache.put(key, {"measured": measured, "report": None, "inputs": dict(env.fetcher.served)})


def _contents_measured(pages: list) -> dict:
    """What the front's probe measures: the height its contents' columns are filled to, and their pull."""
    return dict(zip(CONTENTS, contents_height(pages), strict=True))


def _entry(env: Env, key: str) -> dict | None:
    """The cache's entry of `key` when every file it drew on is as it was."""
    entry = env.cache.get(key)
    return entry if entry is not None and env.current(entry["inputs"]) else None


def _write(
    env: Env,
    task: Task,
    key: str,
    source: tuple[str, str],
    fit: Fit,
    measured: dict | None,
    documents: dict[str, tuple[Any, list, list]],
) -> dict:
    """The section at `key` (its HTML and base URL `source`) written as a PDF, stored with its report and
    `measured`; laid out first unless `documents` has it. The report, with where its PDF is."""
    html, base_url = source
    if key not in documents:
        documents[key] = _lay_out(env, html, base_url, right_hand=task.kind != "folios")
    document, records, refused = documents[key]
    with _messages(env) as (written, fetched):  # writing embeds the fonts: a glyph no font has is found here
        pdf = document.write_pdf(pdf_tags=task.tagged)
    report = _report(env, task, document, records + written, refused + fetched, html, fit)
    if task.kind == "front":  # the cover type against its picture, measured once for every edition
        report["contrast"] = [d.as_dict() for d in cover_contrast_findings(pdf, env.issue)]
    inputs = dict(env.fetcher.served)
    env.cache.put(key, {"measured": measured, "report": report, "inputs": inputs}, pdf)
    path = env.cache.pdf(key)
    if not path.is_file():  # the cache cannot be written: the PDF goes to the render's scratch folder
        path = env.scratch / f"{key}.pdf"
        path.write_bytes(pdf)
    return {**report, "key": key, "pdf": str(path), "cached": False, "inputs": inputs}


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


def _lay_out(env: Env, html: str, base_url: str, right_hand: bool = True) -> tuple[Any, list, list]:
    """(document, WeasyPrint's messages, URLs refused) of one layout; every page a right-hand one when
    `right_hand`."""
    with _messages(env) as (records, refused), _sides(right_hand):
        fonts = env.fonts_for(html, base_url)
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=env.fetcher).render(font_config=fonts)
    return document, records, refused


@contextlib.contextmanager
def _sides(right_hand: bool):
    """Every page WeasyPrint makes while the block runs matched by `@page :right`, never `:left`, when
    `right_hand`: WeasyPrint 70 decides a page's side in `remake_page` and gives it in the PageType it makes
    there; this is the one place that takes that decision over."""
    if not right_hand:
        yield
        return
    made = page_layout.PageType
    page_layout.PageType = lambda side, *rest: made("right", *rest)
    try:
        yield
    finally:
        page_layout.PageType = made


def _report(env: Env, task: Task, document, records: list, refused: list, html: str, fit: Fit) -> dict:
    """What the rest of the build needs of a laid-out section, in plain data (pages relative to the section)."""
    pages = document.pages
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
        "frames": [_frame(p) for p in pages],
        "strings": [_strings(p) for p in pages],
        "html": html,
    }


def _frame(page) -> list[float]:
    """The page's text frame in points: x and y of its top left corner from the page's, width and height."""
    box = page_root(page)
    return [round(v * PX_TO_PT, 4) for v in (box.content_box_x(), box.content_box_y(), box.width, box.height)]


def _strings(page) -> list[list[str]]:
    """The named strings set on the page, (name, value) in order: what WeasyPrint gathers for `string()` in its
    margin boxes (its layout_document), from every box but the margin boxes."""
    found = []
    for child in page_root(page).children:
        if isinstance(child, boxes.MarginBox):
            continue
        for box in child.descendants():
            if box.string_set and box.string_set != "none":
                found += [[name, text] for name, text in box.string_set]
    return found


def settle_all(
    env: Env,
    tasks: list[Task],
    step: Callable[[dict], None] = lambda _: None,
    ahead: Mapping[str, Sequence[Fit]] | None = None,
    looks: Sequence[int] | None = None,
    guesses: Callable[[int], dict[str, Task]] | None = None,
) -> list[dict]:
    """Each task's report, in order: cached ones read here, the rest laid out side by side in the order given, one
    forked process per section and at most as many alive as there are processors (the render's limits count their
    memory); `step` is given each report as it comes. `looks` is the order the tasks are looked up in (by index;
    default as given): those quicker to look up first, so that a section to lay out is found and started sooner.

    Once every section is looked up and started, a processor left over lays out ahead the fits `ahead` names for a
    section being laid out (those its last layout tried, by task name; the last is the one it was set at), the
    last first, so that its worker, trying them from the first, finds them done: at most one such process beside
    each section's own, so that ahead work never more than doubles the processes a build's sections run in.

    When a single section is to be laid out (an edit), `guesses` names, by its index, sections a later call may
    well ask for, by a name of the guess (the contents at the page numbers its growing by a page gives): one is
    laid out ahead on a processor left over once the fits are, into `env.guessed`, and left running past this call
    (`stop_guesses`): a later call that asks for it waits for it (each layout is claimed while it is made)."""
    reports: list[dict | None] = [None] * len(tasks)
    pending: list[int] = []
    running: dict[int, Forked] = {}
    foreseen: list[tuple[int, Fit, bool]] = []  # (task, fit, final) to lay out ahead, in turn
    hunches: list[tuple[str, Task]] = []  # (guess, section) a later call may ask for, laid out after the fits
    early: list[Forked] = []  # those being laid out ahead
    limit = max(1, os.cpu_count() or 1)
    looked_up = False  # every task looked up (and those to lay out started first): ahead work may start
    fast_array_types()

    def start() -> None:
        while pending and len(running) + len(early) + len(env.guessed) < limit:
            i = pending.pop(0)
            task = tasks[i]
            env.share_fonts(task)
            running[i] = Forked(lambda task=task: settle(env, task, lay_out=True), f"laying out {task.name}")
        while looked_up and foreseen and not pending and len(early) < min(len(running), limit - len(running)):
            i, fit, final = foreseen.pop(0)
            if reports[i] is None:
                job = functools.partial(settle_ahead, env, tasks[i], fit, final)
                try:
                    early.append(Forked(job, f"laying out {tasks[i].name} ahead"))
                except OSError:  # no process to spare (fork or pipe refused): only a head start lost
                    foreseen.clear()
        while (
            looked_up
            and hunches
            and not foreseen
            and not pending
            and len(early) + len(env.guessed) < limit - len(running)
        ):
            guess, task = hunches.pop(0)
            try:
                env.guessed[guess] = Forked(
                    functools.partial(settle, env, task, lay_out=True), f"laying out {task.name} ahead"
                )
            except OSError:  # as above
                hunches.clear()

    def lay_out(i: int) -> None:
        bisect.insort(pending, i)  # started in the order given, whatever the order they were looked up in
        fits = list((ahead or {}).get(tasks[i].name, ()))
        if tasks[i].fitted and fits:  # the one it was set at first; not the first, which its worker starts with
            foreseen.extend((i, fit, fit == fits[-1]) for fit in dict.fromkeys(reversed(fits)) if fit != fits[0])
        start()

    try:
        for i in range(len(tasks)) if looks is None else looks:  # the first to lay out starts while the rest are
            task = tasks[i]  # looked up
            reports[i] = settle(env, task, lay_out=False)
            if reports[i] is None:
                lay_out(i)
            else:
                env.cached += 1
                step(reports[i])
        looked_up = True
        if guesses is not None and len(pending) + len(running) == 1:
            hunches += list(guesses([*pending, *running][0]).items())[: max(0, limit - 1 - len(env.guessed))]
        if pending:  # more sections to lay out than processors: those forked from now on find these loaded
            env.warm()
        while pending or running:
            start()
            ready, _, _ = select.select([f.read_end for f in [*running.values(), *early]], [], [])
            for forked in [f for f in early if f.read_end in ready]:
                early.remove(forked)
                with contextlib.suppress(Exception):  # only a head start: the section's own worker says what failed
                    forked.result()
            for i in [i for i, f in running.items() if f.read_end in ready]:
                reports[i] = running.pop(i).result()
                env.cache.used.update(reports[i]["used"])
                env.fresh.add(reports[i]["key"])
                step(reports[i])
    finally:
        for forked in [*running.values(), *early]:
            forked.cancel()
    return reports  # type: ignore[return-value]


def take_guess(env: Env, guess: str) -> None:
    """Wait for the section laid out ahead on `guess` (asked for by the call just made: done, or nearly, as that
    call waited on its claims) and count it as laid out by this build, unless it read it from the cache."""
    job = env.guessed.pop(guess, None)
    if job is None:
        return
    with contextlib.suppress(Exception):  # only a head start: the call that asked for it laid it out and said
        made = job.result()
        env.cache.used.update(made["used"])
        if not made.get("cached"):
            env.fresh.add(made["key"])


def stop_guesses(env: Env, keep: Callable[[str], bool] = lambda _: False) -> None:
    """Stop the sections laid out ahead on a guess (`settle_all`) but those `keep` names (a finished one is only
    reaped: what it laid out is in the cache)."""
    for guess in [g for g in env.guessed if not keep(g)]:
        env.guessed.pop(guess).cancel()


def scratch_folder() -> Path:
    """Where section PDFs go when the cache cannot take them: the render's temporary folder."""
    return Path(tempfile.mkdtemp(prefix="sections-"))
