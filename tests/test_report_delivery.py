"""pmsync report --post: the tracking issue and the Slack webhook, against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import FaultKind, FaultPlan, FaultRule, Sandbox
from syncer.cli.main import main
from tests.conftest import ROOT

REPORT_DATA = "tests/data/report"
LABEL = "pmsync-report"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox, with pmsync's environment pointing at it (no config file)."""
    monkeypatch.chdir(ROOT)
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    with Sandbox() as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        yield sb


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _tracking(sb: Sandbox) -> list[dict[str, Any]]:
    return [i for i in sb.admin.github_issues() if LABEL in i["labels"]]


def test_tracking_issue_is_created_once_then_updated(sandbox: Sandbox, capsys):
    code, _, err = run(capsys, "report", "--as-of", "2025-04-01", "--format", "json", "--post",
                       "github-issue", REPORT_DATA)
    assert code == 0, err
    [issue] = _tracking(sandbox)
    assert f"tracking issue #{issue['number']} created" in err
    assert issue["title"] == "Postmortem action items: overdue report"
    assert issue["body"].startswith("## Postmortem action items as of 2025-04-01")
    assert "**4 overdue**" in issue["body"]

    code, _, err = run(capsys, "report", "--as-of", "2025-04-02", "--post", "github-issue",
                       REPORT_DATA)
    assert code == 0, err
    [again] = _tracking(sandbox)
    assert again["number"] == issue["number"] and "updated" in err
    assert again["body"].startswith("## Postmortem action items as of 2025-04-02")

    code, _, err = run(capsys, "report", "--as-of", "2025-04-02", "--post", "github-issue",
                       REPORT_DATA)
    assert code == 0 and "unchanged" in err and len(_tracking(sandbox)) == 1
    routes = {route for _, route in sandbox.admin.request_counts()}
    assert not any("search" in route for route in routes)  # found by listing, never by search


def test_closed_tracking_issue_is_reopened_and_pull_requests_ignored(sandbox: Sandbox, capsys):
    sandbox.admin.seed_github_issues(1, title="A pull request", labels=[LABEL],
                                     pull_requests=True)
    [closed] = sandbox.admin.seed_github_issues(1, title="Old report", labels=[LABEL],
                                                state="closed")
    code, _, err = run(capsys, "report", "--as-of", "2025-04-01", "--post", "github-issue",
                       REPORT_DATA)
    assert code == 0, err
    issues = [i for i in _tracking(sandbox) if not i["pull_request"]]
    assert [(i["number"], i["state"]) for i in issues] == [(closed, "open")]
    assert f"#{closed} reopened" in err


def test_lost_create_response_does_not_duplicate_the_issue(sandbox: Sandbox, capsys):
    sandbox.admin.set_faults(FaultPlan((FaultRule(
        FaultKind.LOST_RESPONSE, service="github", method="POST", route="*/issues", nth=(1,)),)))
    code, _, err = run(capsys, "report", "--as-of", "2025-04-01", "--post", "github-issue",
                       REPORT_DATA)
    assert code == 0, err
    assert len(_tracking(sandbox)) == 1
    assert "unchanged" in err  # found again by listing after the lost answer, not re-created


def test_tracking_label_and_title_are_configurable(sandbox: Sandbox, capsys, monkeypatch):
    monkeypatch.setenv("PMSYNC_REPORT__TRACKING_LABEL", "weekly-actions")
    monkeypatch.setenv("PMSYNC_REPORT__TRACKING_TITLE", "Weekly action items")
    assert run(capsys, "report", "--post", "github-issue", REPORT_DATA)[0] == 0
    [issue] = [i for i in sandbox.admin.github_issues() if "weekly-actions" in i["labels"]]
    assert issue["title"] == "Weekly action items" and not _tracking(sandbox)


def test_github_token_never_printed(sandbox: Sandbox, capsys):
    code, out, err = run(capsys, "-vv", "report", "--post", "github-issue", REPORT_DATA)
    assert code == 0
    assert sandbox.github_token not in out + err


def test_slack_post_is_recorded_and_webhook_url_never_printed(sandbox: Sandbox, capsys):
    code, out, err = run(capsys, "-vv", "report", "--as-of", "2025-04-01", "--post", "slack",
                         REPORT_DATA)
    assert code == 0, err
    [message] = sandbox.admin.slack_messages()
    text = message["payload"]["text"]
    assert text.startswith("*Postmortem action items as of 2025-04-01*")
    assert "4 overdue" in text and "Write the failover runbook — @alice, 121 days overdue" in text
    assert "<https://github.com/acme/ops/issues/4|#4>" in text
    assert "posted the summary to Slack" in err
    assert "sandbox-webhook-secret" not in out + err
    assert sandbox.slack_webhook_url not in out + err


