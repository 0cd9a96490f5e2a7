"""The web PDF's structure repaired: one Art per article, paragraphs whole, notes, links, artifacts, words whole.

WeasyPrint tags each page on its own: an article is one Art per page, a paragraph that crosses a column or a page
is two P, running heads and folios hang off elements the structure tree never reaches, footnotes are spans at the
page foot, pull quotes (repeats of the text) are read as text, link annotations hang off whatever box carried the
link, figure boxes are in CSS pixels, and a hyphenated word or a drop cap is two pieces of text. `repair_structure`
rebuilds the tree from WeasyPrint's, with what only the issue knows (which pages each article holds, the text of its
paragraphs, its pull quotes), and rewrites the marked content to match: unreached content becomes an Artifact, and
words split by a line end or a drop cap carry their whole text as ActualText, so that extraction and screen readers
read them whole.
"""

from __future__ import annotations

import json
import statistics
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pikepdf

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.kept_bytes import KeptBytes
from issue_builder.base.marked_content import PageContent, Sequence, Show, intersect, read_instructions_list, union
from issue_builder.base.pdf_digest import PageDigests
from issue_builder.editions.colours import release_memory
from issue_builder.editions.repair_pages import PAGES_FILE, KeptSequence, RepairPages
from issue_builder.layout.laid_out import Layout, article_spans
from issue_builder.prepare.content import PreparedIssue

MAX_DEPTH = 200  # structure nesting read: WeasyPrint's trees are a dozen deep
WRAPPERS = {"Div", "NonStruct", "Sect", "Art", "Part", "Span"}  # grouping without meaning once the tree is rebuilt
MERGED_BY_TEXT = {"P", "H1", "H2", "H3", "H4", "H5", "H6", "Caption", "LI", "LBody"}
MERGED_BY_PLACE = {"L", "BlockQuote"}  # two in a row across a column or page break are one
BLOCK_TAGS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "dt", "dd", "pre", "td", "th"}
LINE_END_HYPHENS = "\u2010\u00ad-"  # the hyphenation character, a soft hyphen, a hyphen of the text
INSERTED_HYPHENS = "\u2010\u00ad"  # those that hyphenation adds: not part of the word
WINDOW = 30  # letters each side of a break compared with the source
DROP_CAP_RATIO = 1.8  # a first letter this much larger than the line after it is a drop cap
KEPT_KEYS = ("/Alt", "/ActualText", "/E", "/Lang", "/T", "/ID")
REWRITTEN_FILE = "web-rewritten.bin"  # the pages' rewritten content, kept in the cache folder for the next build


@dataclass(frozen=True)
class ArticleSource:
    """What the issue knows of one article: its pages and the text of its blocks."""

    title: str
    first_page: int  # 1-based, in the laid-out issue
    last_page: int
    blocks: tuple[str, ...]  # paragraphs, headings, list items, captions: the text of each
    pull_quotes: tuple[str, ...]


@dataclass(frozen=True)
class StructureJob:
    """What the repair needs from the build."""

    articles: tuple[ArticleSource, ...]


def structure_job(issue: PreparedIssue, layout: Layout) -> StructureJob:
    """The articles' pages (from the layout) and block texts (from their Markdown bodies)."""
    last_editorial = layout.pages - layout.fill_pages - 1  # fill pages and the back cover follow
    articles = []
    for article, first, last in article_spans(layout.article_pages, issue, last_editorial, layout.ran_on):
        blocks, pull_quotes = source_blocks(str(article.body_html))
        head = [t for t in (article.title, article.dek, article.kicker) if t]
        if article.image is not None and article.image.caption:
            head.append(article.image.caption)
        articles.append(ArticleSource(article.title, first, last, tuple(head + blocks), pull_quotes))
    return StructureJob(tuple(articles))


class _Blocks(HTMLParser):
    """The text of each block of an article body; footnotes left out, pull quotes kept apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.pull_quotes: list[str] = []
        self.buffer: list[str] = []
        self.stack: list[tuple[str, bool, bool]] = []  # open tags: (name, opens a footnote, opens a pull quote)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "hr", "wbr"):
            self.buffer.append(" ")
            return
        classes = (dict(attrs).get("class") or "").split()
        note, pull = tag == "span" and "footnote" in classes, tag == "aside" and "pullquote" in classes
        if not self._in_note() and not note and tag in BLOCK_TAGS | {"aside", "blockquote", "ul", "ol", "figure"}:
            self._flush()
        self.stack.append((tag, note, pull))

    def handle_endtag(self, tag):
        if not any(opened == tag for opened, _, _ in self.stack):
            return
        while self.stack:
            opened, note, pull = self.stack[-1]
            if not self._in_note() and (opened in BLOCK_TAGS or pull):
                self._flush()
            self.stack.pop()
            if opened == tag:
                break

    def handle_data(self, data):
        if not self._in_note():
            self.buffer.append(data)

    def close(self):
        super().close()
        self._flush()

    def _in_note(self) -> bool:
        return any(note for _, note, _ in self.stack)

    def _flush(self):
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if text:
            (self.pull_quotes if any(pull for _, _, pull in self.stack) else self.blocks).append(text)


def source_blocks(html: str) -> tuple[list[str], tuple[str, ...]]:
    """An article body's block texts (footnotes left out), and its pull quotes'."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks, tuple(parser.pull_quotes)


