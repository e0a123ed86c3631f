"""The sync engine behind ``pmsync push`` and ``pmsync pull``.

Data flows one way: documents are locked and read, items extracted, the tracker state gathered in
batches, a :mod:`plan <syncer.sync.plan>` made, executed, and each document written back as soon as
its tickets exist. This is the only module that both talks to trackers and writes files; it
prints nothing (the commands render its :class:`RunResult`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

from config.settings import Settings
from connectors.base import (
    Created,
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
from syncer.errors import (
    EXIT_USAGE,
    ConfigError,
    InputError,
    PmsyncError,
    WriteConflictError,
    exit_code_for,
)
from syncer.logs import get_logger
from syncer.markdown.document import Document
from syncer.model import ActionItem, ListAnchor, ParsedDocument, Status, TableAnchor
from syncer.parse.annotations import UNCHECKED, trailing_status
from syncer.parse.discovery import discover
from syncer.parse.extract import Extraction, extract
from syncer.parse.values import StatusVocabulary, parse_ticket
from syncer.sync.edits import ItemChange, check_writable, plan_edits, render, write_atomic
from syncer.sync.locks import documents_locked
from syncer.sync.plan import (
    OWNER,
    Claim,
    DocumentPlan,
    ItemPlan,
    Linking,
    claims,
    document_file,
    document_id,
    item_markers,
    make_draft,
    plan_item,
    route,
)
from syncer.sync.status_text import DocumentVocabulary

log = get_logger("pmsync.sync")

Outcome = Literal["created", "updated", "linked", "unchanged", "skipped", "failed", "conflict",
                  "problem", "external", "status", "removed", "closed",
                  # a dry run's results are the plan's own words
                  "create", "update", "link", "skip"]
#: How many creates go to a tracker at once (Jira's bulk limit); results are written back between.
CREATE_CHUNK = 50


@dataclass
class ItemResult:
    """What happened to one item."""

    item: ActionItem
    outcome: Outcome
    link: TicketLink | None = None
    message: str | None = None
    status: str | None = None  # status text written (pull) or filled (push)

    def to_json(self) -> dict[str, object]:
        """The machine-readable form in ``--format json`` output."""
        return {
            "line": self.item.line, "key": self.item.key, "title": self.item.title,
            "action": self.outcome, "ticket": self.link.key if self.link else None,
            "url": self.link.url if self.link else None, "status": self.status,
            "message": self.message,
        }


@dataclass
class RemovedTicket:
    """An open ticket pmsync made for an item that is no longer in its document."""

    link: TicketLink
    title: str
    closed: bool = False
    message: str | None = None

    def to_json(self) -> dict[str, object]:
        """The machine-readable form."""
        return {"ticket": self.link.key, "url": self.link.url, "title": self.title,
                "closed": self.closed, "message": self.message}


@dataclass
class DocumentResult:
    """What happened to one document."""

    path: Path
    items: list[ItemResult] = field(default_factory=list)
    written: bool = False
    error: str | None = None
    removed: list[RemovedTicket] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        """Items with ``outcome``."""
        return sum(1 for i in self.items if i.outcome == outcome)


@dataclass
class RunResult:
    """The result of a push or pull over many documents."""

    command: Literal["push", "pull"]
    dry_run: bool
    documents: list[DocumentResult] = field(default_factory=list)
    errors: list[PmsyncError] = field(default_factory=list)
    interrupted: bool = False
    #: The items hold the plan, in its words: a dry run, or a push refused before acting.
    planned: bool = False

    def total(self, outcome: str) -> int:
        """Items with ``outcome`` over all documents."""
        return sum(d.count(outcome) for d in self.documents)

    @property
    def failed(self) -> bool:
        """Whether anything needs a person: failures, conflicts, problems, unwritten documents."""
        return self.interrupted or any(
            d.error or d.count("failed") or d.count("conflict") or d.count("problem")
            for d in self.documents
        )


class TrackerPool:
    """The trackers of one run, built on first use from settings (construction does no I/O)."""

    def __init__(self, settings: Settings, default: str | None = None) -> None:
        self.settings = settings
        self._default = default
        self._built: dict[str, Tracker] = {}

    def configured(self) -> list[str]:
        """Trackers with enough configuration to be reached."""
        names = []
        if self.settings.jira.url:
            names.append("jira")
        if self.settings.github.repo:
            names.append("github")
        return names

    @property
    def default(self) -> str | None:
        """``--tracker``, else the ``tracker`` setting, else the only configured tracker."""
        if self._default:
            return self._default
        if self.settings.tracker:
            return self.settings.tracker
        configured = self.configured()
        return configured[0] if len(configured) == 1 else None

    def get(self, name: str) -> Tracker:
        """The tracker called ``name``."""
        if name not in self._built:
            from connectors.registry import build_tracker

            self._built[name] = build_tracker(name, self.settings)
        return self._built[name]

    def owner_of(self, item: ActionItem) -> tuple[str, TicketLink] | None:
        """The configured tracker that owns the item's ticket reference, and the link."""
        if item.ticket is None:
            return None
        for name in self.configured():
            link = self.get(name).owns(item.ticket)
            if link is not None:
                return name, link
        return None

    def close(self) -> None:
        """Close every tracker built."""
        for tracker in self._built.values():
            tracker.close()


