"""The fake GitHub's data: users, repositories, labels, milestones, issues and pull requests.

Issue creation and edits are validated here so the REST API and the admin API apply the same
rules, including GitHub's quiet one: without push access, labels, assignees and milestone are
dropped from a write instead of rejected.

Two kinds of token reach a repository: a person's (classic, fine-grained or OAuth), governed by
the person's role in ``collaborators``, and a GitHub App installation's (the Actions
``GITHUB_TOKEN`` is one), governed by the permissions the installation was granted
(``installations``: ``{"issues": "write", ...}``). GitHub shows the viewer's ``permissions`` in a
repository answer only for people.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.sandbox.clock import Clock
from connectors.sandbox.searchindex import LaggingIndex

Permission = Literal["read", "triage", "push", "admin"]
STATE_REASONS = ("completed", "not_planned", "duplicate", "reopened")
TITLE_LIMIT = 256
BODY_LIMIT = 65536
_LABEL_COLORS = ("d73a4a", "0075ca", "cfd3d7", "a2eeef", "7057ff", "008672", "e4e669", "d876e3")


def node_id(prefix: str, *parts: object) -> str:
    """An opaque, stable GraphQL node id in GitHub's ``PREFIX_base64`` style."""
    raw = hashlib.sha1(":".join(str(p) for p in parts).encode()).digest()[:12]
    return f"{prefix}_kwDO{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


@dataclass
class GitHubUser:
    """An account; ``token`` is its personal access token, if it has one."""

    id: int
    login: str
    node_id: str
    token: str | None = None


@dataclass
class GitHubLabel:
    """A repository label."""

    id: int
    node_id: str
    name: str
    color: str
    description: str | None = None
    default: bool = False


@dataclass
class Milestone:
    """A repository milestone."""

    id: int
    node_id: str
    number: int
    title: str
    creator: str
    created_at: float
    updated_at: float
    description: str = ""
    state: str = "open"
    due_on: float | None = None
    closed_at: float | None = None


@dataclass
class GitHubIssue:
    """An issue, or a pull request when ``is_pull_request`` (GitHub lists both as issues)."""

    id: int
    node_id: str
    number: int
    title: str
    body: str | None
    user: str
    labels: list[str]
    assignees: list[str]
    milestone: int | None
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    locked: bool = False
    is_pull_request: bool = False
    #: Pull requests only: the branches, as given (the sandbox keeps no git data).
    head_ref: str | None = None
    base_ref: str | None = None
    draft: bool = False
    #: Comments, oldest first.
    comments: list[GitHubComment] = field(default_factory=list)


@dataclass
class GitHubComment:
    """One issue (or pull request conversation) comment."""

    id: int
    login: str
    body: str
    created_at: float
    updated_at: float


@dataclass
class GitHubRepo:
    """A repository with its labels, milestones, issues and collaborators."""

    id: int
    node_id: str
    owner: str
    name: str
    created_at: float
    collaborators: dict[str, Permission] = field(default_factory=dict)
    labels: dict[str, GitHubLabel] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    issues: dict[int, GitHubIssue] = field(default_factory=dict)
    #: Installation bots (``name[bot]``) → the permissions their token was granted.
    installations: dict[str, dict[str, str]] = field(default_factory=dict)
    next_number: int = 1
    private: bool = True

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def label(self, name: str) -> GitHubLabel | None:
        """The label called ``name`` (GitHub compares label names case-insensitively)."""
        return self.labels.get(name.lower())

    def sees(self, login: str) -> bool:
        """Whether ``login`` may see the (private) repository at all."""
        return login in self.collaborators or login in self.installations

    def can_push(self, login: str) -> bool:
        """Whether ``login`` may set labels, assignees and milestones."""
        return self.collaborators.get(login) in ("push", "admin") or self.grants(
            login, "issues", "write", installations_only=True
        )

    def grants(
        self, login: str, permission: str, level: str, *, installations_only: bool = False
    ) -> bool:
        """Whether an installation token holds ``permission`` at ``level`` (write implies read).

        A person's token is not limited this way (its role decides), so it is granted unless
        ``installations_only``.
        """
        granted = self.installations.get(login)
        if granted is None:
            return not installations_only
        held = granted.get(permission)
        return held == "write" or (level == "read" and held == "read")


