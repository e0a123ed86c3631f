"""Duplicates when two clones push the same postmortems at once (:mod:`tests.chaos.two_clones`).

``python bench/two_clones_bench.py [trials] [flavour ...]`` (default 10 trials for each of
jira-cloud, jira-server and github) prints one JSON line per trial and a summary per flavour:
tickets created beyond one per item, open ones right after the race and after one more push in
each clone (pmsync's warnings go to stderr). Jira Cloud runs with a 0.3 s search-index lag. To measure another checkout, put it
first on ``PYTHONPATH``: the harness is loaded by file, pmsync from wherever ``sys.path`` says.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # for tests.chaos.corpus; a checkout on PYTHONPATH comes first
FLAVOURS: dict[str, tuple[str, dict[str, Any]]] = {
    "jira-cloud": ("jira", {"flavour": "cloud", "jira_search_lag": 0.3}),
    "jira-server": ("jira", {"flavour": "server"}),
    "github": ("github", {"github_layout": "github.com"}),
}


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run(flavour: str, trials: int) -> dict[str, Any]:
    from connectors.sandbox import Sandbox

    harness = _load("two_clones", ROOT / "tests" / "chaos" / "two_clones.py")
    settings_of = _load("contract_conftest", ROOT / "tests" / "connectors" / "conftest.py")
    tracker, options = FLAVOURS[flavour]
    totals = {"trials": trials, "trials_with_duplicates": 0, "duplicates_created": 0,
              "open_duplicates_after_race": 0, "open_duplicates_after_convergence": 0,
              "clones_disagree": 0, "unlinked": 0}
    with Sandbox(**options, latency=harness.LATENCY, secondary_limit=None) as sandbox:
        for number in range(trials):
            sandbox.admin.reset()
            settings = settings_of.sandbox_settings(sandbox, tracker)
            with tempfile.TemporaryDirectory() as folder:
                figures = harness.trial(sandbox, tracker, settings, Path(folder),
                                        random.Random(number))
            print(json.dumps({"flavour": flavour, "trial": number, **asdict(figures)}), flush=True)
            totals["trials_with_duplicates"] += figures.duplicates_created > 0
            for key in ("duplicates_created", "open_duplicates_after_race",
                        "open_duplicates_after_convergence", "clones_disagree", "unlinked"):
                totals[key] += getattr(figures, key)
    return totals


def main() -> None:
    import syncer.sync.push

    print(f"pmsync from {Path(syncer.sync.push.__file__).parent.parent}", file=sys.stderr)
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for flavour in sys.argv[2:] or list(FLAVOURS):
        print(json.dumps({"flavour": flavour, "summary": run(flavour, trials)}), flush=True)


if __name__ == "__main__":
    main()
