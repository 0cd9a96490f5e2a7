"""One import: the writer's document converted in a bounded child process, then its files and the manifest entry
written all at once (or nothing written)."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from issue_builder.base.atomic import replace_all
from issue_builder.base.bounded import Limits, call_bounded
from issue_builder.base.diagnostics import ManifestError, display_path
from issue_builder.importing import docx_review, docx_shape, odt_review, odt_shape, pandoc, tree
from issue_builder.importing.manifest_text import Entry, ManifestText, appended, read_manifest
from issue_builder.importing.odt_shape import Figure
from issue_builder.importing.pictures import MAX_PICTURES, LeftOut, picture_bytes, placeable
from issue_builder.importing.review import ReviewChoices, ReviewMark, check_choices
from issue_builder.importing.sources import (
    DocumentError,
    Properties,
    document_kind,
    open_package,
    package_properties,
    parse_part,
    read_part,
)
from issue_builder.validate.validate import slugify

IMPORT_LIMITS = Limits(seconds=300, memory_mb=3072)  # the conversion as a whole, pandoc's two runs included
MAX_BODY_BYTES = 2 * 1024 * 1024  # what the build reads of an article body (prepare/text_files.py)
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Placement:
    """Where the article's files go: its identifier, its body file, its pictures' folder (relative to the
    manifest's folder)."""

    slug: str
    body: str
    pictures: str


@dataclass
class Found:
    """A title, dek or author and where in the document it was found."""

    text: str | None
    source: str


@dataclass
class Converted:
    """The document converted: the body, its pictures by path, the entry's fields and what the editor is told."""

    placement: Placement
    markdown: str
    pictures: dict[str, bytes]
    title: Found
    dek: Found
    author: Found
    marks: list[ReviewMark]
    warnings: list[str] = field(default_factory=list)
    words: int = 0


@dataclass
class Imported:
    """What an import wrote, for the command to report."""

    converted: Converted
    index: int  # of the new entry in the manifest's articles


def import_document(source: Path, manifest_path: Path, slug: str | None, choices: ReviewChoices) -> Imported:
    """Convert `source` and append it to the manifest as a new article; every problem is a user error and leaves
    the manifest and the issue folder as they were."""
    kind = document_kind(source)
    manifest = read_manifest(manifest_path)
    root = manifest_path.resolve().parent
    if slug is not None and not _SLUG.match(slug):
        raise ManifestError(f"--as {slug}: use lower-case letters, digits and hyphens (for example `rent-strike`)")

    def place(title: str) -> Placement:
        chosen = slug or slugify(title)
        return _placement(chosen, manifest, root, explicit=slug is not None)

    converted = call_bounded(
        _convert, source.resolve(), kind, choices, place, what=f"importing {display_path(source)}", limits=IMPORT_LIMITS
    )
    entry = Entry(
        title=converted.title.text or "",
        body=converted.placement.body,
        dek=converted.dek.text,
        author=converted.author.text,
        slug=slug,
        note=_review_note(source, converted),
    )
    new_text = appended(manifest, entry)
    outputs = {root / converted.placement.body: converted.markdown.encode()}
    for relative, data in converted.pictures.items():
        outputs[root / relative] = data
    for target in outputs:
        if target.exists():
            raise DocumentError(f"{display_path(target)} already exists: import with another slug (--as)")
    outputs[manifest_path] = new_text.encode()

    def unchanged_since_read(temp: Path, target: Path) -> None:
        if target == manifest_path and _text_of(manifest_path) != manifest.text:
            raise ManifestError(f"{display_path(manifest_path)} changed while importing; nothing was written")

    replace_all(outputs, unchanged_since_read)
    index = len(manifest.data.get("articles") or [])
    return Imported(converted=converted, index=index)


def _text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")


def _placement(chosen: str, manifest: ManifestText, root: Path, explicit: bool) -> Placement:
    """The article's files, refused when its identifier is taken in the manifest or its body file exists."""
    where = display_path(manifest.path)
    if chosen in manifest.slugs:
        how = "choose another with --as" if explicit else "the title makes it; choose another with --as SLUG"
        raise DocumentError(
            f"{where}: articles[{manifest.slugs[chosen]}] already has the identifier '{chosen}' ({how})"
        )
    folder = f"{manifest.issue}"
    body = f"{folder}/articles/{chosen}.md"
    if (root / body).exists():
        raise DocumentError(f"{display_path(root / body)} already exists: import with another slug (--as)")
    return Placement(slug=chosen, body=body, pictures=f"{folder}/img")


def _review_note(source: Path, converted: Converted) -> list[str]:
    """The YAML comment above the new entry: where each field came from, to be checked and then removed."""
    found = [
        f"{name} from {item.source}"
        for name, item in (("title", converted.title), ("dek", converted.dek), ("author", converted.author))
        if item.text
    ]
    missing = [name for name, item in (("dek", converted.dek), ("author", converted.author)) if not item.text]
    none = f"; no {' or '.join(missing)} found" if missing else ""
    return [
        f"Imported from {source.name} on {dt.date.today().isoformat()}: review, then remove this comment.",
        _first_upper(f"{', '.join(found)}{none}.") if found else f"No {' or '.join(missing)} found.",
    ]


def _convert(source: Path, kind: str, choices: ReviewChoices, place: Callable[[str], Placement]) -> Converted:
    """In the bounded child: the document read by pandoc, its changes and comments resolved, title, dek and author
    found, its pictures taken out, and the body written as Markdown."""
    with tempfile.TemporaryDirectory(prefix="issue-builder-import-") as scratch:
        read_from, kept, figures = source, {}, {}
        marks: list[ReviewMark] = []
        front: dict = {}
        if kind == "odt":
            read_from, marks, kept, shaped = _odt_resolved(source, choices, Path(scratch))
            check_choices(marks, choices, source)
            figures = shaped.figures
            front = {key: {"t": "MetaString", "c": words} for key, words in shaped.front.items()}
        document = pandoc.read_tree(read_from, kind)
        blocks = document.get("blocks", [])
        if kind == "docx":
            with open_package(source, kind) as package:
                figures = docx_shape.figures(package, display_path(source))
            blocks, marks = docx_review.resolve(tree.restyled(blocks), choices)
            check_choices(marks, choices, source)
        if kind == "odt":
            blocks = tree.quotes_marked(blocks, odt_shape.QUOTE_MARK)
        if kept:
            blocks = odt_review.restore_comments(blocks, kept)
        meta = front or document.get("meta", {})
        properties = _properties(source, kind, meta)
        title, dek, author, blocks = _front_matter(blocks, meta, kind, properties, source)
        placement = place(title.text or "")
        blocks = tree.tidy(blocks)
        package = read_from if kind in ("docx", "odt") else None
        pictures, warnings = _pictures(blocks, kind, package, source, placement, figures)
        document["blocks"] = blocks
        document["meta"] = {}
        markdown = pandoc.write_markdown(document, display_path(source))
    size = len(markdown.encode())
    if size > MAX_BODY_BYTES:
        raise DocumentError(
            f"{display_path(source)}: its text comes to {size:,} bytes of Markdown; an article body may have at "
            f"most {MAX_BODY_BYTES:,}"
        )
    if not markdown.strip():
        raise DocumentError(f"{display_path(source)}: no text to import")
    words = len(re.findall(r"\w+", re.sub(r"<!--.*?-->|\]\([^)]*\)", " ", markdown, flags=re.DOTALL)))
    return Converted(placement, markdown, pictures, title, dek, author, marks, warnings, words)


def _odt_resolved(
    source: Path, choices: ReviewChoices, scratch: Path
) -> tuple[Path, list[ReviewMark], dict, odt_shape.Shaped]:
    """A copy of the .odt with its changes and comments resolved as chosen (pandoc would accept and drop them)
    and its content shaped for pandoc's reader (heading rows, title, quotes, captions)."""
    where = display_path(source)
    with open_package(source, "odt") as package:
        content = read_part(package, "content.xml", where)
        parse_part(content, "content.xml", where)  # a damaged part fails here, naming it
        styles = None
        if "styles.xml" in package.namelist():
            styles = read_part(package, "styles.xml", where)
            parse_part(styles, "styles.xml", where)
        try:
            resolved, marks, kept = odt_review.resolve(content, choices)
        except odt_review.CannotResolve as exc:
            raise DocumentError(f"{where}: {exc}") from None
        shaped = odt_shape.shape(resolved, styles)
        copy = scratch / "resolved.odt"
        with zipfile.ZipFile(copy, "w") as out:
            for info in package.infolist():
                data = shaped.content if info.filename == "content.xml" else read_part(package, info.filename, where)
                out.writestr(info, data)
    return copy, marks, kept, shaped


def _properties(source: Path, kind: str, meta: dict) -> Properties:
    """The document's properties: a package's own, an HTML page's <title> and <meta> tags."""
    if kind in ("docx", "odt"):
        return package_properties(source, kind)
    if kind == "html":
        return Properties(
            title=tree.meta_text(meta, "title"),
            dek=tree.meta_text(meta, "description", "subtitle"),
            author=tree.meta_text(meta, "author"),
        )
    return Properties()


def _front_matter(
    blocks: list, meta: dict, kind: str, properties: Properties, source: Path
) -> tuple[Found, Found, Found, list]:
    """Title, dek and author, from the document's first lines (a Title, Subtitle or Author paragraph of a .docx,
    a Title or Subtitle paragraph of an .odt, a Markdown file's front matter, a lone first heading, a `By ...`
    line, an italic first paragraph), else from its properties; the lines taken are removed from the body."""
    text_meta = meta if kind in ("docx", "md", "odt") else {}
    styled = "its front matter" if kind == "md" else "its Title paragraph"
    heading = tree.take_heading(blocks) if kind == "html" else None  # a page's <title> often names the site
    title = Found(tree.meta_text(text_meta, "title") or heading or properties.title, styled)
    if heading:
        title.source = "its first heading"
    elif title.text:
        title.source = styled if tree.meta_text(text_meta, "title") else "its properties"
        tree.drop_heading_text(blocks, title.text)
    else:
        title = Found(tree.take_heading(blocks), "its first heading")
    author = Found(tree.meta_text(text_meta, "author"), styled.replace("Title", "Author"))
    if not author.text:
        author = Found(tree.take_byline(blocks), "its byline")
    dek = Found(tree.meta_text(text_meta, "subtitle", "abstract", "description"), styled.replace("Title", "Subtitle"))
    if not dek.text:
        dek = Found(tree.take_emphasised_dek(blocks), "its italic first paragraph")
    for found, value in ((title, properties.title), (dek, properties.dek), (author, properties.author)):
        if not found.text and value:
            found.text, found.source = value, "its properties"
    if not title.text:
        title.text, title.source = (
            source.stem.replace("_", " ").replace("-", " ").strip() or source.stem,
            "its file name",
        )
    return title, dek, author, blocks


def _pictures(
    blocks: list, kind: str, package: Path | None, source: Path, placement: Placement, figures: dict[str, Figure]
) -> tuple[dict[str, bytes], list[str]]:
    """Each picture taken out into the issue's picture folder (its node pointed there), or left out with a
    Markdown comment in its place and a warning; a package's picture takes the alternative text and caption the
    writer gave it; one without alternative text (which the render requires) takes its caption, else a warning
    asks for one."""
    found = tree.images(blocks)
    if len(found) > MAX_PICTURES:
        raise DocumentError(
            f"{display_path(source)}: holds {len(found):,} pictures; at most {MAX_PICTURES} are imported"
        )
    pictures: dict[str, bytes] = {}
    warnings: list[str] = []
    left_out: dict[int, str] = {}
    targets = [node["c"][2][0] for node in found]
    for number, node in enumerate(found, start=1):
        target = node["c"][2][0]
        try:
            data, extension = placeable(picture_bytes(target, kind, package, source.parent))
        except LeftOut as exc:
            name = target if target.startswith(("http", "/")) or kind in ("html", "md") else Path(target).name
            name = name if len(name) <= 80 else name[:77] + "..."
            warnings.append(f"{display_path(source)}: picture {number} ({name}) left out: {exc}")
            left_out[id(node)] = f"picture {number} ({name}) left out by import: {exc}"
            continue
        relative = f"{placement.pictures}/{placement.slug}-{number}.{extension}"
        pictures[relative] = data
        node["c"][2][0] = "../img/" + Path(relative).name
        figure = next((f for href, f in figures.items() if target == href or target.endswith("/" + href)), None)
        if kind == "odt":  # pandoc's reader makes a frame's caption the alternative text, its title an identifier
            node["c"][1], node["c"][2][1] = [], ""
        title = node["c"][2][1].removeprefix("fig:")
        if figure is not None and figure.caption and not title:
            title = figure.caption
        node["c"][2][1] = title
        if not tree.plain_text(node["c"][1]):
            alt = (figure.alt if figure else "") or title
            if alt:
                node["c"][1] = [{"t": "Str", "c": alt}]
            else:
                warnings.append(
                    f"{display_path(source)}: picture {number} has no alternative text, which the render requires: "
                    f"describe it in {placement.body} (![what it shows](../img/{Path(relative).name}))"
                )

    for href in figures:
        if kind == "docx" and not any(t == href or t.endswith("/" + href) for t in targets):
            warnings.append(
                f"{display_path(source)}: a picture ({Path(href).name}) in a text box or frame was not read by "
                "pandoc and is left out: move it out of the text box in Word, or add it by hand"
            )

    def replace(node: dict) -> list | None:
        if node["t"] == "Image" and id(node) in left_out:
            return [tree.raw_comment(left_out[id(node)])]
        return None

    if left_out:
        blocks[:] = tree.walk(blocks, replace)
    return pictures, warnings


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]  # str.capitalize would lower "Title paragraph"
