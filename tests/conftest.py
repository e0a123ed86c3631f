"""Shared fixtures: paths to the project's own test data and to ../shared when it is there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
#: ../shared beside the checkout; TESTS_SHARED_DIR points elsewhere (a git worktree's sibling).
SHARED = Path(os.environ.get("TESTS_SHARED_DIR") or ROOT / ".." / "shared").resolve()


@pytest.fixture
def shared_corpus() -> Path:
    """../shared/corpus, or a skip with the reason (a user's clone has no ../shared)."""
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip("needs ../shared/corpus beside the checkout (present in CI, absent in a user's clone)")
    return corpus
