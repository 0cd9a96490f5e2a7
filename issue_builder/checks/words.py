"""No silent loss: every word an article was given is read back from its pages in each written PDF."""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.checks.page_text import read_pages
from issue_builder.layout.laid_out import Layout, article_spans
from issue_builder.prepare.content import PreparedArticle, PreparedIssue
from issue_builder.prepare.text_files import read_utf8

# Characters that are not drawn (soft hyphens, zero-width spaces and joiners, BOM): words are compared without them
_UNDRAWN = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
# A word as compared: a run of letters or a run of digits (a footnote call sticks to its word: "agenda2")
_WORD = re.compile(r"[^\W\d_]+|\d+")
# A word's head hyphenated before a line break (WeasyPrint's U+2010, PDFium's 0x02 and U+FFFE marks, a plain
# hyphen); on a proof the watermark may follow it on the same line
_HYPHENATED = re.compile(r"(\w+)[-\u2010\x02\ufffe](?=\s|$)")
_LETTER_SPACED = 0.6  # share of one-letter words in a line read from letter-spaced type ("B Y  S A M P L E")
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)([^>]*)>")
_INLINE_TAGS = {"em", "strong", "a", "span", "sup", "sub", "code", "s", "del", "cite", "abbr", "small"}
_MAX_CHAINS = 40  # lines a broken word is followed over: more than a 1,000-character word takes in a column
MAX_REPORTED_LINES = 10  # source lines named per article; the rest are counted


def words(text: str) -> list[str]:
    """The words of `text` as compared: ligatures spelled out (NFKC), case folded (small caps, text-transform)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text.translate(_UNDRAWN)).casefold())


@dataclass(frozen=True)
class SourceText:
    """Words an article must show, and where they were written."""

    words: Counter
    file: Path
    key: str = ""  # the manifest key of a field; empty for the Markdown body


@dataclass(frozen=True)
class ArticleWords:
    """An article's expected words and the pages (1-based, in the laid-out issue) it runs on."""

    article: PreparedArticle
    index: int  # in the manifest's `articles`
    pages: range
    sources: tuple[SourceText, ...]


