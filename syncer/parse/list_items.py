"""Action items written as lists: bullets, numbered lists, checkboxes, and labelled paragraphs.

Which lists hold action items is decided by the headings above them:

* A list item is read when a heading that contains it names action items: "Action items",
  "Corrective actions", "Follow-ups", "Next steps", "Planned changes", "What we will change"…
  (:func:`syncer.parse.sections.is_action_heading`). Such a section runs to the next heading of
  the same or a higher level, so its sub-headings ("Detection", "Completed") stay inside it. A
  sub-heading that names something else ("Timeline", "Lessons learned", "5 whys") takes its lists out again.
* A document that keeps its action items in a table has already said where they live: its lists
  are read only when they sit in the same action section as such a table. Templates pair an
  action-item table with "Preventive measures" or "Recommendations" lists that are advice, not
  tracked work, and this is what tells the two apart.
* A paragraph or list item that opens with a label (``Action point:``, ``**Action item:**``) is an
  item wherever it is.

Nested items are items of their own, except detail bullets (``- Owner: @bob``, ``- Due: …``),
which fill in the fields of the item they are nested in, and label bullets (``- **Follow-ups
agreed**:``, ``- What went well:``), which are a heading for the items nested in them.

Bold lines and plain title-like lines count as headings (see :mod:`syncer.markdown.outline`), and so do
short label lines ending in a colon that name an action section (``Action items:``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from syncer.markdown.document import Document
from syncer.markdown.inline import link_text, strip_markdown, sub_kept
from syncer.markdown.outline import PSEUDO_LEVEL, Heading, Outline
from syncer.markdown.tables import table_lines
from syncer.model import ActionItem, ListAnchor, ParsedDocument, TicketRef
from syncer.parse.annotations import (
    CHECKED,
    UNCHECKED,
    Lead,
    TitleReading,
    heading_status,
    heading_ticket,
    inline_ticket,
    leading_tag,
    link_definitions,
    may_hold_label,
    read_title,
    resolve_reference_links,
    starts_with_label,
    status_statement,
    strip_lead,
    title_status,
    trailing_status,
    words_status,
)
from syncer.parse.sections import (
    LONGEST_SECTION_NAME,
    NON_ITEM_HEADING,
    Sections,
    action_place,
    is_action_heading,
    reads_like_subheading,
)
from syncer.parse.table_items import ParseOptions
from syncer.parse.table_sections import read_section_tables, section_warnings
from syncer.parse.values import StatusMatch, parse_date, parse_status

_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_=])(?:[ \t]*\1){2,}[ \t]*$")
_CHECKBOX = re.compile(r"\[([ xX])\](?=[ \t]|$)")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
# The first characters, after white space, of the lines that end a paragraph in _continues: a
# thematic break, a link definition, a quote, a table row.
# A line whose plain text (see _label_line) may end with a colon. Making it plain only deletes
# characters: emphasis marks, whitespace at the ends, and links, footnotes and tags in part or
# whole. So the last character of the line that is not whitespace or a mark is either that colon,
# or the last character of what was deleted: ")" of a link or footnote, "^" of a footnote, ">".
_MAY_END_WITH_COLON = re.compile(r"[:)^>][\s*_~`]*$")
# With a ``skip`` alternative for sub_kept (see normalize.MD_LINK_OR_SKIP): every "[" before the
# first "]" fails as the first did, and every one at all once no ")" follows.
_FOOTNOTE_OR_SKIP = re.compile(
    r"\^?\[\[?[^\]]*\]?\]\([^)]*\)\^?|(?P<skip>\^?\[[^\]]*(?:\]\]?\([^)]*)?)"
)
# A nested bullet that only states a field of the item above it.
_DETAIL = re.compile(
    r"^(?:\*\*|__)?(owners?|assignees?|dri|due(?: date)?|deadline|eta|status|tickets?|issues?"
    r"|tracking|jira|bug|priority)(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(?=\S)",
    re.IGNORECASE,
)


class ListEntry(NamedTuple):
    """One list item or labelled paragraph as written: its lines, its text and its checkbox.

    A named tuple, not a dataclass: one is made for every list item of every document, and most
    are thrown away at once (lists outside action sections).
    """

    first_line: int
    last_line: int
    text: str  # the item's first paragraph, wrapped lines joined with single spaces
    checkbox: tuple[int, int] | None = None  # offsets of the mark character within first_line
    checked: bool | None = None
    parent: int | None = None  # first line of the list item this one is nested in


def parse_list_items(parsed: ParsedDocument, options: ParseOptions) -> ParsedDocument:
    """Add the document's list items to ``parsed``; every item, table or list, sorted by line."""
    doc = parsed.doc
    outline_headings = _outline_headings(parsed.outline)
    taken = frozenset(h.line for h in outline_headings) | table_lines(parsed.tables) | doc.hidden
    labels, entries = scan_lines(doc, taken, _first_action_heading(outline_headings))
    # Both lists are in line order; documents without label lines need no sorting.
    headings = sorted([*outline_headings, *labels], key=_line_of) if labels else outline_headings
    sections = Sections.of(headings)
    parsed = read_section_tables(parsed, sections, options)
    if entries:
        parsed = _with_entries(parsed, entries, sections, options)
    return section_warnings(parsed, sections, (entry.first_line for entry in entries))


