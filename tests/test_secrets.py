"""No token or webhook secret in any output, with or without ``--debug``, when things fail.

Every command runs against a failing tracker (a wrong token, with the right one also known to
pmsync through the other tracker) and a failing Slack webhook; everything printed is searched.
``--debug`` adds tracebacks, chained causes included, and must not change an exit code.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from connectors.sandbox import Sandbox
from syncer.cli.main import main
from tests.conftest import DATA

WRONG_JIRA = "wrong-jira-secret-4711"
WRONG_GITHUB = "ghp_wronggithubsecret4711"
HOOK_SECRET = "webhook-path-secret-4711"
URL_PASSWORD = "url-embedded-pass-4711"


@pytest.fixture
def sandbox(cli_sandbox: Sandbox) -> Sandbox:
    return cli_sandbox


def _document(tmp_path: Path) -> Path:
    doc = tmp_path / "pm.md"
    doc.write_bytes((DATA / "report" / "2025-01-10-api-outage.md").read_bytes())
    return doc


def _commands(doc: Path) -> list[list[str]]:
    return [
        ["push", str(doc)], ["push", "--dry-run", str(doc)], ["pull", str(doc)],
        ["report", "--refresh", str(doc)], ["report", "--post", "slack", str(doc)],
        ["report", "--post", "github-issue", str(doc)], ["doctor"], ["config"],
        ["config", "--format", "json"], ["items", str(doc)], ["check", str(doc)],
    ]


def _run(capfd: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
    code = main(args)
    out, err = capfd.readouterr()
    return code, out + err


@pytest.mark.parametrize("tracker", ["jira", "github"])
def test_no_secret_in_any_output_or_debug_traceback(sandbox: Sandbox, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capfd: pytest.CaptureFixture[str],
                                                    tracker: str) -> None:
    monkeypatch.setenv("PMSYNC_TRACKER", tracker)
    variable = "PMSYNC_JIRA__TOKEN" if tracker == "jira" else "PMSYNC_GITHUB__TOKEN"
    monkeypatch.setenv(variable, WRONG_JIRA if tracker == "jira" else WRONG_GITHUB)
    monkeypatch.setenv("PMSYNC_SLACK__WEBHOOK_URL", f"{sandbox.url}/_sandbox/slack/gone/"
                                                    f"{HOOK_SECRET}")
    monkeypatch.setenv("PMSYNC_DOCUMENT_BASE_URL", f"https://ci:{URL_PASSWORD}@git.example.com/x")
    secrets = (WRONG_JIRA, WRONG_GITHUB, HOOK_SECRET, URL_PASSWORD, sandbox.jira_token,
               sandbox.github_token)
    doc = _document(tmp_path)
    tracebacks = 0
    for args in _commands(doc):
        code, output = _run(capfd, ["-vv", *args])
        debug_code, debug_output = _run(capfd, ["-vv", "--debug", *args])
        assert debug_code == code, (args, output, debug_output)
        tracebacks += "Traceback (most recent call last)" in debug_output
        for secret in secrets:
            assert secret not in output + debug_output, (args, secret)
    assert tracebacks >= 4  # the failures really produced tracebacks to search


def test_unreachable_webhook_is_quick_and_names_its_variable(sandbox: Sandbox, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]
                                                            ) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PMSYNC_SLACK__WEBHOOK_URL",
                       f"http://127.0.0.1:{port}/services/T000/B000/{HOOK_SECRET}")
    doc = _document(tmp_path)
    started = time.monotonic()
    code, output = _run(capfd, ["report", "--post", "slack", str(doc)])
    elapsed = time.monotonic() - started
    debug_code, debug_output = _run(capfd, ["--debug", "report", "--post", "slack", str(doc)])
    assert code == debug_code == 2
    assert elapsed < 8
    [line] = [x for x in output.splitlines() if x.startswith("pmsync: error:")]
    assert "PMSYNC_SLACK__WEBHOOK_URL" in line and "tracker" not in line
    assert "Traceback" in debug_output
    assert HOOK_SECRET not in output + debug_output


@pytest.mark.parametrize("tracker", ["jira", "github"])
def test_no_secret_from_the_action_with_a_failing_tracker(sandbox: Sandbox, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capfd: pytest.CaptureFixture[str],
                                                         tracker: str) -> None:
    import subprocess

    work = tmp_path / "work"
    (work / "postmortems" / "2025").mkdir(parents=True)
    _document(work / "postmortems" / "2025")
    for args in (["init", "-q"], ["add", "."],
                 ["-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=work, check=True, capture_output=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("PMSYNC_TRACKER", tracker)
    monkeypatch.setenv("PMSYNC_JIRA__TOKEN", WRONG_JIRA)
    monkeypatch.setenv("PMSYNC_GITHUB__TOKEN", WRONG_GITHUB)
    args = ["action", "--command", "push", "--write-back", "none"]
    code, output = _run(capfd, ["-vv", *args])
    debug_code, debug_output = _run(capfd, ["-vv", "--debug", *args])
    assert code == debug_code == 2, output
    assert "PMSYNC_JIRA__TOKEN" in output or "PMSYNC_GITHUB__TOKEN" in output
    for secret in (WRONG_JIRA, WRONG_GITHUB, sandbox.jira_token, sandbox.github_token):
        assert secret not in output + debug_output
