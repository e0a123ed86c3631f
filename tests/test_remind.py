"""pmsync remind end to end on the sandbox: one reminder per ticket and window, on both trackers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import Sandbox
from syncer.cli.main import main
from syncer.remind import window_start

DOC = """\
---
incident_id: INC-7
title: Queue backlog
---
# Queue backlog

## Action items

| Action | Owner | Due | Status |
|---|---|---|---|
| Add a queue depth alert | @alice | 2026-12-02 | Open |
| Shard the consumer | @alice | 2026-11-20 | Open |
| Write the runbook | @alice | 2026-12-20 | Open |
| Remove the feature flag | @alice | 2026-11-01 | Done |
"""

CONFIG = """\
[owners."@alice"]
jira = "{jira}"
github = "alice"
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["github", "jira"])
def pushed(request: pytest.FixtureRequest, cli_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Sandbox, str]:
    """A postmortem pushed to one tracker: its open items have tickets assigned to Alice."""
    monkeypatch.setenv("PMSYNC_TRACKER", request.param)
    (tmp_path / "pmsync.toml").write_text(CONFIG.format(jira="alice@example.com"))
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "2026-11-01-queue.md").write_text(DOC)
    code, _, err = run(capsys, "push", "postmortems")
    assert code == 0, err
    return cli_sandbox, request.param


def tickets(sandbox: Sandbox, tracker: str) -> dict[str, dict[str, Any]]:
    """Every ticket by title."""
    if tracker == "jira":
        return {t["summary"]: t for t in sandbox.admin.jira_issues()}
    return {t["title"]: t for t in sandbox.admin.github_issues() if not t["pull_request"]}


def comment_counts(sandbox: Sandbox, tracker: str) -> dict[str, int]:
    return {title: len(t["comments"]) for title, t in tickets(sandbox, tracker).items()}


def remind(capsys: pytest.CaptureFixture[str], day: str, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "remind", "postmortems", "--as-of", day, "--format", "json",
                         *extra)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_one_reminder_per_ticket_and_window_across_runs(
        pushed: tuple[Sandbox, str], capsys: pytest.CaptureFixture[str]) -> None:
    sandbox, tracker = pushed
    first = remind(capsys, "2026-12-01")
    assert sorted((r["title"], r["days_left"], r["outcome"]) for r in first["reminders"]) == [
        ("Add a queue depth alert", 1, "sent"), ("Shard the consumer", -11, "sent")]
    assert first["window"] == "2026-11-30"  # a Monday
    counts = {"Add a queue depth alert": 1, "Shard the consumer": 1, "Write the runbook": 0}
    assert comment_counts(sandbox, tracker) == counts
    # Another run in the same window, by a new process reading everything afresh: no comment.
    again = remind(capsys, "2026-12-06")
    assert [r["outcome"] for r in again["reminders"]] == ["already sent"] * 2
    assert comment_counts(sandbox, tracker) == counts
    # The next window reminds again; the runbook (due 12-20) is not due within 3 days yet.
    later = remind(capsys, "2026-12-07")
    assert [r["outcome"] for r in later["reminders"]] == ["sent"] * 2
    assert comment_counts(sandbox, tracker) == {**counts, "Add a queue depth alert": 2,
                                                "Shard the consumer": 2}