ProgressHook = Callable[[str, int], None]  # (phase description, items done since last call)


# --- push ------------------------------------------------------------------------------------


def push(
    paths: Sequence[Path],
    settings: Settings,
    *,
    dry_run: bool = False,
    tracker: str | None = None,
    close_removed: bool = False,
    pool: TrackerPool | None = None,
    progress: ProgressHook | None = None,
) -> tuple[RunResult, list[DocumentPlan]]:
    """Plan and (unless ``dry_run``) execute a push; returns the result and the plans.

    Open tickets of items deleted from their document are reported, and closed as not planned
    with ``close_removed``.
    """
    files = discover(paths)
    own_pool = pool is None
    pool = pool or TrackerPool(settings, tracker)
    try:
        with documents_locked(files):
            extraction = extract(files, settings)
            if not dry_run:
                extraction = writable_only(extraction)
            documents, too_long = _within_item_cap(extraction.documents, settings)
            plans = plan_push(documents, settings, pool)
            result = RunResult("push", dry_run, errors=[*extraction.errors, *too_long])
            made = document_tickets(plans, pool)
            removed = find_removed(plans, pool, made)
            superseded = superseded_tickets(made)
            refusal = _over_create_limit(plans, settings)
            if refusal is not None:
                result.errors.append(refusal)
            result.planned = dry_run or refusal is not None
            if result.planned:
                result.documents = [_planned(plan) for plan in plans]
            else:
                _close_unlinked_duplicates(plans, pool, superseded)
                _execute_push(_with_create_notices(plans, pool), pool, result, progress,
                              superseded)
            for document, tickets in zip(result.documents, removed):
                document.removed = [_removed(pool, state, close_removed and not result.planned)
                                    for state in tickets]
            return result, plans
    finally:
        if own_pool:
            pool.close()


def _within_item_cap(documents: Sequence[ParsedDocument], settings: Settings
                     ) -> tuple[list[ParsedDocument], list[InputError]]:
    """The documents with at most ``push.max_items_per_document`` items, and an error for each
    of the others: a broken or hostile document must not make thousands of tickets."""
    cap = settings.push.max_items_per_document
    kept: list[ParsedDocument] = []
    refused: list[InputError] = []
    for parsed in documents:
        if cap and len(parsed.items) > cap:
            refused.append(InputError(parsed.doc.path, (
                f"{len(parsed.items)} action items, more than push.max_items_per_document "
                f"({cap}); nothing was pushed from it. If they are real, raise the limit "
                "(PMSYNC_PUSH__MAX_ITEMS_PER_DOCUMENT, or max_items_per_document under [push] "
                "in pmsync.toml; 0 means no limit)")))
        else:
            kept.append(parsed)
    return kept, refused


