"""``pmsync push``: lock and read the documents, gather the tracker state, plan, execute.

Data flows one way: documents are locked and read, items extracted, the tracker state gathered
in batches (:mod:`~syncer.sync.gather`), a :mod:`plan <syncer.sync.plan>` made, executed
(:mod:`~syncer.sync.execute`), and each document written back as soon as its tickets exist.
Nothing here prints (the commands render its :class:`~syncer.sync.results.RunResult`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from config.settings import Settings
from syncer.errors import ConfigError, InputError
from syncer.model import ParsedDocument
from syncer.parse.discovery import discover
from syncer.parse.extract import extract
from syncer.sync.document_ids import document_id
from syncer.sync.edits import linkable_only, writable_only
from syncer.sync.execute import (
    close_unlinked_duplicates,
    execute_push,
    removed_ticket,
    with_create_notices,
)
from syncer.sync.gather import document_tickets, find_removed, gather_items, superseded_tickets
from syncer.sync.locks import documents_locked
from syncer.sync.plan import DocumentPlan, ItemPlan, plan_item
from syncer.sync.results import DocumentResult, ItemResult, ProgressHook, RunResult
from syncer.sync.trackers import TrackerPool


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
            extraction = linkable_only(extraction)
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
                close_unlinked_duplicates(plans, pool, superseded)
                execute_push(with_create_notices(plans, pool), pool, result, progress,
                             superseded)
            for document, tickets in zip(result.documents, removed):
                close = close_removed and not result.planned
                document.removed = [removed_ticket(pool, state, close) for state in tickets]
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


def plan_push(documents: Sequence[ParsedDocument], settings: Settings,
              pool: TrackerPool) -> list[DocumentPlan]:
    """Gather the tracker state every item needs, in batches per tracker, and plan each item."""
    rows = gather_items(documents, settings, pool)
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


def _planned(plan: DocumentPlan) -> DocumentResult:
    """A dry run's result: each item's planned action, in the plan's words, nothing done."""
    result = DocumentResult(plan.parsed.doc.path)
    for item in plan.items:
        result.items.append(ItemResult(item.item, item.action, item.link, item.message))
    return result
