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
from dataclasses import replace

from issue_builder.importing.review import Position, ReviewChoices, ReviewMark
from issue_builder.importing.tree import Node, raw_comment, walk

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DC = "http://purl.org/dc/elements/1.1/"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")  # private-use characters no document text holds


def t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


class CannotResolve(ValueError):
    """A change this reader cannot take back (it spans paragraphs); the message says what to do instead."""


def resolve(content: bytes, choices: ReviewChoices) -> tuple[bytes, list[ReviewMark], dict[int, str]]:
    """content.xml with the changes accepted or rejected and the comments dropped or replaced by placeholders,
    as `choices` say; every change and comment found; and the text of each kept comment by placeholder number."""
    register_prefixes(content)
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
    return out.getvalue(), marks, kept


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


def register_prefixes(content: bytes) -> None:
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
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table"
_FRONT = {"Title", "Subtitle"}  # LibreOffice's style names whatever the language of its menus
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


def _marks(root: ET.Element, regions: dict[str, ET.Element]) -> list[ReviewMark]:
    """Every change and comment in reading order, with where it is and the text it concerns."""
    body = root.find(f"{{{OFFICE}}}body")
    if body is None:
        return []
    position = Position()
    marks: list[ReviewMark] = []
    styles = {
        style.get(f"{{{STYLE}}}name"): style.get(f"{{{STYLE}}}parent-style-name")
        for style in root.iter(f"{{{STYLE}}}style")
    }
    open_changes: dict[str, list[str]] = {}  # insertion or formatting change id -> its words so far
    starts: dict[str, str] = {}  # the same -> where it begins
    blocks_at: dict[str, int] = {}  # the same -> the paragraphs seen before it began
    blocks_seen = 0
    skipping = 0
    block_depth = 0
    table_depth = 0  # a table counts as one block, as pandoc reads a .docx: its cells are not paragraphs
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
        if kind == "open" and item.tag == _TABLE:
            table_depth += 1
            if table_depth == 1 and block_depth == 0:
                in_heading = False
                position.enter_block(" ".join(" ".join(_visible_text(item)).split()))
        elif kind == "close" and item.tag == _TABLE:
            table_depth -= 1
        elif kind == "open" and item.tag in _BLOCKS:
            block_depth += 1
            blocks_seen += 1
            if block_depth == 1 and not table_depth:
                words = "".join(_visible_text(item))
                in_heading = item.tag == t("h")
                if in_heading:
                    position.enter_heading(words)
                elif words.strip() and _base_style(item, styles) not in _FRONT:
                    position.enter_block(words)  # counted as in a .docx: not empty paragraphs, title or subtitle
        elif kind == "close" and item.tag in _BLOCKS:
            block_depth -= 1
        elif kind == "text":
            for words in open_changes.values():
                words.append(item)
        elif kind == "open" and item.tag == t("change-start"):
            open_changes[item.get(t("change-id"), "")] = []
            starts[item.get(t("change-id"), "")] = position.describe(in_heading)
            blocks_at[item.get(t("change-id"), "")] = blocks_seen
        elif kind == "open" and item.tag == t("change-end"):
            change_id = item.get(t("change-id"), "")
            words = "".join(open_changes.pop(change_id, []))
            where = starts.pop(change_id, position.describe(in_heading))
            mark = _change_mark(regions.get(change_id), words, where)
            if mark.kind == "insertion" and blocks_at.pop(change_id, blocks_seen) != blocks_seen and not words.strip():
                mark = replace(mark, kind="paragraph break inserted", text="")  # one paragraph split in two
            marks.append(mark)
        elif kind == "open" and item.tag == t("change"):
            region = regions.get(item.get(t("change-id"), ""))
            marks.append(_change_mark(region, "", position.describe(in_heading)))
    return marks