def _over_create_limit(plans: Sequence[DocumentPlan], settings: Settings) -> ConfigError | None:
    """The error that stops a push planning more creates than ``push.max_create``."""
    limit = settings.push.max_create
    creates = sum(plan.count("create") for plan in plans)
    if not limit or creates <= limit:
        return None
    return ConfigError(
        f"this push would create {creates} tickets, more than push.max_create ({limit}): "
        f"nothing was created. Check the plan, then run again with --max-create {creates} "
        "(0 means no limit) or set PMSYNC_PUSH__MAX_CREATE")


def writable_only(extraction: Extraction) -> Extraction:
    """The documents pmsync can write back; the others become errors before any tracker call."""
    documents: list[ParsedDocument] = []
    errors = list(extraction.errors)
    for parsed in extraction.documents:
        try:
            check_writable(parsed.doc.path)
        except InputError as exc:
            errors.append(exc)
            continue
        documents.append(parsed)
    return Extraction(tuple(documents), tuple(errors))


@dataclass
class _Gathered:
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


def plan_push(documents: Sequence[ParsedDocument], settings: Settings,
              pool: TrackerPool) -> list[DocumentPlan]:
    """Gather the tracker state every item needs, in batches per tracker, and plan each item."""
    rows: list[_Gathered] = []
    for index, parsed in enumerate(documents):
        markers = item_markers(document_id(parsed.doc.path), parsed.items)
        for item in parsed.items:
            row = _Gathered(index, item, markers[item.line])
            owned = pool.owner_of(item)
            if owned is not None:
                row.tracker, row.link = owned
            elif item.ticket is None:
                row.tracker, row.problem = route(item, parsed.doc.path, settings.routes,
                                                 pool.default, ("jira", "github"))
                if row.tracker is not None and row.tracker not in pool.configured():
                    row.problem, row.tracker = _not_configured(row.tracker), None
            if row.tracker and not row.problem:
                row.draft = make_draft(item, row.marker, parsed, settings.document_base_url)
            rows.append(row)
    _require_trackers(rows, pool)
    by_tracker: dict[str, list[_Gathered]] = defaultdict(list)
    for row in rows:
        if row.tracker:
            by_tracker[row.tracker].append(row)
    for name, group in by_tracker.items():
        _gather(pool.get(name), group)
    _decide_claims(rows, documents, settings, pool)
    plans: list[list[ItemPlan]] = [[] for _ in documents]
    for row in rows:
        plans[row.index].append(plan_item(
            row.item, tracker=row.tracker, problem=row.problem, marker=row.marker,
            draft=row.draft, desired=row.desired, notices=row.notices, link=row.link,
            linked=row.linked, found=row.found, create_done=settings.push.create_done,
            claim=row.claim,
        ))
    return [DocumentPlan(parsed, document_id(parsed.doc.path), tuple(items))
            for parsed, items in zip(documents, plans)]


def _decide_claims(rows: Sequence[_Gathered], documents: Sequence[ParsedDocument],
                   settings: Settings, pool: TrackerPool) -> None:
    """Which item each linked ticket belongs to now (see :func:`syncer.sync.plan.claims`); and a
    ticket some item links is never another item's, found by an outdated marker."""
    stamped: list[tuple[_Gathered, Linking]] = []
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


NO_TRACKER = ("no tracker is configured: set PMSYNC_JIRA__URL, PMSYNC_JIRA__PROJECT and "
              "PMSYNC_JIRA__TOKEN, or PMSYNC_GITHUB__REPO and PMSYNC_GITHUB__TOKEN (then check "
              "with pmsync doctor)")


def _not_configured(name: str) -> str:
    variable = "PMSYNC_JIRA__URL" if name == "jira" else "PMSYNC_GITHUB__REPO or GITHUB_REPOSITORY"
    return f"{name} is not configured: set {variable}"


def _require_trackers(rows: Sequence[_Gathered], pool: TrackerPool) -> None:
    """A run where no item can reach any tracker is a configuration error, not N item problems."""
    problems = [row.problem for row in rows if row.problem]
    if problems and not pool.configured():
        raise ConfigError(NO_TRACKER)
    if problems and not any(row.tracker for row in rows):
        raise ConfigError(problems[0])


