"""Which tables hold action items, and what the headings above a table say about its rows.

The documents are made up for these tests: a table is read as its author meant it, by the section
it stands in and the columns it has, not by a fixed list of headers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.markdown.document import parse_document
from syncer.model import ActionItem, ParsedDocument, Status
from syncer.parse.list_items import parse_list_items
from syncer.parse.table_items import ParseOptions, parse_items


def parse(text: str) -> ParsedDocument:
    doc = parse_document(Path("pm.md"), text.encode())
    return parse_list_items(parse_items(doc), ParseOptions())


def rows(text: str) -> list[tuple[int, str]]:
    return [(item.line, item.title) for item in parse(text).items]


def only(text: str) -> ActionItem:
    (item,) = parse(text).items
    return item


# --- class 5: an action-like column under a heading that names action items ------------------

@pytest.mark.parametrize(
    "header",
    ["| Action | Area |", "| Category | What we will do |", "| Task | Component |",
     "| Improvement | Service |", "| Theme | Planned change |", "| # | Fix |"],
)
def test_action_like_column_under_an_action_heading_is_an_action_table(header: str) -> None:
    width = header.count("|") - 1
    text = (
        "# Disk full on the build farm\n\n## Corrective work\n\n"
        f"{header}\n{'|---' * width}|\n| {' | '.join(['Rotate the build logs daily'] * width)} |\n"
    )
    (item,) = parse(text).items
    assert item.line == 7 and item.kind == "table"
    assert item.title == "Rotate the build logs daily"


def test_action_like_column_picks_the_action_text_not_the_category() -> None:
    text = (
        "## Follow-up work\n\n| Category | What we will do |\n|---|---|\n"
        "| Alerting | Page on queue depth above 10k |\n| Capacity | Double the worker pool |\n"
    )
    assert rows(text) == [(5, "Page on queue depth above 10k"), (6, "Double the worker pool")]


def test_action_like_table_outside_an_action_section_is_not_read() -> None:
    text = (
        "## Background\n\n| Action | Area |\n|---|---|\n| Restarted the router | network |\n\n"
        "## Timeline\n\n| Time | What |\n|---|---|\n| 10:00 | Deploy |\n"
    )
    assert parse(text).items == ()


def test_action_like_table_under_a_section_of_what_was_done_is_not_read() -> None:
    text = "## Actions taken during the incident\n\n| Action | Area |\n|---|---|\n| Failed over | db |\n"
    assert parse(text).items == ()


def test_table_without_an_action_like_column_under_an_action_heading_is_not_read() -> None:
    text = "## Action items\n\n| Service | Region |\n|---|---|\n| billing | eu-west |\n"
    assert parse(text).items == ()


def test_action_like_table_beside_a_tracked_table_elsewhere_is_not_read() -> None:
    # The document keeps its action items in the tracked table: a second table of ideas under
    # another heading is advice, as lists there are.
    text = (
        "## Action items\n\n| Action | Owner |\n|---|---|\n| Add a canary | @kim |\n\n"
        "## Broader improvements\n\n| Cause | Improvement |\n|---|---|\n| No tests | Add tests |\n"
    )
    assert rows(text) == [(5, "Add a canary")]


def test_action_like_table_in_the_same_section_as_a_tracked_table_is_read() -> None:
    text = (
        "## Action items\n\n### Tracked\n\n| Action | Owner |\n|---|---|\n| Add a canary | @kim |\n\n"
        "### Ideas\n\n| Action | Area |\n|---|---|\n| Shard the queue | infra |\n"
    )
    assert rows(text) == [(7, "Add a canary"), (13, "Shard the queue")]


def test_action_like_table_keeps_the_lists_of_other_sections_out() -> None:
    text = (
        "## Follow-ups\n\n| Action | Area |\n|---|---|\n| Shard the queue | infra |\n\n"
        "## Recommendations\n\n- Consider more tests\n"
    )
    assert rows(text) == [(5, "Shard the queue")]


# --- class 7: a status sub-heading above a table ---------------------------------------------

def test_status_heading_above_a_table_applies_to_its_rows() -> None:
    text = (
        "## Remediation\n\n### Done\n\n| Task | Priority |\n|---|---|\n| Raise the limit | P1 |\n\n"
        "### Ongoing\n\n| Task | Priority |\n|---|---|\n| Split the cache | P2 |\n"
    )
    done, ongoing = parse(text).items
    assert (done.status, done.status_raw) == (Status.DONE, "Done")
    assert (ongoing.status, ongoing.status_raw) == (Status.IN_PROGRESS, "Ongoing")


def test_a_rows_own_status_beats_its_heading() -> None:
    text = (
        "## Action items\n\n### In progress\n\n| Task | Status |\n|---|---|\n"
        "| Raise the limit | Done |\n| Split the cache | |\n"
    )
    first, second = parse(text).items
    assert (first.status, first.status_raw) == (Status.DONE, "Done")
    assert (second.status, second.status_raw) == (Status.IN_PROGRESS, "In progress")


def test_status_heading_outside_an_action_section_gives_no_status() -> None:
    text = "## Completed\n\n| Task | Owner |\n|---|---|\n| Raise the limit | @li |\n"
    assert only(text).status is None


def test_action_like_tables_in_two_action_sections_are_both_read() -> None:
    text = (
        "## Corrective actions\n\n| Fix | Area |\n|---|---|\n| Raise the limit | db |\n\n"
        "## Long-term work\n\n| Action | Area |\n|---|---|\n| Shard the queue | infra |\n"
    )
    assert rows(text) == [(5, "Raise the limit"), (11, "Shard the queue")]


def test_status_heading_applies_to_an_action_like_table_too() -> None:
    text = "## Follow-up work\n\n### Completed\n\n| Action | Area |\n|---|---|\n| Raise the limit | db |\n"
    item = only(text)
    assert (item.status, item.status_raw) == (Status.DONE, "Completed")


# --- a status written in another column of a table without a Status column ---------------------

@pytest.mark.parametrize("note", ["Done", "[Merged](https://example.com/x)", "Done, see the PR"])
def test_status_opening_a_cell_of_another_column(note: str) -> None:
    text = f"| Action | Owner | Notes |\n|---|---|---|\n| Raise the limit | @li | {note} |\n"
    assert only(text).status == Status.DONE


@pytest.mark.parametrize("note", ["we are done once the PR lands", "Waiting on the vendor"])
def test_a_remark_in_another_column_is_no_status(note: str) -> None:
    text = f"| Action | Owner | Notes |\n|---|---|---|\n| Raise the limit | @li | {note} |\n"
    assert only(text).status is None


def test_a_status_column_is_never_second_guessed_by_other_cells() -> None:
    text = "| Action | Status | Notes |\n|---|---|---|\n| Raise the limit |  | Done |\n"
    assert only(text).status is None
