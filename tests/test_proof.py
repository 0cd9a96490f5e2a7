"""Proofs between rounds: watermark and slug on every page, reader spreads, reproducible bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pikepdf

from helpers import page_texts

A5 = (148 / 25.4 * 72, 210 / 25.4 * 72)
PROOF = "the-tenant-bulletin-7-proof.pdf"


def round_file(name: str) -> str:
    """The proof of a named round of corrections, kept beside the others."""
    return f"the-tenant-bulletin-7-proof-round-{name}.pdf"


def test_proof_has_watermark_and_slug_on_every_page(cli, bulletin: Path):
    result = cli("proof", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--round", "2")
    assert result.exit_code == 0, result.stderr
    assert "wrote " in result.stdout and round_file("2") in result.stdout
    proof = bulletin / "out" / round_file("2")
    texts = page_texts(proof)
    assert len(texts) == 8
    for number, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert "PROOF · The Tenant Bulletin · Issue 7 · round 2 · build " in flat, flat[:200]
        assert f"page {number} of 8" in flat
        assert flat.count("PROOF") >= 2  # the slug and the diagonal watermark
    assert "Rent Strike" in " ".join(texts[2].split()) or "Eleven Months" in " ".join(texts[2].split())
    with pikepdf.open(proof) as pdf:
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            assert abs(box[2] - box[0] - A5[0]) < 0.5 and abs(box[3] - box[1] - A5[1]) < 0.5  # trimmed pages
    fonts = subprocess.run(["pdffonts", str(proof)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    assert not list((bulletin / "out").glob("*-print.pdf"))  # a proof renders the proof alone


def test_spreads_show_pages_as_a_reader_sees_them(cli, bulletin: Path):
    result = cli("proof", str(bulletin / "7.yaml"), "--out", str(bulletin / "out"), "--spreads")
    assert result.exit_code == 0, result.stderr
    spreads = bulletin / "out" / "the-tenant-bulletin-7-proof-spreads.pdf"
    texts = [" ".join(t.split()) for t in page_texts(spreads)]
    # 8 pages: the cover alone, 2-3, 4-5, 6-7, and the back cover alone
    assert len(texts) == 5
    assert "page 1 of 8" in texts[0] and "page 2 of 8" not in texts[0]
    assert "page 2 of 8" in texts[1] and "page 3 of 8" in texts[1]
    assert "page 8 of 8" in texts[4] and "page 7 of 8" not in texts[4]
    with pikepdf.open(spreads) as pdf:
        widths = [float(p.mediabox[2]) - float(p.mediabox[0]) for p in pdf.pages]
    assert all(abs(w - 2 * A5[0]) < 0.5 for w in widths)


def test_proofs_are_byte_identical_across_processes(bulletin: Path):
    outputs = []
    for name in ("a", "b"):
        command = [sys.executable, "-m", "issue_builder", "proof", "7.yaml", "--out", name, "--quiet"]
        done = subprocess.run(command, cwd=bulletin, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outputs.append((bulletin / name / PROOF).read_bytes())
    assert outputs[0] == outputs[1]


def test_proof_since_an_earlier_round_names_the_changed_page(cli, bulletin: Path):
    out = bulletin / "out"
    assert cli("proof", str(bulletin / "7.yaml"), "--out", str(out), "--round", "1").exit_code == 0
    first = out / round_file("1")
    article = bulletin / "7" / "articles" / "meeting.md"
    text = article.read_text("utf-8")
    cut = text.index("\n\n", len(text) // 2)
    article.write_text(text[:cut] + " Three words added." + text[cut:], "utf-8")
    result = cli("proof", str(bulletin / "7.yaml"), "--out", str(out), "--round", "2", "--since", str(first))
    assert result.exit_code == 0, result.stderr
    # the slugs name other builds and rounds on every page; only the edited page is reported
    assert "1 page changed" in result.stdout
    assert "p. 7: 3 words changed (3 added)" in result.stdout or "p. 6: 3 words changed (3 added)" in result.stdout
    assert first.is_file()  # each round's proof kept beside the others
    marked = out / "the-tenant-bulletin-7-proof-round-2-changes.pdf"
    assert len(page_texts(marked)) == 8
    missing = cli("proof", str(bulletin / "7.yaml"), "--out", str(out), "--since", str(bulletin / "nope.pdf"))
    assert missing.exit_code == 2 and "nope.pdf: file not found" in missing.stderr


def test_a_reordered_issue_reports_the_moved_articles_not_changed_words(cli, bulletin: Path):
    out = bulletin / "out"
    assert cli("proof", str(bulletin / "7.yaml"), "--out", str(out), "--round", "1").exit_code == 0
    manifest = bulletin / "7.yaml"
    text = manifest.read_text("utf-8")
    lease, meeting = text.index("  - title: The New Lease Law"), text.index("  - title: Meeting Notes")
    manifest.write_text(text[:lease] + text[meeting:].rstrip("\n") + "\n" + text[lease:meeting], "utf-8")
    # --since takes the name of a round kept in the output folder
    result = cli("proof", str(manifest), "--out", str(out), "--round", "2", "--since", "1")
    assert result.exit_code == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "p. 5-6: “Meeting Notes” moved from p. 6-7" in lines, result.stdout
    assert "p. 7: “The New Lease Law” moved from p. 5" in lines, result.stdout
    assert "words changed" not in result.stdout and "word changed" not in result.stdout, result.stdout
    # the pages of the moved articles read as they did: the second proof really has them elsewhere
    texts = [" ".join(t.split()) for t in page_texts(out / round_file("2"))]
    assert "Meeting Notes" in texts[4] and "page 5 of 8 · Meeting Notes" in texts[4]
    assert "arliament passed the new lease law" in texts[6]  # its first letter is a drop cap, read apart
    missing = cli("proof", str(manifest), "--out", str(out), "--since", "9")
    assert missing.exit_code == 2 and "no proof of round 9" in missing.stderr and "rounds there: 1, 2" in missing.stderr
