"""One build of an issue: prepared, laid out once, every edition finished from that layout, checked, written
all-or-nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from issue_builder.base.atomic import (
    remove_dead_temps,
    replace_all,
    replace_all_checked,
    replace_folder,
    scratch_folder,
)
from issue_builder.base.cache import file_sha256
from issue_builder.base.diagnostics import Diagnostic, IssueBuilderError, OutputError, RenderError, display_path
from issue_builder.base.forked import Forked
from issue_builder.base.kept_files import IN_USE, SECTIONS, prune_kept, when_alone
from issue_builder.build import record as records
from issue_builder.checks.outputs import edition_problems
from issue_builder.checks.page_text import record_path
from issue_builder.checks.pdfua import pdfua_findings
from issue_builder.checks.running_heads import running_head_problems
from issue_builder.checks.words import WordCheck
from issue_builder.editions.finishers import DEFAULT_EDITIONS, FINISHERS, Edition, EditionOptions
from issue_builder.editions.processes import Limits, RenderWorker, render_in_child
from issue_builder.editions.stamp import unstamped
from issue_builder.layout.laid_out import Layout
from issue_builder.precheck.links import link_findings
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.images import keep_inspected
from issue_builder.prepare.inputs import changed_since, content_time, fingerprint
from issue_builder.prepare.issue import prepare_issue


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how; the same options on the same inputs give the same bytes."""

    editions: tuple[str, ...] = DEFAULT_EDITIONS  # names in editions.finishers.FINISHERS
    out_dir: Path | None = None
    strict: bool = False
    keep_html: bool = False
    pdf_x: str | None = None
    proof_round: str | None = None
    spreads: bool = False
    full_resolution: bool = False  # proofs keep the print pictures
    reuse: bool = True  # outputs of identical inputs are kept as they are instead of rendered again
    limits: Limits | None = None  # None: the manifest's `limits`
    worker: RenderWorker | None = None  # a long-lived render process (watch) instead of one per edition

    def settings(self) -> dict:
        """The options that shape the outputs (a part of the build's fingerprint)."""
        return {
            "editions": sorted(self.editions),
            "keep_html": self.keep_html,
            "pdf_x": self.pdf_x,
            "round": self.proof_round,
            "spreads": self.spreads,
            "full_resolution": self.full_resolution,
        }


@dataclass
class BuildResult:
    """What a build wrote and reported."""

    issue: PreparedIssue
    out_dir: Path
    files: list[Path]
    summary: dict
    warnings: list[Diagnostic]
    reused: bool
    seconds: float = 0.0
    article_pages: dict[str, int] = field(default_factory=dict)


def build_issue(manifest: Path, options: BuildOptions, step: Callable[[str], None] = lambda _: None) -> BuildResult:
    """Build the editions `options.profiles` of the issue at `manifest`; raise a user error on any failure.

    A failed build leaves the output folder as it was; one it created (for its cache) is removed again.
    """
    target = options.out_dir or default_out(manifest)
    existed = target is None or target.exists()
    try:
        if options.worker is not None:
            return _build(manifest, options, step, target)
        worker = RenderWorker()  # started first: it loads the layout code while the manifest is read and prepared
        worker.start()
        try:
            return _build(manifest, dataclasses.replace(options, worker=worker), step, target)
        finally:
            worker.close()
    except BaseException:
        if not existed and target.is_dir() and not _has_outputs(target):
            shutil.rmtree(target, ignore_errors=True)
        raise