def _with_entries(
    parsed: ParsedDocument, entries: Sequence[ListEntry], sections: Sections, options: ParseOptions
) -> ParsedDocument:
    """``parsed`` with the items (and template entries) that ``entries`` stand for."""
    found, templates = _read_entries(parsed, entries, sections, options)
    if not found and not templates:
        return parsed
    items = sorted((*parsed.items, *found), key=lambda item: item.line)
    return replace(
        parsed,
        items=tuple(items),
        template_rows=tuple(sorted({*parsed.template_rows, *templates})),
    )


def _first_action_heading(headings: Sequence[Heading]) -> int:
    """The line of the first of ``headings`` that names action items (see action_place), or a
    line past every document's end when none does."""
    for heading in headings:
        if heading.kind != "title" and is_action_heading(heading.text):
            return heading.line
    return _NO_LINE


_NO_LINE = 1 << 62  # a line number past the end of every document


def _read_entries(
    parsed: ParsedDocument, entries: Sequence[ListEntry], sections: Sections, options: ParseOptions
) -> tuple[list[ActionItem], list[int]]:
    """The items the entries stand for, and the first lines of the template entries among them."""
    reader = _EntryReader(parsed, sections, options)
    for position, entry in enumerate(entries):
        reader.read(entry, entries[position + 1] if position + 1 < len(entries) else None)
    return reader.found, reader.templates


