"""The issue's PDF joined from its sections' tagged PDFs: pages, structure tree, outlines, named destinations,
links between sections and the page furniture (running heads, folios) laid over the pages, with one font program
per face. A page that falls on the left is moved by the difference between the two sides' text frames (every
section is laid out on right-hand pages: layout/parallel.py), with its links and the destinations on it.

WeasyPrint 70 writes each section as a PDF of its own; the join makes of them the one PDF a whole-issue layout
would have written. It runs in a forked process and writes to a file: joining a large issue takes more memory
than the render should keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from issue_builder.base.diagnostics import Diagnostic, RenderError
from issue_builder.base.forked import Forked
from issue_builder.layout.font_merge import merge_fonts

LINK_SCHEME = "x-issue:"  # a link from one section to an anchor in another: a named destination once joined
FOLIO_OPERATOR = b"q /Artifact BMC /%s Do EMC Q"


@dataclass(frozen=True)
class Part:
    """A section's PDF in the issue, and how far each of its pages moves to the right, in points (a page that
    falls on the left moves by the difference between the sides' text frames; none by default)."""

    pdf: Path
    shifts: tuple[float, ...] = ()


def join_in_child(parts: list[Part], folios: Path | None, fonts: dict[str, Path], target: Path) -> list[Diagnostic]:
    """`join` in a forked process (its memory returned when it ends); what it found."""
    return Forked(partial(join, parts, folios, fonts, target), what="joining the sections").result()


