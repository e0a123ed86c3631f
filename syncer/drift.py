"""Drift: where documents and trackers disagree, found by ``pmsync report --refresh``.

Three kinds, each read without writing anything:

- ``status``: a linked ticket whose status the document does not say (what ``pmsync pull``
  would write: the same rule decides);
- ``orphan``: an open ticket carrying a pmsync marker of a document of the run whose item is no
  longer in it (what ``pmsync push --close-removed`` would close);
- ``missing``: an item linking a ticket the tracker does not have (or lets pmsync not read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from connectors.base import Failed, TicketLink, TicketState, Tracker
from syncer.model import ActionItem, ParsedDocument, Status

if TYPE_CHECKING:  # the sync modules load logging: only --refresh needs them, imported there
    from syncer.sync.gather import Linked
    from syncer.sync.status_text import DocumentVocabulary

DriftKind = Literal["status", "orphan", "missing"]
OPEN = frozenset({Status.OPEN, Status.IN_PROGRESS})


@dataclass(frozen=True)
class Drift:
    """One disagreement between a document and a tracker."""

    kind: DriftKind
    file: str
    line: int | None  # None for an orphan: its item is gone
    title: str
    ticket: str  # OPS-12, #12
    ticket_url: str | None
    detail: str

    def to_json(self) -> dict[str, object]:
        """The JSON form (``pmsync report --format json``, under ``drift``)."""
        return {"kind": self.kind, "file": self.file, "line": self.line, "title": self.title,
                "ticket": self.ticket, "ticket_url": self.ticket_url, "detail": self.detail}


def find_drift(documents: Sequence[ParsedDocument], trackers: Sequence[Tracker],
               linked: Linked) -> list[Drift]:
    """Every drift of ``documents``; ``linked`` is their linked tickets as read
    (:func:`syncer.sync.gather.read_linked`). Orphans cost one batched read per tracker."""
    from syncer.sync.status_text import DocumentVocabulary

    expressible = {tracker.name: tracker.statuses for tracker in trackers}
    found: list[Drift] = []
    for parsed in documents:
        vocabulary = DocumentVocabulary(parsed.items)
        for item in parsed.items:
            reading = linked.get((str(item.file), item.line))
            if reading is not None:
                found.extend(_item_drift(item, *reading, vocabulary, expressible))
    found.extend(orphan_tickets(documents, trackers, linked))
    return found


def _item_drift(item: ActionItem, link: TicketLink, answer: TicketState | Failed,
                vocabulary: DocumentVocabulary,
                expressible: dict[str, frozenset[Status]]) -> list[Drift]:
    from syncer.sync.pull import status_change

    if isinstance(answer, Failed):
        return [Drift("missing", str(item.file), item.line, item.own_title, link.label,
                      link.url, answer.message)]
    statuses = expressible.get(answer.link.tracker, frozenset(Status))
    if status_change(item, answer.status, vocabulary, statuses) is None:
        return []
    said = item.status.value if item.status else "no status (open)"
    return [Drift("status", str(item.file), item.line, item.own_title, answer.link.label,
                  answer.link.url, f"document: {said}; ticket: {answer.status.value} "
                  f"({answer.raw_status})")]


def orphan_tickets(documents: Sequence[ParsedDocument], trackers: Sequence[Tracker],
                   linked: Linked) -> list[Drift]:
    """Open tickets pmsync made for an item of ``documents`` that is gone: neither its marker
    nor its link is in the documents any more. Tickets closed as duplicates are left out."""
    from syncer.sync.document_ids import document_id
    from syncer.sync.plan import item_markers

    ids = {document_id(parsed.doc.path): parsed for parsed in documents}
    links = {link.key for link, _ in linked.values()}
    found: list[Drift] = []
    for tracker in trackers:
        for document, states in tracker.tickets_of(list(ids)).items():
            parsed = ids[document]
            markers = set(item_markers(document, parsed.items).values())
            found.extend(
                Drift("orphan", str(parsed.doc.path), None, state.fields.title,
                      state.link.label, state.link.url,
                      f"its item is no longer in the document; the ticket is "
                      f"{state.status.value} ({state.raw_status})")
                for state in states
                if state.status in OPEN and state.link.key not in links
                and state.stamp is not None and state.stamp.marker not in markers
                and state.stamp.duplicate_of is None)
    return found
