"""Chaos: ``pmsync push`` under seeded random faults and SIGKILL never duplicates or loses a ticket.

Each trial (one seed) picks a tracker flavour, installs a random fault plan in the sandbox (429,
500/502/503, connection resets, lost responses: the write is committed and the answer dropped),
runs ``python -m syncer push`` as a separate process, SIGKILLs it at a random moment in some
trials, runs it again under the same faults, then once more with the faults lifted. After every
run no item may have two tickets; after the last, every item has exactly one ticket, every item
is linked in its document, the documents differ from the originals only in the cells pmsync owns,
and documents and tickets equal those of a fault-free run (ticket numbers aside).

``PMSYNC_CHAOS_TRIALS`` sets the number of trials (default 9, about half a minute);
``PMSYNC_CHAOS_REPORT=path.json`` writes the per-trial figures there;
``PMSYNC_CHAOS_FIRST_SEED`` starts the seeds elsewhere, so a long run can be split in shards.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import FaultKind, FaultPlan, FaultRule, Sandbox
from syncer.markdown.document import read_document
from syncer.model import ActionItem
from syncer.parse.list_items import parse_list_items
from syncer.parse.table_items import ParseOptions, parse_items
from tests.chaos.corpus import (
    DOCUMENTS,
    ITEMS,
    without_owned_cells,
    without_ticket_numbers,
)
from tests.connectors.conftest import FLAVOURS

TRIALS = int(os.environ.get("PMSYNC_CHAOS_TRIALS", "9"))
FIRST_SEED = int(os.environ.get("PMSYNC_CHAOS_FIRST_SEED", "0"))  # to split a long run in shards
CYCLE = ("jira-cloud", "github-com", "jira-server")
KINDS = tuple(FaultKind)
LATENCY = 0.01  # spreads a run out enough that a kill can land anywhere in it
RUN_TIMEOUT = 120


@dataclass
class TrialReport:
    """What one trial saw, for the summary."""

    seed: int
    flavour: str
    rules: int
    killed: bool = False
    faults: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)
    most_tickets_for_one_item: int = 0
    converged_before_clean_run: bool = False
    seconds: float = 0.0


REPORTS: list[TrialReport] = []


@dataclass
class World:
    """One sandbox per flavour, the folder the documents live in, and the fault-free result."""

    sandbox: Sandbox
    tracker: str
    folder: Path
    reference: dict[str, Any] | None = None
    clean_seconds: float = 0.0


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, World]]:
    found: dict[str, World] = {}
    try:
        for flavour in CYCLE:
            tracker, options = FLAVOURS[flavour]
            sandbox = Sandbox(**options, latency=LATENCY, secondary_limit=None).start()
            folder = tmp_path_factory.mktemp(f"chaos-{flavour}")
            # Postmortems live in git: markers are paths from the repository root, whatever the
            # working directory of each run.
            subprocess.run(["git", "init", "-q", str(folder)], check=True)
            found[flavour] = World(sandbox, tracker, folder)
        yield found
    finally:
        for world in found.values():
            world.sandbox.stop()
        _summarise()


def _summarise() -> None:
    if not REPORTS:
        return
    summary = {
        "trials": len(REPORTS),
        "killed": sum(r.killed for r in REPORTS),
        "faults_injected": sum(sum(r.faults.values()) for r in REPORTS),
        "faults_by_kind": dict(sum((Counter(r.faults) for r in REPORTS), Counter())),
        "duplicates": sum(r.most_tickets_for_one_item > 1 for r in REPORTS),
        "converged_before_clean_run": sum(r.converged_before_clean_run for r in REPORTS),
        "seconds": round(sum(r.seconds for r in REPORTS), 1),
    }
    target = os.environ.get("PMSYNC_CHAOS_REPORT")
    if target:
        Path(target).write_text(json.dumps(
            {"summary": summary, "trials": [asdict(r) for r in REPORTS]}, indent=2) + "\n")
    print(f"\nchaos summary: {json.dumps(summary)}", file=sys.stderr)


def random_plan(rng: random.Random, service: str) -> FaultPlan:
    """A fault on writes that leaves their outcome unknown (lost response or reset), then up to
    three more rules of any kind on any of the tracker's requests, each with its own odds."""
    rules = [FaultRule(
        rng.choice([FaultKind.LOST_RESPONSE, FaultKind.LOST_RESPONSE, FaultKind.RESET]),
        service=service,
        method=rng.choice(["POST", None]),
        nth=(rng.randint(1, 3),),
        probability=rng.uniform(0.1, 0.5),
        times=rng.choice([1, 2, 3]),
    )]
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(KINDS)
        rules.append(FaultRule(
            kind,
            service=service,
            method=rng.choice([None, None, "POST", "GET"]),
            probability=rng.uniform(0.05, 0.3),
            # Server errors carry no Retry-After, so each costs a backoff: keep them few.
            times=rng.choice([1, 2, 4]) if kind.status in (500, 502) else rng.choice([None, 3]),
            retry_after=rng.choice([0, 0, 0, 1]),
        ))
    rng.shuffle(rules)
    return FaultPlan(tuple(rules))


