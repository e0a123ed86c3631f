"""Sandboxes and connectors for the connector tests: every tracker flavour pmsync supports.

``tracker_case`` runs a test once per flavour: Jira Cloud, Jira Server/Data Center, GitHub.com
and GitHub Enterprise Server, and once more per token kind in :data:`TOKEN_CASES` (GitHub with a
GitHub App installation token, as the Actions ``GITHUB_TOKEN``). Each case builds the connector
the way the CLI does, through :func:`connectors.registry.build_tracker` and settings, so the tests
exercise real configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from config.settings import Settings, load_settings
from connectors.base import Tracker
from connectors.registry import build_tracker
from connectors.sandbox import Sandbox
from connectors.sandbox.seed import GITHUB_APP_TOKEN

#: name → (tracker, Sandbox keyword arguments)
FLAVOURS: dict[str, tuple[str, dict[str, Any]]] = {
    "jira-cloud": ("jira", {"flavour": "cloud"}),
    "jira-server": ("jira", {"flavour": "server"}),
    "github-com": ("github", {"github_layout": "github.com"}),
    "github-ghes": ("github", {"github_layout": "ghes"}),
}


#: case → (flavour, token): the same contract, run with another kind of token. An installation
#: token's repository answer has no ``permissions``: pmsync must write without them.
TOKEN_CASES: dict[str, tuple[str, str]] = {
    "github-app": ("github-com", GITHUB_APP_TOKEN),
}


def sandbox_settings(sandbox: Sandbox, tracker: str, **overrides: Any) -> Settings:
    """Settings pointing at ``sandbox`` as a user's environment would."""
    values: dict[str, Any] = {
        "tracker": tracker,
        "jira": {
            "url": sandbox.jira_url, "email": sandbox.jira_email, "token": sandbox.jira_token,
            "project": sandbox.jira_project, "timeout": 10,
        },
        "github": {
            "repo": sandbox.github_repo, "token": sandbox.github_token,
            "api_url": sandbox.github_api_url, "timeout": 10,
        },
        "document_base_url": "https://git.example.com/org/postmortems/blob/main/",
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return load_settings(None, **values)


@dataclass
class TrackerCase:
    """One flavour under test: its sandbox, its connector and how to build more."""

    flavour: str
    name: str
    sandbox: Sandbox
    tracker: Tracker
    token: str | None = None

    def build(self, **overrides: Any) -> Tracker:
        """Another connector on the same sandbox (and token), with settings overridden."""
        if self.token is not None:
            overrides[self.name] = {"token": self.token, **overrides.get(self.name, {})}
        return build_tracker(self.name, sandbox_settings(self.sandbox, self.name, **overrides))

    def tickets(self) -> list[dict[str, Any]]:
        """Every ticket in the tracker, as the sandbox holds it."""
        if self.name == "jira":
            return self.sandbox.admin.jira_issues()
        return [i for i in self.sandbox.admin.github_issues() if not i.get("pull_request")]

    def write_requests(self) -> int:
        """How many requests so far could have changed data (not GET)."""
        return sum(n for (method, _), n in self.sandbox.admin.request_counts().items()
                   if method not in ("GET", "HEAD") and not _is_read_post(method, _))


def _is_read_post(method: str, route: str) -> bool:
    # Searches and GraphQL queries are POSTs that change nothing.
    return method == "POST" and ("search" in route or "graphql" in route)


@pytest.fixture(params=[*FLAVOURS, *TOKEN_CASES])
def tracker_case(request: pytest.FixtureRequest) -> Iterator[TrackerCase]:
    """A fresh sandbox and connector, once per tracker flavour and per extra token kind."""
    flavour, token = TOKEN_CASES.get(request.param, (request.param, None))
    name, options = FLAVOURS[flavour]
    with Sandbox(**options) as sandbox:
        overrides = {name: {"token": token}} if token else {}
        tracker = build_tracker(name, sandbox_settings(sandbox, name, **overrides))
        try:
            yield TrackerCase(request.param, name, sandbox, tracker, token)
        finally:
            tracker.close()
