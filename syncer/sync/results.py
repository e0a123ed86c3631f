"""What a push or pull did: each item's outcome, each document's result, the run's result.

Plain data the sync steps fill in and the commands render (text, JSON, the Action's outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from connectors.base import TicketLink
from syncer.errors import PmsyncError
from syncer.model import ActionItem, Due

ItemOutcome = Literal["created", "updated", "linked", "unchanged", "skipped", "failed", "conflict",
                  "problem", "external", "status", "removed", "closed",
                  # a dry run's results are the plan's own words
                  "create", "update", "link", "skip"]


@dataclass
class ItemResult:
    """What happened to one item."""

    item: ActionItem
    outcome: ItemOutcome
    link: TicketLink | None = None
    message: str | None = None
    status: str | None = None  # status text written (pull) or filled (push)
    due: Due | None = None  # pull: the effective due date, the ticket's read with its status

    def to_json(self) -> dict[str, object]:
        """The machine-readable form in ``--format json`` output (``due`` and ``due_source``
        when the item has an effective due date that pull read)."""
        data: dict[str, object] = {
            "line": self.item.line, "key": self.item.key, "title": self.item.title,
            "action": self.outcome, "ticket": self.link.key if self.link else None,
            "url": self.link.url if self.link else None, "status": self.status,
            "message": self.message,
        }
        return {**data, **self.due.to_json()} if self.due is not None else data


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


ProgressHook = Callable[[str, int], None]  # (phase description, items done since last call)