def _gather(tracker: Tracker, rows: list[_Gathered]) -> None:
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


def _with_create_notices(plans: Sequence[DocumentPlan], pool: TrackerPool) -> list[DocumentPlan]:
    """The plans, each create given what its connector will degrade on (an owner it cannot
    assign): translated now, just before creating, not while planning."""
    def noticed(plan: ItemPlan) -> ItemPlan:
        if plan.action != "create" or plan.draft is None:
            return plan
        _, notices = pool.get(str(plan.tracker)).desired(plan.draft)
        return replace(plan, notices=notices)

    return [replace(plan, items=tuple(noticed(item) for item in plan.items)) for plan in plans]


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
    links = _linked_keys(plans, pool)
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


def _close_unlinked_duplicates(plans: Sequence[DocumentPlan], pool: TrackerPool,
                               superseded: dict[str, tuple[TicketState, TicketState]]) -> None:
    """Close the superseded tickets no document of the run links (those that are linked are
    closed as their items are relinked, :func:`_relink`)."""
    linked = _linked_keys(plans, pool)
    for key, (state, oldest) in superseded.items():
        if key not in linked:
            _close_duplicate(pool.get(state.link.tracker), state, oldest)


def _close_duplicate(tracker: Tracker, state: TicketState, oldest: TicketState) -> str | None:
    """Close ``state`` as a duplicate of ``oldest`` unless it is closed already; the error, if
    the tracker refused."""
    if state.status not in (Status.OPEN, Status.IN_PROGRESS):
        return None
    try:
        tracker.close_duplicate(state, oldest)
    except PmsyncError as exc:
        log.warning("closing a duplicate failed", ticket=state.link.key, error=str(exc))
        return str(exc)
    log.warning("closed a duplicate", ticket=state.link.key, kept=oldest.link.key)
    return None


def _linked_keys(plans: Sequence[DocumentPlan], pool: TrackerPool) -> set[str]:
    """The keys of the configured trackers' tickets that the run's documents link."""
    return {link.key for plan in plans for p in plan.items
            if (link := _own_link(pool, p)) is not None}


def _own_link(pool: TrackerPool, plan: ItemPlan) -> TicketLink | None:
    owned = pool.owner_of(plan.item)
    return owned[1] if owned else None


def _removed(pool: TrackerPool, state: TicketState, close: bool) -> RemovedTicket:
    removed = RemovedTicket(state.link, state.fields.title)
    if not close:
        return removed
    try:
        pool.get(state.link.tracker).set_status(state, Status.WONT_DO)
        removed.closed = True
        log.info("closed removed item", ticket=state.link.key)
    except PmsyncError as exc:
        _stop_on_configuration(exc)
        removed.message = str(exc)
    return removed


def _planned(plan: DocumentPlan) -> DocumentResult:
    """A dry run's result: each item's planned action, in the plan's words, nothing done."""
    result = DocumentResult(plan.parsed.doc.path)
    for item in plan.items:
        result.items.append(ItemResult(item.item, item.action, item.link, item.message))
    return result


#: What executing a plan that is not a create turns into.
_PLANNED: dict[str, Outcome] = {
    "update": "updated", "link": "linked", "unchanged": "unchanged", "skip": "skipped",
    "conflict": "conflict", "problem": "problem", "external": "external",
}


@dataclass
class _DocumentRun:
    """Execution state of one document's plan."""

    plan: DocumentPlan
    result: DocumentResult
    pending: set[int] = field(default_factory=set)  # lines still waiting for a create
    changes: list[ItemChange] = field(default_factory=list)
    done: bool = False

    @cached_property
    def vocabulary(self) -> DocumentVocabulary:
        """How this document writes statuses."""
        return DocumentVocabulary(self.plan.parsed.items)


