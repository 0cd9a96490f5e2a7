"""The user-error family: every failure a user can fix, shown without a traceback."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

MAX_ALIKE = 10  # diagnostics shown of one kind (the same but for quoted text and numbers); the rest are counted
MAX_SHOWN = 200  # diagnostics shown in all
_VARIABLE = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|\d+")


@dataclass(frozen=True)
class Diagnostic:
    """One finding, from the loader to the checks of the written files: how bad, what, and where."""

    message: str
    file: Path | None = None
    line: int | None = None
    key: str = ""
    severity: str = "error"  # "error", "warning" or "note" (information that never fails a build)
    code: str = ""  # what kind of finding, for tools: missing-glyph, overflow, image-resolution, ...
    page: int | None = None  # in the laid-out issue
    edition: str = ""  # print, web, proof: the edition a finding about one output is about

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = display_path(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        tag = f"{self.severity}: " if self.severity in ("warning", "note") else ""
        edition = f"{self.edition}: " if self.edition else ""
        code = f"{self.code}: " if self.code else ""
        key = f"{self.key}: " if self.key else ""
        page = f"page {self.page}: " if self.page is not None else ""
        return f"{where}{tag}{edition}{code}{key}{page}{self.message}"

    def as_dict(self) -> dict:
        """The diagnostic as JSON-ready data (what `--json` outputs and build records hold)."""
        found = {f.name: getattr(self, f.name) for f in fields(self)}
        found["file"] = None if self.file is None else str(self.file)
        return found

    @classmethod
    def from_dict(cls, data: dict) -> Diagnostic:
        """The diagnostic `as_dict` gave."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("file") is not None:
            values["file"] = Path(values["file"])
        return cls(**values)


MAX_OF_A_KIND = 20  # findings of one kind listed for a file; the rest are counted in one more


def capped(found: list[Diagnostic], what: str) -> list[Diagnostic]:
    """The first `MAX_OF_A_KIND` of `found`, then one finding counting the rest of `what` (at the first of them)."""
    if len(found) <= MAX_OF_A_KIND:
        return found
    rest = found[MAX_OF_A_KIND]
    more = f"... and {len(found) - MAX_OF_A_KIND:,} more {what} after those above, the first of them here"
    return found[:MAX_OF_A_KIND] + [dataclasses.replace(rest, message=more, page=None)]


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when possible."""
    return _relative(str(path), os.getcwd())


@functools.lru_cache(maxsize=256)
def _relative(path: str, cwd: str) -> str:
    """`display_path`, once for each file and working folder: a manifest's findings name few files many times."""
    try:
        return str(Path(path).resolve().relative_to(Path(cwd).resolve()))
    except ValueError:
        return path


class IssueBuilderError(Exception):
    """Base of every error meant for the user; the CLI prints it and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])

    def __reduce__(self):
        return (type(self), (str(self), self.diagnostics))

    def report(self) -> str:
        lines = summarise([str(d) for d in self.diagnostics])
        head = str(self)
        return "\n".join(([head] if head else []) + lines)


def summarise(lines: list[str], alike: int = MAX_ALIKE, shown: int = MAX_SHOWN) -> list[str]:
    """`lines` with at most `alike` of each kind and `shown` in all, each cut short by a line counting the rest."""
    kept: list[str] = []
    seen: dict[str, int] = {}
    hidden: dict[str, int] = {}
    last: dict[str, int] = {}  # kind -> index in `kept` of its last line shown
    dropped = 0
    for line in lines:
        kind = _VARIABLE.sub("#", line)
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] > alike:
            hidden[kind] = hidden.get(kind, 0) + 1
        elif len(kept) >= shown:
            dropped += 1
        else:
            kept.append(line)
            last[kind] = len(kept) - 1
    for kind, index in sorted(((k, last[k]) for k in hidden), key=lambda item: -item[1]):
        kept.insert(index + 1, f"  ... and {hidden[kind]:,} more like the line above")
    if dropped:
        kept.append(f"... and {dropped:,} more (`check --json` lists every finding of a manifest)")
    return kept


class ManifestError(IssueBuilderError):
    """The manifest, the publication file or a file they reference is invalid."""

    exit_code = 2


class RenderError(IssueBuilderError):
    """The layout could not be rendered into acceptable PDFs."""

    exit_code = 1


class OutputError(IssueBuilderError):
    """Writing or checking the outputs failed; earlier outputs were left as they were."""

    exit_code = 1