def _title_key(text: str) -> str:
    """A title as compared with a heading read back: its letters and digits, case folded."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def letters(text: str) -> str:
    """The letters of `text`, case folded: what a paragraph and its laid-out pieces share."""
    return "".join(filter(str.isalpha, text.casefold()))


@dataclass(frozen=True)
class Marked:
    """A marked-content sequence of a page, by its MCID."""

    page: int  # 0-based
    mcid: int


@dataclass(eq=False)
class Annot:
    """An annotation the structure refers to (OBJR)."""

    page: int | None
    obj: pikepdf.Object


@dataclass(eq=False)
class Node:
    """A structure element while the tree is rebuilt."""

    tag: str
    kids: list = field(default_factory=list)  # Node, Marked, Annot
    page: int | None = None
    keep: dict = field(default_factory=dict)  # entries carried over as they are (Alt, ActualText, Lang, ...)
    attributes: pikepdf.Object | None = None


@dataclass
class _Edits:
    """Changes to one page's content stream."""

    retag: dict[int, tuple[str, pikepdf.Dictionary | None]] = field(default_factory=dict)  # BDC position -> new
    wraps: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)  # show position -> glyph spans


class _Repair:
    """One repair: the pages' content, the old tree read, the new one built."""

    def __init__(self, pdf: pikepdf.Pdf, job: StructureJob, kept: RepairPages | None = None):
        self.pdf, self.job = pdf, job
        self.page_index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        self.fonts: dict = {}
        # what each page draws, taken before anything changes: the key of what is kept of it between builds (a
        # picture by its dictionary: no picture's data makes text or tags)
        digests = PageDigests(pdf, pictures=False) if kept is not None else None
        self.keys = [digests.page(page.obj) if digests is not None else None for page in pdf.pages]
        self.contents: list[PageContent | None] = []  # None: taken from `kept`, read only if it is rewritten
        self.sequences: list[dict[int, Sequence | KeptSequence]] = []
        for number, page in enumerate(pdf.pages):
            key = self.keys[number]
            known = kept.get(key) if kept is not None and key is not None else None
            if known is not None:
                self.contents.append(None)
                self.sequences.append(known)
                continue
            # a page's parsed instructions are many small pikepdf objects: read here, parsed again where rewritten,
            # never held for every page at once
            content = read_instructions_list(page.obj, pikepdf.parse_content_stream(page.obj), number + 1, self.fonts)
            if kept is not None and key is not None:
                kept.keep(key, content)
            self.contents.append(content)
            self.sequences.append(content.by_mcid())
        self.edits = [_Edits() for _ in pdf.pages]
        self.findings: list[Diagnostic] = []  # what could not be done
        self.note_ids: set[str] = set()
        self.block_letters: dict[int, tuple[str, ...]] = {}  # each article's blocks as `letters`, by id

    # reading the old tree

    def read_tree(self) -> Node | None:
        root = self.pdf.Root.get("/StructTreeRoot")
        if not isinstance(root, pikepdf.Dictionary):
            return None
        seen: set = set()
        kids = root.get("/K")
        top = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        document = Node("Document")
        for kid in top:
            node = self._read(kid, None, seen, 0)
            if node is None:
                continue
            if node.tag == "Document":
                document.kids += node.kids
                document.keep.update(node.keep)
            else:
                document.kids.append(node)
        return document

    def _page_of(self, obj, default: int | None) -> int | None:
        page = obj.get("/Pg") if isinstance(obj, pikepdf.Dictionary) else None
        return self.page_index.get(page.objgen, default) if isinstance(page, pikepdf.Dictionary) else default

    def _read(self, elem, page: int | None, seen: set, depth: int) -> Node | None:
        if not isinstance(elem, pikepdf.Dictionary) or depth > MAX_DEPTH or elem.objgen in seen:
            return None
        if elem.objgen != (0, 0):
            seen.add(elem.objgen)
        page = self._page_of(elem, page)
        tag = str(elem.get("/S", "/NonStruct"))[1:]
        node = Node(tag, [], page, {k: elem[k] for k in KEPT_KEYS if k in elem}, elem.get("/A"))
        kids = elem.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, int):
                if page is not None:
                    node.kids.append(Marked(page, int(kid)))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                kid_page = self._page_of(kid, page)
                if kid_page is not None and "/Stm" not in kid and isinstance(kid.get("/MCID"), int):
                    node.kids.append(Marked(kid_page, int(kid.MCID)))
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                if isinstance(kid.get("/Obj"), pikepdf.Dictionary):
                    node.kids.append(Annot(self._page_of(kid, page), kid.Obj))
            else:
                child = self._read(kid, page, seen, depth + 1)
                if child is not None:
                    node.kids.append(child)
        return node

    # what nodes hold

    def sequence(self, mark: Marked) -> Sequence | None:
        return self.sequences[mark.page].get(mark.mcid) if 0 <= mark.page < len(self.sequences) else None

    def marks(self, node: Node, skip: frozenset = frozenset()) -> list[Marked]:
        found = []
        for kid in node.kids:
            if isinstance(kid, Marked):
                found.append(kid)
            elif isinstance(kid, Node) and kid.tag not in skip:
                found += self.marks(kid, skip)
        return found

    def text(self, node: Node, skip: frozenset = frozenset({"Note", "Reference"})) -> str:
        return "".join(s.text for s in map(self.sequence, self.marks(node, skip)) if s is not None)

    # the new tree

    def rebuild(self, document: Node) -> Node:
        articles = self.job.articles
        new = Node("Document", keep=document.keep)
        arts: dict[int, Node] = {}
        areas: dict[int, list[Node]] = {}
        opened: set[int] = set()
        shared: list[Node] = []  # note areas of pages where one article ends and the next runs on
        for node in document.kids:
            number = self._article_at(node, opened)
            if number is None:
                new.kids.append(node)
                continue
            if number not in arts:
                arts[number] = Node("Art", page=node.page)
                new.kids.append(arts[number])
            if node.tag == "Art":
                arts[number].kids += node.kids
            elif self._is_note_area(node):
                (shared if len(self._articles_on(node.page)) > 1 else areas.setdefault(number, [])).append(node)
            else:
                arts[number].kids.append(node)
        for number, art in arts.items():
            self._pull_quotes(art, articles[number])
            self._calls(art)
        for area in shared:
            for number, items in self._notes_by_call(area, arts):
                areas.setdefault(number, []).append(Node(area.tag, items, area.page, area.keep, area.attributes))
        for number, art in arts.items():
            source = articles[number]
            areas.get(number, []).sort(key=lambda area: area.page)
            notes: list[tuple[str, Node]] = []
            for area in areas.get(number, []):
                self._notes(area, number, notes)
            _tidy(art)
            self._merge(art, source)
            self._place_notes(art, notes)
        for node in new.kids:
            if node.tag != "Art":
                _tidy(node)
            _lists(node)
        return new

    def _article_at(self, node: Node, opened: set[int]) -> int | None:
        """The article a top-level node belongs to, by its page; on a page where one article ends and the next
        runs on, the one ending until the reading order reaches the next one's title (`opened`: the articles whose
        title it has reached)."""
        if node.page is None:
            return None
        here = self._articles_on(node.page)
        if not here:
            return None
        waiting = next((n for n in here[1:] if n not in opened), None)  # the next to open on this page
        if waiting is not None and self._holds_title(node, _title_key(self.job.articles[waiting].title)):
            opened.add(waiting)
        return max((n for n in here[1:] if n in opened), default=here[0])

    def _articles_on(self, page: int | None) -> list[int]:
        """The articles with text on `page` (0-based), in reading order."""
        if page is None:
            return []
        return [n for n, a in enumerate(self.job.articles) if a.first_page <= page + 1 <= a.last_page]

    def _holds_title(self, node: Node, title: str) -> bool:
        """Whether `node` is or holds a heading reading `title` (`_title_key`)."""
        if node.tag in ("H1", "H") and _title_key(self.text(node)) == title:
            return True
        return any(isinstance(kid, Node) and self._holds_title(kid, title) for kid in node.kids)

    def _notes_by_call(self, area: Node, arts: dict[int, Node]) -> list[tuple[int, list]]:
        """A shared page's footnotes, each run of them (numbering starts again with each article) given to the
        article on the page whose calls there hold its first number, in reading order; a note carried over from
        the page before goes to the article that ends on the page."""
        here = self._articles_on(area.page)
        groups: list[list] = []
        last = 0
        for item in area.kids:
            if not isinstance(item, Node):
                continue
            number = self._note_label(item)[1]
            if not groups or (number and int(number) <= last):
                groups.append([])
            groups[-1].append(item)
            last = int(number) if number else last
        found = []
        for group in groups:
            first = self._note_label(group[0])[1]
            calls = [n for n in here if first and first in self._calls_on(arts.get(n), area.page)]
            number = calls[0] if calls else here[0] if not first else here[-1]
            here = here[here.index(number) :]  # later runs of notes belong to the same or later articles
            found.append((number, group))
        return found

    def _note_label(self, item: Node) -> tuple[Node | None, str]:
        """A footnote's label (its marker, "1. ") and the number it reads; "" for the rest of a note carried over."""
        label = next((k for k in item.kids if isinstance(k, Node) and k.tag == "NonStruct"), None)
        return label, "".join(ch for ch in self.text(label) if ch.isdigit()) if label is not None else ""

    def _calls_on(self, art: Node | None, page: int | None) -> set[str]:
        """The numbers of the footnote calls (Reference elements) of `art` on `page`."""
        found: set[str] = set()

        def visit(node: Node) -> None:
            for kid in node.kids:
                if isinstance(kid, Node):
                    if kid.tag == "Reference" and kid.page in (page, None):
                        found.add("".join(ch for ch in self.text(kid, frozenset()) if ch.isdigit()))
                    else:
                        visit(kid)

        if art is not None:
            visit(art)
        return found

    def _is_note_area(self, node: Node) -> bool:
        """A page's footnote area: each kid a footnote led by its marker ("1. ")."""
        kids = [kid for kid in node.kids if isinstance(kid, Node)]
        return node.tag == "NonStruct" and bool(kids) and all(kid.tag == "Span" for kid in kids)

    def _pull_quotes(self, art: Node, source: ArticleSource) -> None:
        """A pull quote repeating the text becomes an Artifact; one that does not, a BlockQuote."""
        quotes = {letters(q) for q in source.pull_quotes if letters(q)}
        if not quotes:
            return
        body = letters(" ".join(source.blocks))

        def visit(node: Node) -> None:
            kept = []
            for kid in node.kids:
                if isinstance(kid, Node) and kid.tag in ("NonStruct", "Div") and letters(self.text(kid)) in quotes:
                    if letters(self.text(kid)) in body:
                        self._artifact(self.marks(kid), pikepdf.Dictionary(Type=pikepdf.Name.Layout))
                        continue
                    kid.tag = "BlockQuote"
                if isinstance(kid, Node):
                    visit(kid)
                kept.append(kid)
            node.kids = kept

        visit(art)

    def _calls(self, art: Node) -> None:
        """Footnote calls (a small number in a paragraph) become Reference elements."""
        sizes = [s.size for s in map(self.sequence, self.marks(art)) if s is not None and s.size]
        body_size = statistics.median(sizes) if sizes else 0.0

        def visit(node: Node) -> None:
            for kid in node.kids:
                if not isinstance(kid, Node):
                    continue
                marks = self.marks(kid)
                if kid.tag == "NonStruct" and len(marks) == 1:
                    sequence = self.sequence(marks[0])
                    if sequence and sequence.text.strip().isdigit() and sequence.size < 0.8 * body_size:
                        kid.tag, kid.kids = "Reference", [marks[0]]
                        continue
                visit(kid)

        visit(art)

    def _notes(self, area: Node, article: int, found: list[tuple[str, Node]]) -> None:
        """Add the footnotes of one page's area to `found`: (number, Note with its label and text)."""
        for item in area.kids:
            if not isinstance(item, Node):
                continue
            label, number = self._note_label(item)
            body = Node("P", [kid for kid in item.kids if kid is not label], item.page)
            _tidy(body)
            if not number and found:  # the rest of a note the page before could not hold
                found[-1][1].kids[-1].kids += body.kids
                continue
            note = Node("Note", page=item.page)
            note.keep["/ID"] = pikepdf.String(self._note_id(article, number))
            if label is not None:
                note.kids.append(Node("Lbl", self.marks(label), item.page))
            note.kids.append(body)
            found.append((number, note))

    def _note_id(self, article: int, number: str) -> str:
        base = f"note-{article + 1}-{number or 'x'}"
        name, extra = base, 1
        while name in self.note_ids:
            extra += 1
            name = f"{base}-{extra}"
        self.note_ids.add(name)
        return name

    def _place_notes(self, art: Node, notes: list[tuple[str, Node]]) -> None:
        """Each note goes right after its call, in the paragraph; a note without a call ends the article."""
        calls: list[tuple[Node, int, str]] = []

        def visit(node: Node) -> None:
            for at, kid in enumerate(node.kids):
                if isinstance(kid, Node):
                    if kid.tag == "Reference":
                        calls.append((node, at, self.text(kid, frozenset()).strip()))
                    else:
                        visit(kid)

        visit(art)
        used: set[int] = set()
        placements: list[tuple[Node, int, Node]] = []
        for number, note in notes:
            match = next((i for i, call in enumerate(calls) if i not in used and call[2] == number), None)
            if match is None:
                art.kids.append(note)
                self.findings.append(Diagnostic(f"footnote {number or '?'} has no call found", severity="note"))
                continue
            used.add(match)
            parent, at, _ = calls[match]
            placements.append((parent, at, note))
        for parent, at, note in sorted(placements, key=lambda p: -p[1]):
            parent.kids.insert(at + 1, note)

    def _merge(self, node: Node, source: ArticleSource | None) -> None:
        """Join siblings that are one block cut by a column or page break."""
        kids: list = []
        for kid in node.kids:
            last = kids[-1] if kids else None
            if (
                isinstance(kid, Node)
                and isinstance(last, Node)
                and kid.tag == last.tag
                and self._continues(last, kid, source)
            ):
                last.kids += kid.kids
                self._merge(last, source)
                continue
            kids.append(kid)
        node.kids = kids
        for kid in kids:
            if isinstance(kid, Node) and kid.tag not in MERGED_BY_TEXT | MERGED_BY_PLACE:
                self._merge(kid, source)

    def _continues(self, first: Node, second: Node, source: ArticleSource | None) -> bool:
        if first.tag not in MERGED_BY_TEXT | MERGED_BY_PLACE or not self._break_between(first, second):
            return False
        if first.tag in MERGED_BY_PLACE:
            return True
        if source is None:
            return False
        joint = letters(self.text(first))[-WINDOW:] + letters(self.text(second))[:WINDOW]
        if id(source) not in self.block_letters:
            self.block_letters[id(source)] = tuple(letters(block) for block in source.blocks)
        return len(joint) > WINDOW // 2 and any(joint in block for block in self.block_letters[id(source)])

    def _break_between(self, first: Node, second: Node) -> bool:
        """Whether `second` starts past a column or page break after `first` ends."""
        skip = frozenset({"Note"})
        before, after = self.marks(first, skip), self.marks(second, skip)
        if not before or not after:
            return False
        end, start = self.sequence(before[-1]), self.sequence(after[0])
        if before[-1].page != after[0].page:
            return True
        if end is None or start is None or end.origin is None or start.origin is None:
            return False
        return start.origin[1] > end.origin[1] + 1 and start.origin[0] > end.origin[0] + 1

    # links, figures, words, artifacts

    def links(self, document: Node) -> None:
        """Every link annotation under a Link element, one per area, with the link's text as its Contents."""
        targets = self._destinations()

        def visit(node: Node) -> None:
            kids: list = []
            for kid in node.kids:
                if isinstance(kid, Annot) and kid.obj.get("/Subtype") == "/Link" and node.tag != "Link":
                    kid = Node("Link", [kid], kid.page)
                last = kids[-1] if kids else None
                if _is_link(kid) and _is_link(last) and _targets(kid) == _targets(last):
                    last.kids += kid.kids  # one link cut by a line end
                    continue
                kids.append(kid)
            node.kids = kids
            for kid in kids:
                if isinstance(kid, Node):
                    visit(kid)
            if node.tag == "Link":
                self._link_annotations(node, targets)

        visit(document)

    def _link_annotations(self, link: Node, targets: dict[str, int]) -> None:
        annots = [kid for kid in link.kids if isinstance(kid, Annot)]
        kept = []
        for annot in annots:
            rect = _rect(annot.obj)
            inside = any(
                other is not annot
                and other.page == annot.page
                and rect is not None
                and _contains(_rect(other.obj), rect)
                and (other in kept or _rect(other.obj) != rect)
                for other in annots
            )
            if inside:
                page = self.pdf.pages[annot.page].obj if annot.page is not None else None
                if page is not None and isinstance(page.get("/Annots"), pikepdf.Array):
                    page.Annots = pikepdf.Array([a for a in page.Annots if a.objgen != annot.obj.objgen])
                link.kids.remove(annot)
                continue
            kept.append(annot)
        words = _readable([s for s in map(self.sequence, self.marks(link)) if s is not None])
        for annot in kept:
            target = _target(annot.obj)
            page = targets.get(target)
            if words:
                contents = f"{words}, page {page}" if page else words
            elif page:
                contents = f"Go to page {page}"
            else:
                contents = target or "Link"
            annot.obj.Contents = pikepdf.String(contents)

    def _destinations(self) -> dict[str, int]:
        """Named destinations by name: the page (1-based) each points to."""
        found: dict[str, int] = {}
        names = self.pdf.Root.get("/Names")
        dests = names.get("/Dests") if isinstance(names, pikepdf.Dictionary) else None
        if not isinstance(dests, pikepdf.Dictionary):
            return found
        try:
            tree = pikepdf.NameTree(dests)
            for name, value in tree.items():
                array = value.get("/D") if isinstance(value, pikepdf.Dictionary) else value
                if isinstance(array, pikepdf.Array) and len(array) and isinstance(array[0], pikepdf.Dictionary):
                    page = self.page_index.get(array[0].objgen)
                    if page is not None:
                        found[str(name)] = page + 1
        except (pikepdf.PdfError, TypeError, ValueError):
            return found
        return found

    def figures(self, node: Node) -> None:
        """Each Figure's BBox: what its content paints, inside the page, in the page's own coordinates."""
        for kid in node.kids:
            if isinstance(kid, Node):
                self.figures(kid)
        if node.tag != "Figure":
            return
        box = None
        for mark in self.marks(node):
            sequence = self.sequence(mark)
            if sequence is not None and sequence.bbox is not None:
                page_box = tuple(float(v) for v in self.pdf.pages[mark.page].mediabox)
                box = union(box, intersect(sequence.bbox, page_box))
        if box is not None:
            node.attributes = pikepdf.Dictionary(O=pikepdf.Name.Layout, BBox=pikepdf.Array([round(v, 3) for v in box]))

    def whole_words(self, node: Node) -> None:
        """Words cut by a line end or a drop cap carry their whole text as ActualText.

        The piece before the cut reads as the whole word, the piece after it as a space: poppler, PDFium and the
        structure then give the word once, whole. A word running on over three lines or more is left as it is.
        """
        for kid in node.kids:
            if isinstance(kid, Node):
                self.whole_words(kid)
        runs = [(m, self.sequence(m)) for m in node.kids if isinstance(m, Marked)]
        runs = [(m, s) for m, s in runs if s is not None and s.shows and s.actual_text is None]
        for at, ((mark, first), (next_mark, second)) in enumerate(zip(runs, runs[1:], strict=False)):
            text = first.text
            drop_cap = (
                at == 0
                and len(first.shows) == 1
                and 0 < len(text.strip()) <= 3
                and any(ch.isalpha() for ch in text)
                and second.size
                and first.size >= DROP_CAP_RATIO * second.size
            )
            hyphen = _hyphenated(text) and _new_line(first, second)
            if not (drop_cap or hyphen):
                continue
            head = _head(second)
            if head is None or not second.text[:1].isalnum():
                continue
            show, head_show = first.shows[-1], second.shows[0]
            if show.form is not None or head_show.form is not None:
                continue  # drawn by a form XObject: not an instruction of the page's own stream
            start, end = _tail(first) if hyphen else (0, len(show.glyphs))
            if head[1] == len(head_show.glyphs) and _hyphenated(second.text):
                continue  # the word goes on past the next line
            if hyphen and start == 0 and at > 0 and _hyphenated(runs[at - 1][1].text):
                continue  # the word began before this line
            piece = "".join("\ufffd" if g.text is None else g.text for g in show.glyphs[start:end])
            if hyphen and piece[-1:] in INSERTED_HYPHENS:
                piece = piece[:-1]
            word_end = "".join("\ufffd" if g.text is None else g.text for g in head_show.glyphs[head[0] : head[1]])
            first_free = self._free(mark.page, show.index, start, end)
            if first_free and self._free(next_mark.page, head_show.index, *head):
                self._wrap(mark.page, show.index, start, end, piece + word_end)
                self._wrap(next_mark.page, head_show.index, *head, " ")

    def _free(self, page: int, index: int, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in self.edits[page].wraps.get(index, []))

    def _wrap(self, page: int, index: int, start: int, end: int, text: str) -> None:
        self.edits[page].wraps.setdefault(index, []).append((start, end, text))

    def _artifact(self, marks: list[Marked], properties: pikepdf.Dictionary | None) -> None:
        for mark in marks:
            sequence = self.sequence(mark)
            if sequence is not None:
                self.edits[mark.page].retag[sequence.start] = ("Artifact", properties)

    def unreached_to_artifacts(self, document: Node) -> None:
        """Tagged content the tree does not reach (running heads, folios) becomes pagination artifacts."""
        reached = set(self.marks(document))
        for page, sequences in enumerate(self.sequences):
            height = float(self.pdf.pages[page].mediabox[3])
            for mcid, sequence in sequences.items():
                if Marked(page, mcid) in reached or sequence.start in self.edits[page].retag:
                    continue
                where = "Header" if sequence.origin and sequence.origin[1] > height / 2 else "Footer"
                properties = pikepdf.Dictionary(Type=pikepdf.Name.Pagination, Subtype=pikepdf.Name(f"/{where}"))
                self.edits[page].retag[sequence.start] = ("Artifact", properties)

    # writing

    def rewrite_content(self, kept: KeptBytes) -> None:
        """Rewrite each page's content with its edits, as qpdf compresses it on saving; a page drawn alike, with the
        same edits, as in the last build takes that build's stream from `kept`."""
        for page, edits in self._edited():
            key = _content_key(self.keys[page], edits)
            data = kept.get(key) if key is not None else None
            if data is None:
                data = zlib.compress(self._rewritten(page, edits), 6)  # qpdf's own level: the same bytes either way
                if key is not None:
                    kept.keep(key, data)
            self.pdf.pages[page].obj.Contents = self.pdf.make_stream(data, Filter=pikepdf.Name.FlateDecode)

    def _edited(self) -> list[tuple[int, _Edits]]:
        return [(page, edits) for page, edits in enumerate(self.edits) if edits.retag or edits.wraps]

    def _rewritten(self, page: int, edits: _Edits) -> bytes:
        page_obj = self.pdf.pages[page].obj
        instructions = pikepdf.parse_content_stream(page_obj)
        content = self.contents[page]
        if content is None:  # taken from the record: read now
            content = read_instructions_list(page_obj, instructions, page + 1, self.fonts)
        shows = {s.index: s for seq in content.sequences for s in seq.shows if s.form is None}
        out: list = []
        for at, instruction in enumerate(instructions):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                out.append(instruction)
                continue
            if at in edits.retag:
                tag, properties = edits.retag[at]
                if properties is None:
                    out.append(([pikepdf.Name(f"/{tag}")], pikepdf.Operator("BMC")))
                else:
                    out.append(([pikepdf.Name(f"/{tag}"), properties], pikepdf.Operator("BDC")))
            elif at in edits.wraps and at in shows and str(instruction.operator) in ("TJ", "Tj"):
                operands, operator = list(instruction.operands), str(instruction.operator)
                out += _split_show(operands, operator, shows[at], edits.wraps[at])
            else:
                out.append(instruction)
        return pikepdf.unparse_content_stream(out)

    def write(self, document: Node) -> None:
        root = self.pdf.Root.StructTreeRoot
        page_kids: dict[int, dict[int, pikepdf.Object]] = {}
        annot_parents: list[tuple[pikepdf.Object, pikepdf.Object]] = []
        ids: dict[str, pikepdf.Object] = {}
        pages = self.pdf.pages

        def first_page(node: Node) -> int | None:
            for kid in node.kids:
                if isinstance(kid, (Marked, Annot)) and kid.page is not None:
                    return kid.page
                if isinstance(kid, Node):
                    found = first_page(kid)
                    if found is not None:
                        return found
            return node.page

        def make(node: Node, parent: pikepdf.Object) -> pikepdf.Object:
            elem = self.pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name(f"/{node.tag}"), P=parent)
            )
            page = first_page(node)
            if page is not None:
                elem.Pg = pages[page].obj
            for key, value in node.keep.items():
                elem[key] = value
            if node.attributes is not None:
                elem.A = node.attributes
            if "/ID" in node.keep:
                ids[str(node.keep["/ID"])] = elem
            kids = pikepdf.Array()
            for kid in node.kids:
                if isinstance(kid, Node):
                    kids.append(make(kid, elem))
                elif isinstance(kid, Marked):
                    if kid.page == page:
                        kids.append(kid.mcid)
                    else:
                        kids.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=pages[kid.page].obj, MCID=kid.mcid))
                    page_kids.setdefault(kid.page, {})[kid.mcid] = elem
                else:
                    reference = pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=kid.obj)
                    if kid.page is not None:
                        reference.Pg = pages[kid.page].obj
                    kids.append(reference)
                    annot_parents.append((kid.obj, elem))
            elem.K = kids
            return elem

        top = make(document, root)
        nums = pikepdf.Array()
        for number, page in enumerate(pages):
            used = page_kids.get(number, {})
            if "/StructParents" in page.obj or used:
                page.obj.StructParents = number
                size = max(used) + 1 if used else 0
                nums.append(number)
                nums.append(self.pdf.make_indirect(pikepdf.Array([used.get(i, None) for i in range(size)])))
        referenced = set()
        for key, (annot, elem) in enumerate(annot_parents, start=len(pages)):
            annot.StructParent = key
            referenced.add(annot.objgen)
            nums.append(key)
            nums.append(elem)
        for page in pages:
            for annot in page.obj.get("/Annots", []):
                if (
                    isinstance(annot, pikepdf.Dictionary)
                    and annot.objgen not in referenced
                    and "/StructParent" in annot
                ):
                    del annot["/StructParent"]
        root.K = pikepdf.Array([top])
        root.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=nums))
        root.ParentTreeNextKey = len(pages) + len(annot_parents)
        if ids:
            names = pikepdf.Array()
            for name in sorted(ids):
                names.append(pikepdf.String(name))
                names.append(ids[name])
            root.IDTree = self.pdf.make_indirect(pikepdf.Dictionary(Names=names))
        elif "/IDTree" in root:
            del root["/IDTree"]


