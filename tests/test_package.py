"""The printer's package: everything a printer needs, checksummed, in a folder and a reproducible zip."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile

import pikepdf
import pytest
from PIL import Image, ImageCms

from helpers import edit
from issue_builder.base.bounded import streamed_tool
from issue_builder.base.forked import LimitExceeded, Limits
from issue_builder.base.paths import ICC_DIR
from issue_builder.package import composite
from issue_builder.package.composite import CompositeProofError


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


def test_the_composite_proof_is_read_from_ghostscript_a_page_at_a_time(bulletin, tmp_path, monkeypatch):
    """Ghostscript's pages are read as it writes them, none on disk; a page cut short, a failure or a program past
    its time is a clear error, never a proof with pages missing."""
    pdf = tmp_path / "two.pdf"
    with pikepdf.new() as document:
        for _ in range(2):
            document.add_blank_page(page_size=(144, 72))
            document.pages[-1].obj.Contents = document.make_stream(b"0 0 0 0.8 k 10 10 50 50 re f")
        document.save(pdf)
    profile = (ICC_DIR / "sRGB.icc").read_bytes()  # any profile: LittleCMS reads it as the press's
    written = []
    real = composite.streamed_tool

    def watched(args, what, limits=None):
        written.append(args)
        return real(args, what, limits)

    monkeypatch.setattr(composite, "streamed_tool", watched)
    monkeypatch.setattr(composite.ImageCms, "ImageCmsProfile", lambda _: ImageCms.createProfile("sRGB"))
    monkeypatch.setattr(composite.ImageCms, "buildTransform", lambda *a, **k: None)
    monkeypatch.setattr(composite.ImageCms, "applyTransform", lambda image, _: image.convert("RGB"))
    pages = composite._simulated_pages(pdf, profile)
    assert len(pages) == 2 and "-sOutputFile=-" in written[0]  # to the pipe, not to files
    with Image.open(io.BytesIO(pages[0])) as first:
        assert first.size == (200, 100) and first.getpixel((150, 50)) == (255, 255, 255)
        assert max(first.getpixel((40, 50))) < 100  # the grey square

    one_page = b"P7\nWIDTH 2\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE CMYK\nENDHDR\n" + bytes(8)
    assert len(list(composite._pam_pages(io.BytesIO(one_page * 2)))) == 2
    assert len(list(composite._pam_pages(io.BytesIO(one_page + one_page[:-3])))) == 1  # the second cut short
    huge = one_page.replace(b"WIDTH 2", b"WIDTH 200000000")
    with pytest.raises(CompositeProofError, match=r"page 2 of the composite proof in a form it cannot read"):
        list(composite._pam_pages(io.BytesIO(one_page + huge)))
    # a page it cannot read stops Ghostscript at once, never left writing into a pipe no one reads
    (tmp_path / "huge.pam").write_bytes(huge + bytes(1 << 20))
    endless = ["sh", "-c", f"cat {tmp_path / 'huge.pam'}; exec sleep 30"]
    started = time.monotonic()
    with pytest.raises(CompositeProofError), real(endless, "gs") as out:
        list(composite._pam_pages(out))
    assert time.monotonic() - started < 10
    (tmp_path / "one.pam").write_bytes(one_page)
    monkeypatch.setattr(composite, "streamed_tool", lambda args, what: real(["cat", str(tmp_path / "one.pam")], what))
    with pytest.raises(CompositeProofError, match=r"rendered 1 of the 2 pages of two.pdf"):
        composite._simulated_pages(pdf, profile)
    monkeypatch.setattr(
        composite, "streamed_tool", lambda args, what: real(["sh", "-c", "echo broken >&2; exit 3"], what)
    )
    with pytest.raises(CompositeProofError, match=r"could not render two.pdf for the composite proof: broken"):
        composite._simulated_pages(pdf, profile)
    with pytest.raises(LimitExceeded, match=r"sleeper took longer than 0.5 s"):
        with streamed_tool(["sleep", "5"], "sleeper", Limits(seconds=0.5, memory_mb=256)) as out:
            out.read()
