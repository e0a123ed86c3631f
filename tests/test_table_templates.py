"""Template rows: a row that names no work yet (its action a fill-in, or every other cell a
placeholder) is no action item; undecided marks are no values. Documents are made up for these
tests."""

from __future__ import annotations

import pytest

from syncer.parse.values import is_fill_in
from tests.test_table_intent import only, parse

# --- class 8: template rows ------------------------------------------------------------------

@pytest.mark.parametrize("title", ["...", "?", "??", "TBD", "<action>", "describe here",
                                   "Describe the action here", "…"])
def test_a_row_whose_action_is_a_fill_in_is_a_template(title: str) -> None:
    text = f"## Action items\n\n| Action | Owner |\n|---|---|\n| {title} | @kim |\n| Add a canary | @li |\n"
    parsed = parse(text)
    assert [i.title for i in parsed.items] == ["Add a canary"]
    assert parsed.template_rows == (5,)


def test_a_row_whose_other_cells_are_all_placeholders_is_a_template() -> None:
    text = (
        "| Action | Owner | Due |\n|---|---|---|\n| Add a canary | <owner> | ... |\n"
        "| Shard the queue | @li | 2025-03-01 |\n"
    )
    parsed = parse(text)
    assert [i.title for i in parsed.items] == ["Shard the queue"]
    assert parsed.template_rows == (3,)


@pytest.mark.parametrize("owner", ["??", "???", "?"])
def test_question_marks_are_no_owner(owner: str) -> None:
    text = f"| Action | Owner | Due |\n|---|---|---|\n| Add a canary | {owner} | 2025-03-01 |\n"
    item = only(text)
    assert item.owner is None and item.title == "Add a canary"


def test_a_real_row_with_undecided_cells_is_still_an_item() -> None:
    text = "| Action | Owner | Due |\n|---|---|---|\n| Add a canary | TBD | TBD |\n"
    item = only(text)
    assert (item.owner, item.due) == (None, None)


@pytest.mark.parametrize("text", ["describe here", "Describe the action here", "Owner name here",
                                  "**Action here**", "?", "??", "TBD", "to-do", "<owner>", "..."])
def test_fill_ins(text: str) -> None:
    assert is_fill_in(text)


@pytest.mark.parametrize("text", ["Move the runbook here", "Add a canary", "Why here?", "Q3",
                                  "here", "Describe the failure modes of the queue in the runbook"])
def test_not_fill_ins(text: str) -> None:
    assert not is_fill_in(text)
