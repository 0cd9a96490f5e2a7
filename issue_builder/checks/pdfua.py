"""PDF/UA-1 conditions a program can check: the machine-checkable Matterhorn failure conditions that apply here.

No PDF/UA validator is installed with the tool, so this reads the file itself: content tagged or marked as
Artifact (and the two never inside each other), a structure tree that reaches every tagged piece of content
through elements with parents, non-standard types mapped to standard ones, headings starting at H1 and skipping
no level going down, lists built as ISO 32000-1 says, figures with alternative text, notes with unique IDs, every
link annotation inside a Link element (OBJR) with a Contents text and pages with annotations in structure tab
order, a natural language, XMP metadata with a title and the PDF/UA identification, the title shown in the window,
and fonts embedded with a Unicode value for every code shown. Each finding names its page and element, with the
clause of ISO 14289-1 and the Matterhorn failure condition. What only a person can judge (reading order, whether
alternative text describes the picture, whether a heading is a heading) is not checked.

Content streams are read within a `Budget`; `pdfua_findings` runs in a child process limited in time and memory.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

import pikepdf

from issue_builder.base.bounded import Budget, LimitExceeded, OverBudget, call_bounded
from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.kept_json import KeptJson
from issue_builder.base.marked_content import PageContent, read_page
from issue_builder.base.pdf_content import is_dict
from issue_builder.base.pdf_digest import PageDigests
from issue_builder.base.preflight_report import Report
from issue_builder.base.schema import LANGUAGE_TAG
from issue_builder.base.stored import rows, typed
from issue_builder.checks.preflight.run import MALFORMED, UnusablePdf, open_checked_pdf

MAX_ROLES = 10_000

MAX_ELEMENTS = 200_000  # structure elements walked in one file
MAX_DEPTH = 500  # structure nesting followed
MAX_XMP_BYTES = 4 << 20
MAX_PER_RULE = 25  # findings listed per rule; the rest are counted in one more
STANDARD_TYPES = frozenset(  # ISO 32000-1, 14.8.4
    f"/{name}"
    for name in (
        "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 H5 H6 L LI "
        "Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code Link Annot Ruby RB RT RP "
        "Warichu WT WP Figure Formula Form"
    ).split()
)
# a BCP 47 tag: a two- or three-letter ISO 639 language, then subtags; or a private-use tag ("x-...")
LANGUAGE = LANGUAGE_TAG
PDFUA_NS = "http://www.aiim.org/pdfua/ns/id/"
DC_NS = "http://purl.org/dc/elements/1.1/"
EXEMPT_ANNOTATIONS = {"/Widget", "/PrinterMark", "/Link", "/Popup"}
ALLOWED_KIDS = {  # the elements each list and table element may hold (ISO 32000-1, Tables 336 and 337)
    "/L": {"/L", "/LI", "/Caption"},
    "/LI": {"/Lbl", "/LBody"},
    "/Table": {"/TR", "/THead", "/TBody", "/TFoot", "/Caption"},
    "/THead": {"/TR"},
    "/TBody": {"/TR"},
    "/TFoot": {"/TR"},
    "/TR": {"/TH", "/TD"},
}

# rule -> (what fails, ISO 14289-1 clause, Matterhorn failure condition)
RULES: dict[str, tuple[str, str, str]] = {
    "untagged-content": ("content is neither tagged nor marked as an Artifact", "7.1", "01-005"),
    "unreached-content": ("tagged content that no structure element reaches", "7.1", "01-005"),
    "artifact-in-tagged": ("an Artifact inside tagged content", "7.1", "01-003"),
    "tagged-in-artifact": ("tagged content inside an Artifact", "7.1", "01-004"),
    "suspects": ("the file says its tags are suspect (MarkInfo Suspects true)", "7.1", "01-007"),
    "marked": ("the catalog's MarkInfo does not say Marked true", "6.2", ""),
    "structure-tree": ("no structure tree (StructTreeRoot) in the catalog", "7.1", ""),
    "parent": ("a structure element whose parent (P) entry is missing or names another element", "7.1", ""),
    "parent-tree": (
        "the ParentTree does not lead from the content (or the annotation) to the element holding it",
        "7.1",
        "",
    ),
    "role-map": ("a non-standard structure type not mapped to a standard one", "7.1", "02-001"),
    "role-map-circular": ("a circular role mapping", "7.1", "02-003"),
    "role-map-standard": ("a standard structure type remapped", "7.1", "02-004"),
    "metadata": ("no XMP metadata stream in the catalog", "7.1", "06-001"),
    "pdfua-id": ("the XMP metadata does not identify the file as PDF/UA-1 (pdfuaid:part 1)", "5", "06-002"),
    "title": ("the XMP metadata has no dc:title", "7.1", "06-003"),
    "display-title": (
        "the viewer is not told to show the title (ViewerPreferences DisplayDocTitle true)",
        "7.1",
        "07-001",
    ),
    "list": ("a list built against ISO 32000-1 Table 336 (L, LI, Lbl, LBody)", "7.2", "09-005"),
    "table": ("a table built against ISO 32000-1 Table 337 (Table, THead, TBody, TFoot, TR, TH, TD)", "7.2", "09-004"),
    "language": ("no natural language for the text (no /Lang in the catalog)", "7.2", "11-001"),
    "language-value": ("a /Lang value that is not a language tag", "7.2", "11-001"),
    "figure-alt": ("a Figure without alternative text (Alt) or ActualText", "7.3", "13-004"),
    "first-heading": ("the first numbered heading is not H1", "7.4.2", "14-002"),
    "heading-skip": ("a heading level skipped going down", "7.4.2", "14-003"),
    "heading-h": ("more than one H element in one node", "7.4.4", "14-006"),
    "heading-mixed": ("both H and H1-H6 headings in one document", "7.4.4", "14-007"),
    "note-id": ("a Note without an ID", "7.9", "19-003"),
    "note-id-unique": ("a Note whose ID another Note has", "7.9", "19-004"),
    "annotation-tag": ("an annotation not inside an Annot element", "7.18.1", "28-002"),
    "annotation-text": ("an annotation without Contents, or Alt on its structure element", "7.18.1", "28-004"),
    "tab-order": ("a page with annotations whose tab order is not the structure's (Tabs /S)", "7.18.3", "28-008"),
    "link-tag": ("a link annotation not inside a Link element (OBJR)", "7.18.5", "28-011"),
    "link-text": ("a link annotation without a Contents text", "7.18.5", "28-012"),
    "font-embedded": ("a font drawn without its program embedded", "7.21.4.1", ""),
    "font-unicode": ("codes shown that the font maps to no Unicode value (ToUnicode)", "7.21.7", ""),
    "complexity": ("the file is too complex to read within the limits", "-", "-"),
    "malformed": ("an object of the wrong type where the file's structure needs another", "-", "-"),
}
CHECKS = tuple(RULES)


def pdfua_findings(path: Path, cache_dir: Path | None = None) -> list[Diagnostic]:
    """Check `path` against the PDF/UA-1 conditions above, in a child process with limits (UnusablePdf, exit 2,
    for a file that cannot be read at all). With `cache_dir`, what each page's content holds is kept there by the
    page's digest, and a page drawn alike in the next file checked is not read again."""
    try:
        return call_bounded(_findings, Path(path), cache_dir, what=f"the PDF/UA check of {path}")
    except LimitExceeded as exc:
        raise UnusablePdf(f"{exc}; the file is too complex to check") from None


