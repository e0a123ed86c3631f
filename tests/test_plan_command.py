"""pmsync plan: the push plan a reviewer reads, on the sandbox; nothing is created or written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import Sandbox
from syncer.cli.main import main

DOC = """\
# Queue backlog

## Action items

| Action | Owner | Due | Status |
|---|---|---|---|
| Add a queue depth alert | @alice | 2026-12-02 | Open |
| Shard the consumer | @bob | | Open |
| Remove the feature flag | @alice | 2026-11-01 | Done |
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["github", "jira"])
def document(request: pytest.FixtureRequest, cli_sandbox: Sandbox,
             monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PMSYNC_TRACKER", request.param)
    path = tmp_path / "postmortems" / "2026-11-01-queue.md"
    path.parent.mkdir()
    path.write_text(DOC)
    return path


def tickets(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.admin.jira_issues() + [
        t for t in sandbox.admin.github_issues() if not t["pull_request"]]


def test_the_plan_lists_creates_then_updates_and_changes_nothing(
        document: Path, cli_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--format", "markdown", "postmortems")
    assert code == 0, err
    assert "2 to create in 1 postmortem(s)." in out
    assert "| **create** | Add a queue depth alert (line 7) | @alice |" in out
    assert "2026-12-02 (document)" in out
    assert "Left as they are: 1 skip." in out
    assert tickets(cli_sandbox) == [] and document.read_text() == DOC
    assert run(capsys, "push", "postmortems")[0] == 0
    document.write_text(document.read_text().replace("Shard the consumer", "Shard the consumers"))
    code, out, err = run(capsys, "plan", "--format", "json", "postmortems")
    assert code == 0, err
    [planned] = json.loads(out)
    [row] = planned["items"]
    assert (row["action"], row["title"]) == ("update", "Shard the consumers")
    assert row["detail"].startswith("changes title")
    assert row["ticket"] and row["ticket_url"].startswith("http://127.0.0.1")
    assert planned["left_alone"] == {"skip": 1, "unchanged": 1}
    code, out, _ = run(capsys, "plan", "postmortems")
    assert code == 0 and "1 to update in 1 postmortem(s)." in out
    for secret in (cli_sandbox.github_token, cli_sandbox.jira_token):
        assert secret not in out


def test_the_plan_shows_policy_due_dates_and_their_source(
        cli_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PMSYNC_TRACKER", "github")
    (tmp_path / "pmsync.toml").write_text("[policy]\ndue_days = { P1 = 30, default = 60 }\n")
    (tmp_path / "pm.md").write_text(
        "---\ndate: 2026-11-02\n---\n# Disk full\n\n## Action items\n\n"
        "| Action | Owner | Priority |\n|---|---|---|\n| Alert on disk usage | @alice | P1 |\n")
    code, out, err = run(capsys, "plan", "--format", "markdown", "pm.md")
    assert code == 0, err
    assert "| github | 2026-12-02 (policy) |" in out
