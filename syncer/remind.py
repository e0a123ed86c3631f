"""Reminders: one comment per window on the ticket of each open item that is due soon or overdue.

:func:`plan_reminders` is pure: documents, the tickets' current states and a date in, the
reminders due out. :func:`send_reminders` is the one step that writes: for each reminder it lists
the ticket's comments (a consistent read, never a search) and posts only when none carries this
window's hidden tag, so two runs in one window post one comment, and a dry run says which would
be posted.

Windows are fixed spans of ``remind.every_days`` days counted from a Monday (weekly windows start
on Mondays), the same for every item and every run, so a changed due date or a run on another
machine never opens a second window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from config.settings import RemindSettings, Settings
from connectors.base import TicketLink, TicketState, Tracker
from syncer.errors import ConfigError, TrackerError
from syncer.model import DueSource, ParsedDocument, Status
from syncer.policy import DuePolicy

#: Windows are counted from this Monday.
WINDOW_EPOCH = date(2024, 1, 1)
CLOSED = frozenset({Status.DONE, Status.WONT_DO})

Outcome = Literal["due", "sent", "already sent", "failed"]


def window_start(day: date, every_days: int) -> date:
    """The first day of the reminder window ``day`` falls in."""
    return date.fromordinal(day.toordinal() - (day - WINDOW_EPOCH).days % every_days)


def reminder_tag(start: date) -> str:
    """The hidden tag of the reminder of the window starting on ``start``."""
    return f"remind/{start.isoformat()}"


@dataclass(frozen=True)
class Reminder:
    """One ticket's reminder in this window, and what became of it.

    ``outcome``: ``due`` (not posted yet: a dry run), ``sent``, ``already sent`` (a comment with
    this window's tag exists) or ``failed`` (``detail`` says why).
    """

    file: str
    line: int
    title: str
    document: str
    link: TicketLink
    due: date
    due_source: DueSource
    days_left: int  # negative: overdue by that many days
    assignee: str | None  # the ticket's assignee, as the tracker names them
    owner: str | None  # the owner as the document writes it
    tag: str
    outcome: Outcome = "due"
    detail: str | None = None

    def to_json(self) -> dict[str, object]:
        """The JSON form (``pmsync remind --format json``)."""
        return {
            "file": self.file, "line": self.line, "title": self.title,
            "ticket": self.link.label, "ticket_url": self.link.url, "tracker": self.link.tracker,
            "due": self.due.isoformat(), "due_source": self.due_source,
            "days_left": self.days_left, "assignee": self.assignee, "owner": self.owner,
            "window_tag": self.tag, "outcome": self.outcome, "detail": self.detail,
        }


@dataclass(frozen=True)
class RemindResult:
    """What one ``pmsync remind`` run found and did."""

    as_of: date
    window: date
    dry_run: bool
    reminders: tuple[Reminder, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        """How many reminders could not be posted (or checked)."""
        return sum(1 for r in self.reminders if r.outcome == "failed")

    def count(self, outcome: Outcome) -> int:
        """How many reminders ended with ``outcome``."""
        return sum(1 for r in self.reminders if r.outcome == outcome)


def plan_reminders(documents: Sequence[ParsedDocument], states: Mapping[tuple[str, int],
                   TicketState], as_of: date, settings: RemindSettings,
                   policy: DuePolicy | None = None) -> tuple[list[Reminder], list[str]]:
    """The reminders due on ``as_of``: one per open ticket whose item is overdue or due within
    ``days_before`` days by its effective due date (the document's, else the ticket's, else the
    follow-up policy's); and notes on due items that have no ticket to remind on."""
    policy = policy or DuePolicy.none()
    tag = reminder_tag(window_start(as_of, settings.every_days))
    reminders: dict[str, Reminder] = {}
    unticketed = 0
    for parsed in documents:
        for item in parsed.items:
            state = states.get((str(item.file), item.line))
            due = policy.due(parsed, item, state.due_date if state else None)
            if due is None or (due.date - as_of).days > settings.days_before:
                continue
            if state is None:
                unticketed += item.status not in CLOSED
                continue
            if state.status in CLOSED or state.link.key in reminders:
                continue
            reminders[state.link.key] = Reminder(
                str(item.file), item.line, item.own_title, _document_name(parsed), state.link,
                due.date, due.source, (due.date - as_of).days, state.fields.assignee,
                item.owner, tag)
    notes = [f"{unticketed} open item(s) due by {as_of.isoformat()} or within "
             f"{settings.days_before} day(s) have no ticket to remind on: run pmsync push"
             ] if unticketed else []
    return list(reminders.values()), notes


def reminder_text(reminder: Reminder) -> str:
    """The comment's text (the connector adds the mention and the hidden tag)."""
    days = reminder.days_left
    when = (f"is overdue by {-days} day{'s' if days != -1 else ''}" if days < 0 else
            "is due today" if days == 0 else f"is due in {days} day{'s' if days != 1 else ''}")
    source = " by the follow-up policy" if reminder.due_source == "policy" else ""
    lines = [f"Reminder: this postmortem action item {when} (due {reminder.due.isoformat()}"
             f"{source}).",
             f"From “{reminder.document}” ({reminder.file}, line {reminder.line})."]
    if reminder.assignee is None:
        owner = f"; the postmortem names {reminder.owner}" if reminder.owner else ""
        lines.append(f"No one is assigned to this ticket{owner}.")
    lines += ["", "Close the ticket when the work is done, or change the due date in the "
                  "postmortem if it moved."]
    return "\n".join(lines)


def send_reminders(reminders: Sequence[Reminder], trackers: Mapping[str, Tracker],
                   dry_run: bool = False) -> list[Reminder]:
    """Post each reminder unless its ticket already has this window's; with ``dry_run`` only
    look. A tracker's refusal fails that reminder only."""
    return [_send(r, trackers[r.link.tracker], dry_run) for r in reminders]


def _send(reminder: Reminder, tracker: Tracker, dry_run: bool) -> Reminder:
    try:
        if any(c.tag == reminder.tag for c in tracker.comments(reminder.link)):
            return replace(reminder, outcome="already sent")
        if dry_run:
            return reminder
        tracker.comment(reminder.link, reminder_text(reminder), tag=reminder.tag,
                        mention=reminder.assignee)
    except TrackerError as exc:
        return replace(reminder, outcome="failed", detail=str(exc))
    return replace(reminder, outcome="sent")


def remind(documents: Sequence[ParsedDocument], settings: Settings, *, as_of: date,
           dry_run: bool = False) -> RemindResult:
    """``pmsync remind``: read the documents' tickets, then post the reminders due."""
    from syncer.sync.gather import read_linked
    from syncer.sync.trackers import TrackerPool

    window = window_start(as_of, settings.remind.every_days)
    pool = TrackerPool(settings)
    names = pool.configured()
    if not names:
        raise ConfigError("pmsync remind comments on tickets: set PMSYNC_JIRA__URL or "
                          "PMSYNC_GITHUB__REPO (and its token)")
    try:
        trackers = {name: pool.get(name) for name in names}
        linked = read_linked(documents, list(trackers.values()))
        states = {key: answer for key, (_, answer) in linked.items()
                  if isinstance(answer, TicketState)}
        unread = [f"{key[0]}:{key[1]}: {link.key}: {answer.message}"
                  for key, (link, answer) in linked.items() if not isinstance(answer, TicketState)]
        planned, notes = plan_reminders(documents, states, as_of, settings.remind,
                                        DuePolicy.from_settings(settings))
        done = send_reminders(planned, trackers, dry_run)
    finally:
        pool.close()
    return RemindResult(as_of, window, dry_run, tuple(done), tuple(unread + notes))


def _document_name(parsed: ParsedDocument) -> str:
    return parsed.metadata.title or parsed.doc.path.stem
