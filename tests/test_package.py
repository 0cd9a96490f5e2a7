"""The printer's package: everything a printer needs, checksummed, in a folder and a reproducible zip."""

from __future__ import annotations

import hashlib
import json
import zipfile

from PIL import Image

from helpers import edit


def test_package_holds_pdf_report_proofs_profile_ticket_and_checksums(cli, bulletin):
    out = bulletin / "out"
    result = cli("package", str(bulletin / "7.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    folder = out / "the-tenant-bulletin-7-printer"
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == sorted(
        [
            "SHA256SUMS",
            "issue-builder-fogra39-tac300.icc",
            "job-ticket.json",
            "job-ticket.txt",
            "preflight.json",
            "preflight.txt",
            "the-tenant-bulletin-7-print.pdf",
        ]
        + [f"proofs/page-{n:03d}.png" for n in range(1, 9)]
    )
    for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    ticket = json.loads((folder / "job-ticket.json").read_text("utf-8"))
    assert ticket["trim"] == "148mm x 210mm" and ticket["bleed"] == "3mm" and ticket["pages"] == 8
    assert (
        ticket["binding"] == "saddle-stitch"
        and ticket["paper"] == "90 gsm coated silk"
        and ticket["preflight"] == "passed"
    )
    assert json.loads((folder / "preflight.json").read_text("utf-8"))["passed"] is True
    with Image.open(folder / "proofs" / "page-001.png") as proof:
        assert abs(proof.width - round(148 / 25.4 * 50)) <= 1  # trimmed, 50 dpi
    with zipfile.ZipFile(out / "the-tenant-bulletin-7-printer.zip") as archive:
        assert sorted(n.split("/", 1)[1] for n in archive.namelist()) == names
        assert archive.testzip() is None


def test_package_is_reproducible(cli, bulletin):
    assert cli("package", str(bulletin / "7.yaml"), "--out", str(bulletin / "a")).exit_code == 0
    assert cli("package", str(bulletin / "7.yaml"), "--out", str(bulletin / "b")).exit_code == 0
    a = (bulletin / "a" / "the-tenant-bulletin-7-printer.zip").read_bytes()
    b = (bulletin / "b" / "the-tenant-bulletin-7-printer.zip").read_bytes()
    assert a == b


def test_no_package_from_a_failed_render(cli, bulletin):
    edit(bulletin / "publication.yaml", "  warn_ppi: 100\n  min_ppi: 72", "  warn_ppi: 300\n  min_ppi: 200")
    result = cli("package", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 1 and "image-resolution" in result.stderr
    assert not (bulletin / "out" / "the-tenant-bulletin-7-printer").exists()
