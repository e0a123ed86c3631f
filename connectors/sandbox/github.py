"""The fake GitHub: REST v3 (github.com or GHES layout), GraphQL and issue search.

Every answer carries ``x-ratelimit-*`` headers; issue creation is subject to a configurable
secondary limit (403 with ``retry-after`` and GitHub's message), and search reads an index that
lags behind writes, as GitHub's does.
"""

from __future__ import annotations

import itertools
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from connectors.sandbox.faults import Fault, FaultKind
from connectors.sandbox.github_limits import RateLimiter, RateWindow, SecondaryLimit
from connectors.sandbox.github_model import (
    GitHubComment,
    GitHubIssue,
    GitHubRepo,
    GitHubStore,
    GitHubUser,
    ValidationFailed,
)
from connectors.sandbox.github_render import GitHubRenderer, github_time
from connectors.sandbox.graphql_schema import GraphQLContext, execute_query
from connectors.sandbox.server import BadRequestBody, Request, Response, RouteMatch, Router

Layout = Literal["github.com", "ghes"]
DOCS = "https://docs.github.com/rest"
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content "
    "creation. Please retry your request again later."
)
SECONDARY_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SEARCH_RESULT_CAP = 1000
#: GitHub's 403 to an installation token (Actions, GitHub Apps) that lacks a permission.
INTEGRATION_REFUSED = "Resource not accessible by integration"
_ISSUES_READ = ("issues", "read", "issues/issues#list-repository-issues")


@dataclass
class GitHubKnobs:
    """GitHub settings tests may change at run time."""

    #: Seconds before a write shows up in ``/search/issues``.
    search_lag: float = 0.0
    #: The limit on issue creation; ``None`` turns it off (as GHES ships).
    secondary_limit: SecondaryLimit | None = field(default_factory=SecondaryLimit)


