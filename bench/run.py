"""Benchmark of issues 7, 13 and 14: bare WeasyPrint, renders cold, full, warm and after edits, proof, watch edits,
synthetic issues; a table.

    python bench/run.py                                   # issue 18, synthetic 192 and 384 pages (several minutes)
    python bench/run.py --runs 3 --json build/bench.json  # repeat the base issue's cases, medians
    python bench/run.py --scales ""                       # the base issue only, no synthetic issues
    python bench/run.py --manifest tests/fixtures/bulletin/7.yaml --scales 16   # the tiny issue CI runs
    python bench/run.py --instructions                    # instructions counted under Valgrind (over half an hour)

Every case runs in a fresh wrapper process: wall time, CPU (user + sys of the whole process tree) and the peak RSS
of any one process of the tree. Cases, in order, all in one temporary folder:
  bare weasyprint   WeasyPrint alone (bench/bare_weasyprint.py, one process) laying out and writing the HTML one
                    render lays out: front, each article, fill pages and back cover (`render --only print
                    --keep-html` writes them, untimed)
  cold render       `issue-builder render MANIFEST` into a new folder: nothing cached by an earlier render
  full render       `issue-builder render MANIFEST --force` (print and web PDFs, web page) with the laid-out
                    sections deleted first (`.cache/sections`): every section laid out again, and the pages the
                    PDF/UA check, the web structure repair, the press pass and the text checks kept
                    (`.cache/pdfua-pages.json`, `web-repair-pages.json`, `web-rewritten.bin`,
                    `print-pressed.bin`, `page-*.json`): every page read again; the content-hashed caches
                    of converted images, fonts and pictures warm from the earlier renders
  warm render       `render --force` again, the laid-out sections kept: nothing laid out, everything finished
  nothing changed   the same `render` again without --force (inputs unchanged, outputs reused)
  full proof        `issue-builder proof MANIFEST --force` with its laid-out sections deleted first, as the full
                    render
  edit render       on a warm copy of the issue, `render` after rewriting a few words of one paragraph of the
                    middle article
  shift render      then `render` after adding a page's worth of paragraphs to the first article: every later
                    article starts a page on
  watch edit        `issue-builder watch --settle 50` on a copy of the issue (a proof; `--only print` for the
                    print watch); wall from rewriting a few words of one paragraph of one article to the "rebuilt"
                    line (the 50 ms settle included); CPU and RSS are the whole watch session's (first build and
                    every edit) taken when it is stopped with SIGINT
  synthetic N       bench/make_synthetic.py repeats the articles to about N pages, then `render --force`
--runs N repeats the base issue's cases (the watch makes N edits) and reports medians; the synthetic issues run once.
Then the ratios of issue 7 with their targets. All figures also go to --json (default build/bench.json). The
1-minute load before each case and any other rendering or test process seen are reported: such figures are unreliable.
--instructions times nothing: it counts, under Valgrind (bench/instructions.py), the instructions bare WeasyPrint
and the full render execute, once each: figures that do not move with the machine's load.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pikepdf
import yaml
from instructions import count_instructions
from make_synthetic import IGNORED, make_synthetic
from measure import Session, measure, tree_cpu
from report import busy_processes, ratios, table

from issue_builder.checks.pdfua import PAGES_FILE as PDFUA_PAGES
from issue_builder.editions.pressed import PRESSED_FILE as PRESSED
from issue_builder.editions.repair_pages import PAGES_FILE as REPAIR_PAGES
from issue_builder.editions.structure import REWRITTEN_FILE as REWRITTEN
from issue_builder.load.manifest import DEFAULT_PUBLICATION_FILE as PUBLICATION_FILE

PAGE_TEXTS = ("page-text-*.json", "page-furniture-*.json")  # checks/page_text.record_path

ROOT = Path(__file__).resolve().parent.parent
SETTLE_MS = 50
BUSY_SEEN: set[str] = set()  # other rendering or test processes seen before any case
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def tool(name: str, module: str) -> list[str]:
    """The console script next to this Python, or `python -m module` when there is none."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


IB = tool("issue-builder", "issue_builder")
BARE = Path(__file__).with_name("bare_weasyprint.py")