class _EntryReader:
    """Reads a document's entries, in line order, into its list items (see _read_entries)."""

    def __init__(self, parsed: ParsedDocument, sections: Sections, options: ParseOptions) -> None:
        self.parsed, self.sections, self.options = parsed, sections, options
        self.table_roots = {sections.root_line(table.first_line) for table in parsed.action_tables}
        self.definitions = _LinkDefinitions(parsed.doc)
        self.found: list[ActionItem] = []
        self.by_line: dict[int, _OpenItem] = {}  # first line of an item -> how it was read
        self.templates: list[int] = []
        # Entries come in line order, and all those up to the next heading share what the
        # headings above them say: the place is worked out again only past that heading.
        self.end = len(parsed.doc.texts) + 1
        self._next_heading = sections.lines[0] if sections.lines else self.end
        self._heading_place = _TOP
        # List items nested in a label bullet ("- **Follow-ups agreed**:"), and the headings
        # (that label first, innermost first) that the entries nested in them are under.
        self._labelled: dict[int, list[Heading]] = {}

    def read(self, entry: ListEntry, following: ListEntry | None) -> None:
        """Read ``entry``; ``following`` is the next entry, if any."""
        parent = self.by_line.get(entry.parent) if entry.parent is not None else None
        if parent is not None and self._fills_in(parent, entry):
            return
        place = self._place(entry, following)
        if place is None or (place.action is None and not may_hold_label(entry.text)):
            return  # a label bullet, or out of scope and without a label that would bring it in
        lead = strip_lead(entry.text, self.options.status_vocabulary)
        if not _in_scope(lead, place.action, self.table_roots):
            return
        reading = read_title(lead.title)
        if not reading.plain:
            return
        if reading.placeholder:
            self.templates.append(entry.first_line)
            return
        written = _OpenItem(len(self.found), entry, lead, reading, place)
        self.by_line[entry.first_line] = written
        until = following.first_line if following is not None else self.end
        below = _below(self.parsed.doc, entry, until, self.definitions)
        self.found.append(_list_item(self.parsed, written, below, self.definitions, self.options))

    def _fills_in(self, parent: _OpenItem, entry: ListEntry) -> bool:
        """Whether ``entry``, nested in the item ``parent``, only states a field of it
        (``- Owner: @bob``, ``- Already completed.``); that field of the item is filled in.
        Such a detail bullet is no item of its own."""
        detail = _DETAIL.match(entry.text)
        stated = status_statement(entry.text) if detail is None else None
        if detail is None and stated is None:
            return False
        item = self.found[parent.position]
        if detail is not None:
            item = _with_detail(item, parent, detail, self.parsed, self.definitions, self.options)
        else:
            status = _status(parent, self.options, stated)
            ticket = item.ticket or _ticket(entry.text, self.definitions)
            item = replace(
                item,
                status=status.status if status else None,
                status_raw=status.raw if status else None,
                ticket=ticket,
                ticket_raw=_ticket_raw(ticket),
            )
        self.found[parent.position] = item
        return True

    def _place(self, entry: ListEntry, following: ListEntry | None) -> _Place | None:
        """Where ``entry`` stands: under the headings above it and the label bullets it is
        nested in. None when it is a label bullet itself, whose nested entries are its items."""
        outer = self._labelled.get(entry.parent) if entry.parent is not None else None
        has_children = following is not None and following.parent == entry.first_line
        label = _bullet_label(entry) if has_children else None
        if label is not None:
            chain = outer if outer is not None else self.sections.enclosing(entry.first_line)
            self._labelled[entry.first_line] = [label, *chain]
            return None
        if outer is None:
            return self._under_headings(entry.first_line)
        self._labelled[entry.first_line] = outer
        return _Place.of(outer)

    def _under_headings(self, line: int) -> _Place:
        """The place that the headings above ``line`` make."""
        if line > self._next_heading:
            lines = self.sections.lines
            under = bisect_left(lines, line)
            self._next_heading = lines[under] if under < len(lines) else self.end
            self._heading_place = _Place.of(self.sections.enclosing(line))
        return self._heading_place


def _bullet_label(entry: ListEntry) -> Heading | None:
    """The section a list item with nested items names when it is their label, as a heading:
    its text ends in a colon or is wholly bold, and names a section (``- **Follow-ups
    agreed**:``, ``- What went well:``) or a sub-heading of one (``- Done:``, ``- Detection:``),
    whose status the nested items inherit."""
    text = entry.text
    if entry.checkbox is not None or (":" not in text and not text.startswith(("**", "__"))):
        return None
    if text.startswith(("**", "__")) and text.endswith(("**", "__")):
        text += ":"
    name = _label_name(text) or _subheading_name(text)
    return Heading(entry.first_line, PSEUDO_LEVEL, name, "label") if name is not None else None


def _subheading_name(text: str) -> str | None:
    """The name of a short label (``Done:``, ``**In progress:**``) that reads like a sub-heading
    of an action section (see reads_like_subheading)."""
    plain = strip_markdown(text)
    if not plain.endswith(":") or len(plain.split()) > 4:
        return None
    name = plain.rstrip(":").strip()
    return name if reads_like_subheading(name) else None


class _Place(NamedTuple):
    """What the headings above a line say about the entries there."""

    section: str | None  # the innermost heading's text
    action: list[Heading] | None  # see action_place: None outside action sections
    status: StatusMatch | None  # the status a sub-heading gives the items under it
    ticket: TicketRef | None  # the ticket a sub-heading links to

    @classmethod
    def of(cls, chain: list[Heading]) -> _Place:
        """The place under ``chain`` (innermost heading first)."""
        action = action_place(chain)
        # Sub-headings pass their status and ticket down only inside an action section.
        inherited = action or []
        return cls(
            chain[0].text if chain else None,
            action,
            _heading_status(inherited),
            _heading_ticket(inherited),
        )


_TOP = _Place(None, None, None, None)  # _Place.of([]): above the first heading


_line_of = attrgetter("line")


