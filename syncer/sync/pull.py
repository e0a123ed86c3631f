"""``pmsync pull``: bring each linked ticket's status into its document, in its own words.

Linked tickets are read in one batch per tracker (:mod:`~syncer.sync.gather`); a table item's
Status cell, or a list item's checkbox or trailing annotation, is changed only when it says
something else, and the document is written back byte for byte elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from config.settings import Settings
from connectors.base import Failed, TicketLink, TicketState
from connectors.registry import NoTrackerConfigured
from syncer.model import ActionItem, ListAnchor, ParsedDocument, Status, TableAnchor
from syncer.parse.annotations import UNCHECKED, trailing_status
from syncer.parse.discovery import discover
from syncer.parse.extract import extract
from syncer.parse.values import StatusVocabulary
from syncer.policy import DuePolicy
from syncer.sync.edits import ItemChange, writable_only
from syncer.sync.execute import relinked, write_document
from syncer.sync.gather import Linked, follow_duplicates, read_linked
from syncer.sync.locks import documents_locked
from syncer.sync.results import DocumentResult, ItemResult, RunResult
from syncer.sync.status_text import DocumentVocabulary
from syncer.sync.trackers import TrackerPool


def pull(
    paths: Sequence[Path],
    settings: Settings,
    *,
    dry_run: bool = False,
    pool: TrackerPool | None = None,
) -> RunResult:
    """Bring each linked ticket's status into its document, in the document's own words."""
    files = discover(paths)
    own_pool = pool is None
    pool = pool or TrackerPool(settings)
    try:
        with documents_locked(files):
            extraction = extract(files, settings)
            if not dry_run:
                extraction = writable_only(extraction)
            result = RunResult("pull", dry_run, errors=list(extraction.errors))
            if not pool.configured() and any(
                item.ticket for parsed in extraction.documents for item in parsed.items
            ):
                # Linked items whose tickets nobody can read: a CI job with missing secrets
                # must fail, not report every document as current.
                raise NoTrackerConfigured
            trackers = [pool.get(name) for name in pool.configured()]
            linked, moved = follow_duplicates(read_linked(extraction.documents, trackers),
                                              trackers)
            expressible = {tracker.name: tracker.statuses for tracker in trackers}
            policy = DuePolicy.from_settings(settings)
            for parsed in extraction.documents:
                document = DocumentResult(parsed.doc.path)
                result.documents.append(document)
                _pull_document(parsed, linked, expressible, document, dry_run, moved)
                _effective_dues(parsed, linked, document, policy)
            return result
    finally:
        if own_pool:
            pool.close()


def _pull_document(parsed: ParsedDocument, linked: Linked,
                   expressible: dict[str, frozenset[Status]],
                   result: DocumentResult, dry_run: bool,
                   moved: dict[tuple[str, int], TicketLink] | None = None) -> None:
    vocabulary = DocumentVocabulary(parsed.items)
    changes: list[ItemChange] = []
    for item in parsed.items:
        if (str(item.file), item.line) not in linked:
            continue
        link, state = linked[(str(item.file), item.line)]
        if isinstance(state, Failed):
            result.items.append(ItemResult(item, "failed", link, state.message))
            continue
        change = status_change(item, state.status, vocabulary,
                                expressible.get(state.link.tracker, frozenset(Status)))
        duplicate = (moved or {}).get((str(item.file), item.line))
        if duplicate is not None:
            changes.append(relinked(item, change, duplicate, state.link))
            result.items.append(ItemResult(item, "linked", state.link, (
                f"{duplicate.key} was closed as a duplicate of {state.link.key}, which the item "
                "now links"), change.status if change else None))
            continue
        if change is None:
            result.items.append(ItemResult(item, "unchanged", state.link))
            continue
        changes.append(change)
        text = change.status or change.annotation or ("[x]" if change.checked else "[ ]")
        result.items.append(ItemResult(item, "status", state.link,
                                       f"{_status_name(item.status)} → {state.status.value}", text))
    if changes and not dry_run:
        result.written = write_document(parsed.doc, changes, result)


def _effective_dues(parsed: ParsedDocument, linked: Linked, result: DocumentResult,
                    policy: DuePolicy) -> None:
    """Each read item's effective due date: the document's, else its ticket's, else policy's."""
    for entry in result.items:
        reading = linked.get((str(entry.item.file), entry.item.line))
        if reading is not None and isinstance(reading[1], TicketState):
            entry.due = policy.due(parsed, entry.item, reading[1].due_date)


def _status_name(status: Status | None) -> str:
    return status.value if status else "none"


def status_change(item: ActionItem, status: Status, vocabulary: DocumentVocabulary,
                   expressible: frozenset[Status] = frozenset(Status)) -> ItemChange | None:
    """The edit that makes the item say ``status``, or None when it already does.

    An item that states no status reads as open. A status the tracker cannot express
    (``In Progress`` on GitHub, where the issue stays open) agrees with the tracker's open
    ticket and is left as written.
    """
    said = item.status or Status.OPEN
    if said is status or (said not in expressible and status is Status.OPEN):
        return None
    if isinstance(item.anchor, TableAnchor):
        return ItemChange(item, status=vocabulary.text(status))
    return _list_status_change(item, item.anchor, status, vocabulary)


def _list_status_change(item: ActionItem, anchor: ListAnchor, status: Status,
                        vocabulary: DocumentVocabulary) -> ItemChange:
    """A list item says its status by its checkbox where that can (ticked for done, cleared
    for open and in progress), and otherwise by a trailing annotation, ``(Won't Do)``, which
    wins over its checkbox, sub-heading and other words; an annotation it has is kept current.
    Words that state a status (``(in progress, 2 of 5)``) beat a cleared box: when they are what
    the item was read from, only an annotation says it is open."""
    checked: bool | None = None
    if anchor.checkbox is not None and status is not Status.WONT_DO:
        checked = status is Status.DONE
    box_says = None if checked is None else (Status.DONE if checked else Status.OPEN)
    box_overruled = checked is False and item.status_raw != UNCHECKED.raw
    annotated = trailing_status(item.title, StatusVocabulary.default()) is not None
    needed = annotated or box_says is not status or box_overruled
    words = vocabulary.annotation(status) if needed else None
    return ItemChange(item, checked=checked, annotation=words)
