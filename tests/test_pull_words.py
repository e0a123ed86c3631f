"""pull converges on list items whose words state a status beside an unticked checkbox: the
box alone cannot overrule the words, so pull writes an annotation that does (end to end
against the sandbox trackers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from connectors.sandbox import Sandbox
from syncer.model import Status
from syncer.sync.pull import pull
from syncer.sync.push import push
from tests.test_pull import move_to, read_back, write
from tests.test_sync import env, running  # noqa: F401 (fixtures)

WORDS = """# Review: stuck deploys

## Follow-ups

- [ ] Rebuild the deploy queue (in progress, two of five workers)
- [ ] Add a canary stage
  It is in progress.
"""


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_pull_overrules_words_that_an_unticked_checkbox_cannot(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, status: Status,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, sandbox, settings = env
    doc = write(tmp_path, WORDS)
    assert set(read_back(doc, capsys).values()) == {"in_progress"}
    result, _ = push([doc], settings)
    made = [i.link.key for d in result.documents for i in d.items if i.link]
    assert len(made) == 2
    for key in made:
        move_to(name, sandbox, key, status)

    pull([doc], settings)

    # A GitHub issue has no "in progress": open, it agrees with items in progress.
    kept = name == "github" and status in (Status.OPEN, Status.IN_PROGRESS)
    assert set(read_back(doc, capsys).values()) == {"in_progress" if kept else status.value}
    again = pull([doc], settings)
    assert again.total("status") == 0 and not any(d.written for d in again.documents)
