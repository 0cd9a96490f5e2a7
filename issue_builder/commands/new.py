"""`issue-builder new`: start an issue: a commented manifest, its folders and placeholders, ready for `check`."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import click
import yaml
from PIL import Image, ImageDraw

from issue_builder.base.atomic import replace_all
from issue_builder.base.console import Reporter
from issue_builder.base.diagnostics import Diagnostic, ManifestError, OutputError, display_path
from issue_builder.base.schema import MAX_ISSUE, IssueManifest, Periodical
from issue_builder.commands.options import quiet_option
from issue_builder.layout.html import render_html
from issue_builder.load.manifest import DEFAULT_PUBLICATION_FILE, ISSUE_ONLY_KEYS, PUBLICATION_ONLY_KEYS
from issue_builder.load.yaml_source import read_yaml
from issue_builder.precheck.pictures import fixed_pictures
from issue_builder.prepare.issue import prepare_issue
from issue_builder.validate.json_schema import SCHEMA_FILES, schema_text
from issue_builder.validate.scaffold import commented_settings

DEFAULT_FOLDER = Path("issues")
PLACEHOLDER_PIXELS = (1200, 1600)  # the cover placeholder when the layout does not fix the cover's size
_GREY, _LINES = (72, 72, 72), (110, 110, 110)  # dark: the default white cover type reads on it


@click.command("new")
@click.argument("number", type=click.IntRange(1, MAX_ISSUE))
@click.option(
    "--from",
    "previous",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="An earlier issue's manifest: the new one goes beside it and takes over its settings (never its "
    "articles or cover). Default: issues/NUMBER.yaml, with the settings of issues/publication.yaml.",
)
@click.option(
    "--date",
    "date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Publication date, YYYY-MM-DD (default: today).",
)
@quiet_option
def new_command(number: int, previous: Path | None, date: dt.datetime | None, quiet: bool) -> None:
    """Start issue NUMBER: a commented manifest NUMBER.yaml, its folders NUMBER/articles and NUMBER/img with a
    placeholder article and cover, and the JSON Schema editors check the manifest with. The publication's
    settings come from publication.yaml beside it, shared by every issue (written with defaults when there is none
    and no --from); --from takes over an earlier issue's own settings too. Never overwrites anything."""
    folder = previous.parent if previous is not None else DEFAULT_FOLDER
    manifest = folder / f"{number}.yaml"
    issue_dir = folder / str(number)
    taken = [p for p in (manifest, issue_dir) if p.exists() or p.is_symlink()]
    if taken:
        raise ManifestError(
            f"{display_path(taken[0])} already exists: `new` never overwrites an issue; choose another number, "
            "or move it away first"
        )
    carried, previous_name = ("", None) if previous is None else (carried_settings(previous), previous.name)
    volume = _volume(previous) if previous is not None else None
    day = date.date() if date else dt.date.today()
    publication = folder / DEFAULT_PUBLICATION_FILE
    files: dict[Path, bytes] = {
        manifest: manifest_text(number, day, carried, previous_name, volume).encode(),
        issue_dir / "articles" / "first-article.md": ARTICLE_PLACEHOLDER.encode(),
        issue_dir / "img" / "cover.jpg": placeholder_jpeg(PLACEHOLDER_PIXELS),
    }
    if previous is None and not publication.exists():
        files[publication] = publication_text().encode()
        files[folder / SCHEMA_FILES["publication"]] = schema_text("publication").encode()
    schema_file = folder / SCHEMA_FILES["issue"]
    if not schema_file.is_file() or schema_file.read_text("utf-8") != schema_text("issue"):
        files[schema_file] = schema_text("issue").encode()  # generated: brought up to date with this version
    _write(files)
    out = Reporter(quiet=quiet)
    for path in files:
        out.info(f"wrote {display_path(path)}")
    try:
        issue = prepare_issue(manifest)  # the scaffold is a whole issue; its cover is then made the placed size
    except ManifestError as exc:
        raise ManifestError(
            f"{display_path(manifest)} was written, but it does not check yet:", exc.diagnostics
        ) from None
    placed = fixed_pictures(render_html(issue).html, issue.image_sources)
    cover = next((p for p in placed if p.src == issue.cover_image.url), None)
    if cover is not None:
        ppi = issue.manifest.printing.warn_ppi
        size = (math.ceil(cover.width / 72 * ppi), math.ceil(cover.height / 72 * ppi))
        _write({issue_dir / "img" / "cover.jpg": placeholder_jpeg(size)})
    out.info(
        f"next: write the articles in {display_path(issue_dir / 'articles')}, put the pictures in "
        f"{display_path(issue_dir / 'img')} (the cover is a placeholder), fill in {display_path(manifest)}, then "
        f"`issue-builder check {display_path(manifest)}`"
    )


def manifest_text(
    number: int, date: dt.date, carried: str = "", previous: str | None = None, volume: int | None = None
) -> str:
    """The new manifest: the issue's own keys, commented, and the settings carried over from `previous`."""
    text = MANIFEST_TEMPLATE.format(number=number, date=date.isoformat(), schema=SCHEMA_FILES["issue"])
    if volume is not None:
        text = text.replace("# volume: 1\n", f"volume: {volume}  # as in {previous}: change it when a volume begins\n")
    if carried:
        text += f"\n# Settings of {previous}, carried over (they override {DEFAULT_PUBLICATION_FILE} for this issue):\n"
        text += carried
    return text


