"""push and pull end to end: real connectors and clients against the sandbox trackers."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from connectors.sandbox import Sandbox
from syncer.cli.main import main
from syncer.markdown.document import read_document
from syncer.markdown.tables import pipe_positions
from syncer.model import Status
from syncer.parse.table_items import parse_items
from syncer.sync.pull import pull
from syncer.sync.push import push
from syncer.sync.results import RunResult
from tests.conftest import DATA
from tests.connectors.conftest import FLAVOURS, sandbox_settings

SEEDS = sorted((DATA / "seeds").glob("seed-*.md"))
SYNC_FLAVOURS = ["jira-cloud", "jira-server", "github-com"]


@pytest.fixture(scope="module", params=SYNC_FLAVOURS)
def running(request: pytest.FixtureRequest) -> Iterator[tuple[str, Sandbox]]:
    name, options = FLAVOURS[request.param]
    with Sandbox(**options, secondary_limit=None) as sandbox:
        yield name, sandbox


@pytest.fixture
def env(running: tuple[str, Sandbox]) -> tuple[str, Sandbox, Settings]:
    name, sandbox = running
    sandbox.admin.reset()
    return name, sandbox, sandbox_settings(sandbox, name)


def tickets(name: str, sandbox: Sandbox) -> list[dict[str, Any]]:
    if name == "jira":
        return sandbox.admin.jira_issues()
    return [i for i in sandbox.admin.github_issues() if not i.get("pull_request")]


def writes(sandbox: Sandbox) -> int:
    return sum(n for (method, route), n in sandbox.admin.request_counts().items()
               if method not in ("GET", "HEAD")
               and not ("search" in route or "graphql" in route))


def copy(source: Path, folder: Path) -> Path:
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def owned_columns(path: Path) -> dict[int, set[int]]:
    """Per table line, the indices of the cells pmsync owns (ticket, status)."""
    parsed = parse_items(read_document(path))
    owned: dict[int, set[int]] = {}
    for table in parsed.action_tables:
        for row in table.all_rows:
            columns = {i for i, h in enumerate(table.header.texts)
                       if h.strip().lower() in ("ticket", "status")}
            owned[row.line.number] = columns
    return owned


def assert_only_owned_cells_changed(before: bytes, after_path: Path) -> None:
    old_lines = before.decode("utf-8-sig").splitlines()
    new_lines = after_path.read_bytes().decode("utf-8-sig").splitlines()
    assert len(old_lines) == len(new_lines)
    owned = owned_columns(after_path)
    for number, (old, new) in enumerate(zip(old_lines, new_lines), start=1):
        if old == new:
            continue
        assert number in owned, f"line {number} changed outside an action table"
        old_cells, new_cells = cells(old), cells(new)
        for index, cell in enumerate(new_cells):
            if index in owned[number]:
                continue
            assert index < len(old_cells) and old_cells[index] == cell, (number, index)


def cells(text: str) -> list[str]:
    pipes = pipe_positions(text)
    return [text[a + 1 : b] for a, b in itertools.pairwise(pipes)]


@pytest.mark.parametrize("seed", SEEDS, ids=[s.stem for s in SEEDS])
def test_push_links_every_item_and_repush_writes_nothing(
    env: tuple[str, Sandbox, Settings], seed: Path, tmp_path: Path
) -> None:
    name, sandbox, _ = env
    settings = sandbox_settings(sandbox, name, push={"create_done": True})  # every item linked
    doc = copy(seed, tmp_path)
    before = doc.read_bytes()
    items = parse_items(read_document(doc)).items
    unlinked = [i for i in items if i.ticket is None]

    result, _ = push([doc], settings)

    outcomes = {(i.item.line, i.outcome, i.message) for d in result.documents for i in d.items}
    for line, outcome, message in outcomes:
        assert outcome in ("created", "external", "problem"), (line, outcome, message)
        if outcome == "problem":  # a hand-written key of the sandbox project that does not exist
            assert "does not exist" in (message or ""), (line, message)
    assert result.total("created") == len(unlinked)
    made = tickets(name, sandbox)
    assert len(made) == len(unlinked)
    titles = {t.get("summary") or t.get("title") for t in made}
    assert {i.title.split("\n")[0][:60] for i in unlinked} <= {str(t)[:60] for t in titles}
    assert_only_owned_cells_changed(before, doc)
    after = parse_items(read_document(doc)).items
    assert all(i.ticket is not None for i in after)

    sandbox.admin.clear_request_log()
    written = doc.read_bytes()
    again, _ = push([doc], settings)
    assert writes(sandbox) == 0
    assert doc.read_bytes() == written
    assert again.total("created") == 0 and again.total("failed") == 0

    # Statuses come back in the document's own words (or its style, for words it never used).
    created = [i for d in result.documents for i in d.items if i.outcome == "created"]
    wanted = [Status.DONE, Status.WONT_DO, Status.IN_PROGRESS if name == "jira" else Status.OPEN]
    moved = {i.item.line: (i.item.status if name == "github" and w is Status.OPEN
                           and i.item.status is Status.IN_PROGRESS else w)  # GitHub cannot say it
             for i, w in zip(created, wanted)}
    for item, status in zip(created, wanted):
        move(name, sandbox, item.link.key, status)  # type: ignore[union-attr]
    used = {i.status: i.status_raw for i in items if i.status and i.status_raw}
    before_pull = doc.read_bytes()
    pull([doc], settings)
    assert_only_owned_cells_changed(before_pull, doc)
    for item in parse_items(read_document(doc)).items:
        if item.line in moved:
            assert item.status is moved[item.line], (item.line, item.status_raw)
            if item.kind == "table" and moved[item.line] in used and "(" not in used[moved[item.line]]:
                assert item.status_raw == used[moved[item.line]].strip()


def test_dry_run_plans_and_writes_nothing(env: tuple[str, Sandbox, Settings], tmp_path: Path) -> None:
    name, sandbox, settings = env
    doc = copy(DATA / "seeds" / "seed-003-connection-leak.md", tmp_path)
    before = doc.read_bytes()
    result, plans = push([doc], settings, dry_run=True)
    assert result.total("create") > 0 and result.total("skip") > 0
    assert result.total("create") + result.total("skip") == len(plans[0].items)
    assert result.total("created") == 0
    assert doc.read_bytes() == before
    assert tickets(name, sandbox) == []
    assert writes(sandbox) == 0


TABLE_DOC = """# Postmortem: cache stampede

