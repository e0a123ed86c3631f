"""Action items written as lists: bullets, numbered lists, checkboxes, and labelled paragraphs.

Which lists hold action items is decided by the headings above them:

* A list item is read when a heading that contains it names action items: "Action items",
  "Corrective actions", "Preventive measures", "Follow-ups", "Remediation", "Next steps",
  "Improvements"… (:data:`ACTION_HEADING`). Such a section runs to the next heading of the same or
  a higher level, so its sub-headings ("Detection", "Completed") stay inside it. A sub-heading that
  names something else ("Timeline", "Lessons learned", "5 whys") takes its lists out again.
* A document that keeps its action items in a table has already said where they live: its lists
  are read only when they sit in the same action section as such a table. Templates pair an
  action-item table with "Preventive measures" or "Recommendations" lists that are advice, not
  tracked work, and this is what tells the two apart.
* A paragraph or list item that opens with a label (``Action point:``, ``**Action item:**``) is an
  item wherever it is.

Nested items are items of their own, except detail bullets (``- Owner: @bob``, ``- Due: …``),
which fill in the fields of the item they are nested in.

Bold lines and plain title-like lines count as headings (see :mod:`syncer.outline`), and so do
short label lines ending in a colon that name an action section (``Action items:``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

from syncer.annotations import (
    Lead,
    heading_status,
    heading_ticket,
    inline_due,
    inline_owner,
    inline_status,
    inline_ticket,
    link_definitions,
    may_hold_label,
    starts_with_label,
    strip_lead,
)
from syncer.document import Document
from syncer.items import ActionItem, ListAnchor, ParsedDocument, ParseOptions
from syncer.normalize import (
    Status,
    StatusMatch,
    TicketRef,
    is_placeholder,
    link_text,
    parse_date,
    parse_status,
    strip_markdown,
)
from syncer.outline import PSEUDO_LEVEL, Heading, Outline

ACTION_HEADING = re.compile(
    r"""
    \baction[\s-]*(?:items?|points?|plan)\b
    | \b(?:corrective|preventive|preventative|remedial|follow[\s-]*up|next|future|planned
         |open|outstanding|pending|immediate|short[\s-]*term|medium[\s-]*term|mid[\s-]*term
         |long[\s-]*term)\s+(?:actions?|measures?|steps|items|tasks|work)\b
    | \bfollow[\s-]*ups?\b
    | \bremediations?\b
    | \bnext\s+steps\b
    | \bto[\s-]?dos?\b
    | \bimprovements\b
    | ^improving\b
    | \b(?:looking|going|moving)\s+(?:forward|ahead)\b
    | \bwhat(?:'s|\s+is)?\s+next\b
    | ^actions?$
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A heading that names action items but is about something else ("Follow-up timeline",
# "Actions taken during the incident").
_NOT_ACTION = re.compile(r"\b(?:timeline|chronology|taken|performed|during)\b", re.IGNORECASE)
# Sub-headings whose lists are never action items, even inside an action section.
NON_ITEM_HEADING = re.compile(
    r"""
    \btimeline\b | \bchronology\b | \blessons?\b | \blearn(?:ed|t|ings)\b | \bwhat\s+went\b
    | \bwent\s+(?:well|wrong|poorly|badly)\b | \bwhat\s+(?:worked|didn'?t\s+work|could)\b
    | \blucky\b | \bwhys\b | \broot\s+causes?\b | \breferences?\b | \blinks\b | \bresources\b
    | \bappendix\b | \battendees\b | \bresponders\b | \bfaq\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Bold and plain headings that read like sub-headings of an action section (see Sections.of).
_SUBHEADING = re.compile(
    r"""
    ^(?:done|completed?|finished|in[\s-]progress|ongoing|open|pending|planned|not\s+started
       |to[\s-]?do|backlog)\b
    | \b(?:immediate|short[\s-]*term|mid[\s-]*term|medium[\s-]*term|long[\s-]*term
         |this\s+(?:week|month|quarter|sprint)|next\s+(?:week|month|quarter|sprint))\b
    | ^(?:prevention|detection|mitigation|process|fixes|monitoring|alerting|testing|tooling
       |documentation|communication)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)

_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_=])(?:[ \t]*\1){2,}[ \t]*$")
# The first character of a line that could open a list item: a bullet, an ASCII digit or an
# indent (see scan_list_entries; a list numbered in other digits has never been read).
_MARKER_LEADS = frozenset("-*+0123456789 \t")
# Lines whose first letter could open an action label (see annotations.starts_with_label).
# (Possessive quantifiers: the classes do not overlap, so backtracking could find nothing more.)
_MAY_START_WITH_LABEL = re.compile(r"\n[^\S\n]*+[*_]*+[^\S\n]*+[aAfF]")
_CHECKBOX = re.compile(r"\[([ xX])\](?=[ \t]|$)")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
# A line whose plain text (see _label_line) may end with a colon. Making it plain only deletes
# characters: emphasis marks, whitespace at the ends, and links, footnotes and tags in part or
# whole. So the last character of the line that is not whitespace or a mark is either that colon,
# or the last character of what was deleted: ")" of a link or footnote, "^" of a footnote, ">".
_MAY_END_WITH_COLON = re.compile(r"[:)^>][\s*_~`]*$")
_LABEL_LAST_CHARACTERS = frozenset(":)^>*_~`")  # the last characters it allows, but whitespace
_FOOTNOTE = re.compile(r"\^?\[\[?[^\]]*\]?\]\([^)]*\)\^?")
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
    table_lines = frozenset(n for t in parsed.tables for n in range(t.first_line, t.last_line + 1))
    headings = section_headings(doc, parsed.outline, table_lines)
    sections = Sections.of(headings)
    heading_lines = frozenset(h.line for h in headings)
    table_roots = {sections.root_line(table.first_line) for table in parsed.action_tables}
    definitions = link_definitions(doc)
    stops = table_lines | heading_lines
    found: list[ActionItem] = []
    by_line: dict[int, int] = {}  # first line of an item -> its index in found
    templates: list[int] = []
    # Entries under the same heading share its chain of headings and their action place.
    places: dict[int, tuple[list[Heading], list[Heading] | None]] = {}
    for entry in scan_list_entries(doc, stops) + scan_labelled_paragraphs(doc, stops):
        if entry.parent in by_line and _DETAIL.match(entry.text):
            # "- Owner: @bob" under an item describes that item; it is not an item of its own.
            index = by_line[entry.parent]
            found[index] = _with_detail(found[index], entry.text, parsed, definitions, options)
            continue
        under = bisect_left(sections.lines, entry.first_line)
        if under not in places:
            chain = sections.enclosing(entry.first_line)
            places[under] = (chain, action_place(chain))
        chain, place = places[under]
        if place is None and not may_hold_label(entry.text):
            continue  # out of scope, and without a label that would bring it in
        lead = strip_lead(entry.text, options.status_vocabulary)
        if not _in_scope(lead, place, table_roots) or not strip_markdown(lead.title):
            continue
        if is_placeholder(lead.title):
            templates.append(entry.first_line)
            continue
        # Sub-headings pass their status and ticket down only inside an action section.
        inherited = place or []
        by_line[entry.first_line] = len(found)
        found.append(_list_item(parsed, entry, lead, chain, inherited, definitions, options))
    if not found and not templates:
        return parsed
    items = sorted((*parsed.items, *found), key=lambda item: item.line)
    return replace(
        parsed,
        items=tuple(items),
        template_rows=tuple(sorted({*parsed.template_rows, *templates})),
    )


