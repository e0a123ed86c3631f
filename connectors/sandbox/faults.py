"""Seeded, deterministic fault injection: which request fails, and how.

A :class:`FaultPlan` is a list of :class:`FaultRule`; each rule picks requests by service, method
and route template and fires either on an explicit schedule (the Nth matching request) or with a
probability drawn from a random generator seeded per rule, so the same sequence of requests always
meets the same faults.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class FaultKind(str, Enum):
    """What goes wrong with a request."""

    TOO_MANY_REQUESTS = "429"
    SERVER_ERROR = "500"
    BAD_GATEWAY = "502"
    SERVICE_UNAVAILABLE = "503"
    #: The connection is reset before any answer; nothing was written.
    RESET = "reset"
    #: The request is carried out (a write is committed), then the connection closes unanswered.
    LOST_RESPONSE = "lost_response"

    @property
    def status(self) -> int | None:
        """The HTTP status the client receives, or ``None`` when it receives no answer."""
        return int(self.value) if self.value.isdigit() else None


@dataclass(frozen=True)
class FaultRule:
    """Which requests fail and how.

    ``route`` is an ``fnmatch`` pattern over route templates as they appear in the request log,
    e.g. ``"/rest/api/2/issue/bulk"`` or ``"*/issues"``. ``nth`` lists 1-based positions among the
    requests this rule matches; ``probability`` fires independently on each matching request.
    ``times`` caps how often the rule fires. ``retry_after`` (whole seconds, as both trackers
    send it) goes with 429 and 503 answers; ``None`` leaves the header out.
    """

    kind: FaultKind
    service: str | None = None
    method: str | None = None
    route: str | None = None
    nth: tuple[int, ...] = ()
    probability: float = 0.0
    times: int | None = None
    retry_after: int | None = 1

    def __post_init__(self) -> None:
        # Accept plain strings too, as rules also arrive as JSON through the admin API.
        object.__setattr__(self, "kind", FaultKind(self.kind))
        object.__setattr__(self, "nth", tuple(self.nth))
        if not self.nth and self.probability <= 0:
            raise ValueError("a fault rule needs an nth schedule or a positive probability")
        if not 0 <= self.probability <= 1:
            raise ValueError(f"probability must be within [0, 1], got {self.probability}")
        if any(n < 1 for n in self.nth):
            raise ValueError("nth positions are 1-based")

    def matches(self, service: str, method: str, route: str) -> bool:
        """Whether a request to ``route`` is one this rule counts."""
        return (
            (self.service is None or self.service == service)
            and (self.method is None or self.method.upper() == method)
            and (self.route is None or fnmatch.fnmatchcase(route, self.route))
        )


@dataclass(frozen=True)
class FaultPlan:
    """An ordered set of fault rules; when several fire on one request the first wins."""

    rules: tuple[FaultRule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))

    def to_json(self) -> dict[str, Any]:
        """Serialise for the admin API."""
        return {
            "rules": [{**asdict(r), "kind": r.kind.value, "nth": list(r.nth)} for r in self.rules]
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> FaultPlan:
        """Parse what :meth:`to_json` produced."""
        rules: Sequence[Mapping[str, Any]] = payload.get("rules", [])
        return cls(tuple(FaultRule(**rule) for rule in rules))


@dataclass(frozen=True)
class Fault:
    """A fault chosen for one request."""

    kind: FaultKind
    retry_after: int | None


@dataclass
class _RuleState:
    rng: random.Random
    matched: int = 0
    fired: int = 0


@dataclass
class FaultInjector:
    """Decides, request by request, which fault (if any) applies; safe across threads."""

    plan: FaultPlan = field(default_factory=FaultPlan)
    seed: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._states = self._fresh_states()

    def replace(self, plan: FaultPlan) -> None:
        """Install ``plan`` and restart its schedules and random streams."""
        with self._lock:
            self.plan = plan
            self._states = self._fresh_states()

    def decide(self, service: str, method: str, route: str) -> Fault | None:
        """Count the request against every matching rule; return the first fault that fires."""
        chosen: Fault | None = None
        with self._lock:
            for rule, state in zip(self.plan.rules, self._states):
                if not rule.matches(service, method, route):
                    continue
                state.matched += 1
                # Draw even when a schedule decides, so one rule's stream never depends on
                # whether another rule fired first.
                draw = state.rng.random()
                exhausted = rule.times is not None and state.fired >= rule.times
                fires = state.matched in rule.nth or draw < rule.probability
                if fires and not exhausted and chosen is None:
                    state.fired += 1
                    chosen = Fault(rule.kind, rule.retry_after)
        return chosen

    def _fresh_states(self) -> list[_RuleState]:
        return [_RuleState(random.Random(f"{self.seed}:{i}")) for i in range(len(self.plan.rules))]
