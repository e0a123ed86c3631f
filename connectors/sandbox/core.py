"""One sandbox instance's state and services, and how to put them back to the start."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.sandbox.clock import Clock
from connectors.sandbox.faults import FaultInjector, FaultPlan
from connectors.sandbox.github import GitHubKnobs, GitHubService, Layout
from connectors.sandbox.github_limits import PrimaryLimits, RateLimiter, SecondaryLimit
from connectors.sandbox.github_model import GitHubStore
from connectors.sandbox.jira import JiraKnobs, JiraService
from connectors.sandbox.jira_model import Flavour, JiraStore
from connectors.sandbox.requestlog import RequestLog
from connectors.sandbox.seed import seed_github, seed_jira
from connectors.sandbox.server import Knobs

DEFAULT: Literal["default"] = "default"


@dataclass(frozen=True)
class SandboxOptions:
    """How a sandbox starts, and what :meth:`SandboxCore.reset` returns it to.

    ``secondary_limit`` left at ``"default"`` means GitHub's documented 80 creations a minute
    on the github.com layout and none on GHES, where it ships disabled.
    """

    flavour: Flavour = "cloud"
    github_layout: Layout = "github.com"
    latency: float = 0.0
    faults: FaultPlan = field(default_factory=FaultPlan)
    seed: int = 0
    jira_search_lag: float = 0.0
    github_search_lag: float = 0.0
    secondary_limit: SecondaryLimit | Literal["default"] | None = DEFAULT
    primary_limits: PrimaryLimits = field(default_factory=PrimaryLimits)

    def __post_init__(self) -> None:
        if self.flavour not in ("cloud", "server"):
            raise ValueError(f"flavour must be 'cloud' or 'server', not {self.flavour!r}")
        if self.github_layout not in ("github.com", "ghes"):
            raise ValueError(
                f"github_layout must be 'github.com' or 'ghes', not {self.github_layout!r}"
            )
        if self.latency < 0:
            raise ValueError("latency cannot be negative")

    def resolved_secondary_limit(self) -> SecondaryLimit | None:
        """The secondary limit this layout starts with."""
        if self.secondary_limit == DEFAULT:
            return SecondaryLimit() if self.github_layout == "github.com" else None
        return self.secondary_limit


class SandboxCore:
    """Stores, knobs, limits, faults and the request log of one sandbox, behind one lock."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.lock = threading.RLock()
        self.clock = Clock()
        self.log = RequestLog()
        self.knobs = Knobs()
        self.jira_knobs = JiraKnobs()
        self.github_knobs = GitHubKnobs()
        self.limiter = RateLimiter(self.clock)
        self.slack_messages: list[dict[str, Any]] = []  # what Slack webhook posts delivered
        self.faults = FaultInjector(options.faults, options.seed)
        self.jira = JiraService(JiraStore(options.flavour, self.clock), self.lock, self.jira_knobs)
        self.github = GitHubService(
            GitHubStore(self.clock),
            self.lock,
            self.github_knobs,
            self.limiter,
            options.github_layout,
        )
        self.reset()

    def reset(self) -> None:
        """Back to the seeded start: data, knobs, faults, rate counters and request log."""
        options = self.options
        with self.lock:
            jira_store = JiraStore(options.flavour, self.clock)
            seed_jira(jira_store)
            github_store = GitHubStore(self.clock)
            seed_github(github_store)
            self.jira.store = jira_store
            self.github.store = github_store
            self.knobs.latency = options.latency
            self.jira_knobs.search_lag = options.jira_search_lag
            self.github_knobs.search_lag = options.github_search_lag
            self.github_knobs.secondary_limit = options.resolved_secondary_limit()
            self.limiter.limits = dataclasses.replace(options.primary_limits)
            self.limiter.reset()
            self.faults.replace(options.faults)
            self.log.clear()
            self.slack_messages.clear()

    @property
    def jira_store(self) -> JiraStore:
        """The current Jira data."""
        return self.jira.store

    @property
    def github_store(self) -> GitHubStore:
        """The current GitHub data."""
        return self.github.store
