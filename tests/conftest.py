"""Shared fixtures: paths to the project's own test data and to ../shared when it is there."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from connectors.sandbox import Sandbox
from syncer.model import ActionItem
from syncer.parse.extract import extract

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


@pytest.fixture
def cli_sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox whose settings are the only ``PMSYNC_*``/``GITHUB_*`` variables (and no
    ``COLUMNS``), for running the CLI from ``tmp_path`` as a user would."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PMSYNC_", "GITHUB_")) or name == "COLUMNS":
            monkeypatch.delenv(name)
    with Sandbox() as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        yield sb


Read = Callable[[str], list[ActionItem]]


@pytest.fixture
def read(tmp_path: Path) -> Read:
    """``read(text)``: the action items of a document given as text, table and list, in line
    order."""

    def items(text: str) -> list[ActionItem]:
        path = tmp_path / "pm.md"
        path.write_text(text, encoding="utf-8")
        extraction = extract([path], Settings())
        assert not extraction.errors
        return list(extraction.documents[0].items)

    return items