class _LinkDefinitions:
    """A document's reference-style link definitions, read the first time they are asked for:
    only a text with a bracket needs them (see _ticket), and most documents have none."""

    __slots__ = ("_doc", "_found")

    def __init__(self, doc: Document) -> None:
        self._doc = doc
        self._found: dict[str, str] | None = None

    def __call__(self) -> dict[str, str]:
        if self._found is None:
            self._found = link_definitions(self._doc)
        return self._found


def _in_scope(lead: Lead, place: Sequence[Heading] | None, table_roots: set[int | None]) -> bool:
    """Whether an entry is an action item by where it stands (see the module docstring)."""
    if lead.labelled:
        return True
    if place is None:
        return False
    # A document with an action-item table keeps its items there, or beside it.
    return not table_roots or place[-1].line in table_roots


class _OpenItem(NamedTuple):
    """An entry read as an item, and what its fields are read from: detail bullets nested in it
    come later (see _EntryReader._fills_in)."""

    position: int  # in the reader's found items
    entry: ListEntry
    lead: Lead
    reading: TitleReading  # what its title says
    place: _Place


class _Below(NamedTuple):
    """What the lines of an item below its first line say: a status in a sentence of its own
    (``Already completed.``), and a ticket in a later paragraph."""

    status: StatusMatch | None = None
    ticket: TicketRef | None = None


def _list_item(
    parsed: ParsedDocument,
    written: _OpenItem,
    below: _Below,
    definitions: _LinkDefinitions,
    options: ParseOptions,
) -> ActionItem:
    """The item an entry in scope stands for."""
    entry, lead, reading, place = written.entry, written.lead, written.reading, written.place
    title = lead.title
    status = _status(written, options, below.status)
    ticket = (
        (reading.ticket if "[" not in title else _ticket(title, definitions))
        or place.ticket
        or below.ticket
    )
    due = (
        parse_date(reading.due_raw, parsed.metadata.incident_date, options.date_order)
        if reading.due_raw is not None
        else None
    )
    return ActionItem(
        file=parsed.doc.path,
        line=entry.first_line,
        kind="list",
        section=place.section,
        title=title,
        anchor=ListAnchor(entry.first_line, entry.last_line, entry.checkbox),
        owner=reading.owner or _tag_owner(title, definitions),
        due=due.value if due else None,
        due_raw=reading.due_raw,
        priority=lead.priority,
        status=status.status if status else None,
        status_raw=status.raw if status else None,
        ticket=ticket,
        ticket_raw=_ticket_raw(ticket),
    )


def _tag_owner(title: str, definitions: _LinkDefinitions) -> str | None:
    """The owner a tag that opens the title names (``[Platform] Investigate …``, see
    leading_tag), unless the tag is a reference-style link to a definition in the document."""
    tag = leading_tag(title)
    if tag is None:
        return None
    shortcut = f"[{tag}]"
    return tag if resolve_reference_links(shortcut, definitions()) == shortcut else None


def _ticket_raw(ticket: TicketRef | None) -> str | None:
    return (ticket.url or ticket.key) if ticket else None


def _below(doc: Document, entry: ListEntry, until: int, definitions: _LinkDefinitions) -> _Below:
    """What the item's lines below its first line say (see :class:`_Below`): the lines that
    continue its first paragraph, and its later paragraphs before line ``until`` (the next
    entry). A status sentence there opens with a capital, as a sentence does: "Completed.", not
    the "done." that ends a wrapped "when the migration is done.".
    """
    texts = doc.texts
    status: StatusMatch | None = None
    for text in texts[entry.first_line:entry.last_line]:
        status = _stated_on(text)
        if status is not None:
            break
    if entry.last_line >= min(until - 1, len(texts)):
        return _Below(status)  # the usual item: the next entry follows on the next line
    ticket: TicketRef | None = None
    for text in _later_lines(doc, entry, until):
        status = status or _stated_on(text)
        ticket = ticket or _ticket(text, definitions)
    return _Below(status, ticket)


def _stated_on(text: str) -> StatusMatch | None:
    """The status a line of an item below its first states, opening a sentence."""
    stripped = text.strip()
    return status_statement(stripped) if stripped[:1].isupper() else None


