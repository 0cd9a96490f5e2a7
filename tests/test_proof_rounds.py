"""Proof rounds kept side by side, and proofs small enough to email: pictures at screen resolution."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import page_texts


def _pictures_ppi(pdf: Path) -> list[float]:
    """The resolution of every placed picture, as poppler's `pdfimages -list` reports it (x-ppi column)."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    return [float(row[12]) for row in rows if row[2] == "image"]


def test_each_round_keeps_its_own_file(cli, bulletin: Path):
    out = bulletin / "out"
    for round_name in ("1", "2 / late"):
        result = cli("proof", str(bulletin / "7.yaml"), "--out", str(out), "--round", round_name)
        assert result.exit_code == 0, result.stderr
    first, second = (
        out / "the-tenant-bulletin-7-proof-round-1.pdf",
        out / "the-tenant-bulletin-7-proof-round-2-late.pdf",
    )
    assert "round 1 ·" in " ".join(page_texts(first)[0].split())
    assert "round 2 / late ·" in " ".join(page_texts(second)[0].split())


def test_proof_pictures_are_at_screen_resolution(cli, bulletin: Path, rendered_bulletin: Path):
    result = cli("proof", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 0, result.stderr
    proof = _pictures_ppi(bulletin / "out" / "the-tenant-bulletin-7-proof.pdf")
    printed = _pictures_ppi(next(rendered_bulletin.glob("*-print.pdf")))
    assert len(proof) == len(printed)
    assert max(printed) > 200  # the print edition keeps the pictures as they came
    assert max(proof) <= 150 * 1.06  # the publication's web.image_ppi, as in the web edition
    result = cli("proof", str(bulletin / "7.yaml"), "--out", str(bulletin / "full"), "--full-resolution")
    assert result.exit_code == 0, result.stderr
    assert sorted(_pictures_ppi(bulletin / "full" / "the-tenant-bulletin-7-proof.pdf")) == sorted(printed)


@pytest.mark.slow
def test_sample_proof_is_a_quarter_of_the_print_file(cli, issue_18_cache: Path):
    manifest = Path(__file__).parent.parent / "issues" / "18.yaml"
    out = issue_18_cache  # both editions are built here, from the session render's laid-out sections
    result = cli("render", str(manifest), "--out", str(out), "--only", "print")
    assert result.exit_code == 0, result.stderr
    result = cli("proof", str(manifest), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    print_size = next(out.glob("*-print.pdf")).stat().st_size
    proof_size = next(out.glob("*-proof.pdf")).stat().st_size
    assert proof_size * 4 <= print_size, (proof_size, print_size)
