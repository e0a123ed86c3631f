"""Per-document locks serialise runs over the same file."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from syncer.errors import InputError
from syncer.sync.locks import document_lock, documents_locked, lock_path


def _hold(path: str, seconds: float, ready: multiprocessing.synchronize.Event) -> None:
    with document_lock(Path(path)):
        ready.set()
        time.sleep(seconds)


def test_second_holder_times_out_while_the_first_holds(tmp_path: Path) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("x")
    ready = multiprocessing.get_context("spawn").Event()
    holder = multiprocessing.get_context("spawn").Process(target=_hold, args=(str(doc), 1.5, ready))
    holder.start()
    try:
        assert ready.wait(20)
        with pytest.raises(InputError, match="another pmsync run"), \
                document_lock(doc, timeout=0.2):
            pass
    finally:
        holder.join()
    with document_lock(doc, timeout=0.2):
        pass  # free again once the holder is gone


def test_lock_files_are_per_document(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "a.md") != lock_path(tmp_path / "b.md")
    assert lock_path(tmp_path / "a.md") == lock_path(tmp_path / "." / "a.md")


def test_many_documents_lock_together(tmp_path: Path) -> None:
    docs = [tmp_path / "b.md", tmp_path / "a.md", tmp_path / "a.md"]
    with documents_locked(docs):
        pass
