"""XMP metadata packets for the finished PDFs: the common properties, plus each edition's own."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from xml.sax.saxutils import escape

import pikepdf

_NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}


def content_uuid(pdf: pikepdf.Pdf, salt: str = "") -> str:
    """A document ID derived from the pages' content: the same input gives the same ID, no clock or randomness."""
    digest = hashlib.sha256(salt.encode())
    for page in pdf.pages:
        contents = page.obj.get("/Contents")
        parts = contents if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
        for part in parts:
            digest.update(part.read_bytes())
    return f"uuid:{uuid.UUID(bytes=digest.digest()[:16], version=4)}"


def set_xmp(pdf: pikepdf.Pdf, title: str, date: dt.date, document_id: str, properties: list[str],
            namespaces: dict[str, str]) -> None:
    """Write the XMP packet: title, dates, tool and IDs, then `properties` (XML lines) in `namespaces`."""
    stamp = f"{date.isoformat()}T00:00:00Z"
    declared = "".join(f'\n    xmlns:{prefix}="{uri}"' for prefix, uri in {**_NAMESPACES, **namespaces}.items())
    lines = [
        "<dc:format>application/pdf</dc:format>",
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>',
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate>",
        f"<xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
        f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
        "<xmp:CreatorTool>issue-builder</xmp:CreatorTool>",
        f"<xmpMM:DocumentID>{document_id}</xmpMM:DocumentID>",
        f"<xmpMM:InstanceID>{document_id}</xmpMM:InstanceID>",
        *properties,
    ]
    body = "".join(f"\n   {line}" for line in lines)
    packet = (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
              f' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
              f'  <rdf:Description rdf:about=""{declared}>{body}\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n'
              '<?xpacket end="w"?>')
    pdf.Root.Metadata = pdf.make_stream(packet.encode("utf-8"), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


def pdf_date(date: dt.date) -> pikepdf.String:
    """A date as the document information dictionary writes it."""
    return pikepdf.String(f"D:{date.strftime('%Y%m%d')}000000Z")
