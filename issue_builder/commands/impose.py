"""`issue-builder impose`: the print edition as saddle-stitch printer spreads, for small presses and in-house
printing; for a perfect-bound issue, the text block and the cover spread with its spine."""

from __future__ import annotations

import time
from pathlib import Path

import click

from issue_builder.base.atomic import replace_all
from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import ManifestError, OutputError, display_path, summarise
from issue_builder.base.schema import IssueManifest
from issue_builder.build.driver import BuildOptions, BuildResult, build_issue
from issue_builder.commands.options import out_dir_option, quiet_option
from issue_builder.load.manifest import load_manifest
from issue_builder.package.cover import (
    COVER_ALLOWANCE,
    SPINE_TYPE_FROM,
    CoverJob,
    SpineType,
    cover_spread,
    page_count,
    spine_width,
    text_block,
    text_pages,
)
from issue_builder.package.impose import MM, SHEETS, impose, smallest_sheet
from issue_builder.validate.validate import validate

MAX_CREEP_MM = 5.0  # more than any stack of a saddle-stitched issue needs
MAX_ALLOWANCE_MM = 3.0  # two thicknesses of the heaviest board a perfect binder takes, with room to spare


@click.command("impose")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--sheet",
    type=click.Choice(list(SHEETS)),
    help="Press sheet the spreads are printed on. Default: the smallest that holds a spread with bleed and marks.",
)
@click.option(
    "--creep",
    type=click.FloatRange(0, MAX_CREEP_MM),
    help="Millimetres the innermost sheet's pages move toward the fold (about the paper's caliper times the "
    "sheets); the sheets between move in proportion. Default 0.",
)
@click.option(
    "--spine-allowance",
    type=click.FloatRange(0, MAX_ALLOWANCE_MM),
    help="Perfect binding: millimetres added to the spine beyond the leaves times `printing.caliper`, for the "
    f"cover board on both sides of the block. Default {COVER_ALLOWANCE / MM:g}.",
)
@out_dir_option
@quiet_option
def impose_command(
    manifest: Path,
    sheet: str | None,
    creep: float | None,
    spine_allowance: float | None,
    out_dir: Path | None,
    quiet: bool,
) -> None:
    """Render MANIFEST's print edition and impose it as saddle-stitch printer spreads (pages 1 and N on the
    first sheet's front, 2 and N-1 on its back, ...), with crop, fold and registration marks. For a perfect-bound
    issue, write the text block (the pages without the four cover pages) and the cover spread with its spine."""
    started = time.monotonic()
    out = Reporter(quiet=quiet)
    perfect = _perfect_binding(manifest)
    if perfect and (sheet is not None or creep is not None):
        raise click.UsageError("--sheet and --creep are for saddle-stitch spreads; this issue is perfect-bound")
    if not perfect and spine_allowance is not None:
        raise click.UsageError("--spine-allowance is for perfect binding; this issue is saddle-stitched")
    with out.status("rendering the print edition") as status:
        result = build_issue(manifest, BuildOptions(editions=("print",), out_dir=out_dir), step=status.update)
    for line in summarise([str(w) for w in result.warnings]):
        out.warn(line)
    issue = result.issue
    (pdf_path,) = [p for p in result.files if p.name.endswith("-print.pdf")]
    print_pdf = pdf_path.read_bytes()
    if perfect:
        allowance = COVER_ALLOWANCE if spine_allowance is None else spine_allowance * MM
        _perfect(result, print_pdf, pdf_path, allowance, out, started)
        return
    creep = creep or 0.0
    sheet = sheet or smallest_sheet(print_pdf)
    slug = f"{issue.manifest.periodical.name} · Issue {issue.manifest.issue}"
    imposed, sides = impose(print_pdf, sheet, creep * MM, slug)
    target = result.out_dir / pdf_path.name.replace("-print.pdf", f"-imposed-{sheet}.pdf")
    _write({target: imposed}, out)
    out.info(
        f"{issue.title}: {sides // 2} sheets, {sides} sides on {sheet}"
        f"{f', creep {creep:g} mm' if creep else ''}, {time.monotonic() - started:.1f} s"
    )