def write_documents(folder: Path) -> list[Path]:
    paths = []
    for name, data in DOCUMENTS.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def start_push(world: World, paths: list[Path]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **world.sandbox.env(), "PMSYNC_TRACKER": world.tracker,
           "PMSYNC_GITHUB__CREATES_PER_MINUTE": "100000",
           "PMSYNC_GITHUB__CREATES_PER_HOUR": "100000"}
    return subprocess.Popen(
        [sys.executable, "-m", "syncer", "--log-format", "json", "push", "--format", "json",
         *map(str, paths)],
        cwd=world.folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = process.communicate(timeout=RUN_TIMEOUT)
    return process.returncode, err.decode(errors="replace")[-3000:]


def tickets(world: World) -> list[dict[str, Any]]:
    if world.tracker == "jira":
        return world.sandbox.admin.jira_issues()
    return [i for i in world.sandbox.admin.github_issues() if not i.get("pull_request")]


def title_of(ticket: dict[str, Any]) -> str:
    return str(ticket.get("summary") or ticket.get("title"))


def ticket_key(world: World, ticket: dict[str, Any]) -> str:
    return str(ticket["key"]) if world.tracker == "jira" else f"#{ticket['number']}"


def most_tickets_for_one_item(world: World) -> int:
    """Tickets share a title only when one item got two (every title in the corpus is unique)."""
    counts = Counter(title_of(t) for t in tickets(world))
    return max(counts.values(), default=0)


_VOLATILE = {"id", "key", "number", "created", "updated", "remoteLinks"}


def document_items(path: Path) -> tuple[ActionItem, ...]:
    """Table and list items, as ``pmsync push`` reads them."""
    options = ParseOptions()
    return parse_list_items(parse_items(read_document(path), options), options).items


def final_state(world: World, paths: list[Path]) -> dict[str, Any]:
    """Documents without ticket numbers, and each item's ticket fields, by document and line."""
    by_key = {ticket_key(world, t): t for t in tickets(world)}
    links: dict[str, str] = {}
    fields: dict[str, dict[str, Any]] = {}
    for path in paths:
        for item in document_items(path):
            where = f"{path.name}:{item.line}"
            assert item.ticket is not None, f"{where} ({item.title!r}) was left unlinked"
            key = item.ticket.key
            links[where] = key
            assert key in by_key, f"{where} links {key}, which does not exist"
            fields[where] = {k: v for k, v in by_key[key].items() if k not in _VOLATILE}
    assert len(set(links.values())) == len(links), f"two items share a ticket: {links}"
    return {
        "documents": {p.name: without_ticket_numbers(p.read_bytes()).decode() for p in paths},
        "tickets": fields,
    }


def check_final(world: World, paths: list[Path]) -> dict[str, Any]:
    made = tickets(world)
    assert len(made) == ITEMS, f"{len(made)} tickets for {ITEMS} items"
    assert most_tickets_for_one_item(world) == 1, "an item has two tickets"
    for path in paths:
        original = DOCUMENTS[path.name]
        assert without_owned_cells(path.read_bytes()) == without_owned_cells(original), \
            f"{path.name} changed outside the cells pmsync owns"
    state = final_state(world, paths)
    assert len(state["tickets"]) == ITEMS
    return state


def reference(world: World) -> dict[str, Any]:
    """The fault-free result, computed once per flavour."""
    if world.reference is None:
        world.sandbox.admin.reset()
        world.sandbox.admin.set_faults(FaultPlan())
        paths = write_documents(world.folder)
        started = time.monotonic()
        code, err = finish(start_push(world, paths))
        world.clean_seconds = time.monotonic() - started
        assert code == 0, err
        world.reference = check_final(world, paths)
    return world.reference


def fault_counts(world: World) -> dict[str, int]:
    return dict(Counter(r["fault"] for r in world.sandbox.admin.request_log() if r["fault"]))


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + TRIALS),
                         ids=lambda s: f"seed{s}-{CYCLE[s % len(CYCLE)]}")
def test_push_under_faults_and_kills_ends_like_a_clean_run(
    worlds: dict[str, World], seed: int
) -> None:
    rng = random.Random(f"pmsync-chaos-{seed}")
    flavour = CYCLE[seed % len(CYCLE)]
    world = worlds[flavour]
    expected = reference(world)
    started = time.monotonic()
    plan = random_plan(rng, world.tracker)
    report = TrialReport(seed, flavour, len(plan.rules))
    REPORTS.append(report)
    sandbox = world.sandbox
    sandbox.admin.reset()
    sandbox.admin.clear_request_log()
    sandbox.admin.set_faults(plan)
    if flavour == "jira-cloud":  # Cloud's search is eventually consistent
        sandbox.admin.configure(jira_search_lag=rng.choice([0.0, 0.0, 0.5]))
    paths = write_documents(world.folder)

    first = start_push(world, paths)
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0.0, world.clean_seconds * 1.2))
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
            report.killed = True
    code, err = finish(first)
    report.exit_codes.append(code)
    assert report.killed or code in (0, 1), err
    report.most_tickets_for_one_item = most_tickets_for_one_item(world)
    assert report.most_tickets_for_one_item <= 1, "the first run made a duplicate"

    code, err = finish(start_push(world, paths))
    report.exit_codes.append(code)
    assert code in (0, 1), err
    report.most_tickets_for_one_item = max(report.most_tickets_for_one_item,
                                           most_tickets_for_one_item(world))
    assert report.most_tickets_for_one_item <= 1, "the re-run under faults made a duplicate"
    report.faults = fault_counts(world)
    report.converged_before_clean_run = code == 0 and len(tickets(world)) == ITEMS

    sandbox.admin.set_faults(FaultPlan())
    sandbox.admin.configure(jira_search_lag=0.0)
    code, err = finish(start_push(world, paths))
    report.exit_codes.append(code)
    assert code == 0, err

    state = check_final(world, paths)
    report.seconds = time.monotonic() - started
    assert state["documents"] == expected["documents"]
    assert state["tickets"] == expected["tickets"]
