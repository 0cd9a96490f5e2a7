"""Pandoc's document tree in its JSON form: walking it, reading its text, and shaping it for an article body."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Node = dict[str, Any]
Fix = Callable[[Node], list[Node] | None]

NO_ATTR: list = ["", [], []]
LOWEST_HEADING = 4  # the Markdown bodies take subheads h2 to h4 (the article title is the page's h1)
_MERGE = "issue-builder-merge-next"  # a mark left in a paragraph whose break with the next one goes


def is_node_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "t" in v for v in value)


def walk(nodes: list[Node], fix: Fix) -> list[Node]:
    """`nodes` with every node, its children first, replaced by the nodes `fix` returns for it (None keeps it)."""
    out: list[Node] = []
    for node in nodes:
        if "c" in node:
            node["c"] = _walk_value(node["c"], fix)
        replaced = fix(node)
        out.extend([node] if replaced is None else replaced)
    return out


def _walk_value(value: Any, fix: Fix) -> Any:
    if is_node_list(value):
        return walk(value, fix)
    if isinstance(value, list):
        return [_walk_value(item, fix) for item in value]
    return value


def classes(node: Node) -> list[str]:
    """The classes of a Span or Div."""
    return node["c"][0][1]


def attributes(node: Node) -> dict[str, str]:
    """The key-value attributes of a Span or Div."""
    return dict(node["c"][0][2])


def plain_text(value: Any) -> str:
    """The words of nodes as one line of text; footnotes, raw markup and comments are not text."""
    parts: list[str] = []

    def visit(item: Any) -> None:
        if isinstance(item, list):
            for child in item:
                visit(child)
            return
        if not isinstance(item, dict) or "t" not in item:
            return
        kind = item["t"]
        if kind == "Str":
            parts.append(item["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Code", "Math"):
            parts.append(item["c"][1])
        elif kind == "Quoted":
            marks = "“”" if item["c"][0]["t"] == "DoubleQuote" else "‘’"
            parts.append(marks[0])
            visit(item["c"][1])
            parts.append(marks[1])
        elif (
            kind == "Note"
            or kind.startswith("Raw")
            or (kind == "Span" and {"comment-start", "deletion"} & set(classes(item)))
        ):
            return  # a tracked deletion not yet resolved: the words as they would read with the changes made
        else:
            visit(item.get("c"))
            if kind in BLOCK_TYPES:  # words of two blocks apart; an emphasis or a span runs on
                parts.append(" ")

    visit(value)
    return " ".join("".join(parts).split())


def inlines_of(block: Node) -> list[Node] | None:
    """The inline content of a paragraph or heading, or None for other blocks."""
    if block["t"] in ("Para", "Plain"):
        return block["c"]
    if block["t"] == "Header":
        return block["c"][2]
    return None


def tidy(blocks: list[Node]) -> list[Node]:
    """The tree as an article body takes it: subheads from h2, wrappers without meaning unwrapped, images and
    links without sizes or ids, empty paragraphs dropped, a table's first row as its head when it has none."""
    levels = [b["c"][0] for b in blocks if b["t"] == "Header"]
    shift = 2 - min(levels) if levels else 0

    def fix(node: Node) -> list[Node] | None:
        kind = node["t"]
        if kind == "Header":
            node["c"][0] = min(max(node["c"][0] + shift, 2), LOWEST_HEADING)
            node["c"][1] = NO_ATTR
            pictures = _pictures_out(node["c"][2])
            return ([node] if plain_text(node["c"][2]) else []) + pictures
        if kind == "Div":
            if "pullquote" in classes(node):  # the bodies' own container, from a Markdown source
                return [_raw_markdown("::: pullquote"), *node["c"][1], _raw_markdown(":::")]
            return node["c"][1]
        if kind in ("Span", "Underline", "SmallCaps"):
            return node["c"][1] if kind == "Span" else node["c"]
        if kind == "Cite":
            return node["c"][1]
        if kind in ("Image", "Link"):
            node["c"][0] = NO_ATTR
        elif kind in ("Para", "Plain") and not any(
            n["t"] not in ("Space", "SoftBreak", "LineBreak") for n in node["c"]
        ):
            return []
        elif kind in ("Para", "Plain") and not is_lone_image(node) and any(n["t"] == "Image" for n in node["c"]):
            pictures = _pictures_out(node["c"])
            return ([node] if plain_text(node["c"]) else []) + pictures
        elif kind == "Table":
            _give_head(node)
        elif kind == "Note" and node["c"] and inlines_of(node["c"][0]) is not None:
            first = inlines_of(node["c"][0])  # the space or tab a word processor puts after the note's number
            while first and first[0]["t"] in ("Space", "SoftBreak"):
                first.pop(0)
        elif kind in ("BulletList", "OrderedList"):
            items = node["c"] if kind == "BulletList" else node["c"][1]
            for item in items:  # one paragraph an item: a tight list, as writers' lists are
                if len(item) == 1 and item[0]["t"] == "Para":
                    item[0]["t"] = "Plain"
        return None

    return walk(blocks, fix)


