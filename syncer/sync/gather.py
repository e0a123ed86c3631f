"""Reading the tracker state a run needs, in a few batched calls per tracker.

For a push: each item's tracker (by its link or the routes), its draft, its linked ticket or the
ticket its marker finds, who claims each linked ticket, every ticket made for the run's documents
(to find removed items and tickets two runs made at once). For a pull: each linked item's ticket,
following tickets pmsync closed as duplicates to the one kept. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from connectors.base import (
    Draft,
    Failed,
    Marker,
    Notice,
    TicketFields,
    TicketLink,
    TicketState,
    Tracker,
    creation_order,
)
from connectors.registry import NoTrackerConfigured, not_configured, tracker_names
from syncer.errors import ConfigError
from syncer.model import ActionItem, ParsedDocument, Status
from syncer.parse.extract import extract
from syncer.parse.values import parse_ticket
from syncer.policy import DuePolicy
from syncer.sync.document_ids import document_file, document_id
from syncer.sync.plan import (
    OWNER,
    Claim,
    DocumentPlan,
    ItemPlan,
    Linking,
    claims,
    item_markers,
    make_draft,
    route,
)
from syncer.sync.trackers import TrackerPool


@dataclass
class Gathered:
    """What planning one item needs, filled in by the batched tracker calls."""

    index: int  # of the document
    item: ActionItem
    marker: Marker
    tracker: str | None = None
    problem: str | None = None
    link: TicketLink | None = None
    draft: Draft | None = None
    desired: TicketFields | None = None
    notices: tuple[Notice, ...] = ()
    linked: TicketState | Failed | None = None
    found: TicketState | None = None
    claim: Claim = OWNER


def gather_items(documents: Sequence[ParsedDocument], settings: Settings,
                 pool: TrackerPool) -> list[Gathered]:
    """What planning each item needs: its tracker (the one its link names, else its route), its
    draft, and the tracker state, read in a few batched calls per tracker."""
    rows: list[Gathered] = []
    policy = DuePolicy.from_settings(settings)
    for index, parsed in enumerate(documents):
        markers = item_markers(document_id(parsed.doc.path), parsed.items)
        for item in parsed.items:
            row = Gathered(index, item, markers[item.line])
            owned = pool.owner_of(item)
            if owned is not None:
                row.tracker, row.link = owned
            elif item.ticket is None:
                row.tracker, row.problem = route(item, parsed.doc.path, settings.routes,
                                                 pool.default, tracker_names())
                if row.tracker is not None and row.tracker not in pool.configured():
                    row.problem, row.tracker = not_configured(row.tracker), None
            if row.tracker and not row.problem:
                row.draft = make_draft(item, row.marker, parsed, settings.document_base_url,
                                       due=policy.due(parsed, item))
            rows.append(row)
    _require_trackers(rows, pool)
    by_tracker: dict[str, list[Gathered]] = defaultdict(list)
    for row in rows:
        if row.tracker:
            by_tracker[row.tracker].append(row)
    for name, group in by_tracker.items():
        _gather(pool.get(name), group)
    _decide_claims(rows, documents, settings, pool)
    return rows


def _decide_claims(rows: Sequence[Gathered], documents: Sequence[ParsedDocument],
                   settings: Settings, pool: TrackerPool) -> None:
    """Which item each linked ticket belongs to now (see :func:`syncer.sync.plan.claims`); and a
    ticket some item links is never another item's, found by an outdated marker."""
    stamped: list[tuple[Gathered, Linking]] = []
    for row in rows:
        state = row.linked
        if isinstance(state, TicketState) and state.stamp is not None:
            stamped.append((row, Linking(row.marker, state.stamp, state.link.key, row.item.file)))
    decided = claims([linking for _, linking in stamped],
                     _DocumentLinks(documents, settings, pool))
    for (row, _), claim in zip(stamped, decided):
        row.claim = claim
    linked = {row.link.key for row in rows if row.link is not None}
    for row in rows:
        if row.found is not None and row.found.link.key in linked:
            row.found = None


