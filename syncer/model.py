"""What pmsync works on: action items, their statuses and ticket references, and documents' metadata.

An :class:`ActionItem` carries each value next to the raw text it came from, and an *anchor* that
tells write-back where the item lives: a table row (:class:`TableAnchor`) or a list item
(:class:`ListAnchor`). Everything downstream (check, plan, push, pull, report) works on items and
never needs to know which kind it has. The parser (:mod:`syncer.parse`) builds them; the
connectors exchange :class:`Status` and :class:`TicketRef` with trackers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Literal

from syncer.markdown.document import Document
from syncer.markdown.inline import strip_markdown, sub_kept
from syncer.markdown.outline import Outline
from syncer.markdown.tables import Row, Table


class Status(str, Enum):
    """The four states pmsync tracks."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"


@dataclass(frozen=True, slots=True)
class TicketRef:
    """A reference to a ticket: Jira key, GitHub issue/PR number, ``b/123`` bug id, or a URL."""

    kind: Literal["jira", "github", "bug", "url"]
    key: str
    url: str | None = None
    repo: str | None = None

    def display(self) -> str:
        """The URL when there is one, else the key as written."""
        return self.url or self.key


_HANDLE = re.compile(r"(?<![\w.])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\b")


def owner_handle(owner: str) -> str | None:
    """The ``@handle`` written in an owner text, without the ``@``; None when there is none."""
    found = _HANDLE.search(owner)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Metadata:
    """What a document says about its incident."""

    incident_id: str | None = None
    incident_date: date | None = None
    severity: str | None = None
    title: str | None = None


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


DueSource = Literal["document", "tracker", "policy"]


@dataclass(frozen=True)
class Due:
    """An item's effective due date and where it came from."""

    date: date
    source: DueSource

    def to_json(self) -> dict[str, str]:
        """``{"due": "2026-01-31", "due_source": "policy"}``."""
        return {"due": self.date.isoformat(), "due_source": self.source}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem or remark about one place in a document."""

    file: Path
    line: int | None
    severity: Literal["error", "warning", "info"]
    code: str
    message: str
    due: Due | None = None  # the effective due date the problem is about (overdue and such)

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
