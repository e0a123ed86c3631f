"""Starting a sandbox: in-process (:class:`Sandbox`) or in the foreground (:func:`serve`)."""

from __future__ import annotations

import shlex
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Literal, cast

from connectors.sandbox.admin import AdminService, SandboxAdmin
from connectors.sandbox.core import DEFAULT, SandboxCore, SandboxOptions
from connectors.sandbox.faults import FaultPlan
from connectors.sandbox.github import Layout
from connectors.sandbox.github_limits import PrimaryLimits, SecondaryLimit
from connectors.sandbox.jira_model import Flavour
from connectors.sandbox.seed import (
    GITHUB_REPO,
    GITHUB_TOKEN,
    JIRA_EMAIL,
    JIRA_PROJECT,
    JIRA_TOKEN,
)
from connectors.sandbox.server import SandboxHTTPServer, ServerThread, Service

if TYPE_CHECKING:
    from typing_extensions import Self


class Sandbox:
    """Local Jira- and GitHub-compatible servers on one port, for tests and trials.

    Use as a context manager; inside it, the ``*_url`` attributes, the credentials and
    :attr:`admin` are ready. Jira answers under ``/rest/``, GitHub under ``/`` (github.com
    layout) or ``/api/v3`` (GHES layout), the admin API under ``/_sandbox/``.
    """

    def __init__(
        self,
        flavour: Flavour = "cloud",
        github_layout: Layout = "github.com",
        latency: float = 0.0,
        faults: FaultPlan | None = None,
        seed: int = 0,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        jira_search_lag: float = 0.0,
        github_search_lag: float = 0.0,
        secondary_limit: SecondaryLimit | Literal["default"] | None = DEFAULT,
        primary_limits: PrimaryLimits | None = None,
    ) -> None:
        self.options = SandboxOptions(
            flavour=flavour,
            github_layout=github_layout,
            latency=latency,
            faults=faults or FaultPlan(),
            seed=seed,
            jira_search_lag=jira_search_lag,
            github_search_lag=github_search_lag,
            secondary_limit=secondary_limit,
            primary_limits=primary_limits or PrimaryLimits(),
        )
        self.host = host
        self.port = port
        self.core = SandboxCore(self.options)
        self.admin = SandboxAdmin(self.core, GITHUB_REPO, JIRA_PROJECT)
        self.jira_email = JIRA_EMAIL
        self.jira_token = JIRA_TOKEN
        self.jira_project = JIRA_PROJECT
        self.github_token = GITHUB_TOKEN
        self.github_repo = GITHUB_REPO
        self._thread: ServerThread | None = None

    def start(self) -> Self:
        """Bind the port and serve on a background thread."""
        if self._thread is not None:
            raise RuntimeError("this sandbox is already running")
        services: list[Service] = [
            AdminService(self.admin, self.env),
            self.core.jira,
            self.core.github,
        ]
        server = SandboxHTTPServer(
            (self.host, self.port), services, self.core.faults, self.core.log, self.core.knobs
        )
        self.port = int(server.server_address[1])
        self._thread = ServerThread(server)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The root URL of the sandbox (Jira's base URL too)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    @property
    def jira_url(self) -> str:
        """What ``jira.JIRA(server=…)`` takes."""
        return self.url

    @property
    def github_api_url(self) -> str:
        """What ``github.Github(base_url=…)`` takes."""
        return self.url if self.options.github_layout == "github.com" else f"{self.url}/api/v3"

    @property
    def github_graphql_url(self) -> str:
        """GitHub's GraphQL endpoint for this layout."""
        suffix = "/graphql" if self.options.github_layout == "github.com" else "/api/graphql"
        return self.url + suffix

    @property
    def admin_url(self) -> str:
        """Root of the admin API (for :class:`~connectors.sandbox.admin.RemoteAdmin`)."""
        return self.url

    @property
    def slack_webhook_url(self) -> str:
        """A Slack incoming webhook that records what is posted (``admin.slack_messages()``)."""
        return f"{self.url}/_sandbox/slack/hook/sandbox-webhook-secret"

    def env(self) -> dict[str, str]:
        """The environment variables that point pmsync at this sandbox."""
        return {
            "PMSYNC_JIRA__URL": self.jira_url,
            "PMSYNC_JIRA__EMAIL": self.jira_email,
            "PMSYNC_JIRA__TOKEN": self.jira_token,
            "PMSYNC_JIRA__PROJECT": self.jira_project,
            "PMSYNC_GITHUB__API_URL": self.github_api_url,
            "PMSYNC_GITHUB__TOKEN": self.github_token,
            "PMSYNC_GITHUB__REPO": self.github_repo,
            "PMSYNC_SLACK__WEBHOOK_URL": self.slack_webhook_url,
        }


def serve(port: int, flavour: str, github_layout: str, host: str = "127.0.0.1",
          tracker: str = "jira") -> None:
    """Run a sandbox in the foreground until Ctrl-C, after printing the environment for pmsync
    (``tracker`` becomes ``PMSYNC_TRACKER``). A port in use raises ``OSError`` (EADDRINUSE)."""
    # The strings come from a command line; SandboxOptions rejects anything but the literals.
    sandbox = Sandbox(
        flavour=cast(Flavour, flavour),
        github_layout=cast(Layout, github_layout),
        port=port,
        host=host,
    )
    stop = threading.Event()
    with sandbox:
        auth = (
            "email + API token (Basic)" if flavour == "cloud" else "personal access token (Bearer)"
        )
        print(
            f"# pmsync sandbox: Jira {flavour} ({auth}) and GitHub ({github_layout} layout) "
            f"on {sandbox.url}"
        )
        print(f"# Admin API (seed, move tickets, inject faults): GET {sandbox.url}/_sandbox/ "
              "lists it. Press Ctrl-C to stop.")
        for name, value in {"PMSYNC_TRACKER": tracker, **sandbox.env()}.items():
            print(f"export {name}={shlex.quote(value)}")
        sys.stdout.flush()
        try:
            stop.wait()
        except KeyboardInterrupt:
            print("# pmsync sandbox stopped.", flush=True)
