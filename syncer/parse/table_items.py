"""Action items read from tables: which tables hold action items, and what each row says.

A table is an action table when its header maps to an action-like column plus at least one field
column (:func:`is_action_table`); each row becomes an :class:`~syncer.model.ActionItem` anchored
to its cells (:class:`~syncer.model.TableAnchor`). :func:`parse_items` is the parser's entry: it
reads the metadata, the tables and the outline; :func:`syncer.parse.list_items.parse_list_items`
then adds the items written as lists (:mod:`syncer.parse.extract` runs both).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from operator import itemgetter
from pathlib import Path

from syncer.markdown.document import Document
from syncer.markdown.inline import (
    PARENTHESES_OR_SKIP,
    link_text,
    strip_markdown,
    sub_kept,
    unwrap_emphasis,
)
from syncer.markdown.outline import Outline, build_outline
from syncer.markdown.tables import Row, Table, find_tables, table_lines
from syncer.model import ActionItem, Diagnostic, ParsedDocument, TableAnchor, TicketRef
from syncer.parse.metadata import read_metadata
from syncer.parse.values import (
    MAY_BE_PLACEHOLDER,
    DateOrder,
    StatusMatch,
    StatusVocabulary,
    is_empty_value,
    is_fill_in,
    is_placeholder,
    parse_date,
    parse_status,
    parse_ticket,
    read_ticket,
)

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
        section = _section(outline, table.first_line)
        read = read_table(doc.path, table, columns, section, metadata.incident_date, options)
        items.extend(read.items)
        templates.extend(read.templates)
        diagnostics.extend(read.diagnostics)
    return ParsedDocument(
        doc, metadata, tuple(items), tuple(templates), tuple(diagnostics),
        tuple(tables), tuple(action_tables), outline,
    )


@dataclass(frozen=True)
class TableRead:
    """What one action-item table holds: its items, the lines of its template rows, and what
    reading it noticed."""

    items: tuple[ActionItem, ...]
    templates: tuple[int, ...]
    diagnostics: tuple[Diagnostic, ...]


def read_table(
    path: Path,
    table: Table,
    columns: dict[str, int],
    section: str | None,
    incident_date: date | None,
    options: ParseOptions,
) -> TableRead:
    """The items of one action-item table whose ``columns`` hold which field."""
    diagnostics: list[Diagnostic] = []
    if not table.rows:
        diagnostics.append(Diagnostic(
            path, table.first_line, "warning", "empty-table",
            "action-item table has a header but no rows",
        ))
    reader = _TableReader(path, table, columns, section, incident_date, options)
    items: list[ActionItem] = []
    templates: list[int] = []
    for item in reader.items(diagnostics):
        if is_template_row(item):
            templates.append(item.line)
        else:
            items.append(item)
    if table.rows and not items and not templates:
        diagnostics.append(Diagnostic(
            path, table.first_line, "warning", "empty-table", "action-item table has no filled rows",
        ))
    return TableRead(tuple(items), tuple(templates), tuple(diagnostics))


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
    "and", "the", "s", "to", "for",
))
_HEADER_WORDS = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1024)
def names_ticket_column(name: str) -> bool:
    """Whether a normalised header (see :func:`normalise_header`) names a ticket column."""
    words = [_singular(word) for word in _HEADER_WORDS.findall(name)]
    return any(word in _TICKET_NOUNS for word in words) and all(
        word in _TICKET_NOUNS or word in _TICKET_QUALIFIERS for word in words
    )


# The words of a header that names the work itself, beyond the title synonyms: read only under
# a heading that names action items (see syncer.parse.table_sections), where "Planned change",
# "Fix" or "What we will do" can only be the work; elsewhere a "Change" column is as likely a
# timeline's. Words that say the work is done ("Action taken", "Changes made") name none.
_ACTION_NOUNS = frozenset((
    "action", "task", "todo", "fix", "improvement", "remediation", "followup", "follow", "step",
    "work", "change", "measure", "countermeasure", "mitigation", "deliverable", "item",
))
_PAST_WORDS = frozenset(("taken", "done", "made", "applied", "performed", "completed", "happened"))


@lru_cache(maxsize=1024)
def names_action_column(name: str) -> bool:
    """Whether a normalised header names the work to do: an action noun (``Improvement``,
    ``Planned change``) or what we will do (``What we will do``, ``What we'll change``)."""
    words = [_singular(word) for word in _HEADER_WORDS.findall(name)]
    if not words or any(word in _PAST_WORDS for word in words):
        return False
    if words[0] == "what" and ("will" in words or "ll" in words or "do" in words):
        return True
    return any(word in _ACTION_NOUNS for word in words)


def section_table_columns(headers: tuple[str, ...], lookup: Mapping[str, str]) -> dict[str, int] | None:
    """The columns of a table that holds action items when it stands under a heading that names
    them: a title column (a synonym, or the first header that :func:`names_action_column`)
    and whatever else maps; None when no column names the work."""
    columns = _map_columns(headers, lookup)
    if "title" not in columns:
        taken = set(columns.values())
        named = (i for i, h in enumerate(headers)
                 if i not in taken and names_action_column(normalise_header(h)))
        title = next(named, None)
        if title is None:
            return None
        columns["title"] = title
    return columns


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def is_action_table(columns: Mapping[str, int]) -> bool:
    """An action-item table has a title column and at least one column that tracks work."""
    return "title" in columns and any(
        f in columns for f in ("owner", "due", "status", "priority", "ticket")
    )


def is_template_row(item: ActionItem) -> bool:
    """Whether a table item is a template's example row rather than work: its action is a
    fill-in (``[Action]``, ``...``, ``??``, ``TBD``, ``describe here``), or every other cell
    that holds anything holds a placeholder, two at least (``| Add a canary | <owner> | ... |``).
    A row with one placeholder beside real values is work whose placeholder check reports."""
    if "title" in item.placeholders or is_fill_in(item.title):
        return True
    anchor = item.anchor
    assert isinstance(anchor, TableAnchor)
    title = anchor.columns["title"]
    others = [text for at, text in enumerate(anchor.row.texts) if text and at != title]
    return len(others) >= 2 and all(map(is_placeholder, others))


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

    def status(
        self, cells: Sequence[str], status_text: str, ticket_text: str
    ) -> tuple[StatusMatch | None, str | None]:
        """A row's status and its raw text: its Status cell's; else, in a table without a Status
        column, a status written where the template has room for it: "n/a DONE" or "TODO" in
        the bug column, or a cell of another column that opens with one (``Done``,
        ``[Done](…)``, ``Merged, see notes``)."""
        vocabulary = self.options.status_vocabulary
        stated = parse_status(status_text, vocabulary) if status_text else None
        raw = unwrap_emphasis(status_text) or None
        if ticket_text and stated is None and parse_ticket(ticket_text) is None:
            stated = parse_status(ticket_text, vocabulary)
            raw = stated.raw if stated else None
        if raw is None and "status" not in self.columns:
            others = self.reference_columns[:-1]  # the title comes last
            found = (_opening_status(cells[at], vocabulary) for at in others if at < len(cells))
            stated = next(filter(None, found), None)
            raw = stated.raw if stated else None
        return stated, raw

    def ragged(self, row: Row) -> Diagnostic:
        """The warning for a row without as many cells as the header; a short row that opens
        with a pipe and lacks the closing one looks hard-wrapped (see syncer.markdown.tables._wrapped)."""
        count, width, line = row.width, self.width, row.index + 1
        if count < width and row.closing_pipe is None and row.line.text.lstrip()[:1] == "|":
            return Diagnostic(
                self.path, line, "warning", "wrapped-row",
                f"row has {count} of the header's {width} cells and no closing pipe: it looks "
                "hard-wrapped, but pmsync cannot tell where it ends; join it onto one line",
            )
        return Diagnostic(
            self.path, line, "warning", "ragged-row", f"row has {count} cells, the header has {width}"
        )

    def item(self, row: Row, diagnostics: list[Diagnostic]) -> ActionItem | None:
        """The item in ``row``; None for a row without one. Problems go to ``diagnostics``."""
        line = row.index + 1
        texts = row.texts  # each trimmed, so a blank cell is ""
        count = len(texts)
        width = self.width
        if count != width:
            diagnostics.append(self.ragged(row))
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
        status, status_raw = self.status(cells, status_text, ticket_text)
        ticket = parse_ticket(ticket_text) if ticket_text else None
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


# The most words of a cell that states a status beside a remark ("Done, see the runbook PR").
_STATUS_CELL_WORDS = 6


def _opening_status(text: str, vocabulary: StatusVocabulary) -> StatusMatch | None:
    """The status a short cell opens with (``Done``, ``[Merged](…) in 2.3``), or None: a
    longer text, or one with the status word further in, is a remark."""
    plain = strip_markdown(text).strip()
    if not plain or len(plain.split()) > _STATUS_CELL_WORDS:
        return None
    stated = parse_status(plain, vocabulary)
    return stated if stated is not None and plain.casefold().startswith(stated.raw.casefold()) else None


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