class GitHubError(Exception):
    """An error answer: ``{"message", "documentation_url", "status"}`` plus extras."""

    def __init__(
        self,
        status: int,
        message: str,
        docs: str = DOCS,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.docs = docs
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> Response:
        """Render as GitHub does."""
        body = {
            "message": self.message,
            **self.extra,
            "documentation_url": self.docs,
            "status": str(self.status),
        }
        return Response.json(self.status, body, self.headers)


@dataclass(frozen=True)
class Call:
    """Everything a GitHub handler needs about the request it answers."""

    request: Request
    params: dict[str, str]
    viewer: GitHubUser
    render: GitHubRenderer
    window: RateWindow


GitHubHandler = Callable[[Call], Response]


class GitHubService:
    """Routes GitHub API requests to handlers over one :class:`GitHubStore`."""

    name = "github"

    def __init__(
        self,
        store: GitHubStore,
        lock: threading.RLock,
        knobs: GitHubKnobs,
        limiter: RateLimiter,
        layout: Layout,
    ) -> None:
        self.store = store
        self.lock = lock
        self.knobs = knobs
        self.limiter = limiter
        self.layout = layout
        self.prefix = "" if layout == "github.com" else "/api/v3"
        self.graphql_path = "/graphql" if layout == "github.com" else "/api/graphql"
        self._request_ids = itertools.count(1)
        self.router: Router[GitHubHandler] = Router()
        self._register()

    # --- Service protocol ----------------------------------------------------------------

    def owns(self, path: str) -> bool:
        """github.com's API is the whole host; GHES serves it under ``/api/``."""
        return self.layout == "github.com" or path.startswith("/api/")

    def match(self, request: Request) -> RouteMatch[GitHubHandler] | None:
        """Find the route for ``request``."""
        return self.router.match(request.method, request.path)

    def handle(self, request: Request, match: RouteMatch[GitHubHandler] | None) -> Response:
        """Authenticate, count against the rate limits, run the handler, add headers."""
        with self.lock:
            response = self._answer(request, match)
            return self._finish(response)

    def fault_response(self, request: Request, fault: Fault) -> Response:
        """GitHub's answers to overload and outages."""
        with self.lock:
            viewer = self._viewer(request)
            window = self.limiter.peek(
                viewer.login if viewer else "anonymous",
                self._resource(request.path),
                viewer is not None,
            )
        headers = window.headers()
        if fault.retry_after is not None and fault.kind in (
            FaultKind.TOO_MANY_REQUESTS,
            FaultKind.SERVICE_UNAVAILABLE,
        ):
            headers["retry-after"] = str(fault.retry_after)
        if fault.kind is FaultKind.TOO_MANY_REQUESTS:
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again."
            )
            return self._finish(GitHubError(429, message, SECONDARY_LIMIT_DOCS, headers).response())
        if fault.kind is FaultKind.SERVER_ERROR:
            return self._finish(Response.json(500, {"message": "Server Error"}, headers))
        status = fault.kind.status or 502
        return self._finish(Response.text(status, f"{status} Server Error", headers=headers))

    # --- request pipeline ----------------------------------------------------------------

    def _answer(self, request: Request, match: RouteMatch[GitHubHandler] | None) -> Response:
        token = _token(request)
        viewer = self.store.user_by_token(token) if token else None
        identity = viewer.login if viewer else "anonymous"
        resource = self._resource(request.path)
        is_rate_limit = match is not None and match.route.template.endswith("/rate_limit")
        if is_rate_limit:
            window, exceeded = self.limiter.peek(identity, resource, viewer is not None), False
        else:
            window, exceeded = self.limiter.consume(identity, resource, viewer is not None)
        headers = window.headers()
        if token and viewer is None:
            return GitHubError(401, "Bad credentials", headers=headers).response()
        if match is None:
            return GitHubError(404, "Not Found", headers=headers).response()
        if viewer is None and not match.route.public:
            return GitHubError(401, "Requires authentication", headers=headers).response()
        if exceeded:
            who = f"user ID {viewer.id}" if viewer else "127.0.0.1"
            return GitHubError(
                403,
                f"API rate limit exceeded for {who}.",
                "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                headers,
            ).response()
        try:
            creates = match.route.template.endswith(("/issues", "/pulls"))
            if creates and request.method == "POST":
                self._admit_create(identity)
            call = Call(
                request,
                match.params,
                viewer or GitHubUser(0, "anonymous", ""),
                self._renderer(request),
                window,
            )
            response = match.route.handler(call)
        except GitHubError as error:
            error.headers = {**headers, **error.headers}
            return error.response()
        except ValidationFailed as error:
            body = {
                "message": "Validation Failed",
                "errors": error.errors,
                "documentation_url": f"{DOCS}/issues/issues",
                "status": "422",
            }
            return Response.json(422, body, headers)
        except BadRequestBody:
            return GitHubError(400, "Problems parsing JSON", headers=headers).response()
        response.headers.update(headers)
        return response

    def _admit_create(self, identity: str) -> None:
        wait = self.limiter.admit_create(identity, self.knobs.secondary_limit)
        if wait is not None:
            raise GitHubError(
                403, SECONDARY_LIMIT_MESSAGE, SECONDARY_LIMIT_DOCS, {"retry-after": str(wait)}
            )

    def _finish(self, response: Response) -> Response:
        response.headers.update(
            {
                "X-GitHub-Media-Type": "github.v3; format=json",
                "x-github-api-version-selected": "2022-11-28",
                "X-GitHub-Request-Id": f"5B1D:{next(self._request_ids):06X}",
            }
        )
        return response

    def _viewer(self, request: Request) -> GitHubUser | None:
        token = _token(request)
        return self.store.user_by_token(token) if token else None

    def _resource(self, path: str) -> str:
        if path == self.graphql_path:
            return "graphql"
        if path.startswith(f"{self.prefix}/search/"):
            return "search"
        return "core"

    def _renderer(self, request: Request) -> GitHubRenderer:
        return GitHubRenderer(self.store, request.base_url + self.prefix, request.base_url)

    # --- routing -------------------------------------------------------------------------

    def _register(self) -> None:
        def add(method: str, path: str, handler: GitHubHandler, *, public: bool = False) -> None:
            self.router.add(method, self.prefix + path, handler, public=public)

        repo = "/repos/{owner}/{repo}"
        add("GET", "/user", self.get_viewer)
        add("GET", "/users/{login}", self.get_user)
        add("GET", "/rate_limit", self.rate_limit, public=True)
        add("GET", repo, lambda c: Response.json(200, c.render.repo(self._repo(c), c.viewer.login)))
        add(
            "GET",
            "/repositories/{repo_id}",
            lambda c: Response.json(200, c.render.repo(self._repo(c), c.viewer.login)),
        )
        add("GET", f"{repo}/issues", self.list_issues)
        add("GET", "/repositories/{repo_id}/issues", self.list_issues)
        add("POST", f"{repo}/issues", self.create_issue)
        add("GET", f"{repo}/issues/{{number}}", self.get_issue)
        add("PATCH", f"{repo}/issues/{{number}}", self.edit_issue)
        add("GET", f"{repo}/issues/{{number}}/comments", self.list_comments)
        add("GET", "/repositories/{repo_id}/issues/{number}/comments", self.list_comments)
        add("POST", f"{repo}/issues/{{number}}/comments", self.create_comment)
        add("GET", f"{repo}/issues/comments/{{comment_id}}", self.get_comment)
        add("PATCH", f"{repo}/issues/comments/{{comment_id}}", self.edit_comment)
        add("GET", f"{repo}/issues/{{number}}/labels", self.issue_labels)
        add("POST", f"{repo}/issues/{{number}}/labels", self.add_issue_labels)
        add("PUT", f"{repo}/issues/{{number}}/labels", self.set_issue_labels)
        add("DELETE", f"{repo}/issues/{{number}}/labels/{{name}}", self.remove_issue_label)
        add("GET", f"{repo}/assignees", self.list_assignees)
        add("GET", f"{repo}/assignees/{{login}}", self.check_assignee)
        add("GET", f"{repo}/labels", self.list_labels)
        add("POST", f"{repo}/labels", self.create_label)
        add("GET", f"{repo}/labels/{{name}}", self.get_label)
        add("GET", f"{repo}/milestones", self.list_milestones)
        add("POST", f"{repo}/milestones", self.create_milestone)
        add("GET", f"{repo}/milestones/{{number}}", self.get_milestone)
        add("GET", f"{repo}/pulls", self.list_pulls)
        add("POST", f"{repo}/pulls", self.create_pull)
        add("GET", f"{repo}/pulls/{{number}}", self.get_pull)
        add("GET", "/search/issues", self.search_issues)
        self.router.add("POST", self.graphql_path, self.graphql)

    # --- lookups -------------------------------------------------------------------------

    def _repo(self, call: Call, needs: tuple[str, str, str] | None = None) -> GitHubRepo:
        """The repository of the request, as the viewer may see it.

        ``needs`` is ``(permission, level, docs anchor)``: what an installation token must hold
        for this operation (GitHub's 403 names it in ``X-Accepted-GitHub-Permissions``).
        """
        params = call.params
        if "repo_id" in params:
            found = (
                self.store.repo_by_id(int(params["repo_id"]))
                if params["repo_id"].isdigit()
                else None
            )
        else:
            found = self.store.find_repo(params["owner"], params["repo"])
        # Private repositories are invisible, not forbidden, to people without access.
        if found is None or not found.sees(call.viewer.login):
            raise GitHubError(404, "Not Found", f"{DOCS}/repos/repos#get-a-repository")
        if needs is not None and not found.grants(call.viewer.login, needs[0], needs[1]):
            raise GitHubError(
                403,
                INTEGRATION_REFUSED,
                f"{DOCS}/{needs[2]}",
                {"X-Accepted-GitHub-Permissions": f"{needs[0]}={needs[1]}"},
            )
        return found

    def _issue(self, call: Call, repo: GitHubRepo) -> GitHubIssue:
        number = call.params["number"]
        issue = repo.issues.get(int(number)) if number.isdigit() else None
        if issue is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/issues/issues#get-an-issue")
        return issue

    def _full_user(self, call: Call, user: GitHubUser) -> dict[str, Any]:
        body = call.render.user(user.login) or {}
        body.update(
            {
                "name": user.login,
                "company": None,
                "blog": "",
                "location": None,
                "email": None,
                "bio": None,
                "hireable": None,
                "public_gists": 0,
                "public_repos": 0,
                "followers": 0,
                "following": 0,
                "created_at": "2020-01-01T00:00:00Z",
                "updated_at": "2020-01-01T00:00:00Z",
            }
        )
        return body

    # --- handlers: accounts --------------------------------------------------------------

    def get_viewer(self, call: Call) -> Response:
        """``GET /user``: the token's account; installation tokens have none (403)."""
        if call.viewer.login.endswith("[bot]"):
            raise GitHubError(
                403, INTEGRATION_REFUSED, f"{DOCS}/users/users#get-the-authenticated-user"
            )
        body = self._full_user(call, call.viewer)
        body.update(
            {
                "user_view_type": "private",
                "private_gists": 0,
                "total_private_repos": 0,
                "owned_private_repos": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": True,
            }
        )
        return Response.json(200, body)

    def get_user(self, call: Call) -> Response:
        """``GET /users/{login}``."""
        user = self.store.users.get(call.params["login"])
        if user is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/users/users#get-a-user")
        return Response.json(200, self._full_user(call, user))

    def rate_limit(self, call: Call) -> Response:
        """``GET /rate_limit`` (free: it does not count against the budget)."""
        identity = _token(call.request)
        viewer = self.store.user_by_token(identity) if identity else None
        who = viewer.login if viewer else "anonymous"
        resources = {}
        for resource in ("core", "search", "graphql"):
            window = self.limiter.peek(who, resource, viewer is not None)
            resources[resource] = {
                "limit": window.limit,
                "used": window.used,
                "remaining": window.remaining,
                "reset": int(window.reset),
            }
        return Response.json(200, {"resources": resources, "rate": resources["core"]})

    # --- handlers: issues ----------------------------------------------------------------

    def list_issues(self, call: Call) -> Response:
        """``GET …/issues``: filters, sort, and ``Link`` pagination (pull requests included)."""
        repo = self._repo(call, _ISSUES_READ)
        request = call.request
        state = request.param("state", "open")
        wanted_labels = {name.lower() for name in request.params("labels")}
        since = _parse_since(request.param("since"))
        assignee = request.param("assignee")
        creator = request.param("creator")
        milestone = request.param("milestone")

        def keep(issue: GitHubIssue) -> bool:
            return (
                (state == "all" or issue.state == state)
                and wanted_labels <= {name.lower() for name in issue.labels}
                and (since is None or int(issue.updated_at) >= since)
                and _matches_person(assignee, issue.assignees)
                and (creator is None or issue.user == creator)
                and _matches_milestone(milestone, issue.milestone)
            )

        selected = [i for i in repo.issues.values() if keep(i)]
        sort = request.param("sort", "created")
        sort_key: Callable[[GitHubIssue], float] = (
            (lambda i: i.updated_at) if sort == "updated" else (lambda i: float(i.number))
        )
        selected.sort(key=sort_key, reverse=request.param("direction", "desc") != "asc")
        page, links = _paginate(request, selected, f"{self.prefix}/repositories/{repo.id}/issues")
        headers = {"Link": links} if links else {}
        return Response.json(200, [call.render.issue(repo, i) for i in page], headers)

    def create_issue(self, call: Call) -> Response:
        """``POST …/issues`` → 201."""
        repo = self._repo(call, ("issues", "write", "issues/issues#create-an-issue"))
        issue = self.store.create_issue(repo, call.viewer.login, call.request.json())
        body = call.render.issue(repo, issue)
        return Response.json(201, body, {"Location": body["url"]})

    def get_issue(self, call: Call) -> Response:
        """``GET …/issues/{number}`` (pull requests answer here too)."""
        repo = self._repo(call, ("issues", "read", "issues/issues#get-an-issue"))
        return Response.json(200, call.render.issue(repo, self._issue(call, repo)))

    def edit_issue(self, call: Call) -> Response:
        """``PATCH …/issues/{number}``: state, ``state_reason``, title, body, labels, assignees."""
        repo = self._repo(call, ("issues", "write", "issues/issues#update-an-issue"))
        issue = self._issue(call, repo)
        self.store.edit_issue(repo, issue, call.viewer.login, call.request.json())
        return Response.json(200, call.render.issue(repo, issue))

    def list_comments(self, call: Call) -> Response:
        """``GET …/issues/{number}/comments``: oldest first, ``since``, ``Link`` pagination."""
        repo = self._repo(call, ("issues", "read", "issues/comments#list-issue-comments"))
        issue = self._issue(call, repo)
        since = _parse_since(call.request.param("since"))
        selected = [c for c in issue.comments if since is None or int(c.updated_at) >= since]
        link_path = f"{self.prefix}/repositories/{repo.id}/issues/{issue.number}/comments"
        page, links = _paginate(call.request, selected, link_path)
        headers = {"Link": links} if links else {}
        return Response.json(200, [call.render.comment(repo, issue, c) for c in page], headers)

    def create_comment(self, call: Call) -> Response:
        """``POST …/issues/{number}/comments`` → 201 with the comment."""
        repo = self._repo(call, ("issues", "write", "issues/comments#create-an-issue-comment"))
        issue = self._issue(call, repo)
        comment = self.store.add_comment(issue, call.viewer.login, call.request.json())
        body = call.render.comment(repo, issue, comment)
        return Response.json(201, body, {"Location": body["url"]})

    def get_comment(self, call: Call) -> Response:
        """``GET …/issues/comments/{comment_id}``."""
        repo = self._repo(call, ("issues", "read", "issues/comments#get-an-issue-comment"))
        issue, comment = self._comment(call, repo)
        return Response.json(200, call.render.comment(repo, issue, comment))

    def edit_comment(self, call: Call) -> Response:
        """``PATCH …/issues/comments/{comment_id}`` → 200 with the comment."""
        repo = self._repo(call, ("issues", "write", "issues/comments#update-an-issue-comment"))
        issue, comment = self._comment(call, repo)
        self.store.edit_comment(comment, call.request.json())
        return Response.json(200, call.render.comment(repo, issue, comment))

    def _comment(self, call: Call, repo: GitHubRepo) -> tuple[GitHubIssue, GitHubComment]:
        raw = call.params["comment_id"]
        found = self.store.find_comment(repo, int(raw)) if raw.isdigit() else None
        if found is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/issues/comments#get-an-issue-comment")
        return found

    # --- handlers: pull requests (records only: the sandbox has no git data) -------------

    def list_pulls(self, call: Call) -> Response:
        """``GET …/pulls``: ``state``, ``head`` (``owner:branch``) and ``base`` filters."""
        repo = self._repo(call)
        request = call.request
        state = request.param("state", "open")
        head = request.param("head")
        head_branch = head.rpartition(":")[2] if head else None
        head_owner = head.rpartition(":")[0] if head else ""
        base = request.param("base")
        selected = [
            i
            for i in sorted(repo.issues.values(), key=lambda i: -i.number)
            if i.is_pull_request
            and (state == "all" or i.state == state)
            and (head_branch is None or i.head_ref == head_branch)
            and (not head_owner or head_owner.lower() == repo.owner.lower())
            and (base is None or i.base_ref == base)
        ]
        page, links = _paginate(request, selected, request.path)
        headers = {"Link": links} if links else {}
        return Response.json(200, [call.render.pull(repo, i) for i in page], headers)

    def create_pull(self, call: Call) -> Response:
        """``POST …/pulls`` → 201; needs push access to the repository."""
        repo = self._repo(call)
        if not repo.can_push(call.viewer.login):
            raise GitHubError(
                403,
                "Resource not accessible by personal access token",
                f"{DOCS}/pulls/pulls#create-a-pull-request",
            )
        pull = self.store.create_pull(repo, call.viewer.login, call.request.json())
        body = call.render.pull(repo, pull)
        return Response.json(201, body, {"Location": body["url"]})

    def get_pull(self, call: Call) -> Response:
        """``GET …/pulls/{number}`` (an issue number answers 404 here)."""
        repo = self._repo(call)
        issue = self._issue(call, repo)
        if not issue.is_pull_request:
            raise GitHubError(404, "Not Found", f"{DOCS}/pulls/pulls#get-a-pull-request")
        return Response.json(200, call.render.pull(repo, issue))

    # --- handlers: labels, assignees, milestones -----------------------------------------

    def issue_labels(self, call: Call) -> Response:
        """``GET …/issues/{number}/labels``."""
        repo = self._repo(call)
        return Response.json(200, self._labels_of(call, repo, self._issue(call, repo)))

    def add_issue_labels(self, call: Call) -> Response:
        """``POST …/issues/{number}/labels``: adds to the current set."""
        repo = self._repo(call, ("issues", "write", "issues/labels#add-labels-to-an-issue"))
        issue = self._issue(call, repo)
        names = _label_names(call.request.json())
        self.store.edit_issue(repo, issue, call.viewer.login, {"labels": [*issue.labels, *names]})
        return Response.json(200, self._labels_of(call, repo, issue))

    def set_issue_labels(self, call: Call) -> Response:
        """``PUT …/issues/{number}/labels``: replaces the set."""
        repo = self._repo(call, ("issues", "write", "issues/labels#set-labels-for-an-issue"))
        issue = self._issue(call, repo)
        self.store.edit_issue(
            repo, issue, call.viewer.login, {"labels": _label_names(call.request.json())}
        )
        return Response.json(200, self._labels_of(call, repo, issue))

    def remove_issue_label(self, call: Call) -> Response:
        """``DELETE …/issues/{number}/labels/{name}``."""
        repo = self._repo(
            call, ("issues", "write", "issues/labels#remove-a-label-from-an-issue")
        )
        issue = self._issue(call, repo)
        name = call.params["name"].lower()
        remaining = [label for label in issue.labels if label.lower() != name]
        if len(remaining) == len(issue.labels):
            raise GitHubError(
                404, "Label does not exist", f"{DOCS}/issues/labels#remove-a-label-from-an-issue"
            )
        self.store.edit_issue(repo, issue, call.viewer.login, {"labels": remaining})
        return Response.json(200, self._labels_of(call, repo, issue))

    def _labels_of(self, call: Call, repo: GitHubRepo, issue: GitHubIssue) -> list[dict[str, Any]]:
        return [
            call.render.label(repo, found)
            for name in issue.labels
            if (found := repo.label(name)) is not None
        ]

    def list_assignees(self, call: Call) -> Response:
        """``GET …/assignees``: who may be assigned."""
        repo = self._repo(call)
        page, links = _paginate(call.request, sorted(repo.collaborators), call.request.path)
        return Response.json(
            200, [call.render.user(login) for login in page], {"Link": links} if links else {}
        )

    def check_assignee(self, call: Call) -> Response:
        """``GET …/assignees/{login}``: 204 if assignable, 404 otherwise."""
        repo = self._repo(call)
        if call.params["login"] in repo.collaborators:
            return Response.empty(204)
        raise GitHubError(
            404, "Not Found", f"{DOCS}/issues/assignees#check-if-a-user-can-be-assigned"
        )

    def list_labels(self, call: Call) -> Response:
        """``GET …/labels``."""
        repo = self._repo(call)
        page, links = _paginate(call.request, list(repo.labels.values()), call.request.path)
        return Response.json(
            200,
            [call.render.label(repo, label) for label in page],
            {"Link": links} if links else {},
        )

    def create_label(self, call: Call) -> Response:
        """``POST …/labels`` → 201; needs push access."""
        repo = self._repo(call, ("issues", "write", "issues/labels#create-a-label"))
        if not repo.can_push(call.viewer.login):
            raise GitHubError(
                403, "Must have push access to repository", f"{DOCS}/issues/labels#create-a-label"
            )
        body = call.request.json() or {}
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ValidationFailed({"resource": "Label", "code": "missing_field", "field": "name"})
        if repo.label(name) is not None:
            raise ValidationFailed({"resource": "Label", "code": "already_exists", "field": "name"})
        color = body.get("color")
        if color is not None and not re.fullmatch(r"[0-9a-fA-F]{6}", str(color)):
            raise ValidationFailed({"resource": "Label", "code": "invalid", "field": "color"})
        label = self.store.add_label(repo, name, color, body.get("description"))
        return Response.json(201, call.render.label(repo, label))

    def get_label(self, call: Call) -> Response:
        """``GET …/labels/{name}``."""
        repo = self._repo(call)
        label = repo.label(call.params["name"])
        if label is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/issues/labels#get-a-label")
        return Response.json(200, call.render.label(repo, label))

    def list_milestones(self, call: Call) -> Response:
        """``GET …/milestones``."""
        repo = self._repo(call)
        state = call.request.param("state", "open")
        chosen = [m for m in repo.milestones.values() if state == "all" or m.state == state]
        return Response.json(200, [call.render.milestone(repo, m) for m in chosen])

    def create_milestone(self, call: Call) -> Response:
        """``POST …/milestones`` → 201 (``title``, optional ``due_on``); needs push access."""
        repo = self._repo(call, ("issues", "write", "issues/milestones#create-a-milestone"))
        if not repo.can_push(call.viewer.login):
            raise GitHubError(403, "Must have push access to repository",
                              f"{DOCS}/issues/milestones#create-a-milestone")
        body = call.request.json() or {}
        title = body.get("title")
        if not isinstance(title, str) or not title:
            raise ValidationFailed({"resource": "Milestone", "code": "missing_field",
                                    "field": "title"})
        due_on = _timestamp(body.get("due_on"))
        if body.get("due_on") is not None and due_on is None:
            raise ValidationFailed({"resource": "Milestone", "code": "invalid", "field": "due_on"})
        milestone = self.store.add_milestone(repo, title, call.viewer.login)
        milestone.due_on = due_on
        return Response.json(201, call.render.milestone(repo, milestone))

    def get_milestone(self, call: Call) -> Response:
        """``GET …/milestones/{number}``."""
        repo = self._repo(call)
        number = call.params["number"]
        milestone = repo.milestones.get(int(number)) if number.isdigit() else None
        if milestone is None:
            raise GitHubError(404, "Not Found", f"{DOCS}/issues/milestones#get-a-milestone")
        return Response.json(200, call.render.milestone(repo, milestone))

    # --- handlers: search and GraphQL ----------------------------------------------------

    def search_issues(self, call: Call) -> Response:
        """``GET /search/issues``: a small query language over a lagging index."""
        request = call.request
        q = request.param("q")
        if not q:
            raise ValidationFailed({"resource": "Search", "field": "q", "code": "missing"})
        query = _SearchQuery.parse(q)
        repos = self._search_scope(call, query)
        now = self.store.clock.now()
        found: list[tuple[GitHubRepo, GitHubIssue]] = []
        for repo in repos:
            for number in repo.issues:
                seen = self.store.index.visible((repo.id, number), now, self.knobs.search_lag)
                if seen is not None and query.matches(seen):
                    found.append((repo, seen))
        sort = request.param("sort")
        reverse = request.param("order", "desc") != "asc"
        found.sort(
            key=lambda pair: pair[1].updated_at if sort == "updated" else pair[1].created_at,
            reverse=reverse,
        )
        per_page = _per_page(request)
        page_number = _page_number(request)
        if (page_number - 1) * per_page >= SEARCH_RESULT_CAP:
            raise GitHubError(
                422,
                "Only the first 1000 search results are available",
                "https://docs.github.com/v3/search/",
            )
        capped = found[:SEARCH_RESULT_CAP]
        page, links = _paginate(request, capped, request.path)
        items = [{**call.render.issue(repo, issue), "score": 1.0} for repo, issue in page]
        return Response.json(
            200,
            {"total_count": len(found), "incomplete_results": False, "items": items},
            {"Link": links} if links else {},
        )

    def _search_scope(self, call: Call, query: _SearchQuery) -> list[GitHubRepo]:
        visible = [r for r in self.store.repos.values() if r.sees(call.viewer.login)]
        if not query.repos:
            return visible
        chosen = [r for r in visible if r.full_name.lower() in query.repos]
        if len(chosen) != len(query.repos):
            raise ValidationFailed(
                {
                    "message": "The listed users and repositories cannot be searched either "
                    "because the resources do not exist or you do not have permission to view "
                    "them.",
                    "resource": "Search",
                    "field": "q",
                    "code": "invalid",
                }
            )
        return chosen

    def graphql(self, call: Call) -> Response:
        """``POST /graphql`` (GHES: ``/api/graphql``)."""
        body = call.request.json()
        if not isinstance(body, Mapping):
            raise GitHubError(400, "Problems parsing JSON")
        window = call.window
        rate = {
            "cost": 1,
            "limit": window.limit,
            "remaining": window.remaining,
            "used": window.used,
            "resetAt": github_time(window.reset),
        }
        context = GraphQLContext(self.store, call.viewer, call.request.base_url, rate)
        answer = execute_query(
            context, body.get("query"), body.get("variables"), body.get("operationName")
        )
        return Response.json(200, answer, {"X-GitHub-Media-Type": "github.v4; format=json"})