def _later_lines(doc: Document, entry: ListEntry, until: int) -> list[str]:
    """The visible lines of the item's later paragraphs: the lines after its first paragraph
    and before line ``until`` that are still indented under it, past blank lines, images and
    code blocks (whose contents do not count)."""
    texts = doc.texts
    marker = _MARKER.match(texts[entry.first_line - 1])
    if marker is None:
        return []  # a labelled paragraph: nothing is indented under it
    column = len(marker.group("indent").expandtabs(4))
    lines: list[str] = []
    for number in range(entry.last_line + 1, min(until, len(texts) + 1)):
        text = texts[number - 1]
        if not text.strip():
            continue
        expanded = text.expandtabs(4)
        if len(expanded) - len(expanded.lstrip()) <= column:
            break  # the item ended: a line not indented past its marker
        if number not in doc.hidden:
            lines.append(text)
    return lines


def _ticket(text: str, definitions: _LinkDefinitions) -> TicketRef | None:
    """The first ticket ``text`` refers to, reference-style links resolved.

    Every reference-style link holds a bracket: without one, the document's definitions need
    not be read.
    """
    return inline_ticket(text, definitions() if "[" in text else {})


def _with_detail(
    item: ActionItem,
    parent: _OpenItem,
    label: re.Match[str],
    parsed: ParsedDocument,
    definitions: _LinkDefinitions,
    options: ParseOptions,
) -> ActionItem:
    """``item`` with the field a detail bullet states (``Owner: @bob``, ``Due: …``) filled in;
    ``label`` is where ``_DETAIL`` matched the bullet's text.

    The value after the label is read like a table cell of that column.
    """
    name = label.group(1).casefold()
    value = label.string[label.end():].strip()
    plain = strip_markdown(value)
    if name.startswith(("owner", "assignee", "dri")):
        return replace(item, owner=item.owner or link_text(value))
    if name.startswith(("due", "deadline", "eta")):
        due = parse_date(plain, parsed.metadata.incident_date, options.date_order)
        return replace(item, due=due.value if due else None, due_raw=plain)
    if name == "status":
        # A stated status beats an unticked checkbox, a sub-heading's status and the item's own
        # words; a ticked checkbox and a trailing annotation (see _status) beat it.
        if parent.entry.checked or trailing_status(item.title, options.status_vocabulary):
            return item
        stated = parse_status(plain, options.status_vocabulary)
        return replace(item, status=stated.status if stated else None, status_raw=plain)
    if name == "priority":
        return replace(item, priority=item.priority or plain)
    ticket = _ticket(value, definitions)
    if item.ticket is None and ticket is not None:
        return replace(item, ticket=ticket, ticket_raw=ticket.url or ticket.key)
    return item


def _status(
    written: _OpenItem, options: ParseOptions, below: StatusMatch | None
) -> StatusMatch | None:
    """The item's own status first, else its sub-heading's; ``below`` is the status a line under
    its first states (see _Below), after what its own words say.

    Its own: a trailing annotation (pull writes it: the last word on the item), a ticked
    checkbox; else what its words say (see words_status) beats an unticked checkbox, while an
    emoji, a mark like the checkbox, does not: ``- [ ] Rotate keys (in progress)`` is in
    progress, ``- [ ] ✅ Rotate keys`` open.
    """
    entry, lead, reading = written.entry, written.lead, written.reading
    vocabulary = options.status_vocabulary
    trailing = trailing_status(lead.title, vocabulary)
    if trailing is not None:
        return trailing.match
    if entry.checked:
        return CHECKED
    if entry.checked is not None:
        return words_status(reading, vocabulary) or below or UNCHECKED
    return lead.status or title_status(reading, vocabulary) or below or written.place.status


def _heading_status(inherited: Sequence[Heading]) -> StatusMatch | None:
    for heading in inherited:
        status = heading_status(heading.text)
        if status:
            return status
    return None


def _heading_ticket(inherited: Sequence[Heading]) -> TicketRef | None:
    for heading in inherited:
        ticket = heading_ticket(heading.text)
        if ticket:
            return ticket
    return None


def _outline_headings(outline: Outline) -> list[Heading]:
    """The outline's headings as sections, less labelled items that only look like headings.

    A level-1 heading that opens the document is its title (kind ``"title"``), never a section:
    "# Follow-up review of the checkout outage" does not make the whole document an action list.
    """
    # A short line such as "Action point: page earlier" reads like a plain heading to the outline,
    # but it is a labelled item, and what follows it is not its section.
    headings = [
        h for h in outline.headings if h.kind == "atx" or not starts_with_label(h.text)
    ]
    if headings and headings[0].level == 1:
        title = headings[0]
        headings[0] = Heading(title.line, title.level, title.text, "title")
    return headings


