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
from typing import Any, TypeVar

from config.settings import Settings
from connectors.base import AccessError, AuthError
from connectors.retry import Failure, OutcomeUnknown, call, header_map, transport_failure
from syncer.errors import ConfigError, TrackerError
from syncer.logs import register_secret

T = TypeVar("T")


@dataclass(frozen=True)
class TrackingIssue:
    """The tracking issue after a post: what happened to it."""

    number: int
    url: str
    action: str  # "created", "updated", "reopened" or "unchanged"


def _classify(exc: BaseException) -> Failure | None:
    from github import GithubException

    if isinstance(exc, GithubException):
        return Failure(exc.status, header_map(exc.headers), sent=True)
    return transport_failure(exc)


def _github(settings: Settings) -> tuple[Any, str]:
    from github import Auth, Github

    repo = settings.github.repo
    token = settings.github.token.get_secret_value() if settings.github.token else ""
    if not repo:
        raise ConfigError("--post github-issue needs a repository: set PMSYNC_GITHUB__REPO "
                          "(or GITHUB_REPOSITORY)")
    if not token:
        raise ConfigError("--post github-issue needs a token: set PMSYNC_GITHUB__TOKEN "
                          "(or GITHUB_TOKEN)")
    register_secret(token)
    client = Github(
        auth=Auth.Token(token), base_url=settings.github.api_url.rstrip("/"),
        timeout=int(settings.github.timeout), per_page=100, lazy=True,
        # connectors.retry is the one retry layer; PyGithub's own would resend POSTs.
        retry=None, seconds_between_requests=None, seconds_between_writes=None,
    )
    return client, repo


def _run(fn: Callable[[], T], what: str, repo: str, *, idempotent: bool = True) -> T:
    from github import GithubException

    try:
        return call(fn, _classify, what=what, idempotent=idempotent)
    except GithubException as exc:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        if exc.status == 401:
            raise AuthError("GitHub refused the token: check PMSYNC_GITHUB__TOKEN "
                            "(or GITHUB_TOKEN)") from None
        if exc.status in (403, 404):
            raise AccessError(f"GitHub: cannot {what} in {repo} (HTTP {exc.status}"
                              f"{': ' + str(message) if message else ''}); the token needs "
                              "issues: write on the repository") from None
        raise TrackerError(f"GitHub: cannot {what} in {repo}: HTTP {exc.status} "
                           f"{message or ''}".rstrip()) from None


def upsert_tracking_issue(settings: Settings, body: str) -> TrackingIssue:
    """Create or update the one issue labelled ``settings.report.tracking_label``."""
    client, repo_name = _github(settings)
    label, title = settings.report.tracking_label, settings.report.tracking_title
    try:
        repo = client.get_repo(repo_name)

        def labelled() -> list[Any]:
            issues = repo.get_issues(state="all", labels=[label], sort="created",
                                     direction="asc")
            # The list holds pull requests too. Their html_url says so; reading
            # ``issue.pull_request`` would cost one GET per plain issue (PyGithub completes it).
            return [issue for issue in issues if "/pull/" not in issue.html_url]

        found = _run(labelled, "list issues labelled " + label, repo_name)
        if not found:
            try:
                issue = _run(lambda: repo.create_issue(title=title, body=body, labels=[label]),
                             "create the tracking issue", repo_name, idempotent=False)
            except OutcomeUnknown:
                found = _run(labelled, "list issues labelled " + label, repo_name)
                if found:
                    return _update(found, title, body, repo_name)
                issue = _run(lambda: repo.create_issue(title=title, body=body, labels=[label]),
                             "create the tracking issue", repo_name, idempotent=False)
            if label.casefold() not in (lbl.name.casefold() for lbl in issue.labels):
                raise AccessError(
                    f"GitHub created tracking issue #{issue.number} without its label {label!r} "
                    "(the token lacks triage or push access), so the next run could not find "
                    "it: give the token write access or add the label by hand")
            return TrackingIssue(issue.number, issue.html_url, "created")
        return _update(found, title, body, repo_name)
    finally:
        client.close()


def _update(found: list[Any], title: str, body: str, repo_name: str) -> TrackingIssue:
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
    _run(lambda: issue.edit(**changes), f"update tracking issue #{issue.number}", repo_name)
    return TrackingIssue(issue.number, issue.html_url, "reopened" if reopen else "updated")
