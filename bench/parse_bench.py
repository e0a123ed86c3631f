"""Parse throughput and peak memory of pmsync's document parser (run by hand, not in the tests).

Generates two synthetic corpora in a temporary directory:

* ``big``: one document holding a single action-item table with many rows (60,000 by default),
  about 6 MB;
* ``docs``: 1,000 realistic postmortems of 5–20 KB each, mixing metadata, prose, timelines, code
  blocks, an action-item table and checkbox / bullet lists of follow-ups.

and, when ``../shared/corpus`` sits beside the checkout, ``real``: 1,000 documents made by
cycling through its 35 real postmortems (``dev/`` and ``eval/``, read in place, never copied into
the project; each repeats about 28 times, which flatters the parser's caches); then measures, for
each, the throughput in MB/s of :func:`syncer.parse.extract.extract` (what every command runs) and of
its three steps separately (``read_document``, ``parse_items``, ``parse_list_items``). Every
timed run is the first parse in a fresh interpreter, so caches start cold as in a real run. Peak memory for the 1,000 documents is measured in a fresh interpreter
(``ru_maxrss``, and the ``tracemalloc`` peak of the extraction alone).

Usage::

    python bench/parse_bench.py [--rows 60000] [--docs 1000] [--repeat 3] [--json PATH]
    python bench/parse_bench.py --keep DIR      # also leave the generated corpora in DIR

Prints a table and writes JSON (default ``bench/results/parse.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OWNERS = ["@alice", "@bob-smith", "@carol", "Dave Jones", "[Erin](https://example.com/erin)",
          "sre-team", "@frank", "N/A", "TBD", "grace@example.com"]
STATUSES = ["Done", "done ✅", "In progress", "🟡 WIP", "Open", "TODO", "Not started", "Blocked",
            "Won't fix", "✅", "[x]", "Closed", "Pending review", "", "in review"]
PRIORITIES = ["P0", "P1", "P2", "P3", "High", "Medium", "Low", "", "**P1**"]
VERBS = ["Add", "Fix", "Document", "Alert on", "Automate", "Remove", "Rate-limit", "Backfill",
         "Audit", "Migrate", "Test", "Review", "Monitor", "Upgrade", "Deprecate"]
THINGS = ["connection pool limits", "the checkout retry storm", "DNS failover runbook",
          "disk usage on db-3", "stale feature flags", "the deploy pipeline canary",
          "certificate expiry", "queue back-pressure", "the payments timeout", "log retention",
          "`max_connections` in pgbouncer", "cache stampede protection", "on-call handover",
          "the 5xx dashboard", "replica lag", "rollback tooling", "load-test coverage"]
WORDS = ["the", "a", "service", "request", "latency", "database", "cluster", "error", "rate", "customer", "traffic", "deploy", "rollback", "alert", "page", "on-call", "engineer", "region", "failover", "config", "queue", "worker", "timeout", "retry", "cache", "node", "pod", "memory", "cpu", "disk", "network", "upstream", "downstream", "incident", "impact", "mitigation", "users", "were", "unable", "to", "checkout", "between", "and", "after", "before", "during"]


def _date(rng: random.Random, base: date) -> str:
    day = base + timedelta(days=rng.randint(-20, 120))
    style = rng.randrange(7)
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.month}/{day.day}/{day.year}"
    if style == 2:
        return day.strftime("%b %d, %Y")
    if style == 3:
        return day.strftime("%d %B %Y")
    if style == 4:
        return day.strftime("%B %d")  # year inferred from the incident date
    if style == 5:
        return f"{day.month}/{day.day}"
    return rng.choice(["", "TBD", "next sprint", "Q3", day.isoformat()])


def _ticket(rng: random.Random, n: int) -> str:
    style = rng.randrange(8)
    if style == 0:
        return f"OPS-{n}"
    if style == 1:
        return f"[PAY-{n}](https://jira.example.com/browse/PAY-{n})"
    if style == 2:
        return f"#{n}"
    if style == 3:
        return f"https://github.com/acme/shop/issues/{n}"
    if style == 4:
        return f"acme/infra#{n}"
    if style == 5:
        return f"b/{100000 + n}"
    return ""


def _title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(THINGS)}"


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(2, 6)))


def big_document(rows: int, seed: int = 1) -> str:
    """One postmortem whose action-item table has ``rows`` rows."""
    rng = random.Random(seed)
    base = date(2024, 3, 14)
    out = ["# Incident 2024-03-14: checkout outage", "", "**Date:** 2024-03-14",
           "**Severity:** SEV-2", "", "## Action items", "",
           "| # | Action | Owner | Due | Priority | Status | Ticket |",
           "|---|--------|-------|-----|----------|--------|--------|"]
    for n in range(1, rows + 1):
        out.append(f"| {n} | {_title(rng)} | {rng.choice(OWNERS)} | {_date(rng, base)} | "
                   f"{rng.choice(PRIORITIES)} | {rng.choice(STATUSES)} | {_ticket(rng, n)} |")
    return "\n".join(out) + "\n"


def realistic_document(index: int, rng: random.Random) -> str:
    """A postmortem of roughly 5–20 KB with the shapes real ones have."""
    base = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
    out: list[str] = []
    if rng.random() < 0.3:
        out += ["---", f"title: Incident {index}", f"date: {base.isoformat()}", "severity: SEV-3",
                "---", ""]
    out += [f"# Postmortem: {_title(rng)} ({index})", ""]
    out += [f"**Incident ID:** INC-{base.year}-{index:04d}", f"**Date:** {base.isoformat()}",
            f"**Severity:** SEV-{rng.randint(1, 4)}", "**Authors:** @alice, @bob", ""]
    out += ["## Summary", "", _paragraph(rng), ""]
    out += ["## Impact", "", _paragraph(rng), "", _paragraph(rng), ""]
    out += ["## Timeline", ""]
    for minute in range(rng.randint(6, 25)):
        out.append(f"- {10 + minute // 6:02d}:{(minute * 7) % 60:02d} UTC {_sentence(rng, 9)}")
    out += ["", "## Root cause", "", _paragraph(rng), ""]
    if rng.random() < 0.5:
        out += ["```yaml", "pool:", "  max: 20", "  timeout: 30s", "| not | a | table |",
                "|---|---|---|", "```", ""]
    out += ["## Lessons learned", "", "### What went well", ""]
    out += [f"- {_sentence(rng, 8)}" for _ in range(rng.randint(2, 6))]
    out += ["", "### What went wrong", ""]
    out += [f"* {_sentence(rng, 10)}" for _ in range(rng.randint(2, 6))]
    out += ["", "## Action items", ""]
    shape = rng.randrange(3)
    n_items = rng.randint(5, 40)
    if shape in (0, 2):
        out += ["| ID | Action Item | Owner | Due Date | Priority | Status | Ticket |",
                "|:--:|-------------|-------|----------|:--------:|--------|--------|"]
        for n in range(1, n_items + 1):
            out.append(f"| AI-{n} | {_title(rng)} | {rng.choice(OWNERS)} | {_date(rng, base)} | "
                       f"{rng.choice(PRIORITIES)} | {rng.choice(STATUSES)} | "
                       f"{_ticket(rng, index * 100 + n)} |")
        out.append("")
    if shape in (1, 2):
        out += ["### Follow-ups", ""]
        for n in range(1, n_items + 1):
            box = rng.choice(["[ ] ", "[x] ", ""])
            extra = rng.choice(["", f" (owner: {rng.choice(OWNERS)})", f" due {_date(rng, base)}",
                                f" ({rng.choice(['Done', 'In progress', 'WIP'])})",
                                f" - {_ticket(rng, n)}", " TODO"])
            out.append(f"- {box}{_title(rng)}{extra}")
            if rng.random() < 0.2:
                out.append(f"  - Owner: {rng.choice(OWNERS)}")
        out.append("")
    out += ["## Appendix", ""]
    while sum(len(line) + 1 for line in out) < rng.randint(5_000, 20_000):
        out += [_paragraph(rng), ""]
    return "\n".join(out) + "\n"


def write_corpora(where: Path, rows: int, docs: int) -> tuple[Path, Path]:
    """Write the big document and the directory of realistic documents under ``where``."""
    big = where / "big" / "big-postmortem.md"
    big.parent.mkdir(parents=True)
    big.write_text(big_document(rows), encoding="utf-8")
    many = where / "docs"
    many.mkdir()
    rng = random.Random(7)
    for index in range(docs):
        (many / f"pm-{index:04d}.md").write_text(realistic_document(index, rng), encoding="utf-8")
    return big, many


SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def write_real_corpus(where: Path, docs: int) -> Path | None:
    """``docs`` documents cycling through ../shared/corpus's real postmortems, or None without it."""
    sources = sorted(SHARED_CORPUS.glob("dev/*.md")) + sorted(SHARED_CORPUS.glob("eval/*.md"))
    if not sources:
        return None
    real = where / "real"
    real.mkdir()
    for index in range(docs):
        source = sources[index % len(sources)]
        (real / f"{index:04d}-{source.name}").write_bytes(source.read_bytes())
    return real


