"""Ink checks on the page as a RIP renders it: Ghostscript rasterises each page to CMYK.

Total ink is measured on the page as printed (overprint simulated); how blacks are built (rich black in text and
rules, large areas in K alone) on the page with every object as it was set (overprint off), so that black text
overprinting a tint does not count as rich black.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageMath

from issue_builder.base.bounded import LimitExceeded, run_tool
from issue_builder.base.pdf_content import ImagePlacement, numbers
from issue_builder.base.preflight_report import PreflightSettings, Report
from issue_builder.editions.prepress import SOLID_AREA, SOLID_SIDE

RICH_BLACK_K = 0.85  # share of K above which a spot counts as black
RICH_BLACK_CMY = 0.05  # any of C, M, Y above this in black makes it rich black
MIN_AREA_PX = 4  # ignore anti-aliasing specks
K_ONLY_K = 0.95  # K at least this ...
K_ONLY_CMY = 0.02  # ... and no C, M or Y above this: black in K alone
CM2_PER_PT2 = 2.54**2 / 72**2
MAX_RASTER_PIXELS = 80_000_000  # pixels of one page's raster, below Pillow's decompression-bomb warning


def check_separations(
    path: Path,
    pdf: pikepdf.Pdf,
    report: Report,
    settings: PreflightSettings,
    placements: list[ImagePlacement],
    page_sources: dict[int, str],
) -> None:
    report.checks += ["total-ink", "rich-black-areas", "k-only-solids"]
    gs = shutil.which("gs")
    if gs is None:
        report.add("total-ink", "warning", "Ghostscript (gs) not found: ink checks skipped")
        return
    dpi = settings.separation_dpi
    too_large = _too_large(pdf, dpi)
    if too_large is not None:
        report.add("total-ink", "warning", "ink checks skipped: the page is too large to rasterise", too_large)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, overprint in (("p", "/simulate"), ("s", "/disable")):
            try:
                result = run_tool(
                    [
                        gs,
                        "-q",
                        "-dSAFER",
                        "-dBATCH",
                        "-dNOPAUSE",
                        "-dPDFSTOPONERROR",
                        "-sDEVICE=tiff32nc",
                        f"-dOverprint={overprint}",
                        f"-r{dpi}",
                        f"-sOutputFile={tmp}/{prefix}%04d.tif",
                        str(path),
                    ],
                    "Ghostscript",
                    capture_output=True,
                    text=True,
                    errors="replace",
                )
            except LimitExceeded as exc:
                report.add("total-ink", "error", f"the ink checks could not be done: {exc}")
                return
            if result.returncode != 0:
                report.add(
                    "total-ink",
                    "error",
                    f"Ghostscript could not render the file: {(result.stderr or result.stdout).strip()[:300]}",
                )
                return
        for number, page in enumerate(pdf.pages, start=1):
            raster = Path(tmp) / f"p{number:04d}.tif"
            if raster.is_file():
                _check_page(
                    (raster, Path(tmp) / f"s{number:04d}.tif"),
                    number,
                    page,
                    dpi,
                    settings,
                    [p for p in placements if p.page == number],
                    report,
                    page_sources.get(number),
                )


def _check_page(
    rasters: tuple[Path, Path],
    number: int,
    page: pikepdf.Page,
    dpi: int,
    settings: PreflightSettings,
    placements: list[ImagePlacement],
    report: Report,
    source: str | None,
) -> None:
    media = numbers(page.mediabox, 4)
    bleed = numbers(page.obj.get("/BleedBox", page.obj.get("/TrimBox", page.mediabox)), 4) or media
    if media is None:
        return  # the boxes check has said so
    scale = dpi / 72

    def to_px(x: float, y: float) -> tuple[int, int]:
        return round((x - media[0]) * scale), round((media[3] - y) * scale)

    # one pixel in from the bleed edge: marks start just outside it and anti-aliasing would bleed in
    left, top = (v + 1 for v in to_px(bleed[0], bleed[3]))
    right, bottom = (v - 1 for v in to_px(bleed[2], bleed[1]))
    planes = []
    for raster in rasters:
        try:
            img = Image.open(raster)
            img.load()
        except (Image.DecompressionBombError, OSError) as exc:
            report.add("total-ink", "error", f"the page's raster cannot be read: {exc}", number, source)
            return
        with img:
            planes.append(img.crop((max(left, 0), max(top, 0), min(right, img.width), min(bottom, img.height))).split())
    c, m, y, k = planes[0]
    total = ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"], c=c, m=m, y=y, k=k)
    tac = total.getextrema()[1] / 255 * 100
    if tac > settings.max_tac + 0.5:
        report.add("total-ink", "error", f"total ink {tac:.0f}% (at most {settings.max_tac:.0f}%)", number, source)
    c, m, y, k = planes[1]
    cmy = ImageChops.lighter(ImageChops.lighter(c, m), y)
    photos = Image.new("L", k.size, 0)  # inside photographs, rich black is what the colour conversion made: allowed
    draw = ImageDraw.Draw(photos)
    for placed in placements:
        x0, y0 = to_px(placed.bbox[0], placed.bbox[3])
        x1, y1 = to_px(placed.bbox[2], placed.bbox[1])
        draw.rectangle((x0 - left - 1, y0 - top - 1, x1 - left + 1, y1 - top + 1), fill=255)
    outside = ImageChops.invert(photos)
    side = max(3, round(SOLID_SIDE * scale) | 1)  # an odd filter size: the narrowest side of a large area

    def solids(mask: Image.Image) -> Image.Image:
        """The parts of `mask` at least SOLID_SIDE wide both ways (an opening of the mask)."""
        return mask.filter(ImageFilter.MinFilter(side)).filter(ImageFilter.MaxFilter(side))

    black = k.point(lambda v: 255 if v >= 255 * RICH_BLACK_K else 0)
    coloured = cmy.point(lambda v: 255 if v > 255 * RICH_BLACK_CMY else 0)
    rich = ImageChops.multiply(ImageChops.multiply(black, coloured), outside)
    # a large area in rich black is what the press wants, with the strips left between the lines of white text set
    # in it (closed over first); text and rules alone must not be
    closed = rich.filter(ImageFilter.MaxFilter(side)).filter(ImageFilter.MinFilter(side))
    rich = ImageChops.subtract(rich, solids(closed).filter(ImageFilter.MaxFilter(5)))
    count = rich.histogram()[255]
    if count >= MIN_AREA_PX:
        report.add(
            "rich-black-areas",
            "error",
            f"{count / scale / scale * CM2_PER_PT2:.2f} cm² of black built from all four inks outside images "
            "(text and rules must be 100% K)",
            number,
            source,
        )
    k_only = ImageChops.multiply(
        k.point(lambda v: 255 if v >= 255 * K_ONLY_K else 0), cmy.point(lambda v: 255 if v <= 255 * K_ONLY_CMY else 0)
    )
    solid = solids(ImageChops.multiply(k_only, outside)).histogram()[255] / scale / scale
    if solid >= SOLID_AREA:
        report.add(
            "k-only-solids",
            "warning",
            f"{solid * CM2_PER_PT2:.1f} cm² of solid black in K alone: a large solid in one ink prints weak and "
            "mottled; give it a rich black (such as 40/30/30/100) within the ink limit",
            number,
            source,
        )


def _too_large(pdf: pikepdf.Pdf, dpi: int) -> int | None:
    """The first page whose raster at `dpi` would pass MAX_RASTER_PIXELS (or whose size cannot be read), if any."""
    for number, page in enumerate(pdf.pages, start=1):
        try:
            media = numbers(page.mediabox, 4)
        except (pikepdf.PdfError, TypeError, ValueError, AttributeError):
            media = None
        if media is None:
            return number
        unit = numbers([page.obj.get("/UserUnit", 1)], 1) or [1.0]
        pixels = abs(media[2] - media[0]) * abs(media[3] - media[1]) * (max(unit[0], 1.0) * dpi / 72) ** 2
        if pixels > MAX_RASTER_PIXELS:
            return number
    return None