def _execute_push(plans: Sequence[DocumentPlan], pool: TrackerPool, result: RunResult,
                  progress: ProgressHook | None,
                  superseded: dict[str, tuple[TicketState, TicketState]] | None = None) -> None:
    runs = [_DocumentRun(plan, DocumentResult(plan.parsed.doc.path)) for plan in plans]
    result.documents = [run.result for run in runs]
    creates: dict[str, list[tuple[_DocumentRun, ItemPlan]]] = defaultdict(list)
    for run in runs:
        for item in run.plan.items:
            if item.action == "create":
                run.pending.add(item.item.line)
                creates[str(item.tracker)].append((run, item))
    try:
        for run in runs:
            for item in run.plan.items:
                if item.action != "create":
                    run.result.items.append(_settle(item, run, pool, progress, superseded or {}))
        for run in runs:
            if not run.pending:
                _write_back(run)
        for name, queue in creates.items():
            tracker = pool.get(name)
            for start in range(0, len(queue), CREATE_CHUNK):
                _create_chunk(tracker, queue[start : start + CREATE_CHUNK])
                if progress:
                    progress("creating tickets", len(queue[start : start + CREATE_CHUNK]))
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        # Whatever happened, links of tickets that exist are written, so a re-run links, never
        # re-creates (it would also find them by marker; this keeps documents current).
        for run in runs:
            if not run.done:
                _write_back(run)
        if result.interrupted:
            for run in runs:
                for plan in run.plan.items:
                    if plan.item.line in run.pending:
                        run.result.items.append(ItemResult(plan.item, "failed", message="interrupted"))


def _match_status(tracker: Tracker, item: ActionItem, outcome: Created | Failed) -> Created | Failed:
    """A new ticket starts in the status the document gives its item (``Done`` stays done);
    from then on the tracker owns the status. A failure here keeps the ticket, with a notice."""
    wanted = item.status
    if not isinstance(outcome, Created) or wanted in (None, Status.OPEN):
        return outcome
    if wanted not in tracker.statuses or outcome.state.status is not Status.OPEN:
        return outcome  # already there, or moved by a person since: the tracker decides
    try:
        state = tracker.set_status(outcome.state, wanted)
    except PmsyncError as exc:
        _stop_on_configuration(exc)
        notice = Notice(outcome.marker, f"created, but its status could not be set: {exc}")
        return replace(outcome, notices=(*outcome.notices, notice))
    return replace(outcome, state=state)


def _create_chunk(tracker: Tracker, chunk: Sequence[tuple[_DocumentRun, ItemPlan]]) -> None:
    """Create the chunk's tickets, read them back (:func:`_keep_oldest`) and record each
    outcome; a document is written back once it has all its tickets. Interrupted or stopped,
    the outcomes known so far are still recorded and written, unchecked (a later run converges),
    so no link is lost."""
    outcomes: dict[int, Created | Failed] = {}
    drafts = [plan.draft for _, plan in chunk if plan.draft is not None]
    try:
        try:
            tracker.create(drafts, outcomes.__setitem__)
        except PmsyncError as exc:
            # A whole-batch failure (rate limit exhausted) fails these items, not the run.
            _stop_on_configuration(exc)
            for index, (_, plan) in enumerate(chunk):
                outcomes.setdefault(index, Failed(plan.marker, str(exc)))
        outcomes = _keep_oldest(tracker, outcomes)
    finally:
        for index in sorted(outcomes):
            run, plan = chunk[index]
            run.result.items.append(_created(plan, _match_status(tracker, plan.item,
                                                                 outcomes[index]), run))
            run.pending.discard(plan.item.line)
            if not run.pending and not run.done:
                _write_back(run)


def _keep_oldest(tracker: Tracker, outcomes: dict[int, Created | Failed]
                 ) -> dict[int, Created | Failed]:
    """Read the tickets just created back by marker: where another run (another clone, CI)
    created one for the same item at the same time, the oldest is kept and linked, and the one
    made here is closed as its duplicate. The run that created later always sees the earlier
    ticket, so exactly one ticket stays open."""
    made = {i: o for i, o in outcomes.items() if isinstance(o, Created) and not o.recovered}
    if not made:
        return outcomes
    try:
        found = tracker.find_all([o.marker for o in made.values()])
    except PmsyncError as exc:
        log.warning("could not read the new tickets back; the next run will", error=str(exc))
        return outcomes
    kept = dict(outcomes)
    for index, outcome in made.items():
        oldest = (found.get(outcome.marker) or [outcome.state])[0]
        if oldest.link != outcome.state.link:
            kept[index] = _yield_to(tracker, outcome, oldest)
    return kept


