"""JSON shapes of the fake Jira, modelled on the recorded payloads in ``api-samples/jira``.

Every ``self`` URL is built from the base URL the request came in on, so clients that follow
them (``jira`` reloads issues through ``self``) stay on the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from connectors.sandbox.jira_model import (
    CATEGORIES,
    EPIC_LINK_FIELD,
    Description,
    IssueType,
    JiraComment,
    JiraIssue,
    JiraProject,
    JiraStore,
    JiraUser,
    Priority,
    RemoteLink,
    Resolution,
    Status,
    StatusCategory,
    Transition,
)

# (id, name, navigable, clause names, schema type); the order is the order of ``/field``.
SYSTEM_FIELDS: tuple[tuple[str, str, bool, tuple[str, ...], str], ...] = (
    ("issuekey", "Key", True, ("id", "issue", "issuekey", "key"), ""),
    ("summary", "Summary", True, ("summary",), "string"),
    ("description", "Description", True, ("description",), "string"),
    ("environment", "Environment", True, ("environment",), "string"),
    ("issuetype", "Issue Type", True, ("issuetype", "type"), "issuetype"),
    ("project", "Project", True, ("project",), "project"),
    ("status", "Status", True, ("status",), "status"),
    ("statusCategory", "Status Category", False, ("statusCategory",), "statusCategory"),
    (
        "statuscategorychangedate",
        "Status Category Changed",
        True,
        ("statusCategoryChangedDate",),
        "datetime",
    ),
    ("priority", "Priority", True, ("priority",), "priority"),
    ("resolution", "Resolution", True, ("resolution",), "resolution"),
    ("resolutiondate", "Resolved", True, ("resolutiondate", "resolved"), "datetime"),
    ("labels", "Labels", True, ("labels",), "array"),
    ("assignee", "Assignee", True, ("assignee",), "user"),
    ("reporter", "Reporter", True, ("reporter",), "user"),
    ("creator", "Creator", True, ("creator",), "user"),
    ("created", "Created", True, ("created", "createdDate"), "datetime"),
    ("updated", "Updated", True, ("updated", "updatedDate"), "datetime"),
    ("duedate", "Due date", True, ("due", "duedate"), "date"),
    ("components", "Components", True, ("component",), "array"),
    ("fixVersions", "Fix versions", True, ("fixVersion",), "array"),
    ("versions", "Affects versions", True, ("affectedVersion",), "array"),
    ("issuelinks", "Linked Issues", True, ("issueLink",), "array"),
    ("subtasks", "Sub-tasks", True, ("subtasks",), "array"),
    ("watches", "Watchers", True, ("watchers",), "watches"),
    ("votes", "Votes", True, ("votes",), "votes"),
    ("comment", "Comment", False, ("comment",), "comments-page"),
    ("worklog", "Log Work", False, ("worklogComment",), "array"),
    ("attachment", "Attachment", False, ("attachments",), "array"),
)
_FIELD_IDS = tuple(f[0] for f in SYSTEM_FIELDS if f[0] not in ("issuekey", "statusCategory"))
_NAVIGABLE = tuple(
    f[0] for f in SYSTEM_FIELDS if f[2] and f[0] not in ("issuekey", "statusCategory")
)
_ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


@dataclass(frozen=True)
class FieldSelection:
    """Which fields an issue is rendered with; empty means no ``fields`` object at all."""

    names: tuple[str, ...]
    #: Fields outside the system list that were asked for by name or by ``*all``/``*navigable``
    #: (``parent``, custom fields); ``"*"`` stands for all of them.
    extra: tuple[str, ...] = ()

    @classmethod
    def parse(cls, requested: Iterable[str], default: str) -> FieldSelection:
        """Interpret ``fields=`` values (``*all``, ``*navigable``, names, ``-name``)."""
        items = [part.strip() for value in requested for part in value.split(",") if part.strip()]
        if not items:
            items = [default]
        chosen: list[str] = []
        extra: list[str] = []
        excluded = {item[1:] for item in items if item.startswith("-")}
        for item in items:
            if item == "*all":
                chosen.extend(_FIELD_IDS)
                extra.append("*")
            elif item == "*navigable":
                chosen.extend(_NAVIGABLE)
                extra.append("*")
            elif item in _FIELD_IDS:
                chosen.append(item)
            elif item == "parent" or item.startswith("customfield_"):
                extra.append(item)
        return cls(
            tuple(n for n in dict.fromkeys(chosen) if n not in excluded),
            tuple(n for n in dict.fromkeys(extra) if n not in excluded),
        )

    def wants_extra(self, name: str) -> bool:
        """Whether a field outside the system list is to be shown."""
        return "*" in self.extra or name in self.extra

    @property
    def only_id(self) -> bool:
        """True when nothing but the id was asked for (Cloud's ``/search/jql`` default)."""
        return not self.names


def jira_time(timestamp: float) -> str:
    """Jira's timestamp format: millisecond precision with a colon-less UTC offset."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def adf_from_text(text: str) -> dict[str, Any]:
    """Wrap plain text in an Atlassian Document: one paragraph per blank-line-separated block."""
    paragraphs = []
    for block in (b for b in text.split("\n\n") if b.strip()):
        content: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def text_from_adf(node: Mapping[str, Any]) -> str:
    """Flatten an Atlassian Document to text (what API v2 shows for an ADF-written field)."""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    if node.get("type") == "mention":  # how API v2 shows a mention written in ADF
        return f"[~accountid:{(node.get('attrs') or {}).get('id', '')}]"
    children = [text_from_adf(child) for child in node.get("content", [])]
    separator = "\n\n" if node.get("type") == "doc" else ""
    return separator.join(children)


class JiraRenderer:
    """Renders store objects for one request (one base URL and one API version)."""

    def __init__(self, store: JiraStore, base_url: str, api_version: str) -> None:
        self.store = store
        self.base_url = base_url
        self.api_version = "2" if api_version == "latest" else api_version
        self.cloud = store.flavour == "cloud"

    def api(self, path: str) -> str:
        """Absolute URL of a REST resource."""
        return f"{self.base_url}/rest/api/{self.api_version}/{path}"

    def rich_text(self, value: Description) -> Any:
        """A description-like field as this API version shows it."""
        if value is None or value == "":
            return None
        if self.api_version == "3":
            return value if isinstance(value, dict) else adf_from_text(value)
        return text_from_adf(value) if isinstance(value, dict) else value

    def user(self, user: JiraUser | None) -> dict[str, Any] | None:
        """A user as Cloud (by accountId) or Server (by name and key) shows one."""
        if user is None:
            return None
        avatars = {
            size: f"{self.base_url}/secure/useravatar?size={size}&ownerId={user.name}"
            for size in ("48x48", "24x24", "16x16", "32x32")
        }
        if self.cloud:
            return {
                "self": self.api(f"user?accountId={user.account_id}"),
                "accountId": user.account_id,
                "emailAddress": user.email,
                "avatarUrls": avatars,
                "displayName": user.display_name,
                "active": user.active,
                "timeZone": user.time_zone,
                "accountType": "atlassian",
            }
        return {
            "self": self.api(f"user?username={user.name}"),
            "name": user.name,
            "key": user.key,
            "emailAddress": user.email,
            "avatarUrls": avatars,
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
        }

    def myself(self, user: JiraUser) -> dict[str, Any]:
        """``GET /myself``."""
        body = self.user(user) or {}
        body.update(
            {
                "locale": "en_US",
                "groups": {"size": 1, "items": []},
                "applicationRoles": {"size": 1, "items": []},
                "expand": "groups,applicationRoles",
            }
        )
        if not self.cloud:
            body["deleted"] = False
        return body

    def server_info(self, now: float) -> dict[str, Any]:
        """``GET /serverInfo``; ``deploymentType`` is how clients tell Cloud from Server."""
        if self.cloud:
            return {
                "baseUrl": self.base_url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "deploymentType": "Cloud",
                "buildNumber": 100287,
                "buildDate": "2025-06-02T10:00:00.000+0000",
                "serverTime": jira_time(now),
                "scmInfo": "pmsync-sandbox",
                "serverTitle": "Jira",
                "defaultLocale": {"locale": "en_US"},
            }
        return {
            "baseUrl": self.base_url,
            "version": "9.12.15",
            "versionNumbers": [9, 12, 15],
            "deploymentType": "Server",
            "buildNumber": 9120015,
            "buildDate": "2024-10-21T00:00:00.000+0000",
            "databaseBuildNumber": 9120015,
            "serverTime": jira_time(now),
            "scmInfo": "pmsync-sandbox",
            "serverTitle": "Jira (pmsync sandbox)",
        }

    def category(self, category: StatusCategory) -> dict[str, Any]:
        """A status category."""
        return {
            "self": self.api(f"statuscategory/{category.id}"),
            "id": category.id,
            "key": category.key,
            "colorName": category.color_name,
            "name": category.name,
        }

    def categories(self) -> list[dict[str, Any]]:
        """``GET /statuscategory``."""
        return [self.category(c) for c in CATEGORIES]

    def status(self, status: Status) -> dict[str, Any]:
        """A status with its category."""
        body: dict[str, Any] = {
            "self": self.api(f"status/{status.id}"),
            "description": status.description,
            "iconUrl": self.base_url + status.icon,
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category(status.category),
        }
        if self.cloud:
            body["untranslatedName"] = status.name
        return body

    def priority(self, priority: Priority) -> dict[str, Any]:
        """A priority as listed by ``GET /priority``."""
        return {
            "self": self.api(f"priority/{priority.id}"),
            "statusColor": priority.color,
            "description": priority.description,
            "iconUrl": self.base_url + priority.icon,
            "name": priority.name,
            "id": priority.id,
        }

    def priority_ref(self, priority: Priority) -> dict[str, Any]:
        """A priority as embedded in an issue."""
        return {
            "self": self.api(f"priority/{priority.id}"),
            "iconUrl": self.base_url + priority.icon,
            "name": priority.name,
            "id": priority.id,
        }

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        """An issue type."""
        body: dict[str, Any] = {
            "self": self.api(f"issuetype/{issue_type.id}"),
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": self.base_url + issue_type.icon,
            "name": issue_type.name,
            "subtask": issue_type.subtask,
            "avatarId": 10300 + int(issue_type.id) % 100,
        }
        if self.cloud:
            body["hierarchyLevel"] = issue_type.hierarchy_level
        return body

    def resolution(self, resolution: Resolution) -> dict[str, Any]:
        """A resolution."""
        return {
            "self": self.api(f"resolution/{resolution.id}"),
            "id": resolution.id,
            "description": resolution.description,
            "name": resolution.name,
        }

    def project(self, project: JiraProject, *, full: bool = False) -> dict[str, Any]:
        """A project; ``full`` adds what ``GET /project/{key}`` shows beyond an issue's summary."""
        avatars = {
            size: f"{self.base_url}/secure/projectavatar?size={size}&pid={project.id}"
            for size in ("48x48", "24x24", "16x16", "32x32")
        }
        body: dict[str, Any] = {
            "self": self.api(f"project/{project.id}"),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "avatarUrls": avatars,
        }
        if self.cloud:
            body["simplified"] = False
        if full:
            body.update(
                {
                    "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                    "description": "",
                    "lead": self.user(self.store.users.get(project.lead)),
                    "issueTypes": [self.issue_type(t) for t in self.store.catalogue.issue_types],
                    "assigneeType": "UNASSIGNED",
                    "versions": [],
                    "components": [
                        {
                            "self": self.api(f"component/{project.id}{n}"),
                            "id": f"{project.id}{n}",
                            "name": name,
                        }
                        for n, name in enumerate(project.components)
                    ],
                    "archived": False,
                }
            )
        return body

    def transition(self, transition: Transition) -> dict[str, Any]:
        """A transition as ``GET …/transitions`` lists it."""
        return {
            "id": transition.id,
            "name": transition.name,
            "to": self.status(self.store.catalogue.status(transition.to_status)),
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    def remote_link(self, issue: JiraIssue, link: RemoteLink) -> dict[str, Any]:
        """A remote link as ``GET …/remotelink`` lists it."""
        body: dict[str, Any] = {
            "id": link.id,
            "self": self.api(f"issue/{issue.key}/remotelink/{link.id}"),
            "object": link.object,
        }
        if link.global_id is not None:
            body["globalId"] = link.global_id
        if link.application is not None:
            body["application"] = link.application
        if link.relationship is not None:
            body["relationship"] = link.relationship
        return body

    def created(self, issue: JiraIssue) -> dict[str, Any]:
        """The body of ``201 Created`` for an issue."""
        return {"id": str(issue.id), "key": issue.key, "self": self.api(f"issue/{issue.id}")}

    def issue(
        self,
        issue: JiraIssue,
        fields: FieldSelection,
        properties: Sequence[str] = (),
    ) -> dict[str, Any]:
        """An issue with the selected fields and the requested entity properties."""
        if fields.only_id and not properties:
            return {"id": str(issue.id)}
        body: dict[str, Any] = {
            "expand": _ISSUE_EXPAND,
            "id": str(issue.id),
            "self": self.api(f"issue/{issue.id}"),
            "key": issue.key,
        }
        if properties:
            wanted = (
                issue.properties
                if "*all" in properties
                else {k: v for k, v in issue.properties.items() if k in properties}
            )
            body["properties"] = dict(wanted)
        if not fields.only_id:
            every = self._fields(issue)
            body["fields"] = {name: every[name] for name in fields.names}
            extra = self._extra_fields(issue)
            body["fields"].update((k, v) for k, v in extra.items() if fields.wants_extra(k))
        return body

    def _extra_fields(self, issue: JiraIssue) -> dict[str, Any]:
        """The epic link (Cloud ``parent``, only when set; Server's custom field) and required
        custom fields."""
        extra: dict[str, Any] = dict.fromkeys(self.store.required_fields)
        extra.update(issue.custom)
        if self.cloud:
            parent = self.store.find_issue(issue.parent) if issue.parent else None
            if parent is not None:
                extra["parent"] = {
                    "id": str(parent.id),
                    "key": parent.key,
                    "self": self.api(f"issue/{parent.id}"),
                }
        else:
            extra[EPIC_LINK_FIELD] = issue.parent
        return extra

    def _fields(self, issue: JiraIssue) -> dict[str, Any]:
        catalogue = self.store.catalogue
        users = self.store.users
        resolution = next((r for r in catalogue.resolutions if r.id == issue.resolution_id), None)
        issue_type = next(t for t in catalogue.issue_types if t.id == issue.issue_type_id)
        priority = next(p for p in catalogue.priorities if p.id == issue.priority_id)
        issue_url = self.api(f"issue/{issue.key}")
        return {
            "statuscategorychangedate": jira_time(issue.status_changed),
            "issuetype": self.issue_type(issue_type),
            "project": self.project(self.store.projects[issue.project_key]),
            "fixVersions": [],
            "resolution": self.resolution(resolution) if resolution else None,
            "resolutiondate": jira_time(issue.resolved) if issue.resolved else None,
            "watches": {"self": f"{issue_url}/watchers", "watchCount": 0, "isWatching": False},
            "created": jira_time(issue.created),
            "priority": self.priority_ref(priority),
            "labels": list(issue.labels),
            "versions": [],
            "issuelinks": [],
            "assignee": self.user(users.get(issue.assignee or "")),
            "updated": jira_time(issue.updated),
            "status": self.status(catalogue.status(issue.status_id)),
            "components": [
                {"self": self.api(f"component/{n}"), "id": str(n), "name": name}
                for n, name in enumerate(issue.components, 10000)
            ],
            "description": self.rich_text(issue.description),
            "attachment": [],
            "summary": issue.summary,
            "creator": self.user(users.get(issue.creator)),
            "subtasks": [],
            "reporter": self.user(users.get(issue.reporter or "")),
            "environment": self.rich_text(issue.environment),
            "duedate": issue.duedate,
            "votes": {"self": f"{issue_url}/votes", "votes": 0, "hasVoted": False},
            "comment": {
                "comments": [self.comment(issue, c) for c in issue.comments],
                "self": f"{issue_url}/comment",
                "maxResults": len(issue.comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
            "worklog": {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []},
        }

    def comment(self, issue: JiraIssue, comment: JiraComment, properties: bool = False
                ) -> dict[str, Any]:
        """A comment as ``…/issue/{key}/comment`` shows it (``properties`` when expanded)."""
        author = self.user(self.store.users.get(comment.author))
        body: dict[str, Any] = {
            "self": self.api(f"issue/{issue.id}/comment/{comment.id}"),
            "id": str(comment.id),
            "author": author,
            "body": self.rich_text(comment.body),
            "updateAuthor": author,
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
            "jsdPublic": True,
        }
        if properties:
            body["properties"] = [{"key": k, "value": v} for k, v in comment.properties.items()]
        return body

    def field_list(self) -> list[dict[str, Any]]:
        """``GET /field``: system fields, then the epic link (Server) and required custom ones."""
        listed = self._system_field_list()
        custom = dict(self.store.required_fields)
        if not self.cloud:
            custom[EPIC_LINK_FIELD] = "Epic Link"
        for field_id, name in custom.items():
            listed.append(
                {
                    "id": field_id,
                    "key": field_id,
                    "name": name,
                    "custom": True,
                    "orderable": True,
                    "navigable": True,
                    "searchable": True,
                    "clauseNames": [f"cf[{field_id.rsplit('_', 1)[1]}]", name],
                    "schema": {
                        "type": "any",
                        "custom": "pmsync-sandbox",
                        "customId": int(field_id.rsplit("_", 1)[1]),
                    },
                }
            )
        return listed

    def _system_field_list(self) -> list[dict[str, Any]]:
        """``GET /field``: the system fields and the JQL clause names they answer to."""
        listed = []
        for field_id, name, navigable, clauses, schema_type in SYSTEM_FIELDS:
            entry: dict[str, Any] = {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": field_id
                not in ("issuekey", "status", "created", "updated", "creator", "statusCategory"),
                "navigable": navigable,
                "searchable": True,
                "clauseNames": list(clauses),
            }
            if schema_type:
                entry["schema"] = {"type": schema_type, "system": field_id}
            listed.append(entry)
        return listed
