"""``pmsync doctor`` through Click's runner, against the sandbox."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from connectors.sandbox import Sandbox
from syncer.cli.main import cli
from syncer.errors import ConfigError, exit_code_for


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)  # no pmsync.toml of the project's own
    for name in list(os.environ):
        if name.startswith(("PMSYNC_", "GITHUB_")):
            monkeypatch.delenv(name)
    yield CliRunner()


def doctor(runner: CliRunner, env: dict[str, str], *args: str) -> tuple[int, Result]:
    result = runner.invoke(cli, ["doctor", *args], env=env, standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return int(result.return_value), result


def jira_env(sandbox: Sandbox, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in sandbox.env().items() if k.startswith("PMSYNC_JIRA__")}
    return {**env, "PMSYNC_TRACKER": "jira", **changes}


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_doctor_passes_on_the_sandbox(runner: CliRunner, flavour: str) -> None:
    with Sandbox(flavour=flavour) as sandbox:  # type: ignore[arg-type]
        code, result = doctor(runner, jira_env(sandbox), "--format", "json")
    report = json.loads(result.output)
    assert code == 0 and report["ok"] is True
    [jira] = report["trackers"]
    checks = {f["check"]: f for f in jira["findings"]}
    assert {"configuration", "connection", "authentication", "project", "issue type",
            "priority map", "transitions to done", "transitions to won't do"} <= set(checks)
    assert f"Jira {flavour}" in checks["connection"]["detail"]


def test_doctor_names_the_token_variable_and_never_prints_the_token(runner: CliRunner) -> None:
    with Sandbox(flavour="server") as sandbox:
        code, result = doctor(runner, jira_env(sandbox, PMSYNC_JIRA__TOKEN="bad-secret-token"))
    assert code == 1
    assert "PMSYNC_JIRA__TOKEN" in result.output and "bad-secret-token" not in result.output
    assert "authentication" in result.output and "error" in result.output


def test_doctor_reports_an_unknown_project_and_issue_type(runner: CliRunner) -> None:
    with Sandbox() as sandbox:
        code, result = doctor(runner, jira_env(sandbox, PMSYNC_JIRA__PROJECT="NOPE"),
                              "--format", "json")
        assert code == 1
        [jira] = json.loads(result.output)["trackers"]
        [bad] = [f for f in jira["findings"] if not f["ok"]]
        assert bad["check"] == "project" and "PMSYNC_JIRA__PROJECT" in bad["fix"]
        code, result = doctor(runner, jira_env(sandbox, PMSYNC_JIRA__ISSUE_TYPE="Incident"),
                              "--format", "json")
    [jira] = json.loads(result.output)["trackers"]
    [bad] = [f for f in jira["findings"] if not f["ok"]]
    assert code == 1 and "PMSYNC_JIRA__ISSUE_TYPE" in bad["fix"] and "Incident" in bad["detail"]


def test_doctor_warns_about_priority_names_the_instance_lacks(runner: CliRunner) -> None:
    with Sandbox(flavour="server") as sandbox:
        env = jira_env(sandbox, PMSYNC_JIRA__PRIORITY_MAP='{"P1": "Urgent"}')
        code, result = doctor(runner, env, "--format", "json")
    [jira] = json.loads(result.output)["trackers"]
    [warning] = [f for f in jira["findings"] if not f["ok"]]
    assert code == 0  # a warning, not an error: those items are created without a priority
    assert warning["severity"] == "warning" and "P1 → Urgent" in warning["detail"]
    assert "priority_map" in warning["fix"]


def test_doctor_without_any_tracker_configured_exits_2(runner: CliRunner) -> None:
    with pytest.raises(ConfigError) as raised:  # main() prints it and exits with its code
        doctor(runner, {})
    assert exit_code_for(raised.value) == 2
    assert "PMSYNC_JIRA__URL" in str(raised.value) and "PMSYNC_GITHUB__REPO" in str(raised.value)


def test_doctor_checks_the_tracker_asked_for(runner: CliRunner) -> None:
    with Sandbox() as sandbox:
        code, result = doctor(runner, jira_env(sandbox), "--tracker", "github",
                              "--format", "json")
    report = json.loads(result.output)
    assert [t["tracker"] for t in report["trackers"]] == ["github"]
    assert code == 1  # nothing configured for GitHub here
