"""Where the built-in layouts, fonts and ICC profiles live.

In the repository they are the top-level folders `layouts/`, `fonts/` and `icc/`, which an editable install
(`pip install -e .`) reads in place. A built wheel (`pip install .`) carries the same folders inside the package, as
`issue_builder/_data/{layouts,fonts,icc}` (see `[tool.setuptools]` in pyproject.toml), and those are used whenever
they are there.
"""

from __future__ import annotations

from pathlib import Path

from issue_builder.base.diagnostics import IssueBuilderError

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # issue_builder/
# The folder holding the package: the repository checkout for an editable install, site-packages for a wheel.
PROJECT_DIR = PACKAGE_DIR.parent
_BUNDLED_DIR = PACKAGE_DIR / "_data"  # only in an installed wheel; never present in the repository
DATA_DIR = _BUNDLED_DIR if _BUNDLED_DIR.is_dir() else PROJECT_DIR

LAYOUTS_DIR = DATA_DIR / "layouts"
FONTS_DIR = DATA_DIR / "fonts"
BASE_LAYOUT = LAYOUTS_DIR / "base"
ICC_DIR = DATA_DIR / "icc"
DEFAULT_CMYK_PROFILE = ICC_DIR / "issue-builder-fogra39-tac300.icc"


def require_resources() -> None:
    """Fail clearly when the package was installed without its layouts, fonts and profiles."""
    for folder in (BASE_LAYOUT, FONTS_DIR, ICC_DIR):
        if not folder.is_dir():
            raise IssueBuilderError(
                f"built-in folder missing: {folder}. Install issue-builder from its repository, either as a wheel "
                "(`pip install .`, which carries layouts/, fonts/ and icc/ inside the package) or editable "
                "(`pip install -e .`, which reads them beside the package)."
            )
