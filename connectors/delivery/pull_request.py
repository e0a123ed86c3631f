"""The pull request the Action opens when it cannot push its write-back to the branch.

The POST that opens it is sent once (a resent POST could open two); when its outcome is unknown,
or GitHub answers that one is already open for the branch, the open one is looked up instead.
Refusals are read as the GitHub connector reads them (:func:`connectors.clients.github_error`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.clients import github_call, github_client, github_error
from connectors.retry import OutcomeUnknown
from syncer.errors import TrackerError

if TYPE_CHECKING:
    from github.Repository import Repository

#: Seconds per request: the Action waits for nothing else at this point.
TIMEOUT = 30.0


def open_pull_request(token: str, api_url: str, repo_name: str, head: str, base: str,
                      title: str, body: str) -> str:
    """Open (or find the already open) pull request from ``head`` into ``base`` of
    ``repo_name``; its URL."""
    from github import GithubException

    client = github_client(token, api_url, TIMEOUT)
    place = (repo_name, api_url)
    try:
        repo = client.get_repo(repo_name)
        try:  # read first, as the connector does: a 404 here is the repository, not a permission
            github_call(repo.update, "read the repository")
        except GithubException as exc:
            raise github_error(exc, "read the repository", *place) from None
        try:
            created = github_call(lambda: repo.create_pull(base=base, head=head, title=title,
                                                           body=body),
                                  "open a pull request", idempotent=False)
            return str(created.html_url)
        except OutcomeUnknown:
            pass
        except GithubException as exc:
            if exc.status != 422 or "already exists" not in str(exc.data):
                raise github_error(exc, "open a pull request", *place,
                                   writing="pull requests",
                                   permission="pull_requests: write") from None
        return _open_pull_request(repo, head, base, place)
    finally:
        client.close()


def _open_pull_request(repo: Repository, head: str, base: str, place: tuple[str, str]) -> str:
    """The URL of the open pull request from ``head`` into ``base``."""
    from github import GithubException

    owner = place[0].split("/")[0]
    try:
        found = github_call(lambda: list(repo.get_pulls(state="open", head=f"{owner}:{head}",
                                                        base=base)),
                            "list open pull requests")
    except GithubException as exc:
        raise github_error(exc, "list open pull requests", *place) from None
    if not found:
        raise TrackerError(f"GitHub: opening a pull request from {head} into {base} in "
                           f"{place[0]} did not succeed and none is open; run again")
    return str(found[0].html_url)
