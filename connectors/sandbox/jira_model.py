"""The fake Jira's data: catalogue (statuses, workflow, priorities…), users, projects, issues.

Field validation lives here too, because create, bulk create and edit must reject the same bad
values with the same per-field messages real Jira uses.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol, TypeVar

from connectors.sandbox.clock import Clock
from connectors.sandbox.searchindex import LaggingIndex

Flavour = Literal["cloud", "server"]
Description = str | dict[str, Any] | None


@dataclass(frozen=True)
class StatusCategory:
    """One of Jira's fixed status categories; ``key`` is what clients should trust."""

    id: int
    key: str
    color_name: str
    name: str


@dataclass(frozen=True)
class Status:
    """A workflow status."""

    id: str
    name: str
    description: str
    category: StatusCategory
    icon: str


@dataclass(frozen=True)
class Transition:
    """A workflow transition; its name deliberately differs from its target status's name."""

    id: str
    name: str
    to_status: str
    from_statuses: frozenset[str]
    #: Resolution name set by the transition; ``None`` clears the resolution.
    resolution: str | None


@dataclass(frozen=True)
class Priority:
    """An issue priority."""

    id: str
    name: str
    description: str
    color: str
    icon: str


@dataclass(frozen=True)
class IssueType:
    """An issue type."""

    id: str
    name: str
    description: str
    subtask: bool
    hierarchy_level: int
    icon: str


@dataclass(frozen=True)
class Resolution:
    """A resolution."""

    id: str
    name: str
    description: str


NEW = StatusCategory(2, "new", "blue-gray", "To Do")
IN_FLIGHT = StatusCategory(4, "indeterminate", "yellow", "In Progress")
DONE = StatusCategory(3, "done", "green", "Done")
NO_CATEGORY = StatusCategory(1, "undefined", "medium-gray", "No Category")
CATEGORIES = (NO_CATEGORY, NEW, IN_FLIGHT, DONE)

TO_DO_ID, IN_PROGRESS_ID, DONE_ID, WONT_DO_ID = "10000", "3", "10001", "10002"


