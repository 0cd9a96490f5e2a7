"""Tracked changes and comments of an .odt, read from its content.xml (pandoc's reader would silently accept the
changes and drop the comments): listed, then resolved in a copy of content.xml that pandoc then reads.

An .odt keeps its changes apart: `text:tracked-changes` holds one `text:changed-region` per change (who, when,
and a deletion's removed text), and the text marks where each is: `text:change-start`/`text:change-end` around
an insertion or a formatting change, `text:change` where text was deleted. Comments are `office:annotation`.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from issue_builder.importing.review import Position, ReviewChoices, ReviewMark
from issue_builder.importing.tree import Node, raw_comment, walk

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DC = "http://purl.org/dc/elements/1.1/"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")  # private-use characters no document text holds


def t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


class CannotResolve(ValueError):
    """A change this reader cannot take back (it spans paragraphs); the message says what to do instead."""


def resolve(content: bytes, choices: ReviewChoices) -> tuple[bytes, list[ReviewMark], dict[int, str], dict[str, str]]:
    """content.xml with the changes accepted or rejected and the comments dropped or replaced by placeholders,
    as `choices` say; every change and comment found; the text of each kept comment by placeholder number; and
    the alternative text of each picture by its file in the package (pandoc's reader leaves it out)."""
    _register_prefixes(content)
    root = ET.fromstring(content)
    parents = {child: parent for parent in root.iter() for child in parent}
    regions = _regions(root)
    marks = _marks(root, regions)
    kept: dict[int, str] = {}
    if choices.changes:
        _resolve_changes(root, regions, parents, choices.changes == "accept")
    if choices.comments:
        for number, annotation in enumerate(root.iter(f"{{{OFFICE}}}annotation")):
            text = None
            if choices.comments == "keep":
                who, when, words = _comment(annotation)
                kept[number] = f"comment by {who or 'someone'}{f' ({when[:10]})' if when else ''}: {words}"
                text = f"\ue000{number}\ue001"
            _remove(annotation, parents, replacement=text)
        for end in list(root.iter(f"{{{OFFICE}}}annotation-end")):
            _remove(end, parents)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)
    return out.getvalue(), marks, kept, _descriptions(root)


def _descriptions(root: ET.Element) -> dict[str, str]:
    """Each picture's alternative text (LibreOffice: a frame's title, else its description) by the picture's file."""
    found = {}
    for frame in root.iter(f"{{{DRAW}}}frame"):
        words = " ".join((frame.findtext(f"{{{SVG}}}title") or frame.findtext(f"{{{SVG}}}desc") or "").split())
        for image in frame.iter(f"{{{DRAW}}}image"):
            href = image.get("{http://www.w3.org/1999/xlink}href")
            if href and words:
                found[href] = words
    return found


def restore_comments(blocks: list[Node], kept: dict[int, str]) -> list[Node]:
    """The placeholders left for kept comments, back as Markdown comments (HTML comments, never printed)."""

    def fix(node: Node) -> list[Node] | None:
        if node["t"] != "Str" or "\ue000" not in node["c"]:
            return None
        pieces: list[Node] = []
        for i, part in enumerate(_PLACEHOLDER.split(node["c"])):
            if i % 2:
                pieces.append(raw_comment(kept.get(int(part), "")))
            elif part:
                pieces.append({"t": "Str", "c": part})
        return pieces

    return walk(blocks, fix)


def _register_prefixes(content: bytes) -> None:
    """Keep the document's own namespace prefixes when writing it back (readers may expect `text:`, `office:`)."""
    for _, (prefix, uri) in ET.iterparse(io.BytesIO(content), events=("start-ns",)):
        if prefix and not prefix.startswith("ns"):
            ET.register_namespace(prefix, uri)


def _regions(root: ET.Element) -> dict[str, ET.Element]:
    """Each changed region by its id (`text:id`, or `xml:id` in newer files)."""
    found = {}
    for region in root.iter(t("changed-region")):
        for key in (t("id"), XML_ID):
            if region.get(key):
                found[region.get(key)] = region
    return found


def _events(element: ET.Element) -> Iterator[tuple[str, ET.Element | str]]:
    """The element's content in reading order: ("open", element), ("text", words), ("close", element)."""
    yield "open", element
    if element.text:
        yield "text", element.text
    for child in element:
        yield from _events(child)
        if child.tail:
            yield "text", child.tail
    yield "close", element


_SKIPPED = {t("tracked-changes"), f"{{{OFFICE}}}annotation", t("note-citation")}
_BLOCKS = {t("p"), t("h")}


def _marks(root: ET.Element, regions: dict[str, ET.Element]) -> list[ReviewMark]:
    """Every change and comment in reading order, with where it is and the text it concerns."""
    body = root.find(f"{{{OFFICE}}}body")
    if body is None:
        return []
    position = Position()
    marks: list[ReviewMark] = []
    open_changes: dict[str, list[str]] = {}  # insertion or formatting change id -> its words so far
    starts: dict[str, str] = {}  # the same -> where it begins
    skipping = 0
    block_depth = 0
    in_heading = False
    for kind, item in _events(body):
        if kind == "open" and item.tag in _SKIPPED:
            skipping += 1
            if item.tag == f"{{{OFFICE}}}annotation" and skipping == 1:
                who, when, words = _comment(item)
                marks.append(ReviewMark("comment", who, when, words, position.describe(in_heading)))
            continue
        if kind == "close" and item.tag in _SKIPPED:
            skipping -= 1
            continue
        if skipping:
            continue
        if kind == "open" and item.tag in _BLOCKS:
            block_depth += 1
            if block_depth == 1:
                words = "".join(_visible_text(item))
                in_heading = item.tag == t("h")
                if in_heading:
                    position.enter_heading(words)
                else:
                    position.enter_block(words)
        elif kind == "close" and item.tag in _BLOCKS:
            block_depth -= 1
        elif kind == "text":
            for words in open_changes.values():
                words.append(item)
        elif kind == "open" and item.tag == t("change-start"):
            open_changes[item.get(t("change-id"), "")] = []
            starts[item.get(t("change-id"), "")] = position.describe(in_heading)
        elif kind == "open" and item.tag == t("change-end"):
            change_id = item.get(t("change-id"), "")
            words = "".join(open_changes.pop(change_id, []))
            where = starts.pop(change_id, position.describe(in_heading))
            marks.append(_change_mark(regions.get(change_id), words, where))
        elif kind == "open" and item.tag == t("change"):
            region = regions.get(item.get(t("change-id"), ""))
            marks.append(_change_mark(region, "", position.describe(in_heading)))
    return marks