def _build(manifest: Path, options: BuildOptions, step: Callable[[str], None], target: Path | None) -> BuildResult:
    """The build; `target`: its output folder as far as it is known before the manifest is prepared (its cache
    keeps what the pictures decoded to)."""
    started, began = time.monotonic(), time.time()
    step("checking the manifest")
    issue = prepare_issue(manifest, {("printing", "pdf_x"): options.pdf_x}, target / ".cache" if target else None)
    out_dir = options.out_dir or Path("build") / str(issue.manifest.issue)
    _refuse_another_issue(out_dir, issue)
    keep_inspected(issue.images, out_dir / ".cache")
    settings = options.settings()
    record_path = (
        out_dir / ".cache" / f"build-{hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()[:12]}.json"
    )
    key = fingerprint(issue, settings)
    record = records.load_record(record_path)
    if options.reuse and records.up_to_date(record, key, out_dir):
        warnings = [Diagnostic.from_dict(w) for w in record.warnings]
        _fail_on_strict(options, warnings, manifest)
        if not (out_dir / ".cache" / OWNER_FILE).exists():  # a folder made before owners were written
            with contextlib.suppress(OSError):
                replace_all({out_dir / ".cache" / OWNER_FILE: _owner_bytes(issue)}, lambda *_: None)
        return BuildResult(
            issue,
            out_dir,
            [out_dir / n for n in record.files],
            record.summary,
            warnings,
            reused=True,
            seconds=time.monotonic() - started,
            article_pages=record.summary.get("article_pages", {}),
        )

    remove_dead_temps(out_dir / ".cache")  # what an earlier render stopped by a limit, or killed, was writing
    step("laying out the issue")
    limits = options.limits or Limits(issue.manifest.limits.seconds, issue.manifest.limits.memory_mb)
    checks = _Checks(issue, options, out_dir / ".cache")
    try:
        rendered = render_in_child(
            issue,
            options.editions,
            out_dir / ".cache",
            EditionOptions(
                build=key[:10],
                as_of=content_time(issue).strftime("%Y-%m-%d %H:%M UTC"),
                proof_round=options.proof_round,
                spreads=options.spreads,
                full_resolution=options.full_resolution,
            ),
            limits,
            step=step,
            worker=options.worker,
            # the web page's pictures and fonts need not wait for the PDFs: made meanwhile, and
            # cached by content, they are ready when the page is put together
            meanwhile=(lambda: _prepare_web_page(issue, out_dir)) if _web_edition(options.editions) else None,
            # each edition checked as soon as it is finished, while the others are still being finished
            ready=checks.ready,
        )
    except BaseException:
        checks.cancel()  # none left behind by a failed render or Ctrl-C
        remove_dead_temps(out_dir / ".cache")  # a render process stopped by a limit leaves what it was writing
        raise
    try:
        layout = rendered.layout
        found = list(issue.warnings) + layout.diagnostics
        # links the web PDF drops (the layout's own unknown anchors are among its diagnostics already)
        found += [d for d in link_findings(issue, "".join(layout.html.values())) if d.severity == "warning"]
        found += [dataclasses.replace(d, edition=e.name) for e in rendered.editions for d in e.diagnostics]
        errors = [d for d in found if d.severity == "error"]
        warnings = [d for d in found if d.severity == "warning"]
        if errors:
            raise RenderError(f"{display_path(manifest)}: the render failed; no output was written:", errors)
        _fail_on_strict(options, warnings, manifest)

        step("checking and writing the files")
        stem = f"{issue.slug}-{issue.manifest.issue}"
        files = {out_dir / e.file_name: e.pdf for e in rendered.editions}
        editions_by_path = {out_dir / e.file_name: e for e in rendered.editions}

        def check_all(temps: dict[Path, Path]) -> None:
            # the pages read back (running heads) and each file checked, started as soon as its edition was
            # finished (_Checks): the bytes written here
            found = checks.outcomes()
            outcomes: dict[Path | None, object] = {
                None: found.get(None, []),
                **{out_dir / e.file_name: found[e.name] for e in rendered.editions},
            }
            # a large edition left on disk by its finisher (and read there by its checks) is moved into its place
            # among the files written (never read into this process)
            for target, temp in temps.items():
                if editions_by_path[target].path is not None:
                    shutil.move(editions_by_path[target].path, temp)
            for outcome in outcomes.values():
                if isinstance(outcome, Exception):
                    raise outcome
            read_back = outcomes.pop(None)
            if errors := [d for d in read_back if d.severity == "error"]:
                raise RenderError(f"{display_path(manifest)}: the render failed; no output was written:", errors)
            warnings.extend(d for d in read_back if d.severity == "warning")
            _fail_on_strict(options, warnings, manifest)
            for target, outcome in outcomes.items():
                edition = editions_by_path[target]
                problems, lost = outcome
                if problems:
                    raise OutputError(
                        f"{target.name} failed its checks; the previous file was kept:",
                        [Diagnostic(p, edition=edition.name) for p in problems],
                    )
                if lost:
                    raise RenderError(
                        f"{display_path(manifest)}: text was lost on the way to the {edition.name} PDF (words of the "
                        "articles missing from their pages); no output was written:",
                        [dataclasses.replace(d, edition=edition.name) for d in lost],
                    )

        summary = {
            "pages": layout.pages,
            "fill_pages": layout.fill_pages,
            "article_pages": layout.article_pages,
            "sizes": {e.name: e.size for e in rendered.editions},
            "sections": list(layout.sections),
            "fills": layout.fills,  # per page: percent of the text area full, None where not a body page
            "ran_on": list(layout.ran_on),  # articles that start on the page where the one before ends
            "sources": records.edition_sources(rendered.editions),
        }
        written = list(files)
        web = next((e for e in rendered.editions if FINISHERS[e.name].web_page), None)
        page_files = _web_page(issue, out_dir, web) if web is not None else {}
        try:
            replace_all_checked(files, check_all)
        except OSError as exc:
            raise OutputError(
                f"cannot write to {display_path(out_dir)}: {exc.strerror or exc}; earlier outputs were kept"
            ) from None
        try:
            if page_files:
                replace_folder(out_dir / "web", page_files)
                written += [out_dir / "web" / name for name in page_files]
            if options.keep_html:
                replace_folder(out_dir / f"{stem}-html", {name: html.encode() for name, html in layout.html.items()})
                written += [out_dir / f"{stem}-html" / name for name in layout.html]
            digests = {str(p.relative_to(out_dir)): file_sha256(p) for p in written}
            record = records.BuildRecord(key, digests, summary, [w.as_dict() for w in warnings], layout.inputs)
            kept = {out_dir / ".cache" / OWNER_FILE: _owner_bytes(issue)}
            if changed_since(issue, began - 1):  # saved while we rendered: let the next build look again
                record_path.unlink(missing_ok=True)
            else:
                kept[record_path] = records.record_bytes(record)
            replace_all(kept, lambda *_: None)
        except OSError as exc:
            raise OutputError(
                f"the PDFs were written, but not the web page in {display_path(out_dir / 'web')}: "
                f"{exc.strerror or exc}; the previous web page was kept"
            ) from None
        # what earlier builds kept by content and this one did not use, once this one is done with the cache (and
        # no other build is laying out into it: each holds the sections' lock meanwhile)
        cache = out_dir / ".cache"
        when_alone(cache / SECTIONS / IN_USE, partial(prune_kept, cache, began))
        return BuildResult(
            issue,
            out_dir,
            written,
            summary,
            warnings,
            reused=False,
            seconds=time.monotonic() - started,
            article_pages=layout.article_pages,
        )
    finally:
        checks.cancel()  # none left behind by a failed build (every one was waited for when it succeeds)
        for edition in rendered.editions:  # left on disk by its finisher and not moved into place: the build failed
            if edition.path is not None:
                edition.path.unlink(missing_ok=True)