def join(parts: list[Part], folios: Path | None, fonts: dict[str, Path], target: Path) -> list[Diagnostic]:
    """Write to `target` the PDF of `parts` in order, each page moved by its shift, with the pages of `folios`
    laid over them as artifacts and the subsets of each face in `fonts` (PostScript name -> file) merged. Links to
    a name no section defines are reported (`unknown-anchor`) and left pointing nowhere."""
    out = pikepdf.new()
    sources: list[pikepdf.Pdf] = []
    try:
        for part in parts:
            try:
                sources.append(pikepdf.open(part.pdf))
            except pikepdf.PdfError as exc:
                raise RenderError(
                    f"the laid-out section {part.pdf} cannot be read ({exc}); delete {part.pdf.parent} and render again"
                ) from None
        joiner = _Joiner(out)
        for source in sources:
            joiner.add(source)
        found = joiner.finish(sources[0])
        shifts = []
        for source, part in zip(sources, parts, strict=True):
            if part.shifts and len(part.shifts) != len(source.pages):
                raise RenderError(f"{part.pdf} has {len(source.pages)} pages, its report {len(part.shifts)}")
            shifts += part.shifts or [0.0] * len(source.pages)
        _shift_pages(out, shifts)
        if folios is not None:
            with pikepdf.open(folios) as folio_pdf:
                _overlay_folios(out, folio_pdf)
        merge_fonts(out, fonts)
        out.save(target, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for source in sources:
            source.close()
        out.close()
    return found


class _Joiner:
    """What the join gathers section by section."""

    def __init__(self, out: pikepdf.Pdf):
        self.out = out
        self.kids: list = []
        self.nums: list = []
        self.dests: dict[str, object] = {}
        self.outline: list[Dictionary] = []
        self.open_count = 0
        self.key_offset = 0
        self.document: Dictionary | None = None
        self.namespaces = None
        self.links: list[tuple[Dictionary, str]] = []

    def add(self, source: pikepdf.Pdf) -> None:
        out = self.out
        first = len(out.pages)
        for page in source.pages:
            out.pages.append(page)
        added = list(out.pages)[first:]
        self._structure(source, added)
        names = source.Root.get("/Names", Dictionary()).get("/Dests")
        if names is not None:
            for name, dest in _name_tree(names):
                self.dests.setdefault(name, _copy(out, dest))
        outlines = source.Root.get("/Outlines")
        if outlines is not None and "/First" in outlines:
            copied = _copy(out, outlines)
            self.outline += list(_siblings(copied))
            self.open_count += int(copied.get("/Count", 0))
        for page in added:
            for annot in page.obj.get("/Annots", Array()):
                action = annot.get("/A")
                if action is not None and action.get("/S") == Name.URI and str(action.URI).startswith(LINK_SCHEME):
                    self.links.append((annot, str(action.URI)[len(LINK_SCHEME) :]))

    def _structure(self, source: pikepdf.Pdf, added: list) -> None:
        tree = source.Root.get("/StructTreeRoot")
        if tree is None:
            raise RenderError("a section's PDF has no structure tree (WeasyPrint wrote it untagged)")
        top = tree.get("/K")
        # WeasyPrint 70: StructTreeRoot.K is [Document], the Document's K the page's elements
        if not isinstance(top, Array) or len(top) != 1 or top[0].get("/S") != Name.Document:
            raise RenderError("WeasyPrint wrote a structure tree of another shape than version 70 does: cannot join")
        nums = tree.ParentTree.get("/Nums", Array())
        next_key = int(tree.get("/ParentTreeNextKey", 0))
        for i in range(0, len(nums), 2):
            next_key = max(next_key, int(nums[i]) + 1)
        for i in range(0, len(nums), 2):
            self.nums += [int(nums[i]) + self.key_offset, _copy(self.out, nums[i + 1])]
        for page in added:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + self.key_offset
            for annot in page.obj.get("/Annots", Array()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + self.key_offset
        document = _copy(self.out, top[0])
        if self.document is None:
            self.document = document
            if "/Namespaces" in tree:
                self.namespaces = _copy(self.out, tree.Namespaces)
        self.kids += list(document.K) if isinstance(document.K, Array) else [document.K]
        self.key_offset += next_key

    def finish(self, front: pikepdf.Pdf) -> list[Diagnostic]:
        out = self.out
        root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = self.document
        document.K = Array(self.kids)
        document.P = root
        for kid in self.kids:
            if isinstance(kid, Dictionary):
                kid.P = document
        root.K = Array([document])
        root.ParentTree = out.make_indirect(Dictionary(Nums=Array(self.nums)))
        root.ParentTreeNextKey = self.key_offset
        if self.namespaces is not None:
            root.Namespaces = self.namespaces
        out.Root.StructTreeRoot = root
        if self.outline:
            outlines = out.make_indirect(Dictionary(Type=Name.Outlines))
            for i, item in enumerate(self.outline):
                item.Parent = outlines
                _link(item, "/Prev", self.outline[i - 1] if i else None)
                _link(item, "/Next", self.outline[i + 1] if i + 1 < len(self.outline) else None)
            outlines.First, outlines.Last, outlines.Count = self.outline[0], self.outline[-1], self.open_count
            out.Root.Outlines = outlines
        found = []
        for annot, name in self.links:
            del annot["/A"]
            if name in self.dests:
                annot.Dest = String(name)
            else:
                found.append(Diagnostic(f"No anchor #{name} for internal URI reference", code="unknown-anchor"))
            if str(annot.get("/Contents", "")).startswith(LINK_SCHEME):
                annot.Contents = String(str(annot.Contents)[len(LINK_SCHEME) :])
        if self.dests:
            flat: list = []
            for name in sorted(self.dests):
                flat += [String(name), self.dests[name]]
            out.Root.Names = Dictionary(Dests=out.make_indirect(Dictionary(Names=Array(flat))))
        for key, value in front.Root.items():
            if key not in ("/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names"):
                out.Root[key] = _copy(out, value)
        if "/Info" in front.trailer:
            out.trailer.Info = _copy(out, front.trailer.Info)
        return found


def _link(item: Dictionary, key: str, other: Dictionary | None) -> None:
    if other is not None:
        item[key] = other
    elif key in item:
        del item[key]


def _copy(out: pikepdf.Pdf, obj):
    """`obj` copied into `out`; direct arrays and dictionaries too (copy_foreign takes indirect objects only),
    their indirect members through the same mapping as the pages (a destination keeps pointing at its page)."""
    if isinstance(obj, Array | Dictionary | pikepdf.Stream) and obj.is_indirect:
        return out.copy_foreign(obj)
    if isinstance(obj, Array):
        return Array([_copy(out, item) for item in obj])
    if isinstance(obj, Dictionary):
        return Dictionary({key: _copy(out, value) for key, value in obj.items()})
    return obj


def _siblings(outlines: Dictionary):
    item = outlines.get("/First")
    while item is not None:
        yield item
        item = item.get("/Next")


def _name_tree(node):
    if "/Names" in node:
        names = node.Names
        for i in range(0, len(names), 2):
            yield str(names[i]), names[i + 1]
    for kid in node.get("/Kids", Array()):
        yield from _name_tree(kid)


def _shift_pages(out: pikepdf.Pdf, shifts: list[float]) -> None:
    """Each page's content, links and the destinations on it moved right by its shift (points)."""
    moved = {page.obj.objgen: dx for page, dx in zip(out.pages, shifts, strict=True) if dx}
    if not moved:
        return
    for page in out.pages:
        dx = moved.get(page.obj.objgen)
        if dx is None:
            continue
        page.contents_add(out.make_stream(b"q 1 0 0 1 %s 0 cm\n" % _number(dx)), prepend=True)
        page.contents_add(out.make_stream(b"\nQ\n"), prepend=False)
        for annot in page.obj.get("/Annots", Array()):
            if "/Rect" in annot:
                annot.Rect = Array([v + dx if i % 2 == 0 else v for i, v in enumerate(_floats(annot.Rect))])
            if "/QuadPoints" in annot:
                annot.QuadPoints = Array([v + dx if i % 2 == 0 else v for i, v in enumerate(_floats(annot.QuadPoints))])
    for dest in _destinations(out):
        dx = moved.get(dest[0].objgen) if len(dest) > 2 and isinstance(dest[0], Dictionary) else None
        if dx is not None and dest[1] == Name.XYZ and dest[2] is not None:
            dest[2] = float(dest[2]) + dx


def _destinations(out: pikepdf.Pdf):
    """Every explicit destination of the document (arrays that start with a page): named ones, the outline's,
    and those of link annotations, each once."""
    seen = set()

    def found(dest):
        if isinstance(dest, Array) and dest.is_indirect:
            if dest.objgen in seen:
                return
            seen.add(dest.objgen)
        if isinstance(dest, Array):
            yield dest

    names = out.Root.get("/Names", Dictionary()).get("/Dests")
    if names is not None:
        for _, dest in _name_tree(names):
            yield from found(dest.get("/D") if isinstance(dest, Dictionary) else dest)
    outlines = out.Root.get("/Outlines")
    stack = list(_siblings(outlines)) if outlines is not None else []
    while stack:
        item = stack.pop()
        yield from found(item.get("/Dest", item.get("/A", Dictionary()).get("/D")))
        stack += list(_siblings(item))
    for page in out.pages:
        for annot in page.obj.get("/Annots", Array()):
            yield from found(annot.get("/Dest", annot.get("/A", Dictionary()).get("/D")))


def _floats(values: Array) -> list[float]:
    return [float(v) for v in values]


def _number(value: float) -> bytes:
    return (f"{value:.4f}".rstrip("0").rstrip(".") or "0").encode()


def _overlay_folios(out: pikepdf.Pdf, folios: pikepdf.Pdf) -> None:
    """Each page of `folios` that draws something laid over the page of the same number, marked as an artifact
    (page furniture: screen readers skip it); the page's own content is wrapped so that it leaves the graphics
    state as it found it."""
    if len(folios.pages) != len(out.pages):
        raise RenderError(f"the folios were laid out on {len(folios.pages)} pages, the issue has {len(out.pages)}")
    for number, (page, folio) in enumerate(zip(out.pages, folios.pages, strict=True), start=1):
        if not _draws_text(folio):
            continue
        name = f"IssueFolio{number}"
        form = _copy(out, folio.as_form_xobject())
        resources = page.obj.Resources
        if "/XObject" not in resources:
            resources.XObject = Dictionary()
        resources.XObject[Name("/" + name)] = form
        page.contents_add(out.make_stream(b"q\n"), prepend=True)
        page.contents_add(out.make_stream(b"\nQ\n" + FOLIO_OPERATOR % name.encode()), prepend=False)


def _draws_text(page: pikepdf.Page) -> bool:
    """Whether a page of the folio document shows a folio (the others hold only WeasyPrint's page setup)."""
    contents = page.obj.get("/Contents")
    streams = contents if isinstance(contents, Array) else [contents] if contents is not None else []
    data = b"".join(stream.read_bytes() for stream in streams)
    return b"Tj" in data or b"TJ" in data
