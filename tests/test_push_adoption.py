"""Safe adoption and bounded pushes, end to end on the sandbox trackers: finished items get no
ticket by default, one push creates at most ``push.max_create`` tickets, a document may hold at
most ``push.max_items_per_document`` items, and a dry run speaks the plan's words and looks up
no owner it does not need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import Settings
from connectors.sandbox import Sandbox
from syncer.cli.main import main
from syncer.markdown.document import read_document
from syncer.model import Status
from syncer.parse.table_items import parse_items
from syncer.sync.push import push
from tests import test_sync
from tests.connectors.conftest import sandbox_settings
from tests.test_sync import tickets, writes

# The sandbox fixtures of the push/pull tests: one sandbox per tracker flavour, reset per test.
running = test_sync.running
env = test_sync.env

ADOPTED = """# Postmortem: disk full

## Action items

| Action | Owner | Due | Status | Ticket |
|---|---|---|---|---|
| Alert on disk usage above 80% | @alice | 2025-04-01 | Open | |
| Rotate the audit logs daily | @alice | 2025-04-08 | In Progress | |
| Delete the old core dumps | @alice | 2025-03-01 | Done | |
| Buy bigger disks | @alice | 2025-03-02 | Won't Do | |
"""


def four_open(count: int = 4) -> str:
    rows = "".join(f"| Fix thing number {n} | @alice | 2025-04-0{n} | Open | |\n"
                   for n in range(1, count + 1))
    return ("## Action items\n\n| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
            + rows)


def use_sandbox(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, name: str, folder: Path) -> None:
    """The CLI's environment pointing at ``sandbox``, as a user's shell would."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PMSYNC_TRACKER", name)
    monkeypatch.chdir(folder)


