"""Lay out and write HTML files with WeasyPrint alone, in one process: the benchmark's baseline.

    python bench/bare_weasyprint.py BASE_URL OUT_DIR FILE.html...

The files are those `render --keep-html` writes: the documents one render lays out (front, each article, tail).
"""

from __future__ import annotations

import sys
from pathlib import Path

import weasyprint


def main(base_url: str, out_dir: Path, documents: list[Path]) -> None:
    """Each document laid out and written to OUT_DIR/<stem>.pdf, one after the other."""
    for document in documents:
        weasyprint.HTML(filename=str(document), base_url=base_url).write_pdf(out_dir / f"{document.stem}.pdf")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), [Path(a) for a in sys.argv[3:]])
