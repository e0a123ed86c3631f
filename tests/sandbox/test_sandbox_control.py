"""Controlling a sandbox: in-process, over the admin HTTP API, and ``serve`` in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from jira import JIRAError

from connectors.sandbox import (
    FaultKind,
    FaultPlan,
    FaultRule,
    RemoteAdmin,
    Sandbox,
    SandboxControl,
    SecondaryLimit,
)
from tests.sandbox.conftest import github_client, jira_client

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["in-process", "http"])
def control(request: pytest.FixtureRequest, sandbox: Sandbox) -> SandboxControl:
    """The same operations, through :class:`SandboxAdmin` and through :class:`RemoteAdmin`."""
    if request.param == "http":
        return RemoteAdmin(sandbox.admin_url)
    return sandbox.admin


def test_seeding_and_status_changes_show_through_the_clients(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    control.seed_jira_project("SRE", "Site Reliability")
    keys = control.seed_jira_issues(2, project="SRE", labels=["pmsync"], status="In Progress")
    control.set_jira_status(keys[0], category="done")
    jira = jira_client(sandbox)
    assert jira.issue(keys[0]).fields.status.statusCategory.key == "done"
    assert jira.issue(keys[1]).fields.status.name == "In Progress"
    control.seed_github_repo("acme/runbooks")
    control.seed_github_user("carol", token="carol-token", repo="acme/runbooks")
    numbers = control.seed_github_issues(2, repo="acme/runbooks", labels=["pmsync"])
    control.set_github_state(numbers[1], "closed", state_reason="not_planned", repo="acme/runbooks")
    issue = github_client(sandbox, "carol-token").get_repo("acme/runbooks").get_issue(numbers[1])
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")


def test_state_and_request_counts_are_readable(sandbox: Sandbox, control: SandboxControl) -> None:
    jira = jira_client(sandbox)
    jira.create_issues(
        [{"project": "OPS", "summary": "a", "issuetype": {"name": "Task"}}], prefetch=False
    )
    counts = control.request_counts()
    assert counts[("POST", "/rest/api/2/issue/bulk")] == 1
    assert counts[("GET", "/rest/api/2/serverInfo")] == 1
    issues = control.jira_issues()
    assert [(i["key"], i["statusCategory"], i["summary"]) for i in issues] == [
        ("OPS-1", "new", "a")
    ]
    state = control.state()
    assert [p["key"] for p in state["jira"]["projects"]] == ["OPS"]
    assert state["github"]["repos"][0]["full_name"] == sandbox.github_repo
    assert control.request_log()[-1]["route"] == "/rest/api/2/issue/bulk"
    control.clear_request_log()
    assert control.request_counts() == {}


def test_reset_returns_to_the_seeded_start(sandbox: Sandbox, control: SandboxControl) -> None:
    control.seed_jira_issues(3)
    control.seed_github_issues(2)
    control.set_faults(FaultPlan((FaultRule(FaultKind.SERVER_ERROR, probability=1.0),)))
    control.configure(latency=0.5, jira_search_lag=10)
    control.reset()
    assert control.jira_issues() == [] and control.github_issues() == []
    assert control.request_counts() == {}
    jira = jira_client(sandbox)  # would take 0.5 s per request, or fail, without the reset
    assert jira.create_issue(project="OPS", summary="x", issuetype={"name": "Task"}).key == "OPS-1"
    assert [i.key for i in jira.enhanced_search_issues("project = OPS")] == ["OPS-1"]


def test_faults_and_limits_can_be_set_at_run_time(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    control.set_faults(
        FaultPlan(
            (
                FaultRule(
                    FaultKind.SERVICE_UNAVAILABLE,
                    service="jira",
                    route="*/myself",
                    nth=(1,),
                    retry_after=0,
                ),
            )
        )
    )
    jira = jira_client(sandbox)
    with pytest.raises(JIRAError) as raised:
        jira.myself()
    assert raised.value.status_code == 503
    assert jira.myself()["displayName"] == "pmsync bot"
    control.configure(secondary_limit=SecondaryLimit(creates=1, window=1))
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    repo.create_issue("one")
    with pytest.raises(Exception, match="secondary rate limit"):
        repo.create_issue("two")
    control.advance_clock(1.1)
    assert repo.create_issue("two").number == 2
    control.configure(secondary_limit=None)
    assert [repo.create_issue(f"n{n}").number for n in range(3)] == [3, 4, 5]


def test_admin_api_reports_bad_requests_and_unknown_things(sandbox: Sandbox) -> None:
    admin = RemoteAdmin(sandbox.admin_url)
    with pytest.raises(KeyError):
        admin.set_jira_status("OPS-999", "Done")
    with pytest.raises(ValueError, match="no such status"):
        admin.set_jira_status(admin.seed_jira_issues(1)[0], "Shipped")
    with pytest.raises(ValueError):
        admin.set_github_state(1, "merged")
    response = requests.get(f"{sandbox.admin_url}/_sandbox/nothing", timeout=5)
    assert response.status_code == 404


def test_admin_env_matches_the_sandbox(sandbox: Sandbox) -> None:
    assert RemoteAdmin(sandbox.admin_url).env() == sandbox.env()
    assert sandbox.env()["PMSYNC_GITHUB__API_URL"] == sandbox.url


def test_admin_calls_are_not_logged_faulted_or_delayed() -> None:
    plan = FaultPlan((FaultRule(FaultKind.RESET, probability=1.0),))
    with Sandbox(faults=plan, latency=5) as sandbox:
        admin = RemoteAdmin(sandbox.admin_url, timeout=2)
        assert admin.state()["jira"]["flavour"] == "cloud"
        assert admin.request_log() == []


def test_invalid_options_are_refused() -> None:
    with pytest.raises(ValueError, match="flavour"):
        Sandbox(flavour="datacenter")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="github_layout"):
        Sandbox(github_layout="gitlab")  # type: ignore[arg-type]


def test_a_sandbox_runs_once_and_frees_its_port() -> None:
    sandbox = Sandbox()
    with sandbox:
        port = sandbox.port
        with pytest.raises(RuntimeError):
            sandbox.start()
    with Sandbox(port=port) as again:
        assert requests.get(f"{again.url}/rest/api/2/serverInfo", timeout=5).ok


def test_serve_prints_the_environment_and_stops_on_ctrl_c() -> None:
    code = "from connectors.sandbox import serve; serve(0, 'server', 'ghes')"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(11)]
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert sorted(exports) == sorted(
            [
                "PMSYNC_TRACKER",
                "PMSYNC_JIRA__URL",
                "PMSYNC_JIRA__EMAIL",
                "PMSYNC_JIRA__TOKEN",
                "PMSYNC_JIRA__PROJECT",
                "PMSYNC_GITHUB__API_URL",
                "PMSYNC_GITHUB__TOKEN",
                "PMSYNC_GITHUB__REPO",
                "PMSYNC_SLACK__WEBHOOK_URL",
            ]
        )
        assert exports["PMSYNC_GITHUB__API_URL"].endswith("/api/v3")
        info = requests.get(f"{exports['PMSYNC_JIRA__URL']}/rest/api/2/serverInfo", timeout=5)
        assert info.json()["deploymentType"] == "Server"
        repo = requests.get(
            f"{exports['PMSYNC_GITHUB__API_URL']}/repos/{exports['PMSYNC_GITHUB__REPO']}",
            headers={"Authorization": f"token {exports['PMSYNC_GITHUB__TOKEN']}"},
            timeout=5,
        )
        assert repo.status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
