"""Jira's statuses in pmsync's words: a status category and a resolution give a :class:`Status`.

Status names differ per workflow, so the category decides (``new``, ``indeterminate``,
``done``) and, within done, the resolution (or the status name) tells won't-do from done.
Used by the connector to read tickets and by the doctor to check a workflow.
"""

from __future__ import annotations

from syncer.model import Status

WONT_DO_WORDS = ("won't", "wont", "duplicate", "cannot reproduce", "can't reproduce",
                 "incomplete", "declined", "rejected", "obsolete", "cancel", "abandon",
                 "not a bug", "not needed", "invalid")


def status_of(category: str, resolution: str | None, status_name: str) -> Status:
    """pmsync's status from Jira's status category and resolution (names differ per workflow)."""
    if category == "done":
        said = (resolution or status_name).lower().replace("’", "'")
        return Status.WONT_DO if any(w in said for w in WONT_DO_WORDS) else Status.DONE
    return Status.IN_PROGRESS if category == "indeterminate" else Status.OPEN
