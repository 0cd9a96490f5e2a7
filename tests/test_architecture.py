"""The code's shape holds: stages import only downward, no import circles, lint and format clean."""

from __future__ import annotations

import subprocess
import sys

import grimp

from helpers import REPO


def test_stages_import_only_the_layers_below_them():
    """The import-linter contract in pyproject.toml (layers from the CLI down to the base)."""
    lint = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "1 kept, 0 broken" in lint.stdout


def import_circles(package: str) -> list[list[str]]:
    """Groups of modules that import each other, directly or not (strongly connected components)."""
    graph = grimp.build_graph(package, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in edges:
        if module not in index:
            visit(module)
    return circles


def test_no_module_imports_itself_through_others():
    assert import_circles("issue_builder") == []


def test_ruff_finds_nothing_to_lint_or_format():
    paths = ["issue_builder", "tests", "bench", "docs", "tools"]
    check = subprocess.run([sys.executable, "-m", "ruff", "check", *paths], cwd=REPO, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    form = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *paths], cwd=REPO, capture_output=True, text=True
    )
    assert form.returncode == 0, form.stdout + form.stderr