def pdfua_report(path: Path) -> Report:
    """The findings as a preflight report (what `preflight --profile pdfua` prints)."""
    findings = pdfua_findings(path)
    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
    report = Report(path, pages)
    report.checks = list(CHECKS)
    for diagnostic in findings:
        report.add(diagnostic.code, diagnostic.severity, diagnostic.message, diagnostic.page)
    return report


def _findings(path: Path, cache_dir: Path | None = None) -> list[Diagnostic]:
    with open_checked_pdf(path) as pdf:
        if cache_dir is None:
            return check_pdfua(pdf)
        # every object resolved before any is read: qpdf may rebuild a damaged file's cross-reference table when it
        # first meets a bad offset, so what an object resolves to would depend on which the page digests read first
        for _ in pdf.objects:
            pass
        pages = PagesRead.load(cache_dir / PAGES_FILE)
        found = check_pdfua(pdf, pages=pages)
        pages.save()
        return found


def check_pdfua(pdf: pikepdf.Pdf, budget: Budget | None = None, pages: PagesRead | None = None) -> list[Diagnostic]:
    """Every condition on an open file, in this process; the content read within `budget`, each page's taken
    from `pages` when it was read before."""
    check = _Check(pdf, budget or Budget(), pages)
    check.guarded(check.catalog)
    check.guarded(check.metadata)
    check.guarded(check.content)
    check.guarded(check.structure)
    check.guarded(check.reach)
    check.guarded(check.annotations)
    return check.results()


