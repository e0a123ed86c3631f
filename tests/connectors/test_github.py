"""GitHub-specific behaviour of :class:`connectors.github.connector.GitHubTracker`, on the sandbox.

The contract suite covers what every tracker does; this covers pacing under the secondary limit,
GraphQL batching, recovery from lost responses, push access, pull requests in the listing and
the body's due line and stamp. Time-dependent cases move the sandbox's clock instead of sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from github import GithubException

from config.settings import Settings
from connectors import retry
from connectors.base import (
    AccessError,
    AuthError,
    Created,
    Draft,
    DraftContext,
    Failed,
    Marker,
    Stamp,
    TicketFields,
    TicketLink,
)
from connectors.clients import github_classify as classify
from connectors.github.body import (
    body_due,
    body_stamp,
    render_body,
    stamp_comment,
    with_due,
    with_stamp,
)
from connectors.github.connector import GitHubTracker, web_root
from connectors.pacing import Pacer, Window
from connectors.sandbox import FaultPlan, FaultRule, Sandbox, SecondaryLimit
from connectors.sandbox.seed import GITHUB_APP_READ_TOKEN, GITHUB_APP_TOKEN, GITHUB_READ_TOKEN
from syncer.cli.main import main
from syncer.errors import ConfigError
from syncer.logs import configure_logging
from syncer.model import Status, TicketRef
from tests.connectors.conftest import sandbox_settings

CONTEXT = DraftContext(Path("postmortems/2025-03-14-search.md"), 12, "Action items",
                       "INC-2041", "Search latency")


def draft(n: int, **values: Any) -> Draft:
    fields: dict[str, Any] = {"title": f"Add alerting for queue depth {n}",
                              "due": date(2025, 4, 1), "priority": "P1"}
    fields.update(values)
    return Draft(Marker("INC-2041", f"id:{n}"), context=CONTEXT, **fields)


class SandboxTime:
    """The sandbox's clock as the tracker's clock; sleeping moves it forward at once."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.sandbox.core.clock.now()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.sandbox.admin.advance_clock(seconds)


def tracker_for(sandbox: Sandbox, time: SandboxTime | None = None, **overrides: Any) -> GitHubTracker:
    settings: Settings = sandbox_settings(sandbox, "github", **overrides)
    if time is None:
        return GitHubTracker(settings)
    return GitHubTracker(settings, clock=time.now, sleep=time.sleep)


