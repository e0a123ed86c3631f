"""Step 1 of the Action: the event that started the workflow run, read and checked.

:func:`read_event` reads ``GITHUB_EVENT_NAME`` / ``GITHUB_EVENT_PATH`` and friends, and
:func:`check_event` refuses events the Action is not made for (``pull_request_target`` above all:
it runs with the repository's secrets on whatever a fork's pull request holds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncer.errors import ConfigError, InputError

#: The events the Action runs on (``local`` is a run outside Actions, without an event).
EVENTS = ("push", "pull_request", "schedule", "workflow_dispatch", "issues",
          "repository_dispatch")
#: Events refused by name, with why: each runs with the repository's secrets and a write token
#: on content a fork's pull request chooses.
UNSAFE_EVENTS = {
    "pull_request_target": "it runs with the repository's secrets and a write token while the "
                           "pull request (perhaps a fork's) chooses the documents",
}


@dataclass(frozen=True)
class Event:
    """The workflow run's trigger, as GitHub describes it in the environment."""

    name: str
    payload: Mapping[str, Any]
    sha: str = ""
    ref: str = ""
    repository: str = ""
    server_url: str = "https://github.com"

    @property
    def pull_request(self) -> Mapping[str, Any]:
        """The ``pull_request`` object of a pull-request event (empty otherwise)."""
        value = self.payload.get("pull_request")
        return value if isinstance(value, Mapping) else {}

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch, when the payload names it."""
        repo = self.payload.get("repository")
        name = repo.get("default_branch") if isinstance(repo, Mapping) else None
        return name if isinstance(name, str) and name else None


def read_event(env: Mapping[str, str]) -> Event:
    """The event from ``GITHUB_EVENT_NAME`` and the JSON file at ``GITHUB_EVENT_PATH``.

    Outside Actions (no event name) the event is ``"local"``: every matching file is in scope.
    """
    name = env.get("GITHUB_EVENT_NAME", "") or "local"
    path = env.get("GITHUB_EVENT_PATH", "")
    payload: Mapping[str, Any] = {}
    if path:
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(path, "GITHUB_EVENT_PATH names no file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, f"event payload is not JSON: {exc}") from None
        payload = loaded if isinstance(loaded, dict) else {}
    return Event(name, payload, env.get("GITHUB_SHA", ""), env.get("GITHUB_REF", ""),
                 env.get("GITHUB_REPOSITORY", ""),
                 env.get("GITHUB_SERVER_URL", "") or "https://github.com")


def check_event(event: Event) -> None:
    """Refuse, naming the supported events, an event the Action is not made for (exit 2).

    Another event would take every matching file and push from it whatever started the run;
    ``pull_request_target`` is named as unsafe.
    """
    if event.name in (*EVENTS, "local"):
        return
    supported = f"supported: {', '.join(EVENTS)}"
    if event.name in UNSAFE_EVENTS:
        raise ConfigError(f"the {event.name} event is unsafe for pmsync: "
                          f"{UNSAFE_EVENTS[event.name]}; check pull requests on pull_request and "
                          f"push on push ({supported})")
    raise ConfigError(f"pmsync action does not run on {event.name} events "
                      f"(GITHUB_EVENT_NAME); {supported}")
