"""Benchmark: time, CPU and peak memory of rendering an issue, in a child process; prints a table, writes JSON.

    python bench/run.py                       # issue 18, 3 runs
    python bench/run.py --manifest tests/fixtures/bulletin/7.yaml --runs 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(command: list[str]) -> dict:
    """Run `command` in a fresh child process (via a wrapper, so each run's peak RSS is its own)."""
    wrapper = (
        "import resource, subprocess, sys, json, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:]).returncode\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'code': code, 'wall': wall, 'cpu': u.ru_utime + u.ru_stime, 'rss_mb': u.ru_maxrss / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", default=str(ROOT / "issues" / "18.yaml"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "build" / "bench.json"))
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("issue-builder"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            out = Path(tmp) / f"run{run}"
            m = measure([exe, "render", args.manifest, "--out", str(out), "--quiet"])
            if m["code"] != 0:
                sys.exit(f"render failed with exit code {m['code']}")
            m["sizes"] = {p.name: p.stat().st_size for p in sorted(out.glob("*.pdf"))}
            results.append(m)
    summary = {
        "manifest": args.manifest,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "wall_median_s": statistics.median(r["wall"] for r in results),
        "cpu_median_s": statistics.median(r["cpu"] for r in results),
        "peak_rss_mb": max(r["rss_mb"] for r in results),
        "sizes": results[-1]["sizes"],
        "results": results,
    }
    print(f"{'case':<28}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}")
    print(f"{'render (print + web)':<28}{summary['wall_median_s']:>9.2f}{summary['cpu_median_s']:>9.2f}{summary['peak_rss_mb']:>13.0f}")
    for name, size in summary["sizes"].items():
        print(f"  {name}: {size / 1e6:.2f} MB")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=2), "utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