class _Text(NamedTuple):
    """What the check keeps of a marked-content sequence once its page is read: its tag and its text."""

    tag: str
    text: str


class PageRead(NamedTuple):
    """What the check keeps of one page's content: its sequences by MCID, what is wrong in it, and what reading it
    counted against the budget."""

    texts: dict[int, _Text]
    findings: list[tuple[str, str]]  # (rule, detail), in the order found
    unmapped: dict[str, list[int]]  # font -> codes shown that map to no Unicode value
    unembedded: list[str]  # fonts drawn without their program
    counted: tuple[int, int, int]

    @classmethod
    def of(cls, content: PageContent, counted: tuple[int, int, int]) -> PageRead:
        findings = []
        if content.untagged:
            what = ", ".join(f"{n} {kind} operation{'s' if n > 1 else ''}" for kind, n in content.untagged.items())
            findings.append(("untagged-content", f"{what} outside any marked content"))
        for sequence in content.artifact_in_tagged:
            findings.append(("artifact-in-tagged", f"inside {sequence.parent.tag if sequence.parent else '?'}"))
        for sequence in content.tagged_in_artifact:
            findings.append(("tagged-in-artifact", f"{sequence.tag} MCID {sequence.mcid}"))
        findings += [("malformed", problem) for problem in content.problems]
        return cls(
            {mcid: _Text(q.tag, q.text) for mcid, q in content.by_mcid().items()},
            findings,
            {font: sorted(codes) for font, codes in content.unmapped.items()},
            sorted(content.unembedded),
            counted,
        )

    def as_json(self) -> list:
        return [
            [[mcid, text.tag, text.text] for mcid, text in self.texts.items()],
            [list(finding) for finding in self.findings],
            self.unmapped,
            self.unembedded,
            list(self.counted),
        ]

    @classmethod
    def from_json(cls, stored: list) -> PageRead:
        """The page as `as_json` stored it; ValueError or TypeError when it is anything else."""
        texts, findings, unmapped, unembedded, counted = rows([stored], 5)[0]
        read = cls(
            {typed(mcid, int): _Text(typed(tag, str), typed(text, str)) for mcid, tag, text in rows(texts, 3)},
            [(typed(rule, str), typed(detail, str)) for rule, detail in rows(findings, 2)],
            {
                typed(font, str): [typed(code, int) for code in typed(codes, list)]
                for font, codes in typed(unmapped, dict).items()
            },
            [typed(font, str) for font in typed(unembedded, list)],
            tuple(typed(n, int) for n in typed(counted, list)),
        )
        if len(read.counted) != 3 or min(read.counted) < 0 or any(rule not in RULES for rule, _ in read.findings):
            raise ValueError("not a page read by this check")
        return read


PAGES_FILE = "pdfua-pages.json"
MAX_PAGES_BYTES = 64 << 20  # a 384-page issue keeps about 3 MB