class ValidationFailed(Exception):
    """GitHub's 422: ``{"message": "Validation Failed", "errors": [...]}``."""

    def __init__(self, *errors: dict[str, Any]) -> None:
        super().__init__("Validation Failed")
        self.errors = list(errors)


class GitHubStore:
    """All state of one fake GitHub. Callers hold the sandbox lock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.users: dict[str, GitHubUser] = {}
        self.repos: dict[str, GitHubRepo] = {}
        self.index: LaggingIndex[tuple[int, int], GitHubIssue] = LaggingIndex()
        self._next_id = {
            "user": 1000,
            "repo": 500000,
            "label": 7000000,
            "issue": 3000000000,
            "milestone": 9000000,
            "comment": 1200000000,
        }

    def add_comment(self, issue: GitHubIssue, login: str, payload: Any) -> GitHubComment:
        """Comment on ``issue``. A comment touches the issue's ``updated_at``."""
        body = _comment_body(payload)
        now = self.clock.now()
        comment = GitHubComment(self._new_id("comment"), login, body, now, now)
        issue.comments.append(comment)
        issue.updated_at = now
        return comment

    def edit_comment(self, comment: GitHubComment, payload: Any) -> None:
        """Replace a comment's body (``PATCH …/issues/comments/{id}``)."""
        comment.body = _comment_body(payload)
        comment.updated_at = self.clock.now()

    @staticmethod
    def find_comment(repo: GitHubRepo, comment_id: int) -> tuple[GitHubIssue, GitHubComment] | None:
        """The comment with ``comment_id`` in ``repo``, with its issue."""
        for issue in repo.issues.values():
            for comment in issue.comments:
                if comment.id == comment_id:
                    return issue, comment
        return None

    def _new_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    # --- accounts and repositories -------------------------------------------------------

    def add_user(self, login: str, token: str | None = None) -> GitHubUser:
        """Create an account (or give an existing one a token)."""
        existing = self.users.get(login)
        if existing is not None:
            existing.token = token or existing.token
            return existing
        user_id = self._new_id("user")
        user = GitHubUser(user_id, login, node_id("U", user_id), token)
        self.users[login] = user
        return user

    def user_by_token(self, token: str) -> GitHubUser | None:
        """The account a token belongs to."""
        return next((u for u in self.users.values() if u.token and u.token == token), None)

    def add_repo(self, full_name: str) -> GitHubRepo:
        """Create a repository (its owner becomes an admin collaborator)."""
        owner, _, name = full_name.partition("/")
        if not owner or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"repository names look like 'owner/name', not {full_name!r}")
        existing = self.find_repo(owner, name)
        if existing is not None:
            return existing
        self.add_user(owner)
        repo_id = self._new_id("repo")
        repo = GitHubRepo(repo_id, node_id("R", repo_id), owner, name, self.clock.now())
        repo.collaborators[owner] = "admin"
        self.repos[full_name.lower()] = repo
        return repo

    def find_repo(self, owner: str, name: str) -> GitHubRepo | None:
        """The repository ``owner/name`` (case-insensitive, as on GitHub)."""
        return self.repos.get(f"{owner}/{name}".lower())

    def repo_by_id(self, repo_id: int) -> GitHubRepo | None:
        """The repository with numeric id ``repo_id``."""
        return next((r for r in self.repos.values() if r.id == repo_id), None)

    def add_label(
        self, repo: GitHubRepo, name: str, color: str | None = None, description: str | None = None
    ) -> GitHubLabel:
        """Create a label; an existing name is returned unchanged."""
        existing = repo.label(name)
        if existing is not None:
            return existing
        label_id = self._new_id("label")
        label = GitHubLabel(
            label_id,
            node_id("LA", label_id),
            name,
            color or _LABEL_COLORS[len(repo.labels) % len(_LABEL_COLORS)],
            description,
        )
        repo.labels[name.lower()] = label
        return label

    def add_milestone(self, repo: GitHubRepo, title: str, creator: str) -> Milestone:
        """Create an open milestone."""
        number = len(repo.milestones) + 1
        milestone_id = self._new_id("milestone")
        now = self.clock.now()
        milestone = Milestone(
            milestone_id, node_id("MI", milestone_id), number, title, creator, now, now
        )
        repo.milestones[number] = milestone
        return milestone

    # --- issues --------------------------------------------------------------------------

    def create_issue(
        self,
        repo: GitHubRepo,
        actor: str,
        payload: Any,
        *,
        pull_request: bool = False,
        indexed_at: float | None = None,
    ) -> GitHubIssue:
        """Validate and create an issue as ``actor`` would through ``POST …/issues``.

        ``indexed_at`` backdates the search-index entry (seeded issues are searchable at once).
        """
        if not isinstance(payload, Mapping):
            raise ValidationFailed({"resource": "Issue", "code": "missing_field", "field": "title"})
        title = payload.get("title")
        if title is None or (isinstance(title, str) and not title.strip()):
            raise ValidationFailed({"resource": "Issue", "code": "missing_field", "field": "title"})
        _check_text(str(title), payload.get("body"))
        labels, assignees, milestone = self._people_and_labels(repo, actor, payload, None)
        now = self.clock.now()
        issue_id = self._new_id("issue")
        issue = GitHubIssue(
            id=issue_id,
            node_id=node_id("PR" if pull_request else "I", issue_id),
            number=repo.next_number,
            title=str(title),
            body=payload.get("body"),
            user=actor,
            labels=labels or [],
            assignees=assignees or [],
            milestone=milestone,
            created_at=now,
            updated_at=now,
            is_pull_request=pull_request,
        )
        repo.next_number += 1
        repo.issues[issue.number] = issue
        self.index.record((repo.id, issue.number), issue, now if indexed_at is None else indexed_at)
        return issue

    def create_pull(self, repo: GitHubRepo, actor: str, payload: Any) -> GitHubIssue:
        """Validate and open a pull request as ``POST …/pulls`` does, without git data.

        The branches are not checked against any repository content (the sandbox has none);
        what GitHub validates on the request itself is: ``title``, ``head`` and ``base`` are
        required, ``head`` may be ``owner:branch``, a branch cannot be merged into itself, and
        one open pull request per head and base.
        """
        if not isinstance(payload, Mapping):
            payload = {}
        for name in ("title", "head", "base"):
            value = payload.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationFailed(
                    {"resource": "PullRequest", "code": "missing_field", "field": name}
                )
        head = str(payload["head"])
        owner, _, branch = head.rpartition(":")
        if owner and owner.lower() != repo.owner.lower():
            raise ValidationFailed({"resource": "PullRequest", "code": "invalid", "field": "head"})
        base = str(payload["base"])
        if branch == base:
            raise ValidationFailed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"No commits between {base} and {branch}",
                }
            )
        if self.open_pull(repo, branch, base) is not None:
            raise ValidationFailed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"A pull request already exists for {repo.owner}:{branch}.",
                }
            )
        _check_text(str(payload["title"]), payload.get("body"))
        issue = self.create_issue(
            repo,
            actor,
            {"title": payload["title"], "body": payload.get("body")},
            pull_request=True,
        )
        issue.head_ref, issue.base_ref = branch, base
        issue.draft = bool(payload.get("draft", False))
        return issue

    def open_pull(self, repo: GitHubRepo, head: str, base: str | None) -> GitHubIssue | None:
        """The open pull request from branch ``head`` (into ``base``, when given)."""
        return next(
            (
                i
                for i in repo.issues.values()
                if i.is_pull_request
                and i.state == "open"
                and i.head_ref == head
                and (base is None or i.base_ref == base)
            ),
            None,
        )

    def edit_issue(self, repo: GitHubRepo, issue: GitHubIssue, actor: str, payload: Any) -> None:
        """Apply ``PATCH …/issues/{n}``: lists given replace the whole set."""
        if not isinstance(payload, Mapping):
            return
        if "title" in payload and (
            not isinstance(payload["title"], str) or not payload["title"].strip()
        ):
            raise ValidationFailed({"resource": "Issue", "code": "missing_field", "field": "title"})
        _check_text(str(payload.get("title", issue.title)), payload.get("body"))
        state = payload.get("state", issue.state)
        if state not in ("open", "closed"):
            raise ValidationFailed(
                {"value": state, "resource": "Issue", "field": "state", "code": "invalid"}
            )
        reason = payload.get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            raise ValidationFailed(
                {"value": reason, "resource": "Issue", "field": "state_reason", "code": "invalid"}
            )
        labels, assignees, milestone = self._people_and_labels(repo, actor, payload, issue)
        if "title" in payload:
            issue.title = payload["title"]
        if "body" in payload:
            issue.body = payload["body"]
        if labels is not None:
            issue.labels = labels
        if assignees is not None:
            issue.assignees = assignees
        if "milestone" in payload and repo.can_push(actor):
            issue.milestone = milestone
        self.set_state(repo, issue, state, reason, actor)

    def set_state(
        self, repo: GitHubRepo, issue: GitHubIssue, state: str, reason: str | None, actor: str
    ) -> None:
        """Open or close ``issue``; closing defaults to ``completed``, reopening to ``reopened``."""
        now = self.clock.now()
        if state == "closed":
            if issue.state != "closed":
                issue.closed_at = now
                issue.closed_by = actor
            issue.state_reason = reason or (
                issue.state_reason if issue.state == "closed" else "completed"
            )
        elif issue.state == "closed":
            issue.closed_at = None
            issue.closed_by = None
            issue.state_reason = "reopened"
        issue.state = state
        self.touch_issue(repo, issue)

    def touch_issue(self, repo: GitHubRepo, issue: GitHubIssue) -> None:
        """Mark ``issue`` as written now; search sees it after the index lag."""
        issue.updated_at = self.clock.now()
        self.index.record((repo.id, issue.number), issue, issue.updated_at)

    def _people_and_labels(
        self, repo: GitHubRepo, actor: str, payload: Mapping[str, Any], issue: GitHubIssue | None
    ) -> tuple[list[str] | None, list[str] | None, int | None]:
        # GitHub silently ignores these three fields from someone without push access.
        if not repo.can_push(actor):
            return None, None, issue.milestone if issue else None
        labels = None
        if payload.get("labels") is not None:
            labels = []
            for raw in payload["labels"]:
                name = raw.get("name") if isinstance(raw, Mapping) else raw
                if not isinstance(name, str):
                    raise ValidationFailed(
                        {"value": raw, "resource": "Label", "field": "name", "code": "invalid"}
                    )
                labels.append(self.add_label(repo, name).name)
            labels = list(dict.fromkeys(labels))
        assignees = None
        wanted = list(payload.get("assignees") or [])
        if payload.get("assignee"):
            wanted.insert(0, payload["assignee"])
        if "assignees" in payload or payload.get("assignee"):
            for login in wanted:
                if login not in repo.collaborators:
                    raise ValidationFailed(
                        {
                            "value": login,
                            "resource": "Issue",
                            "field": "assignees",
                            "code": "invalid",
                        }
                    )
            assignees = list(dict.fromkeys(wanted))
        milestone = issue.milestone if issue else None
        if "milestone" in payload:
            milestone = payload["milestone"]
            if milestone is not None and milestone not in repo.milestones:
                raise ValidationFailed(
                    {
                        "value": milestone,
                        "resource": "Issue",
                        "field": "milestone",
                        "code": "invalid",
                    }
                )
        return labels, assignees, milestone


def _check_text(title: str, body: Any) -> None:
    if len(title) > TITLE_LIMIT:
        raise ValidationFailed(
            {
                "resource": "Issue",
                "code": "custom",
                "field": "title",
                "message": f"title is too long (maximum is {TITLE_LIMIT} characters)",
            }
        )
    if isinstance(body, str) and len(body) > BODY_LIMIT:
        raise ValidationFailed(
            {
                "resource": "Issue",
                "code": "custom",
                "field": "body",
                "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
            }
        )


def _comment_body(payload: Any) -> str:
    body = payload.get("body") if isinstance(payload, dict) else None
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(
            {"resource": "IssueComment", "field": "body", "code": "missing_field"}
        )
    return body
