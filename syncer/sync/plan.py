"""Planning a push: what to do with each item, decided from the document and the tracker state.

Everything here is pure. :mod:`~syncer.sync.gather` reads the tracker state first (tickets
found by marker, linked tickets read in batches, the fields each draft asks for) and hands it to
:func:`plan_item`; the resulting :class:`ItemPlan` says create, update, link, unchanged, skip,
conflict or problem, with the reason.

Authority: the document decides title, owner, due date and priority; the tracker decides status.
A field is pushed only when the document changed it since the last push (the snapshot stored on
the ticket); when the tracker changed it too, to something else, that is a conflict, reported and
left alone.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal

from config.settings import RouteRule
from connectors.base import (
    Draft,
    DraftContext,
    Failed,
    FieldName,
    Marker,
    Notice,
    Stamp,
    TicketFields,
    TicketLink,
    TicketState,
)
from syncer.model import ActionItem, Due, ParsedDocument, Status

Action = Literal["create", "update", "link", "unchanged", "skip", "conflict", "problem",
                 "external"]
#: The statuses of items that get no ticket when pmsync first meets them, unless
#: ``push.create_done`` is set.
FINISHED = (Status.DONE, Status.WONT_DO)
_FINISHED_WORDS = {Status.DONE: "done", Status.WONT_DO: "won't do"}


def skipped_when_new(item: ActionItem, create_done: bool) -> bool:
    """Whether push gives an item it meets for the first time no ticket: it is finished already
    and ``push.create_done`` is off."""
    return item.status in FINISHED and not create_done


@dataclass(frozen=True)
class Claim:
    """How an item that links a ticket pmsync made relates to the ticket's own item.

    The link in the document is an item's identity: ``owner`` compares and pushes whatever the
    item's title or document path is now; ``takeover`` does too, and moves the ticket's stored
    marker here (the document it was last pushed from, ``document``, is gone or no longer links
    it, and this is the one item linking it, or the one that is the same item). A ``reference``
    (another item naming the ticket) only reads its status. A ``copy`` (the same item in a second
    document that still links it) and a ``contested`` ticket (linked from several documents, none
    of them its own nor telling which holds its item) are problems: nothing changes the ticket.
    """

    kind: Literal["owner", "takeover", "reference", "copy", "contested"] = "owner"
    document: str | None = None  # where the ticket was last pushed from
    others: tuple[str, ...] = ()  # the other documents of a contested ticket


OWNER = Claim()


def base_key(key: str) -> str:
    """An item key without the ``~2`` :func:`item_markers` gives a repeated key."""
    return re.sub(r"~\d+$", "", key)


@dataclass(frozen=True)
class Linking:
    """An item of this run whose document links a ticket pmsync made (one with a stamp)."""

    marker: Marker  # the item's own, from its document and key as they are now
    stamp: Stamp  # what the ticket stores: the marker it was last pushed for
    ticket: str  # the ticket's key
    file: Path


#: For a document id, a ticket key and a file near it: the keys of the document's items that
#: link the ticket ([] when the document is gone or links it no more), None when unknown.
Linkers = Callable[[str, str, Path], "list[str] | None"]


def claims(linkings: Sequence[Linking], linkers: Linkers) -> list[Claim]:
    """Decide, for every item of a run that links a ticket pmsync made, how it relates to the
    ticket (see :class:`Claim`), one claim per linking, in order."""
    groups: dict[str, list[int]] = {}
    for index, linking in enumerate(linkings):
        groups.setdefault(linking.ticket, []).append(index)
    decided: dict[int, Claim] = {}
    for indexes in groups.values():
        group = [linkings[i] for i in indexes]
        decided.update(zip(indexes, _group_claims(group, linkers)))
    return [decided[i] for i in range(len(linkings))]


def _group_claims(group: Sequence[Linking], linkers: Linkers) -> list[Claim]:
    stamp = group[0].stamp
    origin = stamp.marker.document_id
    exact = [g for g in group if g.marker == stamp.marker]
    home = exact[:1] or [g for g in group if g.marker.document_id == origin]
    if len(home) > 1:  # several items of its own document link it, none by its marker
        return [Claim("reference", origin) for _ in group]
    if home:
        keys = {base_key(stamp.marker.item_key), base_key(home[0].marker.item_key)}
        return [OWNER if g is home[0] else _other(g, origin, keys) for g in group]
    found = linkers(origin, group[0].ticket, group[0].file)
    if found is None or found:  # the earlier document still links it (or cannot be read)
        keys = {base_key(stamp.marker.item_key), *map(base_key, found or ())}
        return [_other(g, origin, keys) for g in group]
    same = [g for g in group if base_key(g.marker.item_key) == base_key(stamp.marker.item_key)]
    heir = group[0] if len(group) == 1 else same[0] if len(same) == 1 else None
    if heir is not None:  # the one item linking it, or the one that is the same item
        return [Claim("takeover", origin) if g is heir else Claim("reference", origin)
                for g in group]
    return [Claim("contested", origin,
                  tuple(dict.fromkeys(h.marker.document_id for h in group if h is not g)))
            for g in group]


def _other(linking: Linking, origin: str, keys: set[str]) -> Claim:
    """An item that links a ticket another item owns: the same item elsewhere is a copy."""
    copied = linking.marker.document_id != origin and base_key(linking.marker.item_key) in keys
    return Claim("copy" if copied else "reference", origin)


@dataclass(frozen=True)
class ItemPlan:
    """The decision for one item, with everything execution and reporting need."""

    item: ActionItem
    action: Action
    tracker: str | None = None
    marker: Marker | None = None
    draft: Draft | None = None
    state: TicketState | None = None  # the ticket as it is now, when there is one
    fields: tuple[FieldName, ...] = ()  # to update
    conflicts: tuple[FieldName, ...] = ()
    message: str | None = None
    notices: tuple[Notice, ...] = ()
    restamp: bool = False  # the ticket's stored marker moves to this item (a moved document)

    @property
    def link(self) -> TicketLink | None:
        """The item's ticket, when it has one already."""
        return self.state.link if self.state else None