def repair_structure(pdf: pikepdf.Pdf, job: StructureJob, cache_dir: Path | None = None) -> list[Diagnostic]:
    """Rebuild the tagged structure of the laid-out issue's PDF in place; notes on what could not be placed. With a
    `cache_dir`, what was read of each page (PAGES_FILE) and each page's rewritten content (REWRITTEN_FILE) are kept
    there by what the page draws: the next build reads and rewrites only the pages drawn otherwise."""
    pages = RepairPages.load(cache_dir / PAGES_FILE) if cache_dir is not None else None
    repair = _Repair(pdf, job, pages)
    document = repair.read_tree()
    if document is None:
        return [Diagnostic("the PDF has no structure tree to repair", severity="warning", code="structure")]
    document = repair.rebuild(document)
    repair.links(document)
    repair.figures(document)
    repair.whole_words(document)
    repair.unreached_to_artifacts(document)
    kept = KeptBytes.load(cache_dir / REWRITTEN_FILE if cache_dir is not None else None)
    repair.rewrite_content(kept)
    kept.save()
    if pages is not None:
        pages.save()
    repair.contents, repair.sequences = [], []  # every page's content read is done with: freed before the tree
    release_memory()
    repair.write(document)
    return repair.findings


def _content_key(drawn: str | None, edits: _Edits) -> str | None:
    """What a page's rewritten content is kept by: what the page draws (its digest) and the edits made to it."""
    if drawn is None:
        return None
    retag = [
        [at, tag, None if properties is None else properties.unparse().decode("latin-1")]
        for at, (tag, properties) in sorted(edits.retag.items())
    ]
    wraps = [[at, sorted(spans)] for at, spans in sorted(edits.wraps.items())]
    return f"rewritten\0{drawn}\0{json.dumps([retag, wraps])}"