def _label_line(number: int, text: str) -> Heading | None:
    """A short line ending in a colon that names a section: a heading in all but form."""
    if text[:1] in (" ", "\t", "|", ">") or _MAY_END_WITH_COLON.search(text) is None:
        return None
    name = _label_name(text)
    return Heading(number, PSEUDO_LEVEL, name, "label") if name is not None else None


@lru_cache(maxsize=8192)
def _label_name(text: str) -> str | None:
    """The section a label line names, or None when ``text`` is no label line.

    Cached: templates repeat the same label lines ("**Action items:**", "Impact:") in every
    document made from them.
    """
    if _MARKER.match(text):
        return None
    plain = strip_markdown(sub_kept(_FOOTNOTE_OR_SKIP, "", text)).strip()
    if not plain.endswith(":") or len(plain) > LONGEST_SECTION_NAME or len(plain.split()) > 6:
        return None
    name = plain.rstrip(":").strip()
    if is_action_heading(name) or NON_ITEM_HEADING.search(name):
        return name
    return None


def scan_lines(
    doc: Document, taken: frozenset[int], actions_from: int = 0
) -> tuple[list[Heading], list[ListEntry]]:
    """One pass over the document's visible lines: its label lines (``Action items:``, ``What
    went well:``), which count as headings, and its entries, in line order: every list item
    (nested ones too) and every paragraph that opens with an action label (``Action point: …``).

    An entry's paragraph runs on over the lines that continue it, indented or not ("lazy"); a
    blank line, a new entry, a label line, a line in ``taken`` (code, tables, the outline's
    headings), a thematic break, a link definition, a quote or a table row ends it. A bare
    marker (``-`` alone on its line, as some scraped pages have it) takes its text from the
    lines that follow.

    Each visible line is one of: a list item, a label line, a labelled paragraph's first line,
    a line that continues the paragraph of the entry above it, or none of these. (A list item
    is never a label line or a labelled paragraph, and a label line no labelled paragraph; a
    continuation line is none of the three.)

    Entries above ``actions_from`` (the first outline heading that names action items; label
    lines and label bullets that name them are found here) that can become nothing are left
    out: most lists of a postmortem (impact, timeline, root cause) come before its action items,
    and parse_list_items would make an entry of each only to pass it by. Above the first heading
    or label bullet that names action items, no line is in an action section (see action_place
    and _EntryReader._place), so an entry there is an item only by an action label (see
    may_hold_label) or a field of the item it is nested in (a detail bullet). An entry with
    neither chance is left out; its nested entries can then be no details of it, and are left
    out by the same rule. The default keeps every entry.
    """
    texts = doc.texts
    labels: list[Heading] = []
    entries: list[ListEntry] = []
    nesting = _ListNesting(texts)
    kept: set[int] = set()  # first lines of the entries above actions_from that were kept
    index = 0
    while index < len(texts):
        number, text = index + 1, texts[index]
        marker = _list_marker(text) if number not in taken else None
        if marker is not None:
            entry = _list_entry(texts, taken, number, marker, nesting.parent(number, marker.column))
            nesting.last_line = entry.last_line
            if number < actions_from and _names_action_items(_bullet_label(entry)):
                actions_from = number
        elif number in taken or ":" not in text:  # every label and label line has a colon
            entry = None
        elif (label := _label_line(number, text)) is not None:
            labels.append(label)
            if number < actions_from and _names_action_items(label):
                actions_from = number
            entry = None
        elif starts_with_label(text):
            entry = _paragraph_entry(texts, taken, number, text.strip())
        else:
            entry = None
        if entry is None:
            index += 1
            continue
        if _keeps(entry.first_line, entry.text, entry.parent, actions_from, kept):
            entries.append(entry)
        index = entry.last_line  # the line after the entry's paragraph
    return labels, entries


def _names_action_items(label: Heading | None) -> bool:
    return label is not None and is_action_heading(label.text)


class _Marker(NamedTuple):
    """A list item's marker: its column, and where the item's text starts after it."""

    column: int
    start: int