@dataclass(frozen=True)
class DocumentPlan:
    """The plans for every item of one document."""

    parsed: ParsedDocument
    document_id: str
    items: tuple[ItemPlan, ...] = field(default_factory=tuple)

    def count(self, action: Action) -> int:
        """How many items have ``action``."""
        return sum(1 for p in self.items if p.action == action)


def item_markers(document: str, items: Sequence[ActionItem]) -> dict[int, Marker]:
    """A marker per item (by line); a repeated key gets ``~2``, ``~3``… in document order, so
    two items with the same title still get a ticket each."""
    seen: dict[str, int] = {}
    markers: dict[int, Marker] = {}
    for item in items:
        key = item.key
        seen[key] = seen.get(key, 0) + 1
        markers[item.line] = Marker(document, key if seen[key] == 1 else f"{key}~{seen[key]}")
    return markers


def route(item: ActionItem, path: Path, rules: Sequence[RouteRule], default: str | None,
          known: Sequence[str]) -> tuple[str | None, str | None]:
    """The tracker for an item: its Tracker column, else the first matching rule, else the
    default. Returns ``(tracker, None)`` or ``(None, problem)``."""
    if item.tracker:
        name = item.tracker.strip().casefold()
        for tracker in known:
            if name == tracker or name.startswith(tracker):
                return tracker, None
        return None, f"unknown tracker {item.tracker!r} in the Tracker column (known: {', '.join(known)})"
    for rule in rules:
        if _matches(rule, item, path):
            return rule.tracker, None
    if default:
        return default, None
    return None, "no tracker chosen: set PMSYNC_TRACKER (or tracker in pmsync.toml) or pass --tracker"


def _matches(rule: RouteRule, item: ActionItem, path: Path) -> bool:
    if rule.path and not fnmatch.fnmatch(path.as_posix(), rule.path):
        return False
    checks = ((rule.section, item.section), (rule.owner, item.owner), (rule.title, item.title),
              (rule.priority, item.priority))
    return all(re.search(pattern, value or "", re.IGNORECASE) for pattern, value in checks if pattern)


def make_draft(item: ActionItem, marker: Marker, parsed: ParsedDocument,
               base_url: str | None, due: Due | None = None) -> Draft:
    """What the item asks its ticket to be; ``due`` is its effective due date (the document's,
    else the follow-up policy's), so a new ticket gets the policy's date."""
    context = DraftContext(
        document=item.file,
        line=item.line,
        section=item.section,
        incident_id=parsed.metadata.incident_id,
        incident_title=parsed.metadata.title,
        document_url=_document_url(base_url, marker.document_id, item.line),
    )
    return Draft(marker, item.own_title, context, owner=item.owner,
                 due=due.date if due is not None else item.due,
                 priority=item.priority, status=item.status)


def _document_url(base: str | None, doc: str, line: int) -> str | None:
    if not base:
        return None
    return f"{base.rstrip('/')}/{doc}#L{line}"