def test_a_dry_run_lists_and_posts_nothing(pushed: tuple[Sandbox, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    sandbox, tracker = pushed
    listed = remind(capsys, "2026-12-01", "--dry-run")
    assert [r["outcome"] for r in listed["reminders"]] == ["due", "due"]
    assert listed["dry_run"] and set(comment_counts(sandbox, tracker).values()) == {0}
    code, out, _ = run(capsys, "remind", "postmortems", "--as-of", "2026-12-01", "--dry-run")
    assert code == 0 and "would send" in out and "dry run: nothing posted" in out
    remind(capsys, "2026-12-01")
    assert [r["outcome"] for r in remind(capsys, "2026-12-01", "--dry-run")["reminders"]] == [
        "already sent"] * 2


def test_the_reminder_mentions_the_assignee_and_says_when_it_is_due(
        pushed: tuple[Sandbox, str], capsys: pytest.CaptureFixture[str]) -> None:
    sandbox, tracker = pushed
    remind(capsys, "2026-12-01")
    ticket = tickets(sandbox, tracker)["Shard the consumer"]
    [body] = ticket["comments"]
    if tracker == "github":
        assert body.startswith("@alice Reminder: this postmortem action item is overdue by 11 "
                               "days (due 2026-11-20).")
        assert "<!-- pmsync-comment:remind/2026-11-30 -->" in body
    else:
        alice = next(u for u in sandbox.core.jira_store.users.values() if u.name == "alice")
        mention, _, text = body["content"][0]["content"][:3]
        assert mention == {"type": "mention", "attrs": {"id": alice.account_id}}
        assert text["text"].startswith("Reminder: this postmortem action item is overdue by 11")
        assert ticket["comment_properties"] == [{"pmsync": {"tag": "remind/2026-11-30"}}]


def test_closed_tickets_get_no_reminder(pushed: tuple[Sandbox, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sandbox, tracker = pushed
    shard = tickets(sandbox, tracker)["Shard the consumer"]
    if tracker == "jira":
        sandbox.admin.set_jira_status(shard["key"], category="done")
    else:
        sandbox.admin.set_github_state(shard["number"], state_reason="completed")
    result = remind(capsys, "2026-12-01")
    assert [r["title"] for r in result["reminders"]] == ["Add a queue depth alert"]
    assert comment_counts(sandbox, tracker)["Shard the consumer"] == 0


def test_a_refused_comment_fails_that_reminder_and_exits_1(
        pushed: tuple[Sandbox, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, tracker = pushed
    from connectors.sandbox import FaultPlan, FaultRule

    route = "*/comments" if tracker == "github" else "*/comment"
    sandbox.admin.set_faults(FaultPlan([FaultRule("500", method="POST", route=route,
                                                  nth=tuple(range(1, 30)))]))
    code, out, err = run(capsys, "remind", "postmortems", "--as-of", "2026-12-01")
    assert code == 1, out + err
    assert "failed" in out
    for secret in (sandbox.github_token, sandbox.jira_token):
        assert secret not in out + err


def test_windows_start_on_mondays_and_span_every_days() -> None:
    assert window_start(date(2026, 12, 1), 7) == date(2026, 11, 30)
    assert window_start(date(2026, 11, 30), 7) == date(2026, 11, 30)
    assert window_start(date(2026, 12, 6), 7) == date(2026, 11, 30)
    assert window_start(date(2026, 12, 7), 7) == date(2026, 12, 7)
    assert window_start(date(2026, 12, 7), 1) == date(2026, 12, 7)
    starts = {window_start(date.fromordinal(date(2026, 1, 1).toordinal() + n), 14)
              for n in range(28)}
    assert len(starts) in (2, 3) and all((b - a).days == 14 for a, b in
                                         zip(sorted(starts), sorted(starts)[1:]))


POLICY_DOC = """\
---
incident_id: INC-8
date: 2026-11-02
title: Disk full
---
# Disk full

## Action items

| Action | Owner | Priority | Status |
|---|---|---|---|
| Alert on disk usage | @alice | P1 | Open |
| Rotate the logs | @alice | P3 | Open |
"""


def test_items_without_a_due_date_are_reminded_by_the_follow_up_policy(
        cli_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PMSYNC_TRACKER", "github")
    (tmp_path / "pmsync.toml").write_text(CONFIG.format(jira="alice@example.com")
                                          + "[policy]\ndue_days = { P1 = 30, default = 60 }\n")
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "2026-11-02-disk.md").write_text(POLICY_DOC)
    assert run(capsys, "push", "postmortems")[0] == 0
    result = remind(capsys, "2026-12-01")  # P1: due 2026-12-02 (incident + 30 days)
    [reminder] = result["reminders"]
    assert (reminder["title"], reminder["due"], reminder["due_source"], reminder["outcome"]) == (
        "Alert on disk usage", "2026-12-02", "policy", "sent")
    body = tickets(cli_sandbox, "github")["Alert on disk usage"]["comments"][0]
    assert "is due in 1 day (due 2026-12-02 by the follow-up policy)." in body