def test_slack_mentions_owners_mapped_to_slack_ids(sandbox: Sandbox, capsys, monkeypatch):
    monkeypatch.setenv("PMSYNC_OWNERS", '{"@alice": {"slack": "U0ALICE"}, "Bob": {"slack": "U0BOB"}}')
    code, _, err = run(capsys, "report", "--as-of", "2025-04-01", "--post", "slack",
                       REPORT_DATA)
    assert code == 0, err
    [message] = sandbox.admin.slack_messages()
    text = message["payload"]["text"]
    assert "Write the failover runbook — <@U0ALICE>, 121 days overdue" in text
    assert "Fix the pager rotation — <@U0BOB>," in text  # "@bob" matches the owner "Bob"
    assert "@alice" not in text.replace("<@U0ALICE>", "")


def test_slack_refusal_is_one_line_without_the_url(sandbox: Sandbox, capsys, monkeypatch):
    monkeypatch.setenv("PMSYNC_SLACK__WEBHOOK_URL", f"{sandbox.url}/_sandbox/slack/gone/secret1")
    code, out, err = run(capsys, "report", "--format", "json", "--post", "slack", REPORT_DATA)
    assert code == 1
    assert "Slack refused the message: HTTP 404" in err
    assert "secret1" not in out + err and not sandbox.admin.slack_messages()


def test_slack_without_a_webhook_names_the_variable(sandbox: Sandbox, capsys, monkeypatch):
    monkeypatch.delenv("PMSYNC_SLACK__WEBHOOK_URL")
    code, _, err = run(capsys, "report", "--post", "slack", REPORT_DATA)
    assert code == 2 and "PMSYNC_SLACK__WEBHOOK_URL" in err


def test_sandbox_slack_hook_refuses_a_message_without_text(sandbox: Sandbox):
    import requests

    answer = requests.post(sandbox.slack_webhook_url, json={"username": "x"}, timeout=5)
    assert (answer.status_code, answer.text) == (400, "no_text")
    answer = requests.post(sandbox.slack_webhook_url, json={"text": "hi"}, timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert [m["payload"] for m in sandbox.admin.slack_messages()] == [{"text": "hi"}]


def test_remote_admin_reads_slack_messages(sandbox: Sandbox):
    import requests

    from connectors.sandbox.admin import RemoteAdmin

    requests.post(sandbox.slack_webhook_url, json={"text": "hello"}, timeout=5)
    remote = RemoteAdmin(sandbox.admin_url)
    assert remote.slack_messages() == [{"hook": "sandbox-webhook-secret",
                                        "payload": {"text": "hello"}}]
    remote.reset()
    assert remote.slack_messages() == []


def test_refresh_reads_ticket_states_without_writing(sandbox: Sandbox, capsys, tmp_path: Path):
    pytest.importorskip("connectors.jira.connector", reason="needs the Jira connector (connectors/jira/connector.py)")
    pytest.importorskip("connectors.github.connector", reason="needs the GitHub connector")
    [key] = sandbox.admin.seed_jira_issues(1, summary="Add rate limiting")
    [number] = sandbox.admin.seed_github_issues(1, title="Runbook")
    doc = tmp_path / "pm.md"
    doc.write_text(
        "---\nincident_id: INC-7\ndate: 2025-01-10\n---\n# PM\n\n"
        "| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
        f"| Add rate limiting | @a | 2025-03-01 | Open | {key} |\n"
        f"| Runbook | @b | 2025-03-01 | Open | #{number} |\n"
        "| Unlinked | @c | 2025-03-01 | Open | |\n")
    before = doc.read_bytes()
    sandbox.admin.set_jira_status(key, "Done")
    sandbox.admin.set_github_state(number, "closed", state_reason="completed")
    code, out, err = run(capsys, "report", "--as-of", "2025-04-01", "--refresh", "--format",
                         "json", str(doc))
    assert code == 0, err
    import json

    data = json.loads(out)
    assert [e["title"] for e in data["overdue"]] == ["Unlinked"]
    assert data["refreshed"] is True
    assert data["metrics"]["by_status"]["done"] == 2
    assert doc.read_bytes() == before
    writes = [r for (method, r), n in sandbox.admin.request_counts().items()
              if method in ("PUT", "PATCH", "DELETE") or (method == "POST" and "search" not in r
                                                          and "graphql" not in r)]
    assert writes == []
