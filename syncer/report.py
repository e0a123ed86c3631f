"""The overdue report: which action items slipped, who owns them, and how the follow-up goes.

:func:`build_report` is pure: parsed documents, a date and (optionally) the tickets' current
states in, a :class:`Report` out. :func:`read_ticket_states` is the one step that talks to
trackers, through the :class:`~connectors.base.Tracker` protocol, and it only reads.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from connectors.base import TicketState, Tracker
from syncer.drift import Drift
from syncer.model import ActionItem, ParsedDocument, Status
from syncer.policy import DuePolicy, DueSource, PriorityClasses, severity_name

GroupBy = Literal["owner", "postmortem", "tracker", "priority"]
GROUP_BY: tuple[GroupBy, ...] = ("owner", "postmortem", "tracker", "priority")

#: Overdue age buckets: label → (first day, last day); None means no upper bound.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-7", 1, 7), ("8-30", 8, 30), ("31-90", 31, 90), (">90", 91, None),
)
#: Status keys in the order reports list them; "unknown" is an item without a readable status.
STATUS_KEYS = ("open", "in_progress", "done", "wont_do", "unknown")
CLOSED = frozenset({Status.DONE, Status.WONT_DO})

ItemKey = tuple[str, int]  # (file, line): one item



def item_key(item: ActionItem) -> ItemKey:
    """How report inputs refer to one item."""
    return (str(item.file), item.line)


@dataclass(frozen=True)
class Entry:
    """One action item as the report lists it."""

    file: str
    line: int
    title: str
    owner: str | None
    due: date | None  # the effective due date: the document's, else the ticket's, else policy
    days_overdue: int | None  # as_of - due in days: > 0 overdue, <= 0 days left (None: no due)
    status: str  # one of STATUS_KEYS, the tracker's when refreshed
    status_source: Literal["document", "tracker"]
    ticket: str | None  # the ticket's key (OPS-12, #12) or the reference as written
    ticket_url: str | None
    tracker: str | None  # jira, github, or the kind of reference (bug, url)
    priority: str | None
    incident_id: str | None
    document: str | None  # the postmortem's title
    missing: tuple[str, ...] = ()  # "owner" / "due" for incomplete items
    group: str | None = None  # the group this entry falls in when the report is grouped
    due_source: DueSource | None = None  # where ``due`` comes from

    def to_json(self) -> dict[str, object]:
        """The JSON form of an entry (``pmsync report --format json``)."""
        return {
            "file": self.file,
            "line": self.line,
            "title": self.title,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "due_source": self.due_source,
            "days_overdue": self.days_overdue,
            "status": self.status,
            "status_source": self.status_source,
            "ticket": self.ticket,
            "ticket_url": self.ticket_url,
            "tracker": self.tracker,
            "priority": self.priority,
            "incident_id": self.incident_id,
            "document": self.document,
            "missing": list(self.missing),
            "group": self.group,
        }


@dataclass(frozen=True)
class Completion:
    """How far the items of one postmortem (or one severity) got."""

    name: str
    items: int
    done: int
    wont_do: int
    open: int  # everything not done and not won't do
    incident_id: str | None = None
    file: str | None = None

    @property
    def rate(self) -> float | None:
        """Done items out of those still meant to be done (won't do left out); None if none."""
        wanted = self.items - self.wont_do
        return round(self.done / wanted, 4) if wanted else None

    def to_json(self) -> dict[str, object]:
        """The JSON form, rate included."""
        data: dict[str, object] = {"name": self.name}
        if self.file is not None:
            data.update(file=self.file, incident_id=self.incident_id)
        data.update(items=self.items, done=self.done, wont_do=self.wont_do, open=self.open,
                    rate=self.rate)
        return data


@dataclass(frozen=True)
class Metrics:
    """Numbers across every document of the report."""

    documents: int
    items: int
    by_status: Mapping[str, int]
    overdue: int
    overdue_buckets: Mapping[str, int]
    due_soon: int
    incomplete: int
    by_postmortem: tuple[Completion, ...]
    by_severity: tuple[Completion, ...]
    median_days_to_done: float | None
    resolved_samples: int  # done items whose tracker gave a resolution date

    def to_json(self) -> dict[str, object]:
        """The JSON form of the metrics."""
        return {
            "documents": self.documents,
            "items": self.items,
            "by_status": dict(self.by_status),
            "overdue": self.overdue,
            "overdue_buckets": dict(self.overdue_buckets),
            "due_soon": self.due_soon,
            "incomplete": self.incomplete,
            "completion_by_postmortem": [c.to_json() for c in self.by_postmortem],
            "completion_by_severity": [c.to_json() for c in self.by_severity],
            "median_days_to_done": self.median_days_to_done,
            "resolved_samples": self.resolved_samples,
        }


@dataclass(frozen=True)
class Report:
    """Everything ``pmsync report`` shows."""

    as_of: date
    overdue: tuple[Entry, ...]
    due_soon: tuple[Entry, ...]
    incomplete: tuple[Entry, ...]
    metrics: Metrics
    group_by: GroupBy | None = None
    due_soon_days: int = 7
    refreshed: bool = False
    notes: tuple[str, ...] = ()  # what the reader should know: tickets that could not be read
    drift: tuple[Drift, ...] = ()  # where documents and trackers disagree (--refresh)

    def to_json(self) -> dict[str, object]:
        """One JSON object: ``as_of``, the three lists, ``metrics`` and how it was made."""
        return {
            "as_of": self.as_of.isoformat(),
            "group_by": self.group_by,
            "due_soon_days": self.due_soon_days,
            "refreshed": self.refreshed,
            "overdue": [e.to_json() for e in self.overdue],
            "due_soon": [e.to_json() for e in self.due_soon],
            "incomplete": [e.to_json() for e in self.incomplete],
            "metrics": self.metrics.to_json(),
            "drift": [d.to_json() for d in self.drift],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class TicketStates:
    """What ``--refresh`` learnt: the current state of each item's ticket, by item."""

    states: Mapping[ItemKey, TicketState] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    drift: tuple[Drift, ...] = ()


def build_report(
    documents: Sequence[ParsedDocument],
    as_of: date,
    *,
    states: TicketStates | None = None,
    group_by: GroupBy | None = None,
    due_soon_days: int = 7,
    policy: DuePolicy | None = None,
) -> Report:
    """The report for ``documents`` on ``as_of``; ``states`` override the documents' statuses.

    Due dates are effective ones: the document's, else the ticket's (from ``states``), else
    ``policy``'s; ``policy`` also groups priorities through the priority map.
    """
    refreshed = states is not None
    states = states or TicketStates()
    policy = policy or DuePolicy.none()
    tally = _Tally(as_of, as_of + timedelta(days=due_soon_days))
    for parsed in documents:
        meta = parsed.metadata
        severity = severity_name(meta.severity)
        counts: Counter[str] = Counter()
        for item in parsed.items:
            state = states.states.get(item_key(item))
            entry = _entry(parsed, item, as_of, state, group_by, policy)
            counts[entry.status] += 1
            if state is not None and entry.status == "done" and state.resolved and \
                    meta.incident_date:
                tally.days_to_done.append((state.resolved.date() - meta.incident_date).days)
            tally.add(entry, severity)
        if parsed.items:
            tally.per_document.append(_completion(
                _document_name(parsed), counts, meta.incident_id, str(parsed.doc.path)))
    tally.overdue.sort(key=lambda e: (-(e.days_overdue or 0), e.file, e.line))
    tally.due_soon.sort(key=lambda e: (e.due or as_of, e.file, e.line))
    tally.incomplete.sort(key=lambda e: (e.file, e.line))
    return Report(as_of, tuple(tally.overdue), tuple(tally.due_soon), tuple(tally.incomplete),
                  tally.metrics(len(documents)), group_by, due_soon_days, refreshed=refreshed,
                  notes=states.notes, drift=states.drift)


@dataclass
class _Tally:
    """The report's lists and counts, filled in one item at a time."""

    as_of: date
    soon_until: date  # the last day an item is due soon
    overdue: list[Entry] = field(default_factory=list)
    due_soon: list[Entry] = field(default_factory=list)
    incomplete: list[Entry] = field(default_factory=list)
    by_status: Counter[str] = field(default_factory=Counter)
    per_severity: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter))
    per_document: list[Completion] = field(default_factory=list)
    days_to_done: list[int] = field(default_factory=list)

    def add(self, entry: Entry, severity: str) -> None:
        """Count the item by status; an unfinished one goes on the lists it belongs to."""
        self.by_status[entry.status] += 1
        self.per_severity[severity][entry.status] += 1
        if entry.status in ("done", "wont_do"):
            return
        if entry.due is not None and entry.due < self.as_of:
            self.overdue.append(entry)
        elif entry.due is not None and entry.due <= self.soon_until:
            self.due_soon.append(entry)
        if entry.missing:
            self.incomplete.append(entry)

    def metrics(self, documents: int) -> Metrics:
        """The counts over ``documents`` documents."""
        buckets = {label: 0 for label, _, _ in AGE_BUCKETS}
        for entry in self.overdue:
            buckets[age_bucket(entry.days_overdue or 1)] += 1
        days = self.days_to_done
        return Metrics(
            documents=documents,
            items=sum(self.by_status.values()),
            by_status={key: self.by_status[key] for key in STATUS_KEYS},
            overdue=len(self.overdue),
            overdue_buckets=buckets,
            due_soon=len(self.due_soon),
            incomplete=len(self.incomplete),
            by_postmortem=tuple(self.per_document),
            by_severity=tuple(_completion(name, self.per_severity[name])
                              for name in sorted(self.per_severity, key=_severity_order)),
            median_days_to_done=float(statistics.median(days)) if days else None,
            resolved_samples=len(days),
        )