@dataclass(frozen=True)
class _SearchQuery:
    repos: frozenset[str]
    kind: str | None
    state: str | None
    labels: tuple[str, ...]
    author: str | None
    assignee: str | None
    scopes: frozenset[str]
    terms: tuple[str, ...]

    _TOKEN = re.compile(r'(-?[\w-]+):("[^"]*"|\S+)|"([^"]*)"|(\S+)')

    @classmethod
    def parse(cls, q: str) -> _SearchQuery:
        repos: set[str] = set()
        kind = state = author = assignee = None
        labels: list[str] = []
        scopes: set[str] = set()
        terms: list[str] = []
        for found in cls._TOKEN.finditer(q):
            qualifier, raw_value, quoted, word = found.groups()
            if qualifier is None:
                terms.append((quoted if quoted is not None else word).lower())
                continue
            value = raw_value.strip('"')
            lowered = qualifier.lower()
            if lowered == "repo":
                repos.add(value.lower())
            elif lowered in ("is", "type") and value in ("issue", "pr", "pull-request"):
                kind = "issue" if value == "issue" else "pr"
            elif lowered in ("is", "state") and value in ("open", "closed"):
                state = value
            elif lowered == "label":
                labels.append(value.lower())
            elif lowered == "author":
                author = value
            elif lowered == "assignee":
                assignee = value
            elif lowered == "in":
                scopes.update(value.split(","))
            else:
                terms.append(found.group(0).lower())
        return cls(
            frozenset(repos),
            kind,
            state,
            tuple(labels),
            author,
            assignee,
            frozenset(scopes),
            tuple(terms),
        )

    def matches(self, issue: GitHubIssue) -> bool:
        if self.kind == "issue" and issue.is_pull_request:
            return False
        if self.kind == "pr" and not issue.is_pull_request:
            return False
        if self.state and issue.state != self.state:
            return False
        if not set(self.labels) <= {name.lower() for name in issue.labels}:
            return False
        if self.author and issue.user != self.author:
            return False
        if self.assignee and self.assignee not in issue.assignees:
            return False
        scopes = self.scopes or {"title", "body"}
        text = " ".join(
            [
                issue.title if "title" in scopes else "",
                (issue.body or "") if "body" in scopes else "",
            ]
        ).lower()
        return all(term in text for term in self.terms)