@dataclass(frozen=True)
class Catalogue:
    """The configuration of one Jira instance: what real admins set up once."""

    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]
    priorities: tuple[Priority, ...]
    default_priority: str
    issue_types: tuple[IssueType, ...]
    resolutions: tuple[Resolution, ...]

    @classmethod
    def for_flavour(cls, flavour: Flavour) -> Catalogue:
        """Cloud and Server ship different priority and resolution schemes."""
        statuses = (
            Status(TO_DO_ID, "To Do", "", NEW, "/images/icons/statuses/open.png"),
            Status(
                IN_PROGRESS_ID,
                "In Progress",
                "This issue is being actively worked on at the moment by the assignee.",
                IN_FLIGHT,
                "/images/icons/statuses/inprogress.png",
            ),
            Status(DONE_ID, "Done", "", DONE, "/images/icons/statuses/closed.png"),
            Status(
                WONT_DO_ID,
                "Won't Do",
                "This issue won't be actioned.",
                DONE,
                "/images/icons/statuses/generic.png",
            ),
        )
        open_states = frozenset({TO_DO_ID, IN_PROGRESS_ID})
        closed_states = frozenset({DONE_ID, WONT_DO_ID})
        transitions = (
            Transition("11", "Stop Progress", TO_DO_ID, frozenset({IN_PROGRESS_ID}), None),
            Transition("21", "Start Progress", IN_PROGRESS_ID, frozenset({TO_DO_ID}), None),
            Transition("31", "Close", DONE_ID, open_states, "Done"),
            Transition("41", "Decline", WONT_DO_ID, open_states, "Won't Do"),
            Transition("51", "Reopen", TO_DO_ID, closed_states, None),
        )
        resolutions: tuple[Resolution, ...]
        if flavour == "cloud":
            names = [
                ("1", "Highest", "#d04437"),
                ("2", "High", "#f15C75"),
                ("3", "Medium", "#f79232"),
                ("4", "Low", "#707070"),
                ("5", "Lowest", "#999999"),
            ]
            default_priority = "3"
            resolutions = (
                Resolution("10000", "Done", "Work has been completed on this issue."),
                Resolution("10001", "Won't Do", "This issue won't be actioned."),
                Resolution(
                    "10002", "Duplicate", "The problem is a duplicate of an existing issue."
                ),
                Resolution(
                    "10003", "Cannot Reproduce", "All attempts at reproducing this issue failed."
                ),
            )
        else:
            names = [
                ("1", "Blocker", "#cc0000"),
                ("2", "Critical", "#ff0000"),
                ("3", "Major", "#009900"),
                ("4", "Minor", "#006600"),
                ("5", "Trivial", "#003300"),
            ]
            default_priority = "3"
            resolutions = (
                Resolution(
                    "1", "Fixed", "A fix for this issue is checked into the tree and tested."
                ),
                Resolution(
                    "2", "Won't Fix", "The problem described is an issue which will never be fixed."
                ),
                Resolution("3", "Duplicate", "The problem is a duplicate of an existing issue."),
                Resolution(
                    "5", "Cannot Reproduce", "All attempts at reproducing this issue failed."
                ),
                Resolution("10000", "Done", "Work has been completed on this issue."),
                Resolution("10001", "Won't Do", "This issue won't be actioned."),
            )
        priorities = tuple(
            Priority(
                pid,
                name,
                f"{name} priority.",
                color,
                f"/images/icons/priorities/{name.lower()}.svg",
            )
            for pid, name, color in names
        )
        issue_types = (
            IssueType(
                "10001",
                "Task",
                "A small, distinct piece of work.",
                False,
                0,
                "/images/icons/issuetypes/task.svg",
            ),
            IssueType(
                "10002", "Bug", "A problem or error.", False, 0, "/images/icons/issuetypes/bug.svg"
            ),
            IssueType(
                "10003",
                "Story",
                "Functionality or a feature expressed as a user goal.",
                False,
                0,
                "/images/icons/issuetypes/story.svg",
            ),
            IssueType(
                "10000",
                "Epic",
                "A big user story that needs to be broken down.",
                False,
                1,
                "/images/icons/issuetypes/epic.svg",
            ),
        )
        return cls(statuses, transitions, priorities, default_priority, issue_types, resolutions)

    def status(self, status_id: str) -> Status:
        """The status with ``status_id``."""
        return next(s for s in self.statuses if s.id == status_id)

    def find_status(self, ref: str) -> Status | None:
        """The status named ``ref`` (case-insensitive) or with id ``ref``."""
        return next(
            (s for s in self.statuses if ref in (s.id,) or s.name.lower() == ref.lower()), None
        )

    def find_category(self, ref: str) -> StatusCategory | None:
        """The category with key, name or id ``ref``."""
        lowered = ref.lower()
        return next((c for c in CATEGORIES if lowered in (c.key, c.name.lower(), str(c.id))), None)

    def priority(self, ref: Mapping[str, Any]) -> Priority | None:
        """The priority named by ``{"id": …}`` or ``{"name": …}``."""
        return _by_ref(self.priorities, ref)

    def issue_type(self, ref: Mapping[str, Any]) -> IssueType | None:
        """The issue type named by ``{"id": …}`` or ``{"name": …}``."""
        return _by_ref(self.issue_types, ref)

    def resolution(self, ref: Mapping[str, Any]) -> Resolution | None:
        """The resolution named by ``{"id": …}`` or ``{"name": …}``."""
        return _by_ref(self.resolutions, ref)

    def available_transitions(self, status_id: str) -> list[Transition]:
        """Transitions a user may take from ``status_id``."""
        return [t for t in self.transitions if status_id in t.from_statuses]


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def _by_ref(items: Iterable[_N], ref: Mapping[str, Any]) -> _N | None:
    if "id" in ref:
        return next((i for i in items if i.id == str(ref["id"])), None)
    if "name" in ref:
        return next((i for i in items if i.name == ref["name"]), None)
    return None


@dataclass
class JiraUser:
    """A person or bot. Cloud names people by ``account_id``, Server by ``name``."""

    account_id: str
    name: str
    key: str
    display_name: str
    email: str
    token: str | None = None
    active: bool = True
    time_zone: str = "Etc/UTC"


@dataclass
class JiraProject:
    """A project and its issue-key counter."""

    id: str
    key: str
    name: str
    lead: str
    next_number: int = 1
    components: list[str] = field(default_factory=list)


@dataclass
class RemoteLink:
    """A link from an issue to a web resource."""

    id: int
    object: dict[str, Any]
    global_id: str | None = None
    application: dict[str, Any] | None = None
    relationship: str | None = None


