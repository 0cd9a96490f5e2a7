"""The font catalogue: families found in font folders, read from the font files themselves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from issue_builder.base.cache import MAX_FONT_BYTES
from issue_builder.base.diagnostics import Diagnostic, ManifestError, display_path

FONT_SUFFIXES = (".ttf", ".otf")


@dataclass(frozen=True)
class FontFace:
    """One font file: its family, weight and style."""

    family: str
    weight: int
    style: str
    path: Path
    postscript_name: str

    @property
    def url(self) -> str:
        """The file's URL, as a stylesheet names it."""
        return self.path.as_uri()


def scan_fonts(folders: list[Path]) -> dict[str, list[FontFace]]:
    """Families by name; a family found in an earlier folder hides the same family in later ones.

    A font file that is a link to a place outside its folder is refused (ManifestError) before any font is read:
    the layout could not load it, and nothing made from it (the web page's subsets) may be written first."""
    files = {folder: [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in FONT_SUFFIXES] for folder in folders}
    escaping = [
        Diagnostic(
            f"links to {path.resolve()}, outside the font folder {display_path(folder)}: fonts are read only from "
            "files inside their folder; copy the font into it",
            file=path,
        )
        for folder, paths in files.items()
        for path in paths
        if not path.resolve().is_relative_to(folder.resolve())
    ]
    if escaping:
        raise ManifestError(f"{len(escaping)} font file(s) outside their font folder:", escaping)
    catalogue: dict[str, list[FontFace]] = {}
    for paths in files.values():
        found: dict[str, list[FontFace]] = {}
        for path in paths:
            if path.is_file():
                face = _read_face(path)
                if face is not None:
                    found.setdefault(face.family, []).append(face)
        for family, faces in found.items():
            catalogue.setdefault(family, sorted(faces, key=lambda f: (f.weight, f.style)))
    return catalogue


def _read_face(path: Path) -> FontFace | None:
    try:
        if path.stat().st_size > MAX_FONT_BYTES:  # refused with its size by the input check of the build
            return None
        with TTFont(path, lazy=True) as font:
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1)
            if not family:
                return None
            os2 = font["OS/2"]
            italic = bool(os2.fsSelection & 1) or bool(font["head"].macStyle & 2)
            return FontFace(
                family=family,
                weight=int(os2.usWeightClass),
                style="italic" if italic else "normal",
                path=path.resolve(),
                postscript_name=names.getDebugName(6) or path.stem,
            )
    except (TTLibError, KeyError, OSError):
        return None
