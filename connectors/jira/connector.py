"""The Jira connector: Cloud (email + API token) and Server/Data Center (personal access token).

Every request goes through pmsync's Jira session (:func:`connectors.clients.jira_session`, no
retries of its own) and through :func:`connectors.retry.call`, the one retry layer. Tickets are
created in bulk (50 per request) and carry two things: the label ``pmsync-<digest>`` of their
:class:`~connectors.base.Marker`, which is what pmsync searches for, and the issue property
``pmsync`` holding the :class:`~connectors.base.Stamp`, read back on the same search call.

Cloud's search is ``/rest/api/3/search/jql`` (the old ``/search`` answers 410 there) and is
eventually consistent: ids pmsync knows are passed as ``reconcileIssues``, and after a create
whose answer was lost pmsync polls for its markers (``jira.search_lag_wait``) before it creates
only the missing ones again. Server/Data Center searches ``/rest/api/2/search`` with ``startAt``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Literal,
    TypeVar,
)

from connectors import retry
from connectors.base import (
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
    creation_order,
    document_label,
    duplicate_comment,
    one_line,
)
from connectors.clients import JiraRefusal, JiraSession, jira_classify, jira_session
from connectors.jira.comments import comment_payload, comment_tag
from connectors.jira.statuses import status_of
from syncer.errors import ConfigError, TrackerError
from syncer.logs import get_logger, mask_secrets, register_secret
from syncer.model import Status, TicketRef

if TYPE_CHECKING:
    import requests

    from config.settings import JiraSettings, OwnerIdentity, Settings

log = get_logger("pmsync.jira")
T = TypeVar("T")

PROPERTY_KEY = "pmsync"
BULK_LIMIT = 50  # Jira's cap on POST /issue/bulk
PAGE_SIZE = 100  # the most /search/jql returns per page with fields
RECONCILE_LIMIT = 50  # the most ids /search/jql reconciles
COMMENT_PAGE = 100  # comments per page of GET /issue/{key}/comment
CREATE_ROUNDS = 4  # bulk attempts per batch whose outcome stays unknown before giving up
#: Entries per page of ``priority/search`` and ``resolution/search`` (Jira allows up to 100).
CATALOGUE_PAGE = 100
SEARCH_FIELDS = ("summary", "status", "resolution", "resolutiondate", "updated", "assignee",
                 "duedate", "priority", "labels")
STANDARD_PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
_ACCOUNT_ID = re.compile(r"^(?:[0-9a-zA-Z]{24}|\d+:[0-9a-f-]{36})$")
_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9]\d*$")
_MISSING_KEY = re.compile(r"An issue with key '([^']+)' does not exist")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_CODE = re.compile(r"`([^`]*)`")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[[ xX]\]\s+)?")
_SUMMARY_SOURCE = 4000  # characters of a title read for its summary (see summary_text)


def summary_text(title: str) -> str:
    """A Jira summary from an item title: Markdown marks gone, one line, at most 255 characters.

    Link and code text is kept as written (``snake_case`` names keep their underscores).
    Only the title's first :data:`_SUMMARY_SOURCE` characters are read: the patterns below take
    time quadratic in the length of hostile text (a line of ``[``), and 255 characters of
    summary never need more, links and marks included.
    """
    text = _LIST_PREFIX.sub("", title[:_SUMMARY_SOURCE])
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    codes: list[str] = []

    def keep_code(found: re.Match[str]) -> str:
        codes.append(found.group(1))
        return f"\0{len(codes) - 1}\0"

    text = _MD_CODE.sub(keep_code, text)
    text = _HTML_TAG.sub("", text)
    for pattern in (_MD_STRONG, _MD_STRIKE, _MD_EMPHASIS):
        text = pattern.sub(lambda m: m.group(m.lastindex or 1), text)
    text = re.sub(r"\0(\d+)\0", lambda m: codes[int(m.group(1))], text)
    return one_line(text.replace("\\|", "|").replace("\\", ""), 255)


def label_text(text: str) -> str:
    """A Jira label from free text: no spaces (Jira rejects them), at most 255 characters."""
    return re.sub(r"\s+", "-", text.strip())[:255]


def jira_datetime(value: object) -> datetime | None:
    """Jira's ``2025-03-14T10:00:00.000+0000`` as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _UnknownKeys(TrackerError):
    """A JQL ``key in (…)`` named keys that do not exist (Jira answers 400 for the whole query)."""

    def __init__(self, keys: set[str]) -> None:
        super().__init__("no such issues: " + ", ".join(sorted(keys)))
        self.keys = keys


@dataclass(frozen=True)
class _Transition:
    id: str
    name: str
    to_name: str
    to_category: str
    has_resolution_field: bool


class JiraTracker:
    """Jira Cloud or Server/Data Center, one project (see the module docstring)."""

    name: ClassVar[str] = "jira"
    token_variable: ClassVar[str] = "PMSYNC_JIRA__TOKEN"
    statuses: ClassVar[frozenset[Status]] = frozenset(Status)
    email_variable: ClassVar[str] = "PMSYNC_JIRA__EMAIL"

    def __init__(
        self,
        settings: JiraSettings,
        owners: Mapping[str, OwnerIdentity] | None = None,
        document_base_url: str | None = None,
        policy: retry.RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = (settings.url or "").rstrip("/")
        self.project = (settings.project or "").strip().upper()
        self.owners = {name.strip().casefold(): ident.jira for name, ident in (owners or {}).items()
                       if ident.jira}
        self.document_base_url = document_base_url
        self.policy = policy
        #: How to wait between searches for lagging results; tests swap in a fake clock.
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._token = settings.token.get_secret_value() if settings.token else None
        register_secret(self._token)
        self._flavour: Literal["cloud", "server"] | None = (
            None if settings.flavour == "auto" else settings.flavour)
        self._session: JiraSession | None = None
        self._people: dict[str, str | None] = {}
        self._priorities: list[str] | None = None
        self._epic_field: str | None = None
        self._ids: dict[str, int] = {}  # issue key → id, for reconcileIssues
        self._created: dict[str, int] = {}  # marker label → id of the issue created here

    @classmethod
    def from_settings(cls, settings: Settings) -> JiraTracker:
        """The connector for ``settings``; no I/O (the session is built on first use)."""
        return cls(settings.jira, settings.owners, settings.document_base_url)

    # --- Tracker protocol ----------------------------------------------------------------

    def describe(self) -> str:
        """``Jira cloud https://acme.atlassian.net, project OPS``."""
        flavour = self._flavour or "(flavour not detected yet)"
        return f"Jira {flavour} {self.base_url or '(no URL)'}, project {self.project or '(none)'}"

    def owns(self, ref: TicketRef) -> TicketLink | None:
        """Jira keys of this project, and any key linked on this instance's host."""
        if ref.kind != "jira" or not _ISSUE_KEY.match(ref.key):
            return None
        same_host = bool(ref.url and self.base_url and ref.url.startswith(self.base_url + "/"))
        if same_host or ref.key.rsplit("-", 1)[0] == self.project:
            return self.link(ref.key)
        return None

    def link(self, key: str) -> TicketLink:
        """The link for issue ``key``."""
        return TicketLink(self.name, key, f"{self.base_url}/browse/{key}")

    def desired(self, draft: Draft) -> tuple[TicketFields, tuple[Notice, ...]]:
        """Summary from the title, owner → accountId (Cloud) or user name (Server), priority
        through ``jira.priority_map``; what cannot be mapped is left out with a notice."""
        notices: list[Notice] = []
        assignee = None
        if draft.owner and draft.owner.strip():
            assignee, message = self._person(draft.owner)
            if message:
                notices.append(Notice(draft.marker, message))
        priority, message = self._priority(draft.priority)
        if message:
            notices.append(Notice(draft.marker, message))
        fields = TicketFields(summary_text(draft.title), assignee, draft.due, priority)
        return fields, tuple(notices)

    def find(self, markers: Sequence[Marker]) -> dict[Marker, TicketState]:
        """The oldest issue of the project carrying each marker's label."""
        return {m: states[0] for m, states in self.find_all(markers).items()}

    def find_all(self, markers: Sequence[Marker]) -> dict[Marker, list[TicketState]]:
        """Issues carrying the markers' labels, oldest first. On Cloud, whose index lags, the
        search waits (up to ``jira.search_lag_wait``) until the index shows the issues pmsync
        created here without reconciling them: it then also shows every issue created before
        them, by any run; issues it still leaves out are reconciled by id."""
        by_label = {m.label: m for m in markers}
        found: dict[Marker, list[TicketState]] = {}
        for chunk in _chunks(sorted(by_label), PAGE_SIZE):
            jql = f'project = "{self.project}" AND labels in ({", ".join(chunk)}) ORDER BY key ASC'
            for raw in self._search_caught_up(jql, chunk):
                marker = next((by_label[x] for x in raw["fields"].get("labels") or []
                               if x in by_label), None)
                if marker is not None:
                    found.setdefault(marker, []).append(self._state(raw))
        return {m: sorted(found[m], key=lambda s: creation_order(s.link))
                for m in markers if m in found}

    def _search_caught_up(self, jql: str, labels: Sequence[str]) -> list[dict[str, Any]]:
        """``jql``'s issues once Cloud's index shows those created here with ``labels``."""
        mine = {self._created[label] for label in labels if label in self._created}
        wait = self.settings.search_lag_wait if self.flavour == "cloud" and mine else 0.0
        started, delay = self.clock(), 0.25
        while wait > 0:
            issues = self._search(jql)
            if mine <= {int(raw["id"]) for raw in issues}:
                return issues
            left = wait - (self.clock() - started)
            if left <= 0:
                break
            self.sleep(min(delay, left))
            delay *= 2
        return self._search(jql, self._reconcile_ids())

    def tickets_of(self, document_ids: Sequence[str]) -> dict[str, list[TicketState]]:
        """Issues carrying each document's label, by ``labels in (…)`` searches of 100 labels."""
        by_label = {document_label(d): d for d in document_ids}
        found: dict[str, list[TicketState]] = {d: [] for d in document_ids}
        for chunk in _chunks(sorted(by_label), PAGE_SIZE):
            jql = f'project = "{self.project}" AND labels in ({", ".join(chunk)}) ORDER BY key ASC'
            for raw in self._search(jql):
                for label in raw["fields"].get("labels") or []:
                    if label in by_label:
                        found[by_label[label]].append(self._state(raw))
                        break
        return found

    def create(self, drafts: Sequence[Draft],
               on_outcome: Callable[[int, CreateOutcome], None] | None = None) -> list[CreateOutcome]:
        """Bulk-create one issue per draft (50 per request) after looking their markers up."""
        outcomes: dict[int, CreateOutcome] = {}
        existing = self.find([d.marker for d in drafts])
        pending: list[tuple[int, Draft]] = []
        for index, draft in enumerate(drafts):
            if draft.marker in existing:
                outcomes[index] = Created(draft.marker, existing[draft.marker], recovered=True)
            else:
                pending.append((index, draft))
        if on_outcome is not None:
            for index in sorted(outcomes):
                on_outcome(index, outcomes[index])
        for batch in _chunks(pending, BULK_LIMIT):
            done = self._create_batch(batch)
            outcomes.update(done)
            if on_outcome is not None:
                for index in sorted(done):
                    on_outcome(index, done[index])
        return [outcomes[i] for i in range(len(drafts))]

    def update(self, state: TicketState, draft: Draft, fields: Sequence[FieldName]) -> TicketState:
        """``PUT /issue/{key}`` with only ``fields`` and the refreshed ``pmsync`` property; the
        ticket now carries the draft's marker (its labels too, when the item was retitled or its
        document moved)."""
        wanted, _ = self.desired(draft)
        named: dict[str, Any] = {name: getattr(wanted, name) for name in fields}
        base = state.stamp.synced if state.stamp and state.stamp.synced else state.fields
        stamp = Stamp(draft.marker, replace(base, **named))
        body: dict[str, Any] = {"fields": self._field_values(named),
                                "properties": [self._property(stamp)]}
        if state.stamp is not None and state.stamp.marker != draft.marker:
            body["update"] = {"labels": _moved_labels(state.stamp.marker, draft.marker)}
        self._request("PUT", f"issue/{state.link.key}", body=body,
                      what=f"update Jira issue {state.link.key}")
        return replace(state, fields=replace(state.fields, **named), stamp=stamp)

    def read(self, links: Sequence[TicketLink]) -> dict[str, TicketState | Failed]:
        """States by key: one ``key in (…)`` search per 100 keys; missing keys fail one by one."""
        results: dict[str, TicketState | Failed] = {}
        keys = list(dict.fromkeys(link.key for link in links))
        valid = [k for k in keys if _ISSUE_KEY.match(k)]
        raw = {}
        for chunk in _chunks(valid, PAGE_SIZE):
            raw.update(self._fetch(chunk))
        by_key = {link.key: link for link in links}
        for key in keys:
            if key in raw:
                results[key] = self._state(raw[key])
            else:
                results[key] = Failed(None, f"Jira issue {key} does not exist or pmsync cannot "
                                      "see it", by_key[key])
        return results

    def set_status(self, state: TicketState, status: Status) -> TicketState:
        """Move the issue by transitions chosen by target status category (won't do: a done
        status or resolution that says so); TrackerError when the workflow offers none."""
        key = state.link.key
        current = state
        for _ in range(3):
            if current.status is status:
                return current
            transitions = self._transitions(key)
            step = self._pick_transition(transitions, status)
            if step is None:
                names = ", ".join(f"{t.name} → {t.to_name} ({t.to_category})"
                                  for t in transitions) or "none"
                raise TrackerError(
                    f"Jira issue {key}: no transition leads to {status.value} from "
                    f"{current.raw_status!r} (available: {names}); move it by hand or change "
                    "the workflow")
            body: dict[str, Any] = {"transition": {"id": step.id}}
            resolution = self._wont_do_resolution() if status is Status.WONT_DO else None
            if resolution and step.has_resolution_field:
                body["fields"] = {"resolution": {"name": resolution}}
            current = self._transition(key, body, f"transition Jira issue {key} ({step.name})",
                                       "moving it")
        if current.status is not status:
            raise TrackerError(f"Jira issue {key}: still {current.raw_status!r} after three "
                               f"transitions towards {status.value}; check the workflow")
        return current

    def close_duplicate(self, state: TicketState, kept: TicketState) -> TicketState:
        """A done transition (one named for duplicates first), resolution Duplicate where the
        transition takes a resolution, and a comment naming the kept issue, in one request."""
        key = state.link.key
        transitions = self._transitions(key)
        step = _duplicate_transition(transitions)
        if step is None:
            raise TrackerError(f"Jira issue {key}: no transition leads to a done status; close it "
                               f"by hand as a duplicate of {kept.link.key}")
        body: dict[str, Any] = {
            "transition": {"id": step.id},
            "update": {"comment": [{"add": {"body": duplicate_comment(kept.link)}}]},
        }
        resolution = self._duplicate_resolution() if step.has_resolution_field else None
        if resolution:
            body["fields"] = {"resolution": {"name": resolution}}
        if state.stamp is not None:  # first, so a pull that sees it closed also sees why
            stamp = replace(state.stamp, duplicate_of=kept.link.url)
            self._request("PUT", f"issue/{key}", body={"properties": [self._property(stamp)]},
                          what=f"mark Jira issue {key} as a duplicate")
        return self._transition(key, body, f"close Jira issue {key} as a duplicate",
                                "closing it as a duplicate")

    def _transition(self, key: str, body: dict[str, Any], what: str, doing: str
                    ) -> TicketState:
        """Send one transition (never resent: a lost answer is settled by reading the issue
        again) and return the issue as it is afterwards."""
        try:
            self._request("POST", f"issue/{key}/transitions", body=body, idempotent=False,
                          what=what)
        except retry.OutcomeUnknown:
            log.warning("transition outcome unknown; reading the issue again", key=key)
        fetched = self._get_issue(key)
        if fetched is None:
            raise TrackerError(f"Jira issue {key} disappeared while {doing}")
        return self._state(fetched)

    def comments(self, link: TicketLink) -> list[Comment]:
        """The issue's comments oldest first, with their properties (pmsync's tag), page by
        page (``GET /issue/{key}/comment`` reads the issue itself: no search lag)."""
        found: list[Comment] = []
        while True:
            params = {"startAt": len(found), "maxResults": COMMENT_PAGE, "orderBy": "created",
                      "expand": "properties"}
            page = self._request("GET", f"issue/{link.key}/comment", params=params,
                                 what=f"list comments of Jira issue {link.key}") or {}
            listed = [c for c in page.get("comments") or [] if isinstance(c, dict)]
            found += [self._comment(raw) for raw in listed]
            if not listed or len(found) >= int(page.get("total") or 0):
                return found

    def comment(self, link: TicketLink, text: str, *, tag: str,
                mention: str | None = None) -> Comment:
        """Post a comment with the tag in its ``pmsync`` property; on Cloud through API v3, so
        the mention is an ADF mention of the accountId (see :mod:`connectors.jira.comments`)."""
        payload = comment_payload(text, check_comment_tag(tag), mention, self.flavour)
        try:
            raw = self._request("POST", f"issue/{link.key}/comment", body=payload,
                                idempotent=False, api="3" if self.flavour == "cloud" else "2",
                                what=f"comment on Jira issue {link.key}")
        except retry.OutcomeUnknown:
            posted = [c for c in self.comments(link) if c.tag == tag]
            if posted:
                return posted[-1]
            raise TrackerError(f"Jira issue {link.key}: the comment was not confirmed and is "
                               "not there; the next run posts it") from None
        return replace(self._comment(raw), tag=tag)

    def _comment(self, raw: Mapping[str, Any]) -> Comment:
        author = raw.get("author") or {}
        who = author.get("accountId") if self.flavour == "cloud" else author.get("name")
        body = raw.get("body")
        return Comment(str(raw["id"]), str(who) if who else None,
                       jira_datetime(raw.get("created")), body if isinstance(body, str) else "",
                       comment_tag(raw))

    def doctor(self) -> list[Finding]:
        """Configuration, authentication, project and issue type, priorities, workflow."""
        from connectors.jira.doctor import diagnose

        return diagnose(self)

    def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- configuration and session -------------------------------------------------------

    @property
    def flavour(self) -> Literal["cloud", "server"]:
        """``cloud`` or ``server``, from settings or the instance's ``serverInfo``."""
        self.session()
        assert self._flavour is not None
        return self._flavour

    def missing_settings(self) -> list[str]:
        """Environment variables of required settings that are not set."""
        missing = [var for var, value in (("PMSYNC_JIRA__URL", self.base_url),
                                          (self.token_variable, self._token),
                                          ("PMSYNC_JIRA__PROJECT", self.project)) if not value]
        if self._flavour == "cloud" and not self.settings.email:
            missing.append(self.email_variable)
        return missing

    def session(self) -> JiraSession:
        """The HTTP session, built on first use: flavour detected, credentials set."""
        if self._session is not None:
            return self._session
        missing = self.missing_settings()
        if missing:
            raise ConfigError(f"Jira is not configured: set {', '.join(missing)}")
        session = jira_session(self.settings.timeout)
        if self._flavour is None:
            info = self._server_info(session)
            self._flavour = "cloud" if info.get("deploymentType") == "Cloud" else "server"
        if self._flavour == "cloud" and not self.settings.email:
            session.close()
            raise ConfigError(f"Jira Cloud needs the account's email: set {self.email_variable}")
        session.sign_in(self._flavour, self._token or "", self.settings.email)
        self._session = session
        return session

    def _server_info(self, session: JiraSession) -> dict[str, Any]:
        """``serverInfo``, which every Jira answers; any other answer means the URL setting
        does not point at Jira (a configuration error, like a wrong token)."""
        # Anonymous: sent before signing in, so a PAT never goes out as Basic.
        try:
            info = self._call(lambda: session.request("GET", self._url("serverInfo")),
                              what="read Jira server info").json()
        except (AuthError, AccessError, RateLimited):  # Unreachable too: it names the URL
            raise
        except (TrackerError, JiraRefusal, ValueError) as exc:
            reason = str(exc) if isinstance(exc, TrackerError) else "not a Jira answer"
            raise ConfigError(f"{self.base_url} does not answer like Jira ({reason}); check "
                              "PMSYNC_JIRA__URL: the site's address, such as "
                              "https://acme.atlassian.net") from None
        if not isinstance(info, dict) or "version" not in info:
            raise ConfigError(f"{self.base_url} does not answer like Jira (no serverInfo); "
                              "check PMSYNC_JIRA__URL: the site's address, such as "
                              "https://acme.atlassian.net")
        return info

    # --- requests ------------------------------------------------------------------------

    def _url(self, path: str, api: str = "2") -> str:
        return f"{self.base_url}/rest/api/{api}/{path}"

    def _call(self, fn: Callable[[], T], *, what: str, idempotent: bool = True) -> T:
        try:
            return retry.call(fn, jira_classify, what=what, idempotent=idempotent,
                              policy=self.policy, setting="PMSYNC_JIRA__URL")
        except JiraRefusal as exc:
            raise self._error(exc, what) from None

    def _request(self, method: str, path: str, *, what: str, params: Mapping[str, Any] | None = None,
                 body: Any = None, idempotent: bool = True, api: str = "2",
                 missing_ok: bool = False) -> Any:
        """One request through the retry layer; the JSON answer (None when empty, or on 404
        with ``missing_ok``)."""
        session = self.session()
        url = self._url(path, api)
        data = json.dumps(body) if body is not None else None

        def send() -> requests.Response | None:
            try:
                return session.request(method, url, params=params, data=data)
            except JiraRefusal as exc:
                if missing_ok and exc.status_code == 404:
                    return None
                raise

        response = self._call(send, what=what, idempotent=idempotent)
        return response.json() if response is not None and response.content else None

    def _error(self, exc: JiraRefusal, what: str) -> TrackerError:
        """A refusal as pmsync's error, naming what to fix; never the token."""
        status = exc.status_code
        message = mask_secrets(str(exc.text or "").strip()) or "no message"
        if status == 401:
            fix = self.token_variable
            if self._flavour == "cloud":
                fix += f" (a Jira Cloud API token) and {self.email_variable} (its account's email)"
            else:
                fix += " (a Jira personal access token)"
            return AuthError(f"{what}: Jira rejected the credentials (HTTP 401); check {fix}")
        missing_keys = set(_MISSING_KEY.findall(message))
        if status == 400 and missing_keys:
            return _UnknownKeys(missing_keys)
        if (status == 404 and what.startswith("read Jira project")) or (
                status == 400 and "for the field 'project'" in message):
            return AccessError(f"{what}: Jira project {self.project!r} does not exist or the "
                               f"account of {self.token_variable} cannot browse it; check "
                               "PMSYNC_JIRA__PROJECT")
        if status == 403:
            return AccessError(f"{what}: Jira refused (HTTP 403): {message}; the account of "
                               f"{self.token_variable} lacks a permission in project "
                               f"{self.project} (browse, create, edit or transition issues)")
        return TrackerError(f"{what}: Jira answered HTTP {status}: {message}")

    # --- search --------------------------------------------------------------------------

    def _search(self, jql: str, reconcile: Sequence[int] = ()) -> list[dict[str, Any]]:
        """Every issue ``jql`` matches, with pmsync's fields and property, page by page."""
        issues: list[dict[str, Any]] = []
        if self.flavour == "cloud":
            body: dict[str, Any] = {"jql": jql, "fields": list(SEARCH_FIELDS),
                                    "properties": [PROPERTY_KEY], "maxResults": PAGE_SIZE}
            if reconcile:
                body["reconcileIssues"] = list(reconcile)[:RECONCILE_LIMIT]
            while True:
                page = self._request("POST", "search/jql", body=body, api="3", what="search Jira")
                issues.extend(page.get("issues") or [])
                token = page.get("nextPageToken")
                if not token or page.get("isLast"):
                    break
                body["nextPageToken"] = token
        else:
            params: dict[str, Any] = {"jql": jql, "fields": ",".join(SEARCH_FIELDS),
                                      "properties": PROPERTY_KEY, "maxResults": PAGE_SIZE,
                                      "validateQuery": "warn", "startAt": 0}
            while True:
                page = self._request("GET", "search", params=params, what="search Jira")
                found = page.get("issues") or []
                issues.extend(found)
                params["startAt"] += len(found)
                if not found or params["startAt"] >= int(page.get("total") or 0):
                    break
        for raw in issues:
            self._ids[raw["key"]] = int(raw["id"])
        return issues

    def _reconcile_ids(self, keys: Sequence[str] | None = None) -> list[int]:
        """Ids pmsync knows (the newest first), so Cloud's lagging search includes them."""
        if self._flavour != "cloud":
            return []
        ids = [self._ids[k] for k in keys if k in self._ids] if keys is not None \
            else sorted(self._ids.values(), reverse=True)
        return ids[:RECONCILE_LIMIT]

    def _fetch(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Raw issues by key: one search (Cloud: without the keys Jira says do not exist), then
        a direct read of any key the search did not return (Cloud's index may lag)."""
        remaining = list(keys)
        gone: set[str] = set()
        found: dict[str, dict[str, Any]] = {}
        while remaining:
            try:
                issues = self._search(f"key in ({', '.join(remaining)})",
                                      self._reconcile_ids(remaining))
            except _UnknownKeys as unknown:
                upper = {k.upper() for k in unknown.keys}
                gone |= upper
                left = [k for k in remaining if k.upper() not in upper]
                if len(left) == len(remaining):
                    raise TrackerError(f"search Jira: {unknown}") from None
                remaining = left
                continue
            found.update((raw["key"], raw) for raw in issues)
            break
        for key in keys:
            if key not in found and key.upper() not in gone:
                raw = self._get_issue(key)
                if raw is not None:
                    found[key] = raw
        return found

    def _get_issue(self, key: str) -> dict[str, Any] | None:
        """One issue by a consistent read; None when it does not exist."""
        params = {"fields": ",".join(SEARCH_FIELDS), "properties": PROPERTY_KEY}
        raw: dict[str, Any] | None = self._request("GET", f"issue/{key}", params=params,
                                                   what=f"read Jira issue {key}", missing_ok=True)
        if raw is None:
            return None
        self._ids[raw["key"]] = int(raw["id"])
        return raw

    def _state(self, raw: Mapping[str, Any]) -> TicketState:
        fields = raw.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key", "new")
        resolution = (fields.get("resolution") or {}).get("name")
        assignee = fields.get("assignee") or {}
        person = assignee.get("accountId") if self._flavour == "cloud" else assignee.get("name")
        due = fields.get("duedate")
        stored = (raw.get("properties") or {}).get(PROPERTY_KEY)
        stamp = Stamp.from_json(stored if isinstance(stored, str) else json.dumps(stored)) \
            if stored is not None else None
        return TicketState(
            link=self.link(raw["key"]),
            fields=TicketFields(
                title=fields.get("summary") or "",
                assignee=person or None,
                due=datetime.strptime(due, "%Y-%m-%d").date() if due else None,
                priority=(fields.get("priority") or {}).get("name"),
            ),
            status=status_of(category, resolution, status.get("name") or ""),
            raw_status=status.get("name") or "",
            reason=resolution,
            updated=jira_datetime(fields.get("updated")),
            resolved=jira_datetime(fields.get("resolutiondate")),
            stamp=stamp,
        )

    # --- create --------------------------------------------------------------------------

    def _create_batch(self, batch: Sequence[tuple[int, Draft]]) -> dict[int, CreateOutcome]:
        """One bulk request (more only when its outcome is unknown: then the markers are looked
        up first and only the missing drafts are sent again)."""
        outcomes: dict[int, CreateOutcome] = {}
        todo = list(batch)
        for _ in range(CREATE_ROUNDS):
            if not todo:
                return outcomes
            payloads = [self._payload(draft) for _, draft in todo]
            started = self.clock()
            try:
                answer = self._bulk(payloads)
            except retry.OutcomeUnknown as unknown:
                log.warning("bulk create outcome unknown; looking the markers up",
                            count=len(todo), cause=type(unknown.cause).__name__)
                found = self._await_markers([d.marker for _, d in todo], started)
                for index, draft in todo:
                    if draft.marker in found:
                        outcomes[index] = Created(draft.marker, found[draft.marker])
                todo = [(i, d) for i, d in todo if d.marker not in found]
                continue
            outcomes.update(self._bulk_outcomes(todo, answer))
            return outcomes
        for index, draft in todo:
            outcomes[index] = Failed(draft.marker, f"creating the issue failed {CREATE_ROUNDS} "
                                     "times without an answer; run pmsync again (it looks the "
                                     "item up before creating it)")
        return outcomes

    def _bulk(self, payloads: list[dict[str, Any]]) -> dict[str, Any]:
        """``POST /issue/bulk``; a 400 listing per-item errors is an answer, not a failure."""
        session = self.session()
        url = self._url("issue/bulk")
        data = json.dumps({"issueUpdates": payloads})

        def send() -> dict[str, Any]:
            try:
                answer: dict[str, Any] = session.request("POST", url, data=data).json()
                return answer
            except JiraRefusal as exc:
                if exc.status_code == 400 and exc.response is not None:
                    try:
                        body = exc.response.json()
                    except ValueError:
                        raise exc from None
                    if isinstance(body, dict) and isinstance(body.get("errors"), list):
                        return body
                raise

        return self._call(send, what="create Jira issues", idempotent=False)

    def _bulk_outcomes(self, todo: Sequence[tuple[int, Draft]],
                       answer: Mapping[str, Any]) -> dict[int, CreateOutcome]:
        outcomes: dict[int, CreateOutcome] = {}
        errors = {int(e.get("failedElementNumber", -1)): e for e in answer.get("errors") or []}
        created = list(answer.get("issues") or [])
        for entry in created:
            self._ids[entry["key"]] = int(entry["id"])
        states = {}
        for raw in self._fetch([c["key"] for c in created]).values():
            state = self._state(raw)
            if state.stamp is not None:
                states[state.stamp.marker] = state
        for number, (index, draft) in enumerate(todo):
            if number in errors:
                outcomes[index] = Failed(draft.marker, _element_message(errors[number]))
            elif draft.marker in states:
                outcomes[index] = Created(draft.marker, states[draft.marker])
                self._created[draft.marker.label] = self._ids[states[draft.marker].link.key]
            else:
                outcomes[index] = Failed(draft.marker, "Jira created the issue but pmsync cannot "
                                         "read it back; run pmsync again to pick it up")
        return outcomes

    def _await_markers(self, markers: Sequence[Marker], since: float) -> dict[Marker, TicketState]:
        """Look the markers up; on Cloud keep polling up to ``jira.search_lag_wait`` seconds
        after ``since`` for those the lagging index does not show yet."""
        wait = self.settings.search_lag_wait if self.flavour == "cloud" else 0.0
        found = self.find(markers)
        delay, slept = 0.5, 0.0
        while len(found) < len(markers):
            left = wait - max(self.clock() - since, slept)
            if left <= 0:
                break
            pause = min(delay, left)
            self.sleep(pause)
            slept += pause
            delay *= 2
            found.update(self.find([m for m in markers if m not in found]))
        return found

    def _payload(self, draft: Draft) -> dict[str, Any]:
        wanted, _ = self.desired(draft)
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "issuetype": {"name": self.settings.issue_type},
            "summary": wanted.title,
            "description": self._description(draft, wanted),
            "labels": self._labels(draft),
            **self._field_values({"assignee": wanted.assignee, "due": wanted.due,
                                  "priority": wanted.priority}, creating=True),
        }
        if self.settings.components:
            fields["components"] = [{"name": c} for c in self.settings.components]
        if self.settings.epic:
            fields.update(self._epic(self.settings.epic))
        return {"fields": fields, "properties": [self._property(Stamp(draft.marker, wanted))]}

    def _field_values(self, named: Mapping[str, Any], creating: bool = False) -> dict[str, Any]:
        """Jira field values for pmsync's field names (None clears, except on create)."""
        values: dict[str, Any] = {}
        for name, value in named.items():
            if value is None and (creating or name == "priority"):
                continue  # leave Jira's default priority rather than clearing it
            if name == "title":
                values["summary"] = value
            elif name == "assignee":
                key = "accountId" if self.flavour == "cloud" else "name"
                values["assignee"] = {key: value} if value else None
            elif name == "due":
                values["duedate"] = value.isoformat() if value else None
            elif name == "priority":
                values["priority"] = {"name": value}
        return values

    @staticmethod
    def _property(stamp: Stamp) -> dict[str, Any]:
        return {"key": PROPERTY_KEY, "value": json.loads(stamp.to_json())}

    def _labels(self, draft: Draft) -> list[str]:
        labels = [PMSYNC_LABEL, draft.marker.label, draft.marker.document_label,
                  *map(label_text, self.settings.labels)]
        if draft.context.incident_id:
            labels.append(label_text(draft.context.incident_id))
        return list(dict.fromkeys(x for x in labels if x))

    def _description(self, draft: Draft, wanted: TicketFields) -> str:
        """Jira wiki markup (API v2 takes a string): where the item comes from."""
        ctx = draft.context
        lines = []
        if wanted.title != one_line(draft.title, 10_000):
            lines += [draft.title.strip(), ""]
        if ctx.incident_id or ctx.incident_title:
            incident = " – ".join(x for x in (ctx.incident_id, ctx.incident_title) if x)
            lines.append(f"Action item from the postmortem of *{incident}*.")
        url = ctx.document_url or self._document_url(draft)
        where = f"[{ctx.document.as_posix()}|{url}]" if url else f"{{{{{ctx.document.as_posix()}}}}}"
        lines.append(f"Document: {where}, line {ctx.line}")
        if ctx.section:
            lines.append(f"Section: {ctx.section}")
        if draft.owner:
            lines.append(f"Owner in the document: {draft.owner}")
        if draft.priority:
            lines.append(f"Priority in the document: {draft.priority}")
        lines += ["", "----", ("_Created by pmsync. Summary, assignee, due date and priority "
                               "follow the postmortem document; change them there._")]
        return "\n".join(lines)

    def _document_url(self, draft: Draft) -> str | None:
        if not self.document_base_url:
            return None
        path = draft.context.document.as_posix().lstrip("/")
        return f"{self.document_base_url.rstrip('/')}/{path}#L{draft.context.line}"

    def _epic(self, epic: str) -> dict[str, Any]:
        """Cloud links an epic as ``parent``; Server/DC through its "Epic Link" custom field."""
        if self.flavour == "cloud":
            return {"parent": {"key": epic}}
        if self._epic_field is None:
            fields = self._request("GET", "field", what="list Jira fields")
            self._epic_field = next((f["id"] for f in fields if f.get("name") == "Epic Link"), "")
        if not self._epic_field:
            raise ConfigError("this Jira has no 'Epic Link' field to link an epic with; unset "
                              "PMSYNC_JIRA__EPIC ([jira] epic)")
        return {self._epic_field: epic}

    # --- people and priorities -----------------------------------------------------------

    def _person(self, owner: str) -> tuple[str | None, str | None]:
        """The Jira identity for a document's owner text, and a notice when there is none."""
        first = re.split(r"\s*(?:[,;/&+]|\band\b)\s*", owner.strip())[0]
        configured = self.owners.get(owner.strip().casefold()) or self.owners.get(
            first.casefold()) or self.owners.get(first.lstrip("@").casefold())
        handle = configured or first.lstrip("@").rstrip("@").strip()
        if not handle:
            return None, f"owner {owner!r}: nothing to look up in Jira; left unassigned"
        if handle not in self._people:
            self._people[handle] = self._look_up_person(handle, trusted=configured is not None)
        identity = self._people[handle]
        if identity is None:
            return None, (f"owner {owner!r}: no single Jira user matches {handle!r}; left "
                          f"unassigned (map it under [owners.\"{owner.strip()}\"] jira = …)")
        return identity, None

    def _look_up_person(self, handle: str, trusted: bool) -> str | None:
        cloud = self.flavour == "cloud"
        if cloud and trusted and _ACCOUNT_ID.match(handle):
            return handle
        params = {"query": handle} if cloud else {"username": handle}
        users = self._request("GET", "user/search", params={**params, "maxResults": 20},
                              what=f"look up Jira user {handle!r}") or []
        users = [u for u in users if u.get("active", True)]
        folded = handle.casefold()
        exact = [u for u in users if folded in (str(u.get("name", "")).casefold(),
                                                str(u.get("emailAddress", "")).casefold(),
                                                str(u.get("displayName", "")).casefold(),
                                                str(u.get("accountId", "")).casefold())]
        chosen = exact if exact else users
        if len(chosen) != 1:
            return None
        return str(chosen[0]["accountId"] if cloud else chosen[0]["name"])

    def instance_priorities(self) -> list[str]:
        """The instance's priority names, highest first (one request, cached)."""
        if self._priorities is None:
            listed = self.catalogue("priority", what="list Jira priorities")
            self._priorities = [str(p["name"]) for p in listed]
        return self._priorities

    def catalogue(self, name: str, *, what: str) -> list[dict[str, Any]]:
        """Every entry of an instance-wide list (``priority``, ``resolution``): on Cloud the
        paged ``{name}/search`` that replaces the deprecated full list, which Server/Data
        Center (and a Cloud that answers 404 to the search) still serve."""
        found: list[dict[str, Any]] = []
        while self.flavour == "cloud":
            page = self._request("GET", f"{name}/search", what=what, missing_ok=True,
                                 params={"startAt": len(found), "maxResults": CATALOGUE_PAGE})
            if page is None:
                break
            values = [v for v in page.get("values") or [] if isinstance(v, dict)]
            found.extend(values)
            if page.get("isLast", True) or not values:
                return found
        listed = self._request("GET", name, what=what) or []
        return [v for v in listed if isinstance(v, dict)]

    def map_priority(self, mapped: str) -> str | None:
        """The instance's name for a priority name of the map (case-insensitive). The shipped
        map speaks Cloud's default scheme; on an instance with another five-level scheme its
        names are translated by rank (High → the second highest)."""
        names = self.instance_priorities()
        by_fold = {n.casefold(): n for n in names}
        if mapped.casefold() in by_fold:
            return by_fold[mapped.casefold()]
        from config.settings import JiraSettings

        default_map = self.settings.priority_map == JiraSettings().priority_map
        if default_map and mapped in STANDARD_PRIORITIES and len(names) == len(STANDARD_PRIORITIES):
            return names[STANDARD_PRIORITIES.index(mapped)]
        return None

    def _priority(self, text: str | None) -> tuple[str | None, str | None]:
        if not text or not text.strip():
            return None, None
        table = {k.strip().casefold(): v for k, v in self.settings.priority_map.items()}
        mapped = table.get(text.strip().casefold())
        if mapped is not None:
            name = self.map_priority(mapped)
            if name is None:
                have = ", ".join(self.instance_priorities())
                return None, (f"priority {text!r} maps to {mapped!r}, which this Jira does not "
                              f"have ({have}); fix [jira.priority_map]")
            return name, None
        direct = {n.casefold(): n for n in self.instance_priorities()}.get(text.strip().casefold())
        if direct:
            return direct, None
        return None, (f"priority {text!r} is not in [jira.priority_map]; created without a "
                      "priority")

    # --- workflow ------------------------------------------------------------------------

    def _transitions(self, key: str) -> list[_Transition]:
        listed = self._request("GET", f"issue/{key}/transitions",
                               params={"expand": "transitions.fields"},
                               what=f"list transitions of Jira issue {key}") or {}
        return [
            _Transition(
                id=str(t["id"]), name=str(t.get("name", "")),
                to_name=str((t.get("to") or {}).get("name", "")),
                to_category=str(((t.get("to") or {}).get("statusCategory") or {}).get("key", "")),
                has_resolution_field="resolution" in (t.get("fields") or {}),
            )
            for t in listed.get("transitions") or []
        ]

    @staticmethod
    def _pick_transition(transitions: Sequence[_Transition], status: Status) -> _Transition | None:
        """The transition towards ``status``: by target category, won't-do by its words; when
        none leads there directly, one that reopens a closed issue first."""
        def wont(t: _Transition) -> bool:
            return status_of("done", None, t.to_name) is Status.WONT_DO or any(
                w in t.name.lower() for w in ("decline", "reject", "won't", "cancel"))

        done = [t for t in transitions if t.to_category == "done"]
        if status is Status.DONE:
            return next((t for t in done if not wont(t)), None)
        if status is Status.WONT_DO:
            return next((t for t in done if wont(t)), None) or next(
                (t for t in done if t.has_resolution_field), None)
        target = "indeterminate" if status is Status.IN_PROGRESS else "new"
        direct = next((t for t in transitions if t.to_category == target), None)
        return direct or next((t for t in transitions if t.to_category == "new"), None)

    def _duplicate_resolution(self) -> str | None:
        listed = self.catalogue("resolution", what="list Jira resolutions")
        names = [str(r.get("name", "")) for r in listed]
        return next((n for n in names if "duplicate" in n.lower()), None)

    def _wont_do_resolution(self) -> str | None:
        listed = self.catalogue("resolution", what="list Jira resolutions")
        names = [str(r.get("name", "")) for r in listed]
        return next((n for n in names if status_of("done", n, "") is Status.WONT_DO
                     and "duplicate" not in n.lower()), None)


def _moved_labels(old: Marker, new: Marker) -> list[dict[str, str]]:
    """Label operations that move a ticket's marker (and document) labels to ``new``."""
    operations: list[dict[str, str]] = []
    for before, after in ((old.label, new.label), (old.document_label, new.document_label)):
        if before != after:
            operations += [{"remove": before}, {"add": after}]
    return operations


def _duplicate_transition(transitions: Sequence[_Transition]) -> _Transition | None:
    """A transition to a done status: one whose name or target says duplicate, else the one
    :meth:`JiraTracker.set_status` takes to won't do, else any (resolution Duplicate is set
    wherever the transition takes a resolution)."""
    done = [t for t in transitions if t.to_category == "done"]
    named = [t for t in done if "duplicate" in f"{t.name} {t.to_name}".lower()]
    return named[0] if named else JiraTracker._pick_transition(transitions, Status.WONT_DO) or (
        done[0] if done else None)


def _element_message(error: Mapping[str, Any]) -> str:
    """Jira's words for one failed element of a bulk create."""
    element = error.get("elementErrors") or {}
    parts = [str(m) for m in element.get("errorMessages") or []]
    parts += [f"{v} ({k})" for k, v in (element.get("errors") or {}).items()]
    return mask_secrets("; ".join(parts) or f"HTTP {error.get('status', '?')}")