@dataclass
class JiraComment:
    """One comment; ``body`` as written (a string on API v2, a document on v3)."""

    id: int
    author: str  # the author's account id
    body: Any
    created: float
    updated: float
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class JiraIssue:
    """One issue; ``description`` keeps whatever form it was written in (string or ADF)."""

    id: int
    key: str
    project_key: str
    issue_type_id: str
    summary: str
    description: Description
    environment: Description
    priority_id: str
    status_id: str
    resolution_id: str | None
    labels: list[str]
    assignee: str | None
    reporter: str | None
    creator: str
    duedate: str | None
    created: float
    updated: float
    status_changed: float
    resolved: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[RemoteLink] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    #: The epic or parent issue's key (Cloud ``parent``; Server's "Epic Link" field).
    parent: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    #: Comments, oldest first.
    comments: list[JiraComment] = field(default_factory=list)


class FieldErrors(Exception):
    """Per-field validation failures, rendered as Jira's ``{"errorMessages", "errors"}``."""

    def __init__(self, errors: Mapping[str, str], messages: Iterable[str] = ()) -> None:
        super().__init__("; ".join([*messages, *errors.values()]))
        self.errors = dict(errors)
        self.messages = list(messages)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Server/Data Center links an issue to its epic through this custom field (Cloud: ``parent``).
EPIC_LINK_FIELD = "customfield_10014"
_CREATE_ONLY = {"project", "issuetype"}
_SETTABLE = {
    "summary",
    "description",
    "environment",
    "labels",
    "priority",
    "assignee",
    "reporter",
    "duedate",
}


