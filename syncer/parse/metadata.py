"""Document metadata: incident id, incident date, severity and title.

Read from YAML front matter, ``**Label:** value`` lines, plain ``Label: value`` lines (several may
share a line in scraped pages), and two-column metadata tables. The first value that is not a
template placeholder wins; the file name is the last resort for the incident date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from syncer.markdown.document import Document
from syncer.markdown.inline import strip_markdown
from syncer.markdown.tables import Table, find_tables, table_lines
from syncer.model import Metadata
from syncer.parse.values import DateOrder, is_placeholder, parse_date

# The first field whose names contain a label takes it, so each label is listed once.
_LABELS: dict[str, tuple[str, ...]] = {
    "incident_id": ("incident id", "incident", "incident number", "incident no", "id"),
    "incident_date": (
        "date", "date of incident", "incident date", "date/time", "detected", "started",
        "start time", "start", "impact start", "occurred", "when",
    ),
    "severity": ("severity", "incident severity", "sev", "severity level", "impact level"),
    "title": ("title", "incident title", "name"),
}
_ID_VALUE = re.compile(r"\b([A-Z][A-Z0-9]*-[\w-]*\d[\w-]*)\b")
_BOLD_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)([^*_]{1,40}?):?(?:\*\*|__):?\s*(.*)$")
_PLAIN_LABEL = re.compile(r"(?:^|\s)([A-Z][A-Za-z/ ]{1,30}?):\s+")
# Lines that could hold a label, a cheap whole-text pre-filter for _label_values: a bold one
# (as _BOLD_LABEL: white space, then "**" or "__", perhaps after a list marker), or a plain one
# whose first label starts the line (see _plain_labels: at offset 0, or at 1 or 2 just after
# white space) and is followed by a colon and a space. A blank line is turned away by the
# first test; alternatives rather than optional groups, which cost the regex engine more.
_MAY_BE_LABEL = re.compile(
    r"\n(?=[^\n])(?:[^\S\n]*(?:\*\*|__|[-*+][^\S\n]+(?:\*\*|__))"
    r"|(?:[A-Z]|[^\S\n][A-Z]|[^\n][^\S\n][A-Z])[A-Za-z/ ]{1,30}:[^\S\n])"
)


def read_metadata(
    doc: Document, order: DateOrder = "MDY", tables: list[Table] | None = None
) -> Metadata:
    """Collect the incident's metadata from the places templates put it."""
    found: dict[str, str] = {}
    for label, value in _label_values(doc, find_tables(doc) if tables is None else tables):
        key = _field_of(label)
        if key is None or key in found:
            continue
        value = value.strip().strip("`").strip()
        if not value or is_placeholder(value) or ("[" in value and "](" not in value):
            continue
        if key == "incident_date" and parse_date(value, order=order) is None:
            continue
        if key == "incident_id":
            match = _ID_VALUE.search(value)
            if match is None:
                continue
            value = match.group(1)
        found[key] = value
        if len(found) == len(_LABELS):
            break  # every field has its value: no later label can change one
    incident_date = None
    if "incident_date" in found:
        parsed = parse_date(found["incident_date"], order=order)
        incident_date = parsed.value if parsed else None
    if incident_date is None:
        from_name = parse_date(doc.path.stem.replace("_", " "), order=order)
        incident_date = from_name.value if from_name else None
    title = found.get("title") or _first_h1(doc)
    return Metadata(found.get("incident_id"), incident_date, found.get("severity"), title)


_SPACES = re.compile(r"\s+")


# Cached: the same few labels ("Date", "Owner", "Severity") come back in document after document.
@lru_cache(maxsize=4096)
def _field_of(label: str) -> str | None:
    normal = _SPACES.sub(" ", strip_markdown(label).casefold()).strip(" :")
    for key, names in _LABELS.items():
        if normal in names:
            return key
    return None


def _label_values(doc: Document, tables: list[Table]) -> Iterator[tuple[str, str]]:
    """Every (label, value) pair in document order of the places: front matter, tables, lines.

    A generator, so that reading stops once every field has a value.
    """
    yield from _front_matter(doc)
    for table in tables:
        if table.header.width == 2:
            for row in (table.header, *table.rows):
                if row.width == 2:
                    cells = row.texts
                    yield cells[0], cells[1]
    texts = doc.texts
    skipped = doc.hidden | table_lines(tables)
    for index in doc.indexes_starting(_MAY_BE_LABEL):
        if index + 1 in skipped:
            continue
        text = texts[index]
        if ":" not in text:
            continue
        bold = _BOLD_LABEL.match(text)
        if bold:
            yield bold.group(1), bold.group(2)
        else:
            yield from _plain_labels(text)


def _plain_labels(text: str) -> list[tuple[str, str]]:
    """``Date: 2024-01-15 Authors: @a Severity: SEV2`` → each label with the text up to the next.

    Labels count only when the first begins the line (its match, which takes the white space
    before a label, starts at offset 0 or 1).
    """
    found = list(_PLAIN_LABEL.finditer(text))
    if not found or found[0].start() > 1:
        return []
    ends = [label.start() for label in found[1:]] + [len(text)]
    return [(label.group(1), text[label.end() : end].strip(" |")) for label, end in zip(found, ends)]


def _front_matter(doc: Document) -> list[tuple[str, str]]:
    texts = doc.texts
    if not texts or texts[0].strip() != "---":
        return []
    pairs = []
    for text in texts[1:]:
        if text.strip() in ("---", "..."):
            break
        key, sep, value = text.partition(":")
        if sep and not key.startswith((" ", "\t", "-")):
            pairs.append((key.replace("_", " "), value.strip().strip("'\"")))
    return pairs


_H1 = re.compile(r"#\s+\S")
_MAY_BE_H1 = re.compile(r"\n#")


def _first_h1(doc: Document) -> str | None:
    for index in doc.indexes_starting(_MAY_BE_H1):
        if not doc.is_hidden(index + 1) and _H1.match(doc.texts[index]):
            return strip_markdown(doc.texts[index].lstrip("#").strip()) or None
    return None
