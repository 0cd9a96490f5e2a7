"""A built wheel carries the layouts, fonts and ICC profiles: installed into a fresh virtual environment, it renders."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from helpers import FIXTURES, REPO
from issue_builder.checks.readback import read_back

# What a checkout holds that is no part of a build (and can be large, or change under a concurrent test run).
_IGNORED_ANYWHERE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    "out",
)
TOP_LEVEL_ONLY = {"build", "dist"}  # issue_builder/build/ is code


def ignored(folder: str, names: list[str]) -> set[str]:
    """What of the checkout stays out of the copy the wheel is built from (copytree's `ignore`)."""
    found = set(_IGNORED_ANYWHERE(folder, names))
    if Path(folder).resolve() == REPO.resolve():
        found |= TOP_LEVEL_ONLY & set(names)
    return found


def _code_packages() -> set[str]:
    """Every folder of the package's source that Python can import, as a dotted package name."""
    return {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "issue_builder").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def test_every_code_package_is_listed_for_the_build():
    """pyproject.toml lists the packages by name (the data folders are mapped in beside them): a new subpackage
    that is not listed would be missing from the wheel."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    assert _code_packages() <= listed, sorted(_code_packages() - listed)
    data = {name for name in listed if name.startswith("issue_builder._data.")}
    assert {setuptools["package-dir"][name] for name in data} == {"layouts", "fonts", "icc"}


def _run(*args: str | Path, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_renders_the_bulletin(tmp_path: Path):
    # Nothing from this checkout or this test's environment may leak into the fresh one.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE")
    }
    env["PYTHONNOUSERSITE"] = "1"
    work = tmp_path / "elsewhere"  # the working directory of every command: outside the repository
    work.mkdir()

    # Build from a copy of the checkout, so that setuptools' build/ and egg-info never land in the repository.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=ignored)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", dist, source, cwd=work, env=env)
    (wheel,) = dist.glob("issue_builder-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    data = "issue_builder/_data/"
    for folder in ("layouts", "fonts", "icc"):
        expected = {
            f"{data}{folder}/{p.relative_to(REPO / folder).as_posix()}"
            for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert expected and expected <= names, sorted(expected - names)
    for licence in (
        "fonts/README.md",
        "fonts/charis-sil/LICENSE.txt",
        "fonts/inter/LICENSE.txt",
        "fonts/bebas-neue/LICENSE.txt",
        "icc/README.md",
        "icc/LICENSE-characterization-data.txt",
        "icc/issue-builder-fogra39-tac300.icc",
        "layouts/base/issue.html",
    ):
        assert data + licence in names, licence
    package = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "issue_builder").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert package <= names, sorted(package - names)  # every module, and any data file kept beside the code

    # A fresh virtual environment; the wheel's dependencies come from the package index, like any user's install.
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=work, env=env)
    python, tool = venv / "bin" / "python", venv / "bin" / "issue-builder"
    _run(python, "-m", "pip", "install", "--quiet", "--no-cache-dir", wheel, cwd=work, env=env, timeout=900)

    where = _run(
        python,
        "-c",
        "import issue_builder, issue_builder.base.paths as r; print(issue_builder.__file__); "
        "print(r.FONTS_DIR); print(r.BASE_LAYOUT); print(r.DEFAULT_CMYK_PROFILE)",
        cwd=work,
        env=env,
    ).stdout.splitlines()
    site_packages = next((venv / "lib").glob("python3*/site-packages")).resolve()
    package = Path(where[0]).resolve()
    assert package.is_relative_to(site_packages) and not package.is_relative_to(REPO.resolve()), where
    for path in map(Path, where[1:]):
        assert path.resolve().is_relative_to(site_packages / "issue_builder" / "_data") and path.exists(), where

    issue = tmp_path / "bulletin"
    shutil.copytree(FIXTURES / "bulletin", issue)
    out = tmp_path / "out"
    result = _run(tool, "render", issue / "7.yaml", "--out", out, cwd=work, env=env)
    pdf = out / "the-tenant-bulletin-7-print.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 0, result.stderr
    facts = read_back(pdf)
    assert facts.fonts
    for font in facts.fonts:  # the bundled families, not whatever fontconfig found on the system
        assert font.embedded and re.match(r"^(Charis-SIL|CharisSIL|Inter|Bebas-Neue)(-|$)", font.base_name), font