class JiraStore:
    """All state of one fake Jira instance. Callers hold the sandbox lock."""

    def __init__(self, flavour: Flavour, clock: Clock) -> None:
        self.flavour = flavour
        self.clock = clock
        self.catalogue = Catalogue.for_flavour(flavour)
        self.projects: dict[str, JiraProject] = {}
        self.users: dict[str, JiraUser] = {}
        self.issues: dict[int, JiraIssue] = {}
        self.index: LaggingIndex[int, JiraIssue] = LaggingIndex()
        self._next_issue_id = 10001
        self._next_project_id = 10000
        self._next_link_id = 10000
        self._next_comment_id = 10000
        #: Custom fields an admin made required on create: field id → field name.
        self.required_fields: dict[str, str] = {}

    # --- people and projects -------------------------------------------------------------

    def add_user(
        self, display_name: str, email: str, *, name: str | None = None, token: str | None = None
    ) -> JiraUser:
        """Create a user; Cloud-style account ids are derived from the email, deterministically."""
        digest = hashlib.sha1(email.encode()).hexdigest()
        user = JiraUser(
            account_id=f"712020:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-"
            f"{digest[20:32]}",
            name=name or email.split("@")[0],
            key=f"JIRAUSER{10000 + len(self.users)}",
            display_name=display_name,
            email=email,
            token=token,
        )
        self.users[user.account_id] = user
        return user

    def add_project(self, key: str, name: str, lead: str) -> JiraProject:
        """Create a project led by the user with account id ``lead``."""
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,9}", key):
            raise ValueError(f"invalid Jira project key {key!r}")
        if key in self.projects:
            return self.projects[key]
        project = JiraProject(str(self._next_project_id), key, name, lead)
        self._next_project_id += 1
        self.projects[key] = project
        return project

    def find_project(self, ref: str) -> JiraProject | None:
        """The project with key, id or name ``ref``."""
        for project in self.projects.values():
            if (
                ref.upper() == project.key
                or ref == project.id
                or ref.lower() == project.name.lower()
            ):
                return project
        return None

    def user_by_ref(self, ref: Any) -> JiraUser | None:
        """The user a request names: Cloud by ``accountId`` (or ``id``), Server by ``name``."""
        if not isinstance(ref, Mapping):
            return None
        if self.flavour == "cloud":
            account = ref.get("accountId", ref.get("id"))
            return self.users.get(str(account)) if account is not None else None
        name = ref.get("name")
        return next((u for u in self.users.values() if u.name == name), None)

    def find_users(self, text: str) -> list[JiraUser]:
        """Users whose name, email, display name or a word of it starts with ``text`` (Jira's
        user search matches prefixes, so ``Jane D`` finds Jane Doe)."""
        lowered = text.lower()
        return [
            u
            for u in self.users.values()
            if any(
                part.lower().startswith(lowered)
                for part in (u.name, u.email, u.display_name, *u.display_name.split())
            )
        ]

    # --- issues --------------------------------------------------------------------------

    def find_issue(self, ref: str) -> JiraIssue | None:
        """The issue with key or numeric id ``ref``."""
        if ref.isdigit():
            return self.issues.get(int(ref))
        upper = ref.upper()
        return next((i for i in self.issues.values() if i.key == upper), None)

    def parse_create(self, payload: Any, api_version: str) -> dict[str, Any]:
        """Validate a create request's ``fields``; return normalised values or raise."""
        fields = payload.get("fields") if isinstance(payload, Mapping) else None
        if not isinstance(fields, Mapping):
            raise FieldErrors(
                {},
                ["Issue must have fields."]
                if fields is None
                else ["Can not deserialize instance of fields."],
            )
        values, errors = self._parse_fields(fields, api_version, creating=True)
        if "summary" not in values and "summary" not in errors:
            errors["summary"] = "You must specify a summary of the issue."
        if "project" not in values and "project" not in errors:
            errors["project"] = "Specify a valid project ID or key"
        if "issuetype" not in values and "issuetype" not in errors:
            errors["issuetype"] = "Specify an issue type"
        for field_id, name in self.required_fields.items():
            if values.get(field_id) in (None, "", []) and field_id not in errors:
                errors[field_id] = f"{name} is required."
        project = values.get("project")
        for name in values.get("components") or []:
            if project is not None and name not in project.components:
                errors["components"] = f"Component name '{name}' is not valid"
        if errors:
            raise FieldErrors(errors)
        return values

    def create_issue(
        self,
        values: Mapping[str, Any],
        actor: JiraUser,
        properties: Iterable[Mapping[str, Any]] = (),
        *,
        indexed_at: float | None = None,
    ) -> JiraIssue:
        """Create an issue from values :meth:`parse_create` accepted.

        ``indexed_at`` backdates the issue's entry in the search index, for seeded issues that
        should be searchable at once whatever the lag.
        """
        project: JiraProject = values["project"]
        now = self.clock.now()
        issue = JiraIssue(
            id=self._next_issue_id,
            key=f"{project.key}-{project.next_number}",
            project_key=project.key,
            issue_type_id=values["issuetype"].id,
            summary=values["summary"],
            description=values.get("description"),
            environment=values.get("environment"),
            priority_id=(
                values["priority"].id if values.get("priority") else self.catalogue.default_priority
            ),
            status_id=TO_DO_ID,
            resolution_id=None,
            labels=list(values.get("labels", [])),
            assignee=values["assignee"].account_id if values.get("assignee") else None,
            reporter=(
                values["reporter"].account_id if values.get("reporter") else actor.account_id
            ),
            creator=actor.account_id,
            duedate=values.get("duedate"),
            components=list(values.get("components") or []),
            parent=values.get("parent") or values.get(EPIC_LINK_FIELD),
            custom={k: v for k, v in values.items() if k in self.required_fields},
            created=now,
            updated=now,
            status_changed=now,
            properties={p["key"]: p.get("value") for p in properties},
        )
        self._next_issue_id += 1
        project.next_number += 1
        self.issues[issue.id] = issue
        self.index.record(issue.id, issue, now if indexed_at is None else indexed_at)
        return issue

    def edit_issue(self, issue: JiraIssue, payload: Any, api_version: str) -> None:
        """Apply an edit request (``fields`` and ``update`` operations) or raise."""
        if not isinstance(payload, Mapping):
            raise FieldErrors({}, ["No content to map to Object due to end of input"])
        fields = payload.get("fields") or {}
        values, errors = self._parse_fields(fields, api_version, creating=False)
        update = payload.get("update") or {}
        set_values, label_ops, update_errors = self._parse_update(update, api_version)
        values.update(set_values)
        errors.update(update_errors)
        if errors:
            raise FieldErrors(errors)
        for name, value in values.items():
            self._assign(issue, name, value)
        if label_ops:
            issue.labels = _apply_label_operations(issue.labels, label_ops)
        for prop in payload.get("properties") or []:
            issue.properties[prop["key"]] = prop.get("value")
        self.touch(issue)

    def _parse_update(
        self, update: Mapping[str, Any], api_version: str
    ) -> tuple[dict[str, Any], list[tuple[str, Any]], dict[str, str]]:
        """Split ``update`` operations into field values to set and label operations."""
        values: dict[str, Any] = {}
        label_ops: list[tuple[str, Any]] = []
        errors: dict[str, str] = {}
        for name, operations in update.items():
            if name not in _SETTABLE:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate "
                    "screen, or unknown."
                )
                continue
            for operation in operations:
                for verb, value in operation.items():
                    if name == "labels":
                        if verb in ("add", "remove") and (
                            not isinstance(value, str) or " " in value
                        ):
                            errors["labels"] = (
                                f"The label '{value}' contains spaces which is invalid."
                            )
                        label_ops.append((verb, value))
                    elif verb == "set":
                        parsed, field_errors = self._parse_fields(
                            {name: value}, api_version, creating=False
                        )
                        values.update(parsed)
                        errors.update(field_errors)
                    else:
                        errors[name] = f"Operation '{verb}' is not supported by the pmsync sandbox."
        return values, label_ops, errors

    def _assign(self, issue: JiraIssue, name: str, value: Any) -> None:
        if name in ("parent", EPIC_LINK_FIELD):
            issue.parent = value
        elif name in self.required_fields:
            issue.custom[name] = value
        elif name in ("assignee", "reporter"):
            setattr(issue, name, value.account_id if value else None)
        elif name == "priority":
            issue.priority_id = value.id if value else self.catalogue.default_priority
        else:
            setattr(issue, name, value)

    def touch(self, issue: JiraIssue) -> None:
        """Mark ``issue`` as written now; the search index learns of it after its lag."""
        issue.updated = self.clock.now()
        self.index.record(issue.id, issue, issue.updated)

    def reindex(self, issue: JiraIssue) -> None:
        """Let the search index learn of a change that does not count as an edit."""
        self.index.record(issue.id, issue, self.clock.now())

    def move_to_status(
        self, issue: JiraIssue, status_id: str, resolution: Resolution | None
    ) -> None:
        """Put ``issue`` in ``status_id``; done statuses carry a resolution, others none."""
        now = self.clock.now()
        target = self.catalogue.status(status_id)
        if status_id != issue.status_id:
            issue.status_changed = now
        issue.status_id = status_id
        if target.category is DONE:
            issue.resolution_id = (resolution or self.catalogue.resolutions[0]).id
            issue.resolved = issue.resolved or now
        else:
            issue.resolution_id = None
            issue.resolved = None
        self.touch(issue)

    def add_comment(self, issue: JiraIssue, author: str, payload: Any, api_version: str
                    ) -> JiraComment:
        """Comment on ``issue`` (``body`` a string on v2, a document on v3; optional
        ``properties``, as ``POST …/comment`` takes them). A comment counts as an edit."""
        body = comment_body(payload.get("body") if isinstance(payload, Mapping) else None,
                            api_version)
        properties = payload.get("properties") or []
        if not isinstance(properties, list) or not all(
                isinstance(p, Mapping) and isinstance(p.get("key"), str) for p in properties):
            raise FieldErrors({"properties": "Properties must be a list of {key, value}."})
        now = self.clock.now()
        comment = JiraComment(self._next_comment_id, author, body, now, now,
                              {p["key"]: p.get("value") for p in properties})
        self._next_comment_id += 1
        issue.comments.append(comment)
        self.touch(issue)
        return comment

    def add_remote_link(
        self, issue: JiraIssue, payload: Mapping[str, Any]
    ) -> tuple[RemoteLink, bool]:
        """Add a remote link, or update the one with the same ``globalId``; says if it is new."""
        global_id = payload.get("globalId")
        existing = next(
            (link for link in issue.remote_links
             if global_id is not None and link.global_id == global_id),
            None,
        )
        if existing is not None:
            existing.object = dict(payload["object"])
            existing.application = payload.get("application")
            existing.relationship = payload.get("relationship")
            self.touch(issue)
            return existing, False
        link = RemoteLink(
            self._next_link_id,
            dict(payload["object"]),
            global_id,
            payload.get("application"),
            payload.get("relationship"),
        )
        self._next_link_id += 1
        issue.remote_links.append(link)
        self.touch(issue)
        return link, True

    # --- field parsing -------------------------------------------------------------------

    def _parse_fields(
        self, fields: Mapping[str, Any], api_version: str, creating: bool
    ) -> tuple[dict[str, Any], dict[str, str]]:
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, raw in fields.items():
            if name in _CREATE_ONLY and creating:
                parsed = self._parse_create_only(name, raw)
            elif name in _SETTABLE:
                parsed = self._parse_settable(name, raw, api_version)
            elif name in self._extra_fields():
                parsed = self._parse_extra(name, raw)
            else:
                parsed = _Invalid(
                    f"Field '{name}' cannot be set. It is not on the appropriate "
                    "screen, or unknown."
                )
            if isinstance(parsed, _Invalid):
                errors[name] = parsed.message
            else:
                values[name] = parsed
        return values, errors

    def _extra_fields(self) -> set[str]:
        """Fields beyond the basic ones: components, the epic link, required custom fields."""
        epic = "parent" if self.flavour == "cloud" else EPIC_LINK_FIELD
        return {"components", epic, *self.required_fields}

    def _parse_extra(self, name: str, raw: Any) -> Any:
        if name == "components":
            if not isinstance(raw, list) or not all(isinstance(c, Mapping) for c in raw):
                return _Invalid("data was not an array")
            return [str(c.get("name", c.get("id", ""))) for c in raw]
        if name in ("parent", EPIC_LINK_FIELD):
            ref = raw.get("key", raw.get("id")) if isinstance(raw, Mapping) else raw
            found = self.find_issue(str(ref)) if ref not in (None, "") else None
            if found is None:
                return _Invalid(
                    "Could not find issue by id or key."
                    if name == "parent"
                    else f"The issue {ref} does not exist."
                )
            return found.key
        return raw

    def _parse_create_only(self, name: str, raw: Any) -> Any:
        if name == "project":
            ref = raw.get("key", raw.get("id")) if isinstance(raw, Mapping) else raw
            project = self.find_project(str(ref)) if ref is not None else None
            return project or _Invalid("Specify a valid project ID or key")
        issue_type = self.catalogue.issue_type(raw) if isinstance(raw, Mapping) else None
        return issue_type or _Invalid("The issue type selected is invalid.")

    def _parse_settable(self, name: str, raw: Any, api_version: str) -> Any:
        if name == "summary":
            return _parse_summary(raw)
        if name in ("description", "environment"):
            return _parse_rich_text(raw, api_version)
        if name == "labels":
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                return _Invalid("data was not an array")
            spaced = next((v for v in raw if " " in v), None)
            if spaced is not None:
                return _Invalid(f"The label '{spaced}' contains spaces which is invalid.")
            return list(dict.fromkeys(raw))
        if name == "priority":
            if raw is None:
                return None
            found = self.catalogue.priority(raw) if isinstance(raw, Mapping) else None
            return found or _Invalid("The priority selected is invalid.")
        if name in ("assignee", "reporter"):
            if raw is None:
                return None
            user = self.user_by_ref(raw)
            if user is None:
                if self.flavour == "server" and isinstance(raw, Mapping) and "name" in raw:
                    return _Invalid(f"User '{raw['name']}' does not exist.")
                return _Invalid("Specify a valid value for " + name)
            return user
        return _parse_duedate(raw)


