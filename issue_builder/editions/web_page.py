"""The issue's web page: index.html, its stylesheet, web-sized pictures and fonts, and the web PDF, in one folder."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz
from PIL import Image

from issue_builder.base.atomic import store_in_cache
from issue_builder.base.cache import cache_salt
from issue_builder.base.cache import file_sha256 as file_digest
from issue_builder.base.kept_files import read_kept
from issue_builder.layout.html import contact_sentence
from issue_builder.layout.templates import make_environment
from issue_builder.layout.values import template_context
from issue_builder.prepare.content import PreparedIssue
from issue_builder.prepare.images import ALLOWED_FORMATS

PICTURE_WIDTH = 1200  # pixels: sharp on a 2x phone screen, small enough to load quickly
COVER_WIDTH = 800
JPEG_QUALITY = 80
PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))


@dataclass(frozen=True)
class Picture:
    """A web-sized picture: its file name in the folder and its pixel size."""

    name: str
    width: int
    height: int


@dataclass(frozen=True)
class WebFont:
    family: str
    file: str
    weight: int
    style: str


def web_page_files(
    issue: PreparedIssue, pdf_name: str, pdf_bytes: bytes, placed: dict[Path, Path], cache_dir: Path | None = None
) -> dict[str, bytes]:
    """Every file of the web folder by name; `placed` maps each image to its sRGB copy. Pictures and fonts are
    kept in `cache_dir` by content hash: a rebuild after an edit makes again only what the edit changed."""
    files: dict[str, bytes] = {pdf_name: pdf_bytes}
    pictures: dict[str, Picture] = {}
    wanted = [(issue.cover_image, COVER_WIDTH)] + [(a.image, PICTURE_WIDTH) for a in issue.articles if a.image]
    for image, width in wanted:
        # named by content and size: two pictures called alike in different folders stay apart, and the name is
        # plain ASCII whatever the file was called
        name = f"img/{image.info.sha256[:20]}-{width}.jpg"
        data = _cached(
            cache_dir,
            ("picture", image.info.sha256, width, JPEG_QUALITY),
            lambda image=image, width=width: _picture(placed.get(image.info.path, image.info.path), width),
        )
        with Image.open(io.BytesIO(data)) as written:
            size = written.size
        files[name] = data
        pictures[image.url] = Picture(name, *size)
    env = make_environment(issue.layout_chain)
    values = {
        "issue": issue,
        "m": issue.manifest,
        "pictures": pictures,
        "pdf_name": pdf_name,
        "pdf_size": f"{len(pdf_bytes) / 1e6:.1f} MB",
        "contact_sentence": contact_sentence(issue.manifest.contact),
        "web_fonts": [],
    }
    page = env.get_template("web/index.html").render(template_context(values))
    # the page's own fonts, cut down to the characters it uses: no font server, small downloads
    fonts = []
    for role, weights in (("body", {400}), ("heading", {600, 700}), ("masthead", {400})):
        for face in issue.font_faces.get(getattr(issue.manifest.fonts, role), []):
            name = f"fonts/{face.path.stem}.{face.path.suffix.lstrip('.')}"
            if face.weight in weights and name not in files:
                # a subset depends on the set of characters alone; printable ASCII is always in it
                characters = "".join(sorted(set(page) | set(PRINTABLE_ASCII)))
                files[name] = _cached(
                    cache_dir,
                    ("font", file_digest(face.path), characters),
                    lambda face=face, characters=characters: subset_font(face.path, characters),
                )
                fonts.append(WebFont(face.family, name, face.weight, face.style))
    values["web_fonts"] = fonts
    files["index.html"] = page.encode()
    files["style.css"] = env.get_template("web/style.css").render(template_context(values)).encode()
    return files


def subset_font(path: Path, text: str) -> bytes:
    """The font with only the glyphs for `text` and printable ASCII, cut by HarfBuzz's subsetter (the one WeasyPrint
    uses for the PDFs: a thousand times faster than fontTools' and reproducible). HarfBuzz's default layout features
    are kept (those browsers apply to Latin text), the .notdef outline and every name record in English, licence
    and copyright included."""
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(path)))
    request = uharfbuzz.SubsetInput()
    request.unicode_set.update({ord(c) for c in text + PRINTABLE_ASCII})
    request.name_id_set.add_range(0, 0x7FFF)  # by default only names 0-6; 13 and 14 carry the font's licence
    request.flags |= uharfbuzz.SubsetFlags.NOTDEF_OUTLINE
    subset = uharfbuzz.subset(face, request)
    if subset is None:
        raise ValueError(f"HarfBuzz could not subset {path.name}")
    return subset.blob.data


def _cached(cache_dir: Path | None, key: tuple, make: Callable[[], bytes]) -> bytes:
    """`make()`, or the bytes it gave for the same key before (kept in `cache_dir`)."""
    if cache_dir is None:
        return make()
    path = cache_dir / f"page-{hashlib.sha256(repr((key, cache_salt())).encode()).hexdigest()[:32]}.bin"
    kept = read_kept(path)
    if kept is not None:
        return kept
    data = make()
    store_in_cache(path, data)
    return data


def _picture(path: Path, width: int) -> bytes:
    with Image.open(path, formats=ALLOWED_FORMATS) as img:
        # a JPEG is decoded straight at the smallest of 1/2, 1/4, 1/8 of its size still at least `width` wide
        img.draft(None, (width, round(img.height * width / img.width)))
        img.load()
        picture = img.convert("RGB") if img.mode != "RGB" else img
        if picture.mode == "RGB" and img.mode in ("RGBA", "LA", "P"):
            rgba = img.convert("RGBA")
            picture = Image.new("RGB", rgba.size, (255, 255, 255))
            picture.paste(rgba, mask=rgba.getchannel("A"))
        if picture.width > width:
            picture = picture.resize((width, round(picture.height * width / picture.width)), Image.LANCZOS)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, comment=b"")
        return buffer.getvalue()
