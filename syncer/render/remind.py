"""How ``pmsync remind`` shows what it posted (or, in a dry run, would post)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from syncer.remind import Reminder, RemindResult
from syncer.render.items import shorten

_OUTCOME_STYLE = {"sent": "green", "due": "cyan", "already sent": "dim", "failed": "red"}


def when(reminder: Reminder) -> str:
    """``overdue 4d``, ``due today`` or ``due in 2d``."""
    days = reminder.days_left
    return f"overdue {-days}d" if days < 0 else "due today" if days == 0 else f"due in {days}d"


def print_reminders(console: Console, result: RemindResult) -> None:
    """One row per ticket reminded, then a one-line summary and the notes."""
    if result.reminders:
        table = Table(header_style="bold", expand=False)
        for name in ("Ticket", "When", "Due", "Mentions", "Item", "Outcome"):
            table.add_column(name, overflow="fold")
        for r in result.reminders:
            outcome = "would send" if r.outcome == "due" else r.outcome
            style = _OUTCOME_STYLE[r.outcome]
            due = r.due.isoformat() + (" (policy)" if r.due_source == "policy" else "")
            table.add_row(escape(r.link.key), when(r), due, escape(r.assignee or "(no one)"),
                          escape(f"{shorten(r.title, 60)} ({r.file}:{r.line})"),
                          f"[{style}]{escape(outcome)}[/]"
                          + (f": {escape(r.detail)}" if r.detail else ""))
        console.print(table)
    console.print(escape(summary_line(result)))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def summary_line(result: RemindResult) -> str:
    """``3 reminder(s) for the window from 2026-11-30: 2 sent, 1 already sent``."""
    counts = [(result.count("due"), "would be sent" if result.dry_run else "not sent"),
              (result.count("sent"), "sent"), (result.count("already sent"), "already sent"),
              (result.failed, "failed")]
    parts = ", ".join(f"{n} {what}" for n, what in counts if n)
    head = f"{len(result.reminders)} reminder(s) for the window from {result.window.isoformat()}"
    tail = " (dry run: nothing posted)" if result.dry_run else ""
    return f"{head}: {parts}{tail}" if parts else f"{head}{tail}"


def reminders_json(result: RemindResult) -> dict[str, object]:
    """The JSON form of a run."""
    return {
        "as_of": result.as_of.isoformat(), "window": result.window.isoformat(),
        "dry_run": result.dry_run, "reminders": [r.to_json() for r in result.reminders],
        "counts": {"due": result.count("due"), "sent": result.count("sent"),
                   "already_sent": result.count("already sent"), "failed": result.failed},
        "notes": list(result.notes),
    }
