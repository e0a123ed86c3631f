"""Pacing writes under a tracker's content-creation limits (GitHub: 80 a minute, 500 an hour).

Waiting before a request is cheaper than being refused: GitHub answers a burst of creates with a
403 and a ``retry-after`` of a minute or more, and repeated bursts can get a token blocked for
longer. The clock and the sleep are injected so tests (and the sandbox's movable clock) can check
the windows without waiting.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """At most ``limit`` events in any ``seconds`` long stretch of time."""

    limit: int
    seconds: float


@dataclass
class Pacer:
    """Sliding-window pacing: :meth:`wait` until every window has room, :meth:`record` each event.

    Record an event when its request has finished: the server counted it at some moment before
    that, so spacing from the finish keeps every window the server sees within its limit too.
    """

    windows: tuple[Window, ...]
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    _events: deque[float] = field(default_factory=deque, init=False, repr=False)

    def wait(self) -> float:
        """Wait until one more event fits in every window; returns the seconds waited."""
        waited = 0.0
        while (delay := self.delay()) > 0:
            self.sleep(delay)
            waited += delay
        return waited

    def record(self) -> None:
        """Count one event, now."""
        self._events.append(self.clock())

    def delay(self) -> float:
        """Seconds until one more event fits in every window (0 when it fits now)."""
        now = self.clock()
        longest = max((w.seconds for w in self.windows), default=0.0)
        while self._events and self._events[0] <= now - longest:
            self._events.popleft()
        delay = 0.0
        for window in self.windows:
            if window.limit <= 0:
                continue
            recent = [t for t in self._events if t > now - window.seconds]
            if len(recent) >= window.limit:
                # The window has room again once the oldest event that fills it leaves it.
                oldest = recent[len(recent) - window.limit]
                delay = max(delay, oldest + window.seconds - now)
        return delay

    def events_within(self, start: float, seconds: float) -> int:
        """How many recorded events fall in ``[start, start + seconds)`` (for tests and reports)."""
        return sum(1 for t in self._events if start <= t < start + seconds)
