"""No lost edit: a person saving the document while pmsync writes it back keeps their edit.

Each trial reads a document, starts an "editor" thread that saves an edit at a random moment
spread over the time a write-back takes (half the trials save in place, as most editors do, half
write a new file and rename it over, as vim and many IDEs do), and writes the document back at
the same time. A trial loses an edit when the editor's save finished and the file no longer holds
its line. ``PMSYNC_RACE_TRIALS`` sets the number of trials (default 20); ``bench/race_bench.py``
runs many more and prints the figures.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from syncer.errors import WriteConflictError
from syncer.markdown.document import read_document
from syncer.sync.edits import write_atomic

TRIALS = int(os.environ.get("PMSYNC_RACE_TRIALS", "20"))
DOCUMENT = b"# Postmortem\n\n| Action | Owner | Ticket |\n|---|---|---|\n| Fix it | @a |  |\n"
LINKED = DOCUMENT.replace(b"|  |\n", b"| [OPS-1](https://jira.example/browse/OPS-1) |\n")


@dataclass
class RaceFigures:
    """What the trials saw."""

    trials: int = 0
    lost_edits: int = 0
    conflicts_reported: int = 0
    written: int = 0


def save_in_place(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def save_by_rename(path: Path, data: bytes) -> None:
    fresh = path.with_name(f".{path.name}.editor")
    fresh.write_bytes(data)
    os.replace(fresh, path)


def race(folder: Path, trials: int, seed: int = 0) -> RaceFigures:
    """Run ``trials`` races in ``folder`` and count lost edits."""
    rng = random.Random(seed)
    figures = RaceFigures()
    span = _write_time(folder) * 1.5
    for trial in range(trials):
        path = folder / f"race-{trial}.md"
        path.write_bytes(DOCUMENT)
        doc = read_document(path)
        edit = DOCUMENT + f"edit {trial}\n".encode()
        save = save_in_place if trial % 2 else save_by_rename
        delay = rng.uniform(0, span)
        editor = threading.Thread(target=_save_later, args=(save, path, edit, delay))
        editor.start()
        try:
            figures.written += write_atomic(doc, LINKED)
        except WriteConflictError:
            figures.conflicts_reported += 1
        editor.join()
        figures.trials += 1
        figures.lost_edits += f"edit {trial}".encode() not in path.read_bytes()
    return figures


def _save_later(save: Callable[[Path, bytes], None], path: Path, data: bytes,
                delay: float) -> None:
    time.sleep(delay)
    save(path, data)


def _write_time(folder: Path) -> float:
    """How long one write-back takes here, so the editor's saves land all over it."""
    path = folder / "timing.md"
    path.write_bytes(DOCUMENT)
    started = time.perf_counter()
    write_atomic(read_document(path), LINKED)
    return time.perf_counter() - started


def test_no_edit_is_lost_to_a_concurrent_write_back(tmp_path: Path) -> None:
    figures = race(tmp_path, TRIALS)
    assert figures.trials == TRIALS
    assert figures.lost_edits == 0, figures
    # The editor's save lands before, during and after the write-back across the trials.
    assert figures.written + figures.conflicts_reported == TRIALS