def _in_scope(lead: Lead, place: Sequence[Heading] | None, table_roots: set[int | None]) -> bool:
    """Whether an entry is an action item by where it stands (see the module docstring)."""
    if lead.labelled:
        return True
    if place is None:
        return False
    # A document with an action-item table keeps its items there, or beside it.
    return not table_roots or place[-1].line in table_roots


def _list_item(
    parsed: ParsedDocument,
    entry: ListEntry,
    lead: Lead,
    chain: Sequence[Heading],
    inherited: Sequence[Heading],
    definitions: Mapping[str, str],
    options: ParseOptions,
) -> ActionItem:
    title = lead.title
    status = _status(entry, lead.status, title, inherited, options)
    ticket = inline_ticket(title, definitions) or _heading_ticket(inherited)
    due = inline_due(title, parsed.metadata.incident_date, options.date_order)
    return ActionItem(
        file=parsed.doc.path,
        line=entry.first_line,
        kind="list",
        section=chain[0].text if chain else None,
        title=title,
        anchor=ListAnchor(entry.first_line, entry.last_line, entry.checkbox),
        owner=inline_owner(title),
        due=due[0].value if due and due[0] else None,
        due_raw=due[1] if due else None,
        priority=lead.priority,
        status=status.status if status else None,
        status_raw=status.raw if status else None,
        ticket=ticket,
        ticket_raw=(ticket.url or ticket.key) if ticket else None,
    )


