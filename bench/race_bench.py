"""Lost edits when a person saves a document while pmsync writes it back.

Runs the race of ``tests/test_write_race.py`` many times (``python bench/race_bench.py [trials]
[seeds]``, default 200 trials for each of 3 seeds) and prints, per seed, the trials, the edits
lost, the conflicts pmsync reported and the write-backs that went through. Run it from the
repository root; to measure another checkout, put that checkout first on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

RACE = Path(__file__).resolve().parent.parent / "tests" / "test_write_race.py"


def _race_module() -> object:
    """The race of the tests, by file, so ``syncer`` comes from wherever ``sys.path`` says."""
    spec = importlib.util.spec_from_file_location("write_race", RACE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    race = _race_module().race  # type: ignore[attr-defined]
    import syncer.sync.edits

    print(f"write-back from {syncer.sync.edits.__file__}", file=sys.stderr)
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps({"seed": seed, **asdict(race(Path(folder), trials, seed))}))


if __name__ == "__main__":
    main()
