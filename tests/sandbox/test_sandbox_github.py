"""The fake GitHub driven by the real ``PyGithub`` client (github.com and GHES layouts)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from github import (
    BadCredentialsException,
    GithubException,
    RateLimitExceededException,
    UnknownObjectException,
)
from graphql import parse

from connectors.sandbox import PrimaryLimits, Sandbox, SecondaryLimit
from connectors.sandbox.graphql_schema import possible_nodes
from connectors.sandbox.seed import (
    GITHUB_APP_READ_TOKEN,
    GITHUB_APP_TOKEN,
    GITHUB_OUTSIDER_TOKEN,
    GITHUB_READ_TOKEN,
    GITHUB_TRIAGE_TOKEN,
)
from tests.sandbox.conftest import github_client, raw_session

ISSUE_BATCH = """
query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    %s
  }
}"""


def _batch(numbers: list[int]) -> str:
    aliases = " ".join(
        f"i{n}: issue(number: {n}) {{ number title state stateReason }}" for n in numbers
    )
    return ISSUE_BATCH % aliases


def test_create_get_and_close_as_not_planned(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    assert repo.url.startswith(sandbox.github_api_url)
    created = repo.create_issue(
        "Rotate the pager",
        body="From pm.md",
        labels=["postmortem"],
        assignees=["alice"],
        milestone=repo.get_milestone(1),
    )
    assert (created.number, created.state, created.state_reason) == (1, "open", None)
    assert [label.name for label in created.labels] == ["postmortem"]
    assert [user.login for user in created.assignees] == ["alice"]
    created.edit(state="closed", state_reason="not_planned")
    fetched = repo.get_issue(1)
    assert (fetched.state, fetched.state_reason) == ("closed", "not_planned")
    assert fetched.closed_by.login == "pmsync-bot"
    assert fetched.milestone.title == "Q3 reliability"
    fetched.edit(state="open")
    assert repo.get_issue(1).state_reason == "reopened"


def test_edit_replaces_labels_and_assignees_as_whole_sets(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    issue = repo.create_issue("x", labels=["bug", "postmortem"], assignees=["alice"])
    issue.edit(labels=["pm-7"], assignees=[])
    fetched = repo.get_issue(issue.number)
    assert [label.name for label in fetched.labels] == ["pm-7"]
    assert fetched.assignees == []
    assert repo.get_label("pm-7").name == "pm-7"  # created on first use, as GitHub does
    issue.add_to_labels("bug")
    issue.remove_from_labels("pm-7")
    assert [label.name for label in repo.get_issue(issue.number).labels] == ["bug"]


def test_a_non_assignable_login_is_a_422_and_the_check_says_why(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    assert repo.has_in_assignees("alice") is True
    assert repo.has_in_assignees("outsider") is False
    with pytest.raises(GithubException) as raised:
        repo.create_issue("x", assignees=["outsider"])
    assert raised.value.status == 422
    assert raised.value.data["errors"] == [
        {"value": "outsider", "resource": "Issue", "field": "assignees", "code": "invalid"}
    ]
    assert sandbox.admin.github_issues() == []


def test_without_push_access_labels_and_assignees_are_silently_dropped(sandbox: Sandbox) -> None:
    repo = github_client(sandbox, GITHUB_READ_TOKEN).get_repo(sandbox.github_repo)
    issue = repo.create_issue("x", labels=["bug"], assignees=["alice"])
    assert (issue.labels, issue.assignees) == ([], [])
    assert sandbox.admin.github_issues()[0]["user"] == "reader"


def test_a_triage_collaborator_loses_labels_and_assignees_too(sandbox: Sandbox) -> None:
    repo = github_client(sandbox, GITHUB_TRIAGE_TOKEN).get_repo(sandbox.github_repo)
    assert repo.raw_data["permissions"]["triage"] and not repo.raw_data["permissions"]["push"]
    issue = repo.create_issue("x", labels=["bug"], assignees=["alice"])
    assert (issue.labels, issue.assignees) == ([], [])


def test_an_installation_token_sees_no_permissions_and_writes_per_its_grant(
    sandbox: Sandbox,
) -> None:
    session = raw_session(sandbox, "github")
    root = f"{sandbox.github_api_url}/repos/{sandbox.github_repo}"
    session.headers["Authorization"] = f"token {GITHUB_APP_TOKEN}"
    assert "permissions" not in session.get(root).json()
    created = session.post(f"{root}/issues", json={"title": "x", "labels": ["pmsync"]})
    assert created.status_code == 201 and [x["name"] for x in created.json()["labels"]] == ["pmsync"]
    assert created.json()["user"]["type"] == "Bot"
    me = session.get(f"{sandbox.github_api_url}/user")
    assert me.status_code == 403 and me.json()["message"] == "Resource not accessible by integration"
    session.headers["Authorization"] = f"token {GITHUB_APP_READ_TOKEN}"
    assert session.get(f"{root}/issues").status_code == 200  # issues: read
    refused = session.post(f"{root}/issues", json={"title": "y"})
    assert refused.status_code == 403
    assert refused.json() == {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
        "status": "403",
    }
    assert refused.headers["X-Accepted-GitHub-Permissions"] == "issues=write"
    assert len(sandbox.admin.github_issues()) == 1


def test_a_private_repository_is_invisible_to_outsiders(sandbox: Sandbox) -> None:
    with pytest.raises(UnknownObjectException):
        github_client(sandbox, GITHUB_OUTSIDER_TOKEN).get_repo(sandbox.github_repo)


def test_missing_title_is_a_validation_failure(sandbox: Sandbox) -> None:
    response = raw_session(sandbox, "github").post(
        f"{sandbox.github_api_url}/repos/{sandbox.github_repo}/issues", json={"body": "x"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"resource": "Issue", "code": "missing_field", "field": "title"}
    ]


def test_list_pages_past_one_hundred_and_includes_pull_requests(sandbox: Sandbox) -> None:
    sandbox.admin.seed_github_issues(150, labels=["pmsync"])
    sandbox.admin.seed_github_issues(3, pull_requests=True, labels=["pmsync"])
    repo = github_client(sandbox, per_page=100).get_repo(sandbox.github_repo)
    sandbox.admin.clear_request_log()
    listed = list(repo.get_issues(state="all", labels=[repo.get_label("pmsync")]))
    assert sorted(i.number for i in listed) == list(range(1, 154))
    counts = sandbox.admin.request_counts()
    assert counts[("GET", "/repos/{owner}/{repo}/issues")] == 1
    assert counts[("GET", "/repositories/{repo_id}/issues")] == 1  # the Link "next" page
    pulls = [i.number for i in listed if i.pull_request is not None]
    assert pulls == [153, 152, 151]
    # Only pull requests carry the key, so PyGithub fetches every plain issue again to be
    # sure: reading `pull_request` off a listed issue costs one request per issue.
    assert sandbox.admin.request_counts()[("GET", "/repos/{owner}/{repo}/issues/{number}")] == 150


def test_list_link_header_names_next_and_last(sandbox: Sandbox) -> None:
    sandbox.admin.seed_github_issues(250)
    response = raw_session(sandbox, "github").get(
        f"{sandbox.github_api_url}/repos/{sandbox.github_repo}/issues",
        params={"per_page": "100", "page": "2", "state": "all"},
    )
    links = response.links
    assert len(response.json()) == 100
    pages = {rel: parse_qs(urlsplit(link["url"]).query) for rel, link in links.items()}
    assert {rel: query["page"] for rel, query in pages.items()} == {
        "prev": ["1"],
        "next": ["3"],
        "last": ["3"],
        "first": ["1"],
    }
    assert all(query["state"] == ["all"] for query in pages.values())
    assert links["next"]["url"].startswith(f"{sandbox.github_api_url}/repositories/")


def test_list_filters_by_state_labels_and_since(sandbox: Sandbox) -> None:
    numbers = sandbox.admin.seed_github_issues(3, labels=["pmsync"])
    sandbox.admin.seed_github_issues(2)
    sandbox.admin.set_github_state(numbers[0], "closed", state_reason="completed")
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    label = repo.get_label("pmsync")
    assert sorted(i.number for i in repo.get_issues(labels=[label])) == numbers[1:]
    assert sorted(i.number for i in repo.get_issues(state="closed")) == numbers[:1]
    sandbox.admin.advance_clock(120)
    repo.get_issue(numbers[2]).edit(title="touched")
    since = datetime.now(timezone.utc) + timedelta(seconds=60)
    assert [i.number for i in repo.get_issues(state="all", since=since)] == [numbers[2]]


def test_graphql_aliases_batch_issue_lookups(sandbox: Sandbox) -> None:
    numbers = sandbox.admin.seed_github_issues(3)
    sandbox.admin.set_github_state(numbers[1], "closed", state_reason="not_planned")
    client = github_client(sandbox)
    owner, name = sandbox.github_repo.split("/")
    _, data = client.requester.graphql_query(_batch(numbers), {"owner": owner, "name": name})
    found = data["data"]["repository"]
    assert found["i2"] == {
        "number": 2,
        "title": "Seeded issue 2",
        "state": "CLOSED",
        "stateReason": "NOT_PLANNED",
    }
    assert sorted(found) == ["i1", "i2", "i3"]


def test_graphql_reports_a_missing_issue_as_not_found(sandbox: Sandbox) -> None:
    sandbox.admin.seed_github_issues(1)
    client = github_client(sandbox)
    owner, name = sandbox.github_repo.split("/")
    with pytest.raises(UnknownObjectException) as raised:
        client.requester.graphql_query(_batch([1, 99]), {"owner": owner, "name": name})
    answer = raised.value.data
    assert answer["data"]["repository"]["i1"]["number"] == 1
    assert answer["data"]["repository"]["i99"] is None
    assert answer["errors"][0]["type"] == "NOT_FOUND"
    assert answer["errors"][0]["path"] == ["repository", "i99"]


def test_graphql_refuses_more_than_one_hundred_node_ids(sandbox: Sandbox) -> None:
    client = github_client(sandbox)
    ids = ", ".join(f'"I_{n}"' for n in range(101))
    with pytest.raises(GithubException) as raised:
        client.requester.graphql_query(f"query {{ nodes_101: nodes(ids: [{ids}]) {{ id }} }}", {})
    assert raised.value.data["data"] is None
    assert raised.value.data["errors"][0]["type"] == "ARGUMENT_LIMIT"


def test_graphql_lists_issues_with_pagination_boundaries(sandbox: Sandbox) -> None:
    sandbox.admin.seed_github_issues(5, labels=["pmsync"])
    client = github_client(sandbox)
    query = """query { repository(owner: "pmsync-sandbox", name: "postmortems") {
      issues(first: 2, after: %s, labels: ["pmsync"]) {
        totalCount pageInfo { hasNextPage endCursor } nodes { number } } } }"""
    _, first = client.requester.graphql_query(query % "null", {})
    page = first["data"]["repository"]["issues"]
    assert [n["number"] for n in page["nodes"]] == [1, 2] and page["totalCount"] == 5
    cursor = page["pageInfo"]["endCursor"]
    _, second = client.requester.graphql_query(query % f'"{cursor}"', {})
    assert [n["number"] for n in second["data"]["repository"]["issues"]["nodes"]] == [3, 4]
    with pytest.raises(GithubException) as raised:
        client.requester.graphql_query(query.replace("first: 2", "first: 101") % "null", {})
    assert raised.value.data["errors"][0]["type"] == "EXCESSIVE_PAGINATION"


#: GitHub's two worked examples of counting nodes ("Rate limits and node limits for the GraphQL
#: API"), with the totals its documentation gives.
DOCUMENTED_NODE_COUNTS = [
    ("""query { viewer { repositories(first: 50) { edges { repository: node { name
        issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }""", 550),
    ("""query { viewer { repositories(first: 50) { edges { repository: node { name
        pullRequests(first: 20) { edges { pullRequest: node { title
          comments(first: 10) { edges { comment: node { bodyHTML } } } } } }
        issues(first: 20) { totalCount edges { issue: node { title bodyHTML
          comments(first: 10) { edges { comment: node { bodyHTML } } } } } } } } }
      followers(first: 10) { edges { follower: node { login } } } } }""", 22_060),
]


@pytest.mark.parametrize(("query", "nodes"), DOCUMENTED_NODE_COUNTS)
def test_nodes_are_counted_as_github_documents(query: str, nodes: int) -> None:
    assert possible_nodes(parse(query), {}) == nodes


def test_graphql_refuses_a_query_over_the_node_limit(sandbox: Sandbox) -> None:
    client = github_client(sandbox)
    query = """query($n: Int!) { repository(owner: "pmsync-sandbox", name: "postmortems") {
      issues(first: 100) { nodes { labels(first: $n) { nodes { name } }
                                   assignees(first: $n) { nodes { login } } } } } }"""
    _, within = client.requester.graphql_query(query, {"n": 100})  # 100 + 2 × 10,000 nodes
    assert "errors" not in within
    many = "\n".join(f"r{n}: repository(owner: \"pmsync-sandbox\", name: \"postmortems\") "
                     "{ issues(first: 100) { nodes { labels(first: 100) { nodes { name } } } } }"
                     for n in range(50))
    with pytest.raises(GithubException) as raised:
        client.requester.graphql_query(f"query {{ {many} }}", {})  # 50 × 10,100 nodes
    assert raised.value.data["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED"
    assert "505,000 possible nodes" in raised.value.data["errors"][0]["message"]


def test_search_lags_behind_writes(sandbox: Sandbox) -> None:
    sandbox.admin.configure(github_search_lag=60)
    client = github_client(sandbox)
    repo = client.get_repo(sandbox.github_repo)
    repo.create_issue("Rotate the pager", labels=["pmsync"])
    query = f"repo:{sandbox.github_repo} is:issue label:pmsync pager"
    assert client.search_issues(query).totalCount == 0
    sandbox.admin.advance_clock(61)
    assert [i.title for i in client.search_issues(query)] == ["Rotate the pager"]


def test_search_rejects_unknown_repositories_and_caps_results(sandbox: Sandbox) -> None:
    session = raw_session(sandbox, "github")
    url = f"{sandbox.github_api_url}/search/issues"
    unknown = session.get(url, params={"q": "repo:nobody/nothing x"})
    assert unknown.status_code == 422
    beyond = session.get(url, params={"q": "is:issue", "per_page": "100", "page": "11"})
    assert beyond.status_code == 422
    assert beyond.json()["message"] == "Only the first 1000 search results are available"


def test_wrong_or_missing_token_is_a_401(sandbox: Sandbox) -> None:
    with pytest.raises(BadCredentialsException):
        github_client(sandbox, "not-a-token").get_repo(sandbox.github_repo)
    response = raw_session(sandbox, "github").get(
        f"{sandbox.github_api_url}/repos/{sandbox.github_repo}", headers={"Authorization": ""}
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Requires authentication"
    assert response.headers["x-ratelimit-limit"] == "60"


def test_every_answer_carries_rate_limit_headers(sandbox: Sandbox) -> None:
    session = raw_session(sandbox, "github")
    base = sandbox.github_api_url
    answers = [
        session.get(f"{base}/repos/{sandbox.github_repo}"),
        session.get(f"{base}/repos/{sandbox.github_repo}/issues/404"),
        session.post(f"{base}/graphql", json={"query": "{ viewer { login } }"}),
        session.get(f"{base}/search/issues", params={"q": "x"}),
    ]
    assert [a.status_code for a in answers] == [200, 404, 200, 200]
    assert [a.headers["x-ratelimit-resource"] for a in answers] == [
        "core",
        "core",
        "graphql",
        "search",
    ]
    assert [int(a.headers["x-ratelimit-used"]) for a in answers] == [1, 2, 1, 1]
    assert all(int(a.headers["x-ratelimit-reset"]) > 0 for a in answers)


def test_the_primary_limit_answers_403_when_spent() -> None:
    with Sandbox(primary_limits=PrimaryLimits(core=2)) as sandbox:
        client = github_client(sandbox)
        repo = client.get_repo(sandbox.github_repo)
        repo.get_issues().totalCount  # noqa: B018 - the request is the point
        with pytest.raises(RateLimitExceededException) as raised:
            repo.get_issue(1)
        assert raised.value.status == 403
        assert raised.value.headers["x-ratelimit-remaining"] == "0"
        sandbox.admin.advance_clock(3600)
        with pytest.raises(UnknownObjectException):
            repo.get_issue(1)  # the budget is back: now it is just missing


def test_secondary_limit_refuses_fast_creation_until_the_window_passes() -> None:
    with Sandbox(secondary_limit=SecondaryLimit(creates=2, window=1)) as sandbox:
        repo = github_client(sandbox).get_repo(sandbox.github_repo)
        repo.create_issue("one")
        repo.create_issue("two")
        with pytest.raises(RateLimitExceededException) as raised:
            repo.create_issue("three")
        assert raised.value.status == 403
        assert "secondary rate limit" in raised.value.data["message"]
        assert raised.value.headers["retry-after"] == "1"  # until the window has room
        assert len(sandbox.admin.github_issues()) == 2
        sandbox.admin.advance_clock(1.1)
        assert repo.create_issue("three").number == 3


def test_secondary_limit_has_an_hourly_window_too() -> None:
    # GitHub: 80 creations a minute and 500 an hour; scaled down here to 3 a second, 4 a minute.
    limit = SecondaryLimit(creates=3, window=1, hourly_creates=4, hourly_window=60)
    with Sandbox(secondary_limit=limit) as sandbox:
        repo = github_client(sandbox).get_repo(sandbox.github_repo)
        for n in range(3):
            repo.create_issue(f"n{n}")
        sandbox.admin.advance_clock(1.1)
        repo.create_issue("fourth")
        sandbox.admin.advance_clock(1.1)  # the short window has room; the long one has not
        with pytest.raises(RateLimitExceededException) as raised:
            repo.create_issue("fifth")
        assert 55 <= int(raised.value.headers["retry-after"]) <= 60
        sandbox.admin.advance_clock(60)
        assert repo.create_issue("fifth").number == 5


def test_seeded_issues_can_carry_a_body() -> None:
    with Sandbox() as sandbox:
        numbers = sandbox.admin.seed_github_issues(2, body="text {n}", pull_requests=True)
        repo = github_client(sandbox).get_repo(sandbox.github_repo)
        assert [repo.get_issue(n).body for n in numbers] == ["text 1", "text 2"]


def test_ghes_layout_serves_rest_under_api_v3_and_graphql_at_api_graphql() -> None:
    with Sandbox(github_layout="ghes") as sandbox:
        assert sandbox.github_api_url.endswith("/api/v3")
        client = github_client(sandbox)
        repo = client.get_repo(sandbox.github_repo)
        assert repo.url == f"{sandbox.github_api_url}/repos/{sandbox.github_repo}"
        issue = repo.create_issue("on GHES")
        _, data = client.requester.graphql_query(
            _batch([issue.number]), {"owner": "pmsync-sandbox", "name": "postmortems"}
        )
        assert data["data"]["repository"]["i1"]["title"] == "on GHES"
        counts = sandbox.admin.request_counts()
        assert counts[("POST", "/api/graphql")] == 1
        assert counts[("POST", "/api/v3/repos/{owner}/{repo}/issues")] == 1


def test_concurrent_creates_get_distinct_numbers() -> None:
    with Sandbox(secondary_limit=None) as sandbox:
        client = github_client(sandbox)
        repo = client.get_repo(sandbox.github_repo)
        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = list(pool.map(lambda n: repo.create_issue(f"n{n}").number, range(40)))
        assert sorted(numbers) == list(range(1, 41))


def test_ghes_has_no_secondary_limit_by_default() -> None:
    with Sandbox(github_layout="ghes") as sandbox:
        repo = github_client(sandbox).get_repo(sandbox.github_repo)
        for n in range(85):
            repo.create_issue(f"n{n}")
        assert len(sandbox.admin.github_issues()) == 85


def test_issue_comments_are_listed_paged_and_edited_in_place(sandbox: Sandbox) -> None:
    repo = github_client(sandbox, per_page=2).get_repo(sandbox.github_repo)
    issue = repo.create_issue("Rotate the pager")
    for n in range(5):
        issue.create_comment(f"note {n}")
    listed = list(issue.get_comments())  # PyGithub follows the Link: next pages
    assert [c.body for c in listed] == [f"note {n}" for n in range(5)]
    assert listed[0].user.login == "pmsync-bot"
    listed[1].edit("note 1, edited")
    again = repo.get_issue(issue.number).get_comment(listed[1].id)
    assert again.body == "note 1, edited" and again.updated_at >= again.created_at
    assert [c.body for c in issue.get_comments()][1] == "note 1, edited"
    with pytest.raises(GithubException) as refused:
        issue.create_comment("")
    assert refused.value.status == 422
    with pytest.raises(UnknownObjectException):
        issue.get_comment(999)


def test_pull_request_conversation_comments_are_issue_comments(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    pull = repo.create_pull(title="Add a postmortem", body="", head="pm", base="main")
    pull.as_issue().create_comment("plan")
    [comment] = list(repo.get_issue(pull.number).get_comments())
    assert comment.body == "plan" and f"/pull/{pull.number}#issuecomment-" in comment.html_url


def test_a_read_only_installation_may_list_comments_but_not_post(sandbox: Sandbox) -> None:
    repo = github_client(sandbox).get_repo(sandbox.github_repo)
    issue = repo.create_issue("Rotate the pager")
    issue.create_comment("note")
    reader = github_client(sandbox, GITHUB_APP_READ_TOKEN).get_repo(sandbox.github_repo)
    assert [c.body for c in reader.get_issue(issue.number).get_comments()] == ["note"]
    with pytest.raises(GithubException) as refused:
        reader.get_issue(issue.number).create_comment("more")
    assert refused.value.status == 403
