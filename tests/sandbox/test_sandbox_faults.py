"""Each injected fault as the real clients see it, and the determinism of fault plans."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from github import GithubException
from jira import JIRAError

from connectors.sandbox import FaultKind, FaultPlan, FaultRule, Sandbox
from tests.sandbox.conftest import github_client, jira_client, raw_session

CREATE_JIRA = {"service": "jira", "method": "POST", "route": "/rest/api/2/issue"}
CREATE_GITHUB = {"service": "github", "method": "POST", "route": "/repos/{owner}/{repo}/issues"}
TASK: dict[str, Any] = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "x"}


def _plan(kind: FaultKind, where: dict[str, str], **rule: object) -> FaultPlan:
    return FaultPlan((FaultRule(kind, **where, nth=(1,), **rule),))  # type: ignore[arg-type]


def test_jira_cloud_429_carries_retry_after_and_rate_limit_headers() -> None:
    with Sandbox(faults=_plan(FaultKind.TOO_MANY_REQUESTS, CREATE_JIRA, retry_after=1)) as sb:
        client = jira_client(sb)
        started = time.monotonic()
        with pytest.raises(JIRAError) as raised:
            client.create_issue(fields=TASK)
        assert time.monotonic() - started < 1  # max_retries=0: the client did not wait
        response = raised.value.response
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.json()["errorMessages"] == [
            "The request has been rate-limited. Please try again later."
        ]
        assert sb.admin.jira_issues() == []
        assert client.create_issue(fields=TASK).key == "OPS-1"  # only the first create failed


def test_jira_server_429_is_an_html_page_with_token_bucket_headers() -> None:
    with Sandbox(
        flavour="server", faults=_plan(FaultKind.TOO_MANY_REQUESTS, CREATE_JIRA, retry_after=0)
    ) as sb:
        with pytest.raises(JIRAError) as raised:
            jira_client(sb).create_issue(fields=TASK)
        response = raised.value.response
        assert response.status_code == 429
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["X-RateLimit-FillRate"] == "5"
        assert response.headers["Retry-After"] == "0"


@pytest.mark.parametrize(
    "kind", [FaultKind.SERVER_ERROR, FaultKind.BAD_GATEWAY, FaultKind.SERVICE_UNAVAILABLE]
)
def test_server_errors_reach_both_clients(kind: FaultKind) -> None:
    plan = FaultPlan(
        (
            FaultRule(kind, **CREATE_JIRA, nth=(1,)),  # type: ignore[arg-type]
            FaultRule(kind, **CREATE_GITHUB, nth=(1,)),
        )
    )  # type: ignore[arg-type]
    with Sandbox(faults=plan) as sb:
        with pytest.raises(JIRAError) as jira_raised:
            jira_client(sb).create_issue(fields=TASK)
        assert jira_raised.value.status_code == kind.status
        repo = github_client(sb).get_repo(sb.github_repo)
        with pytest.raises(GithubException) as github_raised:
            repo.create_issue("x")
        assert github_raised.value.status == kind.status
        assert "x-ratelimit-remaining" in github_raised.value.headers
        assert sb.admin.jira_issues() == [] and sb.admin.github_issues() == []


def test_github_429_names_the_secondary_limit_and_when_to_retry() -> None:
    with Sandbox(faults=_plan(FaultKind.TOO_MANY_REQUESTS, CREATE_GITHUB, retry_after=1)) as sb:
        repo = github_client(sb).get_repo(sb.github_repo)
        with pytest.raises(GithubException) as raised:
            repo.create_issue("x")
        assert raised.value.status == 429
        assert raised.value.headers["retry-after"] == "1"
        assert "secondary rate limit" in raised.value.data["message"]


def test_a_reset_connection_writes_nothing() -> None:
    plan = FaultPlan(
        (
            FaultRule(FaultKind.RESET, **CREATE_JIRA, nth=(1,)),  # type: ignore[arg-type]
            FaultRule(FaultKind.RESET, **CREATE_GITHUB, nth=(1,)),
        )
    )  # type: ignore[arg-type]
    with Sandbox(faults=plan) as sb:
        with pytest.raises(requests.exceptions.ConnectionError):
            jira_client(sb).create_issue(fields=TASK)
        repo = github_client(sb).get_repo(sb.github_repo)
        with pytest.raises(requests.exceptions.ConnectionError):
            repo.create_issue("x")
        assert sb.admin.jira_issues() == [] and sb.admin.github_issues() == []
        faults = [r["fault"] for r in sb.admin.request_log() if r["method"] == "POST"]
        assert faults == ["reset", "reset"]


def test_a_lost_response_commits_the_jira_write_so_a_blind_retry_duplicates_it() -> None:
    with Sandbox(faults=_plan(FaultKind.LOST_RESPONSE, CREATE_JIRA)) as sb:
        client = jira_client(sb)
        with pytest.raises(requests.exceptions.ConnectionError):
            client.create_issue(fields=TASK)
        assert [i["key"] for i in sb.admin.jira_issues()] == ["OPS-1"]
        client.create_issue(fields=TASK)
        assert [i["key"] for i in sb.admin.jira_issues()] == ["OPS-1", "OPS-2"]
        lost = [r for r in sb.admin.request_log() if r["fault"] == "lost_response"]
        assert [(r["route"], r["status"]) for r in lost] == [("/rest/api/2/issue", 201)]


def test_a_lost_bulk_response_still_creates_every_issue() -> None:
    where = {"service": "jira", "method": "POST", "route": "*/issue/bulk"}
    with Sandbox(faults=_plan(FaultKind.LOST_RESPONSE, where)) as sb:
        with pytest.raises(requests.exceptions.ConnectionError):
            jira_client(sb).create_issues([TASK, TASK, TASK], prefetch=False)
        assert len(sb.admin.jira_issues()) == 3


def test_a_lost_response_commits_the_github_write() -> None:
    with Sandbox(faults=_plan(FaultKind.LOST_RESPONSE, CREATE_GITHUB)) as sb:
        repo = github_client(sb).get_repo(sb.github_repo)
        with pytest.raises(requests.exceptions.ConnectionError):
            repo.create_issue("Rotate the pager")
        assert [i["title"] for i in sb.admin.github_issues()] == ["Rotate the pager"]
        assert repo.get_issue(1).title == "Rotate the pager"  # the connection pool recovers


def test_a_sandbox_bug_answers_500_instead_of_dropping_the_connection(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(ref: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sandbox.core.jira_store, "find_issue", broken)
    response = raw_session(sandbox, "jira").get(f"{sandbox.jira_url}/rest/api/2/issue/OPS-1")
    assert response.status_code == 500
    assert "RuntimeError('boom')" in response.json()["message"]
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_latency_delays_every_tracker_request_but_not_the_admin_api() -> None:
    with Sandbox(latency=0.15) as sb:
        session = raw_session(sb, "github")
        started = time.monotonic()
        session.get(f"{sb.github_api_url}/repos/{sb.github_repo}")
        assert time.monotonic() - started >= 0.15
        started = time.monotonic()
        requests.get(f"{sb.admin_url}/_sandbox/state", timeout=5)
        assert time.monotonic() - started < 0.15
        sb.admin.configure(latency=0)
        started = time.monotonic()
        session.get(f"{sb.github_api_url}/repos/{sb.github_repo}")
        assert time.monotonic() - started < 0.15


def _statuses(sb: Sandbox, count: int) -> list[int]:
    session = raw_session(sb, "github")
    url = f"{sb.github_api_url}/repos/{sb.github_repo}"
    return [session.get(url).status_code for _ in range(count)]


def test_probabilistic_faults_repeat_exactly_for_the_same_seed() -> None:
    plan = FaultPlan((FaultRule(FaultKind.SERVICE_UNAVAILABLE, service="github", probability=0.5),))
    with Sandbox(faults=plan, seed=7) as sb:
        first = _statuses(sb, 24)
        sb.admin.reset()
        again = _statuses(sb, 24)
    with Sandbox(faults=plan, seed=8) as other:
        different = _statuses(other, 24)
    assert first == again
    assert set(first) == {200, 503}
    assert different != first


def test_schedules_pick_the_nth_matching_requests_and_times_caps_a_rule() -> None:
    plan = FaultPlan(
        (
            FaultRule(
                FaultKind.SERVER_ERROR, service="github", route="/repos/{owner}/{repo}", nth=(2, 3)
            ),
            FaultRule(
                FaultKind.BAD_GATEWAY,
                service="github",
                route="/repos/{owner}/{repo}",
                probability=1.0,
                times=1,
            ),
        )
    )
    with Sandbox(faults=plan) as sb:
        assert _statuses(sb, 5) == [502, 500, 500, 200, 200]


def test_rules_only_count_the_requests_they_match() -> None:
    plan = FaultPlan(
        (
            FaultRule(
                FaultKind.SERVER_ERROR, service="github", method="POST", route="*/issues", nth=(2,)
            ),
        )
    )
    with Sandbox(faults=plan) as sb:
        repo = github_client(sb).get_repo(sb.github_repo)
        repo.get_issues().totalCount  # noqa: B018 - a GET on */issues must not count
        assert repo.create_issue("first").number == 1
        with pytest.raises(GithubException):
            repo.create_issue("second")
        assert repo.create_issue("third").number == 2


def test_faults_can_be_changed_while_running() -> None:
    with Sandbox() as sb:
        assert _statuses(sb, 1) == [200]
        sb.admin.set_faults(FaultPlan((FaultRule(FaultKind.SERVER_ERROR, probability=1.0),)))
        assert _statuses(sb, 2) == [500, 500]
        sb.admin.set_faults(FaultPlan())
        assert _statuses(sb, 1) == [200]


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "500"},
        {"kind": "500", "probability": 1.5},
        {"kind": "500", "nth": (0,)},
        {"kind": "teapot", "nth": (1,)},
    ],
)
def test_meaningless_rules_are_refused(rule: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultRule(**rule)  # type: ignore[arg-type]


def test_plans_round_trip_through_json() -> None:
    plan = FaultPlan(
        (
            FaultRule(FaultKind.LOST_RESPONSE, method="POST", nth=(1, 4)),
            FaultRule(FaultKind.TOO_MANY_REQUESTS, probability=0.25, retry_after=None),
        )
    )
    assert FaultPlan.from_json(plan.to_json()) == plan
