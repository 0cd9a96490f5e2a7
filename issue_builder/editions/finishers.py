"""The editions: one table of finishers, each turning the laid-out issue's PDF into the file of one edition."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic, RenderError
from issue_builder.base.pdf_files import PdfSource, open_pdf
from issue_builder.base.preflight_report import Sources
from issue_builder.editions.early import convert_print_pictures
from issue_builder.editions.jobs import image_and_page_sources, print_job, resolution_diagnostics, web_job
from issue_builder.editions.pdfx import NotX1a, write_pdfx
from issue_builder.editions.screen import screen_pages
from issue_builder.editions.stamp import FONT as PROOF_FONT
from issue_builder.editions.stamp import ProofSlug, proof_stamped, reader_spreads, save_pdf
from issue_builder.editions.structure import structure_job
from issue_builder.editions.web import downsample_images, write_web
from issue_builder.layout.laid_out import Layout, article_at
from issue_builder.prepare.content import PreparedIssue


@dataclass(frozen=True)
class EditionOptions:
    """Build options some finishers read: the proof's slug and spreads."""

    build: str = ""  # short content hash of the inputs, printed on proofs
    as_of: str = ""  # when the newest input changed, printed on proofs
    proof_round: str | None = None
    spreads: bool = False
    full_resolution: bool = False  # proofs keep the print pictures instead of screen-resolution copies


@dataclass(frozen=True)
class FinishJob:
    """What a finisher works from: the prepared issue, its layout, a cache folder and the build's options."""

    issue: PreparedIssue
    layout: Layout
    cache_dir: Path
    options: EditionOptions
    # the render process: a finished file left on disk is named after it, not after the finisher that ends at
    # once, so that it counts as in use until the build has moved it (and goes when the render is killed)
    render_pid: int = 0


@dataclass
class Edition:
    """One finished edition, not yet written to its place."""

    name: str
    file_name: str  # without the folder: e.g. socialist-revolution-18-print.pdf
    pdf: bytes  # the file; empty when it is in `path`
    pages: int  # pages in the file (reader spreads put two on a sheet)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: Sources | None = None  # the manifest entries behind its pages and images, for the build record
    path: Path | None = None  # a large file, left where it was written (in the build's cache) for the build to move

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.pdf) if self.path is None else self.path.stat().st_size

    def contents(self) -> bytes:
        """The file's bytes (read from `path` when it was left there)."""
        return self.pdf if self.path is None else self.path.read_bytes()


@dataclass
class Rendered:
    """The layout (without its PDF) and the finished editions: what the render process sends back, so defined
    here, where the build's own process finds it without loading the layout code (and WeasyPrint) to read it."""

    layout: Layout
    editions: list[Edition]


IN_MEMORY_BYTES = 8 << 20  # a finished file larger than this stays on disk, where it was written, until it is moved


def _written(name: str, job: FinishJob, write: Callable[[Path], None]) -> tuple[bytes, Path | None]:
    """A finished file `write` writes into the cache: its bytes when it is small, else its path (and empty bytes)."""
    path = job.cache_dir / f".{_file_name(job.issue, name)}.{job.render_pid or os.getpid()}.tmp"
    try:
        write(path)
        if path.stat().st_size > IN_MEMORY_BYTES:
            return b"", path
        data = path.read_bytes()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    path.unlink()
    return data, None


@dataclass(frozen=True)
class Finisher:
    """How one edition is made from the laid-out issue, and what its file promises."""

    name: str
    description: str
    finish: Callable[[PdfSource, FinishJob], Edition]
    links: bool  # keeps clickable links and contents (checked on the written file)
    extra_fonts: tuple[str, ...] = ()  # fonts it draws beyond the publication's families
    web_page: bool = False  # the issue's web page links to this edition's file
    early: Callable[[PreparedIssue, Path], object] | None = None  # work it can do beside the layout, into the cache


def _print(pdf: PdfSource, job: FinishJob) -> Edition:
    issue = job.issue
    print_ = dataclasses.replace(print_job(issue), cache_dir=job.cache_dir)
    try:
        finished, path = _written("print", job, lambda target: write_pdfx(pdf, print_, target))
    except NotX1a as exc:
        raise RenderError(
            "the print PDF cannot be PDF/X-1a (use TrueType fonts and a layout without "
            f"transparency, or PDF/X-4): {exc}"
        ) from None
    return Edition(
        "print",
        _file_name(issue, "print"),
        finished,
        job.layout.pages,
        resolution_diagnostics(job.layout, issue),
        sources=image_and_page_sources(job.layout, issue),
        path=path,
    )


def _web(pdf: PdfSource, job: FinishJob) -> Edition:
    web = dataclasses.replace(
        web_job(job.issue), cache_dir=job.cache_dir, structure=structure_job(job.issue, job.layout)
    )
    finished, path = _written("web", job, lambda target: write_web(pdf, web, target))
    return Edition("web", _file_name(job.issue, "web"), finished, job.layout.pages, path=path)


def _proof(pdf: PdfSource, job: FinishJob) -> Edition:
    issue, layout, options = job.issue, job.layout, job.options
    slug = ProofSlug(
        publication=issue.manifest.periodical.name,
        issue=issue.manifest.issue,
        build=options.build,
        as_of=options.as_of,
        round=options.proof_round,
    )
    running = {}
    for number in range(1, layout.pages - layout.fill_pages):  # not on the fill pages and the back cover
        article = article_at(number, layout.article_pages, issue)
        if article is not None:
            running[number] = article.title
    with open_pdf(pdf) as document:
        screen_pages(document, job.cache_dir)
        if not options.full_resolution:  # small enough to email; the print edition is the one to check pictures in
            m = issue.manifest
            downsample_images(document, m.web.image_ppi, m.web.jpeg_quality, job.cache_dir)
        name = "proof" if options.proof_round is None else f"proof-round-{_file_safe(options.proof_round)}"
        with proof_stamped(document, slug, running):
            if options.spreads:
                spreads, sheets = reader_spreads(document)
                return Edition("proof", _file_name(issue, f"{name}-spreads"), spreads, sheets)
            return Edition("proof", _file_name(issue, name), save_pdf(document), layout.pages)


def _file_name(issue: PreparedIssue, edition: str) -> str:
    return f"{issue.slug}-{issue.manifest.issue}-{edition}.pdf"


def _file_safe(text: str) -> str:
    """`text` (a round's name) as part of a file name: letters, digits, dots and hyphens."""
    return re.sub(r"[^0-9A-Za-z.]+", "-", text).strip("-.") or "unnamed"


FINISHERS: dict[str, Finisher] = {
    f.name: f
    for f in (
        Finisher(
            "print",
            "print PDF for the printer: PDF/X-4, trim + bleed, marks, CMYK only, full-resolution images",
            _print,
            links=False,
            early=convert_print_pictures,
        ),
        Finisher(
            "web",
            "web PDF for readers: trimmed, sRGB, images at about 150 ppi, links, bookmarks, tags",
            _web,
            links=True,
            web_page=True,
        ),
        Finisher(
            "proof",
            "proof PDF for production staff: trimmed pages, PROOF watermark, slug with build and page",
            _proof,
            links=True,
            extra_fonts=(PROOF_FONT[0],),
        ),
    )
}
DEFAULT_EDITIONS = ("print", "web")