def _list_marker(text: str) -> _Marker | None:
    """The list-item marker that opens ``text``; None when there is none."""
    marker = _MARKER.match(text)
    if marker is None:
        return None
    start = marker.end()
    indent = marker.group("indent")
    # A thematic break ("- - -", "* * *") also looks like a marker; it repeats the marker right
    # after it, so only then is it checked.
    if text[start:start + 1] == text[len(indent):len(indent) + 1] and _THEMATIC_BREAK.match(text):
        return None
    return _Marker(len(indent.expandtabs(4)), start)


@dataclass(slots=True)
class _ListNesting:
    """The list items a new one may be nested in, while scan_lines reads down the document."""

    texts: Sequence[str]
    open_items: list[tuple[int, int]] = field(default_factory=list)  # (marker column, first line)
    last_line: int = 0  # last line of the list item before (labelled paragraphs are none)

    def parent(self, number: int, column: int) -> int | None:
        """The first line of the item that the list item on line ``number``, with its marker at
        ``column``, is nested in; from now on that item is open."""
        open_items = self.open_items
        if open_items and _list_broken(self.texts, self.last_line, number, open_items[0][0]):
            open_items.clear()
        while open_items and open_items[-1][0] >= column:
            open_items.pop()
        parent = open_items[-1][1] if open_items else None
        open_items.append((column, number))
        return parent


def _list_entry(
    texts: Sequence[str], taken: frozenset[int], number: int, marker: _Marker, parent: int | None
) -> ListEntry:
    """The list item on line ``number``: its checkbox, and its paragraph from ``marker`` on."""
    text, start = texts[number - 1], marker.start
    checkbox: tuple[int, int] | None = None
    checked: bool | None = None
    box = _CHECKBOX.match(text, start)
    if box:
        checkbox, checked, start = (box.start(1), box.end(1)), box.group(1) != " ", box.end()
    entry = _paragraph_entry(texts, taken, number, text[start:].strip())
    return entry._replace(checkbox=checkbox, checked=checked, parent=parent)


def _paragraph_entry(texts: Sequence[str], taken: frozenset[int], number: int, body: str) -> ListEntry:
    """The entry whose paragraph opens on line ``number`` with the text ``body``: it runs on over
    the lines that continue it (see :func:`_continues_paragraph`)."""
    parts = [body] if body else []
    end = number  # 0-based, the line after the paragraph's last line read so far
    while end < len(texts) and _continues_paragraph(end + 1, texts[end], taken):
        parts.append(texts[end].strip())
        end += 1
    return ListEntry(number, end, " ".join(parts))


def _continues_paragraph(number: int, text: str, taken: frozenset[int]) -> bool:
    """Whether line ``number`` continues the paragraph of the entry above it: a visible,
    non-blank line that is no list item, label line or labelled paragraph (see
    :func:`_continues` for the rest)."""
    if number in taken or not text or text.isspace() or _list_marker(text) is not None:
        return False
    if ":" in text and (_label_line(number, text) is not None or starts_with_label(text)):
        return False
    return _continues(text)


def _keeps(first: int, text: str, parent: int | None, actions_from: int, kept: set[int]) -> bool:
    """Whether scan_lines keeps the entry on line ``first`` (see its docstring): always from
    ``actions_from`` on; above it, when it may hold a label or its parent was kept, and then
    its line goes in ``kept`` for the entries nested in it."""
    if first >= actions_from:
        return True
    if may_hold_label(text) or parent in kept:
        kept.add(first)
        return True
    return False


def _list_broken(texts: Sequence[str], after: int, before: int, outermost: int) -> bool:
    """Whether text between two list items ends the list: a line left of its outermost marker.

    ``after`` and ``before`` are line numbers: the lines strictly between them are looked at.
    """
    for text in texts[after:before - 1]:
        if not text or text.isspace():
            continue
        expanded = text.expandtabs(4)
        if len(expanded) - len(expanded.lstrip()) <= outermost:
            return True
    return False


def _continues(text: str) -> bool:
    """Whether a visible, non-blank line that is no list item, label line or labelled paragraph
    continues the paragraph above it.

    Continuation lines may be indented or not ("lazy"); a thematic break, a link definition, a
    quote or a table row ends the paragraph.
    """
    return (
        not _THEMATIC_BREAK.match(text)
        and not _LINK_DEFINITION.match(text)
        and not text.lstrip().startswith((">", "|"))
    )
