"""Jira-specific behaviour of :class:`connectors.jira.connector.JiraTracker`, against the sandbox.

The contract suite covers what every tracker does; this module covers what only Jira has: bulk
batching and request budgets, per-item bulk errors, Cloud's search endpoint and lag, workflow
transitions, priority and owner mapping on both flavours, and the doctor checks.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.base import AuthError, Created, Draft, DraftContext, Failed, Marker, TicketLink
from connectors.jira.connector import JiraTracker, _Transition, summary_text
from connectors.registry import build_tracker
from connectors.sandbox import FaultPlan, FaultRule, Sandbox
from syncer.errors import ConfigError
from syncer.model import Status
from tests.connectors.conftest import sandbox_settings
from tests.sandbox.conftest import jira_client

CONTEXT = DraftContext(Path("postmortems/2025-03-14-search.md"), 12, "Action items",
                       "INC 2041", "Search latency")


def draft(n: int, **values: Any) -> Draft:
    fields: dict[str, Any] = {"title": f"Add alerting for queue depth {n}", "due": date(2025, 4, 1),
                              "priority": "P1"}
    fields.update(values)
    return Draft(Marker("INC-2041", f"id:{n}"), context=CONTEXT, **fields)


def jira(sandbox: Sandbox, **overrides: Any) -> JiraTracker:
    tracker = build_tracker("jira", sandbox_settings(sandbox, "jira", **overrides))
    assert isinstance(tracker, JiraTracker)
    return tracker


def requests_to(sandbox: Sandbox, route_end: str, method: str | None = None) -> int:
    return sum(n for (m, route), n in sandbox.admin.request_counts().items()
               if route.endswith(route_end) and method in (None, m))


@pytest.fixture(params=["cloud", "server"])
def flavour_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(flavour=request.param) as sandbox:
        yield sandbox


@pytest.fixture
def cloud() -> Iterator[Sandbox]:
    with Sandbox(flavour="cloud") as sandbox:
        yield sandbox


@pytest.fixture
def server() -> Iterator[Sandbox]:
    with Sandbox(flavour="server") as sandbox:
        yield sandbox


# --- request budgets ---------------------------------------------------------------------


def test_reading_a_thousand_tickets_costs_at_most_twelve_requests(flavour_sandbox: Sandbox) -> None:
    keys = flavour_sandbox.admin.seed_jira_issues(1000, labels=["pmsync"])
    flavour_sandbox.admin.set_jira_status(keys[7], "Done")
    flavour_sandbox.admin.set_jira_status(keys[8], "Won't Do")
    tracker = jira(flavour_sandbox)
    links = [tracker.link(k) for k in keys]
    flavour_sandbox.admin.clear_request_log()
    states = tracker.read(links)
    assert len(states) == 1000 and not any(isinstance(s, Failed) for s in states.values())
    assert states[keys[7]].status is Status.DONE  # type: ignore[union-attr]
    assert states[keys[8]].status is Status.WONT_DO  # type: ignore[union-attr]
    counts = flavour_sandbox.admin.request_counts()
    assert sum(counts.values()) <= 12, counts
    search = "/search/jql" if flavour_sandbox.options.flavour == "cloud" else "/search"
    assert requests_to(flavour_sandbox, search) == 10


def test_creating_two_hundred_items_costs_four_create_requests(flavour_sandbox: Sandbox) -> None:
    tracker = jira(flavour_sandbox)
    outcomes = tracker.create([draft(n) for n in range(200)])
    assert all(isinstance(o, Created) and not o.recovered for o in outcomes)
    assert requests_to(flavour_sandbox, "/issue/bulk", "POST") == 4
    assert requests_to(flavour_sandbox, "/issue", "POST") == 0  # no single creates
    assert len(flavour_sandbox.admin.jira_issues()) == 200
    stamps = {o.state.stamp.marker for o in outcomes if isinstance(o, Created) and o.state.stamp}
    assert stamps == {draft(n).marker for n in range(200)}


def test_cloud_never_calls_the_removed_search(cloud: Sandbox) -> None:
    tracker = jira(cloud)
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    tracker.find([draft(1).marker])
    tracker.update(outcome.state, draft(1, title="Renamed"), ["title"])
    tracker.set_status(outcome.state, Status.DONE)
    tracker.read([outcome.state.link, TicketLink("jira", "OPS-404", "x")])
    routes = {route for _, route in cloud.admin.request_counts()}
    assert "/rest/api/3/search/jql" in routes
    assert not {r for r in routes if r.endswith(("/api/2/search", "/api/3/search"))}
    assert all(r["status"] != 410 for r in cloud.admin.request_log())


# --- bulk errors and idempotency ---------------------------------------------------------


def test_required_custom_field_fails_each_item_with_jiras_message(flavour_sandbox: Sandbox) -> None:
    flavour_sandbox.admin.require_jira_field("customfield_10050", "Root cause category")
    outcomes = jira(flavour_sandbox).create([draft(1), draft(2)])
    assert [type(o) for o in outcomes] == [Failed, Failed]
    assert all("Root cause category is required." in o.message for o in outcomes)  # type: ignore[union-attr]
    assert [o.marker for o in outcomes] == [draft(1).marker, draft(2).marker]
    assert flavour_sandbox.admin.jira_issues() == []


def test_one_failing_bulk_item_does_not_stop_the_others(cloud: Sandbox) -> None:
    # An owner mapped to an accountId Jira does not know: Jira refuses that one element.
    tracker = jira(cloud, owners={"Ghost": {"jira": "5b10a2844c20165700ede21g"}})
    outcomes = tracker.create([draft(1), draft(2, owner="Ghost"), draft(3)])
    assert [type(o) for o in outcomes] == [Created, Failed, Created]
    assert "assignee" in outcomes[1].message  # type: ignore[union-attr]
    assert len(cloud.admin.jira_issues()) == 2


def test_lost_bulk_answer_with_lagging_search_is_recovered_without_duplicates(
    cloud: Sandbox,
) -> None:
    cloud.admin.configure(jira_search_lag=5)
    cloud.admin.set_faults(FaultPlan(rules=(
        FaultRule("lost_response", route="*/issue/bulk", nth=(1,)),)))
    tracker = jira(cloud)
    waited: list[float] = []

    def sleep(seconds: float) -> None:  # the sandbox's time passes instead of ours
        waited.append(seconds)
        cloud.admin.advance_clock(seconds)

    tracker.sleep = sleep
    outcomes = tracker.create([draft(n) for n in range(60)])
    assert all(isinstance(o, Created) for o in outcomes)
    assert len(cloud.admin.jira_issues()) == 60
    assert requests_to(cloud, "/issue/bulk", "POST") == 2  # the lost batch was not sent again
    assert 5 <= sum(waited) <= 10


def test_unanswered_create_is_sent_again_only_after_the_bounded_wait(cloud: Sandbox) -> None:
    cloud.admin.set_faults(FaultPlan(rules=(FaultRule("503", route="*/issue/bulk", nth=(1,),
                                                      retry_after=None),)))
    tracker = jira(cloud, jira={"search_lag_wait": 3})
    waited: list[float] = []
    tracker.sleep = waited.append
    outcomes = tracker.create([draft(n) for n in range(3)])
    assert all(isinstance(o, Created) for o in outcomes)
    assert len(cloud.admin.jira_issues()) == 3
    assert requests_to(cloud, "/issue/bulk", "POST") == 2
    assert sum(waited) == pytest.approx(3, abs=0.6)


def test_server_search_is_consistent_so_recovery_does_not_wait(server: Sandbox) -> None:
    server.admin.set_faults(FaultPlan(rules=(FaultRule("lost_response", route="*/issue/bulk",
                                                       nth=(1,)),)))
    tracker = jira(server)
    tracker.sleep = lambda seconds: pytest.fail("Server/DC search needs no waiting")
    outcomes = tracker.create([draft(n) for n in range(5)])
    assert all(isinstance(o, Created) for o in outcomes)
    assert len(server.admin.jira_issues()) == 5


def test_read_reports_a_deleted_key_and_reads_the_rest(flavour_sandbox: Sandbox) -> None:
    keys = flavour_sandbox.admin.seed_jira_issues(3)
    tracker = jira(flavour_sandbox)
    links = [tracker.link(k) for k in [*keys, "OPS-999", "NOPE-1"]]
    flavour_sandbox.admin.clear_request_log()
    states = tracker.read(links)
    assert [k for k, s in states.items() if isinstance(s, Failed)] == ["OPS-999", "NOPE-1"]
    failed = states["OPS-999"]
    assert isinstance(failed, Failed) and failed.link == links[3]
    assert sum(flavour_sandbox.admin.request_counts().values()) <= 5


# --- fields ------------------------------------------------------------------------------


def test_ticket_content_labels_description_components_and_epic(flavour_sandbox: Sandbox) -> None:
    client = jira_client(flavour_sandbox)
    epic = client.create_issue(fields={"project": {"key": "OPS"}, "summary": "Reliability",
                                       "issuetype": {"name": "Epic"}})
    tracker = jira(flavour_sandbox, jira={"labels": ["postmortem"], "components": ["Backend"],
                                          "epic": epic.key})
    title = "Add **alerting** for `queue_depth` ([runbook](https://x.example/rb))"
    [outcome] = tracker.create([draft(1, title=title, owner="@nobody")])
    assert isinstance(outcome, Created)
    issue = client.issue(outcome.state.link.key)
    assert issue.fields.summary == "Add alerting for queue_depth (runbook)"
    assert issue.fields.labels == ["pmsync", draft(1).marker.label, draft(1).marker.document_label,
                                   "postmortem", "INC-2041"]
    assert [c.name for c in issue.fields.components] == ["Backend"]
    epic_field = "parent" if flavour_sandbox.options.flavour == "cloud" else "customfield_10014"
    linked = issue.raw["fields"][epic_field]
    assert (linked["key"] if isinstance(linked, dict) else linked) == epic.key
    description = issue.fields.description
    url = "https://git.example.com/org/postmortems/blob/main/postmortems/2025-03-14-search.md#L12"
    assert f"[postmortems/2025-03-14-search.md|{url}], line 12" in description
    assert "INC 2041 – Search latency" in description and "Section: Action items" in description
    assert "Owner in the document: @nobody" in description
    assert issue.fields.duedate == "2025-04-01"


def test_summary_keeps_identifiers_and_fits_jira() -> None:
    assert summary_text("- [ ] Fix *flaky* __retry__ in snake_case_name") == \
        "Fix flaky retry in snake_case_name"
    assert summary_text("~~old~~ <b>new</b>\nline") == "old new line"
    assert len(summary_text("x" * 400)) == 255


@pytest.mark.parametrize("hostile", ["[" * 1_000_000, "[a" * 500_000, "[](" * 300_000,
                                     "**a " * 250_000, "<a" * 500_000, "_a " * 300_000])
def test_summary_of_a_hostile_megabyte_title_is_quick(hostile: str) -> None:
    # The Markdown patterns are quadratic on such text: a push of one such item took minutes.
    started = time.perf_counter()
    summary = summary_text(hostile)
    assert time.perf_counter() - started < 2.0
    assert 0 < len(summary) <= 255


def test_summary_reads_links_and_marks_of_a_long_title() -> None:
    title = f"Fix [the parser](https://example.com/{'p' * 1500}) and **{'x' * 300}**"
    assert summary_text(title) == f"Fix the parser and {'x' * 300}"[:254] + "…"


def test_update_writes_only_the_named_fields(flavour_sandbox: Sandbox) -> None:
    tracker = jira(flavour_sandbox)
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    key = outcome.state.link.key
    client = jira_client(flavour_sandbox)
    client.issue(key).update(fields={"duedate": "2026-01-01"})  # a person moves the due date
    tracker.update(outcome.state, draft(1, title="New title", due=date(2025, 9, 9)), ["title"])
    reread = tracker.read([outcome.state.link])[key]
    assert not isinstance(reread, Failed)
    assert reread.fields.title == "New title" and reread.fields.due == date(2026, 1, 1)
    assert reread.stamp is not None and reread.stamp.synced is not None
    assert reread.stamp.synced.title == "New title"
    assert reread.stamp.synced.due == date(2025, 4, 1)  # the snapshot keeps what pmsync pushed


def test_priority_map_on_both_flavours(cloud: Sandbox, server: Sandbox) -> None:
    on_cloud, on_server = jira(cloud), jira(server)
    assert on_cloud.desired(draft(1, priority="p1"))[0].priority == "High"
    assert on_cloud.desired(draft(1, priority="CRITICAL"))[0].priority == "Highest"
    # Server's scheme is Blocker…Trivial: the shipped map is translated by rank.
    assert on_server.desired(draft(1, priority="P1"))[0].priority == "Critical"
    assert on_server.desired(draft(1, priority="Major"))[0].priority == "Major"
    fields, notices = on_cloud.desired(draft(1, priority="whenever"))
    assert fields.priority is None and "whenever" in notices[0].message
    custom = jira(server, jira={"priority_map": {"P1": "High"}})
    fields, notices = custom.desired(draft(1, priority="P1"))
    assert fields.priority is None and "'High'" in notices[0].message
    [made] = custom.create([draft(1, priority="Trivial")])
    assert isinstance(made, Created) and made.state.fields.priority == "Trivial"


def test_owners_resolve_to_account_ids_on_cloud(cloud: Sandbox) -> None:
    bob = cloud.admin.seed_jira_user("Robert Tables", "bobby@example.com", name="bobby")
    tracker = jira(cloud, owners={"Jane Doe": {"jira": "5b10a2844c20165700ede21g"},
                                  "Rob": {"jira": "bobby@example.com"}})
    alice = tracker.desired(draft(1, owner="@alice"))[0].assignee
    assert alice is not None and alice.startswith("712020:")
    assert tracker.desired(draft(1, owner="alice@example.com"))[0].assignee == alice
    assert tracker.desired(draft(1, owner="Robert Tables"))[0].assignee == bob["accountId"]
    assert tracker.desired(draft(1, owner="rob"))[0].assignee == bob["accountId"]
    assert tracker.desired(draft(1, owner="Jane Doe"))[0].assignee == "5b10a2844c20165700ede21g"
    cloud.admin.clear_request_log()
    assert tracker.desired(draft(2, owner="@alice"))[0].assignee == alice
    assert cloud.admin.request_counts() == {}  # looked up once
    [made] = tracker.create([draft(1, owner="@alice")])
    assert isinstance(made, Created) and made.state.fields.assignee == alice


def test_owners_resolve_to_user_names_on_server(server: Sandbox) -> None:
    tracker = jira(server, owners={"Alice Example": {"jira": "alice"}})
    assert tracker.desired(draft(1, owner="Alice Example"))[0].assignee == "alice"
    assert tracker.desired(draft(1, owner="@bob"))[0].assignee == "bob"
    assert tracker.desired(draft(1, owner="bob@example.com, @alice"))[0].assignee == "bob"
    fields, notices = tracker.desired(draft(1, owner="@carol"))
    assert fields.assignee is None and "carol" in notices[0].message
    [made] = tracker.create([draft(1, owner="@bob")])
    assert isinstance(made, Created) and made.state.fields.assignee == "bob"


# --- workflow ----------------------------------------------------------------------------


def test_transitions_are_chosen_by_target_category(flavour_sandbox: Sandbox) -> None:
    tracker = jira(flavour_sandbox)
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    wont = tracker.set_status(outcome.state, Status.WONT_DO)
    assert (wont.status, wont.raw_status, wont.reason) == (Status.WONT_DO, "Won't Do", "Won't Do")
    assert wont.resolved is not None
    # From a closed status to in progress takes two moves: reopen, then start.
    moving = tracker.set_status(wont, Status.IN_PROGRESS)
    assert (moving.status, moving.reason, moving.resolved) == (Status.IN_PROGRESS, None, None)
    done = tracker.set_status(moving, Status.DONE)
    assert (done.status, done.raw_status, done.reason) == (Status.DONE, "Done", "Done")
    assert tracker.set_status(done, Status.DONE) == done  # nothing to do
    assert requests_to(flavour_sandbox, "/transitions", "POST") == 4


def test_no_fitting_transition_is_named_not_guessed() -> None:
    only = [_Transition("11", "Stop Progress", "To Do", "new", False),
            _Transition("31", "Close", "Done", "done", False)]
    assert JiraTracker._pick_transition(only, Status.WONT_DO) is None
    assert JiraTracker._pick_transition(only, Status.DONE) == only[1]
    with_screen = [*only, _Transition("32", "Resolve", "Resolved", "done", True)]
    assert JiraTracker._pick_transition(with_screen, Status.WONT_DO) == with_screen[2]


# --- errors, secrets and doctor ----------------------------------------------------------


def test_wrong_token_names_both_variables_on_cloud(cloud: Sandbox) -> None:
    tracker = jira(cloud, jira={"token": "wrong-token-123"})
    with pytest.raises(AuthError) as raised:
        tracker.find([draft(1).marker])
    assert "PMSYNC_JIRA__TOKEN" in str(raised.value) and "PMSYNC_JIRA__EMAIL" in str(raised.value)


def test_unknown_project_names_the_project_variable(flavour_sandbox: Sandbox) -> None:
    from connectors.base import AccessError

    with pytest.raises(AccessError) as raised:
        jira(flavour_sandbox, jira={"project": "NOPE"}).create([draft(1)])
    assert "PMSYNC_JIRA__PROJECT" in str(raised.value)


def test_missing_configuration_is_named_before_any_request() -> None:
    tracker = JiraTracker.from_settings(sandbox_settings_without_jira())
    with pytest.raises(ConfigError) as raised:
        tracker.read([TicketLink("jira", "OPS-1", "x")])
    assert "PMSYNC_JIRA__URL" in str(raised.value) and "PMSYNC_JIRA__TOKEN" in str(raised.value)
    [finding] = tracker.doctor()
    assert not finding.ok and finding.fix and "PMSYNC_JIRA__PROJECT" in finding.fix


def sandbox_settings_without_jira() -> Any:
    from config.settings import load_settings

    return load_settings(None, tracker="jira")


def test_token_never_reaches_output_or_logs(flavour_sandbox: Sandbox,
                                            caplog: pytest.LogCaptureFixture) -> None:
    import structlog

    from syncer.logs import configure_logging

    stream = io.StringIO()
    configure_logging("json", verbosity=2)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=stream))
    caplog.set_level(logging.DEBUG)
    token = flavour_sandbox.jira_token
    flavour_sandbox.admin.set_faults(FaultPlan(rules=(
        FaultRule("500", nth=(2, 4)), FaultRule("lost_response", method="POST", nth=(1,)))))
    tracker = jira(flavour_sandbox, jira={"search_lag_wait": 0})
    outcomes = tracker.create([draft(n) for n in range(5)])
    messages = [str(o) for o in outcomes]
    with pytest.raises(AuthError) as raised:
        jira(flavour_sandbox, jira={"token": token + "-revoked"}).create([draft(9)])
    messages += [str(raised.value), tracker.describe(), repr(tracker.doctor())]
    everything = "\n".join([*messages, stream.getvalue(), caplog.text])
    assert "retrying" in stream.getvalue()  # the logs did run
    assert token not in everything
    configure_logging("console")


def test_priorities_and_resolutions_come_from_cloud_search_or_server_lists(
    flavour_sandbox: Sandbox,
) -> None:
    flavour_sandbox.admin.clear_request_log()
    tracker = jira(flavour_sandbox)
    assert tracker.instance_priorities()[:2] == (
        ["Highest", "High"] if flavour_sandbox.options.flavour == "cloud" else ["Blocker", "Critical"])
    assert any(f.check == "transitions to won't do" and f.ok for f in tracker.doctor())
    if flavour_sandbox.options.flavour == "cloud":  # the deprecated lists are never read
        assert requests_to(flavour_sandbox, "/priority/search") == 1
        assert requests_to(flavour_sandbox, "/resolution/search") >= 1
        assert not requests_to(flavour_sandbox, "/priority") and not requests_to(
            flavour_sandbox, "/resolution")
    else:  # Server/Data Center has no search: pmsync reads the lists
        assert requests_to(flavour_sandbox, "/priority") == 1
        assert requests_to(flavour_sandbox, "/resolution") >= 1


def test_the_cloud_sandbox_pages_catalogues_and_keeps_project_search_apart(cloud: Sandbox) -> None:
    session = jira_client(cloud)._session
    root = f"{cloud.jira_url}/rest/api/3"
    first = session.get(f"{root}/priority/search", params={"maxResults": 3}).json()
    assert [p["name"] for p in first["values"]] == ["Highest", "High", "Medium"]
    assert first["isLast"] is False and first["total"] == 5 and "startAt=3" in first["nextPage"]
    last = session.get(first["nextPage"]).json()
    assert last["isLast"] is True and [p["name"] for p in last["values"]] == ["Low", "Lowest"]
    projects = session.get(f"{root}/project/search").json()
    assert [p["key"] for p in projects["values"]] == [cloud.jira_project]
    assert session.get(f"{root}/project/{cloud.jira_project}").json()["key"] == cloud.jira_project