@dataclass(frozen=True)
class _Invalid:
    message: str


def _apply_label_operations(labels: list[str], operations: list[tuple[str, Any]]) -> list[str]:
    result = list(labels)
    for verb, value in operations:
        if verb == "add" and value not in result:
            result.append(value)
        elif verb == "remove" and value in result:
            result.remove(value)
        elif verb == "set":
            result = list(value)
    return result


def _parse_summary(raw: Any) -> Any:
    if not isinstance(raw, str) or not raw.strip():
        return _Invalid("You must specify a summary of the issue.")
    if "\n" in raw or "\r" in raw:
        return _Invalid("The summary is invalid because it contains newline characters.")
    if len(raw) > 255:
        return _Invalid("Summary must be less than 255 characters.")
    return raw


def comment_body(raw: Any, api_version: str) -> Any:
    """A comment body as this API version takes it (raises FieldErrors as Jira answers)."""
    if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
        raise FieldErrors({"comment": "Comment body can not be empty!"})
    body = _parse_rich_text(raw, api_version)
    if isinstance(body, _Invalid):
        raise FieldErrors({"comment": body.message})
    return body


def _parse_rich_text(raw: Any, api_version: str) -> Any:
    if raw is None:
        return None
    if api_version == "3":
        if isinstance(raw, Mapping) and raw.get("type") == "doc":
            return dict(raw)
        return _Invalid(
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        )
    if isinstance(raw, str):
        return raw
    return _Invalid("Operation value must be a string")


def _parse_duedate(raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str) and _DATE.match(raw):
        try:
            date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            return raw
    return _Invalid(f"Error parsing date string: {raw}")
