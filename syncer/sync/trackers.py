"""The trackers of one run: built from settings on first use, closed when the run ends."""

from __future__ import annotations

from config.settings import Settings
from connectors.base import TicketLink, Tracker
from connectors.registry import build_tracker, configured_trackers
from syncer.model import ActionItem


class TrackerPool:
    """The trackers of one run, built on first use from settings (construction does no I/O)."""

    def __init__(self, settings: Settings, default: str | None = None) -> None:
        self.settings = settings
        self._default = default
        self._built: dict[str, Tracker] = {}

    def configured(self) -> list[str]:
        """Trackers with enough configuration to be reached."""
        return configured_trackers(self.settings)

    @property
    def default(self) -> str | None:
        """``--tracker``, else the ``tracker`` setting, else the only configured tracker."""
        if self._default:
            return self._default
        if self.settings.tracker:
            return self.settings.tracker
        configured = self.configured()
        return configured[0] if len(configured) == 1 else None

    def get(self, name: str) -> Tracker:
        """The tracker called ``name``."""
        if name not in self._built:
            self._built[name] = build_tracker(name, self.settings)
        return self._built[name]

    def owner_of(self, item: ActionItem) -> tuple[str, TicketLink] | None:
        """The configured tracker that owns the item's ticket reference, and the link."""
        if item.ticket is None:
            return None
        for name in self.configured():
            link = self.get(name).owns(item.ticket)
            if link is not None:
                return name, link
        return None

    def close(self) -> None:
        """Close every tracker built."""
        for tracker in self._built.values():
            tracker.close()
