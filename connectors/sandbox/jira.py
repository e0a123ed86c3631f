"""The fake Jira: REST API v2 (and v3 on Cloud) over a :class:`JiraStore`.

Cloud flavour answers like Jira Cloud: Basic auth with email and API token, ``/search/jql`` with
``nextPageToken`` and an eventually consistent index, and 410 for the removed ``/search``.
Server flavour answers like Jira Data Center: Bearer personal access tokens and ``/search`` with
``startAt``/``total``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from connectors.sandbox.clock import Clock
from connectors.sandbox.faults import Fault, FaultKind
from connectors.sandbox.jira_model import (
    FieldErrors,
    JiraIssue,
    JiraStore,
    JiraUser,
    comment_body,
)
from connectors.sandbox.jira_render import FieldSelection, JiraRenderer
from connectors.sandbox.jql import CompiledQuery, JqlError, compile_query, parse_jql
from connectors.sandbox.server import BadRequestBody, Request, Response, RouteMatch, Router

BULK_LIMIT = 50
RECONCILE_LIMIT = 50
PROPERTY_VALUE_LIMIT = 32768
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
BASIC_AUTH_DEPRECATED = (
    "Basic authentication with passwords is deprecated.  For more information, see: "
    "https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/"
)
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


@dataclass
class JiraKnobs:
    """Jira settings tests may change at run time."""

    #: Seconds before a write shows up in search results (unless reconciled).
    search_lag: float = 0.0


class JiraError(Exception):
    """An error answer in Jira's ``{"errorMessages": [...], "errors": {...}}`` shape."""

    def __init__(
        self, status: int, *messages: str, errors: Mapping[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})

    def response(self) -> Response:
        """Render as Jira does."""
        return Response.json(self.status, {"errorMessages": self.messages, "errors": self.errors})


JiraHandler = Callable[[Request, dict[str, str], JiraRenderer, JiraUser], Response]
# A route's handler together with the API version its path names.
_Bound = tuple[str, JiraHandler]


