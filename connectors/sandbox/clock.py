"""Wall-clock time that tests can move forward instead of sleeping."""

from __future__ import annotations

import threading
import time


class Clock:
    """Real time plus an offset that only grows.

    Everything time-dependent in the sandbox (timestamps, search-index lag, rate-limit windows)
    reads this clock, so a test can jump past a lag or a window with :meth:`advance`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
