"""Seconds pmsync spends on hostile lines (run by hand, not in the tests).

For each character of ``tests/test_hostile_input.py`` (``[``, ``<``, ``\\``, ``*``, ``|``, backtick,
``(``, space, ``_``, ``~``, ``!``, ``]``, ``-``), builds that test's documents (a run of the
character in a title, status or ticket cell, a list item, a heading, a metadata label line, a
link) and times, each in a fresh interpreter killed after ``--timeout`` seconds, the parse and
check (:func:`syncer.parse.extract.extract`, :func:`syncer.check.check_document`) and the write-back of
a ticket link and a status into every item. Prints the worst case per character.

Usage::

    python bench/hostile_bench.py [--size 1000000] [--timeout 60] [--chars '[<|']

Run it from another checkout's venv with ``--root`` to time that checkout's parser (the
documents still come from this one).
"""

from __future__ import annotations

import argparse
import json
import os
import site
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_hostile_input import CHARACTERS, documents  # noqa: E402 (needs the path above)

CHILD = """
import json, sys, tempfile, time
from datetime import date
from pathlib import Path
from config.settings import Settings
from syncer.check import check_document
from syncer.errors import InputError
from syncer.parse.extract import extract
from syncer.parse.values import Status
from syncer.sync.status_text import DocumentVocabulary
from syncer.sync.edits import ItemChange, plan_edits, render

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "pm.md"
    path.write_text(sys.stdin.read(), encoding="utf-8")
    started = time.perf_counter()
    extraction = extract([path], Settings())
    for parsed in extraction.documents:
        check_document(parsed, date(2025, 4, 15))
    parsing = time.perf_counter() - started
    started = time.perf_counter()
    for parsed in extraction.documents:
        done = DocumentVocabulary(parsed.items).text(Status.DONE)
        link = "[OPS-1](https://example.atlassian.net/browse/OPS-1)"
        try:
            render(parsed.doc, plan_edits(parsed.doc, [
                ItemChange(item, ticket=link, status=done) for item in parsed.items]))
        except InputError:
            pass
    print(json.dumps([parsing, time.perf_counter() - started]))
"""


def time_case(text: str, root: Path, timeout: float) -> tuple[float, float] | None:
    """(parse, write-back) seconds, or None when the child ran out of time."""
    # Without site (-S) the editable install's finder is not loaded: ``root`` comes first.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *site.getsitepackages()])}
    try:
        done = subprocess.run([sys.executable, "-S", "-c", CHILD], input=text, capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=root, check=True)
    except subprocess.TimeoutExpired:
        return None
    parsing, writing = json.loads(done.stdout)
    return parsing, writing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="Characters per run.")
    parser.add_argument("--timeout", type=float, default=60.0, help="Seconds per case.")
    parser.add_argument("--chars", default="".join(CHARACTERS), help="Characters to try.")
    parser.add_argument("--root", type=Path, default=ROOT, help="Checkout whose parser to time.")
    args = parser.parse_args()
    print(f"{'char':6} {'worst s':>9}  {'where':14} (parse + write-back)")
    for char in args.chars:
        worst: tuple[float, str] = (0.0, "")
        for place, text in documents(char * args.size).items():
            timing = time_case(text, args.root.resolve(), args.timeout)
            seconds = float("inf") if timing is None else sum(timing)
            worst = max(worst, (seconds, place))
            if timing is None:
                break  # one case out of time is enough to know the character's worst
        shown = f"> {args.timeout:.0f}" if worst[0] == float("inf") else f"{worst[0]:.2f}"
        print(f"{char!r:6} {shown:>9}  {worst[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
