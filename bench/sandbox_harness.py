"""What the sync benchmarks share: a generated corpus, sandbox settings, request counting and
the printed table / JSON result.

Run the benchmarks from the repository root (``python bench/pull_bench.py``); they are not part of
the test suite. Every figure they print comes from the sandbox's request log and a monotonic
clock, nothing is estimated.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.settings import Settings, load_settings
from connectors.base import Tracker
from connectors.sandbox import PrimaryLimits, Sandbox
from syncer.logs import configure_logging
from syncer.sync.trackers import TrackerPool

RESULTS = Path(__file__).resolve().parent / "results"

#: GitHub's primary budget (5,000 core requests an hour) would stop the set-up of 5,000 issues
#: and the naive loop's 5,000 reads alike; the benchmark measures requests, not that budget.
GENEROUS = PrimaryLimits(core=1_000_000, search=30, graphql=1_000_000)

#: Benchmark flavour → (tracker name, Sandbox keyword arguments).
FLAVOURS: dict[str, tuple[str, dict[str, Any]]] = {
    "jira-cloud": ("jira", {"flavour": "cloud"}),
    "jira-server": ("jira", {"flavour": "server"}),
    "github": ("github", {"github_layout": "github.com", "primary_limits": GENEROUS}),
}

OWNERS = ("@alice",)  # a person both sandboxes know, so no run warns about owners
PRIORITIES = ("P1", "P2", "P3")


def document_text(doc: int, first: int, count: int) -> str:
    """A postmortem with ``count`` unlinked action items in one table (items ``first``…)."""
    rows = []
    for n in range(first, first + count):
        rows.append(
            f"| {n} | Follow-up {n}: harden component {n % 97} against retry storms "
            f"| {OWNERS[n % len(OWNERS)]} | 2025-{1 + n % 12:02d}-{1 + n % 28:02d} "
            f"| {PRIORITIES[n % len(PRIORITIES)]} | Open | |"
        )
    return (
        f"# Postmortem {doc}: synthetic incident for the benchmark\n\n"
        f"**Incident ID:** INC-{doc:05d}\n**Date:** 2025-01-15\n\n"
        "## Summary\n\nA generated document; only its action items matter here.\n\n"
        "## Action items\n\n"
        "| ID | Action | Owner | Due | Priority | Status | Ticket |\n"
        "|----|--------|-------|-----|----------|--------|--------|\n" + "\n".join(rows) + "\n"
    )


def write_corpus(folder: Path, items: int, documents: int) -> list[Path]:
    """``items`` action items spread evenly over ``documents`` Markdown files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    per, extra = divmod(items, documents)
    first = 1
    for doc in range(documents):
        count = per + (1 if doc < extra else 0)
        path = folder / f"pm-{doc:04d}.md"
        path.write_text(document_text(doc, first, count), encoding="utf-8")
        paths.append(path)
        first += count
    return paths


def sandbox_settings(sandbox: Sandbox, tracker: str, **github: Any) -> Settings:
    """Settings pointing at ``sandbox``, as a user's environment would; the benchmarks create
    thousands of tickets in one push, so ``push.max_create`` is off."""
    return load_settings(
        None,
        tracker=tracker,
        push={"max_create": 0},
        jira={"url": sandbox.jira_url, "email": sandbox.jira_email, "token": sandbox.jira_token,
              "project": sandbox.jira_project, "timeout": 30},
        github={"repo": sandbox.github_repo, "token": sandbox.github_token,
                "api_url": sandbox.github_api_url, "timeout": 30, **github},
    )


class PresetPool(TrackerPool):
    """A tracker pool whose trackers were built (and adjusted) by the benchmark beforehand."""

    def __init__(self, settings: Settings, trackers: dict[str, Tracker]) -> None:
        super().__init__(settings)
        self.preset = trackers

    def get(self, name: str) -> Tracker:
        """The preset tracker, else one built from settings."""
        return self.preset.get(name) or super().get(name)


@dataclass
class Requests:
    """What the sandbox saw during a measured step."""

    total: int
    writes: int  # requests that could change data (not GET/HEAD, not search or GraphQL POSTs)
    creates: int  # POSTs that create tickets (Jira /issue and /issue/bulk, GitHub …/issues)
    limit_errors: int  # 403 and 429 answers
    by_route: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """For the JSON result file."""
        return {"total": self.total, "writes": self.writes, "creates": self.creates,
                "limit_errors": self.limit_errors, "by_route": self.by_route}


def naive_jira_client(sandbox: Sandbox) -> Any:
    """A plain ``jira.JIRA`` for the sandbox's flavour, as a hand-written script would make it."""
    from jira import JIRA

    auth: dict[str, Any] = (
        {"basic_auth": (sandbox.jira_email, sandbox.jira_token)}
        if sandbox.options.flavour == "cloud"
        else {"token_auth": sandbox.jira_token}
    )
    return JIRA(sandbox.jira_url, max_retries=0, timeout=30, **auth)


def is_write(method: str, route: str) -> bool:
    """Whether a request could change data (searches and GraphQL queries are read-only POSTs)."""
    if method in ("GET", "HEAD"):
        return False
    return not (method == "POST" and ("search" in route or "graphql" in route))


def is_create(method: str, route: str) -> bool:
    """Whether a request creates tickets."""
    return method == "POST" and (
        route.endswith(("/issue", "/issue/bulk", "/issues"))
    )


def requests_seen(sandbox: Sandbox) -> Requests:
    """Counts from the request log since it was last cleared."""
    log = sandbox.admin.request_log()
    by_route: dict[str, int] = {}
    for record in log:
        name = f"{record['method']} {record['route']}"
        by_route[name] = by_route.get(name, 0) + 1
    return Requests(
        total=len(log),
        writes=sum(1 for r in log if is_write(r["method"], r["route"])),
        creates=sum(1 for r in log if is_create(r["method"], r["route"])),
        limit_errors=sum(1 for r in log if r["status"] in (403, 429)),
        by_route=dict(sorted(by_route.items(), key=lambda kv: -kv[1])),
    )


@contextmanager
def measured(sandbox: Sandbox, latency: float) -> Iterator[dict[str, Any]]:
    """Clear the log, switch ``latency`` on, time the block; fills ``seconds`` and ``requests``."""
    sandbox.admin.clear_request_log()
    sandbox.admin.configure(latency=latency)
    box: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - started
        sandbox.admin.configure(latency=0.0)
        box["requests"] = requests_seen(sandbox)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table on standard output."""
    cells = [[str(c) for c in columns]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  ".join(v.rjust(w) if index else v.ljust(w) for v, w in zip(row, widths)))
        if index == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """``bench/results/<name>.json`` with the figures and where they were measured."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        **payload,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def quiet_logs() -> None:
    """Warnings only, as the CLI logs by default (info lines would cost time and bury the table)."""
    configure_logging("console", 0)


def parse_sizes(text: str) -> list[int]:
    """``"100,1000"`` → ``[100, 1000]``."""
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
