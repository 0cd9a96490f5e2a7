"""Where the built-in layouts and fonts live (the repository's top-level `layouts/` and `fonts/`)."""

from __future__ import annotations

from pathlib import Path

from issue_builder.errors import IssueBuilderError

PROJECT_DIR = Path(__file__).resolve().parent.parent
LAYOUTS_DIR = PROJECT_DIR / "layouts"
FONTS_DIR = PROJECT_DIR / "fonts"
BASE_LAYOUT = LAYOUTS_DIR / "base"
ICC_DIR = PROJECT_DIR / "icc"
DEFAULT_CMYK_PROFILE = ICC_DIR / "issue-builder-fogra39-tac300.icc"


def require_resources() -> None:
    """Fail clearly when the package was installed without its layouts and fonts."""
    for folder in (BASE_LAYOUT, FONTS_DIR, ICC_DIR):
        if not folder.is_dir():
            raise IssueBuilderError(
                f"built-in folder missing: {folder}. Install issue-builder from its repository with "
                "`pip install -e .` so that layouts/ and fonts/ stay beside the package."
            )