def is_lone_image(block: Node) -> bool:
    """A paragraph holding one picture and nothing else (what the layout sets as a figure)."""
    if block["t"] not in ("Para", "Plain"):
        return False
    content = [n for n in block["c"] if n["t"] not in ("Space", "SoftBreak", "LineBreak")]
    return len(content) == 1 and content[0]["t"] == "Image"


def _pictures_out(inlines: list[Node]) -> list[Node]:
    """The pictures of a heading or a paragraph of text (a picture anchored there), taken out, each a paragraph of
    its own to follow it: the layout sets only a picture alone in its paragraph as a figure."""
    pictures = [n for n in inlines if n["t"] == "Image"]
    inlines[:] = [n for n in inlines if n["t"] != "Image"]
    while inlines and inlines[-1]["t"] in ("Space", "SoftBreak", "LineBreak"):
        inlines.pop()
    return [{"t": "Para", "c": [picture]} for picture in pictures]


BLOCK_TYPES = {
    "Para", "Plain", "Header", "BlockQuote", "BulletList", "OrderedList", "Div", "Table", "CodeBlock", "RawBlock",
    "HorizontalRule", "LineBlock", "DefinitionList", "Null",
}  # fmt: skip
QUOTE_STYLES = {"quotations", "quote", "quotation", "block quote", "block text", "intense quote"}
CAPTION_STYLES = {"caption", "image caption", "figure caption", "illustration", "figure"}
_CAPTION_LABEL = re.compile(r"^\S+\s+\d+(?:[.-]\d+)*\s*[:.\u2013\u2014-]?\s*")


def map_lists(value: Any, fix: Callable[[list], list]) -> Any:
    """`value` (pandoc's JSON) with `fix` applied to every list in it, the innermost first."""
    if isinstance(value, dict) and "c" in value:
        value["c"] = map_lists(value["c"], fix)
        return value
    if not isinstance(value, list):
        return value
    return fix([map_lists(item, fix) for item in value])


def map_block_lists(blocks: list[Node], fix: Callable[[list[Node]], list[Node]]) -> list[Node]:
    """`blocks` with `fix` applied to it and to every list of blocks inside it (quotes, list items, notes,
    table cells), the innermost first."""

    def blocks_only(items: list) -> list:
        return fix(items) if is_node_list(items) and items[0]["t"] in BLOCK_TYPES else items

    return map_lists(blocks, blocks_only) if blocks else blocks


def _merged_quotes(blocks: list[Node]) -> list[Node]:
    """Block quotes that follow each other joined into one (a writer's quote of several paragraphs)."""
    out: list[Node] = []
    for block in blocks:
        if block["t"] == "BlockQuote" and out and out[-1]["t"] == "BlockQuote":
            out[-1]["c"].extend(block["c"])
        else:
            out.append(block)
    return out


