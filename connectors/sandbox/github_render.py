"""JSON shapes of the fake GitHub, modelled on the recorded payloads in ``api-samples/github``.

``url`` fields point at the sandbox's API root and ``html_url`` fields at its host, so PyGithub,
which builds follow-up requests from ``url`` fields, stays on the sandbox.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from connectors.sandbox.github_model import (
    GitHubComment,
    GitHubIssue,
    GitHubLabel,
    GitHubRepo,
    GitHubStore,
    GitHubUser,
    Milestone,
    node_id,
)


def github_time(timestamp: float | None) -> str | None:
    """GitHub's ISO 8601 timestamps: whole seconds, ``Z``."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# What a pull request shares with its issue; the rest of its shape is its own.
_PULL_FIELDS_FROM_ISSUE = [
    "id",
    "node_id",
    "html_url",
    "number",
    "state",
    "locked",
    "title",
    "user",
    "body",
    "labels",
    "milestone",
    "active_lock_reason",
    "created_at",
    "updated_at",
    "closed_at",
    "assignee",
    "assignees",
    "author_association",
]


def _fake_sha(repo: GitHubRepo, ref: str | None) -> str:
    # The sandbox keeps no git objects: a stable stand-in with the shape of a commit id.
    return hashlib.sha1(f"{repo.full_name}:{ref}".encode()).hexdigest()


