"""The one pull-request comment pmsync keeps up to date, on the sandbox."""

from __future__ import annotations

import pytest

from connectors.base import AccessError
from connectors.delivery.pull_request_comment import upsert_pull_request_comment
from connectors.sandbox import FaultPlan, FaultRule, Sandbox
from connectors.sandbox.seed import GITHUB_APP_READ_TOKEN
from tests.sandbox.conftest import github_client


@pytest.fixture
def pull(cli_sandbox: Sandbox) -> int:
    repo = github_client(cli_sandbox).get_repo(cli_sandbox.github_repo)
    number = repo.create_pull(title="Add a postmortem", body="", head="pm", base="main").number
    repo.get_issue(number).create_comment("LGTM")  # a person's comment stays as it is
    return number


def comments(sandbox: Sandbox, number: int) -> list[str]:
    [pr] = [i for i in sandbox.admin.github_issues() if i["number"] == number]
    return list(pr["comments"])


def upsert(sandbox: Sandbox, number: int, body: str, token: str | None = None) -> str:
    return upsert_pull_request_comment(token or sandbox.github_token, sandbox.github_api_url,
                                       sandbox.github_repo, number, body, "pmsync-plan").action


def test_one_comment_created_then_updated_in_place(cli_sandbox: Sandbox, pull: int) -> None:
    assert upsert(cli_sandbox, pull, "2 to create") == "created"
    assert upsert(cli_sandbox, pull, "2 to create") == "unchanged"
    assert upsert(cli_sandbox, pull, "3 to create") == "updated"
    assert comments(cli_sandbox, pull) == ["LGTM", "3 to create\n\n<!-- pmsync-plan -->\n"]


def test_a_lost_answer_never_makes_a_second_comment(cli_sandbox: Sandbox, pull: int) -> None:
    cli_sandbox.admin.set_faults(FaultPlan([FaultRule("lost_response", method="POST",
                                                      route="*/comments", nth=(1,))]))
    assert upsert(cli_sandbox, pull, "2 to create") == "unchanged"  # found by listing again
    assert comments(cli_sandbox, pull) == ["LGTM", "2 to create\n\n<!-- pmsync-plan -->\n"]


def test_a_read_only_token_names_the_permission(cli_sandbox: Sandbox, pull: int) -> None:
    with pytest.raises(AccessError, match="pull request comments"):
        upsert(cli_sandbox, pull, "2 to create", token=GITHUB_APP_READ_TOKEN)
    assert comments(cli_sandbox, pull) == ["LGTM"]
