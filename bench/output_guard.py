"""Guard against unintended output changes: record what pmsync prints, compare later (by hand).

A refactoring or a speed-up of the parser must not change what users see. This script runs
``pmsync items --format json`` and ``pmsync check --format json --as-of 2025-04-15`` on every
postmortem it knows and records each run's exit code, standard output and standard error;
``compare`` runs them again and reports every document whose output moved, byte for byte.

Documents: ``*.md`` under ``tests/data`` and ``examples`` of this checkout and, when it sits
beside the checkout, ``../shared/corpus`` or the folder ``--corpus`` names (``dev/`` and
``eval/``, read in place; a recording holds their outputs, so keep it outside the project).
Each document is run on its own, with its set's folder as working directory and its relative
path as argument (so a recording made in one checkout compares with another), a pinned empty
config file and no ``PMSYNC_*`` variables.

Usage::

    python bench/output_guard.py record DIR      # before the change
    python bench/output_guard.py compare DIR     # after it: exit 0 identical, 1 differences
    python bench/output_guard.py record DIR --corpus /work/shared/corpus   # from a worktree

Runs the pmsync of the interpreter that runs this script (``python -I -m syncer``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = {"tests": ROOT / "tests" / "data", "examples": ROOT / "examples",
        "corpus": ROOT.parent / "shared" / "corpus"}
COMMANDS = {
    "items": ["items", "--format", "json"],
    "check": ["check", "--format", "json", "--as-of", "2025-04-15"],
}
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Run:
    """One command on one document."""

    command: str
    doc_set: str
    path: str  # relative to the set's folder

    @property
    def name(self) -> str:
        return f"{self.command}/{self.doc_set}/{self.path}"


@dataclass(frozen=True)
class Output:
    """What one run printed, and how it ended."""

    exit_code: int
    stdout: str
    stderr: str


def planned_runs() -> list[Run]:
    """Every command on every document of every set that exists here."""
    runs = []
    for doc_set, folder in SETS.items():
        if not folder.is_dir():
            print(f"output_guard: {folder} is absent; its documents are not guarded",
                  file=sys.stderr)
            continue
        for doc in sorted(folder.rglob("*.md")):
            path = doc.relative_to(folder).as_posix()
            runs += [Run(command, doc_set, path) for command in COMMANDS]
    return runs


def pmsync_starts() -> bool:
    """Whether this interpreter runs pmsync (else every recorded output is the same error)."""
    done = subprocess.run([sys.executable, "-I", "-m", "syncer", "--version"], capture_output=True,
                          check=False)
    if done.returncode != 0:
        print(f"output_guard: {sys.executable} cannot run pmsync (activate the checkout's venv): "
              f"{done.stderr.decode(errors='replace').strip()}", file=sys.stderr)
    return done.returncode == 0


def execute(run: Run, config: Path) -> Output:
    """Run pmsync once, in a fresh interpreter, with a pinned environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PMSYNC_")}
    env.update(COLUMNS="100", NO_COLOR="1", TZ="UTC")
    argv = [sys.executable, "-I", "-m", "syncer", "--config", str(config), *COMMANDS[run.command],
            run.path]
    done = subprocess.run(argv, cwd=SETS[run.doc_set], env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="surrogateescape", check=False)
    return Output(done.returncode, done.stdout, done.stderr)


def execute_all(runs: list[Run], jobs: int) -> dict[str, Output]:
    """Every run's output, by run name."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "pmsync.toml"
        config.write_text("", encoding="utf-8")
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outputs = list(pool.map(lambda run: execute(run, config), runs))
    return {run.name: output for run, output in zip(runs, outputs)}


def record(folder: Path, jobs: int) -> int:
    """Write every run's output into ``folder``."""
    runs = planned_runs()
    outputs = execute_all(runs, jobs)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"runs": [asdict(run) for run in runs],
                "outputs": {name: asdict(output) for name, output in outputs.items()}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    print(f"output_guard: recorded {len(runs)} runs into {folder}")
    return 0


def compare(folder: Path, jobs: int) -> int:
    """Run again everything recorded in ``folder``; 1 when any output differs."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"output_guard: no recording in {folder}: run `record {folder}` first",
              file=sys.stderr)
        return 2
    runs = [Run(**run) for run in manifest["runs"]]
    recorded = {name: Output(**output) for name, output in manifest["outputs"].items()}
    current = execute_all(runs, jobs)
    changed = [name for name in recorded if recorded[name] != current[name]]
    for name in changed:
        print(describe_change(name, recorded[name], current[name]))
    unguarded = sorted({run.name for run in planned_runs()} - set(recorded))
    if unguarded:
        print(f"output_guard: {len(unguarded)} runs not in the recording (new documents), "
              f"e.g. {unguarded[0]}")
    print(f"output_guard: {len(runs) - len(changed)} of {len(runs)} outputs identical")
    return 1 if changed else 0


def describe_change(name: str, before: Output, after: Output) -> str:
    """The first lines of a unified diff of each part of the output that moved."""
    lines = [f"CHANGED {name}"]
    if before.exit_code != after.exit_code:
        lines.append(f"  exit code {before.exit_code} -> {after.exit_code}")
    for part in ("stdout", "stderr"):
        old, new = getattr(before, part), getattr(after, part)
        if old != new:
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), f"recorded {part}",
                                        f"current {part}", lineterm="", n=1)
            lines += ["  " + line for line in list(diff)[:20]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["record", "compare"])
    parser.add_argument("folder", type=Path,
                        help="Where the recording is (kept out of the project).")
    parser.add_argument("--jobs", type=int, default=2, help="Runs at a time (default 2).")
    parser.add_argument("--corpus", type=Path, default=SETS["corpus"],
                        help="The shared corpus folder (default: ../shared/corpus).")
    args = parser.parse_args()
    SETS["corpus"] = args.corpus.resolve()
    if not pmsync_starts():
        return 2
    if args.action == "record":
        return record(args.folder, args.jobs)
    return compare(args.folder, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
