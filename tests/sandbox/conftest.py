"""Fixtures that start sandboxes and connect the real ``jira`` and ``PyGithub`` clients to them.

Both clients' own retries and throttling are switched off, as pmsync does, so every fault the
sandbox injects reaches the test exactly as the client first sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from github import Auth, Github
from jira import JIRA

from connectors.sandbox import Sandbox


def jira_client(sandbox: Sandbox, **overrides: Any) -> JIRA:
    """A ``jira.JIRA`` for the sandbox's flavour: Basic email+token on Cloud, PAT on Server."""
    options: dict[str, Any] = {"max_retries": 0, "timeout": 10}
    if sandbox.options.flavour == "cloud":
        options["basic_auth"] = (sandbox.jira_email, sandbox.jira_token)
    else:
        options["token_auth"] = sandbox.jira_token
    options.update(overrides)
    return JIRA(sandbox.jira_url, **options)


def github_client(sandbox: Sandbox, token: str | None = None, per_page: int = 30) -> Github:
    """A ``github.Github`` with no retries and no self-throttling."""
    return Github(
        auth=Auth.Token(token or sandbox.github_token),
        base_url=sandbox.github_api_url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=per_page,
        timeout=10,
    )


def raw_session(sandbox: Sandbox, service: str) -> requests.Session:
    """A plain HTTP session authenticated for ``service`` ("jira" or "github")."""
    session = requests.Session()
    if service == "github":
        session.headers["Authorization"] = f"token {sandbox.github_token}"
    elif sandbox.options.flavour == "cloud":
        session.auth = (sandbox.jira_email, sandbox.jira_token)
    else:
        session.headers["Authorization"] = f"Bearer {sandbox.jira_token}"
    return session


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A Cloud-flavour sandbox with the github.com layout."""
    with Sandbox() as running:
        yield running


@pytest.fixture(params=["cloud", "server"])
def any_flavour(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox of each Jira flavour in turn."""
    with Sandbox(flavour=request.param) as running:
        yield running


@pytest.fixture
def server_sandbox() -> Iterator[Sandbox]:
    """A Server/Data Center-flavour sandbox."""
    with Sandbox(flavour="server") as running:
        yield running