def _with_detail(
    item: ActionItem,
    text: str,
    parsed: ParsedDocument,
    definitions: Mapping[str, str],
    options: ParseOptions,
) -> ActionItem:
    """``item`` with the field a detail bullet states (``Owner: @bob``, ``Due: …``) filled in.

    The value after the label is read like a table cell of that column.
    """
    label = _DETAIL.match(text)
    if label is None:
        return item
    name = label.group(1).casefold()
    value = text[label.end():].strip()
    plain = strip_markdown(value)
    if name.startswith(("owner", "assignee", "dri")):
        return replace(item, owner=item.owner or link_text(value))
    if name.startswith(("due", "deadline", "eta")):
        due = parse_date(plain, parsed.metadata.incident_date, options.date_order)
        return replace(item, due=due.value if due else None, due_raw=plain)
    if name == "status":
        stated = parse_status(plain, options.status_vocabulary)
        checkbox = isinstance(item.anchor, ListAnchor) and item.anchor.checkbox is not None
        # A stated status beats one inherited from a sub-heading; the item's checkbox beats both.
        if checkbox:
            return item
        return replace(item, status=stated.status if stated else None, status_raw=plain)
    if name == "priority":
        return replace(item, priority=item.priority or plain)
    ticket = inline_ticket(value, definitions)
    if item.ticket is None and ticket is not None:
        return replace(item, ticket=ticket, ticket_raw=ticket.url or ticket.key)
    return item


def _status(
    entry: ListEntry,
    leading: StatusMatch | None,
    title: str,
    inherited: Sequence[Heading],
    options: ParseOptions,
) -> StatusMatch | None:
    """The item's own status first (checkbox, emoji, annotation), else its sub-heading's."""
    if entry.checked is not None:
        mark = "[x]" if entry.checked else "[ ]"
        return StatusMatch(Status.DONE if entry.checked else Status.OPEN, mark)
    own = leading or inline_status(title, options.status_vocabulary)
    if own:
        return own
    for heading in inherited:
        from_heading = heading_status(heading.text)
        if from_heading:
            return from_heading
    return None


def _heading_ticket(inherited: Sequence[Heading]) -> TicketRef | None:
    for heading in inherited:
        ticket = heading_ticket(heading.text)
        if ticket:
            return ticket
    return None


def is_action_heading(text: str) -> bool:
    """Whether a heading names a section of action items (see :data:`ACTION_HEADING`).

    A section name is short: a longer heading that happens to contain "follow-up" is a title or
    a sentence ("Follow-up on the payment outage of May 3 and its impact"). Parentheses do not
    count towards the length: "Short-term improvements (in progress, see #12)".
    """
    return _is_action_heading(text)


_PARENTHESES = re.compile(r"\([^)]*\)")


@lru_cache(maxsize=4096)
def _is_action_heading(text: str) -> bool:
    plain = strip_markdown(text).strip().rstrip(":").strip()
    if len(_PARENTHESES.sub(" ", plain).split()) > 6:
        return False
    return bool(ACTION_HEADING.search(plain)) and not _NOT_ACTION.search(plain)


