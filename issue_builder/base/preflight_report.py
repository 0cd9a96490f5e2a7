"""What a preflight checks a PDF against (`PreflightSettings`) and what it found in it (`Report`, of Diagnostics,
grouped for people into `FindingGroup`s: one per finding repeated across pages)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from issue_builder.base.diagnostics import Diagnostic


@dataclass(frozen=True)
class PreflightSettings:
    """What the printer requires; defaults are the built-in print profile's."""

    bleed: float = 9.0  # points
    warn_ppi: int = 300
    min_ppi: int = 225
    max_tac: float = 300.0  # percent
    page_multiple: int = 4  # saddle-stitch
    separations: bool = True  # rasterise with Ghostscript for ink checks
    separation_dpi: int = 36
    pdf_x: str = "4"  # "4" for PDF/X-4, "1a" for PDF/X-1a:2003
    trim: tuple[float, float] | None = None  # the publication's trim size in points, when known
    media_margin: float = 72.0  # points the media may extend beyond the trim on each side (bleed, marks, slug)


@dataclass(frozen=True)
class Sources:
    """The manifest entries behind the pages and images of a print PDF we built, as its build record keeps them."""

    pages: dict[int, str] = field(default_factory=dict)  # page number -> "articles[i] Title"
    images: dict[tuple[int, int, int], str] = field(default_factory=dict)  # (page, width px, height px) -> entry

    def as_dict(self) -> dict:
        """JSON-ready: {"pages": {"3": ...}, "images": [{page, width, height, source}]}."""
        return {
            "pages": {str(n): s for n, s in sorted(self.pages.items())},
            "images": [{"page": p, "width": w, "height": h, "source": s} for (p, w, h), s in self.images.items()],
        }

    @classmethod
    def from_dict(cls, data: object) -> Sources:
        """What `as_dict` wrote; nothing for anything else (a record of another version, or edited by hand)."""
        try:
            pages = {int(k): str(v) for k, v in data.get("pages", {}).items()}
            images = {(int(i["page"]), int(i["width"]), int(i["height"])): str(i["source"]) for i in data["images"]}
        except (AttributeError, KeyError, TypeError, ValueError):
            return cls()
        return cls(pages, images)


class Report:
    """Every diagnostic about one PDF file, and the checks that were run on it."""

    def __init__(self, file: str | Path | None, pages: int):
        self._file = None if file is None else Path(file)
        self.pages = pages
        self.diagnostics: list[Diagnostic] = []
        self.checks: list[str] = []

    @property
    def file(self) -> Path | None:
        return self._file

    @file.setter
    def file(self, file: str | Path) -> None:
        """Name the file otherwise (as the printer's package holds it): its diagnostics follow."""
        self._file = Path(file)
        self.diagnostics = [dataclasses.replace(d, file=self._file) for d in self.diagnostics]

    def add(self, code: str, severity: str, message: str, page: int | None = None, source: str | None = None) -> None:
        """A diagnostic about the file: `code` names the check; `source` the manifest entry behind the page or
        image, which the build record of our own print PDFs keeps."""
        self.diagnostics.append(
            Diagnostic(message, file=self._file, key=source or "", severity=severity, code=code, page=page)
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors

    def grouped(self) -> list[FindingGroup]:
        """The findings alike but for their page as one group each, errors first, then in the order found.

        Alike: the same check, severity, manifest entry and message, or messages that differ in one number only (a
        count or a measure, "in 15 place(s)" and "in 2 place(s)"), which the group states as a range ("in 2-15
        place(s)"). Messages that differ in more numbers (two images of different sizes) stay apart.
        """
        groups: dict[tuple, list[Diagnostic]] = {}
        for d in self.diagnostics:
            groups.setdefault((d.severity, d.code, d.key, _NUMBER.sub("#", d.message)), []).append(d)
        found = []
        for alike in groups.values():
            varying = _varying(alike)
            if varying is not None and len(varying) <= 1:
                found.append(_group(alike, _ranged(alike, varying)))
            else:
                exact: dict[str, list[Diagnostic]] = {}
                for d in alike:
                    exact.setdefault(d.message, []).append(d)
                found += [_group(same, same[0].message) for same in exact.values()]
        rank = {"error": 0, "warning": 1}
        first = {id(d): n for n, d in enumerate(self.diagnostics)}
        return sorted(found, key=lambda g: (rank.get(g.diagnostic.severity, 2), first[id(g.first)]))

    def as_dict(self) -> dict:
        """The report as JSON-ready data, each finding as `Diagnostic.as_dict` gives it."""
        return {
            "file": None if self._file is None else str(self._file),
            "pages": self.pages,
            "passed": self.passed,
            "checks": self.checks,
            "findings": [d.as_dict() for d in self.diagnostics],
        }


@dataclass(frozen=True)
class FindingGroup:
    """Findings alike but for their page (one row of the human report), as one diagnostic stating them all."""

    diagnostic: Diagnostic  # the first of them, its message with the range of a number that varies
    pages: tuple[int, ...]  # every page they are on, ascending; empty for findings about the whole file
    count: int
    first: Diagnostic  # the first of them as found

    @property
    def page_range(self) -> str:
        """The pages as a person writes them ("3-9, 12"); "-" for the whole file."""
        return page_ranges(self.pages)


def page_ranges(pages: tuple[int, ...] | list[int]) -> str:
    """Ascending page numbers as runs: (3, 4, 5, 9) -> "3-5, 9"; nothing -> "-"."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][1] + 1:
            runs[-1][1] = page
        else:
            runs.append([page, page])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs) or "-"


_NUMBER = re.compile(r"(?<![\w/.+])\d+(?:\.\d+)?(?![\w./])")  # a number standing alone, not part of a name


def _group(alike: list[Diagnostic], message: str) -> FindingGroup:
    pages = tuple(sorted({d.page for d in alike if d.page is not None}))
    return FindingGroup(dataclasses.replace(alike[0], message=message), pages, len(alike), alike[0])


def _varying(alike: list[Diagnostic]) -> list[int] | None:
    """The positions of the numbers that differ between the messages (alike but for their numbers)."""
    numbers = [_NUMBER.findall(d.message) for d in alike]
    if len({len(n) for n in numbers}) != 1:
        return None
    return [i for i in range(len(numbers[0])) if len({float(n[i]) for n in numbers}) > 1]


def _ranged(alike: list[Diagnostic], varying: list[int]) -> str:
    """The first message, with the number at the varying position (if any) written as the range of its values."""
    message = alike[0].message
    if not varying:
        return message
    position = varying[0]
    values = sorted((_NUMBER.findall(d.message)[position] for d in alike), key=float)
    match = list(_NUMBER.finditer(message))[position]
    return f"{message[: match.start()]}{values[0]}-{values[-1]}{message[match.end() :]}"
