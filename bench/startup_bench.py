"""CLI start-up time of pmsync against a bare interpreter (run by hand, not in the tests).

Measures the median wall time of N runs each of ``python -c pass``, ``pmsync --help`` and
``pmsync check DOC`` (one small postmortem), and lists the heavy modules that ``pmsync check``
imports (tracker clients, HTTP libraries, logging and rendering libraries).

Usage::

    python bench/startup_bench.py [--runs 15] [--json PATH]

Target (issue 9): ``pmsync --help`` within 2 × ``python -c pass`` + 150 ms, and ``pmsync check``
imports neither ``jira`` nor ``github``. Prints a table and writes JSON (default
``bench/results/startup.json``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = """# Checkout outage

**Date:** 2024-03-14

## Action items

| Action | Owner | Due | Priority | Status |
|--------|-------|-----|----------|--------|
| Add a connection-pool alert | @alice | 2024-04-01 | P1 | Open |
| Document the failover runbook | @bob | 2024-04-15 | P2 | Done |
"""
HEAVY = ("jira", "github", "requests", "urllib3", "structlog", "rich", "pydantic",
         "pydantic_settings", "asyncio", "graphql", "tenacity", "dateutil")
# Runs the CLI in-process and reports which heavy top-level packages ended up imported.
PROBE = (
    "import sys\n"
    "from syncer.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))\n"
    "print('PMSYNC-MODULES', ' '.join(heavy), file=sys.stderr)\n"
)


def _pmsync() -> list[str]:
    script = Path(sys.executable).with_name("pmsync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "syncer"]


def median_ms(command: list[str], runs: int) -> float:
    """Median wall time of ``runs`` runs of ``command`` (one warm-up run first)."""
    subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def imported(args: list[str]) -> list[str]:
    """Heavy top-level packages that ``pmsync ARGS`` imports."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    for line in done.stderr.splitlines():
        if line.startswith("PMSYNC-MODULES"):
            return line.split()[1:]
    raise RuntimeError(f"probe failed: {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmsync-startup-") as tmp:
        doc = Path(tmp) / "2024-03-14-checkout.md"
        doc.write_text(DOCUMENT, encoding="utf-8")
        check_args = ["check", "--as-of", "2024-03-20", str(doc)]
        results = {
            "python -c pass": median_ms([sys.executable, "-c", "pass"], args.runs),
            "pmsync --help": median_ms([*_pmsync(), "--help"], args.runs),
            "pmsync check DOC": median_ms([*_pmsync(), *check_args], args.runs),
        }
        modules = {"--help": imported(["--help"]), "check": imported(check_args)}
    budget = round(2 * results["python -c pass"] + 150, 1)
    print(f"{'command':<20} {'median ms':>10}")
    for name, ms in results.items():
        print(f"{name:<20} {ms:>10.1f}")
    print(f"target for --help: <= {budget} ms (2 x python -c pass + 150 ms): "
          f"{'met' if results['pmsync --help'] <= budget else 'NOT met'}")
    for name, found in modules.items():
        print(f"heavy modules imported by {name}: {', '.join(found) or 'none'}")
    tracker_clients = sorted(set(modules["check"]) & {"jira", "github"})
    print(f"check imports tracker clients: {', '.join(tracker_clients) or 'no'}")
    report = {
        "python": platform.python_version(), "platform": platform.platform(),
        "runs": args.runs, "median_ms": results, "help_budget_ms": budget,
        "help_within_budget": results["pmsync --help"] <= budget,
        "heavy_modules": modules,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
