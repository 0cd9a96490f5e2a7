"""Read a written PDF back: pages, boxes, fonts, images, attachments: what the file really holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf


@dataclass(frozen=True)
class FontUse:
    """A font as the PDF names it, and whether its program is embedded."""

    name: str
    embedded: bool

    @property
    def base_name(self) -> str:
        """The name without the subset tag (`ABCDEF+Inter-Bold` -> `Inter-Bold`)."""
        head, sep, tail = self.name.partition("+")
        return tail if sep and len(head) == 6 else self.name


@dataclass
class PdfFacts:
    """What a PDF holds, read with pikepdf."""

    pages: int
    page_sizes: list[tuple[float, float]]
    trim_boxes: list[tuple[float, ...] | None]
    fonts: list[FontUse] = field(default_factory=list)
    image_count: int = 0
    annotations: int = 0
    embedded_files: bool = False  # an /EmbeddedFiles name tree or any file attachment annotation
    outline_titles: list[str] = field(default_factory=list)
    title: str | None = None


def read_back(path: Path) -> PdfFacts:
    """Open `path` and collect its facts; pikepdf raises if the file is not a readable PDF."""
    with pikepdf.open(path) as pdf:
        fonts: dict[str, FontUse] = {}
        images = set()
        annotations = attachment_annotations = 0
        sizes, trims = [], []
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            sizes.append((box[2] - box[0], box[3] - box[1]))
            trim = page.obj.get("/TrimBox")
            trims.append(tuple(float(v) for v in trim) if trim is not None else None)
            annots = page.obj.get("/Annots", [])
            annotations += len(annots)
            attachment_annotations += sum(1 for a in annots if a.get("/Subtype") == "/FileAttachment")
            _collect(page.resources, fonts, images, set())
        names = pdf.Root.get("/Names", {})
        outline = []
        with pdf.open_outline() as tree:
            stack = list(tree.root)
            while stack:
                item = stack.pop(0)
                outline.append(str(item.title))
                stack[0:0] = list(item.children)
        title = pdf.docinfo.get("/Title")
        return PdfFacts(
            pages=len(pdf.pages),
            page_sizes=sizes,
            trim_boxes=trims,
            fonts=sorted(fonts.values(), key=lambda f: f.name),
            image_count=len(images),
            annotations=annotations,
            embedded_files="/EmbeddedFiles" in names or attachment_annotations > 0,
            outline_titles=outline,
            title=str(title) if title is not None else None,
        )


def font_is_embedded(font: pikepdf.Dictionary) -> bool:
    """Whether a font dictionary carries its program (Type 3 fonts are drawn by the file itself)."""
    if font.get("/Subtype") == "/Type3":
        return True
    descriptor = font.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font:
        descriptor = font.DescendantFonts[0].get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _collect(resources: pikepdf.Dictionary, fonts: dict, images: set, seen: set) -> None:
    if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
        return
    seen.add(resources.objgen)
    for font in dict(resources.get("/Font", {})).values():
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        fonts[name] = FontUse(name=name, embedded=font_is_embedded(font))
    for xobject in dict(resources.get("/XObject", {})).values():
        if xobject.get("/Subtype") == "/Image":
            images.add(xobject.objgen)
        elif xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            _collect(xobject.Resources, fonts, images, seen)
    for pattern in dict(resources.get("/Pattern", {})).values():
        if "/Resources" in pattern:
            _collect(pattern.Resources, fonts, images, seen)