def _base_style(paragraph: ET.Element, automatic: dict[str, str | None]) -> str:
    """A paragraph's named style: its own, or the one its automatic style (direct formatting) is based on."""
    name = paragraph.get(t("style-name"), "")
    return automatic.get(name) or name


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
        removed = [p for p in change.iter() if p.tag in _BLOCKS]  # in list items too
        words = " ".join("".join(_visible_text(p)) for p in removed if p in list(change))
        if len(removed) > 1 and not "".join("".join(_visible_text(p)) for p in removed).strip():
            kind, words = "paragraph break deleted", ""  # two paragraphs joined
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
                _remove_inserted(start, parents, root)
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


def _remove_inserted(start: ET.Element, parents: dict, root: ET.Element) -> None:
    """Remove what lies between an insertion's start and end marks; an insertion across paragraphs (one paragraph
    split in two, words added around the split) joins them again."""
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
    if end is not None:
        for sibling in siblings[siblings.index(start) + 1 : siblings.index(end)]:
            parent.remove(sibling)
        start.tail = None
        return
    end = next((e for e in root.iter(t("change-end")) if e.get(t("change-id")) == change_id), None)
    last = parents.get(end) if end is not None else None
    container = parents.get(parent)
    if last is None or container is None or parents.get(last) is not container or {parent.tag, last.tag} - _BLOCKS:
        raise CannotResolve(
            "an insertion across paragraphs inside formatted text, a list or a table cannot be taken back here; "
            "reject it in LibreOffice (Edit > Track Changes > Manage) or import with --accept-changes"
        )
    blocks = list(container)
    for sibling in siblings[siblings.index(start) + 1 :]:
        parent.remove(sibling)
    for block in blocks[blocks.index(parent) + 1 : blocks.index(last)]:
        container.remove(block)
    kept = list(last)[list(last).index(end) + 1 :]
    start.tail = end.tail
    for child in kept:
        parent.append(child)
        parents[child] = parent
    container.remove(last)


def _restore_deleted(marker: ET.Element, deletion: ET.Element, parents: dict) -> None:
    """Put a deletion's removed words back where it was made; a deletion across paragraphs (two paragraphs joined)
    splits its paragraph again."""
    removed = [child for child in deletion if child.tag != f"{{{OFFICE}}}change-info"]
    if not removed or any(p.tag not in _BLOCKS for p in removed[1:]) or removed[0].tag not in _BLOCKS:
        raise CannotResolve(
            "a deletion of more than text (a list or table) cannot be taken back here; reject it in LibreOffice "
            "(Edit > Track Changes > Manage) or import with --accept-changes"
        )
    paragraph = parents[marker]
    if len(removed) > 1 and (paragraph.tag not in _BLOCKS or parents.get(paragraph) is None):
        raise CannotResolve(
            "a deletion across paragraphs inside formatted text cannot be taken back here; reject it in "
            "LibreOffice (Edit > Track Changes > Manage) or import with --accept-changes"
        )
    at = list(paragraph).index(marker)
    rest = list(paragraph)[at + 1 :] if len(removed) > 1 else []
    tail = marker.tail
    for child in rest:
        paragraph.remove(child)
    _put_back(paragraph, marker, removed[0], None if len(removed) > 1 else tail, parents)
    if len(removed) == 1:
        return
    container = parents[paragraph]
    place = list(container).index(paragraph)
    last = ET.Element(removed[-1].tag, removed[-1].attrib)
    last.text = removed[-1].text
    last.extend(list(removed[-1]))
    if len(last):
        last[-1].tail = (last[-1].tail or "") + (tail or "")
    else:
        last.text = (last.text or "") + (tail or "")
    last.extend(rest)
    for offset, block in enumerate([*removed[1:-1], last], start=1):
        container.insert(place + offset, block)
        parents[block] = container
        for child in block:
            parents[child] = block


def _put_back(parent: ET.Element, marker: ET.Element, removed: ET.Element, tail: str | None, parents: dict) -> None:
    """The words and elements of one removed paragraph put where the marker is, followed by `tail`."""
    at = list(parent).index(marker)
    marker.tail = removed.text
    for offset, child in enumerate(list(removed)):
        parent.insert(at + 1 + offset, child)
        parents[child] = parent
    last = parent[at + len(removed)] if len(removed) else marker
    last.tail = (last.tail or "") + (tail or "")


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