def _settings() -> object:
    from config.settings import Settings

    # The big document is larger than a postmortem is allowed to be by default.
    return Settings(max_document_mb=64)


def timing_child(target: Path) -> None:
    """Run in a fresh interpreter: time one extract() of ``target``, or (PMSYNC_BENCH_STEPS=1)
    its three steps one after the other.

    A fresh interpreter per run keeps the parser's caches cold: parsing a document a second time
    in the same process is faster than any real run, which parses each document once.
    """
    from syncer.markdown.document import read_document
    from syncer.parse.discovery import discover
    from syncer.parse.extract import extract
    from syncer.parse.list_items import parse_list_items
    from syncer.parse.options import parse_options
    from syncer.parse.table_items import parse_items

    settings = _settings()
    if os.environ.get("PMSYNC_BENCH_STEPS") != "1":
        started = time.perf_counter()
        result = extract([target], settings)  # type: ignore[arg-type]
        extract_s = time.perf_counter() - started
        assert not result.errors, result.errors
        print(json.dumps({"extract": extract_s,
                          "items": sum(len(d.items) for d in result.documents)}))
        return
    paths = discover([target])
    options = parse_options(settings)  # type: ignore[arg-type]
    read = items_time = lists_time = 0.0
    for path in paths:
        t0 = time.perf_counter()
        doc = read_document(path, max_bytes=64 * 1024 * 1024)
        t1 = time.perf_counter()
        parsed = parse_items(doc, options)
        t2 = time.perf_counter()
        parse_list_items(parsed, options)
        t3 = time.perf_counter()
        read, items_time, lists_time = read + t1 - t0, items_time + t2 - t1, lists_time + t3 - t2
    print(json.dumps({"read": read, "parse_items": items_time, "parse_list_items": lists_time}))