class GitHubRenderer:
    """Renders store objects for one request."""

    def __init__(self, store: GitHubStore, api_root: str, web_root: str) -> None:
        self.store = store
        self.api_root = api_root
        self.web_root = web_root

    def user(self, login: str | None) -> dict[str, Any] | None:
        """A user summary as embedded in issues."""
        if login is None:
            return None
        account = self.store.users.get(login) or GitHubUser(0, login, node_id("U", login))
        url = f"{self.api_root}/users/{login}"
        return {
            "login": login,
            "id": account.id,
            "node_id": account.node_id,
            "avatar_url": f"{self.web_root}/avatars/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{self.web_root}/{login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def repo_url(self, repo: GitHubRepo) -> str:
        """The API URL of ``repo``."""
        return f"{self.api_root}/repos/{repo.full_name}"

    def label(self, repo: GitHubRepo, label: GitHubLabel) -> dict[str, Any]:
        """A label."""
        return {
            "id": label.id,
            "node_id": label.node_id,
            "url": f"{self.repo_url(repo)}/labels/{label.name}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def milestone(self, repo: GitHubRepo, milestone: Milestone) -> dict[str, Any]:
        """A milestone with its issue counts."""
        issues = [i for i in repo.issues.values() if i.milestone == milestone.number]
        url = f"{self.repo_url(repo)}/milestones/{milestone.number}"
        return {
            "url": url,
            "html_url": f"{self.web_root}/{repo.full_name}/milestone/{milestone.number}",
            "labels_url": f"{url}/labels",
            "id": milestone.id,
            "node_id": milestone.node_id,
            "number": milestone.number,
            "title": milestone.title,
            "description": milestone.description,
            "creator": self.user(milestone.creator),
            "open_issues": sum(1 for i in issues if i.state == "open"),
            "closed_issues": sum(1 for i in issues if i.state == "closed"),
            "state": milestone.state,
            "created_at": github_time(milestone.created_at),
            "updated_at": github_time(milestone.updated_at),
            "due_on": github_time(milestone.due_on),
            "closed_at": github_time(milestone.closed_at),
        }

    def comment(self, repo: GitHubRepo, issue: GitHubIssue, comment: GitHubComment
                ) -> dict[str, Any]:
        """An issue comment as ``…/issues/{n}/comments`` and ``…/issues/comments/{id}`` show it."""
        issue_url = f"{self.repo_url(repo)}/issues/{issue.number}"
        kind = "pull" if issue.is_pull_request else "issues"
        return {
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "url": f"{self.repo_url(repo)}/issues/comments/{comment.id}",
            "html_url": f"{self.web_root}/{repo.full_name}/{kind}/{issue.number}"
                        f"#issuecomment-{comment.id}",
            "issue_url": issue_url,
            "body": comment.body,
            "user": self.user(comment.login),
            "created_at": github_time(comment.created_at),
            "updated_at": github_time(comment.updated_at),
            "author_association": "MEMBER",
        }

    def issue(self, repo: GitHubRepo, issue: GitHubIssue) -> dict[str, Any]:
        """An issue (or pull request) as ``GET …/issues/{n}`` and the list show it."""
        url = f"{self.repo_url(repo)}/issues/{issue.number}"
        html_url = (
            f"{self.web_root}/{repo.full_name}/{'pull' if issue.is_pull_request else 'issues'}"
            f"/{issue.number}"
        )
        assignees = [self.user(login) for login in issue.assignees]
        milestone = repo.milestones.get(issue.milestone) if issue.milestone else None
        labels = [
            self.label(repo, found)
            for name in issue.labels
            if (found := repo.label(name)) is not None
        ]
        body: dict[str, Any] = {
            "url": url,
            "repository_url": self.repo_url(repo),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": html_url,
            "id": issue.id,
            "node_id": issue.node_id,
            "number": issue.number,
            "title": issue.title,
            "user": self.user(issue.user),
            "labels": labels,
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": self.milestone(repo, milestone) if milestone else None,
            "comments": len(issue.comments),
            "created_at": github_time(issue.created_at),
            "updated_at": github_time(issue.updated_at),
            "closed_at": github_time(issue.closed_at),
            "author_association": "OWNER"
            if issue.user == repo.owner
            else ("COLLABORATOR" if issue.user in repo.collaborators else "NONE"),
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "issue_dependencies_summary": {
                "blocked_by": 0,
                "total_blocked_by": 0,
                "blocking": 0,
                "total_blocking": 0,
            },
            "body": issue.body,
            "closed_by": self.user(issue.closed_by),
            "reactions": {
                "url": f"{url}/reactions",
                "total_count": 0,
                "+1": 0,
                "-1": 0,
                "laugh": 0,
                "hooray": 0,
                "confused": 0,
                "heart": 0,
                "rocket": 0,
                "eyes": 0,
            },
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.is_pull_request:
            pull_url = f"{self.repo_url(repo)}/pulls/{issue.number}"
            body["draft"] = False
            body["pull_request"] = {
                "url": pull_url,
                "html_url": html_url,
                "diff_url": f"{html_url}.diff",
                "patch_url": f"{html_url}.patch",
                "merged_at": None,
            }
        return body

    def pull(self, repo: GitHubRepo, issue: GitHubIssue) -> dict[str, Any]:
        """A pull request as ``POST …/pulls`` and ``GET …/pulls/{n}`` show it (no git data)."""
        as_issue = self.issue(repo, issue)
        url = f"{self.repo_url(repo)}/pulls/{issue.number}"
        html_url = as_issue["html_url"]
        body = {key: as_issue[key] for key in _PULL_FIELDS_FROM_ISSUE}
        body.update(
            {
                "url": url,
                "diff_url": f"{html_url}.diff",
                "patch_url": f"{html_url}.patch",
                "issue_url": as_issue["url"],
                "commits_url": f"{url}/commits",
                "review_comments_url": f"{url}/comments",
                "comments_url": as_issue["comments_url"],
                "statuses_url": f"{self.repo_url(repo)}/statuses/{_fake_sha(repo, issue.head_ref)}",
                "review_comment_url": f"{self.repo_url(repo)}/pulls/comments{{/number}}",
                "_links": self._pull_links(repo, issue, url, html_url),
                "auto_merge": None,
                "merged_at": None,
                "merge_commit_sha": None,
                "requested_reviewers": [],
                "requested_teams": [],
                "head": self._branch(repo, issue.head_ref),
                "base": self._branch(repo, issue.base_ref),
                "draft": issue.draft,
                "merged": False,
                "mergeable": None,
                "rebaseable": None,
                "mergeable_state": "unknown",
                "merged_by": None,
                "comments": 0,
                "review_comments": 0,
                "maintainer_can_modify": False,
                "commits": 1,
                "additions": 0,
                "deletions": 0,
                "changed_files": 0,
            }
        )
        return body

    def _pull_links(
        self, repo: GitHubRepo, issue: GitHubIssue, url: str, html_url: str
    ) -> dict[str, dict[str, str]]:
        issue_url = f"{self.repo_url(repo)}/issues/{issue.number}"
        sha = _fake_sha(repo, issue.head_ref)
        hrefs = {
            "self": url,
            "html": html_url,
            "issue": issue_url,
            "comments": f"{issue_url}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{self.repo_url(repo)}/pulls/comments{{/number}}",
            "commits": f"{url}/commits",
            "statuses": f"{self.repo_url(repo)}/statuses/{sha}",
        }
        return {name: {"href": href} for name, href in hrefs.items()}

    def _branch(self, repo: GitHubRepo, ref: str | None) -> dict[str, Any]:
        return {
            "label": f"{repo.owner}:{ref}",
            "ref": ref,
            "sha": _fake_sha(repo, ref),
            "user": self.user(repo.owner),
            "repo": self.repo(repo, repo.owner),
        }

    def repo(self, repo: GitHubRepo, viewer: str) -> dict[str, Any]:
        """A repository, with the viewer's ``permissions`` when the viewer is a person.

        An installation token (Actions, GitHub Apps) gets no ``permissions``: what it may do is
        only learnt by trying (the description marks the field optional).
        """
        body = self._repo_fields(repo)
        if viewer not in repo.installations:
            body["permissions"] = _role_permissions(repo.collaborators.get(viewer, "read"))
        return body

    def _repo_fields(self, repo: GitHubRepo) -> dict[str, Any]:
        url = self.repo_url(repo)
        html_url = f"{self.web_root}/{repo.full_name}"
        host = self.web_root.split("://", 1)[-1]
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        created = github_time(repo.created_at)
        return {
            "id": repo.id,
            "node_id": repo.node_id,
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user(repo.owner),
            "html_url": html_url,
            "description": "Postmortem action items (pmsync sandbox)",
            "fork": False,
            "url": url,
            **{f"{name}_url": f"{url}/{path}" for name, path in _REPO_URLS.items()},
            "git_url": f"git://{host}/{repo.full_name}.git",
            "ssh_url": f"git@{host}:{repo.full_name}.git",
            "clone_url": f"{html_url}.git",
            "svn_url": html_url,
            "mirror_url": None,
            "created_at": created,
            "updated_at": created,
            "pushed_at": created,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "language": None,
            "forks_count": 0,
            "forks": 0,
            "network_count": 0,
            "subscribers_count": 0,
            "license": None,
            "has_issues": True,
            "has_projects": False,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "default_branch": "main",
        }


#: A repository's URL templates, as GitHub renders them (``{name}_url`` → path under its URL).
_REPO_URLS = {
    "forks": "forks",
    "keys": "keys{/key_id}",
    "collaborators": "collaborators{/collaborator}",
    "teams": "teams",
    "hooks": "hooks",
    "issue_events": "issues/events{/number}",
    "events": "events",
    "assignees": "assignees{/user}",
    "branches": "branches{/branch}",
    "tags": "tags",
    "blobs": "git/blobs{/sha}",
    "git_tags": "git/tags{/sha}",
    "git_refs": "git/refs{/sha}",
    "trees": "git/trees{/sha}",
    "statuses": "statuses/{sha}",
    "languages": "languages",
    "stargazers": "stargazers",
    "contributors": "contributors",
    "subscribers": "subscribers",
    "subscription": "subscription",
    "commits": "commits{/sha}",
    "git_commits": "git/commits{/sha}",
    "comments": "comments{/number}",
    "issue_comment": "issues/comments{/number}",
    "contents": "contents/{+path}",
    "compare": "compare/{base}...{head}",
    "merges": "merges",
    "archive": "{archive_format}{/ref}",
    "downloads": "downloads",
    "issues": "issues{/number}",
    "pulls": "pulls{/number}",
    "milestones": "milestones{/number}",
    "notifications": "notifications{?since,all,participating}",
    "labels": "labels{/name}",
    "releases": "releases{/id}",
    "deployments": "deployments",
}


def _role_permissions(role: str) -> dict[str, bool]:
    rank = ("read", "triage", "push", "admin").index(role)
    return {
        "admin": rank >= 3,
        "maintain": rank >= 3,
        "push": rank >= 2,
        "triage": rank >= 1,
        "pull": True,
    }
