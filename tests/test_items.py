from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncer.markdown.document import Line, parse_document, read_document
from syncer.markdown.tables import split_row
from syncer.model import ActionItem, Status
from syncer.parse.table_items import (
    DEFAULT_COLUMN_SYNONYMS,
    ParseOptions,
    map_columns,
    normalise_header,
    parse_items,
)
from syncer.parse.values import is_placeholder
from tests.conftest import DATA

SEEDS = sorted((DATA / "seeds").glob("*.md"))


def parse(text: str, name: str = "pm.md", options: ParseOptions | None = None):
    return parse_items(parse_document(Path(name), text.encode()), options)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_seed_templates_match_their_gold_labels(path: Path):
    gold = json.loads(path.with_name(path.stem + ".gold.json").read_text())
    parsed = parse_items(read_document(path))
    got = [item.to_json() for item in parsed.items]
    assert [g["line"] for g in gold] == [i["line"] for i in got]
    for g, i in zip(gold, got):
        for field in ("title", "owner", "due", "priority", "status", "id"):
            assert i[field] == g[field], (g["line"], field)
        assert (i["ticket"] or None) == g["ticket"]


def test_columns_map_by_synonym_in_any_order_and_case():
    columns = map_columns(("DRI", "**Target Date**", "Follow-up", "State", "Jira", "#"), DEFAULT_COLUMN_SYNONYMS)
    assert columns == {"owner": 0, "due": 1, "title": 2, "status": 3, "ticket": 4, "id": 5}


def test_normalise_header():
    assert normalise_header("**Due Date (UTC)**") == "due date"
    assert normalise_header("Owner(s)") == "owner"
    assert normalise_header("#") == "#"


def test_table_needs_an_action_column_and_a_tracking_column():
    timeline = "| Time | Event | Owner |\n|---|---|---|\n| 10:00 | Deploy | bob |\n"
    assert parse(timeline).items == ()
    action_only = "| Action | Notes |\n|---|---|\n| Fix it | soon |\n"
    assert parse(action_only).items == ()


def test_heading_is_not_needed_and_extra_columns_are_kept():
    text = "Some text\n\n| Task | Type | Who |\n|---|---|---|\n| Add alert | prevent | @ann |\n"
    (item,) = parse(text).items
    assert (item.title, item.owner, item.line) == ("Add alert", "@ann", 5)
    assert item.owner_handle == "ann"
    assert item.anchor.row.texts[1] == "prevent"


def test_template_rows_are_not_items():
    text = "| ID | Action | Owner | Due | Status |\n|---|---|---|---|---|\n| AI-1 | [Specific action] | [Name] | [YYYY-MM-DD] | [Open] |\n"
    parsed = parse(text)
    assert parsed.items == () and parsed.template_rows == (3,)


def test_placeholder_cell_in_a_filled_row_is_flagged():
    text = "| Action | Owner | Due |\n|---|---|---|\n| Fix it | [Name] | 2025-01-01 |\n"
    (item,) = parse(text).items
    assert item.owner is None and item.placeholders == ("owner",)


def test_year_is_inferred_from_document_incident_date():
    text = "**Date:** 2025-12-20\n\n| Action | Due |\n|---|---|\n| Fix | Jan 5 |\n"
    parsed = parse(text)
    assert parsed.metadata.incident_date == date(2025, 12, 20)
    assert parsed.items[0].due == date(2026, 1, 5) and parsed.items[0].due_raw == "Jan 5"


def test_metadata_from_front_matter_and_labels():
    text = "---\ntitle: Cache outage\nseverity: SEV-2\n---\n\nIncident ID: INC-77\nDate: 03/04/2025\n"
    meta = parse(text).metadata
    assert (meta.title, meta.severity, meta.incident_id) == ("Cache outage", "SEV-2", "INC-77")
    assert meta.incident_date == date(2025, 3, 4)


def test_metadata_skips_placeholders_and_reads_several_labels_on_a_line():
    text = "**Date:** [YYYY-MM-DD]\n\nDate: 2024-01-15 Authors: @a Severity: SEV2\n"
    meta = parse(text).metadata
    assert meta.incident_date == date(2024, 1, 15) and meta.severity == "SEV2"


def test_incident_date_from_file_name():
    assert parse("# x\n", name="2021-06-29--budget.md").metadata.incident_date == date(2021, 6, 29)


def test_status_mixed_into_ticket_column():
    text = "| Action Item | Owner | Bug |\n|---|---|---|\n| A | x | n/a DONE |\n| B | x | TODO |\n| C | x | n/a |\n| D | x | [ENG-1](https://j/browse/ENG-1) |\n"
    a, b, c, d = parse(text).items
    assert (a.status, a.status_raw, a.ticket) == (Status.DONE, "DONE", None)
    assert b.status is Status.OPEN
    assert (c.status, c.ticket) == (None, None)
    assert d.ticket is not None and d.ticket.key == "ENG-1" and d.status is None


def test_ragged_rows_warn_with_line():
    text = "| Action | Owner | Due |\n|---|---|---|\n| Fix | bob |\n| Add | ann | 2025-01-01 | extra |\n"
    parsed = parse(text)
    assert [i.title for i in parsed.items] == ["Fix", "Add"]
    assert [(d.line, d.code) for d in parsed.diagnostics] == [(3, "ragged-row"), (4, "ragged-row")]


def test_header_only_table_warns():
    parsed = parse("| Action | Owner |\n|---|---|\n")
    assert parsed.items == () and parsed.diagnostics[0].code == "empty-table"


