"""What pandoc's Word reader misses in a .docx: each picture's alternative text (*Edit Alt Text*) and the caption
of a picture set in a text box or frame (LibreOffice's Insert > Caption, Word's text boxes), whose words it drops;
read from word/document.xml by the picture's file in the package."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile

from issue_builder.importing.odt_shape import Figure
from issue_builder.importing.sources import parse_part, read_part

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
V = "urn:schemas-microsoft-com:vml"
_LABEL_END = re.compile(r"^\s*[:.\u2013\u2014-]?\s*")


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def figures(package: zipfile.ZipFile, where: str) -> dict[str, Figure]:
    """Alternative text and caption of each picture by its file (`media/image1.jpeg`, as pandoc names it)."""
    names = set(package.namelist())
    if "word/document.xml" not in names or "word/_rels/document.xml.rels" not in names:
        return {}
    rels = parse_part(read_part(package, "word/_rels/document.xml.rels", where), "document.xml.rels", where)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{RELS}}}Relationship")}
    root = parse_part(read_part(package, "word/document.xml", where), "word/document.xml", where)
    parents = {child: parent for parent in root.iter() for child in parent}
    found: dict[str, Figure] = {}
    for drawing in root.iter(w("drawing")):
        blip = drawing.find(f".//{{{A}}}blip")
        target = targets.get(blip.get(f"{{{R}}}embed")) if blip is not None else None
        if not target:
            continue
        doc_pr = drawing.find(f".//{{{WP}}}docPr")
        alt = ""
        if doc_pr is not None:
            alt = " ".join((doc_pr.get("descr") or doc_pr.get("title") or "").split())
        found[target.removeprefix("/word/")] = Figure(alt, _caption(drawing, parents))
    return found


def _caption(drawing: ET.Element, parents: dict) -> str:
    """The words of the text box or frame paragraph the picture is in, after a `SEQ` numbering field."""
    paragraph = parents.get(drawing)
    while paragraph is not None and paragraph.tag != w("p"):
        paragraph = parents.get(paragraph)
    box = parents.get(paragraph) if paragraph is not None else None
    if box is None or box.tag != w("txbxContent"):
        return ""
    label: list[str] = []
    caption: list[str] = []
    numbered = in_instruction = sequence = False
    skipped: set[ET.Element] = set()
    for element in paragraph.iter():
        if element.tag == w("fldChar"):
            kind = element.get(w("fldCharType"))
            in_instruction = kind == "begin"
            if kind == "end" and sequence:
                numbered, sequence = True, False
        elif element.tag == w("instrText") and " SEQ " in f" {element.text} ":
            sequence = True
        elif element.tag == w("fldSimple") and " SEQ " in f" {element.get(w('instr'))} ":
            skipped.update(element.iter(w("t")))  # the number it shows
            numbered = True
        elif element.tag == w("t") and not in_instruction and element not in skipped:
            if not _inside(element, parents, w("drawing"), paragraph):
                (caption if numbered else label).append(element.text or "")
    if numbered:
        return _LABEL_END.sub("", " ".join("".join(caption).split()), count=1).strip()
    return " ".join("".join(label).split())


def _inside(element: ET.Element, parents: dict, tag: str, within: ET.Element) -> bool:
    """Whether an ancestor of `element` below `within` has the tag."""
    node = parents.get(element)
    while node is not None and node is not within:
        if node.tag == tag:
            return True
        node = parents.get(node)
    return False
