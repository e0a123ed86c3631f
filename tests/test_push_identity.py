"""Item identity, end to end on the sandbox trackers: once the document links an item's ticket,
that link is the item. Retitled items and moved documents keep syncing; a copied postmortem is a
problem that changes nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from config.settings import Settings
from connectors.base import TicketState
from connectors.sandbox import Sandbox
from syncer.cli.main import main
from syncer.model import Status
from syncer.sync.push import push
from syncer.sync.results import RunResult
from syncer.sync.trackers import TrackerPool
from tests import test_sync
from tests.test_sync import TABLE_DOC, keys, tickets, writes

running = test_sync.running
env = test_sync.env


def outcomes(result: RunResult) -> dict[str, tuple[str, str]]:
    """Per item title: what happened and the message."""
    return {i.item.title: (i.outcome, i.message or "") for d in result.documents for i in d.items}


def title_of(name: str, sandbox: Sandbox, key: str) -> str:
    for ticket in tickets(name, sandbox):
        if name == "jira" and ticket["key"] == key:
            return str(ticket["summary"])
        if name == "github" and key.endswith(f"#{ticket['number']}"):
            return str(ticket["title"])
    raise AssertionError(f"{key} not in the tracker")


def due_of(name: str, settings: Settings, key: str, link_of: RunResult) -> str | None:
    link = next(i.link for d in link_of.documents for i in d.items
                if i.link is not None and i.link.key == key)
    state = TrackerPool(settings).get(name).read([link])[key]
    assert isinstance(state, TicketState)
    return state.fields.due.isoformat() if state.fields.due else None


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def test_retitled_item_updates_its_ticket(env: tuple[str, Sandbox, Settings],
                                          tmp_path: Path) -> None:
    name, sandbox, settings = env
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    first, _ = push([doc], settings)
    key = keys(first)[1]
    text = doc.read_text(encoding="utf-8")
    doc.write_text(text.replace("Alert on cache hit ratio below 80%",
                                "Alert on cache hit ratio below 85%"), encoding="utf-8")

    result, _ = push([doc], settings)

    assert outcomes(result)["Alert on cache hit ratio below 85%"][0] == "updated"
    assert result.total("updated") == 1 and result.total("unchanged") == 3
    assert title_of(name, sandbox, key) == "Alert on cache hit ratio below 85%"
    sandbox.admin.clear_request_log()
    again, _ = push([doc], settings)
    assert again.total("unchanged") == 4 and writes(sandbox) == 0

    # The old title is a new item now: its own ticket, never the retitled item's.
    lines = doc.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append("| Alert on cache hit ratio below 80% | @alice | 2025-04-08 | P2 | ⚪ Open | |\n")
    doc.write_text("".join(lines), encoding="utf-8")
    added, _ = push([doc], settings)
    assert outcomes(added)["Alert on cache hit ratio below 80%"][0] == "created"
    assert len(tickets(name, sandbox)) == 5


def test_moved_document_with_a_due_change_updates(env: tuple[str, Sandbox, Settings],
                                                  tmp_path: Path) -> None:
    name, sandbox, settings = env
    git(tmp_path, "init", "-q")
    (tmp_path / "postmortems").mkdir()
    old = tmp_path / "postmortems" / "cache.md"
    old.write_text(TABLE_DOC, encoding="utf-8")
    first, _ = push([old], settings)
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "pm")
    (tmp_path / "postmortems" / "2025").mkdir()
    git(tmp_path, "mv", "postmortems/cache.md", "postmortems/2025/cache.md")
    new = tmp_path / "postmortems" / "2025" / "cache.md"
    new.write_text(new.read_text(encoding="utf-8").replace("2025-04-15", "2025-07-01"),
                   encoding="utf-8")

    result, _ = push([new], settings)

    seen = outcomes(result)
    assert seen["Write the cache runbook"][0] == "updated"
    assert "moved here from postmortems/cache.md" in seen["Write the cache runbook"][1]
    assert {outcome for outcome, _ in seen.values()} == {"updated"}  # each ticket moved here
    assert due_of(name, settings, keys(first)[2], result) == "2025-07-01"
    assert result.documents[0].removed == [] and len(tickets(name, sandbox)) == 4
    sandbox.admin.clear_request_log()
    again, _ = push([new], settings)
    assert again.total("unchanged") == 4 and writes(sandbox) == 0
    assert again.documents[0].removed == []


def test_copied_document_is_a_problem_until_the_original_goes(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    name, sandbox, settings = env
    original = tmp_path / "pm.md"
    original.write_text(TABLE_DOC, encoding="utf-8")
    first, _ = push([original], settings)
    copy = tmp_path / "pm-copy.md"
    shutil.copyfile(original, copy)
    copy.write_text(copy.read_text(encoding="utf-8").replace("2025-04-15", "2025-07-01"),
                    encoding="utf-8")
    for variable, value in sandbox.env().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("PMSYNC_TRACKER", name)
    monkeypatch.chdir(tmp_path)
    sandbox.admin.clear_request_log()

    assert main(["push", "--format", "json", str(copy)]) == 1

    out = capsys.readouterr().out
    assert f"linked from both {copy} and {original}" in out
    assert writes(sandbox) == 0
    assert due_of(name, settings, keys(first)[2], first) == "2025-04-15"
    again, _ = push([original, copy], settings)  # together: the original still owns them
    assert again.documents[0].count("unchanged") == 4
    assert again.documents[1].count("problem") == 4 and writes(sandbox) == 0

    original.unlink()
    taken, _ = push([copy], settings)
    assert taken.total("updated") == 4 and not taken.failed
    assert due_of(name, settings, keys(first)[2], taken) == "2025-07-01"


def test_item_moved_to_another_document_is_not_closed_as_removed(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, _, settings = env
    source, target = tmp_path / "a.md", tmp_path / "b.md"
    source.write_text(TABLE_DOC, encoding="utf-8")
    first, _ = push([source], settings)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    moved = next(line for line in lines if "Retire the legacy" in line)
    source.write_text("".join(line for line in lines if line != moved), encoding="utf-8")
    target.write_text("## Action items\n\n| Action | Owner | Due | Priority | Status | Ticket |\n"
                      "|---|---|---|---|---|---|\n" + moved, encoding="utf-8")

    result, _ = push([source, target], settings, close_removed=True)

    assert result.documents[0].removed == []
    assert outcomes(result)["Retire the legacy cache cluster"][0] == "updated"
    link = first.documents[0].items[3].link
    assert link is not None
    state = TrackerPool(settings).get(name).read([link])[link.key]
    assert isinstance(state, TicketState) and state.status is Status.OPEN
    later, _ = push([source], settings, close_removed=True)
    assert later.documents[0].removed == []


def test_moved_document_takes_over_while_another_only_mentions_the_ticket(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, _, settings = env
    old = tmp_path / "pm.md"
    old.write_text(TABLE_DOC, encoding="utf-8")
    first, _ = push([old], settings)
    new = tmp_path / "pm-2025.md"
    new.write_text(old.read_text(encoding="utf-8").replace("2025-04-15", "2025-07-01"),
                   encoding="utf-8")
    old.unlink()
    key = keys(first)[2]
    label = key if name == "jira" else "#" + key.rsplit("#", 1)[1]
    mention = tmp_path / "later.md"
    mention.write_text("## Action items\n\n| Action | Owner | Status | Ticket |\n|---|---|---|---|\n"
                       f"| Same runbook, tracked elsewhere | @bob | Open | {label} |\n",
                       encoding="utf-8")

    result, _ = push([mention, new], settings)

    assert result.documents[0].items[0].outcome == "unchanged"
    assert outcomes(result)["Write the cache runbook"][0] == "updated"
    assert due_of(name, settings, key, result) == "2025-07-01"
    assert not result.failed
