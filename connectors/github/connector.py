"""The GitHub connector (github.com and GitHub Enterprise Server), on PyGithub's requester.

PyGithub is used as the HTTP client (authentication, base URL, GHES paths, error types) through
``Github.requester``, not through its object model: its objects complete themselves with one
extra GET per issue when an attribute is missing (``Issue.pull_request``, ``raw_data``), and its
paginated lists fetch pages where no retry layer can see them. Every request goes through
:func:`connectors.retry.call`; PyGithub's own retries and throttling are switched off.

Tickets are found again by a hidden stamp in the body (see :mod:`connectors.github.body`) and by
the ``pmsync`` label, listed with the REST issue list, which is consistent, never with the
search API, which lags behind writes.
"""

from __future__ import annotations

import functools
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any, ClassVar

from github import Github, GithubException

from config.settings import Settings
from connectors import retry
from connectors.base import (
    FIELD_NAMES,
    PMSYNC_LABEL,
    AccessError,
    AuthError,
    Comment,
    Created,
    CreateOutcome,
    Draft,
    Failed,
    FieldName,
    Finding,
    Marker,
    Notice,
    RateLimited,
    Stamp,
    TicketFields,
    TicketLink,
    TicketState,
    check_comment_tag,
    duplicate_comment,
    one_line,
)
from connectors.clients import (
    GITHUB_REPO_VARIABLES,
    GITHUB_TOKEN_VARIABLES,
    github_call,
    github_client,
    github_message,
    github_refused,
    github_repo_missing,
    github_write_refused,
)
from connectors.github.body import (
    body_due,
    body_stamp,
    comment_markdown,
    comment_tag,
    render_body,
    with_due,
    with_stamp,
)
from connectors.pacing import Pacer, Window
from syncer.errors import ConfigError, TrackerError
from syncer.logs import get_logger, register_secret
from syncer.model import Status, TicketRef

log = get_logger("pmsync.github")

TITLE_LIMIT = 256
#: Issues read per GraphQL query. GitHub refuses a query that may return more than 500,000 nodes,
#: counting each connection at its ``first``: one issue of ``_ISSUE_FIELDS`` counts 110 (10
#: assignees, 100 labels), so 250 issues count 27,500; fewer, larger queries save a round trip
#: each, and 1,000 linked items take 4.
READ_BATCH = 250
#: How far before a create's start a re-listing looks, for clock skew between us and GitHub.
SINCE_MARGIN = 300.0
#: Creates whose outcome stayed unknown (and whose ticket was not found) before giving up.
UNKNOWN_ATTEMPTS = 4
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
# GitHub reads a duplicate's stateReason as NOT_PLANNED unless asked for DUPLICATE.
_ISSUE_FIELDS = """
fragment pmsyncIssue on Issue {
  number url title body state stateReason(enableDuplicate: true) updatedAt closedAt
  assignees(first: 10) { nodes { login } }
  labels(first: 100) { nodes { name } }
  milestone { dueOn }
}
"""


@dataclass(frozen=True)
class _Issue:
    """One issue as pmsync needs it, from a REST or a GraphQL answer."""

    number: int
    url: str
    title: str
    body: str
    state: str  # "open" | "closed"
    state_reason: str | None
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    updated: datetime | None
    closed: datetime | None
    milestone_due: date | None = None  # the due date of the issue's milestone

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> _Issue:
        reason = data.get("state_reason")
        return cls(
            number=int(data["number"]),
            url=str(data.get("html_url") or data.get("url") or ""),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            state=str(data.get("state") or "open").lower(),
            state_reason=str(reason).lower() if reason else None,
            labels=tuple(str(label["name"]) for label in data.get("labels") or []),
            assignees=tuple(str(user["login"]) for user in data.get("assignees") or []),
            updated=_parse_time(data.get("updated_at")),
            closed=_parse_time(data.get("closed_at")),
            milestone_due=_day(_parse_time((data.get("milestone") or {}).get("due_on"))),
        )

    @classmethod
    def from_graphql(cls, node: dict[str, Any]) -> _Issue:
        reason = node.get("stateReason")
        return cls(
            number=int(node["number"]),
            url=str(node.get("url") or ""),
            title=str(node.get("title") or ""),
            body=str(node.get("body") or ""),
            state=str(node.get("state") or "OPEN").lower(),
            state_reason=str(reason).lower() if reason else None,
            labels=tuple(str(n["name"]) for n in (node.get("labels") or {}).get("nodes") or []),
            assignees=tuple(
                str(n["login"]) for n in (node.get("assignees") or {}).get("nodes") or []
            ),
            updated=_parse_time(node.get("updatedAt")),
            closed=_parse_time(node.get("closedAt")),
            milestone_due=_day(_parse_time((node.get("milestone") or {}).get("dueOn"))),
        )

    @functools.cached_property
    def stamp(self) -> Stamp | None:
        """The stamp pmsync left in the body (read once per issue)."""
        return body_stamp(self.body)

    @functools.cached_property
    def due(self) -> date | None:
        """The date of the body's ``Due:`` line."""
        return body_due(self.body)

    @property
    def status(self) -> Status:
        """open → OPEN; closed as not planned or duplicate → WONT_DO; other closed → DONE."""
        if self.state != "closed":
            return Status.OPEN
        return Status.WONT_DO if self.state_reason in ("not_planned", "duplicate") else Status.DONE


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _day(moment: datetime | None) -> date | None:
    """The UTC day of a GitHub time (a milestone's ``due_on``)."""
    return moment.astimezone(timezone.utc).date() if moment is not None else None


