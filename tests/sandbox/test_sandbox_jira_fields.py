"""The fake Jira's components, epic links and admin-required custom fields, through ``jira``."""

from __future__ import annotations

from typing import Any

import pytest
from jira import JIRAError

from connectors.sandbox import RemoteAdmin, Sandbox
from tests.sandbox.conftest import jira_client


def _task(summary: str, **fields: Any) -> dict[str, Any]:
    return {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": summary, **fields}


def test_required_custom_field_fails_each_bulk_item_with_jiras_message(
    any_flavour: Sandbox,
) -> None:
    any_flavour.admin.require_jira_field("customfield_10050", "Root cause category")
    client = jira_client(any_flavour)
    url = client._get_url("issue/bulk")
    body = {"issueUpdates": [{"fields": _task("one")},
                             {"fields": _task("two", customfield_10050="config")}]}
    answer = client._session.post(url, json=body).json()
    assert [i["key"] for i in answer["issues"]] == ["OPS-1"]
    [error] = answer["errors"]
    assert error["failedElementNumber"] == 0 and error["status"] == 400
    assert error["elementErrors"]["errors"] == {
        "customfield_10050": "Root cause category is required."
    }
    fields = {f["id"]: f["name"] for f in client.fields()}
    assert fields["customfield_10050"] == "Root cause category"
    assert client.issue("OPS-1").raw["fields"]["customfield_10050"] == "config"


def test_required_field_is_set_over_the_admin_http_api(any_flavour: Sandbox) -> None:
    RemoteAdmin(any_flavour.admin_url).require_jira_field("customfield_10051", "Team")
    client = jira_client(any_flavour)
    with pytest.raises(JIRAError) as raised:
        client.create_issue(fields=_task("no team"))
    assert raised.value.response.json()["errors"] == {"customfield_10051": "Team is required."}
    with pytest.raises(ValueError):
        any_flavour.admin.require_jira_field("team", "Team")


def test_components_must_exist_in_the_project(any_flavour: Sandbox) -> None:
    client = jira_client(any_flavour)
    issue = client.create_issue(fields=_task("with component", components=[{"name": "Backend"}]))
    assert [c.name for c in client.issue(issue.key).fields.components] == ["Backend"]
    assert [c["name"] for c in client.project("OPS").raw["components"]] == ["Backend", "Platform"]
    with pytest.raises(JIRAError) as raised:
        client.create_issue(fields=_task("bad", components=[{"name": "Frontend"}]))
    assert raised.value.response.json()["errors"] == {
        "components": "Component name 'Frontend' is not valid"
    }


def test_cloud_links_an_epic_as_parent() -> None:
    with Sandbox(flavour="cloud") as cloud:
        client = jira_client(cloud)
        epic = client.create_issue(fields={**_task("Epic"), "issuetype": {"name": "Epic"}})
        child = client.create_issue(fields=_task("child", parent={"key": epic.key}))
        assert client.issue(child.key).raw["fields"]["parent"]["key"] == epic.key
        assert "parent" not in client.issue(epic.key).raw["fields"]
        with pytest.raises(JIRAError) as raised:
            client.create_issue(fields=_task("orphan", parent={"key": "OPS-99"}))
        assert raised.value.response.json()["errors"] == {
            "parent": "Could not find issue by id or key."
        }


def test_server_links_an_epic_through_the_epic_link_field() -> None:
    with Sandbox(flavour="server") as server:
        client = jira_client(server)
        epic_field = next(f["id"] for f in client.fields() if f["name"] == "Epic Link")
        epic = client.create_issue(fields={**_task("Epic"), "issuetype": {"name": "Epic"}})
        child = client.create_issue(fields=_task("child", **{epic_field: epic.key}))
        assert client.issue(child.key).raw["fields"][epic_field] == epic.key
        with pytest.raises(JIRAError) as raised:
            client.create_issue(fields=_task("child", parent={"key": epic.key}))
        assert "parent" in raised.value.response.json()["errors"]