def _tidy(node: Node) -> None:
    """Splice grouping elements (and a paragraph's anonymous inner paragraph) into their parent."""
    kids: list = []
    for kid in node.kids:
        if not isinstance(kid, Node):
            kids.append(kid)
            continue
        _tidy(kid)
        plain = not kid.keep and kid.attributes is None
        if plain and (kid.tag in WRAPPERS or (kid.tag == node.tag and kid.tag in ("P", "Link"))):
            kids += kid.kids
        else:
            kids.append(kid)
    node.kids = kids


def _lists(node: Node) -> None:
    """Lists as ISO 32000-1 builds them: an L holds L, LI and Caption; an LI holds Lbl and LBody."""
    for kid in node.kids:
        if isinstance(kid, Node):
            _lists(kid)
    allowed = {"L": ("L", "LI", "Caption"), "LI": ("Lbl", "LBody")}.get(node.tag)
    if allowed is None:
        return
    kids: list = []
    holder = None  # the LBody (in an LI) or the LI's LBody (in an L) gathering what else the node holds
    for kid in node.kids:
        if isinstance(kid, Node) and kid.tag in allowed:
            kids.append(kid)
            holder = None
            continue
        if holder is None:
            holder = Node("LBody", [], node.page)
            kids.append(holder if node.tag == "LI" else Node("LI", [holder], node.page))
        holder.kids.append(kid)
    node.kids = kids


