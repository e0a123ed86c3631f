"""The request log: what reached the fake trackers, by route, and how it ended."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from connectors.sandbox.faults import FaultKind


@dataclass
class RequestRecord:
    """One request: its route template, its answer, and the fault injected into it, if any.

    ``status`` is ``None`` while the request runs and for faults that never answer.
    """

    seq: int
    service: str
    method: str
    route: str
    path: str
    status: int | None = None
    fault: FaultKind | None = None
    at: float = 0.0
    #: The bodies, kept only while :attr:`RequestLog.keep_bodies` is on (tests that check the
    #: answers against the vendors' API descriptions).
    request_body: bytes = b""
    response_body: bytes = b""

    def to_json(self) -> dict[str, Any]:
        """Serialise for the admin API."""
        return {
            "seq": self.seq,
            "service": self.service,
            "method": self.method,
            "route": self.route,
            "path": self.path,
            "status": self.status,
            "fault": self.fault.value if self.fault else None,
        }


class RequestLog:
    """Thread-safe, append-only log of tracker requests (admin calls are not logged)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        #: Keep request and response bodies too (off: long runs would hold every answer).
        self.keep_bodies = False

    def start(
        self, service: str, method: str, route: str, path: str, body: bytes = b""
    ) -> RequestRecord:
        """Record a request as it arrives, so a request that never finishes is still seen."""
        with self._lock:
            record = RequestRecord(len(self._records) + 1, service, method, route, path)
            record.at = time.time()
            if self.keep_bodies:
                record.request_body = body
            self._records.append(record)
            return record

    def finish(
        self,
        record: RequestRecord,
        status: int | None,
        fault: FaultKind | None,
        body: bytes = b"",
    ) -> None:
        """Record how ``record`` ended (and what it answered, when bodies are kept)."""
        with self._lock:
            record.status = status
            record.fault = fault
            if self.keep_bodies:
                record.response_body = body

    def records(self) -> list[RequestRecord]:
        """A snapshot of every record so far, oldest first."""
        with self._lock:
            return [replace(r) for r in self._records]

    def counts(self) -> Counter[tuple[str, str]]:
        """Number of requests by ``(method, route template)``."""
        with self._lock:
            return Counter((r.method, r.route) for r in self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