def _visible_text(element: ET.Element) -> Iterator[str]:
    """The words of a paragraph as printed: not its notes' citations, comments or deleted text."""
    if element.text:
        yield element.text
    for child in element:
        if child.tag not in _SKIPPED:
            yield from _visible_text(child)
        if child.tail:
            yield child.tail


def _change_mark(region: ET.Element | None, words: str, where: str) -> ReviewMark:
    """A ReviewMark for a changed region: its kind, author, date and words (a deletion's are in the region)."""
    if region is None:
        return ReviewMark("change", "", "", words, where)
    change = next(iter(region), None)
    kinds = {t("insertion"): "insertion", t("deletion"): "deletion", t("format-change"): "formatting change"}
    kind = kinds.get(change.tag if change is not None else "", "change")
    info = change.find(f"{{{OFFICE}}}change-info") if change is not None else None
    who = (info.findtext(f"{{{DC}}}creator") or "") if info is not None else ""
    when = (info.findtext(f"{{{DC}}}date") or "") if info is not None else ""
    if kind == "deletion":
        words = " ".join("".join(_visible_text(p)) for p in change if p.tag in _BLOCKS)
    return ReviewMark(kind, who.strip(), when.strip(), words, where)


def _comment(annotation: ET.Element) -> tuple[str, str, str]:
    """Author, date and text of a comment."""
    who = annotation.findtext(f"{{{DC}}}creator") or ""
    when = annotation.findtext(f"{{{DC}}}date") or ""
    words = " ".join("".join(p.itertext()) for p in annotation.iter() if p.tag in _BLOCKS)
    return who.strip(), when.strip(), " ".join(words.split())


def _resolve_changes(root: ET.Element, regions: dict[str, ET.Element], parents: dict, accept: bool) -> None:
    """Apply every change (accept) or take every change back (reject), then remove the change records."""
    if not accept:
        for start in list(root.iter(t("change-start"))):
            region = regions.get(start.get(t("change-id"), ""))
            if region is not None and region.find(t("insertion")) is not None:
                _remove_inserted(start, parents)
        for marker in list(root.iter(t("change"))):
            region = regions.get(marker.get(t("change-id"), ""))
            deletion = region.find(t("deletion")) if region is not None else None
            if deletion is not None:
                _restore_deleted(marker, deletion, parents)
    for tag in ("change-start", "change-end", "change"):
        for marker in list(root.iter(t(tag))):
            _remove(marker, parents)
    for record in list(root.iter(t("tracked-changes"))):
        _remove(record, parents)


def _remove_inserted(start: ET.Element, parents: dict) -> None:
    """Remove what lies between an insertion's start and end marks, which must share a paragraph."""
    parent = parents[start]
    siblings = list(parent)
    change_id = start.get(t("change-id"))
    end = next(
        (
            s
            for s in siblings[siblings.index(start) + 1 :]
            if s.tag == t("change-end") and s.get(t("change-id")) == change_id
        ),
        None,
    )
    if end is None:
        raise CannotResolve(
            "an insertion spans paragraphs, which this import cannot take back; reject it in LibreOffice "
            "(Edit > Track Changes > Manage) or import with --accept-changes"
        )
    for sibling in siblings[siblings.index(start) + 1 : siblings.index(end)]:
        parent.remove(sibling)
    start.tail = None


def _restore_deleted(marker: ET.Element, deletion: ET.Element, parents: dict) -> None:
    """Put a deletion's removed words back where it was made (a deletion within one paragraph)."""
    removed = [p for p in deletion if p.tag in _BLOCKS]
    if len(removed) != 1:
        raise CannotResolve(
            "a deletion spans paragraphs, which this import cannot take back; reject it in LibreOffice "
            "(Edit > Track Changes > Manage) or import with --accept-changes"
        )
    paragraph = removed[0]
    parent = parents[marker]
    at = list(parent).index(marker)
    marker_tail, marker.tail = marker.tail, paragraph.text
    for offset, child in enumerate(list(paragraph)):
        parent.insert(at + 1 + offset, child)
        parents[child] = parent
    last = parent[at + len(paragraph)] if len(paragraph) else marker
    last.tail = (last.tail or "") + (marker_tail or "")


def _remove(element: ET.Element, parents: dict, replacement: str | None = None) -> None:
    """Remove `element`, keeping the text that follows it (after `replacement`, when given)."""
    parent = parents[element]
    keep = (replacement or "") + (element.tail or "")
    index = list(parent).index(element)
    if index:
        before = parent[index - 1]
        before.tail = (before.tail or "") + keep
    else:
        parent.text = (parent.text or "") + keep
    parent.remove(element)
