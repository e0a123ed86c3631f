"""pull represents every state in a form pmsync reads back, and push never creates a ticket for
an item that already names one: end to end against the sandbox trackers (Jira and GitHub)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import Settings
from connectors.registry import NoTrackerConfigured
from connectors.sandbox import Sandbox
from syncer.cli.main import main
from syncer.model import Status
from syncer.sync.pull import pull
from syncer.sync.push import push
from tests.test_sync import env, keys, move, running, tickets  # noqa: F401 (fixtures)

LISTS = """# Review: stuck deploys

## Follow-ups

| Action | Owner | Due |
|---|---|---|
| Row in a table without a status column | @kim | 2025-05-01 |

- Plain bullet about the deploy queue
- [ ] Checkbox item about rollbacks

### Later

- Item under a sub-heading
"""
TABLE_ROW, PLAIN, CHECKBOX, UNDER_HEADING = 7, 9, 10, 14


def write(folder: Path, text: str, name: str = "pm.md") -> Path:
    doc = folder / name
    doc.write_text(text, encoding="utf-8")
    return doc


def read_back(doc: Path, capsys: pytest.CaptureFixture[str]) -> dict[int, str | None]:
    """Each item's status as ``pmsync items`` reads it, by line."""
    capsys.readouterr()
    assert main(["items", "--format", "json", str(doc)]) == 0
    return {item["line"]: item["status"] for item in json.loads(capsys.readouterr().out)}


def said(name: str, status: Status) -> str:
    """What the ticket says once moved to ``status`` (a GitHub issue has no "in progress")."""
    return "open" if name == "github" and status is Status.IN_PROGRESS else status.value


def move_to(name: str, sandbox: Sandbox, key: str, status: Status) -> None:
    """Move a ticket; "in progress" on GitHub is an open issue."""
    move(name, sandbox, key, Status.OPEN if name == "github" and status is Status.IN_PROGRESS
         else status)


