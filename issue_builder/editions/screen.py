"""Pages for the screen: cropped to the trim, and in sRGB where the layout holds CMYK."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from issue_builder.editions.colours import RgbConverter, convert_pdf


def screen_pages(pdf: pikepdf.Pdf, cache_dir: Path | None) -> None:
    """Crop every page of `pdf` to its trim and convert what is CMYK to sRGB, in place."""
    for page in pdf.pages:
        trim = page.obj.get("/TrimBox", page.mediabox)
        page.obj.MediaBox = pikepdf.Array([float(v) for v in trim])
        for key in ("/TrimBox", "/BleedBox", "/CropBox", "/ArtBox"):
            if key in page.obj:
                del page.obj[key]
    convert_pdf(pdf, RgbConverter(cache_dir))
