"""Findings of a preflight run, and the settings it checks against."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
class Finding:
    """One result: which check, how bad, where, what, and (for our own builds) which manifest entry."""

    check: str
    severity: str  # "error", "warning" or "info"
    message: str
    page: int | None = None
    source: str | None = None


@dataclass
class Report:
    """All findings about one file."""

    file: str
    pages: int
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def passed(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "pages": self.pages,
            "passed": self.passed,
            "checks": self.checks,
            "findings": [asdict(f) for f in self.findings],
        }
