"""Editorial lint of a prepared issue: repeated titles and deks, short bodies, missing bylines, typography."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.load.layouts import layout_chain
from issue_builder.load.yaml_source import KeyPath, YamlDocument, format_key_path
from issue_builder.prepare.content import PreparedArticle, PreparedIssue
from issue_builder.prepare.typography import Typography, smarten

SHORT_BODY_WORDS = 150  # a body under this many words is reported as short
# words that say a picture is there, not what it shows (an alt text of only these, names and numbers says nothing)
_GENERIC_ALT = {"cover", "image", "photo", "photograph", "picture", "illustration", "graphic", "img", "front", "page"}
_FILLER_ALT = {"the", "a", "an", "of", "issue", "no", "number", "vol", "volume", "for", "this"}
_FOLD = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‹": "'",
        "›": "'",
        "–": "-",
        "—": "-",
        "…": "...",
    }
)


def lint(issue: PreparedIssue, document: YamlDocument | None = None) -> list[Diagnostic]:
    """Every editorial finding, as warnings naming the manifest file, line and key (or the Markdown file and line).

    `document` is the merged manifest as read (with locations): the prepared issue's own unless given.
    """
    doc = document or issue.document
    found = _repeats(issue, doc) + _bylines(issue, doc)
    for article in issue.articles:
        found += _body(article, issue, doc)
    found += _manifest_typography(issue, doc) + _alt_texts(issue, doc)
    return sorted(found, key=lambda d: (d.file != doc.file, str(d.file), d.line or 0))  # reading order of the files


def _alt_texts(issue: PreparedIssue, doc: YamlDocument) -> list[Diagnostic]:
    """Alt texts a screen reader gains nothing from: the title again, or "cover"/"photo" and the like."""
    pictures = [(("cover", "alt"), issue.manifest.cover.alt, None)]
    for a in issue.articles:
        if a.image is not None:
            pictures.append((("articles", a.number - 1, "image", "alt"), a.image.alt, a.title))
    name = set(normalise(issue.manifest.periodical.name).split())
    found = []
    for key, alt, title in pictures:
        if not alt:
            continue  # a missing alt text is the validator's to report
        said = normalise(alt)
        if title is not None and said == normalise(title):
            found.append(_warn(doc, key, "alt text only repeats the title: say what the picture shows"))
        elif set(said.split()) - name - _FILLER_ALT - _GENERIC_ALT <= {w for w in said.split() if w.isdigit()}:
            found.append(
                _warn(doc, key, f"alt text {alt!r} says that there is a picture, not what it shows: describe it")
            )
    return found


def normalise(text: str) -> str:
    """Text as compared for repeats: case, spacing, kinds of quotes and dashes, and final punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return " ".join(folded.split()).rstrip(" .!?:;,")


def _warn(doc: YamlDocument, path: KeyPath, message: str) -> Diagnostic:
    return doc.diagnostic(path, message, severity="warning")


def _name(article: PreparedArticle) -> str:
    return f'articles[{article.number - 1}] "{article.title}"'


def _repeats(issue: PreparedIssue, doc: YamlDocument) -> list[Diagnostic]:
    """A title or dek that another article already has (a dek pasted from the wrong article, a copied title)."""
    seen: dict[str, tuple[PreparedArticle, str]] = {}
    found = []
    for article in issue.articles:
        for field in ("title", "dek"):
            text = getattr(article, field)
            if not text or not normalise(text):
                continue
            first = seen.setdefault(normalise(text), (article, field))
            if first[0] is not article:
                other, other_field = first
                same = f"same {field} as" if other_field == field else f"{field} is the {other_field} of"
                found.append(
                    _warn(
                        doc,
                        ("articles", article.number - 1, field),
                        f"{same} {_name(other)} (this is {_name(article)})",
                    )
                )
    return found


def layout_shows_bylines(issue: PreparedIssue) -> bool:
    """Whether the article templates the layout uses print the author (those found first along the layout chain)."""
    chain = layout_chain(issue.layout_dir, issue.root)
    text = ""
    for name in ("article.html", "article-head.html"):
        path = next((folder / name for folder in chain if (folder / name).is_file()), None)
        text += path.read_text("utf-8") if path else ""
    return "article.author" in text


def _bylines(issue: PreparedIssue, doc: YamlDocument) -> list[Diagnostic]:
    if not layout_shows_bylines(issue):
        return []
    return [
        _warn(
            doc,
            ("articles", a.number - 1, "author"),
            "no author: the layout prints a byline, this article will have none",
        )
        for a in issue.articles
        if not (a.author or "").strip()
    ]


def _body(article: PreparedArticle, issue: PreparedIssue, doc: YamlDocument) -> list[Diagnostic]:
    """Short bodies, images without alt text and what the typographer fixed, from the body as it is rendered."""
    key = ("articles", article.number - 1, "body")
    found = []
    if 0 < article.words < SHORT_BODY_WORDS:  # an empty body is already reported by prepare
        found.append(
            _warn(
                doc,
                key,
                f"only {article.words} words (bodies under {SHORT_BODY_WORDS} are reported): is the text complete?",
            )
        )
    path: Path = article.source.body.path
    for image in article.images_in_body:
        if not image.alt.strip():
            found.append(
                Diagnostic(
                    f"image without alt text: {image.src}",
                    file=path,
                    line=image.line,
                    key=format_key_path(key),
                    severity="warning",
                )
            )
    return found + _typography(doc, key, article.typography, f" ({article.source.body.text})")


def _typography(
    doc: YamlDocument, key: KeyPath, counts: Typography, where: str = "", fixed: bool = True
) -> list[Diagnostic]:
    found = []
    if counts.fixed:
        if fixed:  # already corrected in the output: counted for the copy desk, not a problem of the issue
            found.append(doc.diagnostic(key, f"{counts.describe_fixed()} fixed in the output{where}", severity="note"))
        else:
            found.append(_warn(doc, key, f"{counts.describe_fixed()} printed as typed{where}"))
    if counts.unpaired:
        lines = sorted(set(counts.unpaired_lines))
        at = f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})" if lines else ""
        found.append(
            _warn(
                doc,
                key,
                f"{counts.unpaired} straight quote{'s' if counts.unpaired > 1 else ''} left as "
                f"typed{where}{at}: an unclosed quotation, or an inch mark (″)?",
            )
        )
    return found


def _manifest_typography(issue: PreparedIssue, doc: YamlDocument) -> list[Diagnostic]:
    """Straight quotes, double hyphens and triple dots in printed manifest text: as typed in the YAML, and whether
    the printed text (as the prepared issue holds it) has them fixed."""
    printed: list[tuple[KeyPath, str | None]] = []
    for article in issue.articles:
        i = article.number - 1
        for field in ("title", "dek", "kicker", "section"):
            printed.append((("articles", i, field), getattr(article, field)))
        printed.append((("articles", i, "image", "caption"), article.image.caption if article.image else None))
    printed += [(("cover", "lines", j), line) for j, line in enumerate(issue.manifest.cover.lines)]
    language = issue.manifest.periodical.language
    found = []
    for path, shown in printed:
        typed = _value(doc.data, path)
        if not isinstance(typed, str) or not shown:
            continue
        smart, counts = smarten(typed, language)
        if counts.fixed:
            is_fixed = shown != typed and not smarten(shown, language)[1].fixed
            hint = "" if is_fixed else f"; typographic: {smart}"
            counts.unpaired = 0  # one finding per value is enough
            found += _typography(doc, path, counts, hint, fixed=is_fixed)
    return found


def _value(data: object, path: KeyPath) -> object:
    for part in path:
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data