def action_place(chain: Sequence[Heading]) -> list[Heading] | None:
    """The headings from a line up to the outermost action heading that contains it, or None.

    None when no heading in the chain names action items, or when a sub-heading between the
    line and the action heading names something that is never an item (a timeline, lessons).
    """
    names_actions = [h.kind != "title" and is_action_heading(h.text) for h in chain]
    if not any(names_actions):
        return None
    innermost = names_actions.index(True)
    if any(NON_ITEM_HEADING.search(h.text) for h in chain[:innermost]):
        return None
    outermost = len(names_actions) - 1 - names_actions[::-1].index(True)
    return list(chain[: outermost + 1])


@dataclass(frozen=True)
class Sections:
    """A document's headings (sorted by line) and which heading contains which."""

    headings: tuple[Heading, ...]
    parents: tuple[int | None, ...]  # index of the heading that contains each heading
    lines: tuple[int, ...]

    @classmethod
    def of(cls, headings: Sequence[Heading]) -> Sections:
        """Link every heading to the one that contains it, in one pass."""
        parents: list[int | None] = []
        stack: list[int] = []  # open headings, levels strictly increasing
        for index, heading in enumerate(headings):
            while stack and headings[stack[-1]].level >= heading.level:
                stack.pop()
            if heading.level == PSEUDO_LEVEL and index and _reads_like_subheading(heading.text):
                # Bold and plain headings have no level of their own: one that reads like a
                # sub-heading ("Completed", "Short-term") sits under the heading just before it.
                parents.append(index - 1)
            else:
                parents.append(stack[-1] if stack else None)
            stack.append(index)
        return cls(tuple(headings), tuple(parents), tuple(h.line for h in headings))

    def enclosing(self, line: int) -> list[Heading]:
        """The headings that contain ``line``, innermost first."""
        chain: list[Heading] = []
        index: int | None = bisect_left(self.lines, line) - 1
        while index is not None and index >= 0:
            chain.append(self.headings[index])
            index = self.parents[index]
        return chain

    def root_line(self, line: int) -> int | None:
        """The line of the outermost action heading that contains ``line``, if any."""
        place = action_place(self.enclosing(line))
        return place[-1].line if place else None


@lru_cache(maxsize=4096)
def _reads_like_subheading(text: str) -> bool:
    # Cached: templates repeat their headings in every document made from them.
    return _SUBHEADING.search(text) is not None


def section_headings(doc: Document, outline: Outline, skip: frozenset[int]) -> list[Heading]:
    """The outline's headings plus label lines (``Action items:``, ``What went well:``), less
    labelled items that only look like headings; lines in ``skip`` (table rows) are never labels.

    A level-1 heading that opens the document is its title (kind ``"title"``), never a section:
    "# Follow-up review of the checkout outage" does not make the whole document an action list.
    """
    # A short line such as "Action point: page earlier" reads like a plain heading to the outline,
    # but it is a labelled item, and what follows it is not its section.
    headings = [
        h for h in outline.headings if h.kind == "atx" or not starts_with_label(h.text)
    ]
    if headings and headings[0].level == 1:
        headings[0] = replace(headings[0], kind="title")
    taken = {h.line for h in headings} | skip | doc.hidden
    labels = [
        heading
        # Every line is looked at: a regex pre-filter over the whole text costs more than this.
        for number, text in enumerate(doc.texts, start=1)
        if ":" in text and number not in taken
        and (heading := _label_line(number, text)) is not None
    ]
    return sorted([*headings, *labels], key=lambda h: h.line)


def _label_line(number: int, text: str) -> Heading | None:
    """A short line ending in a colon that names a section: a heading in all but form."""
    last = text[-1:]
    if last not in _LABEL_LAST_CHARACTERS and not last.isspace():
        return None  # _MAY_END_WITH_COLON cannot match: the test below, only cheaper
    if text[:1] in (" ", "\t", "|", ">") or not _MAY_END_WITH_COLON.search(text):
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
    plain = strip_markdown(_FOOTNOTE.sub("", text)).strip()
    if not plain.endswith(":") or len(plain.split()) > 6:
        return None
    name = plain.rstrip(":").strip()
    if is_action_heading(name) or NON_ITEM_HEADING.search(name):
        return name
    return None