def _hyphenated(text: str) -> bool:
    """Whether a line's text ends in a word cut by a hyphen."""
    return len(text) > 1 and text[-1] in LINE_END_HYPHENS and text[-2].isalpha()


def _new_line(first: Sequence, second: Sequence) -> bool:
    if first.origin is None or second.origin is None:
        return True
    return abs(second.origin[1] - first.origin[1]) > 0.5 * max(first.size, 1.0) or second.origin[0] < first.origin[0]


def _tail(sequence: Sequence) -> tuple[int, int]:
    """The glyph span of the last word in the sequence's last show."""
    glyphs = sequence.shows[-1].glyphs
    start = len(glyphs)
    while start > 0 and not (glyphs[start - 1].text or " ").isspace():
        start -= 1
    return start, len(glyphs)


def _head(sequence: Sequence) -> tuple[int, int] | None:
    """The glyph span of the first word in the sequence's first show."""
    glyphs = sequence.shows[0].glyphs
    end = 0
    while end < len(glyphs) and not (glyphs[end].text or " ").isspace():
        end += 1
    return (0, end) if end else None


def _readable(sequences: list[Sequence]) -> str:
    """Text runs joined as a reader says them: words cut by a line-end hyphen joined."""
    text = ""
    for sequence in sequences:
        piece = sequence.text.strip()
        if not piece:
            continue
        if text and text[-1] in INSERTED_HYPHENS:
            text = text[:-1] + piece
        else:
            text = f"{text} {piece}" if text else piece
    return " ".join(text.split())


