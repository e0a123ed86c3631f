"""Exit codes: one mapping (``syncer.errors``), the same with and without ``--debug``.

0 ok, 1 problems found or a tracker failed, 2 usage/configuration/input error, 3 internal error
(a bug). A tracker that cannot be reached or is not what its URL setting says is a configuration
error (exit 2), like a wrong token: the user fixes a setting, not the document. Every case is
provoked through real input, with nothing of pmsync's replaced.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from config.settings import JiraSettings
from connectors.jira.connector import JiraTracker
from connectors.retry import RetryPolicy, Unreachable
from connectors.sandbox import FaultKind, FaultPlan, FaultRule, Sandbox
from syncer.cli.main import main
from syncer.errors import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    ConfigError,
    InputError,
    PmsyncError,
    TrackerError,
    exit_code_for,
    outcome_exit_code,
)
from tests.conftest import DATA


@pytest.fixture
def sandbox(cli_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("PMSYNC_TRACKER", "jira")
    return cli_sandbox


def _push(capfd: pytest.CaptureFixture[str], tmp_path: Path, *options: str) -> tuple[int, str]:
    doc = tmp_path / "pm.md"
    original = (DATA / "report" / "2025-01-10-api-outage.md").read_bytes()
    doc.write_bytes(original)
    code = main([*options, "push", str(doc)])
    assert doc.read_bytes() == original
    return code, capfd.readouterr().err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_wrong_jira_url_and_wrong_token_both_exit_2(sandbox: Sandbox, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capfd: pytest.CaptureFixture[str],
                                                    debug: list[str]) -> None:
    monkeypatch.setenv("PMSYNC_JIRA__URL", f"{sandbox.url}/not-jira")  # answers 404
    code, err = _push(capfd, tmp_path, *debug)
    assert code == 2 and "check PMSYNC_JIRA__URL" in err.splitlines()[-1]

    monkeypatch.setenv("PMSYNC_JIRA__URL", sandbox.url)
    monkeypatch.setenv("PMSYNC_JIRA__TOKEN", "not-the-token")
    code, err = _push(capfd, tmp_path, *debug)
    assert code == 2 and "PMSYNC_JIRA__TOKEN" in err.splitlines()[-1]
    assert not sandbox.admin.jira_issues()


def test_unreachable_jira_is_a_configuration_error_naming_the_url_variable() -> None:
    settings = JiraSettings(url=f"http://127.0.0.1:{_closed_port()}", token="t0ken",
                            email="a@example.com", project="OPS")
    waits: list[float] = []
    tracker = JiraTracker(settings, policy=RetryPolicy(sleep=waits.append))
    with pytest.raises(Unreachable) as raised:
        tracker.session()
    assert exit_code_for(raised.value) == EXIT_USAGE
    assert "check PMSYNC_JIRA__URL and the network" in str(raised.value)
    assert len(waits) == RetryPolicy().attempts - 1  # retried, as a blip may pass


DEBUG = pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])


def _run(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capfd.readouterr().err


@DEBUG
def test_usage_and_input_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capfd: pytest.CaptureFixture[str],
                                       debug: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith(("PMSYNC_", "GITHUB_"))]:
        monkeypatch.delenv(name)
    code, err = _run(capfd, *debug, "push")  # PATHS missing
    assert code == EXIT_USAGE and "Missing argument" in err
    code, err = _run(capfd, *debug, "check", "missing.md")
    assert code == EXIT_USAGE and err.splitlines()[-1] == "pmsync: error: missing.md: no such " \
                                                         "file or directory"
    code, err = _run(capfd, *debug, "doctor")  # no tracker configured: raised, not returned
    assert code == EXIT_USAGE and err.splitlines()[-1].startswith(
        "pmsync: error: no tracker is configured")
    assert ("Traceback" in err) == bool(debug)


@DEBUG
def test_a_tracker_failure_exits_1(sandbox: Sandbox, tmp_path: Path,
                                   capfd: pytest.CaptureFixture[str], debug: list[str]) -> None:
    # Jira asks to wait an hour: pmsync gives up at once rather than wait that long.
    sandbox.admin.set_faults(FaultPlan((FaultRule(
        FaultKind.TOO_MANY_REQUESTS, service="jira", probability=1.0, retry_after=3600),)))
    code, err = _push(capfd, tmp_path, *debug)
    assert code == EXIT_PROBLEMS
    assert err.splitlines()[-1].startswith("pmsync: error: ") and "3600 s" in err
    assert ("Traceback" in err) == bool(debug)


@DEBUG
def test_an_internal_error_exits_3_and_says_it_is_a_bug(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capfd: pytest.CaptureFixture[str],
                                                        debug: list[str]) -> None:
    # A real input pmsync does not handle (an unexpected exception in its config reader): it
    # stands for any bug, which must not look like a usage error.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool]\npmsync = "jira"\n')
    (tmp_path / "pm.md").write_bytes((DATA / "report" / "2025-01-10-api-outage.md").read_bytes())
    code, err = _run(capfd, *debug, "--config", "pyproject.toml", "check", "pm.md")
    assert code == EXIT_INTERNAL
    last = err.splitlines()[-1]
    assert last.startswith("pmsync: internal error: ValueError: ")
    assert ("Traceback (most recent call last)" in err) == bool(debug)
    assert last.endswith("(run with --debug for the traceback)") != bool(debug)


class _UnknownBug(Exception):
    pass


@pytest.mark.parametrize(("error", "code"), [
    (ConfigError("x"), EXIT_USAGE), (InputError("a.md", "x"), EXIT_USAGE),
    (PmsyncError("x"), EXIT_USAGE), (TrackerError("x"), EXIT_PROBLEMS),
    (Unreachable("x"), EXIT_USAGE), (_UnknownBug(), EXIT_INTERNAL),
    (KeyboardInterrupt(), 130),
])
def test_the_one_mapping(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_a_run_that_went_on_takes_its_gravest_error_else_its_problems() -> None:
    assert outcome_exit_code() == EXIT_OK
    assert outcome_exit_code(problems=True) == EXIT_PROBLEMS
    assert outcome_exit_code([TrackerError("x")], problems=False) == EXIT_PROBLEMS
    assert outcome_exit_code([TrackerError("x"), InputError("a.md", "x")], True) == EXIT_USAGE
    assert outcome_exit_code([InputError("a.md", "x"), ValueError()]) == EXIT_INTERNAL
