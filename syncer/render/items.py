"""Turn results into text for people (rich tables) or machines (JSON, workflow commands)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from syncer.logs import mask_secrets
from syncer.model import ActionItem, Diagnostic, Due

if TYPE_CHECKING:
    from syncer.doctor import TrackerReport

STATUS_STYLE = {"done": "green", "in_progress": "yellow", "open": "white", "wont_do": "dim"}
#: Output to a file or pipe has no width: lines are as long as their content, up to this.
UNBOUNDED_WIDTH = 4096


def output_console() -> Console:
    """The console for standard output: a terminal's own width; in a file or pipe (CI logs),
    unbounded unless ``COLUMNS`` says otherwise, so a path or variable name is never cut."""
    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(width=UNBOUNDED_WIDTH)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut shown by "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def dumps(data: Any) -> str:
    """JSON as pmsync prints it: indented, UTF-8 kept readable."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def items_table(items: Sequence[ActionItem]) -> Table:
    """A readable table of action items."""
    table = Table(show_lines=False, header_style="bold", expand=False)
    for name in ("Line", "Title", "Owner", "Due", "Pri", "Status", "Ticket"):
        table.add_column(name, overflow="fold")
    for item in items:
        status = item.status.value if item.status else ""
        table.add_row(
            str(item.line),
            escape(item.title),
            escape(item.owner or ""),
            escape(item.due.isoformat() if item.due else (item.due_raw or "")),
            escape(item.priority or ""),
            f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]" if status
            else escape(item.status_raw or ""),
            escape(item.ticket.display() if item.ticket else ""),
        )
    return table


def print_items(console: Console, items_by_file: Iterable[tuple[str, Sequence[ActionItem]]]) -> None:
    """One table per document."""
    for name, items in items_by_file:
        console.print(f"[bold]{escape(name)}[/]: {len(items)} action item"
                      f"{'s' if len(items) != 1 else ''}")
        if items:
            console.print(items_table(items))


def diagnostic_line(d: Diagnostic) -> str:
    """``file:line: severity: message [code]``."""
    return f"{d.location()}: {d.severity}: {d.message} [{d.code}]"


