"""One build of an issue: prepared, laid out once, every edition finished from that layout, checked, written
all-or-nothing."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from issue_builder.base.atomic import replace_all, replace_all_checked, replace_folder
from issue_builder.base.cache import file_sha256
from issue_builder.base.diagnostics import Diagnostic, IssueBuilderError, OutputError, RenderError, display_path
from issue_builder.base.forked import Forked
from issue_builder.build import record as records
from issue_builder.checks.outputs import edition_problems
from issue_builder.checks.pdfua import pdfua_findings
from issue_builder.checks.running_heads import running_head_problems
from issue_builder.checks.words import WordCheck
from issue_builder.editions.finishers import DEFAULT_EDITIONS, FINISHERS, Edition, EditionOptions
from issue_builder.editions.processes import Limits, RenderWorker, render_in_child
from issue_builder.editions.stamp import unstamped
from issue_builder.layout.laid_out import Layout
from issue_builder.precheck.links import link_findings
from issue_builder.prepare.content import PreparedIssue
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
        return _build(manifest, options, step)
    except BaseException:
        if not existed and target.is_dir() and not _has_outputs(target):
            shutil.rmtree(target, ignore_errors=True)
        raise


def _build(manifest: Path, options: BuildOptions, step: Callable[[str], None]) -> BuildResult:
    started, began = time.monotonic(), time.time()
    step("checking the manifest")
    issue = prepare_issue(manifest, {("printing", "pdf_x"): options.pdf_x})
    out_dir = options.out_dir or Path("build") / str(issue.manifest.issue)
    _refuse_another_issue(out_dir, issue)
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

    step("laying out the issue")
    limits = options.limits or Limits(issue.manifest.limits.seconds, issue.manifest.limits.memory_mb)
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
    )
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
        words = WordCheck(issue, layout)

        def check_all(temps: dict[Path, Path]) -> None:
            # a large edition left on disk by its finisher is moved into its place among the files written (never read
            # into this process, whose forked checks would all hold it)
            for target, temp in temps.items():
                if editions_by_path[target].path is not None:
                    shutil.move(editions_by_path[target].path, temp)
            readable = {e.name: e.pdf if e.path is None else temps[out_dir / e.file_name] for e in rendered.editions}
            # the pages read back (running heads, cover contrast) and each written file checked, side by side in
            # forked copies of this process
            checks: dict[Path | None, Forked] = {}
            outcomes: dict[Path | None, object] = {}
            try:
                checks[None] = Forked(
                    partial(_layout_findings, issue, layout, rendered.editions, readable), what="reading the pages"
                )
                for target, temp in temps.items():
                    if target in editions_by_path:
                        edition = editions_by_path[target]
                        work = partial(_edition_checks, temp, edition, layout, issue, words, options)
                        checks[target] = Forked(work, what=f"checking the {edition.name} PDF")
                for target, running in checks.items():  # every child waited for before any verdict
                    try:
                        outcomes[target] = running.result()
                    except Exception as exc:
                        outcomes[target] = exc
            finally:
                for running in checks.values():  # none left behind by a failed fork or Ctrl-C
                    running.cancel()
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


def _edition_checks(
    temp: Path, edition: Edition, layout: Layout, issue: PreparedIssue, words: WordCheck, options: BuildOptions
) -> tuple[list[str], list[Diagnostic]]:
    """What breaks the written file's promises, and the words it lost."""
    problems = edition_problems(temp, edition, layout.article_pages, issue)
    if edition.name == "web":
        problems += [f"PDF/UA: {d}" for d in pdfua_findings(temp) if d.severity == "error"]
    if problems:
        return problems, []
    return [], words.lost(temp, spreads=options.spreads and edition.name == "proof")


def _layout_findings(
    issue: PreparedIssue, layout: Layout, editions: list[Edition], readable: dict[str, bytes | Path]
) -> list[Diagnostic]:
    """What the finished pages show about the layout: its running heads and folios. `readable`: each edition's
    bytes, or the file a large one was written to."""
    pdfs = {e.name: readable[e.name] for e in editions if not e.file_name.endswith("-spreads.pdf")}  # one a sheet
    if "proof" in pdfs and "web" not in pdfs:  # read only when no web edition is made: once, without its stamps
        pdfs["proof"] = unstamped(pdfs["proof"])
    found = []
    # the furniture reads alike on every edition (measured from the trim); the web edition is the smallest to read
    pages = pdfs.get("web") or pdfs.get("print") or pdfs.get("proof")
    if pages is not None:
        found += running_head_problems(pages, issue, layout.article_pages, layout.pages - layout.fill_pages - 1)
    return found


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