def _comment(data: dict[str, Any]) -> Comment:
    body = str(data.get("body") or "")
    user = data.get("user")
    author = str(user["login"]) if isinstance(user, dict) and user.get("login") else None
    return Comment(str(data["id"]), author, _parse_time(data.get("created_at")), body,
                   comment_tag(body))


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def web_root(api_url: str) -> str:
    """Where people browse the instance: github.com, or the GHES host without ``/api/v3``."""
    parts = urllib.parse.urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    path = parts.path.rstrip("/")
    path = path.removesuffix("/api/v3")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")


#: Token prefixes GitHub documents (``ghu_``/``ghr_`` belong to GitHub Apps acting for a user).
_TOKEN_KINDS = (
    ("ghs_", "installation token (Actions GITHUB_TOKEN or GitHub App)"),
    ("github_pat_", "fine-grained personal access token"),
    ("ghp_", "classic personal access token"),
    ("gho_", "OAuth token"),
    ("ghu_", "GitHub App user token"),
)


#: What ``permissions.push`` does not prove, per kind: a fine-grained token's own permissions.
_PUSH_SHOWN = {"github_pat_": (
    "the token's account may set labels and assignees; the token's own 'Issues: Read and "
    "write' permission is not shown: pmsync stops with one error at its first write if missing")}


def token_kind(token: str) -> str:
    """What kind of token ``token`` is, from GitHub's documented prefixes (never the token)."""
    return next((kind for prefix, kind in _TOKEN_KINDS if token.startswith(prefix)),
                "token of unrecognised kind (no GitHub prefix)")


def _assignee_refused(exc: GithubException) -> bool:
    data = exc.data if isinstance(exc.data, dict) else {}
    return exc.status == 422 and any(
        isinstance(e, dict) and e.get("field") in ("assignees", "assignee")
        for e in data.get("errors") or []
    )