class OutputFolderTaken(IssueBuilderError):
    """The output folder holds the outputs of another issue, whose web page and build record a build would replace."""

    exit_code = 2


OWNER_FILE = "issue.json"  # in the output folder's .cache: the issue whose outputs the folder holds


def _owner_bytes(issue: PreparedIssue) -> bytes:
    return json.dumps(
        {"issue": f"{issue.slug}-{issue.manifest.issue}", "title": issue.title, "manifest": str(issue.manifest_path)},
        indent=1,
    ).encode()


def _refuse_another_issue(out_dir: Path, issue: PreparedIssue) -> None:
    """An output folder holds one issue: its PDFs are named after it, but its web page (`web/`) and build records
    are not, so a second issue would replace the first one's. Refused rather than kept apart, so that `web/` stays
    where the README and every command expect it."""
    try:
        owner = json.loads((out_dir / ".cache" / OWNER_FILE).read_text("utf-8"))
        other, title, where = owner["issue"], owner["title"], owner["manifest"]
    except (OSError, ValueError, TypeError, KeyError):
        _refuse_foreign_folders(out_dir, issue)  # no owner yet: a new folder, or one made before owners were written
        return
    if other != f"{issue.slug}-{issue.manifest.issue}":
        raise OutputFolderTaken(
            f"{display_path(out_dir)} holds the outputs of {title} ({display_path(Path(where))}); {issue.title} "
            f"would replace its web page and build record. Render each issue into a folder of its own (--out), or "
            f"delete {display_path(out_dir)} first"
        )


