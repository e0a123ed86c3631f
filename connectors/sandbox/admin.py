"""Control of a running sandbox: seed data, act as a person would, inspect, reset, inject faults.

:class:`SandboxAdmin` works in-process; :class:`AdminService` exposes the same operations over
HTTP under ``/_sandbox/`` (no auth, no faults, not logged) and :class:`RemoteAdmin` is the
matching client, so a test can steer a sandbox that another process (``pmsync sandbox``) runs.

HTTP endpoints: :data:`ENDPOINTS`, also listed by ``GET /_sandbox/`` on a running sandbox.
JSON bodies carry the keyword arguments of the matching :class:`SandboxAdmin` method.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from connectors.sandbox.core import SandboxCore
from connectors.sandbox.faults import FaultPlan
from connectors.sandbox.github_limits import PrimaryLimits, SecondaryLimit
from connectors.sandbox.github_model import STATE_REASONS, GitHubRepo, ValidationFailed
from connectors.sandbox.jira_model import DONE, FieldErrors, JiraIssue, JiraStore
from connectors.sandbox.jira_render import jira_time
from connectors.sandbox.seed import GITHUB_LOGIN
from connectors.sandbox.server import BadRequestBody, Request, Response, RouteMatch, Router

_UNSET: Any = object()


class SandboxControl(Protocol):
    """What both :class:`SandboxAdmin` and :class:`RemoteAdmin` offer."""

    def seed_jira_project(self, key: str, name: str | None = None) -> None:
        """Create a Jira project led by the bot."""

    def seed_jira_user(
        self, display_name: str, email: str, *, name: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Create a Jira user; returns its identifiers."""

    def seed_jira_issues(
        self,
        count: int,
        *,
        project: str | None = None,
        summary: str = "Seeded issue {n}",
        labels: Sequence[str] = (),
        status: str | None = None,
    ) -> list[str]:
        """Create issues directly (no HTTP, searchable at once); returns their keys."""

    def set_jira_status(
        self,
        key: str,
        status: str | None = None,
        *,
        category: str | None = None,
        resolution: str | None = None,
    ) -> None:
        """Move an issue to a status (by name) or category (by key), as a person would."""

    def jira_issues(self) -> list[dict[str, Any]]:
        """Every Jira issue as it really is (no index lag)."""

    def require_jira_field(self, field_id: str, name: str) -> None:
        """Make a custom field required on create, as a Jira admin's field configuration does."""

    def seed_github_repo(self, full_name: str) -> None:
        """Create a repository the bot can push to."""

    def seed_github_user(
        self,
        login: str,
        *,
        token: str | None = None,
        repo: str | None = None,
        permission: str | None = "push",
    ) -> None:
        """Create an account, optionally a collaborator on ``repo`` (default repository)."""

    def seed_github_issues(
        self,
        count: int,
        *,
        repo: str | None = None,
        title: str = "Seeded issue {n}",
        labels: Sequence[str] = (),
        pull_requests: bool = False,
        state: str = "open",
        body: str | None = None,
    ) -> list[int]:
        """Create issues (or pull requests) directly; returns their numbers.

        ``{n}`` in ``title`` or ``body`` becomes the 1-based position in this batch (the body is
        not a format string otherwise: it may hold JSON)."""

    def set_github_state(
        self,
        number: int,
        state: str = "closed",
        *,
        state_reason: str | None = None,
        repo: str | None = None,
    ) -> None:
        """Close (with a reason) or reopen an issue, as a person would."""

    def github_issues(self, repo: str | None = None) -> list[dict[str, Any]]:
        """Every issue and pull request of a repository as it really is."""

    def state(self) -> dict[str, Any]:
        """Projects, repositories and all issues."""

    def request_log(self) -> list[dict[str, Any]]:
        """Every tracker request so far, oldest first."""

    def request_counts(self) -> dict[tuple[str, str], int]:
        """Request counts by ``(method, route template)``."""

    def clear_request_log(self) -> None:
        """Forget the requests so far."""

    def reset(self) -> None:
        """Back to the seeded start."""

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan (its schedules restart)."""

    def configure(
        self,
        *,
        latency: float | None = None,
        jira_search_lag: float | None = None,
        github_search_lag: float | None = None,
        secondary_limit: SecondaryLimit | None = _UNSET,
        primary_limits: PrimaryLimits | None = None,
    ) -> None:
        """Change latency, index lags or GitHub limits while running."""

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's time forward (past a lag or a rate-limit window)."""

    def slack_messages(self) -> list[dict[str, Any]]:
        """Every message posted to the Slack webhook, oldest first: ``{"hook", "payload"}``."""


