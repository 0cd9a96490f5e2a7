"""ISSN/EAN-13 (python-stdnum) and the XMP packet (built as an XML tree): the identifiers a finished issue carries."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pikepdf
import pytest

from issue_builder.base.identifiers import ean13_for_issn, issn_problem
from issue_builder.editions.xmp import set_xmp, xmp_packet
from issue_builder.layout.barcode import barcode_svg

MARKUP_NAME = """Tom & Jerry's <Bulletin> "Quarterly" ]]> &amp;"""
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
}


def pdfinfo_xmp(pdf: Path) -> ET.Element:
    """The XMP packet of `pdf` as poppler reads it (not pikepdf, which wrote it), parsed."""
    packet = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, check=True).stdout.decode("utf-8")
    start, end = packet.index("<x:xmpmeta"), packet.index("</x:xmpmeta>") + len("</x:xmpmeta>")
    return ET.fromstring(packet[start:end])


def _title(root: ET.Element) -> str:
    return root.find(".//dc:title/rdf:Alt/rdf:li", NS).text


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils missing")
def test_title_with_markup_round_trips_through_the_xmp_of_both_editions(cli, bulletin):
    pub = bulletin / "publication.yaml"
    quoted = MARKUP_NAME.replace("'", "''")
    pub.write_text(pub.read_text("utf-8").replace("name: The Tenant Bulletin", f"name: '{quoted}'"), "utf-8")
    out = bulletin / "out"
    result = cli("render", str(bulletin / "7.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    (printed,), (web,) = out.glob("*-print.pdf"), out.glob("*-web.pdf")
    for pdf in (printed, web):
        root = pdfinfo_xmp(pdf)
        assert _title(root) == f"{MARKUP_NAME}, Issue 7"
        with pikepdf.open(pdf) as doc:
            assert str(doc.docinfo.Title) == _title(root)  # the document information says the same
    assert pdfinfo_xmp(printed).find(".//pdfxid:GTS_PDFXVersion", NS).text == "PDF/X-4"
    assert pdfinfo_xmp(web).find(".//pdfuaid:part", NS).text == "1"


def _packet(title: str = MARKUP_NAME) -> bytes:
    return xmp_packet(
        title,
        dt.date(2024, 10, 1),
        "uuid:00000000-0000-4000-8000-000000000000",
        [
            ("pdf:Trapped", "False"),
            ("dc:creator", ["A & B <c>", 'D "E"']),
            ("pdf:Keywords", "x < y & z"),
            ("pdfxid:GTS_PDFXVersion", "PDF/X-4"),
        ],
        {"pdfxid": NS["pdfxid"]},
    )


def test_xmp_packet_escapes_every_value_and_keeps_the_identification():
    text = _packet().decode("utf-8")
    assert text.startswith('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>')
    assert text.endswith('<?xpacket end="w"?>')
    root = ET.fromstring(text[text.index("<x:xmpmeta") : text.index("<?xpacket end")])
    assert _title(root) == MARKUP_NAME
    assert [li.text for li in root.findall(".//dc:creator/rdf:Seq/rdf:li", NS)] == ["A & B <c>", 'D "E"']
    assert root.find(".//{http://ns.adobe.com/pdf/1.3/}Keywords").text == "x < y & z"
    assert root.find(".//xmp:CreateDate", NS).text == "2024-10-01T00:00:00Z"
    assert root.find(".//xmp:MetadataDate", NS).text == "2024-10-01T00:00:00Z"
    assert root.find(".//xmpMM:DocumentID", NS).text == root.find(".//xmpMM:InstanceID", NS).text
    assert root.find(".//{http://ns.adobe.com/pdf/1.3/}Trapped").text == "False"
    # what preflight and the tests look for, as text
    assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in text
    assert "<pdf:Trapped>False</pdf:Trapped>" in text


def test_xmp_packet_is_deterministic_across_processes():
    code = "import sys, tests.test_identifiers as t; sys.stdout.buffer.write(t._packet())"
    root = Path(__file__).parent.parent
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            check=True,
            cwd=root,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert runs == {_packet()}


def test_an_xmp_property_of_the_wrong_shape_is_refused_not_written():
    pdf = pikepdf.new()
    with pytest.raises(ValueError, match="takes a single value"):
        set_xmp(pdf, "T", dt.date(2024, 1, 1), "uuid:x", [("pdf:Keywords", ["a", "b"])], {})
    with pytest.raises(ValueError, match="takes a list of values"):
        set_xmp(pdf, "T", dt.date(2024, 1, 1), "uuid:x", [("dc:creator", "A")], {})
    with pytest.raises(ValueError, match="no namespace"):
        set_xmp(pdf, "T", dt.date(2024, 1, 1), "uuid:x", [("foo:Bar", "1")], {})
    assert "/Metadata" not in pdf.Root


def test_bad_issn_check_digit_message_is_unchanged():
    assert issn_problem("2049-3631") == "check digit is 1, but the digits 2049-363 need 0"
    assert issn_problem("2434-5611") == "check digit is 1, but the digits 2434-561 need X"
    assert issn_problem("2049 3630") == issn_problem("ISSN 2049-3630") == "expected an ISSN such as 1234-5679"
    assert issn_problem("2049-3630") is issn_problem("20493630") is issn_problem(" 2434-561x ") is None


def test_ean13_of_an_issn():
    assert ean13_for_issn("2049-3630") == "9772049363002"  # what the bulletin's cover scans as
    assert ean13_for_issn("2434-561x", "07") == "9772434561075"
    with pytest.raises(ValueError):
        ean13_for_issn("2049-3631")


def test_barcode_refuses_an_ean13_with_a_wrong_check_digit():
    assert barcode_svg("9772049363002", "07").startswith(b"<?xml")
    with pytest.raises(ValueError, match="not a valid EAN-13"):
        barcode_svg("9772049363003", "07")
    with pytest.raises(ValueError, match="add-on"):
        barcode_svg("9772049363002", "7")
