"""The push plan as a reviewer reads it: per item, what merging will do on which tracker.

:func:`plan_rows` is pure: the :class:`~syncer.sync.plan.DocumentPlan` of a dry-run push in, one
:class:`PlanRow` per item that push would act on (create, update, link, conflict, problem) out,
with the title, owner, tracker, due date and where that date comes from. Items push leaves alone
(unchanged, skipped, external) are only counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from config.settings import Settings
from syncer.model import Due
from syncer.policy import DuePolicy
from syncer.sync.plan import DocumentPlan, ItemPlan

#: The actions a reviewer must see, in the order the plan lists them.
SHOWN = ("conflict", "problem", "create", "update", "link")


@dataclass(frozen=True)
class PlanRow:
    """One item push would act on."""

    line: int
    action: str
    title: str
    owner: str | None
    tracker: str | None
    due: date | None
    due_source: str | None  # document, tracker or policy
    ticket: str | None
    ticket_url: str | None
    detail: str | None  # fields to update, conflicting fields, a problem, notices

    def to_json(self) -> dict[str, object]:
        """The JSON form (``pmsync plan --format json``)."""
        return {
            "line": self.line, "action": self.action, "title": self.title, "owner": self.owner,
            "tracker": self.tracker,
            "due": self.due.isoformat() if self.due else None, "due_source": self.due_source,
            "ticket": self.ticket, "ticket_url": self.ticket_url, "detail": self.detail,
        }


@dataclass(frozen=True)
class DocumentRows:
    """One document's rows and how many items it leaves alone, by action."""

    path: Path
    rows: tuple[PlanRow, ...]
    left_alone: dict[str, int]


def plan_rows(plans: Sequence[DocumentPlan], settings: Settings) -> list[DocumentRows]:
    """Every document's rows, the actions a reviewer must see first; due dates are effective
    ones (the document's, else the ticket's, else the follow-up policy's)."""
    policy = DuePolicy.from_settings(settings)
    documents = []
    for plan in plans:
        shown = sorted((p for p in plan.items if p.action in SHOWN),
                       key=lambda p: (SHOWN.index(p.action), p.item.line))
        alone = Counter(str(p.action) for p in plan.items if p.action not in SHOWN)
        rows = tuple(_row(p, policy.due(plan.parsed, p.item, p.state.due_date
                                        if p.state else None)) for p in shown)
        documents.append(DocumentRows(plan.parsed.doc.path, rows, dict(alone)))
    return documents


def _row(plan: ItemPlan, due: Due | None) -> PlanRow:
    link = plan.link
    return PlanRow(
        plan.item.line, plan.action, plan.item.own_title, plan.item.owner,
        plan.tracker or (link.tracker if link else None),
        due.date if due else None, due.source if due else None, link.label if link else None, link.url if link else None, _detail(plan))


def _detail(plan: ItemPlan) -> str | None:
    parts = []
    if plan.action == "update" and plan.fields:
        parts.append("changes " + ", ".join(plan.fields))
    if plan.conflicts:
        parts.append("changed in both the document and the tracker: " + ", ".join(plan.conflicts))
    if plan.message:
        parts.append(plan.message)
    parts += [n.message for n in plan.notices]
    return "; ".join(parts) or None
