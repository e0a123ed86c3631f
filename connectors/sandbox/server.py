"""HTTP plumbing shared by the fake trackers: request and response values, routing, the server.

The sandbox serves Jira, GitHub and its own admin API from one port, told apart by path: Jira's
REST API lives under ``/rest/``, the admin API under ``/_sandbox/`` and GitHub's API owns the rest
(or ``/api/`` in the GitHub Enterprise Server layout). The real paths never collide, so every
client sees the same URL layout as it would against the real service.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import traceback
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Protocol, TypeVar

from connectors.sandbox.faults import Fault, FaultInjector, FaultKind
from connectors.sandbox.requestlog import RequestLog

UNMATCHED_ROUTE = "<unmatched>"


class BadRequestBody(ValueError):
    """The request body is not the JSON the endpoint needs."""


@dataclass(frozen=True)
class Request:
    """One HTTP request as the fake trackers see it."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    headers: Mapping[str, str]
    body: bytes
    base_url: str

    def param(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        """Return every value of query parameter ``name``, splitting comma-joined lists."""
        return [part for value in self.query.get(name, ()) for part in value.split(",") if part]

    def header(self, name: str) -> str | None:
        """Return a request header, looked up case-insensitively."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """Decode the body as JSON; an empty body decodes to ``None``."""
        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise BadRequestBody(str(exc)) from exc


@dataclass
class Response:
    """An HTTP response; headers keep insertion order."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        """Build a JSON response the way both trackers label it."""
        body = json.dumps(payload).encode()
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, body, merged)

    @classmethod
    def text(
        cls,
        status: int,
        text: str,
        content_type: str = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Build a plain-text (or HTML) response."""
        return cls(status, text.encode(), {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> Response:
        """Build a response without a body (204 and friends)."""
        return cls(status, b"", dict(headers or {}))


H = TypeVar("H")


@dataclass(frozen=True)
class Route(Generic[H]):
    """A method and path template bound to a handler; ``template`` names the route in the log."""

    method: str
    template: str
    handler: H
    pattern: re.Pattern[str]
    public: bool = False


@dataclass(frozen=True)
class RouteMatch(Generic[H]):
    """A route together with the path parameters it captured."""

    route: Route[H]
    params: dict[str, str]


class Router(Generic[H]):
    """Matches requests against path templates such as ``/rest/api/2/issue/{issueIdOrKey}``.

    Each service decides what a handler is; the router only stores it.
    """

    def __init__(self) -> None:
        self._routes: list[Route[H]] = []

    def add(self, method: str, template: str, handler: H, *, public: bool = False) -> None:
        """Register ``handler`` for ``method`` on ``template``; ``public`` routes skip auth."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append(Route(method, template, handler, re.compile(f"^{regex}$"), public))

    def routes(self) -> list[tuple[str, str]]:
        """Every registered ``(method, template)``, in registration order."""
        return [(route.method, route.template) for route in self._routes]

    def match(self, method: str, path: str) -> RouteMatch[H] | None:
        """Return the first route whose method and template fit, or ``None``."""
        for route in self._routes:
            if route.method != method:
                continue
            found = route.pattern.match(path)
            if found:
                params = {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}
                return RouteMatch(route, params)
        return None


class Service(Protocol):
    """One fake tracker (or the admin API) mounted on the shared server."""

    name: str

    def owns(self, path: str) -> bool:
        """Whether requests for ``path`` belong to this service."""

    def match(self, request: Request) -> RouteMatch[Any] | None:
        """Find the route for ``request``."""

    def handle(self, request: Request, match: RouteMatch[Any] | None) -> Response:
        """Answer ``request``: authenticate, apply the service's own limits, run the handler."""

    def fault_response(self, request: Request, fault: Fault) -> Response:
        """Answer an injected HTTP-level fault the way this service would."""


@dataclass
class Knobs:
    """Settings that tests may change while the sandbox runs (guarded by the server's lock)."""

    latency: float = 0.0


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server that dispatches to services, injects faults and logs requests."""

    daemon_threads = True
    # Clients such as PyGithub open several connections in parallel; the default backlog of 5
    # makes bursts of connects wait for SYN retries.
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        services: Sequence[Service],
        faults: FaultInjector,
        log: RequestLog,
        knobs: Knobs,
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.services = list(services)
        self.faults = faults
        self.log = log
        self.knobs = knobs

    @property
    def base_url(self) -> str:
        """The URL clients use to reach this server."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def service_for(self, path: str) -> Service | None:
        """The service that owns ``path``, if any."""
        return next((s for s in self.services if s.owns(path)), None)


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads one request at a time from a keep-alive connection and answers it."""

    # HTTP/1.1 keeps connections alive: clients reuse pooled connections, as against the real
    # services, and a dropped connection surfaces on a reused socket as it would in production.
    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections would otherwise pin a thread until the client goes away.
    timeout = 30
    # Headers and body leave in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK would stall every keep-alive response by about 40 ms.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log; the request log records what tests need."""

    def do_GET(self) -> None:
        """Dispatch a GET."""
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _dispatch(self) -> None:
        request = self._read_request()
        service = self.server.service_for(request.path)
        if service is None:
            self._write(Response.json(404, {"message": "Not Found"}))
            return
        match = service.match(request)
        if service.name == "admin":
            self._write(self._run(service, request, match))
            return
        route = match.route.template if match else UNMATCHED_ROUTE
        entry = self.server.log.start(
            service.name, request.method, route, request.path, request.body
        )
        latency = self.server.knobs.latency
        if latency > 0:
            time.sleep(latency)
        fault = self.server.faults.decide(service.name, request.method, route)
        kind = fault.kind if fault else None
        if kind is FaultKind.RESET:
            self.server.log.finish(entry, None, kind)
            self._reset_connection()
            return
        if fault is not None and kind is not FaultKind.LOST_RESPONSE:
            response = service.fault_response(request, fault)
        else:
            response = self._run(service, request, match)
        self.server.log.finish(entry, response.status, kind, response.body)
        if kind is FaultKind.LOST_RESPONSE:
            # The handler above committed the write; the client never hears about it.
            self._drop_connection()
        else:
            self._write(response)

    @staticmethod
    def _run(service: Service, request: Request, match: RouteMatch[Any] | None) -> Response:
        try:
            return service.handle(request, match)
        except Exception as exc:
            # A bug in the sandbox must answer 500: a dropped connection would look exactly
            # like an injected fault and send whoever debugs it the wrong way.
            traceback.print_exc()
            return Response.json(500, {"message": f"pmsync sandbox internal error: {exc!r}"})

    def _read_request(self) -> Request:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or ""
        base_url = f"http://{host}" if host else self.server.base_url
        return Request(
            method=self.command,
            path=parsed.path,
            query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=base_url,
        )

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _reset_connection(self) -> None:
        # SO_LINGER with a zero timeout turns close() into a TCP RST: the client sees
        # "connection reset by peer" rather than a clean end of stream.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _drop_connection(self) -> None:
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True


class ServerThread:
    """Runs a :class:`SandboxHTTPServer` on a background thread."""

    def __init__(self, server: SandboxHTTPServer) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        """Start serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