## Action items

| Action | Owner | Due | Priority | Status | Ticket |
|---|---|---|---|---|---|
| Add request coalescing to the cache client | @alice | 2025-04-01 | P1 | 🟡 In Progress | |
| Alert on cache hit ratio below 80% | @alice | 2025-04-08 | P2 | ⚪ Open | |
| Write the cache runbook | @alice | 2025-04-15 | P3 | ⚪ Open | |
| Retire the legacy cache cluster | @alice | 2025-05-01 | P3 | ⚪ Open | |
"""


def move(name: str, sandbox: Sandbox, key: str, status: Status) -> None:
    if name == "jira":
        sandbox.admin.set_jira_status(key, {Status.DONE: "Done", Status.IN_PROGRESS: "In Progress",
                                            Status.OPEN: "To Do", Status.WONT_DO: "Won't Do"}[status])
        return
    number = int(key.rsplit("#", 1)[1])
    if status is Status.OPEN:
        sandbox.admin.set_github_state(number, "open")
    else:
        reason = "completed" if status is Status.DONE else "not_planned"
        sandbox.admin.set_github_state(number, "closed", state_reason=reason)


def push_table(folder: Path, settings: Settings) -> tuple[Path, RunResult]:
    """TABLE_DOC written to ``folder`` and pushed."""
    doc = folder / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    return doc, push([doc], settings)[0]


def keys(result: RunResult) -> list[str]:
    return [i.link.key for d in result.documents for i in d.items if i.link]


def test_pull_writes_statuses_in_the_documents_words(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, sandbox, settings = env
    doc, pushed = push_table(tmp_path, settings)
    first, second, third, _fourth = keys(pushed)
    move(name, sandbox, first, Status.DONE)
    move(name, sandbox, third, Status.WONT_DO)
    if name == "jira":
        move(name, sandbox, second, Status.IN_PROGRESS)
    before = doc.read_text(encoding="utf-8")

    result = pull([doc], settings)

    after = doc.read_text(encoding="utf-8")
    rows = [line for line in after.splitlines() if line.startswith("| ") and "@alice" in line]
    assert "✅ Done" in rows[0]
    assert "❌ Won't Do" in rows[2]
    assert ("🟡 In Progress" if name == "jira" else "⚪ Open") in rows[1]
    assert "⚪ Open" in rows[3]
    assert result.total("status") == (3 if name == "jira" else 2)
    assert before.count("\n") == after.count("\n")
    statuses = [i.status for i in parse_items(read_document(doc)).items]
    assert statuses[0] is Status.DONE and statuses[2] is Status.WONT_DO

    again = pull([doc], settings)
    assert again.total("status") == 0 and not any(d.written for d in again.documents)


def test_push_updates_only_what_the_document_changed(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    _name, sandbox, settings = env
    doc, _ = push_table(tmp_path, settings)
    text = doc.read_text(encoding="utf-8").replace("2025-04-08", "2025-06-30")
    doc.write_text(text, encoding="utf-8")
    sandbox.admin.clear_request_log()

    result, _ = push([doc], settings)

    assert result.total("updated") == 1 and result.total("unchanged") == 3
    assert 1 <= writes(sandbox) <= 3  # the edit (and its stored snapshot)
    again, _ = push([doc], settings)
    assert again.total("updated") == 0


LIST_DOC = """# Incident review: queue backlog

