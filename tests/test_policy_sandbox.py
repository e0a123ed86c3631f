"""Due dates by policy and drift end to end, over HTTP against the sandbox trackers with the real
``jira`` and ``PyGithub`` clients: a new ticket gets the policy's date and keeps the one a person
sets in the tracker; ``report --refresh`` reads the ticket's due date (Jira ``duedate``, a GitHub
milestone's ``due_on``) and lists drift; ``pull --format json`` carries the effective date."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from connectors.sandbox import Sandbox
from syncer.cli.main import main

POSTMORTEM = """\
# INC-9: Payments outage

**Incident date:** 2026-01-10

## Action items

| Action | Owner | Priority | Due | Status | Ticket |
|---|---|---|---|---|---|
| Add alerting on payment errors | @ann | P1 | | Open | |
| Write the payments runbook | @bob | | | Open | |
| Review dashboards | @cy | P2 | 2026-01-20 | Open | |
"""
POLICY = "[policy]\ndue_days = { P1 = 30, default = 60 }\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["jira", "github"])
def tracker(request: pytest.FixtureRequest, cli_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> str:
    monkeypatch.setenv("PMSYNC_TRACKER", request.param)
    (tmp_path / "pmsync.toml").write_text(POLICY)
    return str(request.param)


def ticket_dues(sandbox: Sandbox, tracker: str) -> dict[str, str | None]:
    """Each ticket's own due date as the tracker holds it, by title."""
    if tracker == "jira":
        return {i["summary"]: i["duedate"] for i in sandbox.admin.jira_issues()}
    found = {}
    for issue in sandbox.admin.github_issues():
        line = next((ln for ln in issue["body"].splitlines() if ln.startswith("Due: ")), None)
        found[issue["title"]] = line.removeprefix("Due: ") if line else None
    return found


def ticket_of(doc: Path, title: str) -> str:
    """The key push linked in the row of ``title``: ``OPS-1`` or ``#1``."""
    row = next(ln for ln in doc.read_text().splitlines() if ln.startswith(f"| {title} "))
    return row.split("[")[1].split("]")[0]


def set_ticket_due(sandbox: Sandbox, tracker: str, key: str, day: date) -> None:
    """What a person does: a Jira due date, or a GitHub milestone with a due date."""
    if tracker == "jira":
        from jira import JIRA

        client = JIRA(sandbox.jira_url, basic_auth=(sandbox.jira_email, sandbox.jira_token))
        client.issue(key).update(fields={"duedate": day.isoformat()})
        return
    from github import Auth, Github

    client = Github(auth=Auth.Token(sandbox.github_token), base_url=sandbox.github_api_url)
    repo = client.get_repo(sandbox.github_repo)
    milestone = repo.create_milestone("Q2", due_on=datetime(day.year, day.month, day.day,
                                                            tzinfo=timezone.utc))
    repo.get_issue(int(key.lstrip("#"))).edit(milestone=milestone)


def test_a_new_ticket_gets_the_effective_due_date_and_keeps_the_trackers(
        cli_sandbox: Sandbox, tracker: str, tmp_path: Path, capsys):
    doc = tmp_path / "pm.md"
    doc.write_text(POSTMORTEM)
    code, _, err = run(capsys, "push", str(doc))
    assert code == 0, err
    assert ticket_dues(cli_sandbox, tracker) == {
        "Add alerting on payment errors": "2026-02-09",  # P1: 30 days from the incident
        "Write the payments runbook": "2026-03-11",  # default: 60 days
        "Review dashboards": "2026-01-20",  # the document's own
    }
    alerting = ticket_of(doc, "Add alerting on payment errors")
    set_ticket_due(cli_sandbox, tracker, alerting, date(2026, 6, 1))
    (tmp_path / "pmsync.toml").write_text("[policy]\ndue_days = { P1 = 45, default = 90 }\n")
    code, out, err = run(capsys, "push", "--format", "json", str(doc))
    assert code == 0, err
    actions = [i["action"] for d in json.loads(out)["documents"] for i in d["items"]]
    # A policy date went to the ticket when it was made; a changed policy never overwrites it.
    assert actions == ["unchanged"] * 3
    if tracker == "jira":  # GitHub keeps its Due: line; the milestone holds the new date
        assert ticket_dues(cli_sandbox, tracker)["Add alerting on payment errors"] == "2026-06-01"
    code, out, err = run(capsys, "report", "--refresh", "--as-of", "2026-04-01", "--format",
                         "json", str(doc))
    assert code == 0, err
    overdue = {e["title"]: (e["due"], e["due_source"]) for e in json.loads(out)["overdue"]}
    assert overdue == {"Write the payments runbook": ("2026-03-11", "tracker"),  # as created
                       "Review dashboards": ("2026-01-20", "document")}
    code, out, err = run(capsys, "pull", "--format", "json", str(doc))
    assert code == 0, err
    dues = {i["title"]: (i["due"], i["due_source"]) for d in json.loads(out)["documents"]
            for i in d["items"]}
    assert dues["Add alerting on payment errors"] == ("2026-06-01", "tracker")


def test_report_refresh_lists_drift(cli_sandbox: Sandbox, tracker: str, tmp_path: Path, capsys):
    doc = tmp_path / "pm.md"
    doc.write_text(POSTMORTEM)
    assert run(capsys, "push", str(doc))[0] == 0
    key = ticket_of(doc, "Write the payments runbook")
    text = doc.read_text()
    if tracker == "jira":
        cli_sandbox.admin.set_jira_status(key, "Done")
        missing = "OPS-999"
    else:
        cli_sandbox.admin.set_github_state(int(key.lstrip("#")), "closed",
                                           state_reason="completed")
        missing = "#999"
    dashboards = next(ln for ln in text.splitlines() if ln.startswith("| Review dashboards"))
    text = text.replace(dashboards + "\n", "")  # its ticket stays open: an orphan
    text += f"| Rotate the payment keys | @dee | P2 | 2026-02-01 | Open | {missing} |\n"
    doc.write_text(text)
    before = doc.read_bytes()
    code, out, err = run(capsys, "report", "--refresh", "--as-of", "2026-04-01", "--format",
                         "json", str(doc))
    assert code == 0, err
    drift = {(d["kind"], d["title"]): d for d in json.loads(out)["drift"]}
    assert set(drift) == {("status", "Write the payments runbook"),
                          ("orphan", "Review dashboards"),
                          ("missing", "Rotate the payment keys")}
    assert drift[("status", "Write the payments runbook")]["detail"].startswith(
        "document: open; ticket: done")
    assert drift[("orphan", "Review dashboards")]["line"] is None
    assert drift[("missing", "Rotate the payment keys")]["ticket"] == missing
    _, markdown, _ = run(capsys, "report", "--refresh", "--as-of", "2026-04-01", "--format",
                         "markdown", str(doc))
    assert "### Drift: documents and trackers that disagree (3)" in markdown
    assert "| item removed |" in markdown and "| status differs |" in markdown
    assert doc.read_bytes() == before
    run(capsys, "pull", str(doc))
    _, out, _ = run(capsys, "report", "--refresh", "--format", "json", str(doc))
    assert {d["kind"] for d in json.loads(out)["drift"]} == {"orphan", "missing"}
