"""Read an issue manifest and the publication file it inherits, merged into one document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from issue_builder.base.diagnostics import Diagnostic, ManifestError
from issue_builder.load.yaml_source import KeyPath, Location, YamlDocument, read_yaml

DEFAULT_PUBLICATION_FILE = "publication.yaml"
# Keys that describe one issue only; a publication file may not set them.
ISSUE_ONLY_KEYS = ("issue", "date", "date_label", "volume", "cover", "articles")
# Keys that choose code and resources run as trusted (templates, fonts) or bound the build; an issue manifest,
# written by contributors, may not set them: only the publication file, which production staff keep.
PUBLICATION_ONLY_KEYS = ("layout", "font_dirs", "limits")


@dataclass
class RawManifest:
    """The merged manifest data, where each value came from, and the issue's folder."""

    document: YamlDocument
    manifest_path: Path
    root: Path
    publication_path: Path | None
    problems: list[Diagnostic]  # errors that do not stop validation; reported with its findings


def load_manifest(manifest_path: Path) -> RawManifest:
    """Read `manifest_path` and its publication file; raise ManifestError listing every problem."""
    manifest_path = Path(manifest_path)
    if not manifest_path.is_file():
        raise ManifestError("", [Diagnostic("manifest not found", file=manifest_path)])
    root = manifest_path.resolve().parent
    issue_doc, value_problems = read_yaml(manifest_path)
    if issue_doc is None:
        raise ManifestError(_summary(value_problems), value_problems)
    problems: list[Diagnostic] = []
    if not isinstance(issue_doc.data, dict):
        raise ManifestError("", [issue_doc.diagnostic((), "a manifest must be a mapping of keys to values")])

    later: list[Diagnostic] = list(value_problems)
    later += [
        issue_doc.diagnostic(
            (key,),
            "may be set only in the publication file, "
            "not in an issue manifest: layouts and fonts are trusted, contributors' files are not",
        )
        for key in PUBLICATION_ONLY_KEYS
        if key in issue_doc.data
    ]
    issue_data = {k: v for k, v in issue_doc.data.items() if k not in PUBLICATION_ONLY_KEYS}
    issue_doc = YamlDocument(data=issue_data, locations=issue_doc.locations, file=issue_doc.file)
    pub_path: Path | None = None
    merged = issue_doc
    if "publication" in issue_doc.data:
        # the publication file decides what runs as trusted (layout, fonts, limits): a contributor's manifest may
        # not point at another file, such as one of its own
        problems.append(
            issue_doc.diagnostic(
                ("publication",),
                f"an issue manifest cannot choose its publication file: it is always {DEFAULT_PUBLICATION_FILE} "
                "beside the manifest",
            )
        )
    candidate = root / DEFAULT_PUBLICATION_FILE
    if candidate.is_file() and not candidate.is_symlink():
        pub_path = candidate.resolve()
        merged, fatal, misplaced = _inherit(pub_path, issue_doc)
        problems += fatal
        later += misplaced
    elif candidate.is_symlink():
        problems.append(Diagnostic("the publication file may not be a symbolic link", file=candidate))
    if problems:
        raise ManifestError(_summary(problems + later), problems + later)
    return RawManifest(
        document=merged, manifest_path=manifest_path, root=root, publication_path=pub_path, problems=later
    )


def _inherit(pub_path: Path, issue_doc: YamlDocument) -> tuple[YamlDocument, list[Diagnostic], list[Diagnostic]]:
    """The merged document, the problems that stop here, and misplaced keys (reported with validation)."""
    pub_doc, value_problems = read_yaml(pub_path)
    if pub_doc is None:
        return issue_doc, value_problems, []
    if not isinstance(pub_doc.data, dict):
        return issue_doc, [pub_doc.diagnostic((), "a publication file must be a mapping of keys to values")], []
    misplaced = value_problems + [
        pub_doc.diagnostic((key,), "belongs in an issue manifest, not in the publication file")
        for key in ISSUE_ONLY_KEYS
        if key in pub_doc.data
    ]
    publication = {k: v for k, v in pub_doc.data.items() if k not in ISSUE_ONLY_KEYS}
    locations: dict[KeyPath, Location] = {}
    data = _merge(publication, issue_doc.data, (), _by_prefix(pub_doc), _by_prefix(issue_doc), locations)
    return YamlDocument(data=data, locations=locations, file=issue_doc.file), [], misplaced


Located = dict[KeyPath, dict[KeyPath, Location]]  # key path -> the locations of it and of all under it


def _merge(base: Any, over: Any, path: KeyPath, base_at: Located, over_at: Located, locations: dict) -> Any:
    """Mappings merge key by key; anything else in the issue replaces the publication's value."""
    if isinstance(base, dict) and isinstance(over, dict):
        locations[path] = over_at[path][path]
        result = {}
        for key in base.keys() | over.keys():
            sub = path + (key,)
            if key not in over:
                result[key] = base[key]
                locations.update(base_at.get(sub, {}))
            elif key not in base:
                result[key] = over[key]
                locations.update(over_at.get(sub, {}))
            else:
                result[key] = _merge(base[key], over[key], sub, base_at, over_at, locations)
                locations[sub] = over_at[sub][sub]
        return {k: result[k] for k in sorted(result, key=_key_order(base, over))}
    locations.update(over_at.get(path, {}))
    return over


def _key_order(base: dict, over: dict):
    order = {k: i for i, k in enumerate(list(base) + [k for k in over if k not in base])}
    return order.__getitem__


def _by_prefix(doc: YamlDocument) -> Located:
    """Every location of `doc` under each of its key paths: each merge step a lookup, not a scan of every
    location (which took minutes for a manifest of many keys)."""
    index: Located = {}
    for path, location in doc.locations.items():
        for n in range(len(path) + 1):
            index.setdefault(path[:n], {})[path] = location
    return index


def _summary(problems: list[Diagnostic]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    return f"{errors} error{'s' if errors != 1 else ''} in the manifest:"
