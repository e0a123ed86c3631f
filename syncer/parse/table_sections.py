"""Tables read by the section they stand in, and what a section that names action items tells
the user when pmsync reads nothing in it.

* A table whose columns name the work (``Action``, ``What we will do``, ``Improvement``) but no
  owner, due date, priority, status or ticket is an action-item table when it stands in an
  action section (see :func:`syncer.parse.sections.action_place`). As for lists, a document
  that keeps its action items in a tracked table has said where they live: such a table is then
  read only in that table's section.
* A status sub-heading in an action section (``Completed``, ``In progress``) gives its status
  to the rows under it that state none, as it does to list items.
* A heading that names action items under which nothing is read, and a list or table passed
  over because the document keeps its action items in a table elsewhere, are warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from syncer.markdown.outline import Heading
from syncer.markdown.tables import Table
from syncer.model import ActionItem, Diagnostic, ParsedDocument, TableAnchor
from syncer.parse.annotations import heading_status
from syncer.parse.sections import Sections, action_place, is_action_heading
from syncer.parse.table_items import ParseOptions, read_table, section_table_columns
from syncer.parse.values import StatusMatch

SKIPPED_TABLE = "skipped-table"


def read_section_tables(
    parsed: ParsedDocument, sections: Sections, options: ParseOptions
) -> ParsedDocument:
    """``parsed`` with the tables its action sections make action-item tables, and the status
    sub-headings of those sections given to the table rows under them."""
    tracked = parsed.action_tables  # tables that are action tables by their columns alone
    roots = {sections.root_line(t.first_line) for t in tracked}
    read_tables = list(tracked)
    items, templates = list(parsed.items), list(parsed.template_rows)
    diagnostics = list(parsed.diagnostics)
    for table in parsed.tables:
        if table in tracked:
            continue
        place = action_place(sections.enclosing(table.first_line))
        columns = section_table_columns(table.header.texts, options.column_lookup) if place else None
        if place is None or columns is None:
            continue
        if tracked and place[-1].line not in roots:
            diagnostics.append(_skipped(parsed, table.first_line, place[-1], tracked, "table"))
            continue
        heading = parsed.outline.section_of(table.first_line)
        read = read_table(
            parsed.doc.path, table, columns, heading.text if heading else None,
            parsed.metadata.incident_date, options,
        )
        read_tables.append(table)
        items.extend(read.items)
        templates.extend(read.templates)
        diagnostics.extend(read.diagnostics)
    statuses = {
        t.first_line: _section_status(action_place(sections.enclosing(t.first_line)))
        for t in read_tables
    }
    return replace(
        parsed,
        items=tuple(sorted((_with_status(item, statuses) for item in items), key=_line_of)),
        template_rows=tuple(sorted(templates)),
        diagnostics=tuple(diagnostics),
        action_tables=tuple(sorted(read_tables, key=lambda t: t.first_line)),
    )


def _with_status(item: ActionItem, statuses: dict[int, StatusMatch | None]) -> ActionItem:
    """A table item that states no status of its own takes the one its table's status
    sub-heading gives (``statuses`` by the table's first line)."""
    if item.status_raw is not None or not isinstance(item.anchor, TableAnchor):
        return item
    status = statuses.get(item.anchor.table.first_line)
    if status is None:
        return item
    return replace(item, status=status.status, status_raw=status.raw)


def _line_of(item: ActionItem) -> int:
    return item.line


def _section_status(place: Sequence[Heading] | None) -> StatusMatch | None:
    """The status the innermost heading of an action section that states one gives."""
    return next(filter(None, map(heading_status, (h.text for h in place or ()))), None)


def _skipped(
    parsed: ParsedDocument, where: int, root: Heading, tracked: Sequence[Table], what: str
) -> Diagnostic:
    """The warning for a list or table at line ``where``, in the action section under ``root``,
    passed over because the document keeps its action items in ``tracked`` tables elsewhere; it
    names the nearest one above."""
    above = [t for t in tracked if t.first_line < where]
    kept = above[-1] if above else tracked[0]
    return Diagnostic(
        parsed.doc.path, where, "warning", f"skipped-{what}",
        f"{what} under {root.text!r} is not read as action items: this document keeps them in "
        f"the table at line {kept.first_line}; add these there or move them into its section",
    )


def section_warnings(
    parsed: ParsedDocument, sections: Sections, entry_lines: Iterable[int]
) -> ParsedDocument:
    """``parsed`` with a warning for each heading that names action items and has nothing read
    under it: a list there passed over for the document's action-item table (``skipped-list``,
    at the list), else the heading itself (``unread-section``)."""
    read: set[int] = set()
    done = (  # what the user sees pmsync took up (an action table without items says so)
        *(item.line for item in parsed.items), *parsed.template_rows,
        *(t.first_line for t in parsed.action_tables),
        *(d.line for d in parsed.diagnostics if d.code == SKIPPED_TABLE and d.line),
    )
    for line in done:
        read.update(h.line for h in sections.enclosing(line))
    listed: dict[int, int] = {}  # action heading line -> first list entry in its section
    for line in entry_lines:
        for heading in action_place(sections.enclosing(line)) or ():
            listed.setdefault(heading.line, line)
    warnings = {  # one warning a line: nested headings above one list name it once
        (found := _unread(parsed, sections, index, listed.get(heading.line))).line: found
        for index, heading in reversed(list(enumerate(sections.headings)))
        if heading.line not in read and heading.kind != "title" and is_action_heading(heading.text)
    }
    if not warnings:
        return parsed
    return replace(parsed, diagnostics=(*parsed.diagnostics, *sorted(warnings.values(), key=_line)))


def _line(diagnostic: Diagnostic) -> int:
    return diagnostic.line or 0


def _unread(
    parsed: ParsedDocument, sections: Sections, index: int, listed: int | None
) -> Diagnostic:
    heading = sections.headings[index]
    if listed is not None and parsed.action_tables:
        return _skipped(parsed, listed, heading, parsed.action_tables, "list")
    if _has_pipes(parsed, sections, index):
        advice = ("the table there is not one pmsync can read: put its header row and its "
                  "delimiter row (|---|) each on a line of its own")
    else:
        advice = "write them as a list, or as a table with an action column"
    return Diagnostic(
        parsed.doc.path, heading.line, "warning", "unread-section",
        f"{heading.text!r} names action items, but pmsync reads none under it: {advice}",
    )


def _has_pipes(parsed: ParsedDocument, sections: Sections, index: int) -> bool:
    """Whether a visible line of the section under heading ``index`` holds a pipe."""
    heading = sections.headings[index]
    later = (h.line for h in sections.headings[index + 1:] if h.level <= heading.level)
    end = next(later, len(parsed.doc.texts) + 1)
    hidden = parsed.doc.hidden
    return any(
        "|" in parsed.doc.texts[number - 1]
        for number in range(heading.line + 1, end) if number not in hidden
    )