def restyled(blocks: list[Node]) -> list[Node]:
    """A .docx read with its paragraph styles (pandoc's `+styles`): a quotation style's paragraphs become a block
    quote, a caption paragraph under a picture its caption, and every other style wrapper goes."""

    def fix(blocks: list[Node]) -> list[Node]:
        out: list[Node] = []
        for block in blocks:
            style = attributes(block).get("custom-style", "").casefold() if block["t"] == "Div" else ""
            if not style:
                out.append(block)
            elif style in QUOTE_STYLES:  # pandoc may have made it a block quote already (Word's Quote style)
                inner = [b for q in block["c"][1] for b in (q["c"] if q["t"] == "BlockQuote" else [q])]
                out.append({"t": "BlockQuote", "c": inner})
            elif style in CAPTION_STYLES and out and is_lone_image(out[-1]) and plain_text(block["c"][1]):
                picture = next(n for n in out[-1]["c"] if n["t"] == "Image")
                caption = _CAPTION_LABEL.sub("", plain_text(block["c"][1]), count=1)
                if not picture["c"][2][1].removeprefix("fig:") and caption:
                    picture["c"][2][1] = caption
                else:
                    out.extend(block["c"][1])
            else:
                out.extend(block["c"][1])
        return _merged_quotes(out)

    return map_block_lists(blocks, fix)


def quotes_marked(blocks: list[Node], mark: str) -> list[Node]:
    """Paragraphs whose text begins with `mark` (put there for a quotation style) as block quotes, the mark gone."""

    def first_text(node: Node) -> Node | None:
        for child in node["c"] if isinstance(node.get("c"), list) else []:
            if isinstance(child, dict) and child.get("t") == "Str":
                return child
            if isinstance(child, dict) and child.get("t") in ("Emph", "Strong", "Span", "Underline", "SmallCaps"):
                inner = first_text({"c": child["c"] if child["t"] != "Span" else child["c"][1]})
                if inner is not None:
                    return inner
            if isinstance(child, dict) and child.get("t") not in ("Space", "SoftBreak"):
                return None
        return None

    def fix(blocks: list[Node]) -> list[Node]:
        out: list[Node] = []
        for block in blocks:
            first = first_text(block) if block["t"] in ("Para", "Plain") else None
            if first is not None and first["c"].startswith(mark):
                first["c"] = first["c"].removeprefix(mark)
                out.append({"t": "BlockQuote", "c": [{"t": "Para", "c": block["c"]}]})
            else:
                out.append(block)
        return _merged_quotes(out)

    found = map_block_lists(blocks, fix)

    def unmark(node: Node) -> None:
        if node["t"] == "Str" and mark in node["c"]:
            node["c"] = node["c"].replace(mark, "")

    return walk(found, unmark)


_REMOVED = "issue-builder-removed"  # marks where words were taken out, for the spaces around them
_CLOSING = tuple(".,;:!?)]}’”»…")


def removed_mark() -> Node:
    return {"t": "Span", "c": [["", [_REMOVED], []], []]}


def close_removals(blocks: list[Node]) -> list[Node]:
    """Where words were taken out, the space left before a closing punctuation mark or another space goes
    (`the library .` is `the library.`), and the marks go."""

    def is_mark(node: Node) -> bool:
        return node["t"] == "Span" and _REMOVED in classes(node)

    def close(items: list) -> list:
        if not (is_node_list(items) and any(is_mark(n) for n in items)):
            return items
        out: list[Node] = []
        for i, node in enumerate(items):
            if not is_mark(node):
                if not (node["t"] == "Space" and not out and i and is_mark(items[i - 1])):
                    out.append(node)  # (a space left at the start of a paragraph goes)
                continue
            following = next((n for n in items[i + 1 :] if not is_mark(n)), None)
            closes = (
                following is None
                or following["t"] in ("Space", "SoftBreak", "LineBreak")
                or (following["t"] == "Str" and following["c"].startswith(_CLOSING))
            )
            if closes and out and out[-1]["t"] == "Space":
                out.pop()
        return out

    return map_lists(blocks, close)


def _raw_markdown(text: str) -> Node:
    return {"t": "RawBlock", "c": ["markdown", text]}