def scan_list_entries(doc: Document, stops: frozenset[int]) -> list[ListEntry]:
    """Every list item of the document (nested ones too), outside code and tables."""
    texts = doc.texts
    entries: list[ListEntry] = []
    open_items: list[tuple[int, int]] = []  # (marker column, first line) of enclosing items
    last_line = 0  # last line of the entry before
    blocked = doc.hidden | stops  # one set test per line instead of two
    # A test of each line's first mark rather than a whole-text pre-filter (doc.indexes_starting):
    # a third of all lines are list items, and for so many a regex match object per line costs
    # twice this test.
    for index, text in enumerate(texts):
        if text[:1] not in _MARKER_LEADS or index + 1 in blocked:
            continue
        number = index + 1
        marker = _MARKER.match(text)
        if marker is None:
            continue
        start = marker.end()
        # A thematic break ("- - -", "* * *") also looks like a marker; it repeats the marker
        # right after it, so only then is it checked.
        if text[start:start + 1] in ("-", "*") and _THEMATIC_BREAK.match(text):
            continue
        column = len(marker.group("indent").expandtabs(4))
        # Items on consecutive lines leave nothing between them that could end the list.
        if open_items and number > last_line + 1 and _list_broken(
            texts, last_line, number, open_items[0][0]
        ):
            open_items = []
        while open_items and open_items[-1][0] >= column:
            open_items.pop()
        checkbox = None
        checked = None
        box = _CHECKBOX.match(text, start) if text.startswith("[", start) else None
        if box:
            checkbox = (box.start(1), box.end(1))
            checked = box.group(1) != " "
            start = box.end()
        parent = open_items[-1][1] if open_items else None
        entry = _entry(texts, index, text[start:], blocked, checkbox, checked, parent)
        entries.append(entry)
        last_line = entry.last_line
        open_items.append((column, number))
    return entries


def _list_broken(texts: Sequence[str], after: int, before: int, outermost: int) -> bool:
    """Whether text between two list items ends the list: a line left of its outermost marker.

    ``after`` and ``before`` are line numbers: the lines strictly between them are looked at.
    """
    for text in texts[after:before - 1]:
        if text.strip() and len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip()) <= outermost:
            return True
    return False


def scan_labelled_paragraphs(doc: Document, stops: frozenset[int]) -> list[ListEntry]:
    """Paragraph lines that open with an action label (``Action point: …``)."""
    texts = doc.texts
    blocked = doc.hidden | stops
    return [
        _entry(texts, index, texts[index], blocked)
        for index in doc.indexes_starting(_MAY_START_WITH_LABEL)
        if starts_with_label(texts[index]) and index + 1 not in blocked
        and not _MARKER.match(texts[index])
    ]


def _entry(
    texts: Sequence[str],
    index: int,
    first_text: str,
    blocked: frozenset[int],
    checkbox: tuple[int, int] | None = None,
    checked: bool | None = None,
    parent: int | None = None,
) -> ListEntry:
    """An entry starting at ``texts[index]``, with the lines that continue its paragraph.

    Continuation lines may be indented or not ("lazy"); a blank line, a new list item, a heading,
    a table, code or a quote ends the paragraph (``blocked`` holds the lines of headings, tables
    and code). A bare marker (``-`` alone on its line, as some scraped pages have it) takes its
    text from the lines that follow.
    """
    first = first_text.strip()
    parts = [first] if first else []
    last = index + 1  # the entry's last line so far: its number is the index of the line after
    count = len(texts)
    while last < count:
        text = texts[last]
        stripped = text.strip()
        if not stripped or last + 1 in blocked or not _continues(text):
            break
        parts.append(stripped)
        last += 1
    return ListEntry(index + 1, last, " ".join(parts), checkbox, checked, parent)


def _continues(text: str) -> bool:
    """Whether a visible, non-blank line continues the paragraph above it."""
    first = text.lstrip()[:1]
    if first.isalpha() and first not in ("a", "A", "f", "F"):
        # Most lines open with a letter, and only a label ("Action …", "Follow …") of all the
        # things below can open with one.
        return True
    return (
        not _MARKER.match(text)
        and not _THEMATIC_BREAK.match(text)
        and not _LINK_DEFINITION.match(text)
        and not text.lstrip().startswith((">", "|"))
        and not starts_with_label(text)
    )
