"""The benchmark runs end to end on a tiny issue (figures go in issue notes, never into assertions)."""

from __future__ import annotations

import json
import subprocess
import sys

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