def _give_head(table: Node) -> None:
    """A table whose head is empty takes its first body row as head (Markdown tables need one; writers' tables
    almost always begin with a row of labels)."""
    head, bodies = table["c"][3], table["c"][4]
    head_rows = head[1]
    if any(plain_text(cell[4]) for row in head_rows for cell in row[1]):
        return
    for body in bodies:
        if body[3]:
            head[1] = [body[3].pop(0)]
            return


def merge_marked_paragraphs(blocks: list[Node]) -> list[Node]:
    """Paragraphs marked by `merge_mark` joined with the paragraph that follows them (a paragraph break removed)."""
    out: list[Node] = []
    pending = False
    for block in blocks:
        inlines = inlines_of(block)
        if pending and out and block["t"] in ("Para", "Plain") and inlines_of(out[-1]) is not None:
            inlines_of(out[-1]).extend([{"t": "Space"}, *inlines])
        else:
            out.append(block)
        pending = False
        if inlines is not None and any(n["t"] == "Span" and _MERGE in classes(n) for n in inlines):
            pending = True
            inlines[:] = [n for n in inlines if not (n["t"] == "Span" and _MERGE in classes(n))]
    return out


def merge_mark() -> Node:
    return {"t": "Span", "c": [["", [_MERGE], []], []]}


def raw_comment(text: str) -> Node:
    """An HTML comment in the Markdown: the editor reads it in the source; the layout never prints it."""
    safe = text.replace("--", "–").replace("<", "‹").replace(">", "›")
    return {"t": "RawInline", "c": ["html", f"<!-- {safe} -->"]}


_BYLINE = re.compile(r"^(?:by|words by|text by|written by)\s+(.{2,100})$", re.IGNORECASE)
MAX_DEK = 400  # characters of a first paragraph taken as the dek


def take_heading(blocks: list[Node]) -> str | None:
    """The text of a first block that is the document's only heading of its top level (so a title, not the
    first of its sections), removed from `blocks`."""
    if not blocks or blocks[0]["t"] != "Header":
        return None
    level = blocks[0]["c"][0]
    if any(b["t"] == "Header" and b["c"][0] <= level for b in blocks[1:]):
        return None
    text = plain_text(blocks[0]["c"][2])
    if text:
        del blocks[0]
    return text or None


def take_byline(blocks: list[Node]) -> str | None:
    """A first paragraph such as `By Ana Petrović`: its name, removed from `blocks`."""
    if not blocks or blocks[0]["t"] not in ("Para", "Plain"):
        return None
    match = _BYLINE.match(plain_text(blocks[0]["c"]))
    if not match:
        return None
    del blocks[0]
    return match.group(1).strip()


def take_emphasised_dek(blocks: list[Node]) -> str | None:
    """A short first paragraph set wholly in italics or bold (how writers mark a standfirst), removed."""
    if not blocks or blocks[0]["t"] not in ("Para", "Plain"):
        return None
    content = [n for n in blocks[0]["c"] if n["t"] not in ("Space", "SoftBreak")]
    if len(content) != 1 or content[0]["t"] not in ("Emph", "Strong"):
        return None
    text = plain_text(blocks[0]["c"])
    if not text or len(text) > MAX_DEK:
        return None
    del blocks[0]
    return text


def drop_heading_text(blocks: list[Node], title: str) -> None:
    """A first heading that repeats the title is removed (the layout prints the title)."""
    if blocks and blocks[0]["t"] == "Header" and plain_text(blocks[0]["c"][2]).casefold() == title.casefold():
        del blocks[0]


def meta_text(meta: dict, *keys: str) -> str | None:
    """The first of `keys` that pandoc's metadata has, as plain text (a list's first item)."""
    for key in keys:
        value = meta.get(key)
        if value and value["t"] == "MetaList":
            value = value["c"][0] if value["c"] else None
        if not value:
            continue
        if value["t"] == "MetaString":
            text = " ".join(value["c"].split())
        else:
            text = plain_text(value["c"])
        if text:
            return text
    return None


def images(blocks: list[Node]) -> list[Node]:
    """Every image node, in document order (footnotes included)."""
    found: list[Node] = []

    def fix(node: Node) -> None:
        if node["t"] == "Image":
            found.append(node)

    walk(blocks, fix)
    return found
