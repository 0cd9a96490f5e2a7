"""The printer's package: print PDF, preflight report, proofs, output profile, job ticket, checksums; folder and zip."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from issue_builder.base.atomic import replace_all, replace_folder

PROOF_DPI = 50
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same package zips to the same bytes


@dataclass(frozen=True)
class PackageFile:
    """One file of the package: its name inside the package and its bytes."""

    name: str
    data: bytes


def proofs(pdf_path: Path) -> list[PackageFile]:
    """Low-resolution PNG proofs of every page, trimmed to the TrimBox as the reader will see it."""
    files = []
    document = pypdfium2.PdfDocument(str(pdf_path))
    try:
        for number in range(len(document)):
            page = document[number]
            trim = page.get_trimbox()
            media = page.get_mediabox()
            scale = PROOF_DPI / 72
            crop = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
            image = page.render(scale=scale, crop=crop).to_pil()

            buffer = io.BytesIO()
            image.save(buffer, "PNG", optimize=False)
            files.append(PackageFile(f"proofs/page-{number + 1:03d}.png", buffer.getvalue()))
            page.close()
    finally:
        document.close()
    return files


def checksums(files: list[PackageFile]) -> PackageFile:
    lines = [f"{hashlib.sha256(f.data).hexdigest()}  {f.name}" for f in sorted(files, key=lambda f: f.name)]
    return PackageFile("SHA256SUMS", ("\n".join(lines) + "\n").encode())


def write_package(folder: Path, files: list[PackageFile]) -> Path:
    """Write the package folder (replacing an earlier one whole) and its zip beside it; returns the zip's path."""
    files = files + [checksums(files)]
    zip_path = folder.with_suffix(".zip")
    replace_all({zip_path: _zip(folder.name, files)}, lambda temp, target: None)
    replace_folder(folder, {f.name: f.data for f in files})
    return zip_path


def _zip(root: str, files: list[PackageFile]) -> bytes:

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(files, key=lambda f: f.name):
            info = zipfile.ZipInfo(f"{root}/{item.name}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, item.data)
    return buffer.getvalue()


def job_ticket(data: dict) -> list[PackageFile]:
    """The job ticket as JSON and as plain text for people (a nested field as an indented line per part)."""
    lines = []
    width = max(len(k) for k in data) + 2
    for key, value in data.items():
        label = key.replace("_", " ").capitalize()
        if isinstance(value, dict):
            lines.append(label)
            lines += [f"  {part.capitalize():<{width - 2}}{v}" for part, v in value.items()]
        else:
            lines.append(f"{label:<{width}}{value}")
    return [
        PackageFile("job-ticket.json", (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()),
        PackageFile("job-ticket.txt", ("\n".join(lines) + "\n").encode()),
    ]
