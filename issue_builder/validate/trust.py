"""The trust boundary: layouts, fonts and the publication file never lie among contributors' files."""

from __future__ import annotations

from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic
from issue_builder.base.schema import IssueManifest
from issue_builder.load.manifest import RawManifest


def contributor_files(raw: RawManifest, manifest: IssueManifest) -> list[Path]:
    """The files contributors write: the manifest, the article bodies and the images it names."""
    files = [raw.manifest_path.resolve(), manifest.cover.image.path]
    for article in manifest.articles:
        files.append(article.body.path)
        if article.image is not None:
            files.append(article.image.src.path)
    return files


def trust_problems(
    raw: RawManifest, manifest: IssueManifest, layouts: list[Path], more_files: list[Path] | None = None
) -> list[Diagnostic]:
    """Why a trusted folder (the issue's layout folders, its font folders) or the publication file cannot be
    trusted: it holds a contributor's file, or lies in a folder that does (the issue folder itself aside)."""
    doc, root = raw.document, raw.root
    files = contributor_files(raw, manifest) + list(more_files or [])  # e.g. images the Markdown places
    folders = {f.parent for f in files} - {root}
    trusted = [(("layout",), folder) for folder in layouts]
    trusted += [(("font_dirs", j), (root / d).resolve()) for j, d in enumerate(manifest.font_dirs)]
    found: list[Diagnostic] = []
    for key, folder in trusted:
        held = next((f for f in files if f.is_relative_to(folder)), None)
        among = next((c for c in sorted(folders) if folder.is_relative_to(c)), None)
        if held is not None:
            why = f"holds the contributor's file {held.relative_to(root).as_posix()}"
        elif among is not None:
            why = f"lies in {among.relative_to(root).as_posix()}/, a folder of contributors' files"
        else:
            continue
        found.append(
            doc.diagnostic(
                key,
                f"{_shown(folder, root)} {why}: layouts and fonts run as trusted code and "
                "must be kept apart from articles and images",
            )
        )
    publication = raw.publication_path
    if publication is not None:
        among = next((c for c in sorted(folders) if publication.is_relative_to(c)), None)
        if among is not None:
            found.append(
                doc.diagnostic(
                    ("publication",),
                    f"the publication file {_shown(publication, root)} lies in "
                    f"{among.relative_to(root).as_posix()}/, a folder of contributors' files",
                )
            )
    return found


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
