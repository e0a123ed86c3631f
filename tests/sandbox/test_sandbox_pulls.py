"""Pull requests on the fake GitHub, driven by the real ``PyGithub`` client.

The sandbox keeps pull-request records without git data: enough for a write-back pull request
(open it, find it again by its head branch, refuse a second one for the same branches).
"""

from __future__ import annotations

import pytest
from github import GithubException, UnknownObjectException

from connectors.sandbox import Sandbox
from connectors.sandbox.seed import GITHUB_READ_TOKEN
from tests.sandbox.conftest import github_client


@pytest.mark.parametrize("layout", ["github.com", "ghes"])
def test_open_get_and_list_a_pull_request(layout: str) -> None:
    with Sandbox(github_layout=layout) as sandbox:  # type: ignore[arg-type]
        repo = github_client(sandbox).get_repo(sandbox.github_repo)
        pull = repo.create_pull(
            base="main", head="pmsync/write-back-abc", title="pmsync: link tickets", body="Why"
        )
        assert (pull.number, pull.state, pull.merged, pull.draft) == (1, "open", False, False)
        assert (pull.head.ref, pull.base.ref) == ("pmsync/write-back-abc", "main")
        assert pull.url.startswith(sandbox.github_api_url)
        assert pull.html_url == f"{sandbox.url}/{sandbox.github_repo}/pull/1"
        assert repo.get_pull(1).title == "pmsync: link tickets"
        owner = sandbox.github_repo.split("/")[0]
        found = list(repo.get_pulls(state="open", head=f"{owner}:pmsync/write-back-abc"))
        assert [p.number for p in found] == [1]
        assert list(repo.get_pulls(state="open", head=f"{owner}:other")) == []
        # GitHub lists pull requests among issues, marked with a ``pull_request`` key.
        [as_issue] = list(repo.get_issues(state="all"))
        assert as_issue.pull_request is not None
        [record] = sandbox.admin.github_issues()
        assert (record["pull_request"], record["head"], record["base"]) == (
            True,
            "pmsync/write-back-abc",
            "main",
        )


def test_second_pull_request_for_the_same_branches_is_refused(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    repo.create_pull(base="main", head="feature", title="one")
    with pytest.raises(GithubException) as raised:
        repo.create_pull(base="main", head="feature", title="two")
    assert raised.value.status == 422
    assert "A pull request already exists" in raised.value.data["errors"][0]["message"]
    assert len(sandbox.admin.github_issues()) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"head": "x", "base": "main"}, "title"), ({"title": "t", "base": "main"}, "head")],
)
def test_missing_fields_are_validation_errors(
    sandbox: Sandbox, payload: dict[str, str], field: str
) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    status, _, body = repo._requester.requestJson("POST", f"{repo.url}/pulls", input=payload)
    assert status == 422
    assert f'"field": "{field}"' in body or f'"field":"{field}"' in body


def test_same_head_and_base_and_read_access_are_refused(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    with pytest.raises(GithubException) as same:
        repo.create_pull(base="main", head="main", title="t")
    assert same.value.status == 422
    reader = github_client(sandbox, token=GITHUB_READ_TOKEN).get_repo(sandbox.github_repo)
    with pytest.raises(GithubException) as forbidden:
        reader.create_pull(base="main", head="feature", title="t")
    assert forbidden.value.status == 403
    assert sandbox.admin.github_issues() == []


def test_an_issue_number_is_not_a_pull_request(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    repo.create_issue("just an issue")
    with pytest.raises(UnknownObjectException):
        repo.get_pull(1)
