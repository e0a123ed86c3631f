"""``command: plan`` on a pull request: what merging it will do, where reviewers look.

The plan (``pmsync plan --format markdown`` on the postmortems the pull request changes) goes to
the step summary and to **one** comment on the pull request, found again by a hidden marker and
edited in place on every later run (:mod:`connectors.delivery.pull_request_comment`).

A pull request from a fork runs without the repository's secrets: when a configured tracker has
no credentials there, the plan cannot read the trackers, so the lint (``check``) runs instead,
with a note that says why. Its read-only token cannot comment either: the step summary shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from syncer.action.event import Event
from syncer.action.git import Git
from syncer.action.options import ActionOptions, action_settings
from syncer.errors import PmsyncError

#: The hidden marker the plan comment is found by.
PLAN_MARKER = "pmsync-plan"


def is_fork(event: Event) -> bool:
    """Whether a pull request's head lives in another repository (a fork; a deleted fork's
    head repository is null)."""
    head = event.pull_request.get("head")
    base = event.pull_request.get("base")
    head_repo = head.get("repo") if isinstance(head, Mapping) else None
    base_repo = base.get("repo") if isinstance(base, Mapping) else None
    if not isinstance(base_repo, Mapping):
        return False
    if not isinstance(head_repo, Mapping):
        return True
    return bool(head_repo.get("full_name") != base_repo.get("full_name"))


def missing_secrets(git: Git, options: ActionOptions) -> list[str]:
    """The credentials a configured tracker lacks in this run (none: the plan can run)."""
    settings = action_settings(git.root, options)
    missing = []
    if settings.jira.url and not settings.jira.token:
        missing.append("PMSYNC_JIRA__TOKEN")
    if settings.github.repo and not settings.github.token:
        missing.append("PMSYNC_GITHUB__TOKEN or GITHUB_TOKEN")
    return missing


def review_command(git: Git, event: Event, options: ActionOptions
                   ) -> tuple[ActionOptions, str | None]:
    """What to run for ``options`` and a note for the summary: a fork's pull request without
    the trackers' secrets gets ``check`` (without the plan's args) instead of ``plan``."""
    if options.command != "plan" or event.name != "pull_request" or not is_fork(event):
        return options, None
    missing = missing_secrets(git, options)
    if not missing:
        return options, None
    return replace(options, command="check", args=()), (f"This pull request comes from a fork, and GitHub gives workflows on fork "
                     f"pull requests no secrets ({', '.join(missing)} unset), so pmsync cannot "
                     "read the trackers to plan: only the lint ran. The plan runs once the "
                     "changes are on a branch of this repository.")


def post_plan(env: Mapping[str, str], event: Event, markdown: str) -> str:
    """Create or update the one plan comment on the event's pull request; a line for the
    summary (a refusal is reported there, it fails nothing: the plan is in the summary)."""
    from connectors.delivery.pull_request_comment import upsert_pull_request_comment

    number = event.pull_request.get("number")
    token = env.get("GITHUB_TOKEN") or env.get("PMSYNC_GITHUB__TOKEN")
    name = event.repository or env.get("PMSYNC_GITHUB__REPO", "")
    if not isinstance(number, int) or not token or not name:
        return ("The plan was not posted on the pull request: set GITHUB_TOKEN and "
                "GITHUB_REPOSITORY (the Action's token input) on a pull_request event.")
    try:
        posted = upsert_pull_request_comment(
            token, env.get("GITHUB_API_URL") or "https://api.github.com", name, number,
            markdown, PLAN_MARKER)
    except PmsyncError as exc:
        return f"The plan was not posted on the pull request: {exc}."
    return f"Plan comment {posted.action}: {posted.url}."