def _yield_to(tracker: Tracker, outcome: Created, oldest: TicketState) -> Created:
    """Close the ticket made here as a duplicate of ``oldest``, which the item links instead."""
    mine = outcome.state.link.key
    note = f"another run created {oldest.link.key} for this item at the same time; "
    error = _close_duplicate(tracker, outcome.state, oldest)
    note += f"closing {mine} as its duplicate failed: {error}" if error else \
        f"{mine} was closed as its duplicate"
    return Created(outcome.marker, oldest, recovered=True,
                   notices=(*outcome.notices, Notice(outcome.marker, note)))


def _settle(plan: ItemPlan, run: _DocumentRun, pool: TrackerPool,
            progress: ProgressHook | None,
            superseded: dict[str, tuple[TicketState, TicketState]]) -> ItemResult:
    """Execute a non-create plan: update fields, write a recovered link, fill an empty status;
    an item linking a ticket superseded by an older one is relinked instead."""
    item, state = plan.item, plan.state
    if state is not None and state.link.key in superseded and plan.action in ("update",
                                                                                "unchanged"):
        return _relink(plan, run, pool, *superseded[state.link.key])
    outcome: Outcome = _PLANNED[plan.action]
    message = plan.message
    if state is not None and (plan.fields or plan.restamp) and plan.draft is not None:
        try:
            state = pool.get(str(plan.tracker)).update(state, plan.draft, plan.fields)
            log.info("updated", ticket=state.link.key, fields=list(plan.fields))
            if progress:
                progress("updating tickets", 1)
        except PmsyncError as exc:
            _stop_on_configuration(exc)
            return ItemResult(item, "failed", state.link, f"{state.link.key}: {exc}")
    if plan.action == "link" and state is not None and plan.marker is not None:
        # Recovered from a run that stopped after creating it: finish what that run began.
        recovered = _match_status(pool.get(str(plan.tracker)), item,
                                  Created(plan.marker, state, recovered=True))
        state = recovered.state if isinstance(recovered, Created) else state
        run.changes.append(ItemChange(item, ticket=state.link.markdown()))
    status = _status_fill(item, state, run.vocabulary)
    if status is not None:
        run.changes.append(ItemChange(item, status=status))
    # Each item's notices and failures are results: the table or JSON shows them once; the log
    # repeats them at info level only (-v), so a terminal does not show every finding twice.
    if plan.fields:  # what a connector degraded on matters when pmsync writes, not every run
        for notice in plan.notices:
            log.info("notice", file=str(item.file), line=item.line, message=notice.message)
    return ItemResult(item, outcome, state.link if state else None, message, status)


def _relink(plan: ItemPlan, run: _DocumentRun, pool: TrackerPool, state: TicketState,
            oldest: TicketState) -> ItemResult:
    """Link the item to ``oldest`` in place of ``state``, its newer duplicate, and close that."""
    old, new = state.link, oldest.link
    run.changes.append(_relinked(plan.item, None, old, new))
    error = _close_duplicate(pool.get(old.tracker), state, oldest)
    message = (f"{old.key} was made for this item by a run at the same time as {new.key}, "
               f"which it now links; {old.key} " + (f"could not be closed: {error}" if error
                                                     else "is closed as its duplicate"))
    return ItemResult(plan.item, "linked", new, message)


def _stop_on_configuration(exc: PmsyncError) -> None:
    """Re-raise a configuration error (a token that may not write, a wrong setting): it is the
    same for every item, so it ends the run with one message and exit 2, not one failure per
    item, and nothing more is attempted. Links of tickets already created are still written."""
    if exit_code_for(exc) == EXIT_USAGE:
        raise exc


