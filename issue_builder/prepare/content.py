"""Prepare a validated issue for the layout: bodies to HTML, images decoded, fonts found."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from markupsafe import Markup

from issue_builder.base.cache import modified_at
from issue_builder.base.diagnostics import Diagnostic, ManifestError
from issue_builder.base.paths import DEFAULT_CMYK_PROFILE, FONTS_DIR
from issue_builder.base.schema import Article, IssueManifest, Picture
from issue_builder.load.manifest import RawManifest
from issue_builder.load.yaml_source import YamlDocument
from issue_builder.prepare.colour import OutputProfileFile, load_output_profile
from issue_builder.prepare.fonts import FontFace, scan_fonts
from issue_builder.prepare.images import ImageInfo, inspect_image
from issue_builder.prepare.links import Link
from issue_builder.prepare.markdown import ImageReference, MarkdownBody, render_markdown
from issue_builder.prepare.press import PressCondition, WrongCondition, press_condition
from issue_builder.prepare.text_files import read_utf8
from issue_builder.prepare.typography import Typography, smarten
from issue_builder.validate.validate import slugify

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class PlacedImage:
    """An image as the layout places it: its URL inside the issue folder and its words."""

    url: str
    info: ImageInfo
    alt: str = ""
    caption: str | None = None
    credit: str | None = None
    focus: str = "50% 50%"


@dataclass(frozen=True)
class PreparedArticle:
    """An article ready for the templates."""

    number: int
    id: str
    source: Article
    kicker: str | None
    image: PlacedImage | None
    body_html: Markup
    words: int
    links: tuple[Link, ...] = ()  # the body's links as written, with their lines
    images_in_body: tuple[ImageReference, ...] = ()  # pictures the Markdown places, with their alt texts and lines
    typography: Typography = field(default_factory=Typography)  # what the typographer fixed in the body
    runs_on: bool = False  # starts on the page where the previous article ends (`run_on`), after a rule
    # when its Markdown file was last saved: the one edited last is looked up first; kept from the templates, so
    # that no layout can make the pages depend on a file's time
    saved: float = field(default=0.0, metadata={"templates": False})

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def dek(self) -> str | None:
        return self.source.dek

    @property
    def author(self) -> str | None:
        return self.source.author

    @property
    def section(self) -> str | None:
        return self.source.section

    @property
    def opener(self) -> str:
        return self.source.opener


@dataclass
class PreparedIssue:
    """Everything the layout needs, typed; templates see nothing else."""

    manifest: IssueManifest
    root: Path
    manifest_path: Path
    articles: list[PreparedArticle]
    cover_image: PlacedImage
    font_faces: dict[str, list[FontFace]]
    images: list[ImageInfo]
    layout_dir: Path | None
    output_profile: OutputProfileFile | None
    press: PressCondition | None = None  # what the print PDF's output intent names (None: no output profile)
    image_sources: dict[str, tuple[str, ImageInfo]] = field(default_factory=dict)  # URL -> (where named, image)
    warnings: list[Diagnostic] = field(default_factory=list)
    publication_path: Path | None = None  # the publication file the manifest inherits from, if any
    layout_chain: list[Path] = field(default_factory=list)  # the layout's folders, most specific first
    document: YamlDocument | None = None  # the merged manifest as read, with every value's file and line

    @property
    def slug(self) -> str:
        return self.manifest.periodical.slug or slugify(self.manifest.periodical.name)

    @property
    def title(self) -> str:
        return f"{self.manifest.periodical.name}, Issue {self.manifest.issue}"

    @property
    def date_label(self) -> str:
        return self.manifest.date_label or self.manifest.date.strftime("%B %Y")

    @property
    def authors(self) -> list[str]:
        return list(dict.fromkeys(a.author for a in self.articles if a.author))


def prepare(
    raw: RawManifest, manifest: IssueManifest, warnings: list[Diagnostic], cache_dir: Path | None = None
) -> PreparedIssue:
    """Decode every image (not again when `cache_dir` has what its bytes decoded to), render every body and find
    every font; raise ManifestError with all problems."""
    doc, root = raw.document, raw.root
    manifest = typeset_manifest_text(manifest)
    problems: list[Diagnostic] = list(warnings)
    images: dict[Path, ImageInfo] = {}

    def inspect(path: Path, where: Diagnostic) -> ImageInfo | None:
        if path not in images:
            try:
                images[path] = inspect_image(path, cache_dir)
            except ValueError as exc:
                problems.append(Diagnostic(f"{exc}: {where.message}", where.file, where.line, where.key))
                return None
        return images[path]

    def placed(picture: Picture, key: tuple) -> PlacedImage | None:
        info = inspect(picture.src.path, doc.diagnostic(key + ("src",), picture.src.text))
        if info is None:
            return None
        return PlacedImage(
            url=_url(picture.src.path, root),
            info=info,
            alt=picture.alt or "",
            caption=picture.caption,
            credit=picture.credit,
            focus=picture.focus,
        )

    cover = manifest.cover
    cover_info = inspect(cover.image.path, doc.diagnostic(("cover", "image"), cover.image.text))
    cover_image = cover_info and PlacedImage(
        url=_url(cover.image.path, root), info=cover_info, alt=cover.alt or "", credit=cover.credit, focus=cover.focus
    )
    articles = []
    inline_images: dict[str, str] = {}
    for i, article in enumerate(manifest.articles):
        key = ("articles", i)
        image = placed(article.image, key + ("image",)) if article.image else None
        body = _body(
            article, root, inspect, problems, inline_images, manifest.periodical.language, manifest.typesetting.dashes
        )
        articles.append(
            PreparedArticle(
                number=i + 1,
                id=article.slug or slugify(article.title),
                source=article,
                kicker=article.kicker or article.section,
                image=image,
                body_html=Markup(body.html),
                words=body.words,
                links=tuple(body.links),
                images_in_body=tuple(body.images),
                typography=body.typography,
                runs_on=i > 0 and _runs_on(article, body.words, manifest.typesetting.run_on),
                saved=modified_at(article.body.path),
            )
        )

    font_dirs = [(root / d).resolve() for d in manifest.font_dirs] + [FONTS_DIR]
    catalogue = scan_fonts(font_dirs)
    faces: dict[str, list[FontFace]] = {}
    roles = [(("fonts", role), getattr(manifest.fonts, role)) for role in ("body", "heading", "masthead", "code")]
    roles += [(("fonts", "fallback", i), family) for i, family in enumerate(manifest.fonts.fallback)]
    for key, family in roles:
        if family not in catalogue:
            known = ", ".join(sorted(catalogue)) or "none"
            problems.append(
                doc.diagnostic(key, f"font family '{family}' not found in the font folders (found: {known})")
            )
        else:
            faces[family] = catalogue[family]

    output_profile = None
    try:
        ref = manifest.printing.output_profile
        output_profile = load_output_profile(ref.path if ref else None)
    except ValueError as exc:
        problems.append(doc.diagnostic(("printing", "output_profile"), str(exc)))
    press = None
    if output_profile is not None:
        printing = manifest.printing
        try:
            built_in = DEFAULT_CMYK_PROFILE.read_bytes()
            press = press_condition(
                printing.output_condition,
                printing.output_condition_info,
                output_profile.data,
                output_profile.description,
                built_in,
            )
        except WrongCondition as exc:
            problems.append(doc.diagnostic(("printing", "output_condition"), str(exc)))

    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ManifestError(
            f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the manifest or its files:", problems
        )
    layout_dir = (root / manifest.layout).resolve() if manifest.layout else None
    sources = {cover_image.url: ("cover.image", cover_image.info)}
    for i, article in enumerate(articles):
        if article.image is not None:
            sources[article.image.url] = (f"articles[{i}].image", article.image.info)
    for url, where in inline_images.items():
        sources.setdefault(url, (where, images[(root / unquote(url)).resolve()]))
    return PreparedIssue(
        manifest=manifest,
        root=root,
        manifest_path=raw.manifest_path,
        articles=articles,
        cover_image=cover_image,
        font_faces=faces,
        images=list(images.values()),
        layout_dir=layout_dir,
        output_profile=output_profile,
        press=press,
        image_sources=sources,
        warnings=problems,
    )


def typeset_manifest_text(manifest: IssueManifest) -> IssueManifest:
    """Printed manifest text (titles, decks, bylines, kickers, captions, coverlines) with typographic quotes,
    dashes and ellipses, as the Markdown bodies get them; the lint counts what was changed."""
    language = manifest.periodical.language

    dashes = manifest.typesetting.dashes

    def smart(text: str | None) -> str | None:
        return smarten(text, language, dashes)[0] if text else text

    def picture(p: Picture | None) -> Picture | None:
        return p and dataclasses.replace(p, caption=smart(p.caption), credit=smart(p.credit))

    articles = [
        dataclasses.replace(
            a,
            title=smart(a.title),
            dek=smart(a.dek),
            author=smart(a.author),
            kicker=smart(a.kicker),
            section=smart(a.section),
            image=picture(a.image),
        )
        for a in manifest.articles
    ]
    cover = dataclasses.replace(
        manifest.cover, lines=[smart(line) for line in manifest.cover.lines], credit=smart(manifest.cover.credit)
    )
    return dataclasses.replace(manifest, articles=articles, cover=cover)


def _body(
    article: Article,
    root: Path,
    inspect,
    problems: list[Diagnostic],
    inline_images: dict[str, str],
    language: str,
    dashes: str,
) -> MarkdownBody:
    path = article.body.path
    text, problem = read_utf8(path)
    if problem is not None:
        problems.append(problem)
        return MarkdownBody(html="")

    def image_url(src: str, line: int) -> str | None:
        here = Diagnostic(src, file=path, line=line)
        if not src or _URL.match(src) or Path(src).is_absolute():
            problems.append(Diagnostic(f"image must be a relative path inside the issue folder: {src!r}", path, line))
            return None
        target = (path.parent / unquote(src)).resolve()  # markdown-it percent-encodes link destinations
        if not target.is_relative_to(root):
            problems.append(Diagnostic(f"image points outside the issue folder: {src}", path, line))
            return None
        if not target.is_file():
            problems.append(Diagnostic(f"image not found: {src}", path, line))
            return None
        if not inspect(target, here):
            return None
        url = _url(target, root)
        inline_images.setdefault(url, f"{path.relative_to(root).as_posix()}:{line}")
        return url

    body, md_problems = render_markdown(text, path, image_url, language, dashes)
    problems += md_problems
    if not body.html.strip():
        problems.append(Diagnostic("article body is empty", file=path, severity="warning"))
    return body


def _url(path: Path, root: Path) -> str:
    return quote(path.relative_to(root).as_posix())


def _runs_on(article: Article, words: int, short: int) -> bool:
    """Whether an article (not the first) starts on the page where the previous one ends: as its `run_on` says,
    else when it has at most `typesetting.run_on` words; a full-bleed opener never does."""
    if article.opener == "full-bleed":
        return False
    return article.run_on if article.run_on is not None else 0 < words <= short
