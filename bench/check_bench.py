"""How long a user waits for ``pmsync check`` over a folder of postmortems (run by hand).

The target, as users feel it: ``pmsync check`` over 500 typical postmortems of about 20 KB each
finishes in at most 3 s end to end: interpreter start-up, settings, discovery, parsing and the
lint, as a person or a CI job runs it. The documents are generated (the realistic shapes of
``bench/parse_bench.py``: metadata, prose, a timeline, code, an action table and follow-up
lists), each grown to 20 KB with prose; each run is a fresh ``pmsync`` process.

Usage::

    python bench/check_bench.py [--docs 500] [--size 20000] [--repeat 3]

Prints the best and median of the runs against the target, and writes JSON
(default ``bench/results/check.json``).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from parse_bench import _paragraph, realistic_document  # noqa: E402

TARGET_S = 3.0


def write_documents(where: Path, docs: int, size: int, seed: int = 7) -> int:
    """Write ``docs`` postmortems of at least ``size`` bytes; return their total size."""
    rng = random.Random(seed)
    total = 0
    for index in range(docs):
        text = realistic_document(index, rng)
        while len(text.encode()) < size:
            text += _paragraph(rng) + "\n\n"
        path = where / f"2024-{index:04d}-incident.md"
        path.write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


def pmsync() -> list[str]:
    """The installed ``pmsync`` command, else the module run by this interpreter."""
    found = shutil.which("pmsync")
    return [found] if found else [sys.executable, "-m", "syncer"]


def timed_check(folder: Path) -> float:
    """Seconds one ``pmsync check`` process takes over ``folder`` (exit 0 or 1: a lint result)."""
    command = [*pmsync(), "check", "--as-of", "2025-04-15", "--format", "json", str(folder)]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"pmsync check failed with exit {done.returncode}: {done.stderr.strip()}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per document (at least)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "check.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmsync-check-bench-") as tmp:
        folder = Path(tmp)
        total = write_documents(folder, args.docs, args.size)
        runs = [timed_check(folder) for _ in range(args.repeat)]
    best, median = min(runs), statistics.median(runs)
    print(f"pmsync check over {args.docs} documents ({total / 1e6:.1f} MB), "
          f"{args.repeat} runs: best {best:.2f} s, median {median:.2f} s")
    print(f"target: <= {TARGET_S:.0f} s end to end: {'met' if median <= TARGET_S else 'NOT met'}")
    report = {
        "python": platform.python_version(), "platform": platform.platform(),
        "docs": args.docs, "bytes": total, "runs_s": runs, "best_s": best, "median_s": median,
        "target_s": TARGET_S, "met": median <= TARGET_S,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
