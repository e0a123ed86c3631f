"""What every tracker connector is, and the data pmsync exchanges with trackers.

The sync engine talks to trackers only through :class:`Tracker`. A connector turns a
:class:`Draft` (what a document wants) into a ticket, reads :class:`TicketState` back in batches,
and finds tickets again by their :class:`Marker`, the tie between a ticket and the item it was
made for. Constructors do no I/O; :mod:`connectors.registry` builds connectors from settings.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import (
    ClassVar,
    Literal,
    Protocol,
    runtime_checkable,
)

from syncer.errors import ConfigError, TrackerError
from syncer.model import Status, TicketRef

FIELD_NAMES = ("title", "assignee", "due", "priority")
FieldName = Literal["title", "assignee", "due", "priority"]

#: The label every pmsync ticket carries, on both trackers.
PMSYNC_LABEL = "pmsync"


@dataclass(frozen=True, order=True)
class Marker:
    """Ties a ticket to one action item: the item's document id and key within the document.

    The digest is what trackers store and search for (a Jira label, a hidden line in a GitHub
    body); the readable parts are stored next to it so a ticket says where it came from.
    """

    document_id: str
    item_key: str

    @property
    def digest(self) -> str:
        """16 hex digits, stable across runs and machines."""
        raw = f"{self.document_id}\0{self.item_key}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    @property
    def label(self) -> str:
        """The per-item label, e.g. ``pmsync-3f2a9c0d11e4b7a2`` (Jira labels allow no spaces)."""
        return f"{PMSYNC_LABEL}-{self.digest}"

    @property
    def document_label(self) -> str:
        """The label all tickets of one document share, to find items removed from it."""
        return document_label(self.document_id)


def document_label(document_id: str) -> str:
    """``pmsync-doc-`` and 12 hex digits of the document id."""
    return f"{PMSYNC_LABEL}-doc-{hashlib.sha256(document_id.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class TicketFields:
    """The fields pmsync owns on a ticket, in the tracker's own terms.

    ``assignee`` is the tracker identity (Jira accountId on Cloud, user name on Server, GitHub
    login); ``priority`` is the tracker's priority name (Jira) or label (GitHub).
    """

    title: str
    assignee: str | None = None
    due: date | None = None
    priority: str | None = None

    def differing(self, other: TicketFields) -> tuple[FieldName, ...]:
        """The names of the fields whose values differ between the two."""
        return tuple(n for n in FIELD_NAMES if getattr(self, n) != getattr(other, n))  # type: ignore[misc]

    def to_json(self) -> dict[str, str | None]:
        """A compact JSON-able form, stored on tickets as the last synced snapshot."""
        return {
            "title": self.title,
            "assignee": self.assignee,
            "due": self.due.isoformat() if self.due else None,
            "priority": self.priority,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> TicketFields:
        """The inverse of :meth:`to_json`; unknown keys are ignored."""
        due = data.get("due")
        return cls(
            title=str(data.get("title") or ""),
            assignee=_opt_str(data.get("assignee")),
            due=date.fromisoformat(due) if isinstance(due, str) and due else None,
            priority=_opt_str(data.get("priority")),
        )


def _opt_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class Stamp:
    """What pmsync stores on a ticket: its marker and the fields as last pushed.

    The snapshot lets the planner tell who changed a field: the document (push it), the tracker
    (leave it), or both (report a conflict).
    """

    marker: Marker
    synced: TicketFields | None = None
    #: The URL of the ticket this one was closed as a duplicate of, so a pull relinks its items.
    duplicate_of: str | None = None

    def to_json(self) -> str:
        """One line of JSON, the form both connectors store."""
        data: dict[str, object] = {"doc": self.marker.document_id, "key": self.marker.item_key}
        if self.synced is not None:
            data["synced"] = self.synced.to_json()
        if self.duplicate_of is not None:
            data["duplicate_of"] = self.duplicate_of
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Stamp | None:
        """Read a stamp back; None when the text is not one."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("doc"), str) \
                or not isinstance(data.get("key"), str):
            return None
        synced = data.get("synced")
        duplicate_of = data.get("duplicate_of")
        return cls(
            Marker(data["doc"], data["key"]),
            TicketFields.from_json(synced) if isinstance(synced, dict) else None,
            duplicate_of if isinstance(duplicate_of, str) else None,
        )


