"""What pandoc's OpenDocument reader misses in a LibreOffice file, put right in its content.xml before it reads it:
a table's repeated heading rows (which it drops, with any comment in them), the Title and Subtitle paragraphs, the
block quotes of the Quotations style, and each picture's alternative text and caption."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from issue_builder.importing.odt_review import OFFICE, STYLE, TEXT, register_prefixes, t
from issue_builder.importing.tree import QUOTE_STYLES

DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
QUOTE_MARK = "\ue002"  # starts the text of a block-quote paragraph; private use, no document text holds it
FRONT_STYLES = {"title": "title", "subtitle": "subtitle"}
_NOT_TEXT = {t("note"), f"{{{OFFICE}}}annotation", t("tracked-changes"), t("sequence-decls")}
_LABEL_END = re.compile(r"^\s*[:.\u2013\u2014-]?\s*")  # what separates a caption's number from its words


@dataclass(frozen=True)
class Figure:
    """A picture's alternative text and caption as the writer gave them (either may be empty)."""

    alt: str
    caption: str


@dataclass
class Shaped:
    """content.xml put right, the Title and Subtitle paragraphs taken out of it, and its pictures by file."""

    content: bytes
    front: dict[str, str]
    figures: dict[str, Figure]


def shape(content: bytes, styles: bytes | None) -> Shaped:
    """content.xml (its changes and comments already resolved) shaped for pandoc's reader; see the module."""
    register_prefixes(content)
    root = ET.fromstring(content)
    parents = {child: parent for parent in root.iter() for child in parent}
    style_of = _style_names(root, styles)
    for rows in list(root.iter(f"{{{TABLE}}}table-header-rows")):
        table = parents[rows]
        at = list(table).index(rows)
        table.remove(rows)
        for offset, row in enumerate(rows):
            table.insert(at + offset, row)
    front = _take_front(root, style_of)
    for paragraph in root.iter(t("p")):
        if style_of(paragraph) in QUOTE_STYLES:
            paragraph.text = QUOTE_MARK + (paragraph.text or "")
    figures = _figures(root, parents)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)
    return Shaped(out.getvalue(), front, figures)


def _style_names(root: ET.Element, styles: bytes | None):
    """A function giving a paragraph's named style (its display name, lower case), through automatic styles and
    the named styles' parents."""
    parent_of: dict[str, str] = {}
    display: dict[str, str] = {}
    trees = [root] + ([ET.fromstring(styles)] if styles else [])
    for tree in trees:
        for element in tree.iter(f"{{{STYLE}}}style"):
            name = element.get(f"{{{STYLE}}}name", "")
            display[name] = element.get(f"{{{STYLE}}}display-name") or name.replace("_20_", " ")
            if element.get(f"{{{STYLE}}}parent-style-name"):
                parent_of[name] = element.get(f"{{{STYLE}}}parent-style-name")

    def style_of(paragraph: ET.Element) -> str:
        name = paragraph.get(t("style-name"), "")
        for _ in range(10):  # a named style's own parents: Quotations may be the parent of a house style
            shown = display.get(name, name.replace("_20_", " ")).casefold()
            if shown in QUOTE_STYLES or shown in FRONT_STYLES or name not in parent_of:
                return shown
            name = parent_of[name]
        return ""

    return style_of


def words_of(element: ET.Element, skip: set[str] = _NOT_TEXT) -> str:
    """An element's text on one line: spaces (`text:s`) and tabs as spaces, notes and comments left out."""
    parts: list[str] = []

    def visit(node: ET.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag in (t("s"), t("tab"), t("line-break")):
                parts.append(" ")
            elif child.tag not in skip:
                visit(child)
            if child.tail:
                parts.append(child.tail)

    visit(element)
    return " ".join("".join(parts).split())


def _take_front(root: ET.Element, style_of) -> dict[str, str]:
    """The document's leading Title and Subtitle paragraphs, taken out (the layout prints them)."""
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    front: dict[str, str] = {}
    if body is None:
        return front
    for block in list(body):
        if block.tag in _NOT_TEXT or block.tag.startswith(f"{{{TEXT}}}variable-decls"):
            continue
        words = words_of(block)
        kind = FRONT_STYLES.get(style_of(block)) if block.tag == t("p") else None
        if kind and words and kind not in front and block.find(f".//{{{DRAW}}}frame") is None:
            front[kind] = words
            body.remove(block)
        elif words or block.tag != t("p"):
            break
    return front


def _figures(root: ET.Element, parents: dict) -> dict[str, Figure]:
    """Each picture's alternative text (its frame's title, else its description) and caption (the words of the
    caption frame LibreOffice's Insert > Caption puts it in, without the `Illustration 1:` label) by its file."""
    found: dict[str, Figure] = {}
    for frame in root.iter(f"{{{DRAW}}}frame"):
        image = frame.find(f"{{{DRAW}}}image")
        href = image.get(XLINK_HREF) if image is not None else None
        if not href:
            continue
        alt = " ".join((frame.findtext(f"{{{SVG}}}title") or frame.findtext(f"{{{SVG}}}desc") or "").split())
        caption = ""
        paragraph = parents.get(frame)
        if paragraph is not None and parents.get(paragraph) is not None:
            if parents[paragraph].tag == f"{{{DRAW}}}text-box":
                caption = _caption(paragraph)
        found[href] = Figure(alt, caption)
    return found


def _caption(paragraph: ET.Element) -> str:
    """The words of a caption paragraph after its numbering field (`Illustration <n>: `), pictures left out."""
    skip = _NOT_TEXT | {f"{{{DRAW}}}frame"}
    children = list(paragraph)
    sequence = next((child for child in children if child.tag == t("sequence")), None)
    if sequence is None:
        return words_of(paragraph, skip)
    after = ET.Element("after")  # a view of what follows the field; the document is not changed
    after.text = sequence.tail
    after.extend(children[children.index(sequence) + 1 :])
    return _LABEL_END.sub("", words_of(after, skip), count=1).strip()
