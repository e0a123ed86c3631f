from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from syncer.markdown.document import parse_document
from syncer.model import Metadata
from syncer.parse.metadata import read_metadata


def doc_of(text: str, name: str = "pm.md"):
    return parse_document(Path(name), text.encode("utf-8"))


def test_first_value_wins_and_later_labels_change_nothing() -> None:
    doc = doc_of(
        "# Cache outage\n"
        "**Incident ID:** INC-1\n"
        "Date: 2024-01-15 Severity: SEV2\n"
        "Title: Cache\n"
        "Severity: SEV1\n"
        "Incident: INC-2\n"
    )
    assert read_metadata(doc) == Metadata("INC-1", date(2024, 1, 15), "SEV2", "Cache")


def test_labels_in_tables_code_and_without_a_space_are_not_line_labels() -> None:
    doc = doc_of(
        "| Severity: SEV1 | x |\n|---|---|\n| Date | 2024-02-03 |\n\n"
        "```\nSeverity: SEV3\n```\n"
        "Severity:SEV4\n"
    )
    # The two-column table gives its rows as pairs; its lines are not read as labels.
    assert read_metadata(doc) == Metadata(None, date(2024, 2, 3), None, None)


@pytest.mark.parametrize(("text", "pairs"), [
    ("Date: 2024-01-15 Authors: @a Severity: SEV2",
     [("Date", "2024-01-15"), ("Authors", "@a"), ("Severity", "SEV2")]),
    (" Sev: x | Date: y |", [("Sev", "x"), ("Date", "y")]),
    ("xx Date: y", []),
    ("Date:x", []),
])
def test_plain_labels_on_one_line(text: str, pairs: list[tuple[str, str]]) -> None:
    from syncer.parse.metadata import _plain_labels

    assert _plain_labels(text) == pairs