def _entry(parsed: ParsedDocument, item: ActionItem, as_of: date, state: TicketState | None,
           group_by: GroupBy | None, policy: DuePolicy) -> Entry:
    if state is not None:
        status, source = state.status.value, "tracker"
    else:
        status, source = (item.status.value if item.status else "unknown"), "document"
    ticket, url, tracker = _ticket(item, state)
    due = policy.due(parsed, item, state.due_date if state is not None else None)
    missing = tuple(name for name, value in (("owner", item.owner), ("due", due))
                    if value is None)
    entry = Entry(
        file=str(item.file),
        line=item.line,
        title=item.own_title,
        owner=item.owner,
        due=due.date if due else None,
        days_overdue=(as_of - due.date).days if due else None,
        status=status,
        status_source=source,  # type: ignore[arg-type]
        ticket=ticket,
        ticket_url=url,
        tracker=tracker,
        priority=item.priority,
        incident_id=parsed.metadata.incident_id,
        document=_document_name(parsed),
        missing=missing,
        due_source=due.source if due else None,
    )
    if group_by is None:
        return entry
    return replace(entry, group=group_name(entry, group_by, policy.priorities))


def group_name(entry: Entry, group_by: GroupBy,
               priorities: PriorityClasses | None = None) -> str:
    """The group ``entry`` falls in: its owner, postmortem, tracker or priority (one group per
    priority the priority map makes one, ``P1 / High``, when ``priorities`` are given)."""
    if group_by == "owner":
        return entry.owner or "(no owner)"
    if group_by == "postmortem":
        if entry.incident_id and entry.document:
            return f"{entry.incident_id}: {entry.document}"
        return entry.incident_id or entry.document or entry.file
    if group_by == "tracker":
        return entry.tracker or "(no ticket)"
    if not entry.priority:
        return "(no priority)"
    return priorities.label(entry.priority) if priorities else entry.priority


