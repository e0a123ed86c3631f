"""Which sections hold action items, whatever their name: headings, plain and bold label lines,
and label bullets whose nested items are the work that lies ahead.

Every example is made up for these tests.
"""

from __future__ import annotations

import pytest

from syncer.model import ActionItem
from tests.conftest import Read


def lines_and_titles(found: list[ActionItem]) -> list[tuple[int, str]]:
    return [(item.line, item.title) for item in found]


# --- class 6: a section's intent, not its exact name -----------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "## Work agreed in the review",
        "## Planned improvements",
        "## Remediation tasks",
        "## Preventive and corrective work",
        "## What we will change",
        "## Changes we'll make",
        "## Proposed fixes",
        "### Tasks agreed with the vendor:",
        "## Future work",
        "## Outstanding work:",
        "**Agreed tasks**",
        "Planned changes:",
        "## How we will prevent this",
        "## What will we do differently?",
        "## Future plans",
        "## Repair items",
        "## Post-incident tasks",
        "## Longer-term work",
        "## Tasks",
        "## Open work items",
    ],
)
def test_sections_named_for_future_work_hold_items(read: Read, heading: str) -> None:
    text = f"# Outage of the search cluster\n\nA summary.\n\n{heading}\n\n- Add a disk alert\n"
    assert lines_and_titles(read(text)) == [(7, "Add a disk alert")]


@pytest.mark.parametrize(
    "heading",
    [
        "## Actions taken",
        "## Resolution",
        "## Mitigation steps taken",
        "## Mitigation",
        "## Changes made during the incident",
        "## Fixes applied",
        "## Steps to reproduce",
        "## What we did",
        "## Work performed overnight",
        "## Open questions",
        "## Recovery steps",
        "## What we should have done",
        "## We will keep you posted",
        "## Rollback plan",
        "## Work in progress",
        "## Proposed timeline",
        # What was done to keep it from coming back, as often as what will be done.
        "## Short-term (prevent a recurrence)",
    ],
)
def test_sections_about_what_was_done_hold_no_items(read: Read, heading: str) -> None:
    text = f"# Outage of the search cluster\n\nA summary.\n\n{heading}\n\n- Restarted the nodes\n"
    assert read(text) == []


def test_a_plain_label_line_without_blank_lines_around_it(read: Read) -> None:
    text = (
        "# Queue outage\n\nThe consumer stalled for an hour.\n"
        "Action items\n- Alert on consumer lag\n- Document the restart\n\n"
        "## Timeline\n\n- 10:02 paged\n"
    )
    assert lines_and_titles(read(text)) == [
        (5, "Alert on consumer lag"), (6, "Document the restart"),
    ]


def test_a_bold_label_bullet_makes_its_children_items(read: Read) -> None:
    text = (
        "# Queue outage\n\n## Review notes\n\n"
        "- The consumer stalled for an hour\n"
        "- **Follow-ups agreed**:\n"
        "  - Alert on consumer lag\n"
        "  - Document the restart\n"
        "    - Add it to the runbook index\n"
        "- We got lucky with the timing\n"
    )
    assert lines_and_titles(read(text)) == [
        (7, "Alert on consumer lag"), (8, "Document the restart"),
        (9, "Add it to the runbook index"),
    ]


def test_a_label_bullet_that_names_work_ahead_in_other_words(read: Read) -> None:
    text = (
        "# Queue outage\n\n"
        "- Root cause: a stalled consumer\n"
        "- Work agreed in the review:\n"
        "  1. Alert on consumer lag\n"
        "  2. Document the restart\n"
    )
    assert lines_and_titles(read(text)) == [
        (5, "Alert on consumer lag"), (6, "Document the restart"),
    ]
    assert [item.section for item in read(text)] == ["Work agreed in the review"] * 2


def test_a_label_bullet_inside_an_action_section_is_not_an_item(read: Read) -> None:
    text = (
        "## Action items\n\n"
        "- Rotate the signing keys\n"
        "- Next steps:\n"
        "  - Audit the key store\n"
        "- **What went well:**\n"
        "  - The pager fired at once\n"
    )
    assert lines_and_titles(read(text)) == [
        (3, "Rotate the signing keys"), (5, "Audit the key store"),
    ]


def test_a_bullet_ending_in_a_colon_that_names_no_section_stays_an_item(read: Read) -> None:
    text = "## Action items\n\n- Harden the deploy job:\n  - Pin the runner image\n"
    assert lines_and_titles(read(text)) == [
        (3, "Harden the deploy job:"), (4, "Pin the runner image"),
    ]


def test_a_label_bullet_without_children_makes_nothing_an_item(read: Read) -> None:
    text = "## Notes\n\n- **Follow-ups agreed**:\n- Restarted the nodes\n"
    assert read(text) == []


def test_a_status_label_bullet_gives_its_status_to_the_items_nested_in_it(read: Read) -> None:
    text = (
        "## Action items\n\n"
        "- **Done:**\n"
        "  - Rotate the signing keys\n"
        "- In progress:\n"
        "  - Audit the key store\n"
        "- Detection:\n"
        "  - Alert on expiring keys\n"
    )
    found = read(text)
    assert [(item.line, item.title, item.status, item.section) for item in found] == [
        (4, "Rotate the signing keys", "done", "Done"),
        (6, "Audit the key store", "in_progress", "In progress"),
        (8, "Alert on expiring keys", None, "Detection"),
    ]
