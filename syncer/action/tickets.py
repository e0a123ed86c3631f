"""Ticket events: a ticket changed, so pull the postmortems that link it, and only those.

Two events say a ticket changed, with no server to run:

- ``issues`` (``closed``, ``reopened``, ``edited``) for a GitHub issue pmsync made: the hidden
  marker in its body names the document it was made for;
- ``repository_dispatch`` of type ``pmsync-ticket`` with ``{"key": "OPS-12"}`` in its
  ``client_payload``, sent by a Jira Automation rule ("Send web request" to the repository's
  dispatches endpoint) or any other tool.

The scope is the matching postmortems that link the ticket (the marker's document first, every
matching one when it no longer links it: a moved or renamed document), read through the
configured trackers' own rule for which ticket a reference is
(:meth:`~connectors.base.Tracker.owns`). Only ``pull`` runs on these events.

Loops cannot start: pull writes to no ticket, so it causes no ``issues`` event; its write-back
commit carries the trailer, and the sync workflow does not run on pushes. An ``edited`` event
caused by pmsync's own push (a token that starts workflows) pulls statuses that have not changed,
so nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from syncer.action.event import Event
from syncer.action.git import Git
from syncer.action.options import ActionOptions, action_settings
from syncer.action.scope import Scope, matching
from syncer.errors import ConfigError

TICKET_EVENTS = ("issues", "repository_dispatch")
ISSUE_ACTIONS = ("closed", "reopened", "edited")
DISPATCH_TYPE = "pmsync-ticket"
_KEY = re.compile(r"^(?:[A-Z][A-Z0-9_]*-[1-9]\d*|[\w.-]+/[\w.-]+#[1-9]\d*)$")


def ticket_scope(git: Git, event: Event, options: ActionOptions) -> Scope:
    """The postmortems linking the ticket the event is about, or why nothing runs."""
    if options.command != "pull":
        return Scope(skipped=f"{event.name} events bring ticket statuses in: they run "
                             f"command: pull, not {options.command}")
    key, named, skipped = _ticket(event)
    if skipped is not None:
        return Scope(skipped=skipped)
    assert key is not None
    tracked = [f for f in matching(git.tracked_files(), options.paths) if (git.root / f).is_file()]
    first = [named] if named in tracked else []
    found = linking(git, options, first, key) or linking(
        git, options, [f for f in tracked if f not in first], key)
    if not found:
        return Scope(skipped=f"no postmortem matching {', '.join(options.paths)} links {key}")
    return Scope(tuple(found), f"linking {key}, which the {event.name} event is about")


def _ticket(event: Event) -> tuple[str | None, str | None, str | None]:
    """The ticket key, the document its marker names (issues only), or why nothing runs."""
    payload = event.payload
    if event.name == "issues":
        return _issue(payload, event.repository)
    if payload.get("action") != DISPATCH_TYPE:
        return None, None, (f"repository_dispatch of type {payload.get('action')!r} is not "
                            f"pmsync's ({DISPATCH_TYPE!r})")
    client = payload.get("client_payload")
    key = client.get("key") if isinstance(client, Mapping) else None
    if not isinstance(key, str) or not _KEY.match(key.strip()):
        raise ConfigError(f"repository_dispatch {DISPATCH_TYPE}: client_payload.key must be a "
                          f"ticket key such as OPS-12 or owner/repo#12, not {key!r}")
    return key.strip(), None, None


def _issue(payload: Mapping[str, Any], repository: str) -> tuple[str | None, str | None,
                                                                  str | None]:
    from connectors.github.body import body_stamp

    action = payload.get("action")
    issue = payload.get("issue")
    if action not in ISSUE_ACTIONS or not isinstance(issue, Mapping):
        return None, None, (f"an issue was {action}: only {', '.join(ISSUE_ACTIONS)} can change "
                            "what pull writes")
    stamp = body_stamp(str(issue.get("body") or ""))
    if stamp is None:
        return None, None, (f"issue #{issue.get('number')} carries no pmsync marker (pmsync did "
                            "not create it; the scheduled run pulls hand-linked tickets)")
    repo = payload.get("repository")
    name = repo.get("full_name") if isinstance(repo, Mapping) else None
    return f"{name or repository}#{issue.get('number')}", stamp.marker.document_id, None


def linking(git: Git, options: ActionOptions, files: Sequence[str], key: str) -> list[str]:
    """The files among ``files`` with an item whose ticket is ``key`` to a configured tracker.

    Documents pmsync cannot read are left out (a pull would refuse them anyway).
    """
    if not files:
        return []
    from syncer.parse.extract import extract
    from syncer.sync.trackers import TrackerPool

    settings = action_settings(git.root, options)
    pool = TrackerPool(settings)  # builds connectors without I/O; owns() reads no tracker
    trackers = [pool.get(name) for name in pool.configured()]
    paths = {git.root / f: f for f in files}
    found = []
    for parsed in extract(list(paths), settings).documents:
        links = (next((link for t in trackers if (link := t.owns(item.ticket))), None)
                 for item in parsed.items if item.ticket is not None)
        if any(link is not None and link.key.casefold() == key.casefold() for link in links):
            found.append(paths[Path(parsed.doc.path)])
    return found
