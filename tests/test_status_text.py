"""Statuses written in a document's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.markdown.document import parse_document
from syncer.model import Status
from syncer.parse.table_items import parse_items
from syncer.parse.values import StatusVocabulary
from syncer.sync.status_text import DocumentVocabulary


def vocabulary(statuses: list[str]) -> DocumentVocabulary:
    rows = "\n".join(f"| Task {n} | @a | {s} |" for n, s in enumerate(statuses))
    text = f"## Action items\n\n| Action | Owner | Status |\n|---|---|---|\n{rows}\n"
    parsed = parse_items(parse_document(Path("doc.md"), text.encode()))
    return DocumentVocabulary(parsed.items)


def test_reuses_the_documents_emoji_words() -> None:
    words = vocabulary(["✅ Done", "🟡 In Progress", "⚪ Open"])
    assert words.text(Status.DONE) == "✅ Done"
    assert words.text(Status.IN_PROGRESS) == "🟡 In Progress"


def test_reuses_a_synonym_the_document_uses() -> None:
    assert vocabulary(["Completed", "Open"]).text(Status.DONE) == "Completed"


def test_most_common_spelling_wins() -> None:
    assert vocabulary(["done", "Done", "done"]).text(Status.DONE) == "done"


@pytest.mark.parametrize(("seen", "expected"), [
    (["OPEN", "OPEN"], "DONE"),
    (["open", "in progress"], "done"),
    (["🟡 In progress"], "✅ Done"),
    ([], "Done"),
])
def test_unseen_status_follows_the_documents_style(seen: list[str], expected: str) -> None:
    assert vocabulary(seen).text(Status.DONE) == expected


def test_notes_and_dates_are_not_copied() -> None:
    words = vocabulary(["Done (2025-03-02, see PR)", "Open"])
    assert words.text(Status.DONE) == "Done"


def test_mojibake_documents_get_their_own_mojibake_forms() -> None:
    words = vocabulary(["âœ… Done", "âšª Open"])
    assert words.text(Status.DONE) == "âœ… Done"  # seen: reused as written
    assert words.text(Status.IN_PROGRESS) == "ðŸŸ¡ In progress"  # unseen: the same mojibake
    assert vocabulary(["✅ Done"]).text(Status.IN_PROGRESS) == "🟡 In progress"


@pytest.mark.parametrize("seen", [["✅ Done"], ["âœ… Done"], ["Yes"], ["DONE"], []])
@pytest.mark.parametrize("status", list(Status))
def test_annotations_read_back_as_their_status(seen: list[str], status: Status) -> None:
    from syncer.parse.annotations import annotation_status

    words = vocabulary(seen).annotation(status)
    found = annotation_status(words, StatusVocabulary.default())
    assert found is not None and found.status is status, words


def test_status_raw_is_the_status_without_the_marks_but_the_style_keeps_them() -> None:
    text = "## Action items\n\n| Action | Status |\n|---|---|\n| A | **DONE** |\n| B | *Open* |\n"
    parsed = parse_items(parse_document(Path("doc.md"), text.encode()))
    assert [item.status_raw for item in parsed.items] == ["DONE", "Open"]
    words = DocumentVocabulary(parsed.items)
    assert (words.text(Status.DONE), words.text(Status.OPEN)) == ("**DONE**", "*Open*")