def _perfect_binding(manifest: Path) -> bool:
    """Whether the issue is perfect-bound, read before anything is rendered: a perfect-bound issue without
    `printing.caliper` is refused at once, naming where the key belongs."""
    raw = load_manifest(manifest)
    settings, _ = validate(raw)
    if settings.binding != "perfect":
        return False
    if settings.printing.caliper is None:
        where = raw.document.diagnostic(
            ("printing", "caliper"),
            "binding is perfect, and the cover's spine is as wide as the text block: give the thickness of one leaf "
            "of the text paper as `printing.caliper` (e.g. `caliper: 0.1mm`; ask the printer or measure 100 leaves)",
        )
        raise ManifestError(f"{display_path(manifest)}: printing.caliper is missing", [where])
    if settings.printing.caliper.points <= 0:
        where = raw.document.diagnostic(("printing", "caliper"), "must be more than 0 (the thickness of one leaf)")
        raise ManifestError(f"{display_path(manifest)}: printing.caliper is not a thickness", [where])
    return True


def _perfect(
    result: BuildResult, print_pdf: bytes, pdf_path: Path, allowance: float, out: Reporter, started: float
) -> None:
    """Write the text block and the cover spread of a perfect-bound issue beside the print PDF."""
    issue = result.issue
    m: IssueManifest = issue.manifest
    caliper = m.printing.caliper
    assert caliper is not None  # refused before the render otherwise
    pages = text_pages(page_count(print_pdf))
    spine = spine_width(pages, caliper.points, allowance)
    faces = issue.font_faces
    spine_type = SpineType(
        name=m.periodical.name,
        line=f"Issue {m.issue} · {issue.date_label}",
        name_font=_face(faces[m.fonts.masthead], 400),
        line_font=_face(faces[m.fonts.heading], 600),
        ink=tuple(v / 100 for v in m.colours.ink.cmyk),
        background=tuple(v / 100 for v in m.colours.tint.cmyk),
    )
    job = CoverJob(
        spine=spine,
        marks_offset=m.printing.marks.offset.points,
        registration=m.printing.marks.registration,
        slug=f"{m.periodical.name} · Issue {m.issue} · {issue.date_label}",
        title=f"{issue.title}: cover",
        date=m.date,
    )
    cover, typed = cover_spread(print_pdf, job, spine_type)
    block = text_block(print_pdf, f"{issue.title}: text block", m.date)
    stem = pdf_path.name.removesuffix("-print.pdf")
    _write({result.out_dir / f"{stem}-text.pdf": block, result.out_dir / f"{stem}-cover.pdf": cover}, out)
    if typed:
        spine_note = "type on the spine"
    elif spine < SPINE_TYPE_FROM:
        spine_note = f"no type (narrower than {SPINE_TYPE_FROM / MM:.2f} mm)"
    else:
        spine_note = "no type (the name and issue line do not fit its length)"
    out.info(
        f"{issue.title}: text block of {pages} pages ({pages // 2} leaves); cover spine {spine / MM:.2f} mm "
        f"({pages // 2} x {caliper.points / MM:.3f} mm + {allowance / MM:g} mm), {spine_note}, "
        f"{time.monotonic() - started:.1f} s"
    )


def _face(faces, weight: int) -> Path:
    """The upright face of a family nearest to `weight`."""
    upright = [f for f in faces if f.style == "normal"] or list(faces)
    return min(upright, key=lambda f: (abs(f.weight - weight), f.weight)).path


def _write(files: dict[Path, bytes], out: Reporter) -> None:
    try:
        replace_all(files, lambda *_: None)
    except OSError as exc:
        names = ", ".join(display_path(p) for p in files)
        raise OutputError(f"cannot write {names}: {exc.strerror or exc}") from None
    for path in files:
        out.info(f"wrote {display_path(path)}")