def test_configured_synonyms_extend_defaults():
    from config.settings import Settings
    from syncer.parse.options import parse_options

    settings = Settings(parse={"column_synonyms": {"title": ["Massnahme"], "owner": ["Verantwortlich"]}})
    text = "| Massnahme | Verantwortlich |\n|---|---|\n| Backup testen | Jana |\n"
    (item,) = parse(text, options=parse_options(settings)).items
    assert (item.title, item.owner) == ("Backup testen", "Jana")


def test_item_key_is_stable_and_prefers_id():
    text = "| ID | Action | Owner |\n|---|---|---|\n| AI-1 | Fix | a |\n|  | **Add** alert | b |\n"
    first, second = parse(text).items
    assert first.key == "id:ai-1"
    again = parse(text.replace("**Add** alert", "Add  alert")).items[1]
    assert second.key == again.key and second.key.startswith("t:")


def test_sections_from_headings_bold_lines_and_plain_lines():
    text = "## Action items\n\n**Immediate:**\n\n| Action | Owner |\n|---|---|\n| a | b |\n"
    assert parse(text).items[0].section == "Immediate"
    scraped = "Long-term Prevention\nAction Items (with owners):\n| Action | Owner |\n|---|---|\n| a | b |\n"
    assert parse(scraped).items[0].section == "Long-term Prevention"


_PLACEHOLDER_BITS = ["YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY", "YYYY/MM/DD", "[", "]", "<", ">",
                     "X", "x", "...", "…", "`", "*", "_", "|", " ", "\t", "\u00a0", "\\", "a", "M", "D",
                     "](", "(", ")"]


@given(st.lists(st.sampled_from(_PLACEHOLDER_BITS), max_size=16).map("".join))
def test_placeholder_pre_filter_never_misses_a_placeholder_cell(text: str):
    """The regex that decides whether to look for placeholders finds every cell with one."""
    from syncer.parse.values import MAY_BE_PLACEHOLDER

    row = split_row(Line(1, 0, text, "\n"))
    cells = row.texts if row is not None else (text.strip(),)
    for cell in cells:
        if is_placeholder(cell):
            assert MAY_BE_PLACEHOLDER.match(cell)


def test_table_items_are_ordinary_frozen_items():
    """Table items are ActionItems like any other: frozen, comparable, replaceable."""
    parsed = parse("| Action | Owner |\n|---|---|\n| Fix it | @a |\n")
    (item,) = parsed.items
    assert type(item) is ActionItem
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.title = "other"  # type: ignore[misc]
    same = ActionItem(**{f.name: getattr(item, f.name) for f in dataclasses.fields(ActionItem)})
    assert same == item and repr(same) == repr(item)
    assert dataclasses.replace(item, owner="@b").owner == "@b" and item.owner == "@a"


# --- existing references: ticket column vocabulary and references in other cells -------------


@pytest.mark.parametrize("header", [
    "Ticket", "Tracking bug", "Bug", "Issue", "Issue #", "issue#", "Related Issue", "Reference",
    "PR", "PR(s)", "Links", "**Tracking Bug**", "Jira / GitHub link", "Bug ID", "Pull request",
    "Link to PR", "Issue / PR", "Tracking issues",
])
def test_ticket_column_synonyms(header: str):
    text = (f"## Action items\n\n| Action item | Owner | {header} |\n|---|---|---|\n"
            "| Cap the retry budget | @kim | [#41](https://github.com/acme/shop/issues/41) |\n")
    (item,) = parse(text).items
    assert item.anchor.columns["ticket"] == 2
    assert item.ticket is not None and item.ticket.key == "#41"


@pytest.mark.parametrize("header", ["Notes", "Type", "Request", "Kind", "Area"])
def test_other_headers_are_no_ticket_column(header: str):
    columns = map_columns(("Action", "Owner", header), DEFAULT_COLUMN_SYNONYMS)
    assert "ticket" not in columns


@pytest.mark.parametrize(("cell", "key"), [
    ("[PR](https://github.com/acme/lib/pull/31) merged", "#31"),
    ("patched in OPS-77", "OPS-77"),
    ("see acme/lib#9", "#9"),
    ("<https://github.com/acme/lib/issues/62>", "#62"),
    ("https://git.example.com/acme/lib/commit/4f2a9c1", "https://git.example.com/acme/lib/commit/4f2a9c1"),
])
def test_reference_in_an_unmapped_column_is_the_items_ticket(cell: str, key: str):
    rows = "".join(f"| Patch the parser {n} | {cell} | Dana | Done |\n" for n in range(9))
    text = "## Action items\n\n| Action | Kind | Owner | Status |\n|---|---|---|---|\n" + rows
    items = parse(text).items
    # Nine rows are read a column at a time, one row by row: both give the same reference.
    assert len(items) == 9
    assert {item.ticket.key if item.ticket else None for item in items} == {key}
    short = parse("## Action items\n\n| Action | Kind | Owner | Status |\n|---|---|---|---|\n"
                  f"| Patch it | {cell} | Dana | Done |\n").items[0]
    assert short.ticket == items[0].ticket and short.ticket_raw == cell


def test_ticket_column_wins_over_other_cells_and_title_comes_last():
    text = ("## Action items\n\n| Action | Notes | Owner | Bug |\n|---|---|---|---|\n"
            "| Fix #5 again | see OPS-2 | Dana | OPS-9 |\n"
            "| Fix #5 again | see OPS-2 | Dana | n/a |\n"
            "| Fix #5 again | none | Dana | |\n")
    assert [item.ticket.key for item in parse(text).items] == ["OPS-9", "OPS-2", "#5"]


def test_id_owner_and_due_cells_hold_no_reference():
    text = ("## Action items\n\n| ID | Action | Owner | Due |\n|---|---|---|---|\n"
            "| AI-1 | Add an alert | dev-ops | Q3-2025 |\n")
    (item,) = parse(text).items
    assert item.ticket is None and item.id == "AI-1"