def github_annotation(d: Diagnostic) -> str:
    """A GitHub Actions workflow command that annotates the line in the pull request."""
    level = {"error": "error", "warning": "warning"}.get(d.severity, "notice")
    where = f"file={_escape_property(str(d.file))}"
    if d.line:
        where += f",line={d.line}"
    title = _escape_property(f"pmsync {d.code}")
    return f"::{level} {where},title={title}::{_escape_data(d.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """A diagnostic as a JSON object."""
    data: dict[str, Any] = {"file": str(d.file), "line": d.line, "severity": d.severity,
                            "code": d.code, "message": d.message}
    return {**data, **d.due.to_json()} if d.due is not None else data


def item_json(item: ActionItem, due: Due | None, with_source: bool) -> dict[str, object]:
    """An item as ``pmsync items --format json`` prints it; ``with_source`` (a follow-up
    policy is set) makes ``due`` the effective due date and adds where it comes from."""
    data = item.to_json()
    if with_source:
        data["due"] = due.date.isoformat() if due else None
        data["due_source"] = due.source if due else None
    return data


# "external": items naming a ticket no configured tracker owns, never created: counted and
# listed, not hidden, so a reader sees why they got no ticket.
SYNC_COUNTS = ("created", "updated", "linked", "unchanged", "external", "skipped", "failed",
               "conflict", "problem")
#: A dry run of push counts the plan's own words.
PLAN_COUNTS = ("create", "update", "link", "unchanged", "external", "skip", "conflict",
               "problem")
_OUTCOME_STYLE = {"created": "green", "updated": "cyan", "linked": "blue", "failed": "red",
                  "conflict": "magenta", "problem": "red", "status": "cyan", "external": "dim",
                  "create": "green", "update": "cyan", "link": "blue", "skip": "dim",
                  "skipped": "dim"}


def _counts(result: Any) -> tuple[str, ...]:
    return PLAN_COUNTS if result.planned else SYNC_COUNTS


def sync_json(result: Any) -> dict[str, Any]:
    """A push or pull :class:`~syncer.sync.results.RunResult` as one JSON object."""
    documents = []
    for doc in result.documents:
        documents.append({
            "file": str(doc.path), "written": doc.written, "error": doc.error,
            **{_plural(name): doc.count(name) for name in _counts(result)},
            "status_changes": doc.count("status"),
            "items": [item.to_json() for item in doc.items],
            "removed": [r.to_json() for r in doc.removed],
        })
    totals = {_plural(name): result.total(name) for name in _counts(result)}
    totals["status_changes"] = result.total("status")
    totals["written"] = sum(1 for d in result.documents if d.written)
    return {
        "command": result.command, "dry_run": result.dry_run, "planned": result.planned,
        "interrupted": result.interrupted,
        "documents": documents, "totals": totals,
        "errors": [str(e) for e in result.errors],
    }


def _plural(name: str) -> str:
    return {"conflict": "conflicts", "problem": "problems"}.get(name, name)


def print_sync(console: Console, result: Any, verbose: bool = False) -> None:
    """Per document, the items that changed (all with ``verbose``), then a summary table."""
    for doc in result.documents:
        shown = [i for i in doc.items if verbose or i.outcome != "unchanged"]
        removed = doc.removed
        if not shown and not doc.error and not removed:
            continue
        console.print(f"[bold]{escape(str(doc.path))}[/]"
                      + (" [dim](written)[/]" if doc.written else ""))
        if doc.error:
            console.print(f"  [red]not written:[/] {escape(str(doc.error))}")
        if shown:
            table = Table(header_style="bold", expand=False)
            for name in ("Line", "Title", "Action", "Ticket", "Detail"):
                table.add_column(name, overflow="fold")
            for item in shown:
                style = _OUTCOME_STYLE.get(item.outcome, "white")
                table.add_row(str(item.item.line), escape(shorten(item.item.own_title, 80)),
                              f"[{style}]{item.outcome}[/]",
                              escape(item.link.key if item.link else ""),
                              escape(item.message or item.status or ""))
            console.print(table)
        for ticket in removed:
            what = ("closed as not planned" if ticket.closed
                    else f"not closed: {ticket.message}" if ticket.message
                    else "still open; --close-removed closes it")
            console.print(f"  [yellow]removed from the document:[/] {escape(ticket.link.key)} "
                          f"{escape(repr(shorten(ticket.title, 60)))}: {escape(what)}")
    summary = Table(title="dry run: nothing written" if result.dry_run
                    else "plan only: nothing written" if result.planned else None,
                    header_style="bold", expand=False)
    counts = _counts(result)
    columns = ("status",) if result.command == "pull" else tuple(
        name for name in counts
        if name in (counts[0], "unchanged") or result.total(name))  # no all-zero columns
    summary.add_column("Document", overflow="fold", ratio=3)
    for name in columns:
        summary.add_column("changed" if name == "status" else name, justify="right")
    summary.add_column("written")
    for doc in result.documents:
        summary.add_row(escape(str(doc.path)), *(str(doc.count(n)) for n in columns),
                        "yes" if doc.written else "no")
    if len(result.documents) > 1:
        summary.add_row("[bold]total[/]", *(str(result.total(n)) for n in columns),
                        str(sum(1 for d in result.documents if d.written)))
    console.print(summary)
    if result.interrupted:
        console.print("[red]interrupted:[/] links of tickets created so far were written back; "
                      "run again to finish")


def print_doctor(console: Console, reports: Sequence[TrackerReport]) -> None:
    """One table of findings per tracker: check, result, detail and the fix."""
    marks = {True: "[green]ok[/]", False: "[red]error[/]"}
    for report in reports:
        table = Table(title=escape(mask_secrets(report.description)), header_style="bold",
                      expand=False, title_justify="left")
        for column in ("check", "result", "detail", "fix"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            result = marks[f.ok] if f.ok or f.severity == "error" else "[yellow]warning[/]"
            table.add_row(escape(f.check), result, escape(mask_secrets(f.detail)),
                          escape(mask_secrets(f.fix or "")))
        console.print(table)
