"""An article entry appended to the manifest as text, so that the editor's comments, order and quoting stay."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from issue_builder.base.diagnostics import ManifestError, display_path
from issue_builder.load.yaml_source import parse_yaml, read_yaml
from issue_builder.validate.validate import slugify


@dataclass(frozen=True)
class Entry:
    """The fields of the new article, in the order they are written, and the comment that asks for review."""

    title: str
    body: str
    dek: str | None
    author: str | None
    slug: str | None
    note: list[str]

    def fields(self) -> dict[str, str]:
        found = {"title": self.title, "dek": self.dek, "author": self.author, "body": self.body, "slug": self.slug}
        return {key: value for key, value in found.items() if value}


@dataclass(frozen=True)
class ManifestText:
    """The manifest as read: its text, its data, its issue number and the identifiers its articles take."""

    path: Path
    text: str
    data: dict[str, Any]
    issue: int
    slugs: dict[str, int]  # identifier -> index in `articles`


def read_manifest(path: Path) -> ManifestText:
    """The manifest an article is imported into, read strictly; errors name the file and line."""
    doc, problems = read_yaml(path)
    errors = [p for p in problems if p.severity == "error"]
    if doc is None or errors:
        raise ManifestError(f"{display_path(path)}: cannot import into this manifest:", errors)
    if not isinstance(doc.data, dict):
        raise ManifestError(f"{display_path(path)}: not an issue manifest (a mapping of keys such as issue, articles)")
    issue = doc.data.get("issue")
    if not isinstance(issue, int) or isinstance(issue, bool) or issue <= 0:
        raise ManifestError(f"{display_path(path)}: has no issue number (`issue: 19`): import puts files in its folder")
    articles = doc.data.get("articles") or []
    slugs: dict[str, int] = {}
    if isinstance(articles, list):
        for i, article in enumerate(articles):
            if isinstance(article, dict):
                slug = article.get("slug") or (
                    slugify(article["title"]) if isinstance(article.get("title"), str) else None
                )
                if isinstance(slug, str):
                    slugs.setdefault(slug, i)
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    return ManifestText(path=path, text=text, data=doc.data, issue=issue, slugs=slugs)


def appended(manifest: ManifestText, entry: Entry) -> str:
    """The manifest's text with `entry` at the end of its articles, checked by reading it back: every value as
    it was, one article more."""
    where = display_path(manifest.path)
    root = yaml.compose(manifest.text, Loader=yaml.SafeLoader)
    node = next((value for key, value in root.value if key.value == "articles"), None)
    text = manifest.text
    if node is None:
        new = text + ("" if text.endswith("\n") or not text else "\n") + "\narticles:\n" + _lines(entry, "  ", "    ")
    elif isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        if not isinstance(last, yaml.MappingNode):
            raise ManifestError(
                f"{where}: the last of its articles is not a mapping of fields; import appends after it"
            )
        start = last.start_mark.index
        line_start = text.rfind("\n", 0, start) + 1
        dash = text.rfind("-", line_start, start)
        dash_indent = " " * (dash - line_start if dash >= 0 else 0)
        content_end = len(text[: _content_end(last)].rstrip())
        line_end = text.find("\n", content_end)
        cut = len(text) if line_end < 0 else _after_own_comments(text, line_end + 1, last.start_mark.column)
        head = text[:cut] if line_end >= 0 else text + "\n"
        new = head + "\n" + _lines(entry, dash_indent, " " * last.start_mark.column) + text[cut:]
    elif (isinstance(node, yaml.SequenceNode) and not node.value) or (
        isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"
    ):
        head = text[: node.start_mark.index].rstrip(" ")
        rest = text[node.end_mark.index :]
        rest = rest if rest.startswith("\n") else " " + rest if rest.strip().startswith("#") else rest
        new = head + "\n" + _lines(entry, "  ", "    ").rstrip("\n") + rest
    else:
        raise ManifestError(
            f"{where}: its articles are written as a flow list ([...]); write them as a block list "
            "(one `- title: ...` a line) for import to append to it"
        )
    _check(manifest, entry, new)
    return new


def _after_own_comments(text: str, start: int, column: int) -> int:
    """Past the comment lines that follow the last article indented as its keys (commented-out fields of that
    article, as `new` writes them): the new entry goes after them, not between the article and its comments."""
    end = position = start
    while position < len(text):
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end + 1
        line = text[position:line_end]
        indent = len(line) - len(line.lstrip(" "))
        if line.strip() and not (line.lstrip().startswith("#") and indent >= column):
            break
        if line.strip():
            end = line_end
        position = line_end
    return end


def _content_end(node: yaml.Node) -> int:
    """Where a node's last value ends (a block collection's own end lies past the comments that follow it)."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node.end_mark.index


def _lines(entry: Entry, dash: str, key: str) -> str:
    out = [f"{dash}# {line}\n" for line in entry.note]
    for i, (name, value) in enumerate(entry.fields().items()):
        out.append(f"{dash}- " if i == 0 else key)
        out.append(f"{name}: {_scalar(value)}\n")
    return "".join(out)


def _scalar(value: str) -> str:
    """A one-line YAML scalar for `value`, quoted where YAML would read it as something else."""
    dumped = yaml.safe_dump([" ".join(value.split())], allow_unicode=True, width=1_000_000)
    return dumped.removeprefix("- ").rstrip("\n")


def _check(manifest: ManifestText, entry: Entry, new: str) -> None:
    """The new text reads as the old manifest with one article more, or nothing is written."""
    doc, problems = parse_yaml(new, manifest.path)
    expected = dict(manifest.data)
    expected["articles"] = [*(manifest.data.get("articles") or []), entry.fields()]
    if doc is None or [p for p in problems if p.severity == "error"] or doc.data != expected:
        raise ManifestError(
            f"{display_path(manifest.path)}: could not append the article as text without changing other values; "
            "the manifest was left as it was"
        )
