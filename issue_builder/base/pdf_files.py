"""A PDF given as bytes or as a file, opened alike: a large one stays on disk, read as pikepdf needs it."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

PdfSource = bytes | Path


def open_pdf(source: PdfSource) -> pikepdf.Pdf:
    """The PDF in `source` (its bytes, or the file holding it), opened with pikepdf."""
    return pikepdf.open(source if isinstance(source, Path) else io.BytesIO(source))
