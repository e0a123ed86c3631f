"""Two checkouts of one repository push the same postmortems at the same moment.

Each clone is its own git repository (so markers, which are paths from the repository root, are
the same in both), with its own lock folder: nothing on the machine serialises the two runs, as
with a laptop and CI. Both pushes run as threads started together through a barrier, each a
small random delay after it, against a sandbox whose latency spreads every request out (and, for
Jira Cloud, whose search index lags), so both look for markers before either has created.

:func:`trial` counts, per item, the tickets made and the tickets left open right after the two
runs and again after one more push in each clone (the convergence run); ``bench/
two_clones_bench.py`` runs many trials and prints the figures, ``test_two_clones.py`` a few.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.settings import Settings
from connectors.sandbox import Sandbox
from syncer.markdown.document import read_document
from syncer.parse.list_items import parse_list_items
from syncer.parse.table_items import ParseOptions, parse_items
from syncer.sync.push import push
from tests.chaos.corpus import DOCUMENTS, ITEMS

LATENCY = 0.02  # seconds added to every request: the window between looking and creating


@dataclass
class TrialFigures:
    """What one trial saw. A duplicate is a ticket beyond the first for one item."""

    tracker: str
    items: int = ITEMS
    duplicates_created: int = 0  # tickets beyond one per item, open or closed
    open_duplicates_after_race: int = 0  # open tickets beyond one per item after the two runs
    open_duplicates_after_convergence: int = 0  # the same after one more push in each clone
    clones_disagree: int = 0  # items the two clones link to different tickets at the end
    unlinked: int = 0  # items without a link in a clone at the end
    exit_codes: list[int | str] = field(default_factory=list)
    seconds: float = 0.0


def tickets(sandbox: Sandbox, tracker: str) -> list[dict[str, Any]]:
    """Every ticket as the sandbox holds it (no search lag)."""
    if tracker == "jira":
        return sandbox.admin.jira_issues()
    return [i for i in sandbox.admin.github_issues() if not i.get("pull_request")]


def is_open(ticket: dict[str, Any]) -> bool:
    if "statusCategory" in ticket:
        return str(ticket["statusCategory"]) != "done"
    return ticket.get("state") == "open"


def extra(titles: list[str]) -> int:
    """Tickets beyond one per title (every title in the corpus is unique)."""
    return sum(n - 1 for n in Counter(titles).values())


def make_clones(folder: Path) -> list[list[Path]]:
    """Two git repositories holding the same documents; the documents of each."""
    clones = []
    for name in ("clone-a", "clone-b"):
        root = folder / name
        root.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        paths = []
        for document, data in DOCUMENTS.items():
            (root / document).write_bytes(data)
            paths.append(root / document)
        clones.append(paths)
    return clones


def run_together(jobs: list[Callable[[], int]], rng: random.Random) -> list[int | str]:
    """Start ``jobs`` in threads at one moment (each after its own small delay)."""
    barrier = threading.Barrier(len(jobs))
    results: list[int | str] = ["not run"] * len(jobs)
    delays = [rng.uniform(0.0, 0.05) for _ in jobs]

    def run(index: int) -> None:
        barrier.wait()
        time.sleep(delays[index])
        try:
            results[index] = jobs[index]()
        except Exception as exc:
            results[index] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def push_job(paths: list[Path], settings: Settings) -> Callable[[], int]:
    def job() -> int:
        result, _ = push(paths, settings)
        return 1 if result.failed or result.errors else 0
    return job


def links(paths: list[Path]) -> dict[tuple[str, int], str | None]:
    """Each item's linked ticket key, by (document, line)."""
    options = ParseOptions()
    found: dict[tuple[str, int], str | None] = {}
    for path in paths:
        parsed = parse_list_items(parse_items(read_document(path), options), options)
        for item in parsed.items:
            found[(path.name, item.line)] = item.ticket.key if item.ticket else None
    return found


def trial(sandbox: Sandbox, tracker: str, settings: Settings, folder: Path,
          rng: random.Random, before_convergence: Callable[[], None] | None = None
          ) -> TrialFigures:
    """One race of two clones, then (after ``before_convergence``) one more push in each."""
    started = time.monotonic()
    figures = TrialFigures(tracker)
    clones = make_clones(folder)
    figures.exit_codes += run_together([push_job(p, settings) for p in clones], rng)
    made = tickets(sandbox, tracker)
    titles = [str(t.get("summary") or t.get("title")) for t in made]
    figures.duplicates_created = extra(titles)
    figures.open_duplicates_after_race = extra(
        [title for title, ticket in zip(titles, made) if is_open(ticket)])
    if before_convergence is not None:
        before_convergence()
    for paths in clones:
        figures.exit_codes.append(push_job(paths, settings)())
    made = tickets(sandbox, tracker)
    figures.open_duplicates_after_convergence = extra(
        [str(t.get("summary") or t.get("title")) for t in made if is_open(t)])
    first, second = (links(paths) for paths in clones)
    figures.clones_disagree = sum(first[k] != second.get(k) for k in first)
    figures.unlinked = sum(v is None for v in (*first.values(), *second.values()))
    figures.seconds = round(time.monotonic() - started, 2)
    return figures
