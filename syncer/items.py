"""The action-item model, and extraction of items from action-item tables.

An :class:`ActionItem` carries each value next to the raw text it came from, and an *anchor* that
tells write-back where the item lives: a table row (:class:`TableAnchor`) or a list item
(:class:`ListAnchor`). Everything downstream (check, plan, push, pull, report) works on items and
never needs to know which kind it has.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Literal

from syncer.document import Document
from syncer.metadata import Metadata, read_metadata
from syncer.normalize import (
    MAY_BE_PLACEHOLDER,
    PARENTHESES_OR_SKIP,
    DateOrder,
    Status,
    StatusVocabulary,
    TicketRef,
    is_empty_value,
    is_placeholder,
    link_text,
    owner_handle,
    parse_date,
    parse_status,
    parse_ticket,
    read_ticket,
    strip_markdown,
    sub_kept,
)
from syncer.outline import Outline, build_outline
from syncer.tables import Row, Table, find_tables, table_lines

FIELDS = ("title", "owner", "due", "priority", "status", "ticket", "id", "tracker")

DEFAULT_COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": (
        "action", "description", "action item", "task", "item", "follow-up", "follow up",
        "followup", "remediation", "title", "summary", "action point", "corrective action",
        "preventive action", "remediation item", "what", "todo", "to do", "work item",
    ),
    "owner": (
        "owner", "assignee", "responsible", "who", "dri", "assigned to", "owned by", "lead",
        "responsible party", "owner/team", "team",
    ),
    "due": (
        "due", "due date", "deadline", "target date", "eta", "by", "target", "due by", "when",
        "date due", "target completion", "completion date", "by when",
    ),
    "priority": ("priority", "pri", "p", "prio", "importance"),
    "status": ("status", "state", "progress", "done"),
    "ticket": (
        "ticket", "issue", "bug", "link", "tracking", "jira", "github", "ticket/link",
        "issue link", "jira ticket", "github issue", "tracking issue", "reference", "pr",
    ),
    "id": ("id", "#", "ref", "no", "no.", "number", "item #", "ai", "nr"),
    "tracker": ("tracker", "system", "destination"),
}


@dataclass(frozen=True)
class ParseOptions:
    """What extraction can be configured with."""

    column_synonyms: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_COLUMN_SYNONYMS
    )
    status_vocabulary: StatusVocabulary = field(default_factory=StatusVocabulary.default)
    date_order: DateOrder = "MDY"

    @cached_property
    def column_lookup(self) -> dict[str, str]:
        """Field name by folded column name (built once per options, not once per table)."""
        return _column_lookup(self.column_synonyms)


@dataclass(frozen=True, slots=True)
class TableAnchor:
    """Where a table item lives: its table, its row, and which cell holds which field."""

    table: Table
    row: Row
    columns: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ListAnchor:
    """Where a list item lives: its lines, and the span of its checkbox when it has one.

    ``first_line`` holds the marker (or the label of a labelled paragraph); ``last_line`` is the
    last line of the item's own text, before any nested item, where write-back appends a link.
    """

    first_line: int
    last_line: int
    checkbox: tuple[int, int] | None = None  # offsets of the mark character within first_line


Anchor = TableAnchor | ListAnchor

# With a ``skip`` alternative for sub_kept (see normalize.MD_LINK_OR_SKIP), which leaves the
# "(" of a failed "](" alone (it may open the next link) and takes a run of white space that
# opens no link at once (from wherever in the run it starts, it fails the same way).
_APPENDED_LINK_OR_SKIP = re.compile(
    r"\s*\(\[[^\]]*\]\([^)\s]*\)\)$|(?P<skip>\s*\(\[[^\]]*(?:\](?:\([^)\s]*\])?)?|\s+)"
)
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"\W+")


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One action item, each value beside the raw text it was read from."""

    file: Path
    line: int
    kind: Literal["table", "list"]
    section: str | None
    title: str
    anchor: Anchor
    id: str | None = None
    owner: str | None = None
    due: date | None = None
    due_raw: str | None = None
    priority: str | None = None
    status: Status | None = None
    status_raw: str | None = None
    ticket: TicketRef | None = None
    ticket_raw: str | None = None
    tracker: str | None = None
    placeholders: tuple[str, ...] = ()  # fields still holding a template placeholder

    @property
    def owner_handle(self) -> str | None:
        """The ``@handle`` in the owner text, if any."""
        return owner_handle(self.owner) if self.owner else None

    @property
    def own_title(self) -> str:
        """The title as people wrote it: without the link write-back appends to a list item."""
        if self.kind != "list":
            return self.title
        return sub_kept(_APPENDED_LINK_OR_SKIP, "", self.title)

    @property
    def key(self) -> str:
        """A stable key for this item within its document: its id, else a digest of its title."""
        if self.id:
            return "id:" + _SPACES.sub("-", self.id.strip().casefold())
        # Write-back appends " ([KEY](url))" to a list item's text; the key must not change.
        title = self.own_title
        plain = _NON_WORD.sub(" ", strip_markdown(title).casefold()).strip()
        return "t:" + hashlib.sha256(plain.encode()).hexdigest()[:12]

    def to_json(self) -> dict[str, object]:
        """The machine-readable form used by ``pmsync items --format json``."""
        return {
            "file": str(self.file),
            "line": self.line,
            "kind": self.kind,
            "section": self.section,
            "id": self.id,
            "key": self.key,
            "title": self.title,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "due_raw": self.due_raw,
            "priority": self.priority,
            "status": self.status.value if self.status else None,
            "status_raw": self.status_raw,
            "ticket": self.ticket.display() if self.ticket else self.ticket_raw,
            "ticket_raw": self.ticket_raw,
            "tracker": self.tracker,
        }


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem or remark about one place in a document."""

    file: Path
    line: int | None
    severity: Literal["error", "warning", "info"]
    code: str
    message: str

    def location(self) -> str:
        """``file:line`` (or just the file)."""
        return f"{self.file}:{self.line}" if self.line else str(self.file)


@dataclass(frozen=True)
class ParsedDocument:
    """A document with its metadata, its action items and what extraction noticed."""

    doc: Document
    metadata: Metadata
    items: tuple[ActionItem, ...]
    template_rows: tuple[int, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    tables: tuple[Table, ...] = ()  # every table, action-item or not
    action_tables: tuple[Table, ...] = ()
    outline: Outline = field(default_factory=lambda: Outline(()))  # table rows never headings


def parse_items(doc: Document, options: ParseOptions | None = None) -> ParsedDocument:
    """Read a document's metadata and every action item in it."""
    options = options or ParseOptions()
    tables = find_tables(doc)
    metadata = read_metadata(doc, options.date_order, tables)
    outline = build_outline(doc, skip=table_lines(tables))
    diagnostics = [Diagnostic(doc.path, None, "warning", "encoding", w) for w in doc.warnings]
    items: list[ActionItem] = []
    templates: list[int] = []
    action_tables: list[Table] = []
    for table in tables:
        columns = _map_columns(table.header.texts, options.column_lookup)
        if not is_action_table(columns):
            continue
        action_tables.append(table)
        if not table.rows:
            diagnostics.append(Diagnostic(
                doc.path, table.first_line, "warning", "empty-table",
                "action-item table has a header but no rows",
            ))
        section = _section(outline, table.first_line)
        reader = _TableReader(doc.path, table, columns, section, metadata.incident_date, options)
        for item in reader.items(diagnostics):
            if "title" in item.placeholders:  # the title is a template's fill-in slot
                templates.append(item.line)
            else:
                items.append(item)
    return ParsedDocument(
        doc, metadata, tuple(items), tuple(templates), tuple(diagnostics),
        tuple(tables), tuple(action_tables), outline,
    )


