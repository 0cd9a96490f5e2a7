"""XMP metadata packets for the finished PDFs: the common properties, plus each edition's own.

The packet is built as an XML tree (xml.etree), so every value is escaped by the serialiser, never by hand.
Nothing in it comes from the clock or from randomness: the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pikepdf

from issue_builder.base.cache import MAX_INPUT_BYTES
from issue_builder.base.diagnostics import RenderError
from issue_builder.base.pdf_content import content_parts

X = "adobe:ns:meta/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
_NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}
# array properties of the schemas we write, and the RDF container each one takes
_CONTAINERS = {
    "dc:creator": "Seq",
    "dc:language": "Bag",
    "dc:subject": "Bag",
    "dc:contributor": "Bag",
    "dc:publisher": "Bag",
    "dc:title": "Alt",
    "dc:description": "Alt",
    "dc:rights": "Alt",
}
_XPACKET_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_XPACKET_END = '\n<?xpacket end="w"?>'

Value = str | Sequence[str]
Property = tuple[str, Value]  # (prefixed name, value) for the tree to write


def content_uuid(pdf: pikepdf.Pdf, salt: str = "") -> str:
    """A document ID derived from the pages' content: the same input gives the same ID, no clock or randomness.

    The content streams are hashed as stored (with their filters), never decompressed, and only up to the size a
    build reads of any input: a stream that inflates to gigabytes costs nothing here, a runaway one is refused."""
    digest = hashlib.sha256(salt.encode())
    total = 0
    for page in pdf.pages:
        for part in content_parts(page.obj):
            if not isinstance(part, pikepdf.Stream):
                continue
            data = part.read_raw_bytes()
            total += len(data)
            if total > MAX_INPUT_BYTES:
                raise RenderError(
                    f"the pages' content is larger than {MAX_INPUT_BYTES:,} bytes, the most a build reads of any "
                    "file: the laid-out issue cannot be finished"
                )
            digest.update(repr(part.get("/Filter")).encode() + b"\0" + data)
    return f"uuid:{uuid.UUID(bytes=digest.digest()[:16], version=4)}"


def set_xmp(
    pdf: pikepdf.Pdf,
    title: str,
    date: dt.date,
    document_id: str,
    properties: list[Property],
    namespaces: dict[str, str],
) -> None:
    """Write the XMP packet: title, dates, tool and IDs, then `properties` in `namespaces`.

    A property is a pair such as `("pdf:Trapped", "False")` or `("dc:creator", ["A & B"])`, its value escaped by
    the XML library; a list becomes the property's RDF container (Seq, Bag or Alt). The packet replaces any
    metadata the PDF had.
    """
    packet = xmp_packet(title, date, document_id, properties, namespaces)
    pdf.Root.Metadata = pdf.make_stream(packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


def xmp_packet(
    title: str, date: dt.date, document_id: str, properties: list[Property], namespaces: dict[str, str]
) -> bytes:
    """The XMP packet `set_xmp` writes, as UTF-8 bytes."""
    declared = {**_NAMESPACES, **namespaces}
    for prefix, uri in {"x": X, "rdf": RDF, **declared}.items():
        ET.register_namespace(prefix, uri)
    stamp = f"{_ymd(date, '-')}T00:00:00Z"
    root = ET.Element(f"{{{X}}}xmpmeta")
    rdf = ET.SubElement(root, f"{{{RDF}}}RDF")
    description = ET.SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
    common: list[tuple[str, Value]] = [
        ("dc:format", "application/pdf"),
        ("dc:title", [title]),
        ("xmp:CreateDate", stamp),
        ("xmp:ModifyDate", stamp),
        ("xmp:MetadataDate", stamp),
        ("xmp:CreatorTool", "issue-builder"),
        ("xmpMM:DocumentID", document_id),
        ("xmpMM:InstanceID", document_id),
    ]
    for name, value in [*common, *properties]:
        description.append(_element(name, value, declared))
    ET.indent(root, space=" ")
    return (_XPACKET_BEGIN + ET.tostring(root, encoding="unicode") + _XPACKET_END).encode("utf-8")


def _qualified(name: str, namespaces: dict[str, str]) -> str:
    prefix, _, local = name.partition(":")
    if prefix not in namespaces or not local:
        raise ValueError(f"XMP property {name!r}: no namespace declared for the prefix {prefix!r}")
    return f"{{{namespaces[prefix]}}}{local}"


def _element(name: str, value: Value, namespaces: dict[str, str]) -> ET.Element:
    element = ET.Element(_qualified(name, namespaces))
    kind = _CONTAINERS.get(name)
    if isinstance(value, str) != (kind is None):
        shape = "a single value, not a list" if kind is None else "a list of values, not one"
        raise ValueError(f"XMP property {name!r} takes {shape}")
    if isinstance(value, str):
        element.text = value
        return element
    container = ET.SubElement(element, f"{{{RDF}}}{kind}")
    for item in value:
        li = ET.SubElement(container, f"{{{RDF}}}li", {f"{{{XML}}}lang": "x-default"} if kind == "Alt" else {})
        li.text = item
    return element


def pdf_date(date: dt.date) -> pikepdf.String:
    """A date as the document information dictionary writes it: `D:YYYYMMDD000000Z`."""
    return pikepdf.String(f"D:{_ymd(date, '')}000000Z")


def _ymd(date: dt.date, separator: str) -> str:
    """Year, month and day with the four-digit year PDF and XMP dates take (strftime's %Y drops leading zeros);
    years they cannot write (before 1, after 9999) are refused."""
    if not 1 <= date.year <= 9999:
        raise ValueError(f"the date {date} cannot be written in a PDF: its year must have four digits, 0001-9999")
    return f"{date.year:04d}{separator}{date.month:02d}{separator}{date.day:02d}"