def grouped(entries: Sequence[Entry]) -> list[tuple[str, list[Entry]]]:
    """Entries by their group, groups in order of first appearance (entries keep their order)."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.group or "", []).append(entry)
    return list(groups.items())


def _ticket(item: ActionItem, state: TicketState | None) -> tuple[str | None, str | None,
                                                                   str | None]:
    if state is not None:
        return state.link.label, state.link.url, state.link.tracker
    ref = item.ticket
    if ref is None:
        return None, None, item.tracker.casefold() if item.tracker else None
    label = f"#{ref.key.rsplit('#', 1)[-1]}" if ref.kind == "github" else ref.key
    return label, ref.url, ref.kind


def _document_name(parsed: ParsedDocument) -> str:
    return parsed.metadata.title or parsed.doc.path.stem


def _completion(name: str, counts: Mapping[str, int], incident_id: str | None = None,
                file: str | None = None) -> Completion:
    done, wont = counts.get("done", 0), counts.get("wont_do", 0)
    total = sum(counts.values())
    return Completion(name, total, done, wont, total - done - wont, incident_id, file)


def age_bucket(days: int) -> str:
    """The age bucket of an item overdue by ``days`` (at least 1)."""
    for label, first, last in AGE_BUCKETS:
        if days >= first and (last is None or days <= last):
            return label
    return AGE_BUCKETS[0][0]


def _severity_order(name: str) -> tuple[int, str]:
    match = re.fullmatch(r"(?:SEV|P)(\d)", name)
    if match:
        return (0, name[0] + match.group(1))
    words = ("Critical", "Major", "High", "Medium", "Moderate", "Minor", "Low")
    if name in words:
        return (1, str(words.index(name)))
    return (3 if name == "unknown" else 2, name)


def read_ticket_states(
    documents: Sequence[ParsedDocument], trackers: Sequence[Tracker]
) -> TicketStates:
    """The current state of every item's ticket, read in one batch per tracker (no writes),
    and the drift between documents and trackers (:mod:`syncer.drift`).

    An item's ticket belongs to the first tracker that :meth:`~connectors.base.Tracker.owns`
    it. Tickets a tracker cannot read keep the document's status and are listed as drift.
    """
    from syncer.drift import find_drift
    from syncer.sync.gather import read_linked

    linked = read_linked(documents, trackers)
    states = {key: answer for key, (_, answer) in linked.items()
              if isinstance(answer, TicketState)}
    notes: list[str] = []
    unowned = sum(1 for parsed in documents for item in parsed.items
                  if item.ticket is not None and item_key(item) not in linked)
    if unowned:
        notes.append(f"{unowned} ticket reference(s) belong to no configured tracker: "
                     "the documents' statuses are used for them")
    return TicketStates(states, tuple(notes), tuple(find_drift(documents, trackers, linked)))