@dataclass(frozen=True)
class TicketLink:
    """A ticket as a document refers to it: tracker name, key and browser URL.

    ``key`` is ``OPS-12`` on Jira and ``owner/repo#12`` on GitHub.
    """

    tracker: str
    key: str
    url: str

    @property
    def label(self) -> str:
        """The link text written into documents: ``OPS-12`` or ``#12``."""
        return "#" + self.key.rsplit("#", 1)[1] if "#" in self.key else self.key

    def markdown(self) -> str:
        """``[OPS-12](https://…/browse/OPS-12)``, the form write-back uses."""
        return f"[{self.label}]({self.url})"


@dataclass(frozen=True)
class TicketState:
    """A ticket as the tracker has it now."""

    link: TicketLink
    fields: TicketFields
    status: Status
    raw_status: str  # the tracker's own words: Jira status name, GitHub "open"/"closed"
    reason: str | None = None  # Jira resolution, GitHub state_reason
    updated: datetime | None = None
    resolved: datetime | None = None  # when it reached done / won't do, where the tracker says
    stamp: Stamp | None = None
    #: A due date the tracker keeps apart from the ticket's own: its GitHub milestone's.
    milestone_due: date | None = None

    @property
    def due_date(self) -> date | None:
        """The ticket's due date as the tracker shows it: its milestone's (GitHub), else its
        own (Jira ``duedate``, the ``Due:`` line of a GitHub body)."""
        return self.milestone_due or self.fields.due


def creation_order(link: TicketLink) -> tuple[str, int]:
    """Sorts one tracker's tickets oldest first: by the number that ends the key (``OPS-12``,
    ``owner/repo#12``), which both trackers hand out in increasing order."""
    found = _KEY_NUMBER.search(link.key)
    return (link.key[: found.start()], int(found.group())) if found else (link.key, 0)


def duplicate_comment(kept: TicketLink) -> str:
    """What a ticket closed as a duplicate says."""
    return (f"Duplicate of {kept.key} ({kept.url}): two pmsync runs created a ticket for the "
            "same action item at the same time; pmsync keeps the oldest and links it in the "
            "document.")


_KEY_NUMBER = re.compile(r"\d+$")


@dataclass(frozen=True)
class DraftContext:
    """Where an item comes from, for the ticket's description."""

    document: Path
    line: int
    section: str | None = None
    incident_id: str | None = None
    incident_title: str | None = None
    document_url: str | None = None


@dataclass(frozen=True)
class Draft:
    """What a document wants a ticket to be: the item's values, untranslated."""

    marker: Marker
    title: str
    context: DraftContext
    owner: str | None = None  # the document's owner text; the connector maps it to an identity
    due: date | None = None
    priority: str | None = None  # the document's text, e.g. "P1" or "High"
    status: Status | None = None


@dataclass(frozen=True)
class Created:
    """A draft that now has a ticket (``recovered`` when it existed already, found by marker).

    ``notices`` says what the connector degraded on while creating it (e.g. an assignee the
    tracker refused, so the ticket was created unassigned).
    """

    marker: Marker
    state: TicketState
    recovered: bool = False
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Failed:
    """A draft or ticket the tracker refused; ``message`` is the tracker's own words."""

    marker: Marker | None
    message: str
    link: TicketLink | None = None


#: What became of one draft a connector was asked to create: a ticket, or the tracker's refusal.
CreateOutcome = Created | Failed


@dataclass(frozen=True)
class Comment:
    """A comment on a ticket as pmsync reads it back.

    ``tag`` is the hidden marker pmsync put on its own comments (a hidden line in a GitHub
    body, the ``pmsync`` comment property on Jira), None on everyone else's; pmsync finds its
    comments again by it, never by their text.
    """

    id: str
    author: str | None  # GitHub login, Jira accountId (Cloud) or user name (Server)
    created: datetime | None
    text: str  # as the tracker shows it: GitHub Markdown, Jira wiki markup (API v2)
    tag: str | None = None


#: What a comment tag may hold (it is stored in an HTML comment and a JSON property).
COMMENT_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._/@+-]{0,199}$")


def check_comment_tag(tag: str) -> str:
    """``tag`` when it is a valid comment tag; ValueError otherwise (a bug in the caller)."""
    if not COMMENT_TAG.match(tag):
        raise ValueError(f"invalid comment tag {tag!r}")
    return tag


@dataclass(frozen=True)
class Finding:
    """One result of ``pmsync doctor``: what was checked, whether it is fine, and how to fix it."""

    check: str
    ok: bool
    detail: str
    fix: str | None = None
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True)
class Notice:
    """Something a connector degraded on (e.g. unknown owner → unassigned), for the user."""

    marker: Marker | None
    message: str