def _token(request: Request) -> str | None:
    header = request.header("Authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("token", "bearer") and value:
        return value.strip()
    return header or None


def _parse_since(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed({"resource": "Issue", "field": "since", "code": "invalid"}) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _matches_person(wanted: str | None, logins: Sequence[str]) -> bool:
    if wanted is None:
        return True
    if wanted == "none":
        return not logins
    if wanted == "*":
        return bool(logins)
    return wanted in logins


def _matches_milestone(wanted: str | None, number: int | None) -> bool:
    if wanted is None:
        return True
    if wanted == "none":
        return number is None
    if wanted == "*":
        return number is not None
    return wanted.isdigit() and number == int(wanted)


def _label_names(body: Any) -> list[str]:
    raw = body.get("labels", []) if isinstance(body, Mapping) else body or []
    names: list[str] = []
    for item in raw:
        name = item.get("name") if isinstance(item, Mapping) else item
        if not isinstance(name, str):
            raise ValidationFailed(
                {"value": name, "resource": "Label", "field": "name", "code": "invalid"}
            )
        names.append(name)
    return names


def _per_page(request: Request) -> int:
    raw = request.param("per_page", "30") or "30"
    return max(1, min(int(raw) if raw.isdigit() else 30, 100))


def _page_number(request: Request) -> int:
    raw = request.param("page", "1") or "1"
    return max(1, int(raw) if raw.isdigit() else 1)


def _paginate(request: Request, items: Sequence[Any], link_path: str) -> tuple[list[Any], str]:
    """Cut one page out of ``items`` and build GitHub's ``Link`` header for the others."""
    per_page = _per_page(request)
    page = _page_number(request)
    last = max(1, -(-len(items) // per_page))
    chosen = list(items[(page - 1) * per_page : page * per_page])

    def url(number: int) -> str:
        query = {k: v[0] for k, v in request.query.items() if v}
        query["page"] = str(number)
        return f"<{request.base_url}{link_path}?{urllib.parse.urlencode(query)}>"

    links = []
    if page > 1:
        links.append(f'{url(min(page - 1, last))}; rel="prev"')
    if page < last:
        links.append(f'{url(page + 1)}; rel="next"')
        links.append(f'{url(last)}; rel="last"')
    if page > 1:
        links.append(f'{url(1)}; rel="first"')
    return chosen, ", ".join(links)


def _timestamp(value: object) -> float | None:
    """An ISO 8601 time (``2026-02-01T00:00:00Z``) as a POSIX timestamp; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