def _split_show(operands: list, operator: str, show: Show, spans: list[tuple[int, int, str]]) -> list:
    """A TJ or Tj cut into pieces, those in `spans` (glyph ranges) wrapped in a Span with ActualText."""
    items = list(operands[0]) if operator == "TJ" else [operands[0]]
    glyphs = show.glyphs
    counts: dict[int, int] = {}  # item -> glyphs it shows (an item's glyphs follow those of the items before it)
    for glyph in glyphs:
        counts[glyph.item] = counts.get(glyph.item, 0) + 1
    cuts: list[tuple[int, int, str | None]] = []
    at = 0
    for start, end, text in sorted(spans):
        if start > at:
            cuts.append((at, start, None))
        cuts.append((start, end, text))
        at = end
    if at < len(glyphs):
        cuts.append((at, len(glyphs), None))
    pieces: list[list] = [[] for _ in cuts]
    current = cut = glyph = 0  # the piece being filled, the cut holding `glyph`, the next glyph
    for item_number, item in enumerate(items):
        count = counts.get(item_number, 0)  # only a string shows glyphs
        if not count:
            pieces[current].append(item)
            continue
        data, end = bytes(item), glyph + count
        while glyph < end:  # the item's bytes, a run of glyphs at a time, each run to the piece of its cut
            while cuts[cut][1] <= glyph:
                cut += 1
            stop = min(end, cuts[cut][1])
            chunk = data[glyphs[glyph].start : glyphs[stop - 1].end]
            current, piece = cut, pieces[cut]
            if piece and isinstance(piece[-1], bytes):
                piece[-1] += chunk
            else:
                piece.append(chunk)
            glyph = stop
    out: list = []
    for (_, _, text), piece in zip(cuts, pieces, strict=True):
        array = pikepdf.Array([pikepdf.String(p) if isinstance(p, bytes) else p for p in piece])
        if not len(array):
            continue
        if text is not None:
            out.append(
                (
                    [pikepdf.Name.Span, pikepdf.Dictionary(ActualText=pikepdf.String(text))],
                    pikepdf.Operator("BDC"),
                )
            )
        out.append(([array], pikepdf.Operator("TJ")))
        if text is not None:
            out.append(([], pikepdf.Operator("EMC")))
    return out


def _is_link(node) -> bool:
    return isinstance(node, Node) and node.tag == "Link"


def _targets(link: Node) -> set[str]:
    return {_target(kid.obj) for kid in link.kids if isinstance(kid, Annot)}


def _rect(annot: pikepdf.Object) -> tuple[float, ...] | None:
    rect = annot.get("/Rect")
    if not isinstance(rect, pikepdf.Array) or len(rect) != 4:
        return None
    x0, y0, x1, y1 = (float(v) for v in rect)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _contains(outer: tuple[float, ...] | None, inner: tuple[float, ...]) -> bool:
    if outer is None:
        return False
    slack = 0.5
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _target(annot: pikepdf.Object) -> str:
    """Where a link goes: a named destination or a URI."""
    dest = annot.get("/Dest")
    if isinstance(dest, (pikepdf.String, pikepdf.Name)):
        return str(dest).lstrip("/")
    action = annot.get("/A")
    if isinstance(action, pikepdf.Dictionary):
        for key in ("/URI", "/D"):
            value = action.get(key)
            if isinstance(value, (pikepdf.String, pikepdf.Name)):
                return str(value).lstrip("/")
    return ""
