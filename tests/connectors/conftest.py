"""Sandboxes and connectors for the connector tests: every tracker flavour pmsync supports.

``tracker_case`` runs a test once per flavour: Jira Cloud, Jira Server/Data Center, GitHub.com
and GitHub Enterprise Server. Each case builds the connector the way the CLI does, through
:func:`connectors.registry.build_tracker` and settings, so the tests exercise real configuration.
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

#: name → (tracker, Sandbox keyword arguments)
FLAVOURS: dict[str, tuple[str, dict[str, Any]]] = {
    "jira-cloud": ("jira", {"flavour": "cloud"}),
    "jira-server": ("jira", {"flavour": "server"}),
    "github-com": ("github", {"github_layout": "github.com"}),
    "github-ghes": ("github", {"github_layout": "ghes"}),
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

    def build(self, **overrides: Any) -> Tracker:
        """Another connector on the same sandbox, with settings overridden."""
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


@pytest.fixture(params=list(FLAVOURS))
def tracker_case(request: pytest.FixtureRequest) -> Iterator[TrackerCase]:
    """A fresh sandbox and connector, once per tracker flavour."""
    name, options = FLAVOURS[request.param]
    with Sandbox(**options) as sandbox:
        tracker = build_tracker(name, sandbox_settings(sandbox, name))
        try:
            yield TrackerCase(request.param, name, sandbox, tracker)
        finally:
            tracker.close()