class _DocumentLinks:
    """The items of a document that link a ticket, read from this run or from disk (a
    document a ticket was last pushed from may be outside the run), each document once."""

    def __init__(self, documents: Sequence[ParsedDocument], settings: Settings,
                 pool: TrackerPool) -> None:
        self.settings = settings
        self.pool = pool
        self.run = {parsed.doc.path.resolve(): parsed for parsed in documents}
        self.read: dict[Path, dict[str, list[str]] | None] = {}

    def __call__(self, document: str, ticket: str, near: Path) -> list[str] | None:
        path = document_file(document, near)
        if path is None:
            return None
        path = path.resolve()
        if path not in self.read:
            self.read[path] = self._read(path)
        links = self.read[path]
        return None if links is None else links.get(ticket, [])

    def _read(self, path: Path) -> dict[str, list[str]] | None:
        if path in self.run:
            return self._links(self.run[path])
        if not path.exists():
            return {}
        extraction = extract([path], self.settings)
        return None if extraction.errors else self._links(extraction.documents[0])

    def _links(self, parsed: ParsedDocument) -> dict[str, list[str]]:
        links: dict[str, list[str]] = defaultdict(list)
        for item in parsed.items:
            owned = self.pool.owner_of(item)
            if owned is not None:
                links[owned[1].key].append(item.key)
        return links


def _require_trackers(rows: Sequence[Gathered], pool: TrackerPool) -> None:
    """A run where no item can reach any tracker is a configuration error, not N item problems."""
    problems = [row.problem for row in rows if row.problem]
    if problems and not pool.configured():
        raise NoTrackerConfigured
    if problems and not any(row.tracker for row in rows):
        raise ConfigError(problems[0])


def _gather(tracker: Tracker, rows: list[Gathered]) -> None:
    """Read linked tickets, find marked ones and translate the drafts of items that have a
    ticket to compare with: a few batched calls. Drafts of new items are translated (owners
    looked up) only when they are created, so a dry run looks up no owner it does not need."""
    links = [row.link for row in rows if row.link is not None]
    states = tracker.read(links) if links else {}
    unlinked = [row.marker for row in rows if row.link is None and row.draft is not None]
    found = tracker.find(unlinked) if unlinked else {}
    for row in rows:
        if row.link is not None:
            row.linked = states.get(row.link.key)
        else:
            row.found = found.get(row.marker)
        if row.draft is not None and isinstance(row.linked or row.found, TicketState):
            row.desired, row.notices = tracker.desired(row.draft)


def document_tickets(plans: Sequence[DocumentPlan], pool: TrackerPool
                     ) -> dict[str, list[TicketState]]:
    """Every ticket pmsync made for the run's documents, by document id: one batched read per
    tracker."""
    used: dict[str, list[str]] = defaultdict(list)
    for plan in plans:
        for name in {p.tracker for p in plan.items if p.tracker}:
            used[name].append(plan.document_id)
    found: dict[str, list[TicketState]] = defaultdict(list)
    for name, documents in used.items():
        for document, states in pool.get(name).tickets_of(documents).items():
            found[document].extend(states)
    return found


def find_removed(plans: Sequence[DocumentPlan], pool: TrackerPool,
                 found: dict[str, list[TicketState]] | None = None) -> list[list[TicketState]]:
    """Per document, open tickets whose item is gone: neither its marker nor its link is in the
    document any more (``found``: :func:`document_tickets`, read when not given)."""
    if found is None:
        found = document_tickets(plans, pool)
    # A ticket linked from any document of the run is not removed: a moved item's ticket still
    # carries the stamp of the document it left until this run moves it.
    links = linked_keys(plans, pool)
    removed: list[list[TicketState]] = []
    for plan in plans:
        markers = {p.marker for p in plan.items}
        # An item found by marker is known by its marker; any other linked item by its link.
        removed.append([
            state for state in found.get(plan.document_id, [])
            if state.status in (Status.OPEN, Status.IN_PROGRESS)
            and state.link.key not in links
            and (state.stamp is None or state.stamp.marker not in markers)
        ])
    return removed