class WordCheck:
    """The words each article of a laid-out issue must show; `lost(pdf)` reads one written PDF back."""

    def __init__(self, issue: PreparedIssue, layout: Layout):
        self.issue = issue
        placed = article_spans(layout.article_pages, issue, layout.pages, layout.ran_on)
        spans = {a.id: range(first, last + 1) for a, first, last in placed}
        self.articles = []
        for index, article in enumerate(issue.articles):
            pages = spans.get(article.id, range(0))
            html_text = next((h for h in layout.html.values() if f'id="article-{article.id}"' in h), "")
            self.articles.append(ArticleWords(article, index, pages, _sources(article, index, issue, html_text)))

    def lost(self, pdf: Path | bytes, spreads: bool = False, kept: Path | None = None) -> list[Diagnostic]:
        """An error for each article with words missing from its pages of `pdf` (`spreads`: pages in reader
        spreads, the cover alone on the first sheet), naming the source file and, for the body, the lines; `kept`:
        the record of the pages read last time (checks/page_text.py)."""
        texts = page_texts(pdf, kept)
        found: list[Diagnostic] = []
        for article in self.articles:
            sheets = sorted({(p // 2 if spreads else p - 1) for p in article.pages})
            printed = PrintedWords([texts[s] for s in sheets if 0 <= s < len(texts)])
            for source in article.sources:
                missing = printed.missing(source.words)
                if missing:
                    found += _report(missing, source, article, self.issue)
        return found


def page_texts(pdf: Path | bytes, kept: Path | None = None) -> list[str]:
    """The text of each page of `pdf`, in full Unicode (with `kept`, pages read last time taken from there)."""
    return [texts[0] for texts in read_pages(pdf, _page_text, 1, "text", kept)]


def _page_text(page: pdfium.PdfPage) -> list[str]:
    textpage = page.get_textpage()
    try:
        return [textpage.get_text_bounded()]  # what is on the page, in full Unicode
    finally:
        textpage.close()


def _sources(article: PreparedArticle, index: int, issue: PreparedIssue, laid_out: str) -> tuple[SourceText, ...]:
    """The body, always; a manifest field (title, dek, byline, caption, credit) when the layout's templates put it
    in the text of the article's pages (not only in an attribute, as `alt`): a layout may leave one out (a full-bleed
    opener has no caption), WeasyPrint may not. Each is looked for on its own: a title's words may be in the body."""
    shown = " ".join(html.unescape(_TAG.sub(" ", laid_out)).split())
    key = f"articles[{index}]"
    fields = [
        ("title", article.title),
        ("dek", article.dek),
        ("author", article.author),
        ("image.caption", article.image and article.image.caption),
        ("image.credit", article.image and article.image.credit),
    ]
    sources = [SourceText(Counter(words(_text_of(str(article.body_html)))), article.source.body.path)]
    for name, text in fields:
        if text and " ".join(text.split()) in shown:
            sources.append(SourceText(Counter(words(text)), issue.manifest_path, f"{key}.{name}"))
    return tuple(s for s in sources if s.words)


def _text_of(body: str) -> str:
    """The printed text of sanitised HTML: inline tags join their neighbours, other tags and footnotes part them."""

    def tag(match: re.Match) -> str:
        name = match.group(2).lower()
        if name in _INLINE_TAGS and not (name == "span" and "footnote" in match.group(3)):
            return ""
        return " "

    return html.unescape(_TAG.sub(tag, body))


class PrintedWords:
    """The words read back from some pages, with the words they may be pieces of: a word hyphenated or broken at
    the end of a line (or column, or page) and a drop cap set apart from the rest of its word."""

    def __init__(self, texts: list[str]):
        self.counts: Counter = Counter()
        self.ends: set[str] = set()  # the last word of each line, and hyphenated heads: where a word is broken
        self.starts: set[str] = set()  # the first word of each line: the tail of a broken word
        self.spaced: list[str] = []  # lines of letter-spaced type, read as one run of letters
        for text in texts:
            # words that may run on over the next line: the last one of the line before, and a word broken over
            # lines holding nothing else (a long word, a drop cap) with every start it may have had
            chains: list[str] = []
            for line in text.splitlines():
                found = words(line)
                if not found:
                    continue
                self.counts.update(found)
                self.starts.add(found[0])
                self.ends.add(found[-1])
                self.ends.update(words(m.group(1))[-1] for m in _HYPHENATED.finditer(line))
                if len(found) > 2 and sum(len(w) == 1 for w in found) >= _LETTER_SPACED * len(found):
                    self.spaced.append("".join(found))
                self.counts.update(chain + found[0] for chain in chains)
                if len(found) == 1:
                    chains = [chain + found[0] for chain in chains[-_MAX_CHAINS:]] + found
                    # the pieces so far may be the head or the tail of a word broken over a page turn
                    self.ends.update(chains)
                    self.starts.update(chains)
                else:
                    chains = found[-1:]
                if len(found) > 1 and len(found[0]) == 1:  # a drop cap beside the rest of its word
                    self.counts[found[0] + found[1]] += 1
            # a word broken at the foot of a page goes on after the page's notes and furniture: `ends` x `starts`

    def missing(self, expected: Counter) -> Counter:
        """The words of `expected` read back fewer times than expected (by how many), broken words accepted."""
        short = Counter({w: n - self.counts[w] for w, n in expected.items() if n > self.counts[w]})
        return Counter({w: n for w, n in short.items() if not self._broken(w)})

    def _broken(self, word: str) -> bool:
        return any(word[:k] in self.ends and word[k:] in self.starts for k in range(1, len(word))) or any(
            word in line for line in self.spaced
        )


def _report(missing: Counter, source: SourceText, article: ArticleWords, issue: PreparedIssue) -> list[Diagnostic]:
    total = sum(missing.values())
    pages = article.pages
    where = f"pages {pages.start}-{pages.stop - 1}" if len(pages) > 1 else f"page {pages.start}" if pages else "no page"
    head = f"{total} word{'s' if total != 1 else ''} of '{article.article.title}' missing from {where}"
    if source.key:
        listed = ", ".join(sorted(missing)[:20])
        return [Diagnostic(f"{head}: {listed}", file=source.file, key=source.key)]
    lines = _source_lines(source.file, missing)
    if not lines:
        return [Diagnostic(f"{head}: {', '.join(sorted(missing)[:20])}", file=source.file)]
    found = [
        Diagnostic(f"{head}, from this line: {', '.join(shown)}", file=source.file, line=line)
        for line, shown in lines[:MAX_REPORTED_LINES]
    ]
    if len(lines) > MAX_REPORTED_LINES:
        rest = sum(len(shown) for _, shown in lines[MAX_REPORTED_LINES:])
        found.append(
            Diagnostic(
                f"... and {rest} more missing words on {len(lines) - MAX_REPORTED_LINES} more lines", source.file
            )
        )
    return found


def _source_lines(path: Path, missing: Counter) -> list[tuple[int | None, list[str]]]:
    """Missing words grouped by the Markdown line they most likely come from: of the lines holding a word, the one
    holding the most missing words (a lost paragraph claims its common words too)."""
    text, _ = read_utf8(path)
    if text is None:
        return []
    holding: dict[str, list[int]] = {}
    score: Counter = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        here = set(words(line)) & missing.keys()
        for word in here:
            holding.setdefault(word, []).append(number)
        score[number] = len(here)
    grouped: dict[int | None, list[str]] = {}
    for word in sorted(missing):
        lines = holding.get(word)
        line = max(lines, key=lambda n: (score[n], -n)) if lines else None
        grouped.setdefault(line, []).append(word)
    return sorted(grouped.items(), key=lambda item: (item[0] is None, item[0] or 0))
