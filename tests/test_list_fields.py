"""What a list item says beyond the usual annotations: a status in other shapes (and over an
unticked checkbox), an owner in a leading tag or a trailing parenthesis, and tickets in later
paragraphs and reference-style links.

Every example is made up for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.markdown.document import read_document
from syncer.sync.edits import ItemChange, plan_edits, render
from tests.conftest import Read

# --- class 9: an explicit status in the text beats an unticked checkbox ---------------------


@pytest.mark.parametrize(
    ("line", "status", "raw"),
    [
        ("- [ ] Rotate the keys (in progress, two of five done)", "in_progress",
         "in progress, two of five done"),
        ("- [ ] Rotate the keys WIP", "in_progress", "WIP"),
        ("- [ ] Rotate the keys. Status: won't do", "wont_do", "won't do"),
        ("- [ ] Rotate the keys _done in the secrets repo_", "done", "done in the secrets repo"),
        ("- Rotate the keys *completed on 2024-03-02*.", "done", "completed on 2024-03-02"),
        ("- [ ] [Rotate the keys (Done)](https://github.com/o/r/issues/4)", "done", "Done"),
        ("- [ ] Rotate the keys", "open", "[ ]"),
        # A trailing annotation is the last word on the item (pull writes it): it beats a tick too.
        ("- [x] Rotate the keys (in progress)", "in_progress", "in progress"),
        ("- [x] Rotate the keys, WIP", "done", "[x]"),
        ("- Rotate the keys with *open* tooling", None, None),
        ("- Rotate the keys, *in* the vault", None, None),
    ],
)
def test_explicit_status_in_the_text(
    read: Read, line: str, status: str | None, raw: str | None
) -> None:
    (item,) = read(f"## Action items\n\n{line}\n")
    assert (item.status, item.status_raw) == (status, raw)


@pytest.mark.parametrize(
    "detail",
    [
        "  - Already completed.",
        "  - This has been done. The new keys are in the vault.",
        "\n  Already done as of 2024-03-02.",
        "  Completed.",
    ],
)
def test_a_status_line_under_the_item(read: Read, detail: str) -> None:
    text = f"## Action items\n\n- [ ] Rotate the keys\n{detail}\n- [ ] Audit the vault\n"
    found = read(text)
    assert [(item.title, item.status) for item in found] == [
        ("Rotate the keys" + (" Completed." if detail == "  Completed." else ""), "done"),
        ("Audit the vault", "open"),
    ]


def test_a_child_that_does_something_is_an_item_not_a_status(read: Read) -> None:
    text = "## Action items\n\n- Rotate the keys\n  - Completed the audit of the vault first\n"
    assert [(item.line, item.status) for item in read(text)] == [(3, None), (4, None)]


# --- class 10: owners in a leading tag or a trailing parenthesis; status_raw without marks ---


@pytest.mark.parametrize(
    ("line", "owner"),
    [
        ("- [Platform] Investigate the disk alerts", "Platform"),
        ("- [Data team] Backfill the lost rows", "Data team"),
        ("- [ ] [SRE] Page on consumer lag", "SRE"),
        ("- Set up a review with the vendor (Priya to set up a meeting)", "Priya"),
        ("- Check the replica lag (Tomas will check with the DBAs).", "Tomas"),
        ("- Discuss the cache design (Ana call for meeting)", "Ana"),
        ("- Rotate the keys (@lee to follow up)", "@lee"),
        ("- [WIP] Rotate the keys", None),
        ("- [P1] Rotate the keys", None),
        ("- [OPS-12] Rotate the keys", None),
        ("- [1] Rotate the keys", None),
        ("- [Rotate the keys](https://example.com/runbook)", None),
        ("- Rotate the keys (Kubernetes only)", None),
        ("- Rotate the keys (See the runbook)", None),
        ("- Rotate the keys (Done)", None),
        ("- [Optional] Rotate the keys", None),
        ("- [Owner] Rotate the keys", None),
        ("- [TBD] Rotate the keys", None),
        ("- Rotate the keys (This will be done next week)", None),
        ("- Rotate the keys (Vault is deprecated)", None),
        ("- [Platform] Rotate the keys. Owner: @kim", "@kim"),
    ],
)
def test_owner_in_a_leading_tag_or_a_trailing_parenthesis(
    read: Read, line: str, owner: str | None
) -> None:
    (item,) = read(f"## Action items\n\n{line}\n")
    assert item.owner == owner


def test_a_leading_tag_that_is_a_defined_reference_is_a_link_not_an_owner(read: Read) -> None:
    text = "## Action items\n\n- [Runbook] Update it\n\n[runbook]: https://example.com/runbook\n"
    (item,) = read(text)
    assert item.owner is None


@pytest.mark.parametrize(
    ("line", "raw"),
    [
        ("- Rotate the keys **DONE**", "DONE"),
        ("- Rotate the keys (**Done**)", "Done"),
        ("- Rotate the keys (_in progress_)", "in progress"),
        ("- Rotate the keys. **Status:** _won't do_", "won't do"),
        ("- Rotate the keys. Status: _won't do_ as the vendor rotates them", "won't do"),
        ("- Rotate the keys. **Status:** _won't do_, the vendor rotates them", "won't do"),
    ],
)
def test_status_raw_has_no_emphasis_marks(read: Read, line: str, raw: str) -> None:
    (item,) = read(f"## Action items\n\n{line}\n")
    assert item.status_raw == raw


# --- classes 3 and 4: references in later paragraphs and reference-style links ---------------


def test_ticket_in_a_later_paragraph_after_a_quote_and_a_reference_link(read: Read) -> None:
    text = (
        "## Action items\n\n"
        "1. Cap the batch size\n\n"
        "   > The old limit was never enforced.\n\n"
        "   See [the tracking issue][cap].\n"
        "2. Second item\n\n"
        "[cap]: https://github.com/o/r/issues/31\n"
    )
    found = read(text)
    assert [(item.line, item.ticket.key if item.ticket else None) for item in found] == [
        (3, "#31"), (8, None),
    ]


def test_reference_style_links_of_every_form(read: Read) -> None:
    text = (
        "## Action items\n\n"
        "- [OPS-7]: add a retry budget\n"
        "- Cap retries [in the client][client-fix]\n"
        "- Cap retries in the server ([#8][])\n"
        "- Watch the queue <https://github.com/o/r/issues/9>\n\n"
        "[client-fix]:\n"
        "   https://github.com/o/r/pull/10\n"
        "[#8]: https://github.com/o/r/issues/8 \"the server fix\"\n"
    )
    found = read(text)
    assert [item.ticket.display() if item.ticket else None for item in found] == [
        "OPS-7", "https://github.com/o/r/pull/10", "https://github.com/o/r/issues/8",
        "https://github.com/o/r/issues/9",
    ]


def test_pull_rewrites_the_words_of_an_emphasised_annotation_and_keeps_the_marks(
    read: Read, tmp_path: Path
) -> None:
    text = "## Action items\n\n- Rotate the keys (**Done**)\n"
    (item,) = read(text)
    assert (item.status, item.status_raw) == ("done", "Done")
    doc = read_document(tmp_path / "pm.md")
    edits = plan_edits(doc, [ItemChange(item, annotation="Open")])
    assert render(doc, edits).decode() == "## Action items\n\n- Rotate the keys (**Open**)\n"


# --- class 8 in lists: a template's fill-in slot is no item --------------------------------


@pytest.mark.parametrize("slot", ["TBD", "??", "?", "[ ] Describe the action here", "<action>",
                                  "[ ] ..."])
def test_a_list_item_that_only_holds_a_fill_in_is_a_template_slot(read: Read, slot: str) -> None:
    text = f"# Outage\n\n## Action items\n\n- {slot}\n- [ ] Rotate the signing keys\n"
    assert [item.title for item in read(text)] == ["Rotate the signing keys"]


def test_an_item_that_names_work_after_an_undecided_word_is_kept(read: Read) -> None:
    text = "# Outage\n\n## Action items\n\n- TODO: add a retry to the consumer\n- TBD by Friday\n"
    assert [item.title for item in read(text)] == ["TODO: add a retry to the consumer",
                                                   "TBD by Friday"]