def outputs(folder: Path) -> dict[str, int]:
    """Bytes of the PDFs in `folder` and of its web page folder."""
    files = {p.name: p.stat().st_size for p in sorted(folder.glob("*.pdf"))}
    if (folder / "web").is_dir():
        files["web/"] = sum(p.stat().st_size for p in (folder / "web").rglob("*") if p.is_file())
    return files


def pages_of(stdout: str, pdfs: list[Path]) -> int:
    """The page count the tool printed, else the pages of `pdfs` read back."""
    found = re.findall(r": (\d+) pages", stdout)
    if found:
        return int(found[-1])
    total = 0
    for pdf in pdfs:
        with pikepdf.open(pdf) as doc:
            total += len(doc.pages)
    return total


def checked_measure(command: list[str], cwd: Path | None = None) -> dict:
    """measure(), noting the load average and the other busy processes just before."""
    BUSY_SEEN.update(busy_processes())
    load = os.getloadavg()[0]
    return {**measure(command, cwd), "load_before": load}


def run_case(command: list[str], out: Path, cwd: Path | None = None) -> dict:
    m = checked_measure(command, cwd)
    if m["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {m['code']}:\n{m['stderr'][-3000:]}")
    files = outputs(out)
    return {
        **m,
        "pages": pages_of(m["stdout"], sorted(out.glob("*.pdf"))),
        "files": files,
        "output_mb": sum(files.values()) / 1e6,
    }


def summarize(label: str, command: list[str], runs: list[dict]) -> dict:
    """Medians of wall and CPU over the runs, the largest RSS, the last run's pages and outputs."""
    last = runs[-1]
    return {
        "label": label,
        "command": command,
        "wall_s": statistics.median(r["wall"] for r in runs),
        "cpu_s": statistics.median(r["cpu"] for r in runs),
        "peak_rss_mb": max(r["rss_mb"] for r in runs),
        "pages": last["pages"],
        "output_mb": last["output_mb"],
        "files": last["files"],
        "runs": [{k: r[k] for k in ("wall", "cpu", "rss_mb", "load_before")} for r in runs],
    }


