"""The writer's file: which kinds are read, the limits on them, and the properties a package keeps apart."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from issue_builder.base.diagnostics import IssueBuilderError, display_path

KINDS = {".docx": "docx", ".odt": "odt", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
MAX_DOCUMENT_BYTES = 200 * 1024**2  # a .docx full of full-resolution photographs; a runaway file is refused
MAX_TEXT_DOCUMENT_BYTES = 50 * 1024**2  # an .html or .md file (pictures may be inside it as data: addresses)
MAX_PACKAGE_ENTRIES = 10_000  # files inside a .docx or .odt: a long illustrated article has a few hundred
MAX_PACKAGE_BYTES = 1024**3  # all of them unpacked (a zip bomb is refused before pandoc unpacks it)
MAX_PART_BYTES = 64 * 1024**2  # one XML part read here (content.xml, core.xml): a book-length text is a few MB
_REQUIRED = {"docx": "word/document.xml", "odt": "content.xml"}
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
_NAMES = {"docx": "Word document (.docx)", "odt": "OpenDocument text (.odt)"}


class DocumentError(IssueBuilderError):
    """The writer's file cannot be imported as it is (missing, of another type, damaged, too large); exit 2."""

    exit_code = 2


@dataclass(frozen=True)
class Properties:
    """Title, dek and author as the document's properties (File > Properties) give them."""

    title: str | None = None
    dek: str | None = None
    author: str | None = None


def document_kind(path: Path) -> str:
    """`docx`, `odt`, `html` or `md` for a file that exists, is not too large, and is of a kind read here."""
    where = display_path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(KINDS))
        hint = " (save it as .docx from Word)" if path.suffix.lower() in (".doc", ".rtf", ".pages") else ""
        raise DocumentError(
            f"{where}: cannot import a {path.suffix or 'file without extension'} file{hint}; import reads {known}"
        )
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise DocumentError(f"{where}: cannot read the file: {exc.strerror}") from None
    if not path.is_file():
        raise DocumentError(f"{where}: not a file")
    limit = MAX_DOCUMENT_BYTES if kind in _REQUIRED else MAX_TEXT_DOCUMENT_BYTES
    if size > limit:
        raise DocumentError(f"{where}: the file is {size:,} bytes; import reads files of at most {limit:,}")
    if kind in _REQUIRED:
        with open_package(path, kind):
            pass
    return kind


def open_package(path: Path, kind: str) -> zipfile.ZipFile:
    """The .docx or .odt as a ZIP package, checked: a readable archive, not a zip bomb, with its main part."""
    where = display_path(path)
    damaged = f"{where}: not a readable {_NAMES[kind]}: the file is damaged, password-protected or of another type"
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentError(damaged + " (not a ZIP package)") from None
    try:
        entries = package.infolist()
        if len(entries) > MAX_PACKAGE_ENTRIES:
            raise DocumentError(f"{where}: holds {len(entries):,} files; at most {MAX_PACKAGE_ENTRIES:,} are read")
        unpacked = sum(e.file_size for e in entries)
        if unpacked > MAX_PACKAGE_BYTES:
            raise DocumentError(f"{where}: unpacks to {unpacked:,} bytes; at most {MAX_PACKAGE_BYTES:,} are read")
        names = {e.filename for e in entries}
        if _REQUIRED[kind] not in names:
            raise DocumentError(f"{damaged} ({_REQUIRED[kind]} is missing)")
        if kind == "odt" and "mimetype" in names:
            mimetype = read_part(package, "mimetype", where).decode("ascii", "replace").strip()
            if mimetype != ODT_MIMETYPE:
                raise DocumentError(f"{where}: an OpenDocument file of type {mimetype}, not a text document")
        return package
    except BaseException:
        package.close()
        raise


def read_part(package: zipfile.ZipFile, name: str, where: str) -> bytes:
    """One file of a package, at most MAX_PART_BYTES unpacked."""
    try:
        info = package.getinfo(name)
        if info.file_size > MAX_PART_BYTES:
            raise DocumentError(f"{where}: {name} is {info.file_size:,} bytes; at most {MAX_PART_BYTES:,} are read")
        with package.open(info) as handle:
            data = handle.read(MAX_PART_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise DocumentError(f"{where}: cannot unpack {name}: {exc}") from None
    if len(data) > MAX_PART_BYTES:
        raise DocumentError(f"{where}: {name} unpacks to more than {MAX_PART_BYTES:,} bytes")
    return data


def parse_part(data: bytes, name: str, where: str) -> ET.Element:
    """An XML part parsed (expat refuses entity expansion bombs), or an error naming the file and the part."""
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DocumentError(f"{where}: {name} is not well-formed XML ({exc}): the file is damaged") from None


_CORE = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


def package_properties(path: Path, kind: str) -> Properties:
    """Title, dek (description, else subject) and author of a .docx (docProps/core.xml) or .odt (meta.xml)."""
    part = {"docx": "docProps/core.xml", "odt": "meta.xml"}[kind]
    where = display_path(path)
    with open_package(path, kind) as package:
        if part not in package.namelist():
            return Properties()
        root = parse_part(read_part(package, part, where), part, where)
    if kind == "odt":
        root = root.find("office:meta", _CORE)
        if root is None:
            return Properties()

    def first(*names: str) -> str | None:
        for name in names:
            found = root.find(name, _CORE)
            text = " ".join((found.text or "").split()) if found is not None else ""
            if text:
                return text
        return None

    authors = ("meta:initial-creator", "dc:creator") if kind == "odt" else ("dc:creator",)
    return Properties(title=first("dc:title"), dek=first("dc:description", "dc:subject"), author=first(*authors))