def _child(target: Path, steps: bool) -> dict[str, float]:
    env = dict(os.environ, PMSYNC_BENCH_STEPS="1" if steps else "0")
    done = subprocess.run(
        [sys.executable, __file__, "--timing-child", str(target)],
        capture_output=True, text=True, check=True, env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(target: Path, repeat: int) -> dict[str, float | int]:
    """Throughput of extract() and of its steps over ``target`` (file or directory), best of N
    runs, each in a fresh interpreter (cold caches)."""
    from syncer.parse.discovery import discover

    paths = discover([target])
    size = sum(p.stat().st_size for p in paths)
    extract_runs = [_child(target, steps=False) for _ in range(repeat)]
    step_runs = [_child(target, steps=True) for _ in range(repeat)]
    best = {
        "extract": min(run["extract"] for run in extract_runs),
        **{step: min(run[step] for run in step_runs)
           for step in ("read", "parse_items", "parse_list_items")},
    }
    mb = size / 1e6
    return {
        "documents": len(paths), "bytes": size, "items": int(extract_runs[0]["items"]),
        "extract_s": round(best["extract"], 4),
        "extract_mb_s": round(mb / best["extract"], 2),
        "extract_median_s": round(statistics.median(run["extract"] for run in extract_runs), 4),
        "read_s": round(best["read"], 4),
        "parse_items_s": round(best["parse_items"], 4),
        "parse_list_items_s": round(best["parse_list_items"], 4),
        "parse_only_mb_s": round(mb / (best["parse_items"] + best["parse_list_items"]), 2),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` where there is /proc: ``ru_maxrss`` also
    counts the parent's memory at fork time on Linux, which would inflate a child's figure."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def memory_child(target: Path) -> None:
    """Run in a fresh interpreter: extract ``target`` once, print peak memory as JSON."""
    import tracemalloc

    from syncer.parse.extract import extract

    settings = _settings()
    baseline = _peak_rss_mb()
    result = extract([target], settings)  # type: ignore[arg-type]
    peak = _peak_rss_mb()  # measured before tracemalloc adds its own bookkeeping
    documents, items = len(result.documents), sum(len(d.items) for d in result.documents)
    del result
    tracemalloc.start()
    traced = extract([target], settings)  # type: ignore[arg-type]
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    print(json.dumps({
        "documents": documents,
        "items": items,
        "maxrss_mb": round(peak, 1),
        "maxrss_after_imports_mb": round(baseline, 1),
        "tracemalloc_peak_mb": round(traced_peak / 1e6, 1),
    }))


def measure_memory(target: Path) -> dict[str, float | int]:
    """Peak memory of extracting ``target`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(target)],
        capture_output=True, text=True, check=True,
    )
    result: dict[str, float | int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000, help="rows of the big table")
    parser.add_argument("--docs", type=int, default=1_000, help="number of realistic documents")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "parse.json")
    parser.add_argument("--keep", type=Path, help="copy the generated corpora to this directory")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--timing-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    if args.timing_child:
        timing_child(args.timing_child)
        return 0
    with tempfile.TemporaryDirectory(prefix="pmsync-parse-bench-") as tmp:
        big, many = write_corpora(Path(tmp), args.rows, args.docs)
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
        real = write_real_corpus(Path(tmp), args.docs)
        results = {
            "big": measure(big, args.repeat),
            "docs": measure(many, args.repeat),
        }
        if real is not None:
            results["real"] = measure(real, args.repeat)
        else:
            print(f"no {SHARED_CORPUS}: the real-document corpus is skipped")
        memory = measure_memory(many)
    print(f"{'corpus':<8} {'docs':>5} {'MB':>6} {'items':>7} {'extract s':>10} {'MB/s':>7} "
          f"{'read s':>7} {'items s':>8} {'lists s':>8} {'parse MB/s':>10}")
    for name, r in results.items():
        print(f"{name:<8} {r['documents']:>5} {r['bytes'] / 1e6:>6.2f} {r['items']:>7} "
              f"{r['extract_s']:>10.3f} {r['extract_mb_s']:>7.2f} {r['read_s']:>7.3f} "
              f"{r['parse_items_s']:>8.3f} {r['parse_list_items_s']:>8.3f} "
              f"{r['parse_only_mb_s']:>10.2f}")
    print(f"peak memory, {memory['documents']} documents: ru_maxrss {memory['maxrss_mb']} MB "
          f"(after imports {memory['maxrss_after_imports_mb']} MB), tracemalloc peak "
          f"{memory['tracemalloc_peak_mb']} MB")
    report = {
        "python": platform.python_version(), "platform": platform.platform(),
        "rows": args.rows, "repeat": args.repeat, "corpora": results, "memory": memory,
        "targets": {"mb_s": 20, "peak_memory_mb": 150},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