def superseded_tickets(found: dict[str, list[TicketState]]) -> dict[str, tuple[TicketState,
                                                                             TicketState]]:
    """Tickets made for an item that already had an older one (two runs created it at once and
    neither saw the other, e.g. behind a lagging index): each newer ticket's key → (its state,
    the oldest), so a later run converges the way the run that created them would have."""
    by_marker: dict[tuple[str, Marker], dict[str, TicketState]] = defaultdict(dict)
    for states in found.values():
        for state in states:
            if state.stamp is not None:
                by_marker[(state.link.tracker, state.stamp.marker)][state.link.key] = state
    superseded: dict[str, tuple[TicketState, TicketState]] = {}
    for same in by_marker.values():
        oldest, *newer = sorted(same.values(), key=lambda s: creation_order(s.link))
        superseded.update((state.link.key, (state, oldest)) for state in newer)
    return superseded


def linked_keys(plans: Sequence[DocumentPlan], pool: TrackerPool) -> set[str]:
    """The keys of the configured trackers' tickets that the run's documents link."""
    return {link.key for plan in plans for p in plan.items
            if (link := _own_link(pool, p)) is not None}


def _own_link(pool: TrackerPool, plan: ItemPlan) -> TicketLink | None:
    owned = pool.owner_of(plan.item)
    return owned[1] if owned else None


def read_linked(documents: Sequence[ParsedDocument], trackers: Sequence[Tracker]
                ) -> dict[tuple[str, int], tuple[TicketLink, TicketState | Failed]]:
    """The ticket of every item that one of ``trackers`` owns (the first that does), by
    ``(file, line)``, with its state: one batched read per tracker, nothing written."""
    wanted: dict[str, list[tuple[tuple[str, int], TicketLink]]] = defaultdict(list)
    by_name = {tracker.name: tracker for tracker in trackers}
    for parsed in documents:
        for item in parsed.items:
            if item.ticket is None:
                continue
            for tracker in trackers:
                link = tracker.owns(item.ticket)
                if link is not None:
                    wanted[tracker.name].append(((str(item.file), item.line), link))
                    break
    found: dict[tuple[str, int], tuple[TicketLink, TicketState | Failed]] = {}
    for name, pairs in wanted.items():
        answers = by_name[name].read(list({link.key: link for _, link in pairs}.values()))
        for key, link in pairs:
            answer = answers.get(link.key) or Failed(None, f"{name} did not return this ticket", link)
            found[key] = (link, answer)
    return found


Linked = dict[tuple[str, int], tuple[TicketLink, TicketState | Failed]]


def follow_duplicates(linked: Linked, trackers: Sequence[Tracker]
                      ) -> tuple[Linked, dict[tuple[str, int], TicketLink]]:
    """Items linking a ticket pmsync closed as a duplicate (its stamp names the one kept) read
    the kept ticket instead: the readings, and the duplicate each such item links. One batched
    read per tracker, only when there are such items."""
    kept: dict[tuple[str, int], TicketLink] = {}
    by_name = {tracker.name: tracker for tracker in trackers}
    for where, (_, state) in linked.items():
        if not isinstance(state, TicketState) or state.stamp is None:
            continue
        ref = parse_ticket(state.stamp.duplicate_of or "")
        owner = by_name.get(state.link.tracker)
        link = owner.owns(ref) if owner is not None and ref is not None else None
        if link is not None:
            kept[where] = link
    followed = dict(linked)
    moved: dict[tuple[str, int], TicketLink] = {}
    for name, tracker in by_name.items():
        wanted = {where: link for where, link in kept.items() if link.tracker == name}
        read = tracker.read(list(wanted.values())) if wanted else {}
        for where, link in wanted.items():
            answer = read.get(link.key)
            if isinstance(answer, TicketState):
                moved[where] = linked[where][0]
                followed[where] = (answer.link, answer)
    return followed, moved
