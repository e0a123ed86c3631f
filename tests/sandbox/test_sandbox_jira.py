"""The fake Jira driven by the real ``jira`` client, in Cloud and Server flavours."""

from __future__ import annotations

from typing import Any

import pytest
from jira import JIRA, JIRAError

from connectors.sandbox import Sandbox
from tests.sandbox.conftest import jira_client, raw_session


def _task(summary: str, **fields: Any) -> dict[str, Any]:
    return {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": summary, **fields}


def _transition_to_category(client: JIRA, key: str, category: str) -> str:
    """Resolve a transition by its target's status category, as pmsync must."""
    fitting = [t for t in client.transitions(key) if t["to"]["statusCategory"]["key"] == category]
    assert fitting, f"no transition of {key} leads to category {category}"
    client.transition_issue(key, fitting[0]["id"])
    return str(fitting[0]["name"])


def test_client_detects_the_flavour(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    assert client._is_cloud is (any_flavour.options.flavour == "cloud")
    me = client.myself()
    assert me["displayName"] == "pmsync bot"
    if any_flavour.options.flavour == "cloud":
        assert me["accountId"].startswith("712020:")
    else:
        assert me["name"] == "pmsync-bot" and "accountId" not in me


def test_create_then_get_returns_the_fields_written(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    issue = client.create_issue(
        fields=_task(
            "Rotate the pager",
            description="Line one\n\nLine two",
            labels=["pmsync", "pm-42"],
            duedate="2030-01-31",
            priority={"name": client.priorities()[0].name},
        )
    )
    fetched = client.issue(issue.key)
    assert fetched.key == "OPS-1"
    assert fetched.fields.summary == "Rotate the pager"
    assert fetched.fields.description == "Line one\n\nLine two"
    assert fetched.fields.labels == ["pmsync", "pm-42"]
    assert fetched.fields.duedate == "2030-01-31"
    assert fetched.fields.status.statusCategory.key == "new"
    assert fetched.fields.resolution is None
    assert fetched.self.startswith(any_flavour.url)


def test_create_rejects_bad_fields_with_jira_messages(sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    with pytest.raises(JIRAError) as raised:
        client.create_issue(fields=_task("two\nlines", duedate="31/01/2030", customfield_1="x"))
    assert raised.value.status_code == 400
    errors = raised.value.response.json()["errors"]
    assert errors == {
        "summary": "The summary is invalid because it contains newline characters.",
        "duedate": "Error parsing date string: 31/01/2030",
        "customfield_1": "Field 'customfield_1' cannot be set. It is not on the appropriate "
        "screen, or unknown.",
    }
    assert sandbox.admin.jira_issues() == []


def test_bulk_create_reports_each_failure_and_creates_the_rest(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    results = client.create_issues(
        [
            _task("first"),
            {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}},
            _task("unknown type", issuetype={"name": "Saga"}),
            _task("unknown priority", priority={"name": "Apocalyptic"}),
            _task("last"),
        ],
        prefetch=False,
    )
    assert [r["status"] for r in results] == ["Success", "Error", "Error", "Error", "Success"]
    assert results[1]["error"] == {"summary": "You must specify a summary of the issue."}
    assert results[2]["error"] == {"issuetype": "The issue type selected is invalid."}
    assert results[3]["error"] == {"priority": "The priority selected is invalid."}
    assert [r["issue"].key for r in results if r["issue"]] == ["OPS-1", "OPS-2"]
    assert [i["summary"] for i in any_flavour.admin.jira_issues()] == ["first", "last"]


def test_bulk_create_refuses_more_than_fifty(sandbox: Sandbox) -> None:
    response = raw_session(sandbox, "jira").post(
        f"{sandbox.jira_url}/rest/api/2/issue/bulk",
        json={"issueUpdates": [{"fields": _task(f"n{i}")} for i in range(51)]},
    )
    assert response.status_code == 400
    assert response.json()["errorMessages"]
    assert sandbox.admin.jira_issues() == []


def test_bulk_create_where_everything_fails_is_a_400_with_the_errors(sandbox: Sandbox) -> None:
    response = raw_session(sandbox, "jira").post(
        f"{sandbox.jira_url}/rest/api/2/issue/bulk",
        json={"issueUpdates": [{"fields": {"project": {"key": "NOPE"}}}]},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["issues"] == []
    assert body["errors"][0]["failedElementNumber"] == 0
    assert (
        body["errors"][0]["elementErrors"]["errors"]["project"]
        == "Specify a valid project ID or key"
    )


def test_transitions_are_named_differently_from_their_targets(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    key = client.create_issue(fields=_task("x")).key
    offered = {t["name"]: t["to"]["name"] for t in client.transitions(key)}
    assert offered == {"Start Progress": "In Progress", "Close": "Done", "Decline": "Won't Do"}
    assert _transition_to_category(client, key, "indeterminate") == "Start Progress"
    assert client.issue(key).fields.status.name == "In Progress"
    assert _transition_to_category(client, key, "done") == "Close"
    done = client.issue(key)
    assert (done.fields.status.name, done.fields.resolution.name) == ("Done", "Done")
    assert done.fields.resolutiondate is not None


def test_decline_resolves_as_wont_do_and_reopen_clears_it(sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    key = client.create_issue(fields=_task("x")).key
    client.transition_issue(key, "Decline")
    declined = client.issue(key)
    assert declined.fields.status.statusCategory.key == "done"
    assert declined.fields.resolution.name == "Won't Do"
    client.transition_issue(key, "Reopen")
    assert client.issue(key).fields.resolution is None


def test_a_transition_not_available_now_is_rejected(sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    key = client.create_issue(fields=_task("x")).key
    with pytest.raises(JIRAError) as raised:
        client.transition_issue(key, "51")  # Reopen, only offered from done statuses
    assert raised.value.status_code == 400
    assert "Transition id '51' is not valid for this issue." in raised.value.text
    assert client.issue(key).fields.status.name == "To Do"


def test_edit_replaces_fields_and_applies_label_operations(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    issue = client.create_issue(fields=_task("old", labels=["keep", "drop"]))
    issue.update(
        fields={"summary": "new"}, update={"labels": [{"add": "added"}, {"remove": "drop"}]}
    )
    fetched = client.issue(issue.key)
    assert fetched.fields.summary == "new"
    assert fetched.fields.labels == ["keep", "added"]
    with pytest.raises(JIRAError) as raised:
        issue.update(fields={"status": {"name": "Done"}})
    assert raised.value.status_code == 400


def test_api_v3_takes_and_returns_atlassian_documents(sandbox: Sandbox) -> None:
    session = raw_session(sandbox, "jira")
    base = f"{sandbox.jira_url}/rest/api/3"
    rejected = session.post(
        f"{base}/issue", json={"fields": {**_task("v3"), "description": "plain"}}
    )
    assert rejected.status_code == 400
    assert "Atlassian Document" in rejected.json()["errors"]["description"]
    doc = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "From ADF"}]}],
    }
    key = session.post(
        f"{base}/issue", json={"fields": {**_task("v3"), "description": doc}}
    ).json()["key"]
    assert session.get(f"{base}/issue/{key}").json()["fields"]["description"] == doc
    v2 = session.get(f"{sandbox.jira_url}/rest/api/2/issue/{key}").json()
    assert v2["fields"]["description"] == "From ADF"


def test_properties_are_read_back_on_get_and_search(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    key = client.create_issue(fields=_task("marked", labels=["pmsync"])).key
    client.add_issue_property(key, "pmsync.item", {"doc": "pm.md", "item": 3})
    assert client.issue_property(key, "pmsync.item").value.item == 3
    assert client.issue(key, properties="pmsync.item").raw["properties"] == {
        "pmsync.item": {"doc": "pm.md", "item": 3}
    }
    search = client.enhanced_search_issues if client._is_cloud else client.search_issues
    found = search("project = OPS AND labels = pmsync", properties="pmsync.item")
    assert [i.raw["properties"]["pmsync.item"]["item"] for i in found] == [3]


def test_cloud_search_pages_past_one_hundred_with_tokens(sandbox: Sandbox) -> None:
    keys = sandbox.admin.seed_jira_issues(130, labels=["pmsync"])
    client = jira_client(sandbox)
    sandbox.admin.clear_request_log()
    found = client.enhanced_search_issues(
        "project = OPS AND labels = pmsync ORDER BY key ASC", maxResults=0
    )
    assert [i.key for i in found] == keys
    assert sandbox.admin.request_counts()[("GET", "/rest/api/2/search/jql")] == 2
    first = client.enhanced_search_issues("labels = pmsync", maxResults=100, json_result=True)
    assert "total" not in first and first["isLast"] is False and first["nextPageToken"]
    assert len(first["issues"]) == 100


def test_cloud_search_by_post_follows_the_same_pages(sandbox: Sandbox) -> None:
    sandbox.admin.seed_jira_issues(120)
    client = jira_client(sandbox)
    found = client.enhanced_search_issues("project = OPS", maxResults=0, use_post=True)
    assert len({i.key for i in found}) == 120


def test_server_search_pages_with_start_at_and_total(server_sandbox: Sandbox) -> None:
    keys = server_sandbox.admin.seed_jira_issues(130)
    client = jira_client(server_sandbox)
    found = client.search_issues("project = OPS ORDER BY key", maxResults=0)
    assert [i.key for i in found] == keys
    assert found.total == 130
    page = client.search_issues("project = OPS", startAt=120, maxResults=50, json_result=True)
    assert (page["startAt"], page["total"], len(page["issues"])) == (120, 130, 10)


def test_cloud_removed_search_answers_410(sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    with pytest.raises(JIRAError) as raised:
        client._get_json("search", params={"jql": "project = OPS"})
    assert raised.value.status_code == 410
    assert "/rest/api/3/search/jql" in raised.value.text


def test_server_has_no_search_jql(server_sandbox: Sandbox) -> None:
    response = raw_session(server_sandbox, "jira").get(
        f"{server_sandbox.jira_url}/rest/api/2/search/jql", params={"jql": "project = OPS"}
    )
    assert response.status_code == 404


def test_cloud_search_lags_behind_writes_unless_reconciled(sandbox: Sandbox) -> None:
    sandbox.admin.configure(jira_search_lag=30)
    client = jira_client(sandbox)
    issue = client.create_issue(fields=_task("fresh", labels=["pmsync"]))
    jql = "project = OPS AND labels = pmsync"
    assert list(client.enhanced_search_issues(jql)) == []
    reconciled = client.enhanced_search_issues(jql, reconcileIssues=[int(issue.id)])
    assert [i.key for i in reconciled] == [issue.key]
    sandbox.admin.advance_clock(31)
    assert [i.key for i in client.enhanced_search_issues(jql)] == [issue.key]


def test_search_within_the_lag_sees_the_previous_version(sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    key = client.create_issue(fields=_task("before", labels=["pmsync"])).key
    sandbox.admin.configure(jira_search_lag=30)
    sandbox.admin.advance_clock(31)  # the creation itself is now indexed
    client.issue(key).update(fields={"summary": "after", "labels": ["moved"]})
    stale = client.enhanced_search_issues("labels = pmsync", fields="summary")
    assert [i.fields.summary for i in stale] == ["before"]
    assert list(client.enhanced_search_issues("labels = moved")) == []


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("assignee = alice", "The pmsync sandbox does not support the JQL field 'assignee'."),
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        (
            "project = OPS AND",
            ("Error in the JQL Query: Expecting a field name but got the end of the query."),
        ),
        (
            "ORDER BY created",
            (
                "Unbounded JQL queries are not allowed here. Please add a search "
                "restriction to your query."
            ),
        ),
    ],
)
def test_unsupported_or_invalid_jql_is_a_400_with_jira_error_body(
    sandbox: Sandbox, jql: str, message: str
) -> None:
    response = raw_session(sandbox, "jira").get(
        f"{sandbox.jira_url}/rest/api/3/search/jql", params={"jql": jql}
    )
    assert response.status_code == 400
    assert response.json() == {"errorMessages": [message], "errors": {}}


def test_jql_subset_filters_by_key_status_category_and_updated(sandbox: Sandbox) -> None:
    keys = sandbox.admin.seed_jira_issues(4, labels=["pmsync"])
    sandbox.admin.set_jira_status(keys[1], category="done")
    sandbox.admin.set_jira_status(keys[2], "In Progress")
    client = jira_client(sandbox)

    def found(jql: str) -> list[str]:
        return sorted(i.key for i in client.enhanced_search_issues(jql, maxResults=0))

    assert found(f"key in ({keys[0]}, {keys[1]}) AND statusCategory = done") == [keys[1]]
    assert found("labels = pmsync AND (status = 'In Progress' OR statusCategory = Done)") == sorted(
        keys[1:3]
    )
    assert found("labels = pmsync AND NOT statusCategory in (done, indeterminate)") == sorted(
        [keys[0], keys[3]]
    )
    assert found("labels = pmsync AND updated >= -1h") == sorted(keys)
    assert found("labels = pmsync AND updated >= '2999-01-01'") == []


def test_people_change_status_through_the_admin_api(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    key = client.create_issue(fields=_task("x")).key
    any_flavour.admin.set_jira_status(key, "Won't Do")
    fetched = client.issue(key)
    assert fetched.fields.status.statusCategory.key == "done"
    assert fetched.fields.resolution.name == "Won't Do"


def test_remote_links_with_a_global_id_are_not_duplicated(sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    key = client.create_issue(fields=_task("x")).key
    link = {"url": "https://example.com/pm.md", "title": "Postmortem"}
    client.add_remote_link(key, link, globalId="pmsync:pm.md#3")
    client.add_remote_link(
        key, {**link, "title": "Postmortem (renamed)"}, globalId="pmsync:pm.md#3"
    )
    links = client.remote_links(key)
    assert [(r.globalId, r.object.title) for r in links] == [
        ("pmsync:pm.md#3", "Postmortem (renamed)")
    ]
    client.add_simple_link(key, link)
    assert len(client.remote_links(key)) == 2


def test_assignment_uses_account_ids_on_cloud_and_names_on_server(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    key = client.create_issue(fields=_task("x")).key
    assert client.assign_issue(key, "alice")
    assert client.issue(key).fields.assignee.displayName == "Alice Example"
    assert any_flavour.admin.jira_issues()[0]["assignee"] == "alice"


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_wrong_credentials_are_refused(flavour: str) -> None:
    with Sandbox(flavour=flavour) as sandbox:  # type: ignore[arg-type]
        wrong = (
            {"basic_auth": (sandbox.jira_email, "not-the-token")}
            if flavour == "cloud"
            else {"token_auth": "not-the-token"}
        )
        client = jira_client(sandbox, **wrong)  # serverInfo is anonymous, as in real Jira
        with pytest.raises(JIRAError) as raised:
            client.myself()
        assert raised.value.status_code == 401
        anonymous = raw_session(sandbox, "jira")
        anonymous.auth = None
        anonymous.headers.pop("Authorization", None)
        response = anonymous.get(f"{sandbox.jira_url}/rest/api/2/issue/OPS-1")
        assert response.status_code == 401


def test_each_flavour_refuses_the_other_flavours_auth_scheme(any_flavour: Sandbox) -> None:
    url = f"{any_flavour.jira_url}/rest/api/2/myself"
    session = raw_session(any_flavour, "jira")
    session.auth = None
    if any_flavour.options.flavour == "cloud":
        session.headers["Authorization"] = f"Bearer {any_flavour.jira_token}"
    else:
        session.auth = (any_flavour.jira_email, any_flavour.jira_token)
    assert session.get(url).status_code == 401


def test_comments_are_paged_with_their_properties(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    key = client.create_issue(fields=_task("Rotate the pager")).key
    for n in range(3):
        client.add_comment(key, f"note {n}")
    assert [c.body for c in client.comments(key)] == ["note 0", "note 1", "note 2"]
    session = raw_session(any_flavour, "jira")
    url = f"{any_flavour.jira_url}/rest/api/2/issue/{key}/comment"
    posted = session.post(url, json={"body": "tagged", "properties": [
        {"key": "pmsync", "value": {"tag": "remind/x"}}]}, timeout=10)
    assert posted.status_code == 201 and "properties" not in posted.json()
    page = session.get(url, params={"startAt": 2, "maxResults": 1, "orderBy": "-created",
                                    "expand": "properties"}, timeout=10).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (2, 1, 4)
    [comment] = page["comments"]
    assert comment["body"] == "note 1" and comment["properties"] == []
    newest = session.get(url, params={"orderBy": "-created", "expand": "properties"},
                         timeout=10).json()["comments"][0]
    assert newest["properties"] == [{"key": "pmsync", "value": {"tag": "remind/x"}}]
    assert "properties" not in session.get(url, timeout=10).json()["comments"][0]
    empty = session.post(url, json={"body": "  "}, timeout=10)
    assert empty.status_code == 400 and "comment" in empty.json()["errors"]


def test_cloud_v3_comments_take_adf_and_v2_shows_mentions_as_wiki_markup(
        sandbox: Sandbox) -> None:
    client = jira_client(sandbox)
    key = client.create_issue(fields=_task("Rotate the pager")).key
    me = client.myself()["accountId"]
    session = raw_session(sandbox, "jira")
    v3 = f"{sandbox.jira_url}/rest/api/3/issue/{key}/comment"
    assert session.post(v3, json={"body": "plain text"}, timeout=10).status_code == 400
    doc = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": me}}, {"type": "text", "text": " due soon"}]}]}
    answer = session.post(v3, json={"body": doc}, timeout=10)
    assert answer.status_code == 201 and answer.json()["body"] == doc
    assert answer.json()["author"]["accountId"] == me
    [comment] = client.comments(key)  # the jira client reads API v2
    assert comment.body == f"[~accountid:{me}] due soon"