class PagesRead(KeptJson):
    """Pages read by the last check of a file, by their digest (base/pdf_digest.py): a page drawn alike in the
    next file checked is taken from here."""

    limit = MAX_PAGES_BYTES

    def read(self, stored: list) -> PageRead:
        return PageRead.from_json(stored)

    def write(self, value: PageRead) -> list:
        return value.as_json()


class _Check:
    """One run over one file: what the content holds, what the tree reaches, the findings."""

    def __init__(self, pdf: pikepdf.Pdf, budget: Budget, pages: PagesRead | None = None):
        self.pdf, self.budget = pdf, budget
        self.pages_read = pages
        self.digests = PageDigests(pdf) if pages is not None else None
        self.found: dict[str, list[Diagnostic]] = {}
        self.counts: dict[str, int] = {}
        self.page_index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        self.pages: list[int] = []  # the numbers (1-based) of the pages whose content was read
        self.by_mcid: list[dict[int, _Text]] = []  # each page's sequences by MCID: their tag and text, no more
        self.reached: dict[tuple[int, int], pikepdf.Object] = {}  # (page, MCID) -> element holding it
        self.annotation_parents: dict[tuple[int, int], tuple[str, pikepdf.Object]] = {}  # annotation -> its element
        self.parents: dict[int, pikepdf.Object] = {}  # the ParentTree: key -> element (or array of them)
        self.structure_ok = False

    def add(self, rule: str, detail: str = "", page: int | None = None, severity: str = "error") -> None:
        what, clause, matterhorn = RULES[rule]
        self.counts[rule] = self.counts.get(rule, 0) + 1
        if self.counts[rule] > MAX_PER_RULE:
            return
        where = (
            f" (ISO 14289-1 {clause}" + (f", Matterhorn {matterhorn})" if matterhorn else ")") if clause != "-" else ""
        )
        message = f"{what}: {detail}{where}" if detail else f"{what}{where}"
        self.found.setdefault(rule, []).append(Diagnostic(message, severity=severity, code=f"pdfua-{rule}", page=page))

    def results(self) -> list[Diagnostic]:
        out = []
        for rule, diagnostics in self.found.items():
            out += diagnostics
            more = self.counts[rule] - len(diagnostics)
            if more > 0:
                out.append(Diagnostic(f"... and {more} more like the above", code=f"pdfua-{rule}"))
        return out

    def guarded(self, check) -> None:
        try:
            check()
        except OverBudget as exc:
            self.add("complexity", f"reading stopped: the file asks for {exc}")
        except MALFORMED as exc:
            self.add("malformed", f"{type(exc).__name__}: {exc}")

    # the catalog and the metadata

    def catalog(self) -> None:
        root = self.pdf.Root
        mark_info = root.get("/MarkInfo")
        if not is_dict(mark_info) or mark_info.get("/Marked") is not True:
            self.add("marked")
        if is_dict(mark_info) and mark_info.get("/Suspects") is True:
            self.add("suspects")
        preferences = root.get("/ViewerPreferences")
        if not is_dict(preferences) or preferences.get("/DisplayDocTitle") is not True:
            self.add("display-title")
        language = root.get("/Lang")
        if not isinstance(language, pikepdf.String) or not str(language).strip():
            self.add("language", "the catalog has no /Lang")
        elif not LANGUAGE.match(str(language)):
            self.add("language-value", f"catalog /Lang {str(language)!r}")

    def metadata(self) -> None:
        stream = self.pdf.Root.get("/Metadata")
        if not isinstance(stream, pikepdf.Stream) or stream.get("/Subtype") != "/XML":
            self.add("metadata")
            return
        data = stream.read_bytes()
        if len(data) > MAX_XMP_BYTES:
            self.add("metadata", f"the XMP stream is larger than {MAX_XMP_BYTES >> 20} MB")
            return
        try:
            tree = ET.fromstring(data.strip().strip(b"\x00") or b"<x/>")
        except ET.ParseError as exc:
            self.add("metadata", f"the XMP is not well-formed XML ({exc})")
            return
        part = None
        for element in tree.iter():
            if element.tag == f"{{{PDFUA_NS}}}part":
                part = (element.text or "").strip()
            part = element.attrib.get(f"{{{PDFUA_NS}}}part", part)
        if part != "1":
            self.add("pdfua-id", f"pdfuaid:part is {part!r}" if part else "")
        titles = ["".join(element.itertext()).strip() for element in tree.iter() if element.tag == f"{{{DC_NS}}}title"]
        if not any(titles):
            self.add("title")

    # the content of the pages

    def content(self) -> None:
        fonts: dict = {}
        unmapped: dict[str, tuple[int, set[int]]] = {}
        unembedded: dict[str, int] = {}
        for number, page in enumerate(self.pdf.pages, start=1):
            try:
                read = self._read(page.obj, number, fonts)
            except (pikepdf.PdfError, TypeError, ValueError) as exc:
                self.add("malformed", f"the page's content cannot be read ({exc})", number)
                read = PageRead.of(PageContent(number), (0, 0, 0))
            self.pages.append(number)
            self.by_mcid.append(read.texts)
            for rule, detail in read.findings:
                self.add(rule, detail, number)
            for font, codes in read.unmapped.items():
                first, known = unmapped.get(font, (number, set()))
                unmapped[font] = (first, known | set(codes))
            for font in read.unembedded:
                unembedded.setdefault(font, number)
        for font, (page, codes) in unmapped.items():
            shown = ", ".join(f"{c:#06x}" for c in sorted(codes)[:8]) + (", ..." if len(codes) > 8 else "")
            self.add("font-unicode", f"font {font}, {len(codes)} code(s): {shown}", page)
        for font, page in unembedded.items():
            self.add("font-embedded", f"font {font}", page)

    def _read(self, page: pikepdf.Dictionary, number: int, fonts: dict) -> PageRead:
        """The page's content as read before, when it is drawn alike and what reading it counted still fits the
        budget; else read now (OverBudget where reading hits the limit)."""
        key = self.digests.page(page) if self.digests is not None else None
        known = self.pages_read.get(key) if key is not None else None
        if known is not None and self.budget.take(known.counted):
            self.pages_read.keep(key, known)
            return known
        before = self.budget.counted()
        content = read_page(page, number, self.budget, fonts)
        read = PageRead.of(content, tuple(now - then for now, then in zip(self.budget.counted(), before, strict=True)))
        if key is not None:
            self.pages_read.keep(key, read)
        return read

    # the structure tree

    def structure(self) -> None:
        root = self.pdf.Root.get("/StructTreeRoot")
        if not is_dict(root):
            self.add("structure-tree")
            return
        role_map = root.get("/RoleMap")
        roles = len(role_map.keys()) if is_dict(role_map) else 0
        if roles > MAX_ROLES:  # a tagged magazine maps a few dozen; walks through it stay short
            raise OverBudget(f"a role map of {roles:,} entries (at most {MAX_ROLES:,} are read)")
        self.role_map = {str(k): v for k, v in role_map.items()} if is_dict(role_map) else {}
        self.check_role_map()
        kids = root.get("/K")
        elements = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        self.headings: list[tuple[int, int | None, str]] = []
        self.note_ids: dict[str, int | None] = {}
        self.uses_h = False
        self.unmapped_types: set[str] = set()
        self.walked = 0
        stack = [(kid, root, None, 0) for kid in reversed(elements)]
        seen: set[tuple[int, int]] = set()
        while stack:  # depth first, in document order
            element, parent, page, depth = stack.pop()
            if not is_dict(element) or depth > MAX_DEPTH:
                continue
            if element.objgen != (0, 0):
                if element.objgen in seen:
                    continue
                seen.add(element.objgen)
            self.walked += 1
            if self.walked > MAX_ELEMENTS:
                self.add("complexity", f"more than {MAX_ELEMENTS:,} structure elements")
                return
            page = self._page(element, page)
            kinds = self.element(element, parent, page)
            kids = element.get("/K")
            items = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
            self.check_kids(element, items, page, kinds)
            stack += [(kid, element, page, depth + 1) for kid in reversed(items) if self._is_element(kid)]
        self.check_headings()
        self.structure_ok = True

    def _is_element(self, kid) -> bool:
        return is_dict(kid) and kid.get("/Type") not in ("/MCR", "/OBJR")

    def _page(self, obj, default: int | None) -> int | None:
        page = obj.get("/Pg") if is_dict(obj) else None
        return self.page_index.get(page.objgen, default) if is_dict(page) else default

    def standard(self, tag: str) -> str | None:
        """The standard type `tag` stands for, through the role map; None when it reaches none."""
        seen = set()
        while tag not in STANDARD_TYPES:
            if tag in seen or len(seen) > 50:
                return None
            seen.add(tag)
            target = self.role_map.get(tag)
            if not isinstance(target, pikepdf.Name):
                return None
            tag = str(target)
        return tag

    def check_role_map(self) -> None:
        for source, target in self.role_map.items():
            if source in STANDARD_TYPES:
                self.add("role-map-standard", f"{source} is mapped to {target}")
            elif self.standard(source) is None:
                seen, tag = set(), source
                while isinstance(tag, str) and tag not in seen and tag in self.role_map and len(seen) <= 50:
                    seen.add(tag)
                    tag = str(self.role_map[tag]) if isinstance(self.role_map[tag], pikepdf.Name) else None
                rule = "role-map-circular" if isinstance(tag, str) and tag in seen else "role-map"
                self.add(rule, f"{source} (mapped to {target})")

    def describe(self, element, page: int | None) -> str:
        """An element as a finding names it: its type and the start of its text."""
        tag = str(element.get("/S", "/?"))[1:]
        text = ""
        kids = element.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            mcid, kid_page = None, page
            if isinstance(kid, int):
                mcid = int(kid)
            elif is_dict(kid) and kid.get("/Type") == "/MCR" and isinstance(kid.get("/MCID"), int):
                mcid, kid_page = int(kid.MCID), self._page(kid, page)
            if mcid is not None and kid_page is not None and kid_page < len(self.by_mcid):
                sequence = self.by_mcid[kid_page].get(mcid)
                text += sequence.text if sequence else ""
            if len(text) > 40:
                break
        text = " ".join(text.split())
        return f"<{tag}> {text[:40]!r}" if text else f"<{tag}>"

    def element(self, element, parent, page: int | None) -> str | None:
        """Check one element; returns its standard type."""
        tag = str(element.get("/S", ""))
        shown = page + 1 if page is not None else None
        named = element.get("/P")
        if named is None:
            self.add("parent", self.describe(element, page), shown)
        elif _indirect(parent) and (not _indirect(named) or named.objgen != parent.objgen):
            self.add("parent", f"{self.describe(element, page)} names another element as its parent", shown)
        standard = self.standard(tag)
        if standard is None:
            if tag not in self.unmapped_types:
                self.unmapped_types.add(tag)
                self.add("role-map", f"{self.describe(element, page)} is not mapped to a standard type", shown)
            return None
        if standard in ("/H1", "/H2", "/H3", "/H4", "/H5", "/H6"):
            self.headings.append((int(standard[2]), shown, self.describe(element, page)))
        elif standard == "/H":
            self.uses_h = True
        if standard in ("/Figure", "/Formula"):
            if not _has_text(element.get("/Alt")) and not _has_text(element.get("/ActualText")):
                self.add("figure-alt", self.describe(element, page), shown)
        if standard == "/Note":
            note_id = element.get("/ID")
            if not isinstance(note_id, pikepdf.String) or not str(note_id):
                self.add("note-id", self.describe(element, page), shown)
            elif str(note_id) in self.note_ids:
                self.add("note-id-unique", f"ID {str(note_id)!r}", shown)
            else:
                self.note_ids[str(note_id)] = shown
        language = element.get("/Lang")
        if isinstance(language, pikepdf.String) and not LANGUAGE.match(str(language)):
            self.add("language-value", f"{self.describe(element, page)} /Lang {str(language)!r}", shown)
        parent_type = self.standard(str(parent.get("/S", ""))) if parent.get("/Type") != "/StructTreeRoot" else None
        lists = {
            "/LI": ("/L",),
            "/LBody": ("/LI",),
            "/TR": ("/Table", "/THead", "/TBody", "/TFoot"),
            "/THead": ("/Table",),
            "/TBody": ("/Table",),
            "/TFoot": ("/Table",),
            "/TH": ("/TR",),
            "/TD": ("/TR",),
        }
        if standard in lists and parent_type not in lists[standard]:
            rule = "list" if standard in ("/LI", "/LBody") else "table"
            self.add(rule, f"{self.describe(element, page)} inside <{(parent_type or '?')[1:]}>", shown)
        return standard

    def check_kids(self, element, items: list, page: int | None, standard: str | None) -> None:
        shown = page + 1 if page is not None else None
        kid_types = [self.standard(str(k.get("/S", ""))) for k in items if self._is_element(k)]
        if standard in ALLOWED_KIDS:
            wrong = sorted({(t or "?")[1:] for t in kid_types if t not in ALLOWED_KIDS[standard]})
            if wrong:
                rule = "list" if standard in ("/L", "/LI") else "table"
                self.add(rule, f"{self.describe(element, page)} holds {', '.join(wrong)}", shown)
        if kid_types.count("/H") > 1:
            self.add("heading-h", self.describe(element, page), shown)
        for kid in items:
            if isinstance(kid, int) and page is not None:
                self.reached[(page, int(kid))] = element
            elif is_dict(kid) and kid.get("/Type") == "/MCR" and "/Stm" not in kid:
                kid_page = self._page(kid, page)
                if kid_page is not None and isinstance(kid.get("/MCID"), int):
                    self.reached[(kid_page, int(kid.MCID))] = element
            elif is_dict(kid) and kid.get("/Type") == "/OBJR" and is_dict(kid.get("/Obj")):
                self.annotation_parents[kid.Obj.objgen] = (standard or "?", element)

    def check_headings(self) -> None:
        if self.uses_h and self.headings:
            self.add("heading-mixed", f"H and {len(self.headings)} numbered heading(s)")
        previous = 0
        for level, page, what in self.headings:
            if previous == 0 and level != 1:
                self.add("first-heading", what, page)
            elif level > previous + 1:
                self.add("heading-skip", f"{what} follows H{previous}", page)
            previous = level

    def reach(self) -> None:
        """Every tagged piece of content reached by the tree, through the ParentTree too."""
        if not self.structure_ok:
            return
        parents = self.parents = self._parent_tree()
        for number in self.pages:
            page = number - 1
            key = self.pdf.pages[page].obj.get("/StructParents")
            mapping = parents.get(int(key)) if isinstance(key, int) else None
            for mcid, sequence in sorted(self.by_mcid[page].items()):
                holder = self.reached.get((page, mcid))
                text = " ".join(sequence.text.split())[:40]
                if holder is None:
                    self.add("unreached-content", f"MCID {mcid} ({sequence.tag}) {text!r}", number)
                    continue
                entry = mapping[mcid] if isinstance(mapping, pikepdf.Array) and mcid < len(mapping) else None
                if not is_dict(entry) or entry.objgen != holder.objgen:
                    self.add("parent-tree", f"MCID {mcid} {text!r}", number)

    def _parent_tree(self) -> dict[int, pikepdf.Object]:
        tree = self.pdf.Root.StructTreeRoot.get("/ParentTree")
        found: dict[int, pikepdf.Object] = {}
        if not is_dict(tree):
            return found
        stack, seen = [tree], set()
        while stack and len(seen) < MAX_ELEMENTS:
            node = stack.pop()
            if not is_dict(node) or node.objgen in seen and node.objgen != (0, 0):
                continue
            seen.add(node.objgen)
            nums = node.get("/Nums")
            if isinstance(nums, pikepdf.Array):
                values = list(nums)
                for key, value in zip(values[::2], values[1::2], strict=False):
                    if isinstance(key, int):
                        found[int(key)] = value
            kids = node.get("/Kids")
            if isinstance(kids, pikepdf.Array):
                stack += list(kids)
        return found

    # annotations

    def annotations(self) -> None:
        for number, page in enumerate(self.pdf.pages, start=1):
            annots = page.obj.get("/Annots")
            annots = [a for a in annots if is_dict(a)] if isinstance(annots, pikepdf.Array) else []
            if annots and page.obj.get("/Tabs") != "/S":
                self.add("tab-order", f"{len(annots)} annotation(s), Tabs {page.obj.get('/Tabs', 'missing')}", number)
            box = [float(v) for v in page.obj.get("/CropBox", page.mediabox)]
            for annot in annots:
                subtype = str(annot.get("/Subtype", "?"))
                flags = annot.get("/F", 0)
                if (isinstance(flags, int) and flags & 2) or _outside(annot, box):
                    continue
                has_text = _has_text(annot.get("/Contents"))
                parent, holder = self.annotation_parents.get(annot.objgen, (None, None))
                what = f"{subtype[1:]} annotation" + (f" to {_target(annot)!r}" if _target(annot) else "")
                if holder is not None and self.structure_ok:
                    self.struct_parent(annot, holder, what, number)
                if subtype == "/Link":
                    if parent != "/Link" and self.structure_ok:
                        inside = f"inside <{parent[1:]}>" if parent else "in no structure element"
                        self.add("link-tag", f"{what} {inside}", number)
                    if not has_text:
                        self.add("link-text", what, number)
                elif subtype not in EXEMPT_ANNOTATIONS:
                    if parent != "/Annot" and self.structure_ok:
                        self.add("annotation-tag", what, number)
                    if not has_text and not (holder is not None and _has_text(holder.get("/Alt"))):
                        self.add("annotation-text", what, number)

    def struct_parent(self, annot, holder, what: str, page: int) -> None:
        """An annotation in the tree leads back to the element holding it: its StructParent, through the ParentTree."""
        key = annot.get("/StructParent")
        entry = self.parents.get(int(key)) if isinstance(key, int) else None
        if not is_dict(entry) or not _indirect(holder) or entry.objgen != holder.objgen:
            found = "no StructParent" if key is None else f"StructParent {key} leads elsewhere"
            self.add("parent-tree", f"{what}: {found}", page)


def _has_text(value) -> bool:
    return isinstance(value, pikepdf.String) and bool(str(value).strip())


def _indirect(obj) -> bool:
    """Whether `obj` is an indirect object, which can be told apart from another by its number."""
    return isinstance(obj, pikepdf.Object) and obj.is_indirect


def _outside(annot, box: list[float]) -> bool:
    rect = annot.get("/Rect")
    if not isinstance(rect, pikepdf.Array) or len(rect) != 4:
        return False
    try:
        x0, y0, x1, y1 = (float(v) for v in rect)
    except (TypeError, ValueError):
        return False
    return max(x0, x1) < box[0] or min(x0, x1) > box[2] or max(y0, y1) < box[1] or min(y0, y1) > box[3]


def _target(annot) -> str:
    dest = annot.get("/Dest")
    if isinstance(dest, (pikepdf.String, pikepdf.Name)):
        return str(dest).lstrip("/")
    action = annot.get("/A")
    uri = action.get("/URI") if is_dict(action) else None
    return str(uri) if isinstance(uri, pikepdf.String) else ""
