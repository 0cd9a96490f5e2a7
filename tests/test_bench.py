"""The benchmark runs end to end on a tiny issue (figures go in issue notes, never into assertions)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURES, REPO


def test_benchmark_runs_on_a_tiny_issue(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--manifest", str(FIXTURES / "bulletin" / "7.yaml"),
                    "--runs", "1", "--json", str(out)], check=True, capture_output=True)
    data = json.loads(out.read_text("utf-8"))
    assert data["runs"] == 1 and data["wall_median_s"] > 0 and data["peak_rss_mb"] > 0
    assert set(data["sizes"]) == {"the-tenant-bulletin-7-print.pdf", "the-tenant-bulletin-7-web.pdf"}
