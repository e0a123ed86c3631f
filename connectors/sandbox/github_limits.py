"""GitHub's rate limits: the primary budget per resource and the secondary limit on creation."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from connectors.sandbox.clock import Clock

#: Seconds in each resource's primary window (search resets every minute, the rest hourly).
WINDOWS = {"core": 3600.0, "search": 60.0, "graphql": 3600.0}
ANONYMOUS_CORE_LIMIT = 60


@dataclass(frozen=True)
class SecondaryLimit:
    """At most ``creates`` issue creations per ``window`` seconds per user, and at most
    ``hourly_creates`` per ``hourly_window`` seconds (``None``: no second window).

    GitHub documents 80 content-creating requests a minute and 500 an hour. ``retry_after``
    fixes the ``retry-after`` header; by default it is the time until both windows have room.
    """

    creates: int = 80
    window: float = 60.0
    retry_after: int | None = None
    hourly_creates: int | None = 500
    hourly_window: float = 3600.0

    def windows(self) -> list[tuple[int, float]]:
        """Each (limit, seconds) window a creation must fit in."""
        found = [(self.creates, self.window)]
        if self.hourly_creates is not None:
            found.append((self.hourly_creates, self.hourly_window))
        return found


@dataclass
class PrimaryLimits:
    """Budgets per resource; what ``x-ratelimit-limit`` reports."""

    core: int = 5000
    search: int = 30
    graphql: int = 5000

    def for_resource(self, resource: str, authenticated: bool) -> int:
        """The budget of ``resource``."""
        if resource == "core" and not authenticated:
            return ANONYMOUS_CORE_LIMIT
        return int(getattr(self, resource))


@dataclass(frozen=True)
class RateWindow:
    """One budget as the ``x-ratelimit-*`` headers describe it."""

    limit: int
    used: int
    reset: float
    resource: str

    @property
    def remaining(self) -> int:
        """What is left of the budget."""
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers GitHub sends with every answer."""
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(int(self.reset)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": self.resource,
        }


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class RateLimiter:
    """Counts requests per (identity, resource) in fixed windows, like GitHub's primary limit."""

    clock: Clock
    limits: PrimaryLimits = field(default_factory=PrimaryLimits)

    def __post_init__(self) -> None:
        self._windows: dict[tuple[str, str], _Window] = {}
        self._creates: dict[str, deque[float]] = {}

    def consume(self, identity: str, resource: str, authenticated: bool) -> tuple[RateWindow, bool]:
        """Count one request; says whether the budget was already spent (the request fails)."""
        window = self._window(identity, resource)
        limit = self.limits.for_resource(resource, authenticated)
        exceeded = window.used >= limit
        if not exceeded:
            window.used += 1
        return self._describe(window, limit, resource), exceeded

    def peek(self, identity: str, resource: str, authenticated: bool) -> RateWindow:
        """The budget without counting a request (``GET /rate_limit`` is free)."""
        window = self._window(identity, resource)
        return self._describe(window, self.limits.for_resource(resource, authenticated), resource)

    def admit_create(self, identity: str, limit: SecondaryLimit | None) -> int | None:
        """Count an issue creation; return seconds to wait if the secondary limit refuses it."""
        if limit is None:
            return None
        now = self.clock.now()
        recent = self._creates.setdefault(identity, deque())
        longest = max(seconds for _, seconds in limit.windows())
        while recent and recent[0] <= now - longest:
            recent.popleft()
        wait = 0.0
        for creates, seconds in limit.windows():
            inside = [t for t in recent if t > now - seconds]
            if len(inside) >= creates:
                wait = max(wait, inside[len(inside) - creates] + seconds - now)
        if wait > 0:
            return limit.retry_after if limit.retry_after is not None else max(1, math.ceil(wait))
        recent.append(now)
        return None

    def reset(self) -> None:
        """Forget every count."""
        self._windows.clear()
        self._creates.clear()

    def _window(self, identity: str, resource: str) -> _Window:
        now = self.clock.now()
        key = (identity, resource)
        window = self._windows.get(key)
        if window is None or now >= window.started + WINDOWS[resource]:
            window = self._windows[key] = _Window(now)
        return window

    @staticmethod
    def _describe(window: _Window, limit: int, resource: str) -> RateWindow:
        return RateWindow(limit, window.used, window.started + WINDOWS[resource], resource)
