"""Lint action items: what a reviewer would ask about before a postmortem is merged."""

from __future__ import annotations

from collections import Counter
from datetime import date

from syncer.model import ActionItem, Diagnostic, ParsedDocument, Status
from syncer.parse.values import parse_date

CHECK_CODES = {
    "missing-owner": "error",
    "missing-due": "error",
    "bad-due": "error",
    "due-no-year": "warning",
    "missing-priority": "warning",
    "unknown-status": "warning",
    "duplicate-id": "error",
    "placeholder": "error",
    "overdue": "warning",
    "template-row": "info",
}


def check_document(parsed: ParsedDocument, as_of: date) -> list[Diagnostic]:
    """Every problem in one document's action items, extraction notes included."""
    found = list(parsed.diagnostics)
    for item in parsed.items:
        found.extend(check_item(item, as_of))
    found.extend(_duplicate_ids(parsed.items))
    if parsed.items:
        code, message = "placeholder", "template row left in a filled document: fill it in or delete it"
    else:
        code, message = "template-row", "template row with placeholders, not an action item"
    found.extend(
        Diagnostic(parsed.doc.path, line, CHECK_CODES[code], code, message)  # type: ignore[arg-type]
        for line in parsed.template_rows
    )
    return sorted(found, key=lambda d: (d.line or 0, d.code))


def check_item(item: ActionItem, as_of: date) -> list[Diagnostic]:
    """The problems of one item."""
    problems: list[tuple[str, str]] = []
    done = item.status in (Status.DONE, Status.WONT_DO)
    for field_name in item.placeholders:
        problems.append(("placeholder", f"{field_name} still holds a template placeholder"))
    if not item.owner and "owner" not in item.placeholders:
        problems.append(("missing-owner", "no owner"))
    if item.due_raw is None and "due" not in item.placeholders:
        if not done:
            problems.append(("missing-due", "no due date"))
    elif item.due is None and item.due_raw is not None:
        if _looks_yearless(item.due_raw):
            problems.append(("due-no-year", f"due date {item.due_raw!r} has no year and the "
                             "document has no incident date to infer it from"))
        else:
            problems.append(("bad-due", f"due date {item.due_raw!r} is not a date pmsync can read"))
    if not item.priority and "priority" not in item.placeholders:
        problems.append(("missing-priority", "no priority"))
    if item.status_raw and item.status is None:
        problems.append(("unknown-status", f"status {item.status_raw!r} is not a known status word"))
    if item.due and item.due < as_of and not done:
        days = (as_of - item.due).days
        problems.append(("overdue", f"overdue by {days} day{'s' if days != 1 else ''} "
                         f"(due {item.due.isoformat()}) and not done"))
    return [
        Diagnostic(item.file, item.line, CHECK_CODES[code], code, message)  # type: ignore[arg-type]
        for code, message in problems
    ]


def _looks_yearless(text: str) -> bool:
    """A date that only failed for want of a year (any incident date would make it parse)."""
    return parse_date(text, incident_date=date(1970, 1, 1)) is not None


def _duplicate_ids(items: tuple[ActionItem, ...]) -> list[Diagnostic]:
    ids = {item.line: item.id.strip().casefold() for item in items if item.id}
    counts = Counter(ids.values())
    return [
        Diagnostic(item.file, item.line, "error", "duplicate-id",
                   f"id {item.id!r} is used by {counts[ids[item.line]]} items")
        for item in items
        if item.line in ids and counts[ids[item.line]] > 1
    ]
