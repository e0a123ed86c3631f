"""The tracker registry: everything pmsync knows about each tracker, in one place.

A :class:`TrackerSpec` names a tracker's connector class, decides whether settings configure the
tracker, and names the variables that do. The CLI's choices, the names routing and settings
accept, ``pmsync doctor``, the sync engine's choice of trackers and the one "no tracker is
configured" message all read :data:`TRACKERS`: a new tracker is one entry there. Its doctor is
its connector's :meth:`~connectors.base.Tracker.doctor`.

``pmsync check`` and ``pmsync --help`` never reach this module's imports of ``jira`` or
``github``: each connector module is imported by :func:`build_tracker` on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from syncer.errors import ConfigError

if TYPE_CHECKING:
    from config.settings import Settings
    from connectors.base import Tracker


@dataclass(frozen=True)
class TrackerSpec:
    """One tracker as pmsync knows it before its connector is imported."""

    #: As settings, ``--tracker``, route rules and the Tracker column name it.
    name: str
    #: As messages name it.
    title: str
    #: ``"module:Class"`` of its :class:`~connectors.base.Tracker`, imported on first use.
    connector: str
    #: Whether settings say where its tickets go (enough for pmsync to use it).
    is_configured: Callable[[Settings], bool]
    #: The setting :attr:`is_configured` reads, as the user sets it.
    configured_by: str
    #: The variables a first setup sets, in the order to set them.
    variables: tuple[str, ...]


def _jira_configured(settings: Settings) -> bool:
    return bool(settings.jira.url)


def _github_configured(settings: Settings) -> bool:
    return bool(settings.github.repo)


#: Tracker name → spec. The one place a new tracker is registered.
TRACKERS: dict[str, TrackerSpec] = {spec.name: spec for spec in (
    TrackerSpec("jira", "Jira", "connectors.jira.connector:JiraTracker", _jira_configured,
                "PMSYNC_JIRA__URL",
                ("PMSYNC_JIRA__URL", "PMSYNC_JIRA__PROJECT", "PMSYNC_JIRA__TOKEN")),
    TrackerSpec("github", "GitHub", "connectors.github.connector:GitHubTracker",
                _github_configured, "PMSYNC_GITHUB__REPO or GITHUB_REPOSITORY",
                ("PMSYNC_GITHUB__REPO", "PMSYNC_GITHUB__TOKEN")),
)}


class NoTrackerConfigured(ConfigError):
    """No registered tracker is configured; the message names each one's variables."""

    def __init__(self) -> None:
        ways = "; ".join(f"for {spec.title} set {_listed(spec.variables)}"
                         for spec in TRACKERS.values())
        super().__init__(f"no tracker is configured: {ways}")


def _listed(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def tracker_names() -> tuple[str, ...]:
    """Every registered tracker name."""
    return tuple(TRACKERS)


def configured_trackers(settings: Settings) -> list[str]:
    """The trackers ``settings`` configure, in registry order."""
    return [name for name, spec in TRACKERS.items() if spec.is_configured(settings)]


def not_configured(name: str) -> str:
    """Why an item routed to tracker ``name`` cannot go there, naming the setting to fix."""
    return f"{name} is not configured: set {tracker_spec(name).configured_by}"


def tracker_spec(name: str) -> TrackerSpec:
    """The spec of tracker ``name``; an unknown name is a configuration error."""
    try:
        return TRACKERS[name]
    except KeyError:
        known = ", ".join(TRACKERS)
        raise ConfigError(f"unknown tracker {name!r} (known: {known}); set PMSYNC_TRACKER") from None


def build_tracker(name: str, settings: Settings) -> Tracker:
    """The connector for ``name``, configured from ``settings``; its constructor does no I/O."""
    module_name, class_name = tracker_spec(name).connector.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    tracker: Tracker = cls.from_settings(settings)
    return tracker
