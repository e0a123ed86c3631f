"""Due dates by policy, and which priorities are one and the same.

Real postmortems rarely write due dates. A follow-up policy (``[policy]`` in settings) gives an
item without one a due date counted from the incident: so many days by the item's priority,
or by the incident's severity. An item's *effective* due date is its document's, else its
ticket's (read from the tracker), else the policy's; :class:`Due` says which one it is.

:class:`PriorityClasses` tells which priority words the priority map treats as one (``P1`` and
``High`` when both map to Jira's ``High``): the policy looks days up through it, and the report
groups by it. Nothing here talks to a tracker; the first-commit date is read from git.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

from config.settings import GitHubSettings, JiraSettings, Settings
from syncer.model import ActionItem, Due, DueSource, Metadata, ParsedDocument

#: The severity names whose postmortems should have at least one urgent item.
SEVERE = frozenset({"SEV0", "SEV1", "SEV2"})
#: The priorities that count as urgent, looked up through the priority map.
URGENT = ("P0", "P1")
__all__ = ["Due", "DuePolicy", "DueSource", "PriorityClasses", "effective_due", "first_commit_date",
           "is_severe", "is_urgent", "severity_name"]


def effective_due(item: ActionItem, tracker_due: date | None = None,
                  policy_due: date | None = None) -> Due | None:
    """The document's due date, else the ticket's, else the policy's; None when none has one."""
    for day, source in ((item.due, "document"), (tracker_due, "tracker"),
                        (policy_due, "policy")):
        if day is not None:
            return Due(day, source)  # type: ignore[arg-type]
    return None


class PriorityClasses:
    """Priority words grouped by what the priority maps in use turn them into.

    Two words are one priority when one of the maps gives them the same tracker value (``P1``
    and ``High`` → Jira ``High``), or when one word is the other's tracker value. Comparisons
    ignore case.
    """

    def __init__(self, maps: Sequence[Mapping[str, str]]) -> None:
        self._maps = [{key.casefold(): value.casefold() for key, value in m.items()}
                      for m in maps]
        self._keys = [list(m) for m in maps]

    @classmethod
    def from_settings(cls, settings: Settings) -> PriorityClasses:
        """The maps of the trackers in use: the ``tracker`` setting's, else every configured
        tracker's, else both shipped maps."""
        by_name = {"jira": settings.jira.priority_map, "github": settings.github.priority_labels}
        if settings.tracker:
            return cls([by_name[settings.tracker]])
        configured = [name for name, on in (("jira", settings.jira.url),
                                            ("github", settings.github.repo)) if on]
        return cls([by_name[name] for name in configured or by_name])

    def _values(self, word: str) -> set[str]:
        folded = word.strip().casefold()
        return {folded} | {m[folded] for m in self._maps if folded in m}

    def same(self, first: str, second: str) -> bool:
        """Whether the two words name one priority."""
        return bool(self._values(first) & self._values(second))

    def label(self, word: str) -> str:
        """The name a group of ``word``'s class goes by: every key of the first map that
        names it, ``"P1 / High"``; the word as written when no map knows it."""
        for keys in self._keys:
            names = [key for key in keys if self.same(key, word)]
            if names:
                return " / ".join(names)
        return word.strip()


