"""Benchmark: ``pmsync report`` over 1,000 postmortems with 10,000 action items (target < 2 s).

Writes the documents to a temporary directory, then times each stage the command runs:
extraction (read + parse), building the report, and rendering it in every format. Prints one
line per stage and the whole, and writes the figures as JSON (``--json PATH``, default
``bench/results/report.json``). ``--profile`` prints where extraction spends its time.

    python bench/report_bench.py [--documents 1000] [--items 10] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from syncer.parse.extract import extract  # noqa: E402
from syncer.render.report import print_text, report_csv, report_json, report_markdown, slack_message  # noqa: E402
from syncer.report import build_report  # noqa: E402

AS_OF = date(2025, 6, 1)
OWNERS = [f"@owner{n}" for n in range(40)] + ["", "Platform Team"]
STATUSES = ["Open", "In progress", "Done", "Won't do", "TODO", "✅", ""]


def write_corpus(folder: Path, documents: int, items: int, seed: int = 7) -> int:
    """``documents`` postmortems of ``items`` table rows each; returns the items written."""
    rng = random.Random(seed)
    total = 0
    for n in range(documents):
        incident = date(2024, 1, 1) + timedelta(days=rng.randrange(500))
        rows = []
        for i in range(items):
            due = incident + timedelta(days=rng.randrange(-10, 200))
            ticket = rng.choice(["", f"OPS-{n * items + i + 1}", f"#{i + 1}"])
            rows.append(f"| {i + 1} | Fix thing {i} of incident {n} with a reasonably long title "
                        f"| {rng.choice(OWNERS)} | {due.isoformat() if rng.random() > 0.05 else ''}"
                        f" | P{rng.randrange(4)} | {rng.choice(STATUSES)} | {ticket} |")
            total += 1
        text = (
            f"---\nincident_id: INC-{n:04d}\ndate: {incident.isoformat()}\n"
            f"severity: SEV-{rng.randrange(1, 4)}\ntitle: Incident {n}\n---\n\n"
            f"# Incident {n}\n\n## Summary\n\nSomething broke. " + "Words. " * 80 + "\n\n"
            "## Timeline\n\n| Time | Event |\n|---|---|\n| 10:00 | Alert |\n| 10:30 | Fixed |\n\n"
            "## Action items\n\n| # | Action | Owner | Due | Priority | Status | Ticket |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
        )
        (folder / f"{incident.isoformat()}-incident-{n:04d}.md").write_text(text, encoding="utf-8")
    return total


def _text(report: object) -> None:
    from rich.console import Console

    print_text(Console(file=io.StringIO(), width=160), report)  # type: ignore[arg-type]


def _time_once(folder: Path, settings: Any) -> tuple[dict[str, float], int, Any]:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    extraction = extract([folder], settings)
    timings["extract"] = time.perf_counter() - start
    found = sum(len(d.items) for d in extraction.documents)
    mark = time.perf_counter()
    report = build_report(extraction.documents, AS_OF)
    timings["build_report"] = time.perf_counter() - mark
    for name, render in (("render_json", report_json), ("render_csv", report_csv),
                         ("render_markdown", report_markdown),
                         ("render_slack", slack_message), ("render_text", _text)):
        mark = time.perf_counter()
        render(report)
        timings[name] = time.perf_counter() - mark
    # What `pmsync report --format markdown` does: extract, build, render once.
    timings["report_markdown_total"] = (timings["extract"] + timings["build_report"]
                                        + timings["render_markdown"])
    timings["report_text_total"] = (timings["extract"] + timings["build_report"]
                                    + timings["render_text"])
    return timings, found, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10, help="items per document")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "report.json")
    parser.add_argument("--repeat", type=int, default=5, help="runs; medians are reported")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    settings = load_settings(None)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        written = write_corpus(folder, args.documents, args.items)
        runs = [_time_once(folder, settings) for _ in range(args.repeat)]
        timings = {name: statistics.median(run[0][name] for run in runs) for name in runs[0][0]}
        best = min(run[0]["report_markdown_total"] for run in runs)
        found, report = runs[-1][1], runs[-1][2]
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            extract([folder], settings)
            profiler.disable()
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
            print(stream.getvalue())
    for name, seconds in timings.items():
        print(f"{name:>22}: {seconds:7.3f} s")
    total = timings["report_markdown_total"]
    verdict = "OK" if total < 2.0 else "OVER the 2 s target"
    print(f"{args.documents} documents, {written} items written, {found} found, "
          f"{report.metrics.overdue} overdue: median {total:.2f} s, best {best:.2f} s of "
          f"{args.repeat} runs end to end ({verdict})")
    result = {
        "benchmark": "report", "documents": args.documents, "items_written": written,
        "items_found": found, "overdue": report.metrics.overdue,
        "runs": args.repeat, "median_seconds": {k: round(v, 4) for k, v in timings.items()},
        "best_total_seconds": round(best, 4),
        "target_seconds": 2.0, "python": platform.python_version(),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
