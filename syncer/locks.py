"""Per-document locks, so two pmsync runs never interleave on the same file.

The lock files live in the system's temporary folder, keyed by the document's absolute path, and
are never deleted (deleting a lock file races with the next process opening it). Documents are
locked in sorted order, so two runs over overlapping sets of files cannot deadlock.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

from syncer.errors import InputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, runs are not serialised
    fcntl = None  # type: ignore[assignment]


def lock_path(document: Path) -> Path:
    """The lock file for a document."""
    digest = hashlib.sha256(str(document.resolve()).encode()).hexdigest()[:24]
    folder = Path(tempfile.gettempdir()) / "pmsync-locks"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{digest}.lock"


@contextmanager
def document_lock(document: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the document's lock; waits for another run to finish, up to ``timeout`` seconds."""
    handle: IO[bytes] = open(lock_path(document), "ab")  # noqa: SIM115 - closed below
    try:
        if fcntl is not None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise InputError(document, f"another pmsync run has held this document for "
                                                   f"{timeout:.0f} s; nothing written") from None
                    time.sleep(0.05)
        os.utime(handle.name)
        yield
    finally:
        handle.close()


@contextmanager
def documents_locked(documents: Sequence[Path], timeout: float = 600.0) -> Iterator[None]:
    """Hold the locks of many documents at once, taken in a stable order."""
    with ExitStack() as stack:
        for document in sorted({d.resolve() for d in documents}):
            stack.enter_context(document_lock(document, timeout))
        yield
