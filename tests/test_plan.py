"""Push planning: pure decisions from an item and the tracker state."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from config.settings import RouteRule
from connectors.base import Failed, Marker, Stamp, TicketFields, TicketLink, TicketState
from syncer.markdown.document import parse_document
from syncer.model import ActionItem, Status
from syncer.parse.table_items import parse_items
from syncer.parse.values import parse_ticket
from syncer.sync.document_ids import document_id
from syncer.sync.plan import Claim, Linking, claims, item_markers, plan_item, route

TABLE = """## Action items

| Action | Owner | Due | Tracker |
|---|---|---|---|
| Add alerting | @maria | 2025-04-01 | |
| Add alerting | @devon | 2025-04-02 | github |
| Fix the runbook | @devon | 2025-04-03 | linear |
"""
LINK = TicketLink("jira", "OPS-1", "http://127.0.0.1/browse/OPS-1")
MARKER = Marker("pm/a.md", "t:abc")
SYNCED = TicketFields("Add alerting", "acc-maria", date(2025, 4, 1), "High")


def items() -> tuple[ActionItem, ...]:
    return parse_items(parse_document(Path("pm/a.md"), TABLE.encode())).items


SYNCED_STAMP = Stamp(MARKER, SYNCED)


def state(fields: TicketFields = SYNCED, stamp: Stamp | None = SYNCED_STAMP) -> TicketState:
    return TicketState(LINK, fields, Status.OPEN, "To Do", stamp=stamp)


def test_new_item_is_created() -> None:
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=SYNCED)
    assert plan.action == "create"


def test_ticket_found_by_marker_is_linked_not_created() -> None:
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=SYNCED, found=state())
    assert plan.action == "link" and plan.link == LINK and plan.fields == ()


def test_reference_to_an_unmanaged_tracker_is_left_alone() -> None:
    item = replace(items()[0], ticket=parse_ticket("b/123456"))
    plan = plan_item(item, tracker="jira", marker=MARKER)
    assert plan.action == "external" and "b/123456" in (plan.message or "")


def test_linked_and_unchanged() -> None:
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=SYNCED, link=LINK,
                     linked=state())
    assert plan.action == "unchanged" and plan.fields == ()


def test_document_change_is_pushed() -> None:
    desired = replace(SYNCED, due=date(2025, 5, 1))
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=desired, link=LINK,
                     linked=state())
    assert plan.action == "update" and plan.fields == ("due",)


def test_tracker_only_change_is_kept() -> None:
    edited = replace(SYNCED, title="Add alerting (edited in Jira)")
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=SYNCED, link=LINK,
                     linked=state(fields=edited))
    assert plan.action == "unchanged" and plan.fields == ()


def test_both_changed_is_a_conflict() -> None:
    desired = replace(SYNCED, due=date(2025, 5, 1), priority="Low")
    current = replace(SYNCED, due=date(2025, 6, 1))
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=desired, link=LINK,
                     linked=state(fields=current))
    assert plan.action == "conflict"
    assert plan.conflicts == ("due",) and plan.fields == ("priority",)
    assert "2025-05-01" in (plan.message or "") and "2025-06-01" in (plan.message or "")


def test_same_change_on_both_sides_is_no_conflict() -> None:
    desired = replace(SYNCED, due=date(2025, 5, 1))
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=desired, link=LINK,
                     linked=state(fields=desired))
    assert plan.action == "unchanged"


def test_hand_linked_ticket_is_never_edited() -> None:
    desired = replace(SYNCED, title="Something else")
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, desired=desired, link=LINK,
                     linked=state(stamp=None))
    assert plan.action == "unchanged" and plan.fields == ()


def test_unreadable_linked_ticket_is_a_problem() -> None:
    plan = plan_item(items()[0], tracker="jira", marker=MARKER, link=LINK,
                     linked=Failed(None, "Issue does not exist", LINK))
    assert plan.action == "problem" and plan.message == "OPS-1: Issue does not exist"


def test_repeated_titles_get_distinct_markers() -> None:
    found = item_markers("pm/a.md", items())
    first, second, _ = (found[i.line] for i in items())
    assert first.item_key != second.item_key and second.item_key.endswith("~2")
    assert first.digest != second.digest


def test_route_by_column_rule_and_default() -> None:
    first, second, third = items()
    known = ("jira", "github")
    assert route(first, Path("pm/a.md"), [], "jira", known) == ("jira", None)
    assert route(second, Path("pm/a.md"), [], "jira", known) == ("github", None)
    name, problem = route(third, Path("pm/a.md"), [], "jira", known)
    assert name is None and "linear" in (problem or "")
    rules = [RouteRule(tracker="github", owner="maria")]
    assert route(first, Path("pm/a.md"), rules, "jira", known) == ("github", None)
    rules = [RouteRule(tracker="github", path="other/*")]
    assert route(first, Path("pm/a.md"), rules, "jira", known) == ("jira", None)
    name, problem = route(first, Path("pm/a.md"), [], None, known)
    assert name is None and "PMSYNC_TRACKER" in (problem or "")


def test_a_route_path_glob_is_fnmatch_where_star_spans_folders() -> None:
    # Unlike the Action's ``paths`` (syncer.action.scope.glob_regex), where ``*`` stays in one
    # folder: a rule written as the README shows it also routes documents in sub-folders.
    first = items()[0]
    rules = [RouteRule(tracker="github", path="services/web/*")]
    known = ("jira", "github")
    assert route(first, Path("services/web/2025/a.md"), rules, "jira", known) == ("github", None)
    assert route(first, Path("services/api/a.md"), rules, "jira", known) == ("jira", None)


def test_document_id_is_relative_to_the_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    doc = tmp_path / "postmortems" / "a.md"
    doc.parent.mkdir()
    doc.write_text("x")
    assert document_id(doc) == "postmortems/a.md"


@pytest.mark.parametrize("title", ["Add alerting", "Add  alerting"])
def test_marker_digest_is_stable(title: str) -> None:
    assert Marker("a.md", "t:1").digest == Marker("a.md", "t:1").digest
    assert Marker("a.md", "t:1").label.startswith("pmsync-")


def test_document_id_outside_git_does_not_depend_on_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("x")
    monkeypatch.chdir(tmp_path)
    here = document_id(Path("a.md"))
    monkeypatch.chdir("/")
    assert document_id(doc) == here == doc.resolve().as_posix()


@pytest.mark.parametrize("status", [Status.DONE, Status.WONT_DO])
def test_finished_item_without_ticket_is_skipped_unless_create_done(status: Status) -> None:
    item = replace(items()[0], status=status)
    plan = plan_item(item, tracker="jira", marker=MARKER)
    assert plan.action == "skip" and "push.create_done" in (plan.message or "")
    assert plan_item(item, tracker="jira", marker=MARKER, create_done=True).action == "create"


def test_finished_item_whose_ticket_exists_is_linked_not_skipped() -> None:
    item = replace(items()[0], status=Status.DONE)
    plan = plan_item(item, tracker="jira", marker=MARKER, desired=SYNCED, found=state())
    assert plan.action == "link"


def linking(document: str, key: str, stamp: Marker = MARKER) -> Linking:
    return Linking(Marker(document, key), Stamp(stamp, SYNCED), "OPS-1", Path(document))


def no_links(document: str, ticket: str, near: Path) -> list[str] | None:
    return []


def test_retitled_item_still_owns_its_ticket_and_pushes_its_title() -> None:
    retitled = linking("pm/a.md", "t:new title")
    [claim] = claims([retitled], no_links)
    assert claim.kind == "owner"
    desired = replace(SYNCED, title="New title")
    plan = plan_item(items()[0], tracker="jira", marker=retitled.marker, desired=desired,
                     link=LINK, linked=state(), claim=claim)
    assert plan.action == "update" and plan.fields == ("title",)


def test_document_the_ticket_left_takes_nothing_back() -> None:
    moved = linking("pm/b.md", MARKER.item_key)
    [claim] = claims([moved], no_links)
    assert claim == Claim("takeover", "pm/a.md")
    plan = plan_item(items()[0], tracker="jira", marker=moved.marker, desired=SYNCED, link=LINK,
                     linked=state(), claim=claim)
    assert plan.action == "update" and plan.restamp and plan.fields == ()
    assert "moved here from pm/a.md" in (plan.message or "")


def test_copy_while_the_original_still_links_is_a_problem_naming_both() -> None:
    copy = linking("pm/b.md", MARKER.item_key)
    [claim] = claims([copy], lambda document, ticket, near: [MARKER.item_key])
    assert claim == Claim("copy", "pm/a.md")
    desired = replace(SYNCED, due=date(2025, 5, 1))
    plan = plan_item(items()[0], tracker="jira", marker=copy.marker, desired=desired, link=LINK,
                     linked=state(), claim=claim)
    assert plan.action == "problem" and plan.fields == ()
    assert "pm/b.md" in (plan.message or "") and "pm/a.md" in (plan.message or "")


def test_other_item_naming_the_ticket_only_reads_it() -> None:
    owner, other = linking("pm/a.md", MARKER.item_key), linking("pm/c.md", "t:see also")
    assert [c.kind for c in claims([owner, other], no_links)] == ["owner", "reference"]
    plan = plan_item(items()[0], tracker="jira", marker=other.marker,
                     desired=replace(SYNCED, title="See also"), link=LINK, linked=state(),
                     claim=Claim("reference", "pm/a.md"))
    assert plan.action == "unchanged" and plan.fields == ()


def test_two_documents_claiming_a_ticket_whose_document_is_gone_are_problems() -> None:
    found = claims([linking("pm/b.md", MARKER.item_key), linking("pm/c.md", MARKER.item_key)],
                   no_links)
    assert [c.kind for c in found] == ["contested", "contested"]
    assert found[0].others == ("pm/c.md",) and found[1].others == ("pm/b.md",)


def test_unreadable_earlier_document_is_never_taken_over() -> None:
    [claim] = claims([linking("pm/b.md", MARKER.item_key)], lambda document, ticket, near: None)
    assert claim.kind == "copy"


def test_the_same_item_takes_over_and_other_documents_naming_it_only_read_it() -> None:
    moved, mention = linking("pm/b.md", MARKER.item_key), linking("pm/c.md", "t:see also")
    assert [c.kind for c in claims([mention, moved], no_links)] == ["reference", "takeover"]