def plan_item(
    item: ActionItem,
    *,
    tracker: str | None,
    problem: str | None = None,
    marker: Marker | None = None,
    draft: Draft | None = None,
    desired: TicketFields | None = None,
    notices: tuple[Notice, ...] = (),
    link: TicketLink | None = None,
    linked: TicketState | Failed | None = None,
    found: TicketState | None = None,
    create_done: bool = False,
    claim: Claim = OWNER,
) -> ItemPlan:
    """Decide one item.

    ``link`` is the item's own ticket reference when a configured tracker owns it, ``linked``
    that ticket as read and ``claim`` how the item relates to it; ``found`` is a ticket carrying
    the item's marker (a create whose link never reached the document). An item already finished
    when pmsync first meets it gets no ticket unless ``create_done``.
    """
    base = ItemPlan(item, "problem", tracker, marker, draft, notices=notices)
    if item.ticket is not None and link is None:
        return replace(base, action="external",
                        message=f"references {item.ticket.display()}, which pmsync does not manage")
    if link is not None:
        if isinstance(linked, Failed) or linked is None:
            reason = linked.message if isinstance(linked, Failed) else "not found"
            return replace(base, action="problem", message=f"{link.key}: {reason}")
        return _linked(replace(base, action="unchanged", state=linked), desired, claim)
    if problem is not None:
        return replace(base, message=problem)
    if found is not None:
        return _compare(replace(base, action="link", state=found), desired)
    if item.status is not None and skipped_when_new(item, create_done):
        return replace(base, action="skip", message=(
            f"already {_FINISHED_WORDS[item.status]}: no ticket "
            "(set push.create_done = true to create a closed one)"))
    return replace(base, action="create")


def _linked(plan: ItemPlan, desired: TicketFields | None, claim: Claim) -> ItemPlan:
    """An item whose document links its ticket: the link, not the marker, says which it is."""
    key = plan.link.key if plan.link else ""
    here = plan.marker.document_id if plan.marker else str(plan.item.file)
    if claim.kind == "reference":
        return replace(plan, message=f"pmsync pushes {key} from {claim.document}; "
                                     "only its status is read here")
    if claim.kind == "copy":
        return replace(plan, action="problem", message=(
            f"{key} is linked from both {here} and {claim.document}, where pmsync last pushed "
            "it from (a copied postmortem?); neither changes the ticket until one of them no "
            "longer links it"))
    if claim.kind == "contested":
        return replace(plan, action="problem", message=(
            f"{key} is linked from {', '.join((here, *claim.others))}; it was last pushed from "
            f"{claim.document}, which no longer links it: keep the link in one document only"))
    compared = _compare(plan, desired)
    if claim.kind != "takeover" or compared.state is None or compared.state.stamp is None:
        return compared
    moved = f"moved here from {claim.document}"
    if compared.action == "unchanged":
        return replace(compared, action="update", restamp=True, message=moved)
    return replace(compared, restamp=True, message="; ".join(filter(None, (compared.message,
                                                                            moved))))


def _compare(plan: ItemPlan, desired: TicketFields | None) -> ItemPlan:
    """Fields to push and conflicts, against the snapshot stored at the last push."""
    state = plan.state
    assert state is not None
    stamp = state.stamp
    if desired is None or stamp is None or stamp.synced is None:
        return plan  # not a ticket pmsync made: read its status, never edit it
    synced, current = stamp.synced, state.fields
    push: list[FieldName] = []
    conflicts: list[FieldName] = []
    for name in desired.differing(synced):
        if name == "due" and plan.item.due is None and desired.due is not None:
            # The follow-up policy's date, not the document's: it went to the ticket when it was
            # created; since then the ticket's due date is the tracker's to change.
            continue
        # A field the document left empty at the last push may hold the tracker's default
        # (Jira's default priority): filling it from the document is no conflict.
        if getattr(current, name) == getattr(synced, name) or getattr(synced, name) is None:
            push.append(name)
        elif getattr(current, name) != getattr(desired, name):
            conflicts.append(name)
    if conflicts:
        detail = "; ".join(f"{n}: document {_shown(getattr(desired, n))}, "
                           f"tracker {_shown(getattr(current, n))}" for n in conflicts)
        return replace(plan, action="conflict", fields=tuple(push), conflicts=tuple(conflicts),
                        message=f"changed in both the document and {state.link.key} ({detail})")
    if push and plan.action == "unchanged":
        return replace(plan, action="update", fields=tuple(push))
    return replace(plan, fields=tuple(push))


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, date):
        return value.isoformat()
    return f"'{value}'"
