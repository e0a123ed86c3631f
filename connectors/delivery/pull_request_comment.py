"""One pull-request comment pmsync keeps up to date (the push plan of ``command: plan``).

The comment is found again by a hidden marker line among the pull request's conversation
comments, listed through the issue-comments list (a consistent read); it is edited in place when
its text changed and left alone when not, so a pull request carries **one** plan however often
the workflow runs. A post whose outcome is unknown is settled by listing again, never by
posting blindly twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from connectors.clients import github_call, github_client, github_error
from connectors.retry import OutcomeUnknown

if TYPE_CHECKING:
    from github.Issue import Issue

T = TypeVar("T")
#: Seconds per request.
TIMEOUT = 30.0


@dataclass(frozen=True)
class PostedComment:
    """The comment after an upsert, and what happened to it."""

    id: int
    url: str
    action: Literal["created", "updated", "unchanged"]


def marked(body: str, marker: str) -> str:
    """``body`` with the hidden marker line pmsync finds the comment by."""
    return f"{body.rstrip()}\n\n<!-- {marker} -->\n"


def upsert_pull_request_comment(token: str, api_url: str, repo_name: str, number: int,
                                body: str, marker: str) -> PostedComment:
    """Create, or edit in place, the one comment on pull request ``number`` carrying
    ``marker``; its text is ``body``. Refusals are read as the GitHub connector reads them."""
    client = github_client(token, api_url, TIMEOUT)
    place = (repo_name, api_url)
    text = marked(body, marker)
    try:
        issue = _run(lambda: client.get_repo(repo_name).get_issue(number),
                     f"read pull request #{number}", place)
        found = _ours(issue, marker, place)
        if found:
            return _edit(found[0], text, place)
        try:
            posted = _run(lambda: issue.create_comment(text), "comment on the pull request",
                          place, writes=True, idempotent=False)
        except OutcomeUnknown:
            found = _ours(issue, marker, place)
            if found:
                return _edit(found[0], text, place)
            posted = _run(lambda: issue.create_comment(text), "comment on the pull request",
                          place, writes=True, idempotent=False)
        return PostedComment(posted.id, posted.html_url, "created")
    finally:
        client.close()


def _ours(issue: Issue, marker: str, place: tuple[str, str]) -> list[Any]:
    line = f"<!-- {marker} -->"
    comments = _run(lambda: list(issue.get_comments()), "list the pull request's comments",
                    place)
    return [c for c in comments if line in (c.body or "").splitlines()]


def _edit(comment: Any, text: str, place: tuple[str, str]) -> PostedComment:
    if comment.body == text:
        return PostedComment(comment.id, comment.html_url, "unchanged")
    _run(lambda: comment.edit(text), "edit the pull request comment", place, writes=True)
    return PostedComment(comment.id, comment.html_url, "updated")


def _run(fn: Callable[[], T], what: str, place: tuple[str, str], *, writes: bool = False,
         idempotent: bool = True) -> T:
    from github import GithubException

    try:
        return github_call(fn, what, idempotent=idempotent)
    except GithubException as exc:
        raise github_error(exc, what, *place, writing="pull request comments" if writes else None,
                           permission="pull_requests: write") from None
