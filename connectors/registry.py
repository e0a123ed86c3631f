"""The tracker registry: names to connector classes, imported only when a tracker is used.

``pmsync check`` and ``pmsync --help`` never reach this module's imports of ``jira`` or
``github``: each connector module is imported by :func:`build_tracker` on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from syncer.errors import ConfigError

if TYPE_CHECKING:
    from config.settings import Settings
    from connectors.base import Tracker

#: Tracker name → "module:Class". The one place a new tracker is registered.
TRACKERS: dict[str, str] = {
    "jira": "connectors.jira.connector:JiraTracker",
    "github": "connectors.github.connector:GitHubTracker",
}


def tracker_names() -> tuple[str, ...]:
    """Every registered tracker name."""
    return tuple(TRACKERS)


def build_tracker(name: str, settings: Settings) -> Tracker:
    """The connector for ``name``, configured from ``settings``; its constructor does no I/O."""
    try:
        target = TRACKERS[name]
    except KeyError:
        known = ", ".join(TRACKERS)
        raise ConfigError(f"unknown tracker {name!r} (known: {known}); set PMSYNC_TRACKER") from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    tracker: Tracker = cls.from_settings(settings)
    return tracker