class DuePolicy:
    """The ``[policy]`` settings, applied: each item's policy and effective due dates.

    The start date of each document (its incident date, else its first commit) is looked up
    once per document and kept.
    """

    def __init__(self, due_days: Mapping[str, int], severity_due_days: Mapping[str, int],
                 priorities: PriorityClasses) -> None:
        self.due_days = dict(due_days)
        self.severity_due_days = {severity_name(k): v for k, v in severity_due_days.items()}
        self.priorities = priorities
        self._starts: dict[Path, date | None] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> DuePolicy:
        """The policy ``settings`` configure (one that gives no dates when none is set)."""
        return cls(settings.policy.due_days, settings.policy.severity_due_days,
                   PriorityClasses.from_settings(settings))

    @classmethod
    def none(cls) -> DuePolicy:
        """No rules (no policy dates); priorities grouped by the shipped priority maps."""
        shipped = [JiraSettings().priority_map, GitHubSettings().priority_labels]
        return cls({}, {}, PriorityClasses(shipped))

    @property
    def configured(self) -> bool:
        """Whether any rule is set: without one, no item gets a policy date."""
        return bool(self.due_days or self.severity_due_days)

    def days(self, item: ActionItem, metadata: Metadata) -> int | None:
        """Days from the start date the policy gives ``item``: the earlier of its priority's
        (else ``default``) and its incident severity's; None when no rule applies."""
        by_priority = self._priority_days(item.priority)
        by_severity = self.severity_due_days.get(severity_name(metadata.severity))
        found = [d for d in (by_priority, by_severity) if d is not None]
        if not found and "default" in self.due_days:
            return self.due_days["default"]
        return min(found) if found else None

    def _priority_days(self, priority: str | None) -> int | None:
        if not priority:
            return None
        for key, days in self.due_days.items():
            if key.casefold() == priority.strip().casefold():
                return days
        for key, days in self.due_days.items():
            if key != "default" and self.priorities.same(key, priority):
                return days
        return None

    def policy_due(self, parsed: ParsedDocument, item: ActionItem) -> date | None:
        """The due date the policy gives ``item`` of ``parsed``; None without a rule or a start."""
        if not self.configured:
            return None
        days = self.days(item, parsed.metadata)
        if days is None:
            return None
        start = self.start(parsed)
        return start + timedelta(days=days) if start is not None else None

    def due(self, parsed: ParsedDocument, item: ActionItem,
            tracker_due: date | None = None) -> Due | None:
        """The item's effective due date (document, else ``tracker_due``, else the policy).

        A ticket's date that is the policy's date is the policy's: push gave it to the ticket.
        """
        if item.due is not None:
            return effective_due(item)
        policy_due = self.policy_due(parsed, item)
        if tracker_due is not None and tracker_due != policy_due:
            return effective_due(item, tracker_due)
        return effective_due(item, policy_due=policy_due)

    def start(self, parsed: ParsedDocument) -> date | None:
        """Where the policy counts from: the incident date, else the first commit's date."""
        if parsed.metadata.incident_date is not None:
            return parsed.metadata.incident_date
        path = parsed.doc.path
        if path not in self._starts:
            self._starts[path] = first_commit_date(path)
        return self._starts[path]


def first_commit_date(path: Path) -> date | None:
    """The date of the commit that added ``path`` (renames followed); None outside git, for
    an uncommitted file, or when git is missing."""
    try:
        found = subprocess.run(
            ["git", "-C", str(path.parent), "log", "--follow", "--diff-filter=A",
             "--format=%as", "--", path.name],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    dates = found.stdout.split() if found.returncode == 0 else []
    try:
        return date.fromisoformat(dates[-1]) if dates else None
    except ValueError:
        return None


_SEV_NUMBER = re.compile(r"\b(?:sev(?:erity)?|s)[\s-]?(\d)\b", re.IGNORECASE)
_P_NUMBER = re.compile(r"\bP([0-4])\b")
_SEV_WORD = re.compile(r"\b(critical|major|high|medium|moderate|minor|low)\b", re.IGNORECASE)


def severity_name(text: str | None) -> str:
    """A severity as reports group it: ``SEV-1 (Critical)`` → ``SEV1``; None → ``unknown``.

    Template lines that list every choice (``SEV-1 | SEV-2 | SEV-3``) count as their first.
    """
    if not text:
        return "unknown"
    for pattern, form in ((_SEV_NUMBER, "SEV{}"), (_P_NUMBER, "P{}")):
        match = pattern.search(text)
        if match:
            return form.format(match.group(1))
    word = _SEV_WORD.search(text)
    if word:
        return word.group(1).capitalize()
    return text.strip().strip("`*_ ")[:40] or "unknown"


def is_severe(metadata: Metadata) -> bool:
    """Whether the incident was a SEV0, SEV1 or SEV2 (the levels that call for urgent items)."""
    return severity_name(metadata.severity) in SEVERE


def is_urgent(priority: str | None, priorities: PriorityClasses) -> bool:
    """Whether ``priority`` is P0 or P1, as written or through the priority map."""
    return bool(priority) and any(priorities.same(str(priority), p) for p in URGENT)
