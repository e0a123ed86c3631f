"""``pmsync push`` of N new items against the sandbox: Jira bulk creation next to one
``jira.create_issue`` per item, GitHub paced under a scaled-down secondary limit next to an
unpaced one-by-one loop, and a no-op push of the already linked corpus.

    python bench/push_bench.py                      # N = 200; 50 ms latency
    python bench/push_bench.py --sizes 50,200 --trackers jira-cloud
    python bench/push_bench.py --github-creates 20 --github-window 2

GitHub allows 80 creates a minute (and 500 an hour); waiting out real minutes would make the
benchmark slow, so the sandbox enforces ``--github-creates`` per ``--github-window`` seconds and
pmsync's pacer is given the same window. The GitHub connector builds its pacer with fixed 60 s
and 3,600 s windows from ``github.creates_per_minute`` / ``creates_per_hour``, so the benchmark
replaces the connector's ``pacer`` attribute with one of the scaled window (the hourly window is
left out on both sides: 200 creates are far below GitHub's 500 an hour).

Targets (issue 9): push of 200 new Jira items in at most 4 create requests; GitHub paced with
zero limit errors (403/429); a no-op push makes zero write requests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sandbox_harness import (
    FLAVOURS,
    PresetPool,
    measured,
    naive_jira_client,
    parse_sizes,
    print_table,
    quiet_logs,
    sandbox_settings,
    write_corpus,
    write_results,
)

from config.settings import Settings
from connectors.registry import build_tracker
from connectors.sandbox import Sandbox, SecondaryLimit
from syncer.markdown.document import read_document
from syncer.parse.table_items import parse_items
from syncer.sync.push import push
from syncer.sync.trackers import TrackerPool


def corpus_items(paths: list[Path]) -> list[Any]:
    """Every action item of the corpus, for the one-by-one baselines."""
    return [item for path in paths for item in parse_items(read_document(path)).items]


def one_by_one_jira(sandbox: Sandbox, items: list[Any]) -> None:
    """One ``JIRA.create_issue`` per item: what a hand-written script does."""
    client = naive_jira_client(sandbox)
    for item in items:
        fields: dict[str, Any] = {
            "project": {"key": sandbox.jira_project},
            "issuetype": {"name": "Task"},
            "summary": item.title,
            "labels": ["pmsync"],
        }
        if item.due is not None:
            fields["duedate"] = item.due.isoformat()
        client.create_issue(fields=fields)


def one_by_one_github(sandbox: Sandbox, items: list[Any]) -> int:
    """One PyGithub ``repo.create_issue`` per item, unpaced; on a limit answer it sleeps for
    ``retry-after`` and tries again (so it still creates every issue). Returns the retries."""
    from github import Auth, Github, GithubException

    client = Github(auth=Auth.Token(sandbox.github_token), base_url=sandbox.github_api_url,
                    retry=None, seconds_between_requests=None, seconds_between_writes=None,
                    timeout=30)
    repo = client.get_repo(sandbox.github_repo)
    retries = 0
    for item in items:
        while True:
            try:
                repo.create_issue(item.title, labels=["pmsync"])
                break
            except GithubException as exc:
                if exc.status not in (403, 429):
                    raise
                retries += 1
                time.sleep(float((exc.headers or {}).get("retry-after", "1")))
    return retries


def measure_push(sandbox: Sandbox, paths: list[Path], settings: Settings, latency: float,
                 pool: TrackerPool | None = None) -> dict[str, Any]:
    """Push ``paths``; fails loudly unless every item ended linked."""
    with measured(sandbox, latency) as box:
        result, _ = push(paths, settings, pool=pool)
    if result.failed:
        problems = [(i.item.line, i.message) for d in result.documents for i in d.items
                    if i.outcome in ("failed", "problem", "conflict")]
        raise SystemExit(f"push failed: {problems[:5]}")
    return {"seconds": round(box["seconds"], 3), "requests": box["requests"].to_json(),
            "created": result.total("created"), "unchanged": result.total("unchanged")}


def jira_run(flavour: str, size: int, latency: float, folder: Path) -> dict[str, Any]:
    tracker, options = FLAVOURS[flavour]
    with Sandbox(**options, secondary_limit=None) as sandbox:
        settings = sandbox_settings(sandbox, tracker)
        paths = write_corpus(folder / f"{flavour}-{size}", size, max(1, size // 10))
        items = corpus_items(paths)
        ours = measure_push(sandbox, paths, settings, latency)
        noop = measure_push(sandbox, paths, settings, latency)
        sandbox.admin.reset()
        with measured(sandbox, latency) as naive:
            one_by_one_jira(sandbox, items)
    return {
        "tracker": flavour, "items": size, "latency": latency, "pmsync": ours, "noop": noop,
        "one_by_one": {"seconds": round(naive["seconds"], 3),
                       "requests": naive["requests"].to_json()},
        "speedup": round(naive["seconds"] / ours["seconds"], 1),
    }


def github_run(size: int, latency: float, creates: int, window: float,
               folder: Path) -> dict[str, Any]:
    from connectors.pacing import Pacer, Window

    tracker, options = FLAVOURS["github"]
    limit = SecondaryLimit(creates=creates, window=window, hourly_creates=None)
    with Sandbox(**options, secondary_limit=limit) as sandbox:
        settings = sandbox_settings(sandbox, tracker)
        paths = write_corpus(folder / f"github-{size}", size, max(1, size // 10))
        items = corpus_items(paths)
        connector = build_tracker("github", settings)
        connector.pacer = Pacer((Window(creates, window),))  # type: ignore[attr-defined]
        pool = PresetPool(settings, {"github": connector})
        try:
            ours = measure_push(sandbox, paths, settings, latency, pool)
            noop = measure_push(sandbox, paths, settings, latency, pool)
        finally:
            connector.close()
        sandbox.admin.reset()
        with measured(sandbox, latency) as naive:
            retries = one_by_one_github(sandbox, items)
    return {
        "tracker": "github", "items": size, "latency": latency,
        "secondary_limit": {"creates": creates, "window": window},
        "pmsync": ours, "noop": noop,
        "one_by_one": {"seconds": round(naive["seconds"], 3), "retries": retries,
                       "requests": naive["requests"].to_json()},
        "speedup": round(naive["seconds"] / ours["seconds"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200", help="new item counts (comma-separated)")
    parser.add_argument("--trackers", default=",".join(FLAVOURS),
                        help=f"comma-separated, from {', '.join(FLAVOURS)}")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--github-creates", type=int, default=20,
                        help="creates the sandbox allows per window")
    parser.add_argument("--github-window", type=float, default=2.0,
                        help="the secondary limit's window, seconds (GitHub: 80 per 60)")
    parser.add_argument("--output", default="push_bench",
                        help="result file name under bench/results/ (without .json)")
    args = parser.parse_args()
    quiet_logs()
    runs = []
    with tempfile.TemporaryDirectory(prefix="pmsync-push-bench-") as tmp:
        for flavour in args.trackers.split(","):
            for size in parse_sizes(args.sizes):
                print(f"… {flavour}: {size} new items", flush=True)
                if FLAVOURS[flavour][0] == "jira":
                    runs.append(jira_run(flavour, size, args.latency, Path(tmp)))
                else:
                    runs.append(github_run(size, args.latency, args.github_creates,
                                           args.github_window, Path(tmp)))
    print_table(
        f"pmsync push of new items vs one create per item, {args.latency * 1000:.0f} ms latency"
        + (f"; GitHub limit {args.github_creates} creates / {args.github_window:g} s"
           if "github" in args.trackers else ""),
        ("tracker", "items", "pmsync req", "creates", "limit err", "pmsync s",
         "1-by-1 req", "1-by-1 limit err", "1-by-1 s", "speedup"),
        [(r["tracker"], r["items"], r["pmsync"]["requests"]["total"],
          r["pmsync"]["requests"]["creates"], r["pmsync"]["requests"]["limit_errors"],
          r["pmsync"]["seconds"], r["one_by_one"]["requests"]["total"],
          r["one_by_one"]["requests"]["limit_errors"], r["one_by_one"]["seconds"],
          f"{r['speedup']}×") for r in runs],
    )
    print_table(
        "no-op push of the linked corpus (write = not GET, not a search/GraphQL POST)",
        ("tracker", "items", "requests", "writes", "seconds"),
        [(r["tracker"], r["items"], r["noop"]["requests"]["total"],
          r["noop"]["requests"]["writes"], r["noop"]["seconds"]) for r in runs],
    )
    path = write_results(args.output, {"latency": args.latency, "runs": runs})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
