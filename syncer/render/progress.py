"""A progress bar for long tracker work, shown only on a terminal and never in CI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from syncer.logs import in_ci
from syncer.sync.results import ProgressHook


@contextmanager
def progress_hook(enabled: bool = True) -> Iterator[ProgressHook | None]:
    """A hook the sync engine calls with (phase, items done); None when no bar is shown."""
    if not enabled or in_ci() or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def hook(phase: str, done: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=None)
            bar.advance(tasks[phase], done)

        yield hook