def _refuse_foreign_folders(out_dir: Path, issue: PreparedIssue) -> None:
    """A folder a build replaces whole (the web page, --keep-html's), found where no build of ours has been: someone
    else's files, which a build would delete."""
    if any((out_dir / ".cache").glob("build-*.json")):
        return  # our own earlier build, from before owners were written
    for name in ("web", f"{issue.slug}-{issue.manifest.issue}-html"):
        if (out_dir / name).exists() or (out_dir / name).is_symlink():
            raise OutputFolderTaken(
                f"{display_path(out_dir / name)} is there already and no build of issue-builder wrote it; a build "
                f"replaces that folder whole, so its files would be lost. Render into a folder of its own (--out), "
                f"or move {display_path(out_dir / name)} away first"
            )


class _Checks:
    """The checks of the finished editions, each started in a forked copy of this process as soon as the render
    has finished its edition, while the render goes on with the others."""

    def __init__(self, issue: PreparedIssue, options: BuildOptions, cache_dir: Path):
        self.issue, self.options, self.cache_dir = issue, options, cache_dir
        self.reader = _reader(options.editions, options.spreads)
        self.layout: Layout | None = None
        self.words: WordCheck | None = None
        self.running: dict[str | None, Forked] = {}  # by edition name; None: the pages read back
        self.scratch: Path | None = None  # the checks' temporary files, removed here: a cancelled check is killed

    def ready(self, what: object) -> None:
        """Take the layout (sent first), or start the checks of a finished edition."""
        if isinstance(what, Layout):
            self.layout, self.words = what, WordCheck(self.issue, what)
            return
        edition = what
        if edition.name == self.reader:
            work = partial(_layout_findings, self.issue, self.layout, edition, self.cache_dir)
            self.running[None] = Forked(work, what="reading the pages")
        if self.scratch is None:
            self.scratch = scratch_folder()
        work = partial(
            _edition_checks,
            edition,
            self.layout,
            self.issue,
            self.words,
            self.options.spreads,
            self.cache_dir,
            self.scratch,
        )
        self.running[edition.name] = Forked(work, what=f"checking the {edition.name} PDF")

    def outcomes(self) -> dict[str | None, object]:
        """What each check returned, or the exception it raised; every one waited for."""
        found: dict[str | None, object] = {}
        for name, running in self.running.items():
            try:
                found[name] = running.result()
            except Exception as exc:
                found[name] = exc
        return found

    def cancel(self) -> None:
        """Stop the checks still running (a failed build or Ctrl-C; after `outcomes` there are none) and remove
        their temporary files."""
        for running in self.running.values():
            running.cancel()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def _reader(editions: tuple[str, ...], spreads: bool) -> str | None:
    """The edition whose pages the running heads are read from: the furniture reads alike on every edition (measured
    from the trim) and the web edition is the smallest to read (the print edition is finished sooner, but PDFium took
    457 MB reading its 372 pages of full-resolution pictures); a proof is read only when no web edition is made, and
    not in spreads (two pages a sheet)."""
    return next((n for n in ("web", "print", "proof") if n in editions and not (n == "proof" and spreads)), None)


