"""One GitHub issue that always shows the latest report (``pmsync report --post github-issue``).

The issue is found by its label through the issue list (a consistent read; the search API lags
behind writes and would let a second run create a duplicate). The oldest open issue with the
label is updated; when only closed ones exist, the most recent is reopened; only when there is
none is one created. A create whose outcome is unknown is resolved by listing again, never by
blindly posting twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from config.settings import Settings
from connectors.base import AccessError
from connectors.clients import (
    GITHUB_REPO_VARIABLES,
    GITHUB_TOKEN_VARIABLES,
    github_call,
    github_client,
    github_error,
)
from connectors.retry import OutcomeUnknown
from syncer.errors import ConfigError

if TYPE_CHECKING:
    from github import Github

T = TypeVar("T")


@dataclass(frozen=True)
class TrackingIssue:
    """The tracking issue after a post: what happened to it."""

    number: int
    url: str
    action: str  # "created", "updated", "reopened" or "unchanged"


def _github(settings: Settings) -> tuple[Github, str]:
    repo = settings.github.repo
    token = settings.github.token.get_secret_value() if settings.github.token else ""
    if not repo:
        raise ConfigError("--post github-issue needs a repository: set "
                          f"{GITHUB_REPO_VARIABLES}")
    if not token:
        raise ConfigError(f"--post github-issue needs a token: set {GITHUB_TOKEN_VARIABLES}")
    return github_client(token, settings.github.api_url, settings.github.timeout), repo


def _run(fn: Callable[[], T], what: str, place: tuple[str, str], *, writes: bool = False,
         idempotent: bool = True) -> T:
    """``fn`` in the retry layer, its refusals read as the GitHub connector reads them.
    ``place`` is (repository, API URL)."""
    from github import GithubException

    try:
        return github_call(fn, what, idempotent=idempotent)
    except GithubException as exc:
        raise github_error(exc, what, *place, writing="issues" if writes else None) from None


def upsert_tracking_issue(settings: Settings, body: str) -> TrackingIssue:
    """Create or update the one issue labelled ``settings.report.tracking_label``."""
    client, repo_name = _github(settings)
    place = (repo_name, settings.github.api_url)
    label, title = settings.report.tracking_label, settings.report.tracking_title
    try:
        repo = client.get_repo(repo_name)

        def labelled() -> list[Any]:
            issues = repo.get_issues(state="all", labels=[label], sort="created",
                                     direction="asc")
            # The list holds pull requests too. Their html_url says so; reading
            # ``issue.pull_request`` would cost one GET per plain issue (PyGithub completes it).
            return [issue for issue in issues if "/pull/" not in issue.html_url]

        found = _run(labelled, "list issues labelled " + label, place)
        if not found:
            try:
                issue = _run(lambda: repo.create_issue(title=title, body=body, labels=[label]),
                             "create the tracking issue", place, writes=True, idempotent=False)
            except OutcomeUnknown:
                found = _run(labelled, "list issues labelled " + label, place)
                if found:
                    return _update(found, title, body, place)
                issue = _run(lambda: repo.create_issue(title=title, body=body, labels=[label]),
                             "create the tracking issue", place, writes=True, idempotent=False)
            if label.casefold() not in (lbl.name.casefold() for lbl in issue.labels):
                raise AccessError(
                    f"GitHub created tracking issue #{issue.number} without its label {label!r} "
                    "(the token lacks triage or push access), so the next run could not find "
                    "it: give the token write access or add the label by hand")
            return TrackingIssue(issue.number, issue.html_url, "created")
        return _update(found, title, body, place)
    finally:
        client.close()


def _update(found: list[Any], title: str, body: str, place: tuple[str, str]) -> TrackingIssue:
    open_ones = [issue for issue in found if issue.state == "open"]
    if open_ones:
        issue = open_ones[0]  # the oldest: later duplicates made by hand are left alone
        reopen = False
    else:
        issue = max(found, key=lambda i: i.number)
        reopen = True
    if not reopen and issue.body == body and issue.title == title:
        return TrackingIssue(issue.number, issue.html_url, "unchanged")
    changes: dict[str, str] = {"title": title, "body": body}
    if reopen:
        changes["state"] = "open"
    _run(lambda: issue.edit(**changes), f"update tracking issue #{issue.number}", place,
         writes=True)
    return TrackingIssue(issue.number, issue.html_url, "reopened" if reopen else "updated")
