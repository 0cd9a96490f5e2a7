"""The benchmark's ratios against issue 7's targets, its table, and a look at what else keeps the machine busy."""

from __future__ import annotations

import os
from pathlib import Path

BUSY = ("pytest", "issue_builder", "issue-builder", "weasyprint")


def busy_processes() -> list[str]:
    """Other processes that render or run tests now (this benchmark and its parents left out)."""
    ours, pid = set(), os.getpid()
    while pid > 1:
        ours.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ValueError):
            break
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in ours:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(word in cmdline for word in BUSY):
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def _ratio(label: str, value: float | bool | None, target: float | bool | None) -> dict:
    if target is None:
        met = None
    elif value is None:  # the case failed: no figure, target not met
        met = False
    elif isinstance(target, bool):
        met = value is target
    else:
        met = value <= target
    return {"label": label, "value": value, "target": target, "met": met}


def ratios(cases: dict[str, dict], scales: list[int]) -> dict[str, dict]:
    """The ratios of issues 7, 13 and 14, each with its target (None where no issue sets one for that size) and
    whether it is met. A synthetic issue renders into a new folder, so it is set against the cold render."""
    wall = {name: case["wall_s"] for name, case in cases.items()}
    cpu = {name: case["cpu_s"] for name, case in cases.items()}
    bare, full = wall["bare_weasyprint"], wall["full_render"]
    found = {
        "full_cpu_over_bare": _ratio(
            "#13 full render CPU / bare CPU", cpu["full_render"] / cpu["bare_weasyprint"], 1.4
        ),
        "full_wall_over_bare": _ratio("#13 full render / bare weasyprint", full / bare, 1.1),
        "cold_wall_over_bare": _ratio("#13 cold render / bare weasyprint", wall["cold_render"] / bare, 1.3),
        "full_over_bare": _ratio("#14 full render / bare weasyprint", full / bare, 0.8),
        "cold_over_bare": _ratio("#14 cold render / bare weasyprint", wall["cold_render"] / bare, 1.0),
        "edit_over_full": _ratio("#14 render after an edit / full render", wall["edit_render"] / full, 0.3),
        "shift_over_full": _ratio("#14 render after a shifting edit / full", wall["shift_render"] / full, 0.6),
        "watch_print_over_full": _ratio("#14 watch print edit / full render", wall["watch_print_edit"] / full, 0.2),
        "watch_edit_over_full_proof": _ratio(
            "#7 watch proof edit / full proof", wall["watch_edit"] / wall["full_proof"], 0.30
        ),
        "nothing_changed_over_full": _ratio("#7 nothing changed / full render", wall["nothing_changed"] / full, 0.10),
    }
    base_pages = cases["cold_render"]["pages"]
    for n in scales:
        case = cases[f"synthetic_{n}"]
        done = case["completed"]
        found[f"scale_{n}_over_base"] = _ratio(
            f"#14 {case['pages'] or n}-page / {base_pages}-page cold time",
            wall[f"synthetic_{n}"] / wall["cold_render"] if done else None,
            4.2 if n == 192 else None,
        )
        found[f"peak_rss_{n}_mb"] = _ratio(
            f"#14 peak RSS of any process, {n} pages, MB",
            case["peak_rss_mb"] if done else None,
            400 if n == 384 else None,
        )
        found[f"completed_{n}"] = _ratio(f"#14 {n}-page issue completes", done, True if n == 384 else None)
    return found


def _value(v: float | bool | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def table(result: dict) -> str:
    """The cases as a table, then the ratios with their targets."""
    lines = [f"{'case':<44}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'pages':>7}{'output MB':>11}"]
    for case in result["cases"].values():
        failed = "" if case.get("completed", True) else f"  FAILED (exit {case['exit_code']}, see the JSON)"
        lines.append(
            f"{case['label']:<44}{case['wall_s']:>9.2f}{case['cpu_s']:>9.2f}{case['peak_rss_mb']:>13.0f}"
            f"{case['pages']:>7}{case['output_mb']:>11.2f}{failed}"
        )
    watch = result["cases"].get("watch_edit")
    if watch:
        lines.append(
            f'  (watch: wall from the edit to "rebuilt", its {watch["settle_ms"]} ms settle included; '
            f"CPU and RSS of the whole session; CPU of one edit's rebuild {watch['edit_cpu_s']:.2f} s)"
        )
    unchanged = result["cases"].get("nothing_changed")
    if unchanged and not unchanged.get("reused"):
        lines.append("  (nothing changed: the render did NOT report its outputs reused)")
    lines += ["", f"{'ratio (issue)':<48}{'value':>9}{'target':>9}  result"]
    for r in result["ratios"].values():
        target = "-" if r["target"] is None else ("yes" if r["target"] is True else f"<= {r['target']}")
        verdict = {True: "met", False: "NOT met", None: "(no target)"}[r["met"]]
        lines.append(f"{r['label']:<48}{_value(r['value']):>9}{target:>9}  {verdict}")
    m = result["machine"]
    loads = [r["load_before"] for c in result["cases"].values() for r in c.get("runs", [c]) if "load_before" in r]
    before = f"; 1-minute load before the cases {min(loads):.1f} to {max(loads):.1f}" if loads else ""
    lines.append(
        f"\n{m['cpus']} CPUs, load average at the end {', '.join(f'{x:.1f}' for x in m['load_average'])}"
        f"{before}; {result['runs']} run(s); {result['seconds']:.0f} s in all"
    )
    if m["other_busy_processes"]:
        lines.append(
            f"warning: {len(m['other_busy_processes'])} other rendering/test processes ran during the "
            "benchmark; figures are not reliable"
        )
    return "\n".join(lines)
