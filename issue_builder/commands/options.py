"""Command-line options that several commands share, declared once with their help."""

from __future__ import annotations

from pathlib import Path

import click

out_dir_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder. Default: build/<issue number>/ under the current folder.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print nothing but problems.")
pdf_x_option = click.option(
    "--pdf-x", type=click.Choice(["4", "1a"]), help="PDF/X flavour of the print PDF (default: the publication's)."
)
