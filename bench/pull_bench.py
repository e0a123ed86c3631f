"""``pmsync pull`` of N linked items over N/10 documents against the sandbox, next to a naive
script that reads one ticket per request through the same client library.

For each tracker flavour and size: the corpus is generated and pushed with no latency (set-up,
not measured), a third of the tickets are moved to done so the pull has statuses to write, then
latency is switched on and both reads are measured from the sandbox's request log and the clock.

    python bench/pull_bench.py                       # N = 100, 1,000, 5,000; 50 ms latency
    python bench/pull_bench.py --sizes 100,1000 --trackers jira-cloud,github
    python bench/pull_bench.py --naive-limit 500     # naive loop on 500 tickets, extrapolated

Targets (issue 9): pull of 1,000 items in at most 12 requests per tracker and at least 30× faster
than the naive baseline at 50 ms latency.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sandbox_harness import (
    FLAVOURS,
    measured,
    naive_jira_client,
    parse_sizes,
    print_table,
    quiet_logs,
    sandbox_settings,
    write_corpus,
    write_results,
)

from connectors.sandbox import Sandbox
from syncer.markdown.document import read_document
from syncer.parse.table_items import parse_items
from syncer.sync.pull import pull
from syncer.sync.push import push


def linked_keys(paths: list[Path]) -> list[str]:
    """The ticket references written into the documents, as the naive script would read them."""
    keys = []
    for path in paths:
        for item in parse_items(read_document(path)).items:
            assert item.ticket is not None, f"{path}:{item.line} was not linked by the set-up push"
            keys.append(item.ticket.key)
    return keys


def naive_jira(sandbox: Sandbox, keys: list[str]) -> None:
    """One ``JIRA.issue(key)`` per ticket: what a hand-written sync script does."""
    client = naive_jira_client(sandbox)
    for key in keys:
        client.issue(key, fields="status,summary")


def naive_github(sandbox: Sandbox, keys: list[str]) -> None:
    """One PyGithub ``repo.get_issue(n)`` per ticket."""
    from github import Auth, Github

    client = Github(auth=Auth.Token(sandbox.github_token), base_url=sandbox.github_api_url,
                    retry=None, seconds_between_requests=None, seconds_between_writes=None,
                    timeout=30)
    repo = client.get_repo(sandbox.github_repo)
    for key in keys:
        repo.get_issue(int(key.lstrip("#").rsplit("#", 1)[-1]))


def move_some_to_done(tracker: str, sandbox: Sandbox) -> int:
    """Close every third ticket as a person would, so the pull writes statuses."""
    moved = 0
    if tracker == "jira":
        for index, issue in enumerate(sandbox.admin.jira_issues()):
            if index % 3 == 0:
                sandbox.admin.set_jira_status(issue["key"], "Done")
                moved += 1
    else:
        for index, issue in enumerate(sandbox.admin.github_issues()):
            if index % 3 == 0 and not issue["pull_request"]:
                sandbox.admin.set_github_state(issue["number"], "closed",
                                               state_reason="completed")
                moved += 1
    return moved


def run_one(flavour: str, size: int, latency: float, naive_limit: int | None,
            folder: Path) -> dict[str, Any]:
    tracker, options = FLAVOURS[flavour]
    documents = max(1, size // 10)
    with Sandbox(**options, secondary_limit=None) as sandbox:
        settings = sandbox_settings(sandbox, tracker, creates_per_minute=10**9,
                                    creates_per_hour=10**9)
        paths = write_corpus(folder / f"{flavour}-{size}", size, documents)
        started = time.perf_counter()
        pushed, _ = push(paths, settings)
        setup_seconds = time.perf_counter() - started
        if pushed.failed or pushed.total("created") != size:
            raise SystemExit(f"{flavour}: set-up push created {pushed.total('created')} of "
                             f"{size} tickets")
        moved = move_some_to_done(tracker, sandbox)
        keys = linked_keys(paths)

        with measured(sandbox, latency) as ours:
            result = pull(paths, settings)
        if result.failed or result.total("status") != moved:
            raise SystemExit(f"{flavour}: pull wrote {result.total('status')} statuses, "
                             f"expected {moved}")

        sample = keys if naive_limit is None else keys[:naive_limit]
        reader = naive_jira if tracker == "jira" else naive_github
        with measured(sandbox, latency) as naive:
            reader(sandbox, sample)
        scale = len(keys) / len(sample)
        naive_seconds = naive["seconds"] * scale
        naive_requests = round(naive["requests"].total * scale)

    return {
        "tracker": flavour, "items": size, "documents": documents, "latency": latency,
        "setup_seconds": round(setup_seconds, 2), "statuses_written": moved,
        "pmsync": {"seconds": round(ours["seconds"], 3), "requests": ours["requests"].to_json()},
        "naive": {"seconds": round(naive_seconds, 3), "requests": naive_requests,
                  "measured_on": len(sample), "extrapolated": len(sample) != len(keys),
                  "by_route": naive["requests"].by_route},
        "speedup": round(naive_seconds / ours["seconds"], 1),
        "request_ratio": round(naive_requests / ours["requests"].total, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="item counts (comma-separated)")
    parser.add_argument("--trackers", default=",".join(FLAVOURS),
                        help=f"comma-separated, from {', '.join(FLAVOURS)}")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--naive-limit", type=int, default=None,
                        help="run the naive loop on at most this many tickets and extrapolate")
    parser.add_argument("--output", default="pull_bench",
                        help="result file name under bench/results/ (without .json)")
    args = parser.parse_args()
    quiet_logs()
    runs = []
    with tempfile.TemporaryDirectory(prefix="pmsync-pull-bench-") as tmp:
        for flavour in args.trackers.split(","):
            for size in parse_sizes(args.sizes):
                print(f"… {flavour}: {size} items", flush=True)
                runs.append(run_one(flavour, size, args.latency, args.naive_limit, Path(tmp)))
    rows = [
        (r["tracker"], r["items"], r["documents"], r["pmsync"]["requests"]["total"],
         r["pmsync"]["seconds"], r["naive"]["requests"], r["naive"]["seconds"],
         f"{r['speedup']}×" + ("*" if r["naive"]["extrapolated"] else ""))
        for r in runs
    ]
    print_table(
        f"pmsync pull vs one-ticket-per-request, {args.latency * 1000:.0f} ms latency per request",
        ("tracker", "items", "docs", "pmsync req", "pmsync s", "naive req", "naive s", "speedup"),
        rows,
    )
    if any(r["naive"]["extrapolated"] for r in runs):
        print(f"* naive figures measured on {args.naive_limit} tickets and scaled linearly")
    path = write_results(args.output, {"latency": args.latency, "runs": runs})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