@pytest.fixture(params=["github.com", "ghes"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(github_layout=request.param, secondary_limit=None) as box:
        yield box


def statuses(sandbox: Sandbox) -> list[int | None]:
    return [r["status"] for r in sandbox.admin.request_log()]


def issues(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [i for i in sandbox.admin.github_issues() if not i.get("pull_request")]


# --- pacing ------------------------------------------------------------------------------


def test_pacer_never_exceeds_any_window() -> None:
    now = [1000.0]
    pacer = Pacer((Window(5, 60.0), Window(12, 3600.0)), clock=lambda: now[0],
                  sleep=lambda s: now.__setitem__(0, now[0] + s))
    events = []
    for _ in range(30):
        pacer.wait()
        now[0] += 0.3  # the request itself takes a moment
        pacer.record()
        events.append(now[0])
    for i, start in enumerate(events):
        assert sum(1 for t in events[i:] if t < start + 60) <= 5
        assert sum(1 for t in events[i:] if t < start + 3600) <= 12
    assert events[-1] - events[0] > 2 * 3600  # 30 events at 12 an hour span more than two hours


def test_pacing_under_a_scaled_down_secondary_limit_meets_no_403() -> None:
    limit = SecondaryLimit(creates=4, window=60, hourly_creates=10, hourly_window=600)
    with Sandbox(secondary_limit=limit) as sandbox:
        time = SandboxTime(sandbox)
        tracker = tracker_for(sandbox, time, github={"creates_per_minute": 4,
                                                     "creates_per_hour": 10})
        tracker.find([])  # the listing happens outside the measured span
        outcomes = tracker.create([draft(n) for n in range(23)])
        assert all(isinstance(o, Created) and not o.recovered for o in outcomes)
        assert 403 not in statuses(sandbox)
        assert len(issues(sandbox)) == 23
        assert sum(time.sleeps) >= 2 * 600 - 60  # 23 creates at 10 per 600 s need two waits


def test_secondary_limit_403_retry_after_is_honoured() -> None:
    with Sandbox(secondary_limit=SecondaryLimit(creates=3, window=60)) as sandbox:
        time = SandboxTime(sandbox)
        tracker = tracker_for(sandbox, time, github={"creates_per_minute": 1000,
                                                     "creates_per_hour": 1000})
        outcomes = tracker.create([draft(n) for n in range(5)])
        assert all(isinstance(o, Created) for o in outcomes)
        assert statuses(sandbox).count(403) == 1
        assert any(55 <= s <= 61 for s in time.sleeps)  # the retry-after GitHub sent
        assert len(issues(sandbox)) == 5


def test_a_secondary_limit_403_without_retry_after_waits_a_minute() -> None:
    body = {"message": "You have triggered an abuse detection mechanism. "
                       "Please wait a few minutes before you try again."}
    failure = classify(GithubException(403, body, {"x-ratelimit-remaining": "4000"}))
    assert failure is not None and retry.retryable(failure)
    assert retry.server_wait(failure, 0.0) == 60.0
    forbidden = classify(GithubException(403, {"message": "Must have push access"}, {}))
    assert forbidden is not None and not retry.retryable(forbidden)


# --- reading -------------------------------------------------------------------------------


def links(sandbox: Sandbox, numbers: list[int]) -> list[TicketLink]:
    return [TicketLink("github", f"{sandbox.github_repo}#{n}", f"http://x/{n}") for n in numbers]


def test_reads_batch_250_issues_per_graphql_query(sandbox: Sandbox) -> None:
    numbers = sandbox.admin.seed_github_issues(250, labels=["pmsync"])
    sandbox.admin.set_github_state(numbers[0], "closed", state_reason="duplicate")
    sandbox.admin.clear_request_log()
    states = tracker_for(sandbox).read(links(sandbox, [*numbers, 9998, 9999]))
    counts = sandbox.admin.request_counts()
    assert sum(counts.values()) == 2 and all("graphql" in route for _, route in counts)
    first = states[f"{sandbox.github_repo}#{numbers[0]}"]
    assert not isinstance(first, Failed)
    assert (first.status, first.raw_status, first.reason) == (Status.WONT_DO, "closed", "duplicate")
    assert first.resolved is not None
    found = [s for s in states.values() if not isinstance(s, Failed)]
    assert len(found) == 250 and all(s.status is Status.OPEN for s in found[1:])


def test_a_missing_issue_fails_alone_in_its_batch(sandbox: Sandbox) -> None:
    numbers = sandbox.admin.seed_github_issues(3)
    states = tracker_for(sandbox).read(links(sandbox, [numbers[0], 4242, numbers[2], 4343]))
    missing = states[f"{sandbox.github_repo}#4242"]
    assert isinstance(missing, Failed) and "4242" in missing.message
    assert isinstance(states[f"{sandbox.github_repo}#4343"], Failed)
    assert not isinstance(states[f"{sandbox.github_repo}#{numbers[2]}"], Failed)
    assert [r["route"] for r in sandbox.admin.request_log()] == [
        "/graphql" if sandbox.options.github_layout == "github.com" else "/api/graphql"]


def test_reading_one_thousand_tickets_costs_at_most_twelve_requests(sandbox: Sandbox) -> None:
    numbers = sandbox.admin.seed_github_issues(1000)
    sandbox.admin.clear_request_log()
    states = tracker_for(sandbox).read(links(sandbox, numbers))
    assert len(states) == 1000 and not any(isinstance(s, Failed) for s in states.values())
    requests = sum(sandbox.admin.request_counts().values())
    assert requests <= 12
    assert requests == 4  # one GraphQL query per 250 issues


def test_links_of_another_repository_are_refused_without_a_request(sandbox: Sandbox) -> None:
    other = TicketLink("github", "someone/else#3", "https://github.com/someone/else/issues/3")
    assert isinstance(tracker_for(sandbox).read([other])[other.key], Failed)
    assert sandbox.admin.request_log() == []


# --- creating ------------------------------------------------------------------------------


def test_a_lost_create_response_is_recovered_without_a_duplicate(sandbox: Sandbox) -> None:
    sandbox.admin.set_faults(FaultPlan((FaultRule("lost_response", method="POST",
                                                  route="*/issues", nth=(1,)),)))
    [outcome] = tracker_for(sandbox).create([draft(1)])
    assert isinstance(outcome, Created) and outcome.recovered
    assert len(issues(sandbox)) == 1
    methods = [r["method"] for r in sandbox.admin.request_log()]
    assert methods.count("POST") == 1  # found by the re-listing, never sent twice


def test_a_create_that_failed_with_500_is_looked_up_then_sent_again(sandbox: Sandbox) -> None:
    sandbox.admin.set_faults(FaultPlan((FaultRule("500", method="POST", route="*/issues",
                                                  nth=(1,)),)))
    [outcome] = tracker_for(sandbox).create([draft(1)])
    assert isinstance(outcome, Created) and not outcome.recovered
    log = [(r["method"], r["status"]) for r in sandbox.admin.request_log()]
    # lost → looked up → sent again → read back once (the first create of a run, for its label)
    assert log[-4:] == [("POST", 500), ("GET", 200), ("POST", 201), ("GET", 200)]
    assert len(issues(sandbox)) == 1


def test_an_assignee_refused_at_create_is_dropped_with_a_notice(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox)
    assert tracker.assignable("alice")  # checked (and cached) while alice could be assigned
    repo = sandbox.core.github_store.find_repo(*sandbox.github_repo.split("/"))
    assert repo is not None
    del repo.collaborators["alice"]
    [outcome] = tracker.create([draft(1, owner="@alice")])
    assert isinstance(outcome, Created) and outcome.state.fields.assignee is None
    assert outcome.notices and "alice" in outcome.notices[0].message
    assert len(issues(sandbox)) == 1


def test_a_validation_failure_is_reported_per_draft(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox)
    huge = draft(2)
    huge = Draft(huge.marker, huge.title, DraftContext(Path("x.md"), 1, "S" * 70000),
                 due=huge.due)
    outcomes = tracker.create([draft(1), huge, draft(3)])
    assert [type(o) for o in outcomes] == [Created, Failed, Created]
    assert "body is too long" in outcomes[1].message  # type: ignore[union-attr]


def test_the_body_carries_context_due_date_and_stamp(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox)
    [outcome] = tracker.create([draft(1, owner="@alice")])
    assert isinstance(outcome, Created)
    [ticket] = issues(sandbox)
    assert set(ticket["labels"]) == {"pmsync", "priority: P1"}
    assert ticket["assignees"] == ["alice"]
    number = int(outcome.state.link.key.rsplit("#", 1)[1])
    repo = sandbox.core.github_store.find_repo(*sandbox.github_repo.split("/"))
    assert repo is not None
    body = repo.issues[number].body or ""
    assert "postmortems/2025-03-14-search.md" in body and "line 12" in body
    assert "INC-2041 — Search latency" in body
    assert "https://git.example.com/org/postmortems/blob/main/postmortems/2025-03-14-search.md#L12" \
        in body
    assert "\nDue: 2025-04-01\n" in body
    stamp = body_stamp(body)
    assert stamp is not None and stamp.marker == draft(1).marker
    assert stamp.synced == outcome.state.fields


def test_a_milestone_is_set_by_title(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox, github={"milestone": "q3 Reliability"})
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    assert issues(sandbox)[0]["milestone"] == 1
    with pytest.raises(ConfigError, match="PMSYNC_GITHUB__MILESTONE"):
        tracker_for(sandbox, github={"milestone": "Q9 nothing"}).create([draft(2)])


# --- finding -------------------------------------------------------------------------------


def test_pull_requests_are_ignored_by_find(sandbox: Sandbox) -> None:
    marker = draft(1).marker
    sandbox.admin.seed_github_issues(3, labels=["pmsync"], pull_requests=True,
                                     body=stamp_comment(Stamp(marker)))
    sandbox.admin.clear_request_log()
    tracker = tracker_for(sandbox)
    assert tracker.find([marker]) == {}
    assert [r["method"] for r in sandbox.admin.request_log()] == ["GET"]  # no per-issue GETs
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created) and not outcome.recovered


def test_find_pages_through_the_whole_listing(sandbox: Sandbox) -> None:
    sandbox.admin.seed_github_issues(150, labels=["pmsync"],
                                     body=stamp_comment(Stamp(Marker("doc", "id:{n}"))))
    sandbox.admin.seed_github_issues(5, labels=["bug"])  # not pmsync's: not listed
    sandbox.admin.clear_request_log()
    wanted = [Marker("doc", f"id:{n}") for n in range(1, 151)]
    found = tracker_for(sandbox).find(wanted)
    assert sorted(found) == sorted(wanted)
    assert found[Marker("doc", "id:150")].link.key.endswith("#150")
    assert sum(sandbox.admin.request_counts().values()) == 2  # two pages of 100


def test_find_lists_once_then_only_what_changed(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox)
    created = tracker.create([draft(n) for n in range(3)])
    sandbox.admin.clear_request_log()
    other = tracker_for(sandbox)
    assert len(other.find([d.marker for d in (draft(0), draft(1), draft(2))])) == 3
    assert len(other.find([draft(0).marker])) == 1
    paths = [r["path"] for r in sandbox.admin.request_log()]
    assert len(paths) == 2
    assert isinstance(created[0], Created)


# --- updating ------------------------------------------------------------------------------


def test_update_touches_only_its_lines_and_labels(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox)
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    number = int(outcome.state.link.key.rsplit("#", 1)[1])
    repo = sandbox.core.github_store.find_repo(*sandbox.github_repo.split("/"))
    assert repo is not None
    issue = repo.issues[number]
    issue.body = (issue.body or "") + "\nA note a person added.\n"
    issue.labels.append("bug")
    fresh = tracker_for(sandbox)
    state = fresh.read([outcome.state.link])[outcome.state.link.key]
    assert not isinstance(state, Failed)
    changed = draft(1, due=date(2025, 6, 30), priority="P0")
    updated = fresh.update(state, changed, ["due", "priority"])
    assert updated.fields.due == date(2025, 6, 30)
    assert updated.fields.priority == "priority: P0"
    assert updated.fields.title == outcome.state.fields.title
    assert sorted(issue.labels) == ["bug", "pmsync", "priority: P0"]
    assert "A note a person added." in (issue.body or "")
    assert (issue.body or "").count("Due: ") == 1
    assert updated.stamp is not None and updated.stamp.synced is not None
    assert updated.stamp.synced.due == date(2025, 6, 30)
    patches = [r for r in sandbox.admin.request_log() if r["method"] == "PATCH"]
    assert len(patches) == 1


def test_set_status_closes_with_a_reason_and_reopens(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox)
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    closed = tracker.set_status(outcome.state, Status.WONT_DO)
    assert (closed.raw_status, closed.reason, closed.status) == ("closed", "not_planned",
                                                                 Status.WONT_DO)
    reopened = tracker.set_status(closed, Status.OPEN)
    assert reopened.status is Status.OPEN and reopened.resolved is None


# --- access and errors ----------------------------------------------------------------------


def test_a_read_only_token_is_detected_before_labels_are_dropped(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox, github={"token": GITHUB_READ_TOKEN})
    with pytest.raises(AccessError, match="push access"):
        tracker.create([draft(1)])
    assert issues(sandbox) == []
    findings = {f.check: f for f in tracker_for(sandbox, github={"token": GITHUB_READ_TOKEN})
                .doctor()}
    assert not findings["push access"].ok
    assert "PMSYNC_GITHUB__TOKEN" in (findings["push access"].fix or "")


def test_an_unknown_repository_names_its_variable(sandbox: Sandbox) -> None:
    tracker = tracker_for(sandbox, github={"repo": "nobody/nothing"})
    with pytest.raises(AccessError, match="PMSYNC_GITHUB__REPO or GITHUB_REPOSITORY"):
        tracker.find([draft(1).marker])
    bad = [f for f in tracker.doctor() if not f.ok]
    assert bad and "PMSYNC_GITHUB__REPO" in (bad[0].fix or "")


def test_missing_settings_are_a_doctor_finding_not_a_crash(sandbox: Sandbox) -> None:
    tracker = GitHubTracker(Settings(github={"api_url": sandbox.github_api_url}))
    [finding] = tracker.doctor()
    assert not finding.ok and "GITHUB_TOKEN" in (finding.fix or "")
    assert "GITHUB_REPOSITORY" in (finding.fix or "")
    with pytest.raises(ConfigError):
        tracker.find([])


def test_doctor_warns_about_missing_labels_which_github_creates_on_use(sandbox: Sandbox) -> None:
    owners = {"Alice": {"github": "alice"}, "Ghost": {"github": "ghost"}}
    tracker = tracker_for(sandbox, owners=owners)
    before = {f.check: f for f in tracker.doctor()}
    assert before["labels"].severity == "warning" and "priority: P1" in before["labels"].detail
    assert before["owner Alice"].ok and not before["owner Ghost"].ok
    tracker.create([draft(1)])
    after = {f.check: f for f in tracker_for(sandbox).doctor()}
    assert "priority: P1" not in after["labels"].detail  # created with the first issue
    assert "priority: P2" in after["labels"].detail


def test_the_token_never_reaches_output_or_logs(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("json", verbosity=2)
    caplog.set_level(logging.DEBUG)
    wrong = "ghp_wrongtoken0123456789"
    sandbox.admin.set_faults(FaultPlan((FaultRule("503", nth=(2,), retry_after=0),)))
    tracker = tracker_for(sandbox)
    [outcome] = tracker.create([draft(1)])
    assert isinstance(outcome, Created)
    tracker.read([outcome.state.link])
    with pytest.raises(AuthError) as raised:
        tracker_for(sandbox, github={"token": wrong}).create([draft(2)])
    findings = tracker_for(sandbox, github={"token": wrong}).doctor()
    captured = capsys.readouterr()
    text = "\n".join([captured.out, captured.err, caplog.text, str(raised.value),
                      *(f"{f.detail} {f.fix}" for f in findings), tracker.describe()])
    assert "retrying" in text  # the logs were really captured
    for token in (sandbox.github_token, wrong):
        assert token not in text


# --- pure parts ------------------------------------------------------------------------------


def test_web_root_for_github_com_and_ghes() -> None:
    assert web_root("https://api.github.com") == "https://github.com"
    assert web_root("https://ghe.example.com/api/v3/") == "https://ghe.example.com"
    assert web_root("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


def test_owns_only_references_to_its_repository_on_its_host() -> None:
    tracker = GitHubTracker(Settings(github={"repo": "acme/pm", "token": "t0ken",
                                             "api_url": "https://ghe.example.com/api/v3"}))
    assert tracker.owns(TicketRef("github", "#4")) == TicketLink(
        "github", "acme/pm#4", "https://ghe.example.com/acme/pm/issues/4")
    assert tracker.owns(TicketRef("github", "#4", repo="ACME/pm")) is not None
    assert tracker.owns(TicketRef("github", "#4", repo="other/pm")) is None
    assert tracker.owns(TicketRef("github", "#4", "https://github.com/acme/pm/issues/4",
                                  "acme/pm")) is None
    assert tracker.owns(TicketRef("jira", "OPS-4")) is None


def test_body_round_trips_due_and_stamp_and_edits_only_its_lines() -> None:
    fields = TicketFields("Stop --> breaking comments", "alice", date(2025, 4, 1), "priority: P1")
    stamp = Stamp(Marker("doc", "id:1"), fields)
    body = render_body(CONTEXT, date(2025, 4, 1), stamp, None)
    assert body.count("\n<!-- pmsync:") == 1 and "-->" not in body.split("pmsync:")[1][:-5]
    assert body_stamp(body) == stamp and body_due(body) == date(2025, 4, 1)
    edited = "Someone's intro.\n\n" + body + "\nTrailing note.\n"
    moved = with_due(edited, date(2025, 5, 2))
    assert body_due(moved) == date(2025, 5, 2)
    assert moved.replace("2025-05-02", "2025-04-01") == edited
    removed = with_due(moved, None)
    assert body_due(removed) is None and "Trailing note." in removed
    assert body_due(with_due(removed, date(2025, 7, 7))) == date(2025, 7, 7)
    restamped = with_stamp(edited, Stamp(stamp.marker))
    assert body_stamp(restamped) == Stamp(stamp.marker)
    assert restamped.startswith("Someone's intro.") and restamped.endswith("Trailing note.\n")
    assert body_stamp(with_stamp("", stamp)) == stamp


# --- Actions and GitHub App tokens, end to end ---------------------------------------------------

ACTION_ITEMS = """# Postmortem: cache stampede

## Action items

| Action | Owner | Due | Status | Ticket |
|---|---|---|---|---|
| Add request coalescing to the cache client | @alice | 2025-04-01 | Open | |
| Alert on cache hit ratio below 80% | @alice | 2025-04-08 | Open | |
| Write the cache runbook | @alice | 2025-04-15 | In progress | |
"""


def push_as(sandbox: Sandbox, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    doc = tmp_path / "2025-03-14-cache.md"
    doc.write_text(ACTION_ITEMS, encoding="utf-8")
    for key, value in {**sandbox.env(), "PMSYNC_GITHUB__TOKEN": token}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PMSYNC_TRACKER", "github")
    monkeypatch.chdir(tmp_path)
    return doc


def test_push_with_an_installation_token_creates_and_links_every_item(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = push_as(sandbox, GITHUB_APP_TOKEN, tmp_path, monkeypatch)
    assert main(["push", str(doc)]) == 0
    made = issues(sandbox)
    assert len(made) == 3 and all("pmsync" in i["labels"] for i in made)
    assert doc.read_text(encoding="utf-8").count("/pmsync-sandbox/postmortems/issues/") == 3
    assert main(["push", str(doc)]) == 0
    assert len(issues(sandbox)) == 3


def test_push_without_issues_write_is_one_configuration_error(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    doc = push_as(sandbox, GITHUB_APP_READ_TOKEN, tmp_path, monkeypatch)
    sandbox.admin.clear_request_log()
    assert main(["push", str(doc)]) == 2
    _, err = capfd.readouterr()
    errors = [line for line in err.splitlines() if "issues: write" in line]
    assert len(errors) == 1 and errors[0].startswith("pmsync: error:"), err
    assert "failed" not in err.lower()
    assert issues(sandbox) == [] and doc.read_text(encoding="utf-8") == ACTION_ITEMS
    posts = [r for r in sandbox.admin.request_log() if r["method"] == "POST"
             and "graphql" not in r["path"]]
    assert len(posts) == 1  # the one refused create; nothing more was attempted