class GitHubTracker:
    """Issues in one GitHub repository (github.com or GHES), created and read by pmsync."""

    name: ClassVar[str] = "github"
    token_variable: ClassVar[str] = "PMSYNC_GITHUB__TOKEN"
    statuses: ClassVar[frozenset[Status]] = frozenset({Status.OPEN, Status.DONE, Status.WONT_DO})

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        policy: retry.RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.config = settings.github
        self._token = self.config.token.get_secret_value() if self.config.token else None
        register_secret(self._token)
        self._clock = clock
        self.policy = policy or retry.RetryPolicy(sleep=sleep, clock=clock)
        self.pacer = Pacer(
            (Window(self.config.creates_per_minute, 60.0),
             Window(self.config.creates_per_hour, 3600.0)),
            clock=clock,
            sleep=sleep,
        )
        self._priority_labels = {k.lower(): v for k, v in self.config.priority_labels.items()}
        self._priority_names = {v.lower(): v for v in self.config.priority_labels.values()}
        self._client: Github | None = None
        self._issues: dict[int, _Issue] = {}
        self._by_marker: dict[Marker, int] = {}
        self._numbers_of: dict[Marker, set[int]] = {}  # every issue stamped with the marker
        self._listed_at: float | None = None
        self._assignable: dict[str, bool] = {}
        self._milestones: dict[str, int] | None = None
        self._can_push: bool | None = None
        self._label_checked = False

    @classmethod
    def from_settings(cls, settings: Settings) -> GitHubTracker:
        """The connector for ``settings``; builds no client and sends nothing."""
        return cls(settings)

    # --- the client and the one way requests are sent -------------------------------------

    @property
    def repo(self) -> str:
        """``owner/name`` as configured (raises ConfigError when missing or malformed)."""
        repo = (self.config.repo or "").strip()
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            what = f"{repo!r} is not owner/name" if repo else "no repository is set"
            raise ConfigError(
                f"GitHub: {what}; set {GITHUB_REPO_VARIABLES} (e.g. acme/postmortems)")
        return repo

    def _github(self) -> Github:
        if self._client is None:
            if not self._token:
                raise ConfigError(f"GitHub: no token is set; set {GITHUB_TOKEN_VARIABLES}")
            self._client = github_client(self._token, self.config.api_url, self.config.timeout)
        return self._client

    def _call(self, fn: Callable[[], Any], what: str, *, idempotent: bool = True) -> Any:
        """Run ``fn`` in the retry layer; a refused token becomes :class:`AuthError`."""
        return github_call(fn, what, idempotent=idempotent, policy=self.policy)

    def _request(
        self,
        verb: str,
        url: str,
        what: str,
        *,
        parameters: dict[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[dict[str, Any], Any]:
        """One idempotent request (GET, PATCH, or a GraphQL query) through the retry layer."""
        requester = self._github().requester
        answer: tuple[dict[str, Any], Any] = self._call(
            lambda: requester.requestJsonAndCheck(verb, url, parameters=parameters, input=body),
            what,
        )
        return answer

    def _pages(self, url: str, parameters: dict[str, Any], doing: str) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following ``Link: rel="next"``; each page is one
        request in the retry layer, so a failure repeats one page, not the whole list."""
        next_url: str | None = url
        query: dict[str, Any] | None = parameters
        while next_url is not None:
            try:
                headers, page = self._request("GET", next_url, doing, parameters=query)
            except GithubException as exc:
                raise self._refused(exc, doing) from None
            yield from (item for item in page or [] if isinstance(item, dict))
            found = _NEXT_LINK.search(retry.header_map(headers).get("link", ""))
            next_url, query = (found.group(1), None) if found else (None, None)

    def _repo_missing(self) -> AccessError:
        return github_repo_missing(self.repo, self.config.api_url)

    def _refused(self, exc: GithubException, doing: str) -> TrackerError:
        """An error for a refusal that concerns the whole repository, not one ticket."""
        return github_refused(exc, doing, self.repo, self.config.api_url)

    def _write_refused(self, exc: GithubException) -> AccessError:
        """The one error for a write GitHub refuses to this token."""
        return github_write_refused(exc, self.repo)

    # --- Tracker: describing and recognising ----------------------------------------------

    def describe(self) -> str:
        """The instance and repository, never the token."""
        return f"GitHub {self.config.repo or '(no repository)'} at {self.config.api_url}"

    @functools.cached_property
    def _web(self) -> tuple[str, str]:
        """Where people browse the instance, and its host (lower case)."""
        root = web_root(self.config.api_url)
        return root, urllib.parse.urlsplit(root).netloc.lower()

    def owns(self, ref: TicketRef) -> TicketLink | None:
        """A ``#12``, ``owner/repo#12`` or issue URL of the configured repository."""
        if ref.kind != "github" or not self.config.repo:
            return None
        if ref.repo is not None and ref.repo.lower() != self.config.repo.lower():
            return None
        root, host = self._web
        if ref.url is not None and urllib.parse.urlsplit(ref.url).netloc.lower() != host:
            return None
        number = ref.key.lstrip("#")
        url = ref.url or f"{root}/{self.config.repo}/issues/{number}"
        return TicketLink(self.name, f"{self.config.repo}#{number}", url)

    # --- Tracker: translating a draft -----------------------------------------------------

    def desired(self, draft: Draft) -> tuple[TicketFields, tuple[Notice, ...]]:
        """Title on one line, owner → assignable login, priority → the configured label."""
        notices: list[Notice] = []
        assignee = self._assignee_for(draft, notices)
        priority = None
        if draft.priority:
            priority = self._priority_labels.get(draft.priority.strip().lower())
            if priority is None:
                notices.append(Notice(draft.marker, (
                    f"priority {draft.priority!r} has no GitHub label; add it to "
                    "github.priority_labels (PMSYNC_GITHUB__PRIORITY_LABELS)")))
        fields = TicketFields(one_line(draft.title, TITLE_LIMIT), assignee, draft.due, priority)
        return fields, tuple(notices)

    def _assignee_for(self, draft: Draft, notices: list[Notice]) -> str | None:
        owner = (draft.owner or "").strip()
        if not owner:
            return None
        identity = self.settings.owners.get(owner) or next(
            (v for k, v in self.settings.owners.items() if k.lower() == owner.lower()), None
        )
        login = identity.github if identity is not None else None
        if login is None and owner.startswith("@") and _LOGIN.match(owner[1:]):
            login = owner[1:]
        if login is None:
            notices.append(Notice(draft.marker, (
                f"owner {owner!r} has no GitHub login; left unassigned (add it under [owners] "
                "with a github login)")))
            return None
        if not self.assignable(login):
            notices.append(Notice(draft.marker, (
                f"GitHub user {login!r} (owner {owner!r}) cannot be assigned issues in "
                f"{self.repo}; left unassigned")))
            return None
        return login

    def assignable(self, login: str) -> bool:
        """Whether ``login`` may be assigned issues here (``GET …/assignees/{login}``, cached)."""
        if login not in self._assignable:
            try:
                self._request("GET", f"/repos/{self.repo}/assignees/{login}",
                              f"check assignee {login}")
                self._assignable[login] = True
            except GithubException as exc:
                if exc.status != 404:
                    raise self._refused(exc, "check assignees") from None
                self._assignable[login] = False
        return self._assignable[login]

    # --- Tracker: finding by marker -------------------------------------------------------

    def find(self, markers: Sequence[Marker]) -> dict[Marker, TicketState]:
        """Tickets carrying ``markers``, from the consistent label listing (never search).

        The first call lists every ``pmsync`` issue; later calls only what changed since.
        """
        return {m: states[0] for m, states in self.find_all(markers).items()}

    def find_all(self, markers: Sequence[Marker]) -> dict[Marker, list[TicketState]]:
        """Every issue carrying each marker, lowest number first, from the same listing (it
        lists what changed since the last one, so issues other runs created meanwhile too)."""
        self._refresh_listing()
        return {m: [self._state(self._issues[n]) for n in sorted(self._numbers_of[m])]
                for m in markers if self._numbers_of.get(m)}

    def tickets_of(self, document_ids: Sequence[str]) -> dict[str, list[TicketState]]:
        """Each document's issues, from the same label listing :meth:`find` uses."""
        self._refresh_listing()
        wanted = set(document_ids)
        found: dict[str, list[TicketState]] = {d: [] for d in document_ids}
        for number in sorted(self._issues):
            stamp = self._issues[number].stamp
            if stamp is not None and stamp.marker.document_id in wanted:
                found[stamp.marker.document_id].append(self._state(self._issues[number]))
        return found

    def _refresh_listing(self, since: float | None = None) -> None:
        if since is None and self._listed_at is not None:
            since = self._listed_at - SINCE_MARGIN
        started = self._clock()
        parameters: dict[str, Any] = {
            "labels": PMSYNC_LABEL, "state": "all", "per_page": 100,
            "sort": "created", "direction": "asc",
        }
        if since is not None:
            parameters["since"] = _iso(since)
        for data in self._pages(f"/repos/{self.repo}/issues", parameters, "list issues"):
            # The issue list includes pull requests; only the raw key tells them apart.
            if "pull_request" not in data:
                self._remember(data)
        # The cache now holds everything up to ``started`` only if this listing reached back to
        # the previous one (a re-listing after a lost create may look at a later span only).
        covered = since is None or (self._listed_at is not None and since <= self._listed_at)
        if covered:
            self._listed_at = started

    def _remember(self, data: dict[str, Any] | _Issue) -> _Issue:
        issue = data if isinstance(data, _Issue) else _Issue.from_rest(data)
        self._issues[issue.number] = issue
        stamp = issue.stamp
        if stamp is not None:
            self._numbers_of.setdefault(stamp.marker, set()).add(issue.number)
            known = self._by_marker.get(stamp.marker)
            # Should two issues carry one marker (made by hand or another tool), keep the first.
            if known is None or known >= issue.number:
                self._by_marker[stamp.marker] = issue.number
        return issue

    def _state(self, issue: _Issue) -> TicketState:
        priority = next((self._priority_names[label.lower()] for label in issue.labels
                         if label.lower() in self._priority_names), None)
        fields = TicketFields(
            title=issue.title,
            assignee=issue.assignees[0] if issue.assignees else None,
            due=issue.due,
            priority=priority,
        )
        return TicketState(
            link=TicketLink(self.name, f"{self.repo}#{issue.number}", issue.url),
            fields=fields,
            status=issue.status,
            raw_status=issue.state,
            reason=issue.state_reason,
            updated=issue.updated,
            resolved=issue.closed if issue.state == "closed" else None,
            stamp=issue.stamp,
            milestone_due=issue.milestone_due,
        )

    # --- Tracker: creating ----------------------------------------------------------------

    def create(self, drafts: Sequence[Draft],
               on_outcome: Callable[[int, CreateOutcome], None] | None = None) -> list[CreateOutcome]:
        """One issue per draft, paced under the secondary limit; never two for one marker."""
        if not drafts:
            return []
        self._require_push()
        self.find([d.marker for d in drafts])
        outcomes: list[CreateOutcome] = []

        def record(outcome: CreateOutcome) -> None:
            if on_outcome is not None:
                on_outcome(len(outcomes), outcome)
            outcomes.append(outcome)

        for index, draft in enumerate(drafts):
            number = self._by_marker.get(draft.marker)
            if number is not None:
                record(Created(draft.marker, self._state(self._issues[number]), True))
                continue
            try:
                outcome = self._create_one(draft)
            except RateLimited as exc:
                # Later drafts would wait out the same limit; report them instead of hanging.
                for later in drafts[index:]:
                    record(Failed(later.marker, str(exc)))
                break
            record(outcome)
            if isinstance(outcome, Created) and not outcome.recovered:
                self._check_label_kept(outcome.state.link, draft)
        return outcomes

    def _create_one(self, draft: Draft) -> CreateOutcome:
        fields, first_notices = self.desired(draft)
        notices = list(first_notices)
        milestone = self._milestone_number()
        unknown = 0
        while unknown < UNKNOWN_ATTEMPTS:
            payload = self._create_payload(draft, fields, milestone)
            started = self._clock()
            try:
                _, data = self._call(functools.partial(self._paced_post, payload),
                                     f"create issue for {draft.marker.item_key}",
                                     idempotent=False)
            except retry.OutcomeUnknown as exc:
                unknown += 1
                log.warning("create outcome unknown; looking for the ticket before retrying",
                            item=draft.marker.item_key, cause=str(exc))
                self._refresh_listing(since=started - SINCE_MARGIN)
                number = self._by_marker.get(draft.marker)
                if number is not None:
                    return Created(draft.marker, self._state(self._issues[number]), True,
                                   tuple(notices))
                continue
            except GithubException as exc:
                if _assignee_refused(exc) and fields.assignee is not None:
                    self._assignable[fields.assignee] = False
                    notices.append(Notice(draft.marker, (
                        f"GitHub refused assignee {fields.assignee!r} ({github_message(exc)}); "
                        "created unassigned")))
                    fields = replace(fields, assignee=None)
                    continue
                if exc.status in (403, 404):
                    raise self._write_refused(exc) from None
                if exc.status == 410:
                    raise self._refused(exc, "create issues") from None
                return Failed(draft.marker, github_message(exc))
            issue = self._remember(data)
            return Created(draft.marker, self._state(issue), False, tuple(notices))
        return Failed(draft.marker, (
            f"GitHub did not confirm the issue {UNKNOWN_ATTEMPTS} times and it was not found "
            "afterwards; run again to retry (pmsync will not create a duplicate)"))

    def _create_payload(
        self, draft: Draft, fields: TicketFields, milestone: int | None
    ) -> dict[str, Any]:
        labels = [PMSYNC_LABEL, *self.config.labels]
        if fields.priority:
            labels.append(fields.priority)
        stamp = Stamp(draft.marker, fields)
        payload: dict[str, Any] = {
            "title": fields.title,
            "body": render_body(draft.context, fields.due, stamp, self.settings.document_base_url),
            "labels": list(dict.fromkeys(labels)),
        }
        if fields.assignee:
            payload["assignees"] = [fields.assignee]
        if milestone is not None:
            payload["milestone"] = milestone
        return payload

    def _paced_post(self, payload: dict[str, Any], path: str | None = None
                    ) -> tuple[dict[str, Any], Any]:
        """A content-creating POST (an issue, or a comment at ``path``), paced under the
        secondary limit."""
        requester = self._github().requester
        self.pacer.wait()
        try:
            return requester.requestJsonAndCheck("POST", path or f"/repos/{self.repo}/issues",
                                                 input=payload)
        finally:
            self.pacer.record()

    def _require_push(self) -> None:
        """Refuse to write when GitHub says the token's account has no push access: GitHub
        would silently drop the labels (pmsync's own among them, so its tickets could not be
        found again) and the assignees. When GitHub does not say (installation tokens: Actions,
        GitHub Apps), the write is tried; a refusal is :meth:`_write_refused`, a silent drop
        is caught by :meth:`_check_label_kept`."""
        if self._can_push is None:
            self._can_push = self.repository_access()
        if self._can_push is False:
            raise AccessError(
                f"the GitHub token has no push access to {self.repo}: GitHub would silently drop "
                "the labels and assignees of every issue pmsync writes, and pmsync could not find "
                f"its issues again; use a token with write access ({GITHUB_TOKEN_VARIABLES})"
            )

    def repository_access(self) -> bool | None:
        """Whether the token's account may push (``GET /repos/{o}/{r}`` → ``permissions``);
        ``None`` when GitHub does not say, as for installation tokens."""
        try:
            _, data = self._request("GET", f"/repos/{self.repo}", "read repository")
        except GithubException as exc:
            raise self._refused(exc, "read the repository") from None
        permissions = data.get("permissions") if isinstance(data, dict) else None
        if not isinstance(permissions, dict):
            return None
        return bool(permissions.get("push") or permissions.get("admin"))

    def _check_label_kept(self, link: TicketLink, draft: Draft) -> None:
        """After the first create of a run, read the issue back: GitHub drops the labels of a
        token without push access silently, and without ``pmsync`` no run finds it again."""
        number = self._number(link)
        if self._label_checked or number is None:
            return
        kept = self._fetch(number, link)
        if PMSYNC_LABEL.lower() not in {label.lower() for label in kept.labels}:
            raise AccessError(
                f"GitHub created {link.key} for {draft.marker.item_key} but dropped its "
                f"{PMSYNC_LABEL!r} label (it does that for tokens without push access), so "
                f"pmsync could not find it again; no more issues were created. Add the label to "
                f"{link.key} by hand and use a token with write access to {self.repo} "
                f"({GITHUB_TOKEN_VARIABLES})"
            )
        self._label_checked = True

    def _milestone_number(self) -> int | None:
        title = self.config.milestone
        if not title:
            return None
        number = self.milestones().get(title.strip().lower())
        if number is None:
            raise ConfigError(
                f"GitHub milestone {title!r} does not exist in {self.repo}; set "
                "PMSYNC_GITHUB__MILESTONE to the title of an existing milestone"
            )
        return number

    def milestones(self) -> dict[str, int]:
        """Milestone titles (lower case) → numbers, open and closed (listed once)."""
        if self._milestones is None:
            found: dict[str, int] = {}
            parameters = {"state": "all", "per_page": 100}
            for item in self._pages(f"/repos/{self.repo}/milestones", parameters,
                                    "list milestones"):
                found.setdefault(str(item["title"]).strip().lower(), int(item["number"]))
            self._milestones = found
        return self._milestones

    # --- Tracker: reading many ------------------------------------------------------------

    def read(self, links: Sequence[TicketLink]) -> dict[str, TicketState | Failed]:
        """Current state of many issues: one GraphQL query per 250 issue numbers.

        An issue that does not exist comes back as :class:`Failed`; the others still read.
        """
        results: dict[str, TicketState | Failed] = {}
        numbers: dict[int, list[TicketLink]] = {}
        for link in links:
            number = self._number(link)
            if number is None:
                results[link.key] = Failed(None, f"{link.key} is not an issue of {self.repo}", link)
            else:
                numbers.setdefault(number, []).append(link)
        wanted = sorted(numbers)
        for start in range(0, len(wanted), READ_BATCH):
            batch = wanted[start : start + READ_BATCH]
            found, errors = self._read_batch(batch)
            for number in batch:
                for link in numbers[number]:
                    issue = found.get(number)
                    results[link.key] = self._state(issue) if issue is not None else Failed(
                        None, errors.get(number, f"{link.key} was not found"), link)
        return results

    def _number(self, link: TicketLink) -> int | None:
        repo, _, number = link.key.rpartition("#")
        if link.tracker != self.name or not number.isdigit():
            return None
        if repo and repo.lower() != self.repo.lower():
            return None
        return int(number)

    def _read_batch(self, numbers: Sequence[int]) -> tuple[dict[int, _Issue], dict[int, str]]:
        aliases = "\n".join(f"    i{n}: issue(number: {n}) {{ ...pmsyncIssue }}" for n in numbers)
        query = ("query($owner: String!, $name: String!) {\n"
                 f"  repository(owner: $owner, name: $name) {{\n{aliases}\n  }}\n}}\n"
                 + _ISSUE_FIELDS)
        owner, _, name = self.repo.partition("/")
        requester = self._github().requester
        body = {"query": query, "variables": {"owner": owner, "name": name}}

        def send() -> tuple[dict[str, Any], Any]:
            # requestJsonAndCheck, not graphql_query: PyGithub raises on any ``errors`` entry,
            # and one missing issue must not hide the ninety-nine that were found.
            headers, answer = requester.requestJsonAndCheck("POST", requester.graphql_url,
                                                            input=body)
            if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED"
                   for e in (answer or {}).get("errors") or []):
                raise GithubException(403, answer, {**headers, "x-ratelimit-remaining": "0"},
                                      "GraphQL rate limit exceeded")
            return headers, answer

        try:
            _, answer = self._call(send, f"read {len(numbers)} issues")
        except GithubException as exc:
            raise self._refused(exc, "read issues") from None
        answer = answer if isinstance(answer, dict) else {}
        repository = (answer.get("data") or {}).get("repository")
        errors: dict[int, str] = {}
        for error in answer.get("errors") or []:
            path = error.get("path") or []
            alias = path[1] if len(path) > 1 else None
            if isinstance(alias, str) and alias[1:].isdigit():
                errors[int(alias[1:])] = str(error.get("message") or error.get("type"))
            elif repository is None:
                if error.get("type") == "NOT_FOUND":
                    raise self._repo_missing()
                raise TrackerError(f"GitHub GraphQL: {error.get('message')}")
        if repository is None:
            raise TrackerError("GitHub GraphQL answered without data")
        found: dict[int, _Issue] = {}
        for number in numbers:
            node = repository.get(f"i{number}")
            if isinstance(node, dict):
                found[number] = self._remember(_Issue.from_graphql(node))
        return found, errors

    # --- Tracker: writing -----------------------------------------------------------------

    def update(self, state: TicketState, draft: Draft, fields: Sequence[FieldName]) -> TicketState:
        """PATCH only ``fields`` (plus the stamp in the body, which always records them)."""
        self._require_push()
        number = self._number(state.link)
        if number is None:
            raise TrackerError(f"{state.link.key} is not an issue of {self.repo}")
        wanted, _ = self.desired(draft)
        current = self._issues.get(number) or self._fetch(number, state.link)
        payload: dict[str, Any] = {}
        if "title" in fields:
            payload["title"] = wanted.title
        if "assignee" in fields:
            payload["assignees"] = [wanted.assignee] if wanted.assignee else []
        if "priority" in fields:
            kept = [label for label in current.labels if label.lower() not in self._priority_names]
            payload["labels"] = kept + ([wanted.priority] if wanted.priority else [])
        old = current.stamp or state.stamp
        base = (old.synced if old and old.synced else None) or state.fields
        synced = replace(base, **{f: getattr(wanted, f) for f in FIELD_NAMES if f in fields})
        body = with_due(current.body, wanted.due) if "due" in fields else current.body
        # The ticket now belongs to the draft's marker: the item may have been retitled, or its
        # document moved, since the stamp was written.
        payload["body"] = with_stamp(body, Stamp(draft.marker, synced))
        return self._patch(number, state.link, payload)

    def set_status(self, state: TicketState, status: Status) -> TicketState:
        """Close as completed (DONE) or not planned (WONT_DO); reopen for OPEN/IN_PROGRESS."""
        number = self._number(state.link)
        if number is None:
            raise TrackerError(f"{state.link.key} is not an issue of {self.repo}")
        if status is Status.DONE:
            payload = {"state": "closed", "state_reason": "completed"}
        elif status is Status.WONT_DO:
            payload = {"state": "closed", "state_reason": "not_planned"}
        else:  # GitHub has no "in progress": an open issue is as close as it gets.
            payload = {"state": "open"}
        return self._patch(number, state.link, payload)

    def close_duplicate(self, state: TicketState, kept: TicketState) -> TicketState:
        """A comment pointing to ``kept``, then closed with state reason ``duplicate``."""
        number = self._number(state.link)
        if number is None:
            raise TrackerError(f"{state.link.key} is not an issue of {self.repo}")
        try:
            self._call(functools.partial(self._paced_post, {"body": duplicate_comment(kept.link)},
                                         f"/repos/{self.repo}/issues/{number}/comments"),
                       f"comment on {state.link.key}")
        except GithubException as exc:
            raise TrackerError(f"{state.link.key}: GitHub refused the comment "
                               f"({exc.status} {github_message(exc)})") from None
        current = self._issues.get(number) or self._fetch(number, state.link)
        stamp = current.stamp or state.stamp
        payload: dict[str, Any] = {"state": "closed", "state_reason": "duplicate"}
        if stamp is not None:
            payload["body"] = with_stamp(current.body, replace(stamp, duplicate_of=kept.link.url))
        return self._patch(number, state.link, payload)

    # --- Tracker: comments ---------------------------------------------------------------

    def comments(self, link: TicketLink) -> list[Comment]:
        """The issue's comments, oldest first, page by page (the list is consistent)."""
        number = self._issue_number(link)
        url = f"/repos/{self.repo}/issues/{number}/comments"
        return [_comment(data) for data in
                self._pages(url, {"per_page": 100}, f"list comments of {link.key}")]

    def comment(self, link: TicketLink, text: str, *, tag: str,
                mention: str | None = None) -> Comment:
        """Post a comment (paced like a create: GitHub counts it as content creation)."""
        number = self._issue_number(link)
        body = comment_markdown(text, check_comment_tag(tag), mention)
        path = f"/repos/{self.repo}/issues/{number}/comments"
        try:
            _, data = self._call(functools.partial(self._paced_post, {"body": body}, path),
                                 f"comment on {link.key}", idempotent=False)
        except retry.OutcomeUnknown:
            posted = [c for c in self.comments(link) if c.tag == tag]
            if posted:
                return posted[-1]
            raise TrackerError(f"{link.key}: GitHub did not confirm the comment and it is not "
                               "there; the next run posts it") from None
        except GithubException as exc:
            if exc.status in (403, 404):
                raise self._write_refused(exc) from None
            raise TrackerError(f"{link.key}: GitHub refused the comment "
                               f"({exc.status} {github_message(exc)})") from None
        return _comment(data)

    def _issue_number(self, link: TicketLink) -> int:
        number = self._number(link)
        if number is None:
            raise TrackerError(f"{link.key} is not an issue of {self.repo}")
        return number

    def _patch(self, number: int, link: TicketLink, payload: dict[str, Any]) -> TicketState:
        try:
            _, data = self._request("PATCH", f"/repos/{self.repo}/issues/{number}",
                                    f"update {link.key}", body=payload)
        except GithubException as exc:
            if exc.status in (403, 404):
                raise self._write_refused(exc) from None
            raise TrackerError(f"{link.key}: GitHub refused the update "
                               f"({exc.status} {github_message(exc)})") from None
        return self._state(self._remember(data))

    def _fetch(self, number: int, link: TicketLink) -> _Issue:
        try:
            _, data = self._request("GET", f"/repos/{self.repo}/issues/{number}", f"read {link.key}")
        except GithubException as exc:
            raise TrackerError(f"{link.key}: {exc.status} {github_message(exc)}") from None
        return self._remember(data)

    # --- Tracker: doctor ------------------------------------------------------------------

    def doctor(self) -> list[Finding]:
        """Configuration, token, repository and push access, milestone, labels and owners."""
        findings = [self._check_config()]
        if not findings[0].ok:
            return findings
        try:
            findings.append(self._check_auth())
            if not findings[-1].ok:
                return findings
            findings.extend(self._check_repository())
            if not all(f.ok for f in findings):
                return findings
            findings.extend(self._check_milestone())
            findings.append(self._check_labels())
            findings.extend(self._check_owners())
        except (AuthError, AccessError, RateLimited, ConfigError) as exc:
            findings.append(Finding("GitHub", False, str(exc), "see the message above"))
        return findings

    def _check_config(self) -> Finding:
        missing = []
        if not self._token:
            missing.append(("token", GITHUB_TOKEN_VARIABLES))
        try:
            _ = self.repo
        except ConfigError:
            missing.append(("repository", GITHUB_REPO_VARIABLES))
        if missing:
            return Finding("configuration", False,
                           "missing: " + ", ".join(what for what, _ in missing),
                           "set " + " and ".join(var for _, var in missing))
        return Finding("configuration", True, f"{self.repo} at {self.config.api_url}")

    def _check_auth(self) -> Finding:
        kind = token_kind(self._token or "")
        try:
            _, user = self._request("GET", "/user", "authenticate")
        except AuthError as exc:
            return Finding("authentication", False, str(exc), f"set {GITHUB_TOKEN_VARIABLES}")
        except GithubException as exc:
            if exc.status == 403:  # a valid token without an account: an installation's
                return Finding("authentication", True, f"{kind}, accepted (it has no user)")
            return Finding("authentication", False, github_message(exc),
                           f"set {GITHUB_TOKEN_VARIABLES}")
        login = user.get("login") if isinstance(user, dict) else None
        return Finding("authentication", True, f"{kind}, authenticated as {login}")

    def _check_repository(self) -> list[Finding]:
        try:
            push = self.repository_access()
        except AccessError as exc:
            return [Finding("repository", False, str(exc), f"set {GITHUB_REPO_VARIABLES}")]
        self._can_push = push
        findings = [Finding("repository", True, f"{self.repo} is reachable")]
        if push is None:
            findings.append(Finding(
                "push access", True,
                "not shown to this token (installation tokens: Actions, GitHub Apps); pmsync "
                "finds out on its first write and stops with one error if 'issues: write' is "
                "missing, or if GitHub drops pmsync's label"))
        elif push:
            findings.append(Finding("push access", True, _PUSH_SHOWN.get(
                self._token[:11] if self._token else "", "the token may set labels and assignees")))
        else:
            findings.append(Finding(
                "push access", False,
                "the token has no push access: GitHub would silently drop pmsync's labels and "
                "assignees, so pmsync could not find its issues again",
                f"give the token's account write access to {self.repo}, or set "
                f"{GITHUB_TOKEN_VARIABLES} to a token that has it"))
        return findings

    def _check_milestone(self) -> list[Finding]:
        if not self.config.milestone:
            return []
        try:
            number = self._milestone_number()
        except ConfigError as exc:
            return [Finding("milestone", False, str(exc),
                            "set PMSYNC_GITHUB__MILESTONE to an existing milestone title")]
        return [Finding("milestone", True, f"{self.config.milestone!r} is milestone #{number}")]

    def _check_labels(self) -> Finding:
        existing = {str(item["name"]).lower() for item in
                    self._pages(f"/repos/{self.repo}/labels", {"per_page": 100}, "list labels")}
        wanted = [PMSYNC_LABEL, *self.config.labels, *dict.fromkeys(
            self.config.priority_labels.values())]
        missing = [label for label in wanted if label.lower() not in existing]
        if not missing:
            return Finding("labels", True, f"all {len(wanted)} labels exist")
        return Finding(
            "labels", False,
            f"missing labels: {', '.join(missing)} (GitHub creates them, uncoloured, on first use)",
            "create them in the repository, or change github.labels / github.priority_labels "
            "(PMSYNC_GITHUB__PRIORITY_LABELS)",
            severity="warning")

    def _check_owners(self) -> list[Finding]:
        findings = []
        for owner, identity in self.settings.owners.items():
            if not identity.github:
                continue
            if self.assignable(identity.github):
                findings.append(Finding(f"owner {owner}", True,
                                        f"{identity.github} can be assigned"))
            else:
                findings.append(Finding(
                    f"owner {owner}", False,
                    f"GitHub user {identity.github!r} cannot be assigned issues in {self.repo}",
                    f"fix owners.{owner}.github, or add {identity.github} as a collaborator",
                    severity="warning"))
        return findings

    def close(self) -> None:
        """Release the HTTP connections."""
        if self._client is not None:
            self._client.close()
            self._client = None


__all__ = ["GitHubTracker", "token_kind", "web_root"]
