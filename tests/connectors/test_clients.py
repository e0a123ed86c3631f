"""One client builder per service (:mod:`connectors.clients`), and one reading of refusals.

Every GitHub caller (the connector, the report's tracking issue, the Action's pull-request
opener) meets the same 401, 404, 403 and rate limit from the sandbox and must report it the same
way; no module outside ``connectors/clients.py`` builds a PyGithub client or an HTTP session.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from connectors.base import AccessError, AuthError, RateLimited
from connectors.clients import jira_message
from connectors.delivery.tracking_issue import upsert_tracking_issue
from connectors.github.connector import GitHubTracker
from connectors.sandbox import FaultPlan, FaultRule, Sandbox
from connectors.sandbox.seed import GITHUB_APP_READ_TOKEN
from syncer.action.event import Event
from syncer.action.writeback import open_pull_request
from syncer.errors import PmsyncError
from tests.conftest import ROOT
from tests.connectors.conftest import sandbox_settings
from tests.connectors.test_github import draft

# --- one place builds each client ------------------------------------------------------------

#: What builds a client: PyGithub's client and requester, the ``jira`` client, an HTTP session.
BUILDERS = {"Github": "github", "Requester": "github", "JIRA": "jira", "Session": "session"}


def _built(path: Path) -> Iterator[tuple[str, str]]:
    """(kind, "file:line") of every call in ``path`` that builds a client."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in BUILDERS:
                yield BUILDERS[name], f"{path.relative_to(ROOT)}:{node.lineno}"


def test_each_service_has_one_client_builder() -> None:
    places: dict[str, list[str]] = {"github": [], "jira": [], "session": []}
    for folder in ("connectors", "syncer"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "sandbox" not in path.relative_to(ROOT).parts:
                for kind, where in _built(path):
                    places[kind].append(where)
    assert [p.split(":")[0] for p in places["github"]] == ["connectors/clients.py"], places
    assert places["jira"] == [], "the jira client's private session must not be used"
    assert [p.split(":")[0] for p in places["session"]] == ["connectors/clients.py"], places


# --- one reading of GitHub's refusals --------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(secondary_limit=None) as box:
        yield box


Caller = Callable[[Sandbox, str, str], object]


def connector(sandbox: Sandbox, repo: str, token: str) -> object:
    settings = sandbox_settings(sandbox, "github", github={"repo": repo, "token": token})
    return GitHubTracker(settings).create([draft(1)])


def tracking_issue(sandbox: Sandbox, repo: str, token: str) -> object:
    settings = sandbox_settings(sandbox, "github", github={"repo": repo, "token": token})
    return upsert_tracking_issue(settings, "report")


def pull_request_opener(sandbox: Sandbox, repo: str, token: str) -> object:
    env = {"GITHUB_TOKEN": token, "GITHUB_API_URL": sandbox.github_api_url}
    return open_pull_request(env, Event("push", {}, repository=repo), "pmsync/write-back-1",
                             "main", "Write-back", "Links")


CALLERS: tuple[Caller, ...] = (connector, tracking_issue, pull_request_opener)


def refusals(sandbox: Sandbox, repo: str, token: str,
             expected: type[PmsyncError]) -> list[str]:
    """What each caller reports, in the order of :data:`CALLERS`."""
    messages = []
    for caller in CALLERS:
        with pytest.raises(expected) as raised:
            caller(sandbox, repo, token)
        messages.append(str(raised.value))
    return messages


def test_a_refused_token_is_reported_alike_by_every_caller(sandbox: Sandbox) -> None:
    messages = refusals(sandbox, sandbox.github_repo, "ghp_notATokenGitHubKnows", AuthError)
    assert len(set(messages)) == 1, messages
    assert "set PMSYNC_GITHUB__TOKEN or GITHUB_TOKEN" in messages[0]
    assert "ghp_notATokenGitHubKnows" not in messages[0]


def test_a_missing_repository_is_reported_alike_by_every_caller(sandbox: Sandbox) -> None:
    messages = refusals(sandbox, "acme/no-such-repo", sandbox.github_token, AccessError)
    assert len(set(messages)) == 1, messages
    assert "acme/no-such-repo was not found" in messages[0]
    assert "set PMSYNC_GITHUB__REPO or GITHUB_REPOSITORY" in messages[0]


def test_a_refused_write_names_the_missing_permission_for_every_caller(sandbox: Sandbox) -> None:
    connector_says, tracking_says, opener_says = refusals(
        sandbox, sandbox.github_repo, GITHUB_APP_READ_TOKEN, AccessError)
    assert connector_says == tracking_says
    assert "GitHub refused to write issues" in tracking_says and "'issues: write'" in tracking_says
    assert "GitHub refused to write pull requests" in opener_says
    assert "'pull_requests: write'" in opener_says
    assert not sandbox.admin.github_issues()


def test_a_rate_limit_is_reported_alike_by_every_caller(sandbox: Sandbox) -> None:
    sandbox.admin.set_faults(FaultPlan((FaultRule("429", service="github", probability=1.0,
                                                  retry_after=1000),)))
    messages = refusals(sandbox, sandbox.github_repo, sandbox.github_token, RateLimited)
    waits = {m.split(": ", 1)[1] for m in messages}
    assert waits == {"the tracker asks to wait 1000 s, more than the 300 s pmsync waits; "
                     "try again later"}, messages


def test_pull_request_opener_sends_its_post_once_and_finds_the_open_one(
        sandbox: Sandbox) -> None:
    first = pull_request_opener(sandbox, sandbox.github_repo, sandbox.github_token)
    again = pull_request_opener(sandbox, sandbox.github_repo, sandbox.github_token)
    assert first == again
    assert len([i for i in sandbox.admin.github_issues() if i.get("pull_request")]) == 1


# --- Jira's words for a refusal ---------------------------------------------------------------


def _response(status: int, body: str, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    response.headers.update(headers)
    return response


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, '{"errorMessages": ["An issue with key \'OPS-9\' does not exist."], "errors": {}}',
     "An issue with key 'OPS-9' does not exist."),
    (400, '{"errorMessages": [], "errors": {"project": "project is required", '
          '"summary": "too long"}}', "project is required, too long"),
    (503, '{"message": "Service Unavailable"}', "Service Unavailable"),
    (502, "<html>Bad gateway</html>", "<html>Bad gateway</html>"),
    (401, "", ""),
])
def test_jira_message_reads_jiras_error_shapes(status: int, body: str, expected: str) -> None:
    assert jira_message(_response(status, body)) == expected


def test_jira_message_prefers_the_authentication_denied_reason() -> None:
    answer = _response(403, '{"errorMessages": ["x"]}',
                       **{"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE"})
    assert jira_message(answer) == "CAPTCHA_CHALLENGE"
