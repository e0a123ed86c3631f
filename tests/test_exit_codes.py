"""A tracker that cannot be reached or is not what its URL setting says is a configuration
error (exit 2), like a wrong token: the user fixes a setting, not the document."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from config.settings import JiraSettings
from connectors.jira import JiraTracker
from connectors.retry import RetryPolicy, Unreachable
from connectors.sandbox import Sandbox
from syncer.cli import main
from syncer.errors import EXIT_USAGE
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
        tracker.client()
    assert raised.value.exit_code == EXIT_USAGE
    assert "check PMSYNC_JIRA__URL and the network" in str(raised.value)
    assert len(waits) == RetryPolicy().attempts - 1  # retried, as a blip may pass
