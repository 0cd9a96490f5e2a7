"""The printer's package: everything a printer needs, checksummed, in a folder and a reproducible zip."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pikepdf
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
            "composite-proof-spreads.pdf",
            "composite-proof.pdf",
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
        and ticket["text_stock"] == "90 gsm coated silk"
        and ticket["preflight"] == "passed"
    )
    assert json.loads((folder / "preflight.json").read_text("utf-8"))["passed"] is True
    with Image.open(folder / "proofs" / "page-001.png") as proof:
        assert abs(proof.width - round(148 / 25.4 * 50)) <= 1  # trimmed, 50 dpi
    with pikepdf.open(folder / "composite-proof.pdf") as proof:
        assert len(proof.pages) == 8
        (image,) = proof.pages[1].get_images().values()
        assert image.Filter == "/DCTDecode" and int(image.Width) == round(148 / 25.4 * 100)  # trimmed, 100 dpi
        page = pikepdf.PdfImage(image).as_pil_image()
        assert page.mode == "RGB"
        # paper white as the press prints it (FOGRA39: L* 95, b* -2), not the screen's white
        white = page.getpixel((8, 8))
        assert all(225 <= v < 253 for v in white) and white[2] >= white[0], white
    with pikepdf.open(folder / "composite-proof-spreads.pdf") as spreads:
        # the cover alone, then 2-3, 4-5, 6-7, and the back cover alone
        widths = [round(float(p.mediabox[2]) / 72 * 25.4) for p in spreads.pages]
        assert widths == [148, 296, 296, 296, 148]
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


def test_package_without_ghostscript_says_what_to_install(cli, bulletin, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no gs to be found
    result = cli("package", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "package needs Ghostscript (`gs`)" in result.stderr and "apt-get install ghostscript" in result.stderr
    assert not (bulletin / "out").exists()  # refused before rendering anything