def test_finished_items_are_skipped_with_the_reason(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, sandbox, settings = env
    doc = tmp_path / "pm.md"
    doc.write_text(ADOPTED, encoding="utf-8")

    result, _ = push([doc], settings)

    outcomes = {i.item.title: (i.outcome, i.message or "") for i in result.documents[0].items}
    assert outcomes["Delete the old core dumps"][0] == "skipped"
    assert "already done" in outcomes["Delete the old core dumps"][1]
    assert "push.create_done" in outcomes["Buy bigger disks"][1]
    assert outcomes["Buy bigger disks"][0] == "skipped"
    assert result.total("created") == 2 and not result.failed
    assert len(tickets(name, sandbox)) == 2
    linked = {i.title: i.ticket for i in parse_items(read_document(doc)).items}
    assert linked["Delete the old core dumps"] is None and linked["Buy bigger disks"] is None
    assert linked["Alert on disk usage above 80%"] is not None

    sandbox.admin.clear_request_log()
    again, _ = push([doc], settings)
    assert again.total("skipped") == 2 and again.total("created") == 0
    assert writes(sandbox) == 0


def test_create_done_creates_closed_tickets(env: tuple[str, Sandbox, Settings],
                                            tmp_path: Path) -> None:
    name, sandbox, _ = env
    settings = sandbox_settings(sandbox, name, push={"create_done": True})
    doc = tmp_path / "pm.md"
    doc.write_text(ADOPTED, encoding="utf-8")

    result, _ = push([doc], settings)

    assert result.total("created") == 4 and result.total("skipped") == 0
    made = {i.item.title: i.link for i in result.documents[0].items}
    from syncer.sync.trackers import TrackerPool

    tracker = TrackerPool(settings).get(name)
    done, wont = made["Delete the old core dumps"], made["Buy bigger disks"]
    assert done is not None and wont is not None
    states = tracker.read([done, wont])
    assert getattr(states[done.key], "status", None) is Status.DONE
    assert getattr(states[wont.key], "status", None) is Status.WONT_DO


def test_dry_run_speaks_the_plans_words(env: tuple[str, Sandbox, Settings], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    name, sandbox, _ = env
    doc = tmp_path / "pm.md"
    doc.write_text(ADOPTED, encoding="utf-8")
    use_sandbox(monkeypatch, sandbox, name, tmp_path)

    assert main(["push", "--dry-run", "--format", "json", str(doc)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [i["action"] for i in data["documents"][0]["items"]] == ["create", "create", "skip",
                                                                    "skip"]
    assert data["totals"]["create"] == 2 and data["totals"]["skip"] == 2
    assert "created" not in data["totals"] and data["dry_run"] is True

    assert main(["push", "--dry-run", str(doc)]) == 0
    out = capsys.readouterr().out
    assert "create" in out and "skip" in out and "already done" in out
    assert "created" not in out and "skipped" not in out
    assert tickets(name, sandbox) == [] and doc.read_text(encoding="utf-8") == ADOPTED


def test_max_create_refuses_the_whole_push(env: tuple[str, Sandbox, Settings], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    name, sandbox, _ = env
    doc = tmp_path / "pm.md"
    doc.write_text(four_open(), encoding="utf-8")
    use_sandbox(monkeypatch, sandbox, name, tmp_path)

    assert main(["push", "--max-create", "3", str(doc)]) == 2
    out, err = capsys.readouterr()
    assert "--max-create 4" in err and "push.max_create (3)" in err
    assert "Fix thing number 4" in out and "create" in out  # the plan is printed
    assert tickets(name, sandbox) == [] and doc.read_text(encoding="utf-8") == four_open()

    monkeypatch.setenv("PMSYNC_PUSH__MAX_CREATE", "3")
    assert main(["push", "--format", "json", str(doc)]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["planned"] is True and data["totals"]["create"] == 4
    assert tickets(name, sandbox) == []

    assert main(["push", "--max-create", "0", str(doc)]) == 0  # 0: no limit
    assert len(tickets(name, sandbox)) == 4


def test_default_max_create_is_fifty(env: tuple[str, Sandbox, Settings], tmp_path: Path) -> None:
    name, sandbox, settings = env
    doc = tmp_path / "pm.md"
    doc.write_text(four_open(0) + "".join(f"| Task {n} | | | Open | |\n" for n in range(51)),
                   encoding="utf-8")
    result, _ = push([doc], settings)
    assert [str(e) for e in result.errors] == [(
        "this push would create 51 tickets, more than push.max_create (50): nothing was created. "
        "Check the plan, then run again with --max-create 51 (0 means no limit) or set "
        "PMSYNC_PUSH__MAX_CREATE")]
    assert result.total("create") == 51 and tickets(name, sandbox) == []


def test_a_document_with_too_many_items_is_refused(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    name, sandbox, _ = env
    big, small = tmp_path / "big.md", tmp_path / "small.md"
    big.write_text(four_open(6), encoding="utf-8")
    small.write_text(four_open(2), encoding="utf-8")
    use_sandbox(monkeypatch, sandbox, name, tmp_path)
    monkeypatch.setenv("PMSYNC_PUSH__MAX_ITEMS_PER_DOCUMENT", "5")

    assert main(["push", str(big), str(small)]) == 2

    err = capsys.readouterr().err
    assert f"{big}: 6 action items, more than push.max_items_per_document (5)" in err
    assert "PMSYNC_PUSH__MAX_ITEMS_PER_DOCUMENT" in err
    assert big.read_text(encoding="utf-8") == four_open(6)
    assert len(tickets(name, sandbox)) == 2  # the other document was pushed


def test_dry_run_looks_up_no_owner_of_a_new_item(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    _, sandbox, settings = env
    rows = "".join(f"| Task {n} | @person{n} | | Open | |\n" for n in range(40))
    doc = tmp_path / "pm.md"
    doc.write_text(four_open(0) + rows, encoding="utf-8")
    sandbox.admin.clear_request_log()

    push([doc], settings, dry_run=True)

    looked_up = sum(n for (_, route), n in sandbox.admin.request_counts().items()
                    if "user/search" in route or "assignees" in route)
    assert looked_up == 0
    assert len(sandbox.admin.request_log()) <= 3  # the marker look-up and the removed-item read
