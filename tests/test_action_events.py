"""The Action on ticket events (issues, repository_dispatch) and ``command: plan`` on pull
requests, end to end: real git repositories, simulated event payloads, the sandbox trackers."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox import Sandbox
from syncer.action.options import ActionOptions
from syncer.action.results import ActionResult
from syncer.errors import ConfigError
from tests.sandbox.conftest import github_client
from tests.test_action import (  # noqa: F401  (fixtures)
    Repo,
    act,
    git,
    repo,
    sandbox,
    tickets,
    tracker_env,
)

QUEUE = """# 2025-03-05 Queue backlog

## Action items

| Action | Owner | Due | Priority | Status |
|---|---|---|---|---|
| Alert on queue depth | alice | 2025-04-01 | P1 | Open |
| Shard the consumer | bob | 2025-04-15 | P2 | Open |
"""
CACHE = QUEUE.replace("Queue backlog", "Cache stampede").replace(
    "Alert on queue depth", "Rate-limit cache refills").replace("Shard the consumer",
                                                                "Warm the cache")


def pushed(repo: Repo, env: dict[str, str]) -> None:
    """Both postmortems pushed by the Action: tickets made, links written back to main."""
    repo.commit({"postmortems/2025/queue.md": QUEUE, "postmortems/2025/cache.md": CACHE})
    repo.push()
    done = act(ActionOptions(workdir=repo.work, paths=("postmortems/2025/q*.md",
                                                      "postmortems/2025/c*.md")),
               repo.event("workflow_dispatch", {}, **env))
    assert done.exit_code == 0 and done.write_back and done.write_back.outcome == "pushed"


def pull_on(repo: Repo, name: str, payload: dict[str, Any], env: dict[str, str]) -> ActionResult:
    return act(ActionOptions(command="pull", workdir=repo.work),
               repo.event(name, payload, **env))


def close_ticket(sandbox: Sandbox, tracker: str, title: str) -> dict[str, Any]:
    ticket = next(t for t in tickets(sandbox, tracker)
                  if t.get("summary", t.get("title")) == title)
    if tracker == "jira":
        sandbox.admin.set_jira_status(ticket["key"], category="done")
    else:
        sandbox.admin.set_github_state(ticket["number"], state_reason="completed")
        ticket = next(t for t in tickets(sandbox, tracker) if t["number"] == ticket["number"])
    return ticket


def ticket_event(sandbox: Sandbox, tracker: str, ticket: dict[str, Any]
                 ) -> tuple[str, dict[str, Any]]:
    """What GitHub sends when the ticket closes: an issues event for a GitHub issue, a
    repository_dispatch from the Jira Automation rule for a Jira issue."""
    if tracker == "jira":
        return "repository_dispatch", {"action": "pmsync-ticket",
                                       "client_payload": {"key": ticket["key"]}}
    return "issues", {"action": "closed", "issue": {
        "number": ticket["number"], "state": "closed", "body": ticket["body"]},
        "repository": {"full_name": sandbox.github_repo}}


def test_a_closed_ticket_writes_back_one_document_once(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]]) -> None:
    tracker, env = tracker_env
    pushed(repo, env)
    tip = repo.remote_tip()
    ticket = close_ticket(sandbox, tracker, "Alert on queue depth")
    name, payload = ticket_event(sandbox, tracker, ticket)
    result = pull_on(repo, name, payload, env)
    assert result.exit_code == 0, result
    assert result.scope.files == ("postmortems/2025/queue.md",)
    assert result.write_back is not None and result.write_back.outcome == "pushed"
    # Exactly one commit, changing exactly one document: the closed item's status.
    assert git(repo.remote, "rev-list", "--count", f"{tip}..main") == "1"
    assert git(repo.remote, "diff", "--name-only", tip, "main") == "postmortems/2025/queue.md"
    written = git(repo.remote, "show", "main:postmortems/2025/queue.md")
    assert "Alert on queue depth" in written and "| Done |" in written
    assert written.count("| Open |") == 1
    # The same event again (a redelivery, or pmsync's own edit): nothing left to write.
    again = pull_on(repo, name, payload, env)
    assert again.write_back is not None and again.write_back.outcome == "nothing"
    assert git(repo.remote, "rev-list", "--count", f"{tip}..main") == "1"
    summary = (repo.tmp / "summary").read_text()
    assert "linking" in summary and env["PMSYNC_GITHUB__TOKEN"] not in summary


def test_ticket_events_that_change_nothing_are_skipped(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]]) -> None:
    _, env = tracker_env
    pushed(repo, env)
    tip = repo.remote_tip()
    cases = [
        ("issues", {"action": "opened", "issue": {"number": 1, "body": ""}}, "pull",
         "an issue was opened"),
        ("issues", {"action": "closed", "issue": {"number": 99, "body": "hand-made"}}, "pull",
         "carries no pmsync marker"),
        ("repository_dispatch", {"action": "deploy", "client_payload": {}}, "pull",
         "is not pmsync's"),
        ("repository_dispatch", {"action": "pmsync-ticket", "client_payload": {"key": "ZZ-9"}},
         "pull", "no postmortem matching"),
        ("repository_dispatch", {"action": "pmsync-ticket", "client_payload": {"key": "ZZ-9"}},
         "push", "they run command: pull"),
    ]
    for name, payload, command, why in cases:
        result = act(ActionOptions(command=command, workdir=repo.work),
                     repo.event(name, payload, **env))
        assert result.scope.skipped and why in result.scope.skipped, (name, payload, result)
        assert result.run is None
    with pytest.raises(ConfigError, match=r"client_payload\.key"):
        pull_on(repo, "repository_dispatch", {"action": "pmsync-ticket",
                                              "client_payload": {"key": "rm -rf /"}}, env)
    assert repo.remote_tip() == tip


# --- command: plan on pull requests ---------------------------------------------------------


def pull_request_payload(repo: Repo, sandbox: Sandbox, number: int, base: str,
                         head_repo: str | None = None) -> dict[str, Any]:
    own = {"full_name": sandbox.github_repo}
    return {"action": "synchronize", "number": number, "pull_request": {
        "number": number, "merged": False,
        "base": {"ref": "main", "sha": base, "repo": own},
        "head": {"ref": "feature", "sha": repo.head(),
                 "repo": {"full_name": head_repo} if head_repo else own}}}


def open_pull(repo: Repo, sandbox: Sandbox, document: str) -> tuple[int, str]:
    """A branch that adds a postmortem, and its pull request on the sandbox GitHub."""
    base = repo.head()
    git(repo.work, "checkout", "-q", "-b", "feature")
    repo.commit({"postmortems/2025/queue.md": document})
    gh = github_client(sandbox).get_repo(sandbox.github_repo)
    return gh.create_pull(title="Queue postmortem", body="", head="feature", base="main").number, base


def plan_comments(sandbox: Sandbox, number: int) -> list[str]:
    [pull] = [i for i in sandbox.admin.github_issues() if i["number"] == number]
    return [c for c in pull["comments"] if "<!-- pmsync-plan -->" in c]


def test_the_plan_is_one_comment_updated_in_place(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]]) -> None:
    tracker, env = tracker_env
    number, base = open_pull(repo, sandbox, QUEUE)
    options = ActionOptions(command="plan", workdir=repo.work)
    first = act(options, repo.event("pull_request", pull_request_payload(repo, sandbox, number,
                                                                          base), **env))
    assert first.exit_code == 0, first
    assert first.scope.files == ("postmortems/2025/queue.md",)
    [comment] = plan_comments(sandbox, number)
    assert "2 to create in 1 postmortem(s)." in comment
    assert "| **create** | Alert on queue depth (line 7) | alice |" in comment
    assert f"| {tracker} | 2025-04-01 (document) |" in comment
    assert first.review and first.review.startswith("Plan comment created: ")
    summary = (repo.tmp / "summary").read_text()
    assert "### pmsync plan: what merging this does" in summary
    assert tickets(sandbox, tracker) == []  # planning creates nothing
    repo.commit({"postmortems/2025/queue.md": QUEUE.replace(
        "| Shard the consumer | bob | 2025-04-15 | P2 | Open |\n", "")})
    second = act(options, repo.event("pull_request", pull_request_payload(repo, sandbox, number,
                                                                           base), **env))
    assert second.review and second.review.startswith("Plan comment updated: ")
    [comment] = plan_comments(sandbox, number)  # still one, now with the new plan
    assert "1 to create in 1 postmortem(s)." in comment
    third = act(options, repo.event("pull_request", pull_request_payload(repo, sandbox, number,
                                                                          base), **env))
    assert third.review and third.review.startswith("Plan comment unchanged: ")
    assert len(plan_comments(sandbox, number)) == 1


def test_a_fork_without_secrets_gets_the_lint_and_a_note(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    tracker, env = tracker_env
    number, base = open_pull(repo, sandbox, QUEUE.replace("| alice |", "| |"))
    forked = {**env, "GITHUB_TOKEN": sandbox.github_token}
    for secret in ("PMSYNC_JIRA__TOKEN", "PMSYNC_GITHUB__TOKEN"):
        forked.pop(secret, None)
        monkeypatch.delenv(secret, raising=False)
    if tracker == "github":  # a fork's GITHUB_TOKEN can still read the trackers' issues
        monkeypatch.setenv("PMSYNC_JIRA__URL", sandbox.jira_url)
        forked["PMSYNC_JIRA__URL"] = sandbox.jira_url
    payload = pull_request_payload(repo, sandbox, number, base, head_repo="someone/postmortems")
    result = act(ActionOptions(command="plan", workdir=repo.work),
                 repo.event("pull_request", payload, **forked))
    assert result.run is not None and result.run.exit_code == 1  # the lint found the owner
    assert result.run.summary == "1 document(s), 2 action item(s): 1 error(s), 2 warning(s)"
    assert result.review and "comes from a fork" in result.review
    assert "PMSYNC_JIRA__TOKEN unset" in result.review
    assert plan_comments(sandbox, number) == []
    summary = (repo.tmp / "summary").read_text()
    assert "only the lint ran" in summary and "action item(s)" in summary


def test_remind_runs_on_the_schedule_once_per_window(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]]) -> None:
    tracker, env = tracker_env
    pushed(repo, env)
    options = ActionOptions(command="remind", workdir=repo.work, args=("--as-of", "2025-04-01"))
    for _ in range(2):
        result = act(options, repo.event("schedule", {}, **env))
        assert result.exit_code == 0 and result.write_back is None
        commented = {t.get("summary", t.get("title")): len(t["comments"])
                     for t in tickets(sandbox, tracker)}
        assert commented == {"Alert on queue depth": 1, "Rate-limit cache refills": 1,
                             "Shard the consumer": 0, "Warm the cache": 0}