def linked_lists(folder: Path, settings: Settings) -> tuple[Path, dict[int, str]]:
    """LISTS pushed (every item open), then its last item moved under a "Completed" heading:
    the document and each item's ticket key by line."""
    doc = write(folder, LISTS)
    result, _ = push([doc], settings)
    made = {i.item.line: i.link.key for d in result.documents for i in d.items if i.link}
    assert result.total("created") == 4 and len(made) == 4
    doc.write_text(doc.read_text(encoding="utf-8").replace("### Later", "### Completed"),
                   encoding="utf-8")
    return doc, made


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_every_pull_state_reads_back(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, status: Status,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, sandbox, settings = env
    doc, made = linked_lists(tmp_path, settings)
    for key in made.values():
        move_to(name, sandbox, key, status)
    before = read_back(doc, capsys)
    assert before[UNDER_HEADING] == "done"  # from its sub-heading

    result = pull([doc], settings)

    after = read_back(doc, capsys)
    assert {was or "open" for was in after.values()} == {said(name, status)}, after
    changed = sum(1 for line, was in before.items() if (was or "open") != said(name, status))
    assert result.total("status") == changed
    text = doc.read_text(encoding="utf-8")
    assert ("| Status |" in text) == (said(name, status) != "open")
    again = pull([doc], settings)
    assert again.total("status") == 0 and not any(d.written for d in again.documents)


def test_status_changes_back_and_forth_keep_reading_back(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, sandbox, settings = env
    doc, made = linked_lists(tmp_path, settings)
    for status in (Status.WONT_DO, Status.DONE, Status.IN_PROGRESS, Status.OPEN, Status.DONE):
        for key in made.values():
            move_to(name, sandbox, key, status)
        pull([doc], settings)
        assert {was or "open" for was in read_back(doc, capsys).values()} == {said(name, status)}
    lines = doc.read_text(encoding="utf-8").splitlines()
    assert lines[PLAIN - 1].startswith("- Plain bullet about the deploy queue ([")
    assert lines[PLAIN - 1].count("(Done)") == 1  # the annotation is kept current, never repeated


def test_pull_that_changes_nothing_keeps_every_byte(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _name, _sandbox, settings = env
    doc = write(tmp_path, LISTS)
    push([doc], settings)
    before = doc.read_bytes()
    result = pull([doc], settings)
    assert doc.read_bytes() == before
    assert result.total("status") == 0 and result.total("unchanged") == 4
    assert {was or "open" for was in read_back(doc, capsys).values()} == {"open"}
    assert "| Status |" not in doc.read_text(encoding="utf-8")


def test_pull_check_exits_1_for_any_stale_state(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, sandbox, settings = env
    doc, made = linked_lists(tmp_path, settings)
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PMSYNC_TRACKER", name)
    monkeypatch.chdir(tmp_path)
    # Moved under "Completed" while its ticket is open: the document is stale.
    assert main(["pull", "--check", str(doc)]) == 1
    assert main(["pull", str(doc)]) == 0
    assert main(["pull", "--check", str(doc)]) == 0
    move(name, sandbox, made[PLAIN], Status.WONT_DO)  # the plain bullet: only an annotation says it
    before = doc.read_bytes()
    assert main(["pull", "--check", str(doc)]) == 1
    assert doc.read_bytes() == before
    assert main(["pull", str(doc)]) == 0
    assert main(["pull", "--check", str(doc)]) == 0


def test_pull_without_a_tracker_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in ("PMSYNC_JIRA__URL", "PMSYNC_GITHUB__REPO", "GITHUB_REPOSITORY",
                     "PMSYNC_TRACKER"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    doc = write(tmp_path, "## Action items\n\n- Cap the retries ([OPS-4](https://j.example.com/browse/OPS-4))\n")
    before = doc.read_bytes()
    assert main(["pull", str(doc)]) == 2
    assert str(NoTrackerConfigured()) in capsys.readouterr().err
    assert main(["pull", "--check", str(doc)]) == 2
    assert doc.read_bytes() == before
    plain = write(tmp_path, "## Action items\n\n- Nothing linked yet\n", "plain.md")
    assert main(["pull", str(plain)]) == 0  # nothing to bring back, nothing missing


# --- existing references: never a second ticket ------------------------------------------------


SYNONYMS = ["Tracking bug", "Bug", "Issue", "Issue #", "Related issue", "Reference", "PR", "Links"]


def own_label(name: str, key: str) -> str:
    return key if name == "jira" else "#" + key.rsplit("#", 1)[1]


@pytest.mark.parametrize("header", SYNONYMS)
def test_ticket_column_synonyms_link_and_create_nothing(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, header: str
) -> None:
    name, sandbox, settings = env
    _, made = linked_lists(tmp_path, settings)
    count = len(tickets(name, sandbox))
    doc = write(tmp_path, "## Action items\n\n"
                f"| Action item | Type | Owner | {header} |\n|---|---|---|---|\n"
                f"| Same work, tracked already | mitigate | @bob | {own_label(name, made[TABLE_ROW])} |\n",
                "other.md")
    result, _ = push([doc], settings)
    assert len(tickets(name, sandbox)) == count
    assert result.total("created") == 0 and result.total("unchanged") == 1
    move(name, sandbox, made[TABLE_ROW], Status.DONE)
    pull([doc], settings)
    assert "| Done |" in doc.read_text(encoding="utf-8")


def test_reference_in_an_unmapped_column_is_never_created(
    env: tuple[str, Sandbox, Settings], tmp_path: Path
) -> None:
    name, sandbox, settings = env
    _, made = linked_lists(tmp_path, settings)
    count = len(tickets(name, sandbox))
    doc = write(tmp_path, "## Action items\n\n| Action | Kind | Owner | Status |\n|---|---|---|---|\n"
                f"| Ours, named in another column | fixed in {own_label(name, made[TABLE_ROW])} | Dana | Open |\n"
                "| Someone else's | [PR](https://github.com/acme/lib/pull/31) merged | Dana | Done |\n"
                "| Jira elsewhere | see https://issues.example.org/browse/LIB-12 | Dana | Open |\n"
                "| A commit | https://git.example.com/acme/lib/commit/4f2a9c1 | Dana | Done |\n",
                "refs.md")
    result, _ = push([doc], settings)
    outcomes = [i.outcome for d in result.documents for i in d.items]
    assert outcomes == ["unchanged", "external", "external", "external"]
    assert len(tickets(name, sandbox)) == count


MOJIBAKE = """# Review: cold cache

## Action items

| Action | Owner | Status |
|---|---|---|
| Warm the cache before deploys | @kim | âšª Open |
| Cap the retries | @kim | âšª Open |
"""


def test_mojibake_document_gets_its_own_mojibake_forms(
    env: tuple[str, Sandbox, Settings], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, sandbox, settings = env
    doc = write(tmp_path, MOJIBAKE)
    result, _ = push([doc], settings)
    first, second = keys(result)
    move(name, sandbox, first, Status.DONE)
    move(name, sandbox, second, Status.WONT_DO)
    pull([doc], settings)
    rows = [line for line in doc.read_text(encoding="utf-8").splitlines() if "@kim" in line]
    assert "| âœ… Done |" in rows[0]
    assert "| \u00e2\u009d\u0152 Won't do |" in rows[1]  # ❌ as cp1252 shows its UTF-8 bytes
    assert "✅" not in doc.read_text(encoding="utf-8")
    assert list(read_back(doc, capsys).values()) == ["done", "wont_do"]


def test_external_references_are_listed_and_counted_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in ("PMSYNC_JIRA__URL", "PMSYNC_GITHUB__REPO", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    doc = write(tmp_path, "## Action items\n\n| Action | Kind | Owner | Status |\n|---|---|---|---|\n"
                "| Patch the parser | [PR](https://github.com/acme/lib/pull/31) merged | Dana | Done |\n"
                "| Rotate the keys | see LIB-12 | Dana | Open |\n")
    assert main(["push", "--dry-run", str(doc)]) == 0
    out = capsys.readouterr().out
    assert out.count("external") >= 3  # each item's row, and the summary's column
    assert "references LIB-12" in out
    assert main(["push", "--dry-run", "--format", "json", str(doc)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["external"] == 2 and data["totals"]["create"] == 0