def _volume(previous: Path) -> int | None:
    document, _ = read_yaml(previous)
    value = document.data.get("volume") if document is not None and isinstance(document.data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def carried_settings(previous: Path) -> str:
    """The top-level settings of the manifest `previous` as written there, comments included: every key but the
    issue's own (number, date, cover, articles...) and those an issue manifest may not set."""
    document, problems = read_yaml(previous)
    if document is None or not isinstance(document.data, dict):
        raise ManifestError(
            f"{display_path(previous)} cannot be read as a manifest:",
            problems or [Diagnostic("a manifest must be a mapping of keys to values", file=previous)],
        )
    skipped = set(ISSUE_ONLY_KEYS) | set(PUBLICATION_ONLY_KEYS) | {"publication"}
    text = previous.read_text("utf-8-sig").replace("\r\n", "\n")
    kept = [key for key in document.data if key not in skipped]
    spans = _top_level_spans(text)
    if not kept:
        return ""
    if spans is None or set(spans) != set(document.data):  # a flow-style mapping or another unusual layout
        return yaml.safe_dump({k: document.data[k] for k in kept}, allow_unicode=True, sort_keys=False)
    lines = text.split("\n")
    return "".join(
        "\n".join(lines[start:end]).rstrip("\n") + "\n" for key, (start, end) in spans.items() if key in kept
    )


def _top_level_spans(text: str) -> dict[str, tuple[int, int]] | None:
    """The lines of each top-level key of a block mapping (from the comments just above it to the next key's),
    or None when the file is not laid out one key per line."""
    try:
        root = yaml.SafeLoader(text).get_single_node()
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    lines = text.split("\n")
    starts = []
    for key, _ in root.value:
        start = key.start_mark.line
        if key.start_mark.column != 0 or (starts and start <= starts[-1][1]):
            return None
        while start > 0 and lines[start - 1].startswith("#"):
            start -= 1  # the comment right above a key is about it
        starts.append((key.value, max(start, starts[-1][1] + 1 if starts else 0)))
    ends = [start for _, start in starts[1:]] + [len(lines)]
    return {key: (start, end) for (key, start), end in zip(starts, ends, strict=True)}


def publication_text() -> str:
    """A publication file for a new publication: its name to fill in, every other setting commented out."""
    return PUBLICATION_TEMPLATE.format(
        schema=SCHEMA_FILES["publication"],
        periodical="\n".join(commented_settings(Periodical, 1, skip=("name",))),
        settings="\n".join(commented_settings(IssueManifest, skip=(*ISSUE_ONLY_KEYS, "periodical"))),
    )


def placeholder_jpeg(size: tuple[int, int]) -> bytes:
    """A dark grey picture crossed from corner to corner: plainly a placeholder, whatever it is printed at."""
    image = Image.new("RGB", size, _GREY)
    draw = ImageDraw.Draw(image)
    width = max(2, size[0] // 300)
    draw.line([(0, 0), size], fill=_LINES, width=width)
    draw.line([(0, size[1]), (size[0], 0)], fill=_LINES, width=width)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75, dpi=(300, 300))
    return out.getvalue()


def _write(files: dict[Path, bytes]) -> None:
    try:
        replace_all(files, lambda *_: None)
    except OSError as exc:
        raise OutputError(f"cannot write the new issue: {exc.strerror or exc}; nothing was written") from None


MANIFEST_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# Issue {number}, started by `issue-builder new`. The publication's settings come from publication.yaml beside
# this file; a setting written here changes it for this issue only. Paths are relative to this folder.
# `issue-builder check {number}.yaml` checks everything short of laying the issue out; the line above lets editors
# with a YAML language server complete and check the keys as they are typed.
issue: {number}
date: {date}  # publication date, YYYY-MM-DD; also the date of the PDFs' metadata
# date_label: Spring 2025  # the date as printed on the cover; month and year of `date` when left out
# volume: 1

cover:
  image: {number}/img/cover.jpg  # a placeholder, the size the layout places the cover at: replace it
  alt: Placeholder cover  # what the picture shows, for readers who cannot see it
  # credit: Photographer  # printed on the contents page
  # focus: 50% 50%  # the part of the picture kept when it is cropped to the page
  lines:  # coverlines: teasers of the articles, printed on the cover in this order
    - The first coverline

articles:  # in reading order
  - title: The First Article
    # dek: One or two sentences under the title.
    author: A. Writer
    # section: News  # also the kicker above the title, unless `kicker` is given
    body: {number}/articles/first-article.md
    # opener: standard  # standard (picture over the title), full-bleed (a page-wide picture) or text
    # image:
    #   src: {number}/img/first-article.jpg
    #   alt: What the picture shows
    #   caption: A sentence printed under the picture.
    #   credit: Photographer
    # page_budget: 2  # pages planned for the article, opening page included
"""

PUBLICATION_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# The publication's settings, shared by every issue manifest in this folder (started by `issue-builder new`).
# An issue manifest inherits all of it and may change any of it for one issue. Uncomment a line to change a
# setting; the value shown is the default.
periodical:
  name: The Publication  # as printed in the masthead: change it
{periodical}
{settings}
"""

ARTICLE_PLACEHOLDER = """\
<!-- A placeholder written by `issue-builder new`: replace it with the article's text, in Markdown. -->
The article’s text goes here, in Markdown: paragraphs separated by a blank line, `## Subheads`, *emphasis*,
`> block quotes`, lists, footnotes[^1] and pictures placed with `![alt](../img/picture.jpg "Caption.")`.

[^1]: A footnote, printed at the foot of the page.
"""