def _created(plan: ItemPlan, outcome: Created | Failed, run: _DocumentRun) -> ItemResult:
    item = plan.item
    if isinstance(outcome, Failed):
        log.info("create failed", file=str(item.file), line=item.line, message=outcome.message)
        return ItemResult(item, "failed", outcome.link, outcome.message)
    state = outcome.state
    log.info("linked" if outcome.recovered else "created", ticket=state.link.key,
             file=str(item.file), line=item.line)
    notices = list(dict.fromkeys(n.message for n in (*plan.notices, *outcome.notices)))
    for notice in notices:
        log.info("notice", file=str(item.file), line=item.line, message=notice)
    status = _status_fill(item, state, run.vocabulary)
    run.changes.append(ItemChange(item, ticket=state.link.markdown(), status=status))
    message = "; ".join(notices) or None
    return ItemResult(item, "linked" if outcome.recovered else "created", state.link, message,
                      status)


def _status_fill(item: ActionItem, state: TicketState | None,
                 vocabulary: DocumentVocabulary) -> str | None:
    """The text for an empty Status cell of a table item (push never adds a Status column)."""
    if state is None or not isinstance(item.anchor, TableAnchor):
        return None
    if "status" not in item.anchor.columns or item.status_raw:
        return None
    index = item.anchor.columns["status"]
    texts = item.anchor.row.texts
    if index < len(texts) and texts[index]:
        return None  # a placeholder or note a person wrote; left as it is
    return vocabulary.text(state.status)


def _write_back(run: _DocumentRun) -> None:
    """Write the document's owned cells; a failure is recorded, never raised."""
    run.done = True
    if not run.changes:
        return
    doc = run.plan.parsed.doc
    changes = _merge(run.changes)
    run.result.written = _write_document(doc, changes, run.result)


def _write_document(doc: Document, changes: Sequence[ItemChange], result: DocumentResult) -> bool:
    """Write ``changes``; a failure is recorded on ``result`` (its items say what was not
    written when the file changed meanwhile), never raised."""
    try:
        return write_atomic(doc, render(doc, plan_edits(doc, changes)))
    except InputError as exc:
        result.error = str(exc)
        log.error("write-back failed", file=str(doc.path), error=str(exc))
        if isinstance(exc, WriteConflictError):
            _not_written(result, {change.item.line for change in changes}, exc.message)
        return False


def _not_written(result: DocumentResult, lines: set[int], reason: str) -> None:
    """Items whose link or status was not written become conflicts that say so."""
    for entry in result.items:
        if entry.item.line in lines and entry.outcome != "failed":
            done = f"{entry.link.key} {entry.outcome}; " if entry.link else ""
            entry.message = f"{done}not written: the document {reason}"
            entry.outcome = "conflict"


def _merge(changes: Iterable[ItemChange]) -> list[ItemChange]:
    """One change per item (a link and a status fill for the same row become one)."""
    merged: dict[int, ItemChange] = {}
    for change in changes:
        line = change.item.line
        if line in merged:
            old = merged[line]
            change = replace(old, ticket=change.ticket or old.ticket,
                             relink=change.relink or old.relink,
                             status=change.status if change.status is not None else old.status,
                             checked=change.checked if change.checked is not None else old.checked)
        merged[line] = change
    return list(merged.values())


# --- pull ------------------------------------------------------------------------------------


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
                raise ConfigError(NO_TRACKER)
            trackers = [pool.get(name) for name in pool.configured()]
            linked, moved = follow_duplicates(read_linked(extraction.documents, trackers),
                                              trackers)
            expressible = {tracker.name: tracker.statuses for tracker in trackers}
            for parsed in extraction.documents:
                document = DocumentResult(parsed.doc.path)
                result.documents.append(document)
                _pull_document(parsed, linked, expressible, document, dry_run, moved)
            return result
    finally:
        if own_pool:
            pool.close()


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
            changes.append(_relinked(item, change, duplicate, state.link))
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
        result.written = _write_document(parsed.doc, changes, result)


def _relinked(item: ActionItem, change: ItemChange | None, old: TicketLink,
              new: TicketLink) -> ItemChange:
    """``change`` (or none) with the item's link to ``old`` replaced by one to ``new``."""
    pairs = ((old.markdown(), new.markdown()), (old.url, new.url))
    return replace(change or ItemChange(item), relink=pairs)


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