def edit_paragraph(body: Path, n: int) -> str:
    """Replace three words in the middle of the middle prose paragraph of `body`; the paragraph's start."""
    paragraphs = body.read_text("utf-8").split("\n\n")
    prose = [i for i, p in enumerate(paragraphs) if p[:1].isalnum() and len(p.split()) >= 12]
    i = prose[len(prose) // 2]
    words = paragraphs[i].split(" ")
    k = len(words) // 2
    words[k : k + 3] = ["edit", "number", NUMBERS[n] if n < len(NUMBERS) else str(n + 1)]
    paragraphs[i] = " ".join(words)
    body.write_text("\n\n".join(paragraphs), "utf-8")
    return paragraphs[i][:40]


def add_a_page(body: Path) -> None:
    """Repeat the prose paragraphs of `body` at its end until about a page's worth (500 words) is added."""
    paragraphs = body.read_text("utf-8").split("\n\n")
    prose = [p for p in paragraphs if p[:1].isalnum() and len(p.split()) >= 12]
    added: list[str] = []
    while sum(len(p.split()) for p in added) < 500:
        added.append(prose[len(added) % len(prose)])
    body.write_text("\n\n".join([*paragraphs, *added]) + "\n", "utf-8")


def edit_cases(manifest: Path, tmp: Path, runs: int) -> dict[str, dict]:
    """Final renders after edits on a warm copy of the issue: one paragraph, then a page added to the first article."""
    src, out = tmp / "edit-src", tmp / "edit-out"
    shutil.copytree(manifest.parent, src, ignore=IGNORED)
    articles = yaml.safe_load(manifest.read_text("utf-8"))["articles"]
    copy = src / manifest.name
    render = [*IB, "render", str(copy), "--out", str(out)]
    run_case(render, out)  # untimed: the warm state an editor works from
    edits, shifts = [], []
    for n in range(runs):
        edit_paragraph(src / articles[len(articles) // 2]["body"], n)
        edits.append(run_case(render, out))
        add_a_page(src / articles[0]["body"])
        shifts.append(run_case(render, out))
    return {
        "edit_render": summarize("render after a one-paragraph edit", render, edits),
        "shift_render": summarize("render after a page added to the first article", render, shifts),
    }


def watch_case(manifest: Path, tmp: Path, runs: int, only: str = "") -> dict:
    """Edits in a warm `watch` on a copy of the issue: wall from each edit to its "rebuilt" line."""
    src, out = tmp / f"watch-src{only}", tmp / f"watch-out{only}"
    shutil.copytree(manifest.parent, src, ignore=IGNORED)
    articles = yaml.safe_load(manifest.read_text("utf-8"))["articles"]
    body = src / articles[len(articles) // 2]["body"]
    command = [*IB, "watch", str(src / manifest.name), "--out", str(out), "--settle", str(SETTLE_MS)]
    command += ["--only", only] if only else []
    BUSY_SEEN.update(busy_processes())
    load = os.getloadavg()[0]
    session = Session(command)
    session.start()
    edits = []
    try:
        pid = session.child_pid()
        session.wait_for("watching", timeout=900)
        time.sleep(1.0)  # "watching" is printed just before the file watcher starts
        for n in range(runs):
            session.skip_pending()  # a late second rebuild of the last edit must not end this one
            cpu_before = tree_cpu(pid)
            started = time.perf_counter()
            edited = edit_paragraph(body, n)
            at, line = session.wait_for("rebuilt", "rebuild failed", timeout=900)
            if "failed" in line:
                raise SystemExit(
                    "the watch failed to rebuild after the edit:\n" + "\n".join(text for _, text in session.seen[-30:])
                )
            _, summary = session.wait_for(" pages", timeout=60)
            edits.append(
                {
                    "wall": at - started,
                    "cpu": tree_cpu(pid) - cpu_before,
                    "pages": pages_of(summary, []),
                    "paragraph": edited,
                }
            )
            time.sleep(1.0)
    finally:
        figures = session.stop()
    files = outputs(out)
    return {
        "label": f"watch: {only or 'proof'} after a paragraph edit",
        "command": command,
        "wall_s": statistics.median(e["wall"] for e in edits),
        "cpu_s": figures["cpu"],
        "peak_rss_mb": figures["rss_mb"],
        "pages": edits[-1]["pages"],
        "output_mb": sum(files.values()) / 1e6,
        "files": files,
        "settle_ms": SETTLE_MS,
        "edited_file": body.relative_to(src).as_posix(),
        "edit_cpu_s": statistics.median(e["cpu"] for e in edits),
        "session_wall_s": figures["wall"],
        "edits": edits,
        "load_before": load,
        "note": "cpu_s and peak_rss_mb: the whole watch session (first build and every edit); "
        "edit_cpu_s: CPU of the process tree during one edit's rebuild (median)",
    }


def bare_case(manifest: Path, tmp: Path) -> tuple[list[str], list[Path], Path]:
    """The bare WeasyPrint command on the HTML one render of `manifest` lays out (written by `--keep-html`,
    untimed), the documents and the folder it writes to."""
    html_out, bare_out = tmp / "html", tmp / "bare"
    keep_html = [*IB, "render", str(manifest), "--out", str(html_out), "--only", "print", "--keep-html", "--force"]
    run_case(keep_html, html_out)
    documents = sorted(html_out.glob("*-html/*.html"))
    bare_out.mkdir()
    base_url = manifest.parent.resolve().as_uri() + "/"
    return [sys.executable, str(BARE), base_url, str(bare_out), *map(str, documents)], documents, bare_out


def forget_layout(out: Path) -> None:
    """Delete what a render into `out` keeps of its layout and of the pages it read: the next lays out every
    section and reads every page again (the content-hashed caches of converted pictures and fonts stay)."""
    shutil.rmtree(out / ".cache" / "sections", ignore_errors=True)
    for kept in (PDFUA_PAGES, REPAIR_PAGES, REWRITTEN, PRESSED, *PAGE_TEXTS):
        for path in (out / ".cache").glob(kept):
            path.unlink()


def base_cases(manifest: Path, tmp: Path, runs: int) -> dict[str, dict]:
    """Bare WeasyPrint, full render, nothing changed and full proof, `runs` times each."""
    full_out, proof_out = tmp / "full", tmp / "proof"
    bare_command, documents, bare_out = bare_case(manifest, tmp)
    render = [*IB, "render", str(manifest), "--out", str(full_out)]
    proof = [*IB, "proof", str(manifest), "--out", str(proof_out), "--force"]
    run_case(render, full_out)  # untimed: the full render's caches (converted images, web pictures) are warm
    run_case(proof, proof_out)
    measured: dict[str, list[dict]] = {"bare": [], "cold": [], "full": [], "warm": [], "unchanged": [], "proof": []}
    for n in range(runs):
        measured["bare"].append(run_case(bare_command, bare_out))
        cold_out = tmp / f"cold-{n}"  # a new output folder: nothing cached from earlier renders
        measured["cold"].append(run_case([*IB, "render", str(manifest), "--out", str(cold_out)], cold_out))
        forget_layout(full_out)
        measured["full"].append(run_case([*render, "--force"], full_out))
        measured["warm"].append(run_case([*render, "--force"], full_out))
        unchanged = run_case(render, full_out)
        unchanged["reused"] = "nothing rendered" in unchanged["stdout"]
        measured["unchanged"].append(unchanged)
        shutil.rmtree(proof_out / ".cache" / "sections", ignore_errors=True)  # a full proof, as a full render
        for kept in PAGE_TEXTS:
            for path in (proof_out / ".cache").glob(kept):
                path.unlink()
        measured["proof"].append(run_case(proof, proof_out))
    cases = {
        "bare_weasyprint": summarize("bare weasyprint on the HTML laid out", bare_command, measured["bare"]),
        "cold_render": summarize(
            "render into a new folder (cold caches)", [*render[:-1], "<new folder>"], measured["cold"]
        ),
        "full_render": summarize(
            "render --force, every section laid out (print, web, web page)", [*render, "--force"], measured["full"]
        ),
        "warm_render": summarize("render --force, laid-out sections kept", [*render, "--force"], measured["warm"]),
        "nothing_changed": summarize("render again, nothing changed", render, measured["unchanged"]),
        "full_proof": summarize("proof --force, every section laid out", proof, measured["proof"]),
    }
    cases["bare_weasyprint"]["documents"] = [d.name for d in documents]
    fill = re.findall(r"\((\d+) fill pages?", measured["full"][-1]["stdout"])
    cases["full_render"]["fill_pages"] = int(fill[-1]) if fill else 0
    cases["nothing_changed"]["reused"] = all(r["reused"] for r in measured["unchanged"])
    return cases


COUNTED_LIMITS = {"seconds": 24 * 3600, "memory_mb": 30000}  # a render under callgrind: 20-40 times slower, larger


def instruction_cases(manifest: Path, tmp: Path) -> dict[str, dict]:
    """Bare WeasyPrint and the full render, each once under callgrind (bench/instructions.py), on a copy of the
    issue whose publication's render limits leave room for the slowdown: the instructions each executed."""
    src = tmp / "counted-src"
    shutil.copytree(manifest.parent, src, ignore=IGNORED)
    copy, publication = src / manifest.name, src / PUBLICATION_FILE
    data = yaml.safe_load(publication.read_text("utf-8")) if publication.is_file() else {}
    publication.write_text(yaml.safe_dump({**data, "limits": COUNTED_LIMITS}, allow_unicode=True), "utf-8")
    bare_command, documents, _ = bare_case(copy, tmp)
    out = tmp / "counted-full"
    render = [*IB, "render", str(copy), "--out", str(out), "--force"]
    run_case(render, out)  # untimed: the caches of converted pictures and fonts warm, as for the timed full render
    forget_layout(out)
    cases = {}
    for name, label, command in (
        ("bare_weasyprint", "bare weasyprint on the HTML laid out", bare_command),
        ("full_render", "render --force, every section laid out (print, web, web page)", render),
    ):
        print(f"counting {name} ...", file=sys.stderr)
        cases[name] = {"label": label, **count_instructions(command)}
    cases["bare_weasyprint"]["documents"] = [d.name for d in documents]
    return cases


def instruction_table(cases: dict[str, dict]) -> tuple[str, dict]:
    """The counted cases as a table with issue 13's CPU ratio taken in instructions, and that ratio."""
    value = cases["full_render"]["instructions"] / cases["bare_weasyprint"]["instructions"]
    ratio = {"label": "#13 full render / bare, instructions", "value": value, "target": 1.4, "met": value <= 1.4}
    lines = [f"{'case':<66}{'instructions':>16}{'processes':>11}"]
    for case in cases.values():
        lines.append(f"{case['label']:<66}{case['instructions'] / 1e9:>14.2f} G{case['processes']:>11}")
    verdict = "met" if ratio["met"] else "NOT met"
    lines.append(f"\n{ratio['label']:<66}{value:>16.2f}  target <= 1.4 (of CPU time): {verdict}")
    return "\n".join(lines), ratio


def synthetic_case(manifest: Path, tmp: Path, pages: int, base: dict) -> dict:
    """Render a synthetic issue of about `pages` pages once; a failure is recorded, not raised."""
    new = make_synthetic(manifest, pages, base["pages"], tmp / f"synthetic-{pages}", base["fill_pages"])
    out = tmp / f"synthetic-{pages}-out"
    command = [*IB, "render", str(new), "--out", str(out), "--force"]
    m = checked_measure(command)
    files = outputs(out) if out.is_dir() else {}
    case = {
        "label": f"synthetic issue, about {pages} pages",
        "command": command,
        "wall_s": m["wall"],
        "cpu_s": m["cpu"],
        "peak_rss_mb": m["rss_mb"],
        "output_mb": sum(files.values()) / 1e6,
        "files": files,
        "target_pages": pages,
        "articles": len(yaml.safe_load(new.read_text("utf-8"))["articles"]),
        "completed": m["code"] == 0,
        "exit_code": m["code"],
        "load_before": m["load_before"],
    }
    case["pages"] = pages_of(m["stdout"], sorted(out.glob("*-print.pdf"))) if case["completed"] else 0
    if not case["completed"]:
        case["error"] = m["stderr"][:3000]
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=ROOT / "issues" / "18.yaml")
    parser.add_argument("--scales", default="192,384", help="Page counts of the synthetic issues (empty: none).")
    parser.add_argument("--runs", type=int, default=1, help="Repeats of the base issue's cases (medians).")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="Instead of timing: count the instructions of bare WeasyPrint and of the full render under Valgrind.",
    )
    args = parser.parse_args()
    manifest = args.manifest.resolve()
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    # the package as it is installed: byte-compiled (an editable install is not; stale files are compiled again)
    compileall.compile_dir(ROOT / "issue_builder", quiet=1)
    started = time.perf_counter()
    if args.instructions:
        with tempfile.TemporaryDirectory(prefix="issue-bench-") as tmp_name:
            counted = instruction_cases(manifest, Path(tmp_name))
        text, ratio = instruction_table(counted)
        result = {"manifest": str(manifest), "seconds": time.perf_counter() - started, "cases": counted}
        write_result({**result, "ratios": {"full_instructions_over_bare": ratio}}, text, args.json)
        return
    with tempfile.TemporaryDirectory(prefix="issue-bench-") as tmp_name:
        tmp = Path(tmp_name)
        cases = base_cases(manifest, tmp, args.runs)
        print(f"base issue done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        cases.update(edit_cases(manifest, tmp, args.runs))
        cases["watch_edit"] = watch_case(manifest, tmp, args.runs)
        cases["watch_print_edit"] = watch_case(manifest, tmp, args.runs, only="print")
        for pages in scales:
            print(f"synthetic {pages} pages ...", file=sys.stderr)
            cases[f"synthetic_{pages}"] = synthetic_case(manifest, tmp, pages, cases["full_render"])
    busy = sorted(BUSY_SEEN | set(busy_processes()))
    result = {
        "manifest": str(manifest),
        "runs": args.runs,
        "scales": scales,
        "settle_ms": SETTLE_MS,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": os.getloadavg(),
            "other_busy_processes": busy,
        },
        "seconds": time.perf_counter() - started,
        "cases": cases,
        "ratios": ratios(cases, scales),
    }
    write_result(result, table(result), args.json)


def write_result(result: dict, text: str, path: Path) -> None:
    print(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), "utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
