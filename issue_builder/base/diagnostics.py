"""The user-error family: every failure a user can fix, shown without a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    """One finding about an input: where it is and what is wrong."""

    message: str
    file: Path | None = None
    line: int | None = None
    key: str = ""
    severity: str = "error"  # "error", "warning" or "note" (information that never fails a build)

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = display_path(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        tag = f"{self.severity}: " if self.severity in ("warning", "note") else ""
        return f"{where}{tag}{key}{self.message}"


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when possible."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class IssueBuilderError(Exception):
    """Base of every error meant for the user; the CLI prints it and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])

    def __reduce__(self):
        return (type(self), (str(self), self.diagnostics))

    def report(self) -> str:
        lines = [str(d) for d in self.diagnostics]
        head = str(self)
        return "\n".join(([head] if head else []) + lines)


class ManifestError(IssueBuilderError):
    """The manifest, the publication file or a file they reference is invalid."""

    exit_code = 2


class RenderError(IssueBuilderError):
    """The layout could not be rendered into acceptable PDFs."""

    exit_code = 1


class OutputError(IssueBuilderError):
    """Writing or checking the outputs failed; earlier outputs were left as they were."""

    exit_code = 1