@lru_cache(maxsize=1024)
def normalise_header(text: str) -> str:
    """A header cell reduced for synonym matching: ``**Due Date (UTC)**`` → ``due date``."""
    text = strip_markdown(text).casefold()
    text = sub_kept(PARENTHESES_OR_SKIP, " ", text)
    if text.strip() in ("#", "no.", "item #"):
        return text.strip()
    text = re.sub(r"[^\w/#+-]+", " ", text)
    return re.sub(r"\s+", " ", text).strip(" -")


def map_columns(headers: tuple[str, ...], synonyms: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Which column holds which field; the first column that matches a field wins it."""
    return _map_columns(headers, _column_lookup(synonyms))


def _column_lookup(synonyms: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field_name, names in synonyms.items():
        for name in names:
            lookup.setdefault(name.casefold(), field_name)
    return lookup


def _map_columns(headers: tuple[str, ...], lookup: Mapping[str, str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = normalise_header(header)
        found = lookup.get(name) or lookup.get(name.rstrip("s")) or lookup.get(name + "s")
        if not found and "ticket" in lookup.values() and names_ticket_column(name):
            found = "ticket"
        if found and found not in columns:
            columns[found] = index
    return columns


# The words of a ticket column's header, beyond the listed synonyms: a column is a ticket column
# when its header has at least one noun and nothing but nouns and qualifiers ("Tracking bug",
# "Issue #", "Related issue", "PR(s)", "Jira / GitHub link", "Bug ID"), in any case or spacing.
_TICKET_NOUNS = frozenset((
    "ticket", "issue", "bug", "pr", "pull", "jira", "github", "gitlab", "link", "reference",
    "tracking", "mr", "commit",
))
_TICKET_QUALIFIERS = frozenset((
    "related", "linked", "request", "url", "key", "no", "number", "num", "nr", "id", "ref", "or",
    "and", "the", "s",
))
_HEADER_WORDS = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1024)
def names_ticket_column(name: str) -> bool:
    """Whether a normalised header (see :func:`normalise_header`) names a ticket column."""
    words = [_singular(word) for word in _HEADER_WORDS.findall(name)]
    return any(word in _TICKET_NOUNS for word in words) and all(
        word in _TICKET_NOUNS or word in _TICKET_QUALIFIERS for word in words
    )


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def is_action_table(columns: Mapping[str, int]) -> bool:
    """An action-item table has a title column and at least one column that tracks work."""
    return "title" in columns and any(
        f in columns for f in ("owner", "due", "status", "priority", "ticket")
    )


def _section(outline: Outline, line: int) -> str | None:
    heading = outline.section_of(line)
    return heading.text if heading else None


class _TableReader:
    """Turns the rows of one action-item table into items.

    What depends only on the table (which cell holds which field, the section, the anchor's
    column map) is worked out once here rather than once per row.
    """

    def __init__(
        self,
        path: Path,
        table: Table,
        columns: dict[str, int],
        section: str | None,
        incident_date: date | None,
        options: ParseOptions,
    ) -> None:
        self.path = path
        self.table = table
        self.columns = columns  # one map per table, shared by its items' anchors
        self.section = section
        self.incident_date = incident_date
        self.options = options
        self.width = table.header.width
        # The cell index of each field in FIELDS order; -1 (a blank added after the cells,
        # see item()) for a field the table has no column for.
        self.pick = itemgetter(*(columns.get(f, -1) for f in FIELDS))
        self.reference_columns = _reference_columns(self.width, columns)

    def items(self, diagnostics: list[Diagnostic]) -> list[ActionItem]:
        """The items in the table's rows, in order, as :meth:`item` reads each row."""
        return [item for row in self.table.rows if (item := self.item(row, diagnostics)) is not None]

    def cell_reference(self, cells: Sequence[str]) -> tuple[TicketRef | None, str | None]:
        """The first ticket reference in a row's other cells (see :func:`_reference_columns`),
        and the cell that holds it: for a row whose ticket column holds none, or a table
        without one."""
        for at in self.reference_columns:
            text = cells[at] if at < len(cells) else ""
            ticket = read_ticket(text)
            if ticket is not None:
                return ticket, text
        return None, None

    def item(self, row: Row, diagnostics: list[Diagnostic]) -> ActionItem | None:
        """The item in ``row``; None for a row without one. Problems go to ``diagnostics``."""
        line = row.index + 1
        texts = row.texts  # each trimmed, so a blank cell is ""
        count = len(texts)
        width = self.width
        if count != width:
            diagnostics.append(Diagnostic(
                self.path, line, "warning", "ragged-row",
                f"row has {count} cells, the header has {width}",
            ))
        if not any(texts):
            return None
        # Blanks stand in for cells a short row lacks, and one more for the missing columns.
        cells = texts + ("",) * (max(width - count, 0) + 1)
        values = self.pick(cells)
        placeholders = tuple(
            f for f, at in self.columns.items()
            if MAY_BE_PLACEHOLDER.match(cells[at]) and is_placeholder(cells[at])
        )
        title = values[0]
        if not title:
            diagnostics.append(Diagnostic(
                self.path, line, "warning", "no-title", "row has no action text",
            ))
            return None
        if placeholders:  # a field holding a placeholder has no value (the title is kept)
            values = tuple("" if f in placeholders else v for f, v in zip(FIELDS, values))
        _, owner_text, due_raw, priority, status_text, ticket_text, id_text, tracker = values
        options = self.options
        due = parse_date(due_raw, self.incident_date, options.date_order) if due_raw else None
        status = parse_status(status_text, options.status_vocabulary) if status_text else None
        status_raw = status_text or None
        ticket = parse_ticket(ticket_text) if ticket_text else None
        if ticket_text and ticket is None and status is None:
            # Templates without a Status column write "n/a DONE" or "TODO" in the bug column.
            status = parse_status(ticket_text, options.status_vocabulary)
            status_raw = status.raw if status else None
        if ticket is None:
            ticket, ticket_text = self.cell_reference(cells)
        return ActionItem(
            file=self.path,
            line=line,
            kind="table",
            section=self.section,
            title=title,
            anchor=TableAnchor(self.table, row, self.columns),
            id=id_text or None,
            owner=_owner(owner_text) if owner_text else None,
            due=due.value if due else None,
            due_raw=due_raw or None,
            priority=priority or None,
            status=status.status if status else None,
            status_raw=status_raw,
            ticket=ticket,
            ticket_raw=ticket_text if ticket else None,
            tracker=tracker or None,
            placeholders=placeholders,
        )


# Columns whose values have their own meaning and hold no ticket: an ID such as "AI-1" looks
# like a Jira key, a due date "Q3-2025" too.
_NO_REFERENCE_FIELDS = ("ticket", "id", "owner", "due", "priority", "tracker")


def _reference_columns(width: int, columns: Mapping[str, int]) -> tuple[int, ...]:
    """Where a row's ticket may be written outside its ticket column: every column pmsync does
    not map, and the status column, left to right; the title last (a title more often mentions
    other work than it names its own ticket)."""
    skipped = {columns[f] for f in _NO_REFERENCE_FIELDS if f in columns}
    title = columns.get("title")
    others = tuple(i for i in range(width) if i not in skipped and i != title)
    return others + ((title,) if title is not None else ())


@lru_cache(maxsize=4096)
def _owner(text: str) -> str | None:
    """An owner cell's value: the text of a link, None for "n/a", "TBD" and the like."""
    return None if is_empty_value(text) else link_text(text)
