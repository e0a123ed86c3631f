"""The contract every tracker connector keeps, run against each flavour on the sandbox.

Same cases for Jira Cloud, Jira Server/DC, GitHub.com and GHES; connector-specific behaviour
(bulk create, transitions, GraphQL batching…) is tested in the connector's own test module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import requests

from connectors.base import (
    AccessError,
    AuthError,
    Created,
    Draft,
    DraftContext,
    Failed,
    Marker,
    TicketLink,
    Tracker,
    duplicate_comment,
)
from connectors.registry import build_tracker
from connectors.sandbox import FaultPlan, FaultRule, Sandbox
from connectors.sandbox.seed import (
    GITHUB_APP_READ_TOKEN,
    GITHUB_APP_TOKEN,
    GITHUB_READ_TOKEN,
    GITHUB_TRIAGE_TOKEN,
)
from syncer.errors import exit_code_for
from syncer.model import Status
from syncer.parse.values import parse_ticket
from tests.connectors.conftest import TrackerCase, sandbox_settings

CONTEXT = DraftContext(Path("postmortems/2025-03-14-search.md"), 12, "Action items",
                       "INC-2041", "Search latency", "https://git.example.com/x.md")


def draft(n: int, **values: object) -> Draft:
    """A draft for item ``n`` of one document."""
    fields: dict[str, object] = {"title": f"Add alerting for queue depth {n}", "due": date(2025, 4, 1),
                                 "priority": "P1"}
    fields.update(values)
    return Draft(Marker("INC-2041", f"id:{n}"), context=CONTEXT, **fields)  # type: ignore[arg-type]


def created(outcomes: list[object]) -> list[Created]:
    assert all(isinstance(o, Created) for o in outcomes), outcomes
    return outcomes  # type: ignore[return-value]


def test_tracker_satisfies_protocol(tracker_case: TrackerCase) -> None:
    assert isinstance(tracker_case.tracker, Tracker)
    assert tracker_case.tracker.name == tracker_case.name
    assert tracker_case.sandbox.github_token not in tracker_case.tracker.describe()
    assert tracker_case.sandbox.jira_token not in tracker_case.tracker.describe()


def test_create_sets_fields_and_marker(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    wanted = draft(1)
    [outcome] = created(tracker.create([wanted]))
    state = outcome.state
    assert outcome.marker == wanted.marker and not outcome.recovered
    assert state.fields.title == wanted.title
    assert state.fields.due == date(2025, 4, 1)
    assert state.fields == tracker.desired(wanted)[0]
    assert state.status is Status.OPEN
    assert state.stamp is not None and state.stamp.marker == wanted.marker
    assert state.link.url.startswith("http://127.0.0.1")
    assert len(tracker_case.tickets()) == 1
    ticket = tracker_case.tickets()[0]
    assert "pmsync" in ticket["labels"]
    found = tracker.find([wanted.marker, Marker("INC-2041", "id:missing")])
    assert list(found) == [wanted.marker]
    assert found[wanted.marker].link == state.link


def test_create_never_duplicates_a_marker(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    first = created(tracker.create([draft(1)]))[0]
    again = created(tracker_case.build().create([draft(1), draft(2)]))
    assert again[0].recovered and again[0].state.link == first.state.link
    assert not again[1].recovered
    assert len(tracker_case.tickets()) == 2


def test_find_all_lists_every_ticket_of_a_marker_and_a_duplicate_closes(
        tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    marker = draft(1).marker
    first = created(tracker.create([draft(1)]))[0].state
    [ticket] = tracker_case.tickets()
    if tracker_case.name == "jira":  # another run's issue: the same marker label
        tracker_case.sandbox.admin.seed_jira_issues(1, labels=ticket["labels"])
    else:  # the same stamp in the body
        tracker_case.sandbox.admin.seed_github_issues(1, labels=["pmsync"], body=ticket["body"])
    for reader in (tracker, tracker_case.build()):
        found = reader.find_all([marker, draft(2).marker])
        assert list(found) == [marker] and len(found[marker]) == 2
        assert found[marker][0].link == first.link  # the oldest first
        assert reader.find([marker])[marker].link == first.link
    closed = tracker.close_duplicate(found[marker][1], first)
    assert closed.status in (Status.DONE, Status.WONT_DO)
    second = next(t for t in tracker_case.tickets() if t != ticket and t.get("comments"))
    assert second["comments"] == [duplicate_comment(first.link)]
    assert first.link.key in second["comments"][0] and first.link.url in second["comments"][0]
    if tracker_case.name == "github":
        assert second["state_reason"] == "duplicate"
    assert tracker.read([first.link])[first.link.key].status is Status.OPEN  # type: ignore[union-attr]


def test_read_many_in_few_requests(tracker_case: TrackerCase) -> None:
    # 130 creates would wait out GitHub's secondary limit; pacing is tested on its own.
    tracker_case.sandbox.admin.configure(secondary_limit=None)
    tracker = tracker_case.build(github={"creates_per_minute": 100_000, "creates_per_hour": 100_000})
    outcomes = created(tracker.create([draft(n) for n in range(130)]))
    links = [o.state.link for o in outcomes]
    tracker_case.sandbox.admin.clear_request_log()
    states = tracker_case.build().read(links)
    assert set(states) == {link.key for link in links}
    assert all(not isinstance(s, Failed) and s.status is Status.OPEN for s in states.values())
    assert sum(tracker_case.sandbox.admin.request_counts().values()) <= 5


def test_read_reports_missing_ticket_per_item(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    [outcome] = created(tracker.create([draft(1)]))
    link = outcome.state.link
    bogus = type(link)(link.tracker, link.key[:-1] + "999", link.url[:-1] + "999")
    states = tracker.read([link, bogus])
    assert not isinstance(states[link.key], Failed)
    assert isinstance(states[bogus.key], Failed)


def test_update_writes_only_named_fields(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    [outcome] = created(tracker.create([draft(1)]))
    changed = draft(1, title="Alert on queue depth above 10k", due=date(2025, 5, 2))
    state = tracker.update(outcome.state, changed, ["title"])
    assert state.fields.title == "Alert on queue depth above 10k"
    assert state.fields.due == date(2025, 4, 1)  # not asked for
    assert state.stamp is not None and state.stamp.synced is not None
    assert state.stamp.synced.title == "Alert on queue depth above 10k"
    reread = tracker.read([state.link])[state.link.key]
    assert not isinstance(reread, Failed)
    assert reread.fields.title == "Alert on queue depth above 10k"


def test_update_moves_the_ticket_to_the_drafts_marker(tracker_case: TrackerCase) -> None:
    """A retitled item or a moved document: the ticket is found by its new marker and listed
    with its new document, never by the old ones."""
    tracker = tracker_case.tracker
    [outcome] = created(tracker.create([draft(1)]))
    moved = replace(draft(1), marker=Marker("postmortems/2025/search.md", "t:alerting"))
    state = tracker.update(outcome.state, moved, [])
    assert state.stamp is not None and state.stamp.marker == moved.marker
    fresh = tracker_case.build()
    assert list(fresh.find([moved.marker])) == [moved.marker]
    assert fresh.find([outcome.marker]) == {}
    listed = fresh.tickets_of(["INC-2041", "postmortems/2025/search.md"])
    assert [s.link.key for s in listed["postmortems/2025/search.md"]] == [state.link.key]
    assert listed["INC-2041"] == []


@pytest.mark.parametrize("status", [Status.DONE, Status.WONT_DO, Status.IN_PROGRESS, Status.OPEN])
def test_set_status_round_trips(tracker_case: TrackerCase, status: Status) -> None:
    tracker = tracker_case.tracker
    [outcome] = created(tracker.create([draft(1)]))
    if status is Status.OPEN:  # reopening a closed ticket
        outcome = Created(outcome.marker, tracker.set_status(outcome.state, Status.DONE))
    tracker.set_status(outcome.state, status)
    state = tracker.read([outcome.state.link])[outcome.state.link.key]
    assert not isinstance(state, Failed)
    # A status the tracker cannot express (GitHub has no "in progress") leaves the ticket open.
    assert state.status is (status if status in tracker.statuses else Status.OPEN)


def test_status_changed_by_a_person_is_read(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    outcomes = created(tracker.create([draft(1), draft(2)]))
    admin = tracker_case.sandbox.admin
    if tracker_case.name == "jira":
        admin.set_jira_status(outcomes[0].state.link.key, "Done")
        admin.set_jira_status(outcomes[1].state.link.key, "In Progress")
        expected = [Status.DONE, Status.IN_PROGRESS]
    else:
        numbers = [int(o.state.link.key.rsplit("#", 1)[1]) for o in outcomes]
        admin.set_github_state(numbers[0], "closed", state_reason="completed")
        admin.set_github_state(numbers[1], "closed", state_reason="not_planned")
        expected = [Status.DONE, Status.WONT_DO]
    states = tracker.read([o.state.link for o in outcomes])
    assert [states[o.state.link.key].status for o in outcomes] == expected  # type: ignore[union-attr]


def test_unknown_owner_degrades_to_unassigned(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    fields, notices = tracker.desired(draft(1, owner="@nobody-here"))
    assert fields.assignee is None
    assert notices and "nobody-here" in notices[0].message
    [outcome] = created(tracker.create([draft(1, owner="@nobody-here")]))
    assert outcome.state.fields.assignee is None


def test_owner_mapped_through_owners_setting(tracker_case: TrackerCase) -> None:
    owners = {"Alice Example": {"jira": "alice", "github": "alice"}}
    if tracker_case.flavour == "jira-cloud":
        owners["Alice Example"]["jira"] = "alice@example.com"
    tracker = tracker_case.build(owners=owners)
    fields, notices = tracker.desired(draft(1, owner="Alice Example"))
    assert fields.assignee is not None and not notices
    [outcome] = created(tracker.create([draft(1, owner="Alice Example")]))
    assert outcome.state.fields.assignee == fields.assignee


def foreign_comment(case: TrackerCase, link: TicketLink, text: str) -> None:
    """A comment a person writes through the API (no pmsync tag)."""
    sandbox = case.sandbox
    if case.name == "github":
        number = link.key.rsplit("#", 1)[1]
        response = requests.post(
            f"{sandbox.github_api_url}/repos/{sandbox.github_repo}/issues/{number}/comments",
            json={"body": text}, headers={"Authorization": f"token {sandbox.github_token}"},
            timeout=10)
    else:
        auth = (sandbox.jira_email, sandbox.jira_token) if case.flavour == "jira-cloud" else None
        headers = {} if auth else {"Authorization": f"Bearer {sandbox.jira_token}"}
        response = requests.post(f"{sandbox.jira_url}/rest/api/2/issue/{link.key}/comment",
                                 json={"body": text}, auth=auth, headers=headers, timeout=10)
    assert response.status_code == 201, response.text


def alice(case: TrackerCase) -> Tracker:
    """A connector that maps the owner Alice to her tracker identity."""
    jira = "alice@example.com" if case.flavour == "jira-cloud" else "alice"
    return case.build(owners={"Alice": {"jira": jira, "github": "alice"}})


def test_comments_are_listed_oldest_first_with_pmsyncs_hidden_tag(
        tracker_case: TrackerCase) -> None:
    tracker = alice(tracker_case)
    [outcome] = created(tracker.create([draft(1, owner="Alice")]))
    link, assignee = outcome.state.link, outcome.state.fields.assignee
    assert assignee is not None and tracker.comments(link) == []
    first = tracker.comment(link, "Due in 3 days.", tag="remind/2026-11-30", mention=assignee)
    foreign_comment(tracker_case, link, "On it.")
    tracker.comment(link, "Overdue.\n\nSecond paragraph.", tag="remind/2026-12-07")
    listed = tracker_case.build().comments(link)  # a fresh connector: nothing cached
    assert [c.tag for c in listed] == ["remind/2026-11-30", None, "remind/2026-12-07"]
    assert listed[0].id == first.id and first.tag == "remind/2026-11-30"
    assert "Due in 3 days." in listed[0].text and "On it." in listed[1].text
    assert listed[0].created is not None and listed[0].author == listed[2].author
    [ticket] = tracker_case.tickets()
    assert len(ticket["comments"]) == 3


def test_a_comment_mentions_the_assignee_as_the_tracker_notifies(
        tracker_case: TrackerCase) -> None:
    tracker = alice(tracker_case)
    [outcome] = created(tracker.create([draft(1, owner="Alice")]))
    assignee = outcome.state.fields.assignee
    tracker.comment(outcome.state.link, "Due in 3 days.", tag="remind/x", mention=assignee)
    [ticket] = tracker_case.tickets()
    [body] = ticket["comments"]
    if tracker_case.name == "github":  # a visible @login, the tag in a hidden HTML comment
        assert body.startswith("@alice Due in 3 days.")
        assert "<!-- pmsync-comment:remind/x -->" in body
    elif tracker_case.flavour == "jira-cloud":  # ADF (API v3) with a mention of the accountId
        first = body["content"][0]["content"][0]
        assert first == {"type": "mention", "attrs": {"id": assignee}}
        assert ticket["comment_properties"] == [{"pmsync": {"tag": "remind/x"}}]
    else:  # Server: wiki markup by user name
        assert body == "[~alice] Due in 3 days."
        assert ticket["comment_properties"] == [{"pmsync": {"tag": "remind/x"}}]
    assert "remind/x" in [c.tag for c in tracker.comments(outcome.state.link)]


def test_a_comment_whose_answer_is_lost_is_posted_once(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    [outcome] = created(tracker.create([draft(1)]))
    route = "*/comments" if tracker_case.name == "github" else "*/comment"
    tracker_case.sandbox.admin.set_faults(FaultPlan([FaultRule(
        "lost_response", method="POST", route=route, nth=(1,))]))
    posted = tracker.comment(outcome.state.link, "Overdue.", tag="remind/lost")
    assert posted.tag == "remind/lost"
    [ticket] = tracker_case.tickets()
    assert len(ticket["comments"]) == 1


def test_owns_recognises_its_references(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.tracker
    [outcome] = created(tracker.create([draft(1)]))
    ref = parse_ticket(outcome.state.link.markdown())
    assert ref is not None
    assert tracker.owns(ref) == outcome.state.link
    other = parse_ticket("ZZTOP-1" if tracker_case.name == "github" else "other/repo#5")
    assert other is not None and tracker.owns(other) is None


def test_wrong_token_names_the_variable(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.build(**{tracker_case.name: {"token": "not-the-token"}})
    with pytest.raises(AuthError) as raised:
        tracker.create([draft(1)])
    message = str(raised.value)
    assert tracker.token_variable in message
    assert "not-the-token" not in message


def test_doctor_passes_on_a_good_configuration(tracker_case: TrackerCase) -> None:
    findings = tracker_case.tracker.doctor()
    assert findings and all(f.ok for f in findings if f.severity == "error"), findings


def test_doctor_names_the_fix_for_a_bad_token(tracker_case: TrackerCase) -> None:
    tracker = tracker_case.build(**{tracker_case.name: {"token": "not-the-token"}})
    bad = [f for f in tracker.doctor() if not f.ok]
    assert bad and bad[0].fix and tracker.token_variable in bad[0].fix


def test_two_hundred_creates_survive_faults_without_duplicates(tracker_case: TrackerCase) -> None:
    plan = FaultPlan(rules=(
        FaultRule("lost_response", method="POST", probability=0.08),
        FaultRule("500", probability=0.04),
        FaultRule("503", probability=0.04, retry_after=0),
        FaultRule("429", probability=0.04, retry_after=0),
    ))
    # Pacing under GitHub's secondary limit is tested on its own; here it would only add minutes.
    tracker_case.sandbox.admin.configure(secondary_limit=None)
    tracker = tracker_case.build(github={"creates_per_minute": 100_000, "creates_per_hour": 100_000})
    tracker_case.sandbox.admin.set_faults(plan)
    outcomes = tracker.create([draft(n) for n in range(200)])
    tracker_case.sandbox.admin.set_faults(FaultPlan())
    assert all(isinstance(o, Created) for o in outcomes), [o for o in outcomes if isinstance(o, Failed)][:3]
    tickets = tracker_case.tickets()
    assert len(tickets) == 200
    assert len({o.state.link.key for o in outcomes}) == 200  # type: ignore[union-attr]


# --- GitHub tokens that may not write: one configuration error, nothing created ------------------

# token → what the one error must say: GitHub refuses an installation token without
# ``issues: write`` (403, X-Accepted-GitHub-Permissions); it shows people's roles in
# ``permissions``, so pmsync refuses read and triage users (whose labels GitHub would drop) itself.
REFUSED_TOKENS = {
    "installation-issues-read": (GITHUB_APP_READ_TOKEN, "'issues: write'"),
    "user-read": (GITHUB_READ_TOKEN, "no push access"),
    "user-triage": (GITHUB_TRIAGE_TOKEN, "no push access"),
}


@pytest.fixture
def github_case() -> Iterator[TrackerCase]:
    """GitHub.com on a fresh sandbox, for the token cases below."""
    with Sandbox() as sandbox:
        tracker = build_tracker("github", sandbox_settings(sandbox, "github"))
        try:
            yield TrackerCase("github-com", "github", sandbox, tracker)
        finally:
            tracker.close()


@pytest.mark.parametrize("token, says", REFUSED_TOKENS.values(), ids=list(REFUSED_TOKENS))
def test_a_token_that_may_not_write_gives_one_error_and_creates_nothing(
    github_case: TrackerCase, token: str, says: str
) -> None:
    tracker = github_case.build(github={"token": token})
    with pytest.raises(AccessError) as raised:
        tracker.create([draft(n) for n in range(5)])
    message = str(raised.value)
    assert says in message and "PMSYNC_GITHUB__TOKEN" in message and token not in message
    assert exit_code_for(raised.value) == 2
    assert github_case.tickets() == []
    # At most the one refused attempt: nothing more is tried after GitHub says no.
    assert github_case.write_requests() <= 1


def test_an_installation_token_without_issues_write_cannot_update_either(
    github_case: TrackerCase,
) -> None:
    [outcome] = created(github_case.tracker.create([draft(1)]))
    reader = github_case.build(github={"token": GITHUB_APP_READ_TOKEN})
    with pytest.raises(AccessError, match="'issues: write'"):
        reader.update(outcome.state, draft(1, title="Renamed"), ["title"])
    assert [t["title"] for t in github_case.tickets()] == [draft(1).title]


def test_a_dropped_label_stops_creating_after_the_first_issue(github_case: TrackerCase) -> None:
    # The bot loses push access between the access check (doctor) and the creates: GitHub then
    # creates the issue but silently drops its labels; pmsync notices on reading it back.
    tracker = github_case.tracker
    assert all(f.ok for f in tracker.doctor() if f.check == "push access")
    github_case.sandbox.admin.seed_github_user("pmsync-bot", permission="triage")
    seen: list[object] = []
    with pytest.raises(AccessError, match="dropped its 'pmsync' label") as raised:
        tracker.create([draft(n) for n in range(3)], lambda _, outcome: seen.append(outcome))
    [ticket] = github_case.tickets()
    assert ticket["labels"] == [] and f"#{ticket['number']}" in str(raised.value)
    assert [type(o) for o in seen] == [Created]  # its link is still reported, to be written


def test_doctor_names_the_token_kind_and_what_it_cannot_see(github_case: TrackerCase) -> None:
    findings = {f.check: f for f in github_case.build(
        github={"token": GITHUB_APP_TOKEN}).doctor()}
    assert all(f.ok for f in findings.values() if f.severity == "error"), findings
    assert "installation token" in findings["authentication"].detail
    assert "not shown" in findings["push access"].detail
    assert "'issues: write'" in findings["push access"].detail
