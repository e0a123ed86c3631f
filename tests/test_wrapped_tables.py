"""Tables as exported documents write them: rows hard-wrapped over several lines, and the header
row after the delimiter row. Read when the intent is unambiguous, warned about otherwise, and
written back losslessly or not at all. Documents are made up for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncer.errors import InputError
from syncer.markdown.document import parse_document
from syncer.model import ActionItem, ParsedDocument
from syncer.parse.list_items import parse_list_items
from syncer.parse.table_items import ParseOptions, parse_items
from syncer.sync.edits import ItemChange, plan_edits, render

HEAD = "## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n"


def parse(text: str) -> ParsedDocument:
    doc = parse_document(Path("pm.md"), text.encode())
    return parse_list_items(parse_items(doc), ParseOptions())


def fields(text: str) -> list[tuple[int, str, str | None, str | None]]:
    return [(i.line, i.title, i.owner, i.due_raw) for i in parse(text).items]


def codes(text: str) -> list[tuple[int | None, str]]:
    return [(d.line, d.code) for d in parse(text).diagnostics]


# --- reading ---------------------------------------------------------------------------------

def test_row_continued_on_the_next_line_is_one_row() -> None:
    text = HEAD + "| Add an alert on the\nqueue depth | @kim | 2025-03-01 |\n| Shard it | @li | 2025-04-01 |\n"
    assert fields(text) == [
        (5, "Add an alert on the queue depth", "@kim", "2025-03-01"),
        (7, "Shard it", "@li", "2025-04-01"),
    ]
    assert codes(text) == []


def test_row_wrapped_over_three_lines_is_one_row() -> None:
    text = HEAD + "| Add an alert\non the queue\ndepth | @kim | 2025-03-01 |\n"
    assert fields(text) == [(5, "Add an alert on the queue depth", "@kim", "2025-03-01")]


def test_row_wrapped_inside_a_later_cell() -> None:
    text = HEAD + "| Add an alert | @kim and\n@li | 2025-03-01 |\n"
    assert fields(text) == [(5, "Add an alert", "@kim and @li", "2025-03-01")]


def test_row_without_edge_pipes_is_not_taken_for_a_wrapped_one() -> None:
    text = "## Action items\n\nAction | Owner\n---|---\nAdd an alert | @kim\nShard it | @li\n"
    assert [(i.line, i.title) for i in parse(text).items] == [(5, "Add an alert"), (6, "Shard it")]


def test_wrapped_row_that_never_closes_is_a_warning_naming_its_line() -> None:
    text = HEAD + "| Add an alert on the\nqueue depth\n\nSome prose after the table.\n"
    parsed = parse(text)
    (found,) = [d for d in parsed.diagnostics if d.line == 5]
    assert found.code == "wrapped-row" and found.severity == "warning"
    assert "join" in found.message


def test_wrapped_row_whose_pieces_do_not_add_up_is_not_joined() -> None:
    # Joined, the two lines would make four cells under a three-column header: not one row.
    text = HEAD + "| Add an alert\nqueue | @kim | 2025-03-01 | extra |\n"
    assert (5, "wrapped-row") in codes(text)


def test_header_after_the_delimiter_row() -> None:
    text = "## Action items\n\n|---|---|---|\n| Action | Owner | Due |\n| Add a canary | @kim | 2025-03-01 |\n"
    assert fields(text) == [(5, "Add a canary", "@kim", "2025-03-01")]


def test_header_after_a_blank_header_row() -> None:
    text = (
        "## Action items\n\n|  |  |  |\n|---|---|---|\n| Action | Owner | Due |\n"
        "| Add a canary | @kim | 2025-03-01 |\n"
    )
    assert fields(text) == [(6, "Add a canary", "@kim", "2025-03-01")]


def test_blank_header_over_rows_that_are_no_header_is_not_an_action_table() -> None:
    text = "|  |  |\n|---|---|\n| Add a canary | @kim |\n"
    assert parse(text).items == ()


# --- writing back ----------------------------------------------------------------------------

def _link(n: int) -> str:
    return f"[OPS-{n}](https://jira.example/browse/OPS-{n})"


def _write(text: str, changes: list[ItemChange]) -> str:
    doc = parse_document(Path("pm.md"), text.encode())
    return render(doc, plan_edits(doc, changes)).decode()


def _tickets(items: tuple[ActionItem, ...]) -> list[ItemChange]:
    return [ItemChange(item, ticket=_link(n)) for n, item in enumerate(items, start=1)]


def test_ticket_cell_on_the_continuation_line_is_written_in_place() -> None:
    text = "| Action | Owner | Ticket |\n|---|---|---|\n| Add an alert on the\nqueue depth | @kim |  |\n"
    after = _write(text, _tickets(parse(text).items))
    assert after == (
        "| Action | Owner | Ticket |\n|---|---|---|\n| Add an alert on the\n"
        f"queue depth | @kim | {_link(1)} |\n"
    )
    (item,) = parse(after).items
    assert item.ticket is not None and item.ticket.key == "OPS-1"


def test_new_column_goes_at_the_end_of_a_wrapped_rows_last_line() -> None:
    text = "| Action | Owner |\n|---|---|\n| Add an alert on the\nqueue depth | @kim |\n| Shard it | @li |\n"
    after = _write(text, _tickets(parse(text).items))
    assert after == (
        "| Action | Owner | Ticket |\n|---|---|---|\n| Add an alert on the\n"
        f"queue depth | @kim | {_link(1)} |\n| Shard it | @li | {_link(2)} |\n"
    )


def test_new_column_in_a_table_whose_header_follows_the_delimiter() -> None:
    text = "|  |  |\n|---|---|\n| Action | Owner |\n| Add a canary | @kim |\n"
    after = _write(text, _tickets(parse(text).items))
    assert after == (
        "|  |  | |\n|---|---|---|\n| Action | Owner | Ticket |\n"
        f"| Add a canary | @kim | {_link(1)} |\n"
    )


def test_cell_split_by_the_wrap_is_not_written() -> None:
    text = "| Action | Owner | Status |\n|---|---|---|\n| Add an alert | @kim | in\nprogress |\n"
    (item,) = parse(text).items
    with pytest.raises(InputError) as caught:
        _write(text, [ItemChange(item, status="Done")])
    assert caught.value.line == 3 and "one line" in caught.value.message


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.sampled_from(["add", "an", "alert", "on", "queue", "depth", "now"]),
                   min_size=2, max_size=7),
    cut=st.integers(min_value=1, max_value=6),
)
def test_wrapped_title_reads_joined_and_writes_back_only_its_ticket(words: list[str], cut: int) -> None:
    cut = min(cut, len(words) - 1)
    first, rest = " ".join(words[:cut]), " ".join(words[cut:])
    text = f"| Action | Owner | Ticket |\n|---|---|---|\n| {first}\n{rest} | @kim | |\n| Other | @li | |\n"
    items = parse(text).items
    assert [i.title for i in items] == [" ".join(words), "Other"]
    after = _write(text, _tickets(items))
    before_lines, after_lines = text.split("\n"), after.split("\n")
    assert len(before_lines) == len(after_lines)
    assert [b for b, a in zip(before_lines, after_lines) if b != a] == [
        f"{rest} | @kim | |", "| Other | @li | |",
    ]
    assert [i.ticket.key if i.ticket else None for i in parse(after).items] == ["OPS-1", "OPS-2"]


def test_wrap_that_falls_before_a_pipe_still_ends_the_row() -> None:
    head = "## Action items\n\n| Action | Kind | Owner | Ticket |\n|---|---|---|---|\n"
    text = head + "| Add an alert on the\nqueue depth | prevent\n| @kim | |\n| Shard it | scale | @li | |\n"
    assert [(i.line, i.title, i.owner) for i in parse(text).items] == [
        (5, "Add an alert on the queue depth", "@kim"), (8, "Shard it", "@li"),
    ]
    after = _write(text, _tickets(parse(text).items))
    assert after.split("\n")[4:8] == [
        "| Add an alert on the", "queue depth | prevent", f"| @kim | {_link(1)} |",
        f"| Shard it | scale | @li | {_link(2)} |",
    ]


def test_next_row_opening_with_a_pipe_is_not_taken_for_the_rest_of_a_short_one() -> None:
    head = "## Action items\n\n| Action | Kind | Owner | Ticket |\n|---|---|---|---|\n"
    text = head + "| Add an alert | prevent\n| Shard it | scale |\n"
    assert [(i.line, i.title) for i in parse(text).items] == [(5, "Add an alert"), (6, "Shard it")]


# --- tables reflowed into a paragraph --------------------------------------------------------

REFLOWED = (
    "## Action items\n\n"
    "| Action | Owner | Ticket | |--------|-------|--------|\n"
    "| Add an alert on the queue depth | @kim |\n"
    "[#12](https://github.com/acme/shop/issues/12) | | Shard the\n"
    "queue by tenant | @li || | Write the `a|b` runbook | @ana | OPS-7 |\n"
    "\nAfter the table.\n"
)


def test_table_reflowed_into_a_paragraph_is_read_row_by_row() -> None:
    items = parse(REFLOWED).items
    assert [(i.line, i.title, i.owner) for i in items] == [
        (4, "Add an alert on the queue depth", "@kim"),
        (5, "Shard the queue by tenant", "@li"),
        (6, "Write the `a|b` runbook", "@ana"),
    ]
    assert [i.ticket.key if i.ticket else None for i in items] == ["#12", None, "OPS-7"]


def test_reflowed_table_whose_cells_do_not_add_up_is_not_read() -> None:
    # Two cells where the second row's third should be: no way to tell the rows apart.
    text = REFLOWED.replace("| @li || |", "| @li | |")
    assert parse(text).items == ()
    assert [d.code for d in parse(text).diagnostics] == ["unread-section"]


def test_reflowed_table_is_never_written_into() -> None:
    items = parse(REFLOWED).items
    with pytest.raises(InputError) as caught:
        _write(REFLOWED, [ItemChange(items[1], ticket=_link(1))])
    assert caught.value.line == 5 and "reflowed" in caught.value.message
    assert _write(REFLOWED, [ItemChange(items[1])]) == REFLOWED  # nothing to write: no refusal
