from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from syncer.document import parse_document
from syncer.metadata import (
    _BOLD_LABEL,
    _ID_VALUE,
    _LABELS,
    _PLAIN_LABEL,
    Metadata,
    _first_h1,
    _front_matter,
    _plain_labels,
    read_metadata,
)
from syncer.normalize import is_placeholder, parse_date, strip_markdown
from syncer.tables import find_tables


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


# read_metadata as first written (every pair collected, every label normalised), kept to check
# the faster one against.
def _reference(doc) -> Metadata:
    tables = find_tables(doc)
    pairs = list(_front_matter(doc))
    table_lines = set()
    for table in tables:
        table_lines.update(range(table.first_line, table.last_line + 1))
        if table.header.width == 2:
            pairs.extend((r.texts[0], r.texts[1]) for r in (table.header, *table.rows) if r.width == 2)
    for number, text in enumerate(doc.texts, start=1):
        if number in doc.hidden or number in table_lines or ":" not in text:
            continue
        bold = _BOLD_LABEL.match(text)
        pairs.extend([(bold.group(1), bold.group(2))] if bold else _plain_labels(text))
    found: dict[str, str] = {}
    for label, value in pairs:
        normal = re.sub(r"\s+", " ", strip_markdown(label).casefold()).strip(" :")
        key = next((k for k, names in _LABELS.items() if normal in names), None)
        if key is None or key in found:
            continue
        value = value.strip().strip("`").strip()
        if not value or is_placeholder(value) or "[" in value and "](" not in value:
            continue
        if key == "incident_date" and parse_date(value) is None:
            continue
        if key == "incident_id":
            match = _ID_VALUE.search(value)
            if match is None:
                continue
            value = match.group(1)
        found[key] = value
    parsed = parse_date(found["incident_date"]) if "incident_date" in found else None
    from_name = parse_date(doc.path.stem.replace("_", " "))
    incident_date = parsed.value if parsed else from_name.value if from_name else None
    title = found.get("title") or _first_h1(doc)
    return Metadata(found.get("incident_id"), incident_date, found.get("severity"), title)


_LINES = st.sampled_from([
    "---", "title: Front", "severity: SEV-9", "", "# Heading One", "**Date:** 2024-01-15",
    "**Severity**: SEV1", "- **Incident ID:** INC-42", "Date: 2023-05-06 Severity: SEV3",
    "Title: Plain title", "Incident: no id here", "Incident: OPS-7", " Sev: [TBD]",
    "Severity:SEV4", "| Date | 2022-02-02 |", "|---|---|", "| Title | Table title |",
    "| a | b | c |", "```", "<!--", "-->", "    Severity: SEV0", "When: yesterday",
])


@given(st.lists(_LINES, max_size=14))
def test_read_metadata_matches_the_rules_read_line_by_line(lines: list[str]) -> None:
    doc = doc_of("\n".join(lines))
    assert read_metadata(doc) == _reference(doc)


def _reference_plain_labels(text: str) -> list[tuple[str, str]]:
    matches = list(_PLAIN_LABEL.finditer(text))
    if not matches or matches[0].start() > 1:
        return []
    pairs = []
    for current, following in zip(matches, [*matches[1:], None]):
        end = following.start() if following else len(text)
        pairs.append((current.group(1), text[current.end() : end].strip(" |")))
    return pairs


@given(st.lists(st.sampled_from(["Date: ", "Sev:", " ", "x", "|", "A b: ", "\t", "é"]), max_size=8))
def test_plain_labels_match_the_rule_read_match_by_match(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _plain_labels(text) == _reference_plain_labels(text)