## Follow-ups

- [ ] Page on queue age above five minutes
- [ ] Add retries with jitter to the sender
"""


def test_checkbox_items_get_links_and_ticks(env: tuple[str, Sandbox, Settings], tmp_path: Path) -> None:
    name, sandbox, settings = env
    doc = tmp_path / "list.md"
    doc.write_text(LIST_DOC, encoding="utf-8")
    pushed, _ = push([doc], settings)
    first, _second = keys(pushed)
    text = doc.read_text(encoding="utf-8")
    assert text.count("](http://127.0.0.1") == 2
    assert "- [ ] Page on queue age above five minutes ([" in text
    move(name, sandbox, first, Status.DONE)
    pull([doc], settings)
    text = doc.read_text(encoding="utf-8")
    assert "- [x] Page on queue age" in text and "- [ ] Add retries" in text
    sandbox.admin.clear_request_log()
    push([doc], settings)
    assert writes(sandbox) == 0


def test_hand_written_keys_are_read_not_recreated(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, sandbox, settings = env
    _doc, pushed = push_table(tmp_path, settings)
    key = keys(pushed)[0]
    label = key if name == "jira" else "#" + key.rsplit("#", 1)[1]
    other = tmp_path / "other.md"
    other.write_text("## Action items\n\n| Action | Owner | Status | Ticket |\n|---|---|---|---|\n"
                     f"| Same work, tracked elsewhere | @bob | Open | {label} |\n", encoding="utf-8")
    move(name, sandbox, key, Status.DONE)
    count = len(tickets(name, sandbox))
    result, _ = push([other], settings)
    assert len(tickets(name, sandbox)) == count
    assert result.total("unchanged") == 1
    pull([other], settings)
    assert "| Done |" in other.read_text(encoding="utf-8")


def test_pull_check_exit_codes(env: tuple[str, Sandbox, Settings], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    name, sandbox, settings = env
    doc, pushed = push_table(tmp_path, settings)
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PMSYNC_TRACKER", name)
    monkeypatch.chdir(tmp_path)
    assert main(["pull", "--check", str(doc)]) == 0
    move(name, sandbox, keys(pushed)[0], Status.DONE)
    before = doc.read_bytes()
    assert main(["pull", "--check", str(doc)]) == 1
    assert doc.read_bytes() == before
    assert main(["pull", str(doc)]) == 0
    assert doc.read_bytes() != before
    assert main(["pull", "--check", str(doc)]) == 0


def test_push_json_output_and_no_token(env: tuple[str, Sandbox, Settings], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capfd: pytest.CaptureFixture[str]) -> None:
    import json

    name, sandbox, _settings = env
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    code = main(["-vv", "--log-format", "json", "push", "--tracker", name, "--format", "json",
                 str(doc)])
    out, err = capfd.readouterr()
    assert code == 0, err
    for token in (sandbox.jira_token, sandbox.github_token):
        assert token not in out and token not in err
    assert '"event"' in err  # the logs were there to be searched
    data = json.loads(out)
    assert data["command"] == "push" and data["totals"]["created"] == 4
    assert data["documents"][0]["written"] is True
    assert {i["action"] for i in data["documents"][0]["items"]} == {"created"}


def test_removed_items_are_reported_then_closed_on_request(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, _sandbox, settings = env
    doc, pushed = push_table(tmp_path, settings)
    gone = keys(pushed)[3]
    lines = doc.read_text(encoding="utf-8").splitlines(keepends=True)
    doc.write_text("".join(line for line in lines if "Retire the legacy" not in line), encoding="utf-8")

    reported, _ = push([doc], settings)
    assert [r.link.key for r in reported.documents[0].removed] == [gone]
    assert not reported.documents[0].removed[0].closed

    closed, _ = push([doc], settings, close_removed=True)
    assert closed.documents[0].removed[0].closed
    from syncer.sync.trackers import TrackerPool

    pool = TrackerPool(settings)
    state = pool.get(name).read([closed.documents[0].removed[0].link])[gone]
    assert getattr(state, "status", None) is Status.WONT_DO
    after, _ = push([doc], settings)
    assert after.documents[0].removed == []


def test_push_without_any_tracker_configured_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("PMSYNC_JIRA__URL", "PMSYNC_GITHUB__REPO", "GITHUB_REPOSITORY", "PMSYNC_TRACKER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC, encoding="utf-8")
    assert main(["push", str(doc)]) == 2
    assert "no tracker is configured" in capsys.readouterr().err
    assert doc.read_text(encoding="utf-8") == TABLE_DOC


def test_ticket_of_an_interrupted_run_is_linked_and_given_the_documents_status(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    from syncer.sync.document_ids import document_id
    from syncer.sync.plan import item_markers, make_draft
    from syncer.sync.trackers import TrackerPool

    name, sandbox, settings = env
    doc = tmp_path / "pm.md"
    doc.write_text(TABLE_DOC.replace("| P3 | ⚪ Open | |\n| Retire", "| P3 | ✅ Done | |\n| Retire"),
                   encoding="utf-8")
    parsed = parse_items(read_document(doc))
    done = parsed.items[2]
    assert done.status is Status.DONE
    marker = item_markers(document_id(doc), parsed.items)[done.line]
    pool = TrackerPool(settings)
    # A run that created the ticket and was killed before moving it and writing the link.
    [made] = pool.get(name).create([make_draft(done, marker, parsed, None)])
    assert made.state.status is Status.OPEN

    result, _ = push([doc], settings)

    outcomes = {i.item.line: i.outcome for i in result.documents[0].items}
    assert outcomes[done.line] == "linked"
    assert len(tickets(name, sandbox)) == 4
    state = pool.get(name).read([made.state.link])[made.state.link.key]
    assert getattr(state, "status", None) is Status.DONE
    assert parse_items(read_document(doc)).items[2].status is Status.DONE
