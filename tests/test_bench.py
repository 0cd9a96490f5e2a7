"""The benchmark runs end to end on a tiny issue (figures go in issue notes, never into assertions)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from helpers import FIXTURES, REPO

CASES = {
    "bare_weasyprint",
    "cold_render",
    "full_render",
    "warm_render",
    "nothing_changed",
    "full_proof",
    "edit_render",
    "shift_render",
    "watch_edit",
    "watch_print_edit",
    "synthetic_16",
}


def test_benchmark_runs_on_a_tiny_issue(tmp_path):
    out = tmp_path / "bench.json"
    command = [
        sys.executable,
        str(REPO / "bench" / "run.py"),
        "--manifest",
        str(FIXTURES / "bulletin" / "7.yaml"),
        "--scales",
        "16",
        "--runs",
        "1",
        "--json",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text("utf-8"))
    assert set(data["cases"]) == CASES
    for name, case in data["cases"].items():
        assert case["wall_s"] > 0 and case["cpu_s"] > 0 and case["peak_rss_mb"] > 0, name
        assert case["pages"] > 0 and case["output_mb"] > 0, name
    assert data["cases"]["synthetic_16"]["completed"]
    assert data["cases"]["watch_edit"]["settle_ms"] == 50 and len(data["cases"]["watch_edit"]["edits"]) == 1
    assert set(data["ratios"]) == {
        "full_cpu_over_bare",
        "full_wall_over_bare",
        "cold_wall_over_bare",
        "full_over_bare",
        "cold_over_bare",
        "edit_over_full",
        "shift_over_full",
        "watch_print_over_full",
        "watch_edit_over_full_proof",
        "nothing_changed_over_full",
        "scale_16_over_base",
        "peak_rss_16_mb",
        "completed_16",
    }
    assert all(r["value"] is not None for r in data["ratios"].values())
    assert data["cases"]["shift_render"]["pages"] > data["cases"]["edit_render"]["pages"]  # the added page is there
    for line in ("full render / bare weasyprint", "watch print edit / full render", "nothing changed / full render"):
        assert line in done.stdout


# Python's start, then (with "fork") a child that exits at once: counted, the child adds only its own few instructions
FORKING = """
import os, sys
if sys.argv[1] == "fork":
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
"""


def test_a_forked_child_counts_only_what_it_executed_itself():
    spec = importlib.util.spec_from_file_location("instructions", REPO / "bench" / "instructions.py")
    instructions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(instructions)
    count_instructions = instructions.count_instructions
    alone = count_instructions([sys.executable, "-c", FORKING, "alone"])
    forked = count_instructions([sys.executable, "-c", FORKING, "fork"])
    assert forked["processes"] == alone["processes"] + 1
    assert alone["instructions"] > 10_000_000  # Python's start was counted
    assert forked["instructions"] < 1.05 * alone["instructions"]  # not the parent's counts again


@pytest.mark.slow
def test_the_benchmark_counts_instructions_on_a_tiny_issue(tmp_path):
    out = tmp_path / "bench.json"
    manifest = FIXTURES / "bulletin" / "7.yaml"
    command = [sys.executable, str(REPO / "bench" / "run.py"), "--manifest", str(manifest), "--instructions"]
    done = subprocess.run([*command, "--json", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text("utf-8"))
    bare, full = data["cases"]["bare_weasyprint"], data["cases"]["full_render"]
    assert bare["processes"] >= 1 and full["processes"] > 2  # the render's layout and finishing processes
    assert 1 < full["instructions"] / bare["instructions"] == data["ratios"]["full_instructions_over_bare"]["value"]
    assert "#13 full render / bare, instructions" in done.stdout