@contextlib.contextmanager
def _edition_file(edition: Edition, scratch: Path) -> Iterator[Path]:
    """The edition's file: where a large one was left, or its bytes written to a temporary file in `scratch` for
    the readers."""
    if edition.path is not None:
        yield edition.path
        return
    handle, name = tempfile.mkstemp(prefix=f"issue-{edition.name}-", suffix=".pdf", dir=scratch)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(edition.pdf)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _edition_checks(
    edition: Edition,
    layout: Layout,
    issue: PreparedIssue,
    words: WordCheck,
    spreads: bool,
    cache_dir: Path,
    scratch: Path,
) -> tuple[list[str], list[Diagnostic]]:
    """What breaks the edition's promises, and the words it lost (kept only when it keeps its promises; read while
    the web edition's PDF/UA check runs beside, which takes the pages drawn alike in the last build's web edition
    from `cache_dir`)."""
    with _edition_file(edition, scratch) as path:
        check = partial(pdfua_findings, path, cache_dir)
        pdfua = Forked(check, what="the PDF/UA check") if edition.name == "web" else None
        try:
            problems = edition_problems(path, edition, layout.article_pages, issue)
            lost: list[Diagnostic] = []
            failed = None
            if not problems:
                try:
                    kept = record_path(cache_dir, "text", edition.name)
                    lost = words.lost(path, spreads=spreads and edition.name == "proof", kept=kept)
                except Exception as exc:
                    failed = exc
            if pdfua is not None:
                problems += [f"PDF/UA: {d}" for d in pdfua.result() if d.severity == "error"]
        finally:
            if pdfua is not None:
                pdfua.cancel()
    if problems:
        return problems, []
    if failed is not None:
        raise failed
    return [], lost


def _layout_findings(issue: PreparedIssue, layout: Layout, edition: Edition, cache_dir: Path) -> list[Diagnostic]:
    """What the finished pages of `edition` show about the layout: its running heads and folios (the pages drawn
    as in the last build's edition taken from what was read of them, kept in `cache_dir`)."""
    pdf = edition.pdf if edition.path is None else edition.path
    if edition.name == "proof":  # read without its stamps
        pdf = unstamped(edition.contents())
    kept = record_path(cache_dir, "furniture", edition.name)
    return running_head_problems(pdf, issue, layout.article_pages, layout.pages - layout.fill_pages - 1, kept)


def default_out(manifest: Path) -> Path | None:
    """The default output folder, when the manifest can be read far enough to know the issue number."""
    with contextlib.suppress(Exception):
        from issue_builder.load.yaml_source import read_yaml

        document, _ = read_yaml(manifest)
        if document is not None and isinstance(document.data, dict) and isinstance(document.data.get("issue"), int):
            return Path("build") / str(document.data["issue"])
    return None


def _has_outputs(folder: Path) -> bool:
    """Whether `folder` holds anything but the build's cache (which a failed build may have started)."""
    return any(p.name != ".cache" for p in folder.iterdir())


def _web_edition(editions: tuple[str, ...]) -> bool:
    return any(FINISHERS[name].web_page for name in editions)


def _prepare_web_page(issue: PreparedIssue, out_dir: Path) -> None:
    with contextlib.suppress(Exception):  # only a head start: the web page is made (and fails) for real later
        _web_page(issue, out_dir, None)


def _web_page(issue: PreparedIssue, out_dir: Path, web: Edition | None) -> dict[str, bytes]:
    from issue_builder.editions.web_page import web_page_files
    from issue_builder.prepare.images import placeable

    try:
        placed = {info.path: placeable(info, (out_dir / ".cache").resolve(), srgb=True) for info in issue.images}
    except OSError as exc:
        raise OutputError(
            f"cannot write to {display_path(out_dir)}: {exc.strerror or exc}; earlier outputs were kept"
        ) from None
    name, pdf = (web.file_name, web.contents()) if web is not None else ("edition.pdf", b"")
    return web_page_files(issue, name, pdf, placed, (out_dir / ".cache").resolve())


def _fail_on_strict(options: BuildOptions, warnings: list[Diagnostic], manifest: Path) -> None:
    if options.strict and warnings:
        raise RenderError(
            f"{display_path(manifest)}: {len(warnings)} warning(s) and --strict is set; no output was written:",
            warnings,
        )
