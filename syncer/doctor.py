"""``pmsync doctor``: check each configured tracker and collect what to fix.

Generic over the tracker registry: every connector's :meth:`~connectors.base.Tracker.doctor`
does the checks; this module picks the trackers, builds them, and turns errors that stop a
connector from even starting into findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from connectors.registry import NoTrackerConfigured, build_tracker, configured_trackers
from syncer.errors import PmsyncError
from syncer.logs import mask_secrets

if TYPE_CHECKING:
    from config.settings import Settings
    from connectors.base import Finding


@dataclass(frozen=True)
class TrackerReport:
    """The findings for one tracker."""

    tracker: str
    description: str
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """No failing finding of severity error."""
        return all(f.ok or f.severity != "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """The report as plain data, secrets masked."""
        return {
            "tracker": self.tracker,
            "description": mask_secrets(self.description),
            "ok": self.ok,
            "findings": [{k: mask_secrets(v) if isinstance(v, str) else v
                          for k, v in asdict(f).items()} for f in self.findings],
        }


def trackers_to_check(settings: Settings, asked: Sequence[str] = ()) -> list[str]:
    """The trackers asked for, else the ``tracker`` setting, else every configured tracker;
    :class:`~connectors.registry.NoTrackerConfigured` when that leaves none."""
    names = list(asked) or ([settings.tracker] if settings.tracker else
                            configured_trackers(settings))
    if not names:
        raise NoTrackerConfigured
    return names


def diagnose(settings: Settings, trackers: Sequence[str]) -> list[TrackerReport]:
    """A report per tracker name; connectors that cannot start report why as a finding."""
    reports = []
    for name in trackers:
        try:
            tracker = build_tracker(name, settings)
        except ImportError as exc:
            reports.append(_failed(name, "connector", f"the {name} connector cannot be loaded: "
                                   f"{exc}", "install pmsync with its dependencies"))
            continue
        except PmsyncError as exc:
            reports.append(_failed(name, "configuration", str(exc), "fix the setting named"))
            continue
        try:
            findings = tuple(tracker.doctor())
            description = tracker.describe()
        except PmsyncError as exc:
            reports.append(_failed(name, "connection", str(exc), "fix the setting named"))
            continue
        finally:
            tracker.close()
        reports.append(TrackerReport(name, description, findings))
    return reports


def _failed(name: str, check: str, detail: str, fix: str) -> TrackerReport:
    from connectors.base import Finding

    return TrackerReport(name, name, (Finding(check, False, detail, fix=fix),))
