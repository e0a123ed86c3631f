"""How pull writes each status so that pmsync reads it back: golden files and properties."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from syncer.markdown.document import Document, parse_document, read_document
from syncer.model import ActionItem, Status
from syncer.parse.list_items import parse_list_items
from syncer.parse.table_items import ParseOptions, parse_items
from syncer.sync.edits import plan_edits, render
from syncer.sync.pull import status_change
from syncer.sync.status_text import DocumentVocabulary
from tests.conftest import DATA

GOLDEN = DATA / "pull"
WANTED = {
    "OPS-1": Status.DONE, "OPS-2": Status.OPEN, "OPS-3": Status.DONE, "OPS-4": Status.WONT_DO,
    "OPS-5": Status.DONE, "OPS-6": Status.IN_PROGRESS, "OPS-7": Status.WONT_DO,
    "OPS-8": Status.OPEN, "OPS-9": Status.DONE, "OPS-10": Status.OPEN, "OPS-11": Status.DONE,
}


def items_of(doc: Document) -> tuple[ActionItem, ...]:
    return parse_list_items(parse_items(doc), ParseOptions()).items


def pulled(doc: Document, wanted: dict[str, Status]) -> bytes:
    """The document's bytes once every item says the status ``wanted`` gives its ticket."""
    items = items_of(doc)
    words = DocumentVocabulary(items)
    changes = [change for item in items if item.ticket
               if (change := status_change(item, wanted[item.ticket.key], words)) is not None]
    return render(doc, plan_edits(doc, changes))


def statuses(doc: Document) -> dict[str, Status]:
    return {item.ticket.key: item.status or Status.OPEN for item in items_of(doc) if item.ticket}


def test_golden_pull_of_every_state() -> None:
    before = read_document(GOLDEN / "lists.before.md")
    after = pulled(before, WANTED)
    assert after == (GOLDEN / "lists.after.md").read_bytes()
    written = parse_document(Path("after.md"), after)
    assert statuses(written) == WANTED
    assert pulled(written, WANTED) == after  # a second pull changes no byte


def test_pull_that_changes_nothing_changes_no_byte() -> None:
    before = read_document(GOLDEN / "lists.before.md")
    now = statuses(before)
    assert pulled(before, now) == before.raw


SHAPES = [
    "- Plain bullet",
    "- [ ] Open checkbox",
    "- [x] Ticked checkbox",
    "- ✅ Emoji item",
    "- Item with a note (see the runbook)",
    "- Wrapped item that runs\n  onto a second line",
    "- TODO written in capitals",
]


@given(
    shape=st.sampled_from(SHAPES),
    heading=st.sampled_from(["", "### Completed\n\n", "### In progress\n\n"]),
    sequence=st.lists(st.sampled_from(list(Status)), min_size=1, max_size=5),
)
def test_any_sequence_of_pulls_reads_back_the_last(
    shape: str, heading: str, sequence: list[Status]
) -> None:
    text = f"# Review\n\n## Action items\n\n{heading}{shape} ([OPS-1](https://j.example.com/browse/OPS-1))\n"
    doc = parse_document(Path("pm.md"), text.encode())
    for status in sequence:
        data = pulled(doc, {"OPS-1": status})
        doc = parse_document(Path("pm.md"), data)
        assert statuses(doc) == {"OPS-1": status}
        assert pulled(doc, {"OPS-1": status}) == data
    # Only what pmsync owns changed: a checkbox's mark, and words added at the end of a line.
    old_lines, new_lines = text.splitlines(), doc.text.splitlines()
    assert len(old_lines) == len(new_lines)
    for old, new in zip(old_lines, new_lines):
        assert new.replace("[x]", "[ ]").startswith(old.replace("[x]", "[ ]"))