class SandboxAdmin:
    """In-process control of a sandbox (see :class:`SandboxControl`)."""

    def __init__(self, core: SandboxCore, default_repo: str, default_project: str) -> None:
        self._core = core
        self._default_repo = default_repo
        self._default_project = default_project

    # --- Jira ----------------------------------------------------------------------------

    def seed_jira_project(self, key: str, name: str | None = None) -> None:
        """Create a Jira project led by the bot."""
        with self._core.lock:
            store = self._core.jira_store
            store.add_project(key, name or key.title(), _jira_bot(store))

    def seed_jira_user(
        self, display_name: str, email: str, *, name: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Create a Jira user; returns ``accountId``, ``name`` and ``key``."""
        with self._core.lock:
            user = self._core.jira_store.add_user(display_name, email, name=name, token=token)
            return {"accountId": user.account_id, "name": user.name, "key": user.key}

    def seed_jira_issues(
        self,
        count: int,
        *,
        project: str | None = None,
        summary: str = "Seeded issue {n}",
        labels: Sequence[str] = (),
        status: str | None = None,
    ) -> list[str]:
        """Create issues directly (no HTTP, searchable at once); returns their keys."""
        with self._core.lock:
            store = self._core.jira_store
            actor = store.users[_jira_bot(store)]
            keys = []
            for n in range(1, count + 1):
                values = store.parse_create(
                    {
                        "fields": {
                            "project": {"key": project or self._default_project},
                            "issuetype": {"name": "Task"},
                            "summary": summary.format(n=n),
                            "labels": list(labels),
                        }
                    },
                    "2",
                )
                issue = store.create_issue(values, actor, indexed_at=0.0)
                if status is not None:
                    self._move(store, issue, status, None, None)
                keys.append(issue.key)
            return keys

    def set_jira_status(
        self,
        key: str,
        status: str | None = None,
        *,
        category: str | None = None,
        resolution: str | None = None,
    ) -> None:
        """Move an issue to a status (by name) or category (by key), as a person would."""
        with self._core.lock:
            store = self._core.jira_store
            issue = store.find_issue(key)
            if issue is None:
                raise KeyError(f"no Jira issue {key}")
            self._move(store, issue, status, category, resolution)

    @staticmethod
    def _move(
        store: JiraStore,
        issue: JiraIssue,
        status: str | None,
        category: str | None,
        resolution: str | None,
    ) -> None:
        catalogue = store.catalogue
        if status is not None:
            target = catalogue.find_status(status)
        elif category is not None:
            found = catalogue.find_category(category)
            target = next((s for s in catalogue.statuses if s.category == found), None)
        else:
            raise ValueError("name a status or a status category")
        if target is None:
            raise ValueError(f"no such status or category: {status or category!r}")
        chosen = catalogue.resolution({"name": resolution}) if resolution else None
        if chosen is None and target.category is DONE:
            wont = target.name.lower().startswith("won")
            chosen = catalogue.resolution({"name": "Won't Do" if wont else "Done"})
        store.move_to_status(issue, target.id, chosen)

    def jira_issues(self) -> list[dict[str, Any]]:
        """Every Jira issue as it really is (no index lag)."""
        with self._core.lock:
            store = self._core.jira_store
            return [_jira_issue_summary(store, issue) for issue in store.issues.values()]

    def require_jira_field(self, field_id: str, name: str) -> None:
        """Make custom field ``field_id`` (e.g. ``customfield_10050``) required on create."""
        if not field_id.startswith("customfield_") or not field_id[12:].isdigit():
            raise ValueError(f"custom field ids look like customfield_10050, not {field_id!r}")
        with self._core.lock:
            self._core.jira_store.required_fields[field_id] = name

    # --- GitHub --------------------------------------------------------------------------

    def seed_github_repo(self, full_name: str) -> None:
        """Create a repository the bot can push to."""
        with self._core.lock:
            repo = self._core.github_store.add_repo(full_name)
            repo.collaborators.setdefault(GITHUB_LOGIN, "push")

    def seed_github_user(
        self,
        login: str,
        *,
        token: str | None = None,
        repo: str | None = None,
        permission: str | None = "push",
    ) -> None:
        """Create an account, optionally a collaborator (``permission``) on ``repo``."""
        if permission not in (None, "read", "triage", "push", "admin"):
            raise ValueError(f"unknown permission {permission!r}")
        with self._core.lock:
            store = self._core.github_store
            store.add_user(login, token)
            if permission is not None:
                self._repo(repo).collaborators[login] = permission  # type: ignore[assignment]

    def seed_github_issues(
        self,
        count: int,
        *,
        repo: str | None = None,
        title: str = "Seeded issue {n}",
        labels: Sequence[str] = (),
        pull_requests: bool = False,
        state: str = "open",
        body: str | None = None,
    ) -> list[int]:
        """Create issues (or pull requests) directly; returns their numbers.

        ``{n}`` in ``title`` or ``body`` becomes the 1-based position in this batch (the body is
        not a format string otherwise: it may hold JSON)."""
        with self._core.lock:
            store = self._core.github_store
            target = self._repo(repo)
            numbers = []
            for n in range(1, count + 1):
                issue = store.create_issue(
                    target,
                    GITHUB_LOGIN,
                    {
                        "title": title.format(n=n),
                        "labels": list(labels),
                        "body": body.replace("{n}", str(n)) if body is not None else None,
                    },
                    pull_request=pull_requests,
                    indexed_at=0.0,
                )
                if state != "open":
                    store.set_state(target, issue, state, None, GITHUB_LOGIN)
                numbers.append(issue.number)
            return numbers

    def set_github_state(
        self,
        number: int,
        state: str = "closed",
        *,
        state_reason: str | None = None,
        repo: str | None = None,
    ) -> None:
        """Close (with a reason) or reopen an issue, as a person would."""
        if state not in ("open", "closed"):
            raise ValueError(f"state must be 'open' or 'closed', not {state!r}")
        if state_reason is not None and state_reason not in STATE_REASONS:
            raise ValueError(f"state_reason must be one of {STATE_REASONS}")
        with self._core.lock:
            target = self._repo(repo)
            issue = target.issues.get(number)
            if issue is None:
                raise KeyError(f"no issue #{number} in {target.full_name}")
            self._core.github_store.set_state(target, issue, state, state_reason, GITHUB_LOGIN)

    def github_issues(self, repo: str | None = None) -> list[dict[str, Any]]:
        """Every issue and pull request of a repository as it really is."""
        with self._core.lock:
            target = self._repo(repo)
            return [_github_issue_summary(issue) for issue in target.issues.values()]

    def _repo(self, full_name: str | None) -> GitHubRepo:
        owner, _, name = (full_name or self._default_repo).partition("/")
        found = self._core.github_store.find_repo(owner, name)
        if found is None:
            raise KeyError(f"no repository {full_name}")
        return found

    # --- everything ----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Projects, repositories and all issues."""
        with self._core.lock:
            jira = self._core.jira_store
            github = self._core.github_store
            return {
                "jira": {
                    "flavour": jira.flavour,
                    "projects": [
                        {"key": p.key, "id": p.id, "name": p.name} for p in jira.projects.values()
                    ],
                    "issues": self.jira_issues(),
                },
                "github": {
                    "repos": [
                        {
                            "full_name": r.full_name,
                            "id": r.id,
                            "collaborators": dict(r.collaborators),
                            "labels": [label.name for label in r.labels.values()],
                            "issues": [_github_issue_summary(i) for i in r.issues.values()],
                        }
                        for r in github.repos.values()
                    ],
                },
            }

    def request_log(self) -> list[dict[str, Any]]:
        """Every tracker request so far, oldest first."""
        return [record.to_json() for record in self._core.log.records()]

    def request_counts(self) -> dict[tuple[str, str], int]:
        """Request counts by ``(method, route template)``."""
        return dict(self._core.log.counts())

    def clear_request_log(self) -> None:
        """Forget the requests so far."""
        self._core.log.clear()

    def reset(self) -> None:
        """Back to the seeded start."""
        self._core.reset()

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan (its schedules restart)."""
        self._core.faults.replace(plan)

    def faults(self) -> FaultPlan:
        """The fault plan in force."""
        return self._core.faults.plan

    def configure(
        self,
        *,
        latency: float | None = None,
        jira_search_lag: float | None = None,
        github_search_lag: float | None = None,
        secondary_limit: SecondaryLimit | None = _UNSET,
        primary_limits: PrimaryLimits | None = None,
    ) -> None:
        """Change latency, index lags or GitHub limits while running."""
        core = self._core
        with core.lock:
            if latency is not None:
                if latency < 0:
                    raise ValueError("latency cannot be negative")
                core.knobs.latency = latency
            if jira_search_lag is not None:
                core.jira_knobs.search_lag = jira_search_lag
            if github_search_lag is not None:
                core.github_knobs.search_lag = github_search_lag
            if secondary_limit is not _UNSET:
                core.github_knobs.secondary_limit = secondary_limit
            if primary_limits is not None:
                core.limiter.limits = primary_limits

    def config(self) -> dict[str, Any]:
        """The run-time settings in force."""
        core = self._core
        with core.lock:
            limit = core.github_knobs.secondary_limit
            return {
                "latency": core.knobs.latency,
                "jira_search_lag": core.jira_knobs.search_lag,
                "github_search_lag": core.github_knobs.search_lag,
                "secondary_limit": None
                if limit is None
                else dataclasses.asdict(limit),
                "primary_limits": {
                    "core": core.limiter.limits.core,
                    "search": core.limiter.limits.search,
                    "graphql": core.limiter.limits.graphql,
                },
            }

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's time forward (past a lag or a rate-limit window)."""
        self._core.clock.advance(seconds)

    # --- Slack ---------------------------------------------------------------------------

    def receive_slack_post(self, hook: str, payload: Any) -> Response:
        """Take a webhook post as Slack does: 200 ``ok``, or 400 for a message without text."""
        if not isinstance(payload, dict):
            return Response.text(400, "invalid_payload")
        if not payload.get("text") and not payload.get("blocks"):
            return Response.text(400, "no_text")
        with self._core.lock:
            self._core.slack_messages.append({"hook": hook, "payload": payload})
        return Response.text(200, "ok")

    def slack_messages(self) -> list[dict[str, Any]]:
        """Every message posted to the Slack webhook, oldest first: ``{"hook", "payload"}``."""
        with self._core.lock:
            return [dict(message) for message in self._core.slack_messages]


def _jira_bot(store: JiraStore) -> str:
    return next(u.account_id for u in store.users.values() if u.token)


def _jira_issue_summary(store: JiraStore, issue: JiraIssue) -> dict[str, Any]:
    status = store.catalogue.status(issue.status_id)
    resolution = next(
        (r.name for r in store.catalogue.resolutions if r.id == issue.resolution_id), None
    )
    users = store.users
    return {
        "id": str(issue.id),
        "key": issue.key,
        "project": issue.project_key,
        "issuetype": next(
            t.name for t in store.catalogue.issue_types if t.id == issue.issue_type_id
        ),
        "summary": issue.summary,
        "description": issue.description,
        "labels": list(issue.labels),
        "priority": next(p.name for p in store.catalogue.priorities if p.id == issue.priority_id),
        "status": status.name,
        "statusCategory": status.category.key,
        "resolution": resolution,
        "assignee": users[issue.assignee].name if issue.assignee in users else None,
        "duedate": issue.duedate,
        "properties": dict(issue.properties),
        "comments": [comment.body for comment in issue.comments],
        "comment_properties": [comment.properties for comment in issue.comments],
        "remoteLinks": [
            {"id": link.id, "globalId": link.global_id, "object": link.object}
            for link in issue.remote_links
        ],
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
    }


def _github_issue_summary(issue: Any) -> dict[str, Any]:
    return {
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "state_reason": issue.state_reason,
        "labels": list(issue.labels),
        "assignees": list(issue.assignees),
        "milestone": issue.milestone,
        "pull_request": issue.is_pull_request,
        "user": issue.user,
        "comments": [comment.body for comment in issue.comments],
        **({"head": issue.head_ref, "base": issue.base_ref} if issue.is_pull_request else {}),
    }


AdminHandler = Callable[[Request, dict[str, str], Any], Any]

#: What each admin endpoint does: ``GET /_sandbox/`` lists them, the README documents them.
ENDPOINTS: dict[tuple[str, str], str] = {
    ("GET", "/_sandbox/"): "this list of endpoints",
    ("GET", "/_sandbox/env"): "the PMSYNC_* variables that point pmsync at this sandbox",
    ("GET", "/_sandbox/state"): "projects, repositories and every issue",
    ("POST", "/_sandbox/reset"): "back to the seeded start",
    ("GET", "/_sandbox/requests"): "the request log: {requests: [...], counts: [...]}",
    ("DELETE", "/_sandbox/requests"): "clear the request log",
    ("GET", "/_sandbox/faults"): "the fault plan in force",
    ("PUT", "/_sandbox/faults"): "inject faults: {rules: [{kind: 429|500|502|503|reset|"
                                 "lost_response, service, method, route, nth, probability}]}",
    ("GET", "/_sandbox/config"): "latency, search lags, GitHub rate limits",
    ("PATCH", "/_sandbox/config"): "change them: {latency, jira_search_lag, github_search_lag, "
                                   "secondary_limit, primary_limits}",
    ("POST", "/_sandbox/clock"): "move the sandbox clock: {advance: seconds}",
    ("GET", "/_sandbox/jira/issues"): "every Jira issue",
    ("POST", "/_sandbox/jira/issues"): "seed Jira issues: {count, project, summary, labels, status}",
    ("POST", "/_sandbox/jira/projects"): "add a Jira project: {key, name}",
    ("POST", "/_sandbox/jira/users"): "add a Jira user: {display_name, email, name, token}",
    ("POST", "/_sandbox/jira/required-fields"): "make a field required on create: {field_id, name}",
    ("POST", "/_sandbox/jira/issues/{key}/status"): "move a Jira issue as a person would: "
                                                    "{status | category, resolution}",
    ("GET", "/_sandbox/github/issues"): "every GitHub issue (?repo=owner/name)",
    ("POST", "/_sandbox/github/issues"): "seed issues: {count, repo, title, labels, state, body}",
    ("POST", "/_sandbox/github/repos"): "add a GitHub repository: {full_name}",
    ("POST", "/_sandbox/github/users"): "add a GitHub user: {login, token, repo, permission}",
    ("POST", "/_sandbox/github/issues/{number}/state"): "close or reopen a GitHub issue as a "
                                                        "person would: {state, state_reason, repo}",
    ("POST", "/_sandbox/slack/hook"): "a Slack incoming webhook: records the post, answers ok",
    ("POST", "/_sandbox/slack/hook/{token}"): "the same, with a secret path as Slack's have",
    ("GET", "/_sandbox/slack/messages"): "what was posted to the webhook",
}


class AdminService:
    """``/_sandbox/…``: the admin API. JSON in, JSON out; errors are ``{"error": …}``."""

    name = "admin"

    def __init__(self, admin: SandboxAdmin, env: Callable[[], dict[str, str]]) -> None:
        self.admin = admin
        self.env = env
        self.router: Router[AdminHandler] = Router()
        self._register()

    def owns(self, path: str) -> bool:
        """The admin API lives under ``/_sandbox/``."""
        return path.startswith("/_sandbox/")

    def match(self, request: Request) -> RouteMatch[AdminHandler] | None:
        """Find the route for ``request``."""
        return self.router.match(request.method, request.path)

    def handle(self, request: Request, match: RouteMatch[AdminHandler] | None) -> Response:
        """Run an admin operation."""
        if match is None:
            return Response.json(404, {"error": f"no admin route {request.method} {request.path}"})
        try:
            body = request.json() or {}
            result = match.route.handler(request, match.params, body)
        except KeyError as error:
            return Response.json(404, {"error": str(error.args[0] if error.args else error)})
        except (ValueError, TypeError, BadRequestBody, FieldErrors, ValidationFailed) as error:
            return Response.json(400, {"error": str(error)})
        if result is None:
            return Response.empty(204)
        if isinstance(result, Response):
            return result
        return Response.json(200, result)

    def fault_response(self, request: Request, fault: Any) -> Response:
        """The admin API is never faulted; present to satisfy the service protocol."""
        return self.handle(request, self.match(request))

    def endpoints(self) -> dict[str, Any]:
        """Every admin route with what it does (``GET /_sandbox/``)."""
        return {"endpoints": [
            {"method": method, "path": path, "does": ENDPOINTS.get((method, path), "")}
            for method, path in self.router.routes()]}

    def _register(self) -> None:
        admin = self.admin
        add = self.router.add
        add("GET", "/_sandbox/", lambda q, p, b: self.endpoints())
        add("GET", "/_sandbox/env", lambda q, p, b: self.env())
        add("GET", "/_sandbox/state", lambda q, p, b: admin.state())
        add("POST", "/_sandbox/reset", lambda q, p, b: admin.reset())
        add(
            "GET",
            "/_sandbox/requests",
            lambda q, p, b: {
                "requests": admin.request_log(),
                "counts": [
                    {"method": m, "route": r, "count": n}
                    for (m, r), n in sorted(admin.request_counts().items())
                ],
            },
        )
        add("DELETE", "/_sandbox/requests", lambda q, p, b: admin.clear_request_log())
        add("GET", "/_sandbox/faults", lambda q, p, b: admin.faults().to_json())
        add("PUT", "/_sandbox/faults", lambda q, p, b: admin.set_faults(FaultPlan.from_json(b)))
        add("GET", "/_sandbox/config", lambda q, p, b: admin.config())
        add("PATCH", "/_sandbox/config", lambda q, p, b: admin.configure(**_config_args(b)))
        add("POST", "/_sandbox/clock", lambda q, p, b: admin.advance_clock(float(b["advance"])))
        add("GET", "/_sandbox/jira/issues", lambda q, p, b: admin.jira_issues())
        add("POST", "/_sandbox/jira/issues", lambda q, p, b: {"keys": admin.seed_jira_issues(**b)})
        add("POST", "/_sandbox/jira/projects", lambda q, p, b: admin.seed_jira_project(**b))
        add("POST", "/_sandbox/jira/users", lambda q, p, b: admin.seed_jira_user(**b))
        add("POST", "/_sandbox/jira/required-fields", lambda q, p, b: admin.require_jira_field(**b))
        add(
            "POST",
            "/_sandbox/jira/issues/{key}/status",
            lambda q, p, b: admin.set_jira_status(p["key"], **b),
        )
        add("GET", "/_sandbox/github/issues", lambda q, p, b: admin.github_issues(q.param("repo")))
        add(
            "POST",
            "/_sandbox/github/issues",
            lambda q, p, b: {"numbers": admin.seed_github_issues(**b)},
        )
        add("POST", "/_sandbox/github/repos", lambda q, p, b: admin.seed_github_repo(**b))
        add("POST", "/_sandbox/github/users", lambda q, p, b: admin.seed_github_user(**b))
        add(
            "POST",
            "/_sandbox/github/issues/{number}/state",
            lambda q, p, b: admin.set_github_state(int(p["number"]), **b),
        )
        add("POST", "/_sandbox/slack/hook", lambda q, p, b: admin.receive_slack_post("", b))
        add(
            "POST",
            "/_sandbox/slack/hook/{token}",
            lambda q, p, b: admin.receive_slack_post(p["token"], b),
        )
        add("GET", "/_sandbox/slack/messages", lambda q, p, b: admin.slack_messages())


def _config_args(body: Mapping[str, Any]) -> dict[str, Any]:
    args = {k: body[k] for k in ("latency", "jira_search_lag", "github_search_lag") if k in body}
    if "secondary_limit" in body:
        raw = body["secondary_limit"]
        args["secondary_limit"] = None if raw is None else SecondaryLimit(**raw)
    if "primary_limits" in body:
        args["primary_limits"] = PrimaryLimits(**body["primary_limits"])
    return args


class RemoteAdmin:
    """Controls a sandbox running in another process, through its admin API."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any:
        url = f"{self.base_url}/_sandbox/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}").get("error", error.reason)
            if error.code == 404:
                raise KeyError(detail) from error
            raise ValueError(detail) from error
        return json.loads(raw) if raw else None

    def env(self) -> dict[str, str]:
        """The environment variables that point pmsync at the sandbox."""
        return dict(self._call("GET", "env"))

    def seed_jira_project(self, key: str, name: str | None = None) -> None:
        """Create a Jira project led by the bot."""
        self._call("POST", "jira/projects", {"key": key, "name": name})

    def seed_jira_user(
        self, display_name: str, email: str, *, name: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Create a Jira user; returns its identifiers."""
        return dict(
            self._call(
                "POST",
                "jira/users",
                {"display_name": display_name, "email": email, "name": name, "token": token},
            )
        )

    def seed_jira_issues(
        self,
        count: int,
        *,
        project: str | None = None,
        summary: str = "Seeded issue {n}",
        labels: Sequence[str] = (),
        status: str | None = None,
    ) -> list[str]:
        """Create issues directly (no HTTP, searchable at once); returns their keys."""
        answer = self._call(
            "POST",
            "jira/issues",
            {
                "count": count,
                "project": project,
                "summary": summary,
                "labels": list(labels),
                "status": status,
            },
        )
        return list(answer["keys"])

    def set_jira_status(
        self,
        key: str,
        status: str | None = None,
        *,
        category: str | None = None,
        resolution: str | None = None,
    ) -> None:
        """Move an issue to a status (by name) or category (by key), as a person would."""
        self._call(
            "POST",
            f"jira/issues/{urllib.parse.quote(key)}/status",
            {"status": status, "category": category, "resolution": resolution},
        )

    def jira_issues(self) -> list[dict[str, Any]]:
        """Every Jira issue as it really is (no index lag)."""
        return list(self._call("GET", "jira/issues"))

    def require_jira_field(self, field_id: str, name: str) -> None:
        """Make a custom field required on create."""
        self._call("POST", "jira/required-fields", {"field_id": field_id, "name": name})

    def seed_github_repo(self, full_name: str) -> None:
        """Create a repository the bot can push to."""
        self._call("POST", "github/repos", {"full_name": full_name})

    def seed_github_user(
        self,
        login: str,
        *,
        token: str | None = None,
        repo: str | None = None,
        permission: str | None = "push",
    ) -> None:
        """Create an account, optionally a collaborator on ``repo``."""
        self._call(
            "POST",
            "github/users",
            {"login": login, "token": token, "repo": repo, "permission": permission},
        )

    def seed_github_issues(
        self,
        count: int,
        *,
        repo: str | None = None,
        title: str = "Seeded issue {n}",
        labels: Sequence[str] = (),
        pull_requests: bool = False,
        state: str = "open",
        body: str | None = None,
    ) -> list[int]:
        """Create issues (or pull requests) directly; returns their numbers.

        ``{n}`` in ``title`` or ``body`` becomes the 1-based position in this batch (the body is
        not a format string otherwise: it may hold JSON)."""
        answer = self._call(
            "POST",
            "github/issues",
            {
                "count": count,
                "repo": repo,
                "title": title,
                "labels": list(labels),
                "pull_requests": pull_requests,
                "state": state,
                "body": body,
            },
        )
        return list(answer["numbers"])

    def set_github_state(
        self,
        number: int,
        state: str = "closed",
        *,
        state_reason: str | None = None,
        repo: str | None = None,
    ) -> None:
        """Close (with a reason) or reopen an issue, as a person would."""
        self._call(
            "POST",
            f"github/issues/{number}/state",
            {"state": state, "state_reason": state_reason, "repo": repo},
        )

    def github_issues(self, repo: str | None = None) -> list[dict[str, Any]]:
        """Every issue and pull request of a repository as it really is."""
        return list(self._call("GET", "github/issues", query={"repo": repo} if repo else None))

    def state(self) -> dict[str, Any]:
        """Projects, repositories and all issues."""
        return dict(self._call("GET", "state"))

    def request_log(self) -> list[dict[str, Any]]:
        """Every tracker request so far, oldest first."""
        return list(self._call("GET", "requests")["requests"])

    def request_counts(self) -> dict[tuple[str, str], int]:
        """Request counts by ``(method, route template)``."""
        counts = self._call("GET", "requests")["counts"]
        return {(c["method"], c["route"]): c["count"] for c in counts}

    def clear_request_log(self) -> None:
        """Forget the requests so far."""
        self._call("DELETE", "requests")

    def reset(self) -> None:
        """Back to the seeded start."""
        self._call("POST", "reset")

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan (its schedules restart)."""
        self._call("PUT", "faults", plan.to_json())

    def configure(
        self,
        *,
        latency: float | None = None,
        jira_search_lag: float | None = None,
        github_search_lag: float | None = None,
        secondary_limit: SecondaryLimit | None = _UNSET,
        primary_limits: PrimaryLimits | None = None,
    ) -> None:
        """Change latency, index lags or GitHub limits while running."""
        body: dict[str, Any] = {}
        for key, value in (
            ("latency", latency),
            ("jira_search_lag", jira_search_lag),
            ("github_search_lag", github_search_lag),
        ):
            if value is not None:
                body[key] = value
        if secondary_limit is not _UNSET:
            body["secondary_limit"] = (
                None
                if secondary_limit is None
                else dataclasses.asdict(secondary_limit)
            )
        if primary_limits is not None:
            body["primary_limits"] = {
                "core": primary_limits.core,
                "search": primary_limits.search,
                "graphql": primary_limits.graphql,
            }
        self._call("PATCH", "config", body)

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's time forward (past a lag or a rate-limit window)."""
        self._call("POST", "clock", {"advance": seconds})

    def slack_messages(self) -> list[dict[str, Any]]:
        """Every message posted to the Slack webhook, oldest first: ``{"hook", "payload"}``."""
        return list(self._call("GET", "slack/messages"))
