"""Lint action items: what a reviewer would ask about before a postmortem is merged.

Each finding has a code, its rule; ``[check]`` in settings sets each rule to ``error``,
``warning`` or ``off`` (:class:`~config.settings.CheckSettings`). Due dates are effective ones:
the document's, else the follow-up policy's (:mod:`syncer.policy`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

from config.settings import CheckSettings
from syncer.model import ActionItem, Diagnostic, ParsedDocument, Status
from syncer.parse.values import parse_date
from syncer.policy import Due, DuePolicy, is_severe, is_urgent, severity_name

#: Rules that ask for an owner or a due date: done items skip them with ``exempt-done``.
OWNER_AND_DUE_RULES = frozenset({"missing-owner", "missing-due", "bad-due", "due-no-year",
                                 "overdue", "unowned-at-due"})
Finding = tuple[str, str, Due | None]  # (code, message, the effective due date it is about)


def check_document(parsed: ParsedDocument, as_of: date, *, rules: CheckSettings | None = None,
                   policy: DuePolicy | None = None) -> list[Diagnostic]:
    """Every problem in one document's action items, extraction notes included, each at the
    level ``rules`` give its code; rules set to ``off`` report nothing."""
    rules = rules or CheckSettings()
    policy = policy or DuePolicy.none()
    found = list(parsed.diagnostics)
    for item in parsed.items:
        found.extend(check_item(item, as_of, rules=rules, due=policy.due(parsed, item)))
    found.extend(_duplicate_ids(parsed.items))
    found.extend(_severe_without_urgent(parsed, policy))
    if parsed.items:
        code, message = "placeholder", "template row left in a filled document: fill it in or delete it"
    else:
        code, message = "template-row", "template row with placeholders, not an action item"
    found.extend(Diagnostic(parsed.doc.path, line, "info", code, message)
                 for line in parsed.template_rows)
    leveled = [_at_level(d, rules) for d in found]
    return sorted((d for d in leveled if d is not None), key=lambda d: (d.line or 0, d.code))


def _at_level(diagnostic: Diagnostic, rules: CheckSettings) -> Diagnostic | None:
    """``diagnostic`` at its rule's level; None when the rule is off. Codes no setting names
    (``template-row``) keep their own."""
    level = rules.level(diagnostic.code)
    if level is None:
        return diagnostic
    if level == "off":
        return None
    return diagnostic if diagnostic.severity == level else replace(diagnostic, severity=level)


def check_item(item: ActionItem, as_of: date, *, rules: CheckSettings | None = None,
               due: Due | None = None) -> list[Diagnostic]:
    """The problems of one item; ``due`` is its effective due date (default: the document's)."""
    rules = rules or CheckSettings()
    due = due if due is not None else (Due(item.due, "document") if item.due else None)
    done = item.status in (Status.DONE, Status.WONT_DO)
    problems = [*_field_problems(item, due, done), *_date_problems(item, due, done, as_of)]
    if done and rules.exempt_done:
        problems = [p for p in problems if p[0] not in OWNER_AND_DUE_RULES]
    return [Diagnostic(item.file, item.line, "error", code, message, due=about)
            for code, message, about in problems]


def _field_problems(item: ActionItem, due: Due | None, done: bool) -> list[Finding]:
    problems: list[Finding] = [
        ("placeholder", f"{name} still holds a template placeholder", None)
        for name in item.placeholders]
    if not item.owner and "owner" not in item.placeholders:
        problems.append(("missing-owner", "no owner", None))
    if item.due_raw is None and "due" not in item.placeholders:
        if not done and due is None:
            problems.append(("missing-due", "no due date", None))
    elif item.due is None and item.due_raw is not None:
        if _looks_yearless(item.due_raw):
            problems.append(("due-no-year", f"due date {item.due_raw!r} has no year and the "
                             "document has no incident date to infer it from", None))
        else:
            problems.append(("bad-due", f"due date {item.due_raw!r} is not a date pmsync can "
                             "read", None))
    if not item.priority and "priority" not in item.placeholders:
        problems.append(("missing-priority", "no priority", None))
    if item.status_raw and item.status is None:
        problems.append(("unknown-status", f"status {item.status_raw!r} is not a known status "
                         "word", None))
    return problems


def _date_problems(item: ActionItem, due: Due | None, done: bool, as_of: date) -> list[Finding]:
    if due is None or done or due.date > as_of:
        return []
    problems: list[Finding] = []
    days = (as_of - due.date).days
    by = "" if due.source == "document" else f" by {due.source}"
    if days > 0:
        problems.append(("overdue", f"overdue by {days} day{'s' if days != 1 else ''} "
                         f"(due {due.date.isoformat()}{by}) and not done", due))
    if not item.owner:
        problems.append(("unowned-at-due", f"no owner and due {due.date.isoformat()}{by}: "
                         "name who does it", due))
    return problems


def _severe_without_urgent(parsed: ParsedDocument, policy: DuePolicy) -> list[Diagnostic]:
    """A SEV0-2 postmortem should have at least one P0 or P1 item."""
    if not parsed.items or not is_severe(parsed.metadata):
        return []
    if any(is_urgent(item.priority, policy.priorities) for item in parsed.items):
        return []
    severity = severity_name(parsed.metadata.severity)
    return [Diagnostic(parsed.doc.path, None, "error", "severe-without-urgent",
                       f"a {severity} postmortem with no P0 or P1 action item: is none urgent?")]


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