class JiraService:
    """Routes ``/rest/api/…`` requests to handlers over one :class:`JiraStore`."""

    name = "jira"

    def __init__(self, store: JiraStore, lock: threading.RLock, knobs: JiraKnobs) -> None:
        self.store = store
        self.lock = lock
        self.knobs = knobs
        self.router: Router[_Bound] = Router()
        versions = ("2", "3", "latest") if store.flavour == "cloud" else ("2", "latest")
        for version in versions:
            self._register(version)
        # The jira client lists application links before adding a remote link; the sandbox
        # is linked to nothing.
        self.router.add(
            "GET",
            "/rest/applinks/latest/listApplicationlinks",
            ("2", lambda q, p, r, u: Response.json(200, [])),
        )

    @property
    def clock(self) -> Clock:
        """The store's clock."""
        return self.store.clock

    # --- Service protocol ----------------------------------------------------------------

    def owns(self, path: str) -> bool:
        """Jira's REST API lives under ``/rest/``."""
        return path.startswith("/rest/")

    def match(self, request: Request) -> RouteMatch[_Bound] | None:
        """Find the route for ``request``."""
        return self.router.match(request.method, request.path)

    def handle(self, request: Request, match: RouteMatch[_Bound] | None) -> Response:
        """Authenticate, then run the handler under the sandbox lock."""
        if match is None:
            return JiraError(404, f"null for uri: {request.base_url}{request.path}").response()
        with self.lock:
            user = self._authenticate(request)
            if user is None and not match.route.public:
                return self._unauthorized(request)
            version, handler = match.route.handler
            renderer = JiraRenderer(self.store, request.base_url, version)
            try:
                return handler(request, match.params, renderer, user)  # type: ignore[arg-type]
            except JiraError as error:
                return error.response()
            except FieldErrors as error:
                return JiraError(400, *error.messages, errors=error.errors).response()
            except JqlError as error:
                return JiraError(400, *error.messages).response()
            except BadRequestBody as error:
                return JiraError(400, f"Unexpected character in request body: {error}").response()

    def fault_response(self, request: Request, fault: Fault) -> Response:
        """Jira's answers to overload and outages, per flavour."""
        retry = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.kind is FaultKind.TOO_MANY_REQUESTS:
            if self.store.flavour == "cloud":
                reset = datetime.fromtimestamp(
                    self.clock.now() + (fault.retry_after or 1), timezone.utc
                )
                headers = {
                    **retry,
                    "X-RateLimit-Limit": "350",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "RateLimit-Reason": "jira-burst-based",
                }
                return Response.json(
                    429,
                    {
                        "errorMessages": [
                            "The request has been rate-limited. Please try again later."
                        ],
                        "errors": {},
                        "status": 429,
                    },
                    headers,
                )
            # Data Center's rate limiter answers with a Tomcat HTML page.
            headers = {
                **retry,
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-FillRate": "5",
                "X-RateLimit-Interval-Seconds": "1",
            }
            return Response.text(
                429,
                "<html><body><h1>Rate limit exceeded.</h1></body></html>",
                "text/html;charset=UTF-8",
                headers,
            )
        if fault.kind is FaultKind.SERVER_ERROR:
            return JiraError(500, "Internal server error").response()
        status = fault.kind.status or 500
        reason = "Bad Gateway" if status == 502 else "Service Unavailable"
        headers = retry if status == 503 else {}
        return Response.text(
            status, f"<html><body><h1>{status} {reason}</h1></body></html>", "text/html", headers
        )

    # --- authentication ------------------------------------------------------------------

    def _authenticate(self, request: Request) -> JiraUser | None:
        header = request.header("Authorization") or ""
        scheme, _, credentials = header.partition(" ")
        users = self.store.users.values()
        if self.store.flavour == "cloud" and scheme.lower() == "basic":
            try:
                email, _, token = base64.b64decode(credentials).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return next(
                (
                    u
                    for u in users
                    if u.token
                    and u.email.lower() == email.lower()
                    and u.token == token
                    and u.active
                ),
                None,
            )
        if self.store.flavour == "server" and scheme.lower() == "bearer":
            return next((u for u in users if u.token and u.token == credentials and u.active), None)
        return None

    def _unauthorized(self, request: Request) -> Response:
        headers = {
            "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
            "WWW-Authenticate": 'Basic realm="protected-area"',
        }
        if not request.header("Authorization"):
            headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
            return Response.json(401, {"errorMessages": [NOT_AUTHENTICATED], "errors": {}}, headers)
        if self.store.flavour == "cloud":
            return Response.text(401, BASIC_AUTH_DEPRECATED, headers=headers)
        return Response.json(401, {"errorMessages": [NOT_AUTHENTICATED], "errors": {}}, headers)

    # --- routing -------------------------------------------------------------------------

    def _register(self, version: str) -> None:
        def add(method: str, path: str, handler: JiraHandler, *, public: bool = False) -> None:
            self.router.add(
                method, f"/rest/api/{version}/{path}", (version, handler), public=public
            )

        add("GET", "serverInfo", self.server_info, public=True)
        add("GET", "myself", self.myself)
        add("GET", "field", lambda q, p, r, u: Response.json(200, r.field_list()))
        add(
            "GET",
            "issuetype",
            lambda q, p, r, u: Response.json(
                200, [r.issue_type(t) for t in self.store.catalogue.issue_types]
            ),
        )
        add(
            "GET",
            "priority",
            lambda q, p, r, u: Response.json(
                200, [r.priority(x) for x in self.store.catalogue.priorities]
            ),
        )
        add(
            "GET",
            "status",
            lambda q, p, r, u: Response.json(
                200, [r.status(s) for s in self.store.catalogue.statuses]
            ),
        )
        add("GET", "statuscategory", lambda q, p, r, u: Response.json(200, r.categories()))
        add(
            "GET",
            "resolution",
            lambda q, p, r, u: Response.json(
                200, [r.resolution(x) for x in self.store.catalogue.resolutions]
            ),
        )
        add(
            "GET",
            "project",
            lambda q, p, r, u: Response.json(
                200, [r.project(x) for x in self.store.projects.values()]
            ),
        )
        if self.store.flavour == "cloud":
            # Cloud's paged replacements of the deprecated full lists (Server has none of them).
            # Registered before project/{projectIdOrKey}, which would take "search" for a key.
            catalogue = self.store.catalogue
            self._add_page(
                version, "priority/search", lambda r: map(r.priority, catalogue.priorities)
            )
            self._add_page(
                version, "resolution/search", lambda r: map(r.resolution, catalogue.resolutions)
            )
            self._add_page(
                version, "project/search", lambda r: map(r.project, self.store.projects.values())
            )
        add("GET", "project/{projectIdOrKey}", self.get_project)
        add("GET", "user", self.get_user)
        add("GET", "user/search", self.search_users)
        add("GET", "user/assignable/search", self.search_users)
        add("POST", "issue", self.create_issue)
        add("POST", "issue/bulk", self.create_issues)
        add("GET", "issue/{issueIdOrKey}", self.get_issue)
        add("PUT", "issue/{issueIdOrKey}", self.edit_issue)
        add("DELETE", "issue/{issueIdOrKey}", self.delete_issue)
        add("PUT", "issue/{issueIdOrKey}/assignee", self.assign_issue)
        add("GET", "issue/{issueIdOrKey}/transitions", self.get_transitions)
        add("POST", "issue/{issueIdOrKey}/transitions", self.do_transition)
        add("GET", "issue/{issueIdOrKey}/properties", self.property_keys)
        add("GET", "issue/{issueIdOrKey}/properties/{propertyKey}", self.get_property)
        add("PUT", "issue/{issueIdOrKey}/properties/{propertyKey}", self.set_property)
        add("DELETE", "issue/{issueIdOrKey}/properties/{propertyKey}", self.delete_property)
        add("GET", "issue/{issueIdOrKey}/comment", self.list_comments)
        add("POST", "issue/{issueIdOrKey}/comment", self.add_comment)
        add("GET", "issue/{issueIdOrKey}/comment/{id}", self.get_comment)
        add("GET", "issue/{issueIdOrKey}/remotelink", self.get_remote_links)
        add("POST", "issue/{issueIdOrKey}/remotelink", self.add_remote_link)
        if self.store.flavour == "cloud":
            add("GET", "search/jql", self.search_jql)
            add("POST", "search/jql", self.search_jql)
            add("POST", "search/approximate-count", self.approximate_count)
            add("GET", "search", self.search_removed)
            add("POST", "search", self.search_removed)
        else:
            add("GET", "search", self.search_paged)
            add("POST", "search", self.search_paged)

    # --- handlers: instance and people ---------------------------------------------------

    def server_info(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser | None
    ) -> Response:
        """``GET /serverInfo`` (anonymous, as in real Jira)."""
        return Response.json(200, render.server_info(self.clock.now()))

    def myself(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /myself``."""
        return Response.json(200, render.myself(user))

    def _add_page(
        self, version: str, path: str, values: Callable[[JiraRenderer], Iterable[dict[str, Any]]]
    ) -> None:
        """Serve ``values`` at ``path`` as Cloud's ``PageBean``: ``startAt``/``maxResults`` in,
        ``values``, ``total``, ``isLast`` and ``nextPage`` out."""

        def page(
            request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
        ) -> Response:
            start = max(0, _int_or_none(request.param("startAt")) or 0)
            size = max(1, min(_int_or_none(request.param("maxResults")) or 50, 100))
            listed = list(values(render))
            chosen = listed[start : start + size]
            last = start + size >= len(listed)
            body: dict[str, Any] = {
                "self": render.api(f"{path}?startAt={start}&maxResults={size}"),
                "maxResults": size,
                "startAt": start,
                "total": len(listed),
                "isLast": last,
                "values": chosen,
            }
            if not last:
                body["nextPage"] = render.api(f"{path}?startAt={start + size}&maxResults={size}")
            return Response.json(200, body)

        self.router.add("GET", f"/rest/api/{version}/{path}", (version, page))

    def get_project(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /project/{projectIdOrKey}``."""
        project = self.store.find_project(params["projectIdOrKey"])
        if project is None:
            raise JiraError(
                404, f"No project could be found with key '{params['projectIdOrKey']}'."
            )
        return Response.json(200, render.project(project, full=True))

    def get_user(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /user?accountId=`` (Cloud) or ``?username=`` (Server)."""
        if self.store.flavour == "cloud":
            found = self.store.users.get(request.param("accountId") or "")
        else:
            name = request.param("username") or request.param("key")
            found = next((u for u in self.store.users.values() if name in (u.name, u.key)), None)
        if found is None:
            raise JiraError(
                404, "Specified user does not exist or you do not have required permissions"
            )
        return Response.json(200, render.user(found))

    def search_users(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /user/search``: Cloud matches ``query``, Server matches ``username``."""
        text = (
            request.param("query") if self.store.flavour == "cloud" else request.param("username")
        )
        if text is None:
            wanted = "query" if self.store.flavour == "cloud" else "username"
            raise JiraError(400, f"The '{wanted}' query parameter is required.")
        limit = int(request.param("maxResults") or 50)
        return Response.json(200, [render.user(u) for u in self.store.find_users(text)[:limit]])

    # --- handlers: issues ----------------------------------------------------------------

    def _issue(self, params: Mapping[str, str]) -> JiraIssue:
        issue = self.store.find_issue(params["issueIdOrKey"])
        if issue is None:
            raise JiraError(404, ISSUE_NOT_FOUND)
        return issue

    def create_issue(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``POST /issue`` → 201 ``{id, key, self}``."""
        payload = request.json()
        values = self.store.parse_create(payload, render.api_version)
        issue = self.store.create_issue(values, user, payload.get("properties") or [])
        return Response.json(201, render.created(issue))

    def create_issues(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``POST /issue/bulk``: up to 50 issues, each failing or succeeding on its own."""
        payload = request.json()
        updates = payload.get("issueUpdates") if isinstance(payload, Mapping) else None
        if not isinstance(updates, list):
            raise JiraError(400, "Request must contain 'issueUpdates'.")
        if len(updates) > BULK_LIMIT:
            raise JiraError(
                400,
                f"Bulk create is limited to {BULK_LIMIT} issues per request; "
                f"this request has {len(updates)}.",
            )
        created: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for number, update in enumerate(updates):
            try:
                values = self.store.parse_create(update, render.api_version)
            except FieldErrors as error:
                failed.append(
                    {
                        "status": 400,
                        "elementErrors": {"errorMessages": error.messages, "errors": error.errors},
                        "failedElementNumber": number,
                    }
                )
                continue
            issue = self.store.create_issue(values, user, update.get("properties") or [])
            created.append(render.created(issue))
        status = 400 if updates and not created else 201
        return Response.json(status, {"issues": created, "errors": failed})

    def get_issue(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}`` with ``fields=`` and ``properties=``."""
        issue = self._issue(params)
        fields = FieldSelection.parse(request.params("fields"), "*all")
        return Response.json(200, render.issue(issue, fields, request.params("properties")))

    def edit_issue(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``PUT /issue/{key}`` → 204."""
        issue = self._issue(params)
        self.store.edit_issue(issue, request.json(), render.api_version)
        return Response.empty(204)

    def delete_issue(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``DELETE /issue/{key}`` → 204."""
        issue = self._issue(params)
        del self.store.issues[issue.id]
        return Response.empty(204)

    def assign_issue(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``PUT /issue/{key}/assignee`` → 204."""
        issue = self._issue(params)
        body = request.json() or {}
        if body.get("accountId") is None and body.get("name") is None:
            issue.assignee = None
        else:
            assignee = self.store.user_by_ref(body)
            if assignee is None:
                who = body.get("accountId", body.get("name"))
                raise JiraError(400, errors={"assignee": f"User '{who}' does not exist."})
            issue.assignee = assignee.account_id
        self.store.touch(issue)
        return Response.empty(204)

    def get_transitions(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}/transitions``: the moves available from the current status."""
        issue = self._issue(params)
        available = self.store.catalogue.available_transitions(issue.status_id)
        wanted = request.param("transitionId")
        listed = [render.transition(t) for t in available if wanted in (None, t.id)]
        if "transitions.fields" in (request.param("expand") or ""):
            for entry in listed:
                entry["fields"] = {}
        return Response.json(200, {"expand": "transitions", "transitions": listed})

    def do_transition(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``POST /issue/{key}/transitions`` → 204; a done status gets a resolution."""
        issue = self._issue(params)
        body = request.json() or {}
        transition_id = str((body.get("transition") or {}).get("id", ""))
        available = self.store.catalogue.available_transitions(issue.status_id)
        transition = next((t for t in available if t.id == transition_id), None)
        if transition is None:
            raise JiraError(400, f"Transition id '{transition_id}' is not valid for this issue.")
        fields = dict(body.get("fields") or {})
        resolution = None
        if "resolution" in fields:
            resolution = self.store.catalogue.resolution(fields.pop("resolution") or {})
            if resolution is None:
                raise JiraError(400, errors={"resolution": "The resolution selected is invalid."})
        if fields:
            name = next(iter(fields))
            raise JiraError(
                400,
                errors={
                    name: f"Field '{name}' cannot be set. It is not on the "
                    "appropriate screen, or unknown."
                },
            )
        if resolution is None and transition.resolution is not None:
            resolution = self.store.catalogue.resolution({"name": transition.resolution})
        comments = _added_comments(body.get("update"), render.api_version)
        self.store.move_to_status(issue, transition.to_status, resolution)
        for comment in comments:
            self.store.add_comment(issue, user.account_id, {"body": comment}, render.api_version)
        return Response.empty(204)

    # --- handlers: comments --------------------------------------------------------------

    def list_comments(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}/comment``: a page of comments (``startAt``, ``maxResults``,
        ``orderBy`` created or -created). ``expand=properties`` adds each comment's properties:
        Cloud's page for this operation names only ``renderedBody``, but Jira answers it here as
        on ``POST /comment/list`` (Server documents it; JSM's ``sd.public.comment`` is read so)."""
        issue = self._issue(params)
        start = _int_or_none(request.param("startAt")) or 0
        limit = max(0, min(_int_or_none(request.param("maxResults")) or 100, 100))
        order = request.param("orderBy") or "created"
        if order.lstrip("+-") != "created":
            raise JiraError(400, f"Invalid orderBy parameter: {order}")
        listed = sorted(issue.comments, key=lambda c: (c.created, c.id),
                        reverse=order.startswith("-"))
        expand = "properties" in (request.param("expand") or "").split(",")
        page = [render.comment(issue, c, expand) for c in listed[start:start + limit]]
        return Response.json(200, {"startAt": start, "maxResults": limit,
                                   "total": len(listed), "comments": page})

    def add_comment(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``POST /issue/{key}/comment`` → 201 with the comment."""
        issue = self._issue(params)
        comment = self.store.add_comment(issue, user.account_id, request.json(),
                                         render.api_version)
        return Response.json(201, render.comment(issue, comment))

    def get_comment(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}/comment/{id}``."""
        issue = self._issue(params)
        comment = next((c for c in issue.comments if str(c.id) == params["id"]), None)
        if comment is None:
            raise JiraError(404, f"Can not find a comment for the id: {params['id']}.")
        return Response.json(200, render.comment(issue, comment))

    # --- handlers: properties and remote links -------------------------------------------

    def property_keys(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}/properties``."""
        issue = self._issue(params)
        keys = [
            {"key": k, "self": render.api(f"issue/{issue.key}/properties/{k}")}
            for k in issue.properties
        ]
        return Response.json(200, {"keys": keys})

    def get_property(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}/properties/{propertyKey}``."""
        issue = self._issue(params)
        key = params["propertyKey"]
        if key not in issue.properties:
            raise JiraError(404, f"The property with key '{key}' does not exist.")
        return Response.json(200, {"key": key, "value": issue.properties[key]})

    def set_property(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``PUT /issue/{key}/properties/{propertyKey}`` → 201 when new, 200 when replaced."""
        issue = self._issue(params)
        key = params["propertyKey"]
        if len(key) > 255:
            raise JiraError(400, "The property key cannot be longer than 255 characters.")
        if len(request.body) > PROPERTY_VALUE_LIMIT:
            raise JiraError(
                400, f"The property value cannot be longer than {PROPERTY_VALUE_LIMIT} bytes."
            )
        value = request.json()
        if value is None:
            raise JiraError(400, "The property value must be a valid JSON value.")
        is_new = key not in issue.properties
        issue.properties[key] = value
        self.store.reindex(issue)
        return Response.empty(201 if is_new else 200)

    def delete_property(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``DELETE /issue/{key}/properties/{propertyKey}`` → 204."""
        issue = self._issue(params)
        if issue.properties.pop(params["propertyKey"], None) is None:
            raise JiraError(404, f"The property with key '{params['propertyKey']}' does not exist.")
        self.store.reindex(issue)
        return Response.empty(204)

    def get_remote_links(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``GET /issue/{key}/remotelink`` (optionally filtered by ``globalId``)."""
        issue = self._issue(params)
        wanted = request.param("globalId")
        links = [
            render.remote_link(issue, link)
            for link in issue.remote_links
            if wanted in (None, link.global_id)
        ]
        return Response.json(200, links)

    def add_remote_link(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """``POST /issue/{key}/remotelink``; the same ``globalId`` updates instead of adding."""
        issue = self._issue(params)
        body = request.json() or {}
        target = body.get("object")
        errors = {}
        if not isinstance(target, Mapping) or not target.get("url"):
            errors["url"] = "'url' is required."
        if not isinstance(target, Mapping) or not target.get("title"):
            errors["title"] = "'title' is required."
        if errors:
            raise JiraError(400, errors=errors)
        link, is_new = self.store.add_remote_link(issue, body)
        payload = {"id": link.id, "self": render.api(f"issue/{issue.key}/remotelink/{link.id}")}
        return Response.json(201 if is_new else 200, payload)

    # --- handlers: search ----------------------------------------------------------------

    def search_removed(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """Cloud's old ``/search``: gone since CHANGE-2046."""
        raise JiraError(410, SEARCH_REMOVED)

    def search_jql(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """Cloud's ``/search/jql``: token paging, no total, an eventually consistent index."""
        args = _SearchArgs.from_request(request)
        query = self._compile(args.jql, validate=True)
        if not query.restricted:
            raise JiraError(
                400,
                "Unbounded JQL queries are not allowed here. Please add a "
                "search restriction to your query.",
            )
        reconcile = _ints(args.reconcile)
        if len(reconcile) > RECONCILE_LIMIT:
            raise JiraError(
                400, f"The number of issues to reconcile cannot exceed {RECONCILE_LIMIT}."
            )
        fields = FieldSelection.parse(args.fields, "id")
        ceiling = 5000 if fields.only_id else 100
        page_size = max(1, min(args.max_results if args.max_results is not None else 50, ceiling))
        offset = _read_page_token(args.next_page_token, args.jql)
        found = self._search(query, set(reconcile))
        page = found[offset : offset + page_size]
        body: dict[str, Any] = {
            "issues": [render.issue(i, fields, args.properties) for i in page],
        }
        if offset + page_size < len(found):
            body["nextPageToken"] = _page_token(offset + page_size, args.jql)
        body["isLast"] = "nextPageToken" not in body
        return Response.json(200, body)

    def approximate_count(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """Cloud's ``/search/approximate-count`` (it sees the same lagging index)."""
        body = request.json() or {}
        query = self._compile(str(body.get("jql", "")), validate=True)
        if not query.restricted:
            raise JiraError(
                400,
                "Unbounded JQL queries are not allowed here. Please add a "
                "search restriction to your query.",
            )
        return Response.json(200, {"count": len(self._search(query, set()))})

    def search_paged(
        self, request: Request, params: dict[str, str], render: JiraRenderer, user: JiraUser
    ) -> Response:
        """Server's ``/search``: ``startAt``/``maxResults``/``total``."""
        args = _SearchArgs.from_request(request)
        validate = (args.validate_query or "strict").lower() in ("true", "strict")
        query = self._compile(args.jql, validate=validate)
        fields = FieldSelection.parse(args.fields, "*navigable")
        page_size = max(0, min(args.max_results if args.max_results is not None else 50, 1000))
        found = self._search(query, set())
        page = found[args.start_at : args.start_at + page_size]
        return Response.json(
            200,
            {
                "expand": "schema,names",
                "startAt": args.start_at,
                "maxResults": page_size,
                "total": len(found),
                "issues": [render.issue(i, fields, args.properties) for i in page],
            },
        )

    def _compile(self, jql: str, *, validate: bool) -> CompiledQuery:
        catalogue = self.store.catalogue
        return compile_query(
            parse_jql(jql),
            _StoreCatalog(self.store),
            self.clock.now(),
            validate=validate,
            status_names={s.id: s.name for s in catalogue.statuses},
        )

    def _search(self, query: CompiledQuery, reconcile: set[int]) -> list[JiraIssue]:
        now = self.clock.now()
        visible: list[JiraIssue] = []
        for issue_id, live in self.store.issues.items():
            seen = (
                live
                if issue_id in reconcile
                else self.store.index.visible(issue_id, now, self.knobs.search_lag)
            )
            if seen is not None and query.matches(seen):
                visible.append(seen)
        return query.sort(visible)  # type: ignore[return-value]


@dataclass(frozen=True)
class _SearchArgs:
    jql: str
    fields: list[str]
    properties: list[str]
    max_results: int | None
    start_at: int
    next_page_token: str | None
    reconcile: list[str]
    validate_query: str | None

    @classmethod
    def from_request(cls, request: Request) -> _SearchArgs:
        if request.method == "POST":
            body = request.json() or {}
            return cls(
                jql=str(body.get("jql") or ""),
                fields=_strings(body.get("fields")),
                properties=_strings(body.get("properties")),
                max_results=_int_or_none(body.get("maxResults")),
                start_at=_int_or_none(body.get("startAt")) or 0,
                next_page_token=body.get("nextPageToken"),
                reconcile=_strings(body.get("reconcileIssues")),
                validate_query=_str_or_none(body.get("validateQuery")),
            )
        return cls(
            jql=request.param("jql") or "",
            fields=request.params("fields"),
            properties=request.params("properties"),
            max_results=_int_or_none(request.param("maxResults")),
            start_at=_int_or_none(request.param("startAt")) or 0,
            next_page_token=request.param("nextPageToken"),
            reconcile=request.params("reconcileIssues"),
            validate_query=request.param("validateQuery"),
        )


def _added_comments(update: Any, api_version: str) -> list[Any]:
    """The bodies of ``update: {comment: [{add: {body: …}}]}`` in an edit or transition."""
    if update is None:
        return []
    operations = update.get("comment") if isinstance(update, Mapping) else None
    if not isinstance(operations, list):
        raise JiraError(400, errors={"comment": "Operation value must be a list."})
    bodies = []
    for operation in operations:
        added = operation.get("add") if isinstance(operation, Mapping) else None
        if not isinstance(added, Mapping):
            raise JiraError(400, errors={"comment": "Comment body can not be empty!"})
        bodies.append(comment_body(added.get("body"), api_version))
    return bodies


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    return [str(v) for v in value]


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise JiraError(400, f"'{value}' is not a valid number.") from exc


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value).lower()


def _ints(values: Sequence[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError as exc:
        raise JiraError(400, "reconcileIssues must be a list of issue ids.") from exc


def _page_token(offset: int, jql: str) -> str:
    digest = hashlib.sha1(jql.encode()).hexdigest()[:12]
    raw = json.dumps({"o": offset, "q": digest}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_page_token(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(decoded["o"])
        same_query = decoded["q"] == hashlib.sha1(jql.encode()).hexdigest()[:12]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise JiraError(400, "The provided next page token is invalid or expired.") from exc
    if not same_query:
        raise JiraError(400, "The provided next page token is invalid or expired.")
    return offset


class _StoreCatalog:
    """Resolves JQL values against the store (``JqlCatalog``)."""

    def __init__(self, store: JiraStore) -> None:
        self.store = store

    def project_key(self, ref: str) -> str | None:
        """The key of the project named by key, id or name."""
        project = self.store.find_project(ref)
        return project.key if project else None

    def status_ids(self, ref: str) -> set[str] | None:
        """The ids of the status named by name or id."""
        status = self.store.catalogue.find_status(ref)
        return {status.id} if status else None

    def category_status_ids(self, ref: str) -> set[str] | None:
        """The ids of the statuses in the category named by key, name or id."""
        category = self.store.catalogue.find_category(ref)
        if category is None:
            return None
        return {s.id for s in self.store.catalogue.statuses if s.category == category}

    def issue_ref(self, ref: str) -> tuple[str, int] | None:
        """``(key, id)`` of the issue named by key or id."""
        issue = self.store.find_issue(ref)
        return (issue.key, issue.id) if issue else None