@runtime_checkable
class Tracker(Protocol):
    """A tracker connector. Every method may raise :class:`TrackerError` subclasses.

    Methods that work on many tickets batch their requests; per-ticket failures come back as
    :class:`Failed` values, not exceptions, so one bad item never stops the others.
    """

    name: ClassVar[str]
    #: The environment variable that holds this tracker's token, named in error messages.
    token_variable: ClassVar[str]
    #: The statuses a ticket can be in (GitHub has no "in progress": open stays open).
    statuses: ClassVar[frozenset[Status]]

    def describe(self) -> str:
        """One line naming the instance and project/repository, never the token."""
        ...

    def owns(self, ref: TicketRef) -> TicketLink | None:
        """The link for a hand-written ticket reference when it belongs to this tracker."""
        ...

    def desired(self, draft: Draft) -> tuple[TicketFields, tuple[Notice, ...]]:
        """The ticket fields ``draft`` asks for, translated (owner → identity, priority → name)."""
        ...

    def find(self, markers: Sequence[Marker]) -> dict[Marker, TicketState]:
        """Tickets carrying any of ``markers``, by a consistent read (never a lagging search)."""
        ...

    def find_all(self, markers: Sequence[Marker]) -> dict[Marker, list[TicketState]]:
        """Every ticket carrying each of ``markers``, oldest first, by a read that shows every
        ticket created before it (other runs' too), so a run that created one sees any other."""
        ...

    def close_duplicate(self, state: TicketState, kept: TicketState) -> TicketState:
        """Close ``state`` as a duplicate of ``kept`` (GitHub: state reason ``duplicate``; Jira: a
        done status, resolution Duplicate where the transition takes one), with a comment that
        points to ``kept`` and ``kept``'s URL in its stamp (``Stamp.duplicate_of``)."""
        ...

    def create(self, drafts: Sequence[Draft],
               on_outcome: Callable[[int, CreateOutcome], None] | None = None) -> list[CreateOutcome]:
        """Create one ticket per draft, in order; one outcome per draft.

        ``on_outcome(index, outcome)`` is called as soon as each draft's outcome is known, so a
        caller interrupted half-way still knows every ticket that exists.

        Never creates a second ticket for a marker: a create whose outcome is unknown (lost
        response, timeout) is resolved by looking the marker up before anything is retried.
        """
        ...

    def tickets_of(self, document_ids: Sequence[str]) -> dict[str, list[TicketState]]:
        """Every ticket pmsync made for each document, by a consistent read, batched."""
        ...

    def update(self, state: TicketState, draft: Draft, fields: Sequence[FieldName]) -> TicketState:
        """Write only ``fields`` of ``draft`` to the ticket and refresh its stored snapshot."""
        ...

    def read(self, links: Sequence[TicketLink]) -> dict[str, TicketState | Failed]:
        """The current state of many tickets, keyed by ``link.key``, in as few requests as the
        API allows."""
        ...

    def set_status(self, state: TicketState, status: Status) -> TicketState:
        """Move a ticket to ``status`` (Jira: by a transition chosen by target category)."""
        ...

    def comments(self, link: TicketLink) -> list[Comment]:
        """Every comment on the ticket, oldest first, by a consistent read (never a search):
        a comment posted just before is listed."""
        ...

    def comment(self, link: TicketLink, text: str, *, tag: str,
                mention: str | None = None) -> Comment:
        """Post ``text`` (plain text, paragraphs split by blank lines) on the ticket, carrying
        the hidden ``tag``; ``mention`` is a tracker identity (GitHub login, Jira accountId on
        Cloud, user name on Server) the comment mentions first, so the person is notified.

        Never posts twice: a post whose outcome is unknown is settled by listing the comments
        for ``tag``, and raises :class:`TrackerError` when it is not there (the next run posts).
        """
        ...

    def doctor(self) -> list[Finding]:
        """Check configuration, authentication, access and mappings against the instance."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class AuthError(TrackerError, ConfigError):
    """The tracker refused the credentials; the message names the variable to fix (exit 2)."""


class AccessError(TrackerError, ConfigError):
    """The project or repository does not exist or the token cannot reach it (exit 2)."""


class RateLimited(TrackerError):
    """Retries ran out on rate limiting or server errors."""


_WS = re.compile(r"\s+")


def one_line(text: str, limit: int = 255) -> str:
    """Text squeezed to one line of at most ``limit`` characters (Jira summaries allow 255)."""
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
