"""Executing a push plan: the tracker calls each item's plan asks for, then the write-back.

Creates go in chunks (:data:`CREATE_CHUNK`); a document is written back as soon as all its items
have their tickets, and whatever stops the run, links of tickets that exist are written. Tickets
two runs made for one item at once are closed as duplicates of the oldest. Configuration errors
end the run; any other failure is the item's outcome and the run goes on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from connectors.base import Created, Failed, Notice, TicketLink, TicketState, Tracker
from syncer.errors import EXIT_USAGE, InputError, PmsyncError, WriteConflictError, exit_code_for
from syncer.logs import get_logger
from syncer.markdown.document import Document
from syncer.model import ActionItem, Status, TableAnchor
from syncer.sync.edits import ItemChange, plan_edits, render, write_atomic
from syncer.sync.gather import linked_keys
from syncer.sync.plan import DocumentPlan, ItemPlan
from syncer.sync.results import (
    DocumentResult,
    ItemOutcome,
    ItemResult,
    ProgressHook,
    RemovedTicket,
    RunResult,
)
from syncer.sync.status_text import DocumentVocabulary
from syncer.sync.trackers import TrackerPool

log = get_logger("pmsync.sync")


#: How many creates go to a tracker at once (Jira's bulk limit); results are written back between.
CREATE_CHUNK = 50


def with_create_notices(plans: Sequence[DocumentPlan], pool: TrackerPool) -> list[DocumentPlan]:
    """The plans, each create given what its connector will degrade on (an owner it cannot
    assign): translated now, just before creating, not while planning."""
    def noticed(plan: ItemPlan) -> ItemPlan:
        if plan.action != "create" or plan.draft is None:
            return plan
        _, notices = pool.get(str(plan.tracker)).desired(plan.draft)
        return replace(plan, notices=notices)

    return [replace(plan, items=tuple(noticed(item) for item in plan.items)) for plan in plans]


def close_unlinked_duplicates(plans: Sequence[DocumentPlan], pool: TrackerPool,
                              superseded: dict[str, tuple[TicketState, TicketState]]) -> None:
    """Close the superseded tickets no document of the run links (those that are linked are
    closed as their items are relinked, :func:`_relink`)."""
    linked = linked_keys(plans, pool)
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


def removed_ticket(pool: TrackerPool, state: TicketState, close: bool) -> RemovedTicket:
    """The report of an open ticket whose item is gone, closed as won't do when ``close``."""
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


#: What executing a plan that is not a create turns into.
_PLANNED: dict[str, ItemOutcome] = {
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


def execute_push(plans: Sequence[DocumentPlan], pool: TrackerPool, result: RunResult,
                 progress: ProgressHook | None,
                 superseded: dict[str, tuple[TicketState, TicketState]] | None = None) -> None:
    """Execute the plans into ``result``: every item that needs no new ticket first, then the
    creates in chunks per tracker, each document written back once it has all its tickets."""
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
    outcome: ItemOutcome = _PLANNED[plan.action]
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
    run.changes.append(relinked(plan.item, None, old, new))
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
    run.result.written = write_document(doc, changes, run.result)


def write_document(doc: Document, changes: Sequence[ItemChange], result: DocumentResult) -> bool:
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


def relinked(item: ActionItem, change: ItemChange | None, old: TicketLink,
             new: TicketLink) -> ItemChange:
    """``change`` (or none) with the item's link to ``old`` replaced by one to ``new``."""
    pairs = ((old.markdown(), new.markdown()), (old.url, new.url))
    return replace(change or ItemChange(item), relink=pairs)
