"""What a fresh sandbox contains: one Jira project, one GitHub repository, people and tokens.

The tokens are fixed strings on purpose: they only open the local sandbox, and fixed values let a
user paste the printed environment once and keep it across restarts.
"""

from __future__ import annotations

from connectors.sandbox.github_model import GitHubStore
from connectors.sandbox.jira_model import JiraStore

JIRA_PROJECT = "OPS"
JIRA_EMAIL = "pmsync-bot@example.com"
JIRA_TOKEN = "sandbox-jira-token"
GITHUB_REPO = "pmsync-sandbox/postmortems"
GITHUB_LOGIN = "pmsync-bot"
GITHUB_TOKEN = "sandbox-github-token"
#: A collaborator with read access only: GitHub silently drops its labels and assignees.
GITHUB_READ_LOGIN = "reader"
GITHUB_READ_TOKEN = "sandbox-github-read-token"
#: An account with no access to the repository, which it therefore cannot even see.
GITHUB_OUTSIDER_LOGIN = "outsider"
GITHUB_OUTSIDER_TOKEN = "sandbox-github-outsider-token"
#: A collaborator with the triage role: it too cannot set labels on a new issue.
GITHUB_TRIAGE_LOGIN = "triager"
GITHUB_TRIAGE_TOKEN = "sandbox-github-triage-token"
#: Installation tokens (``ghs_``, as the Actions ``GITHUB_TOKEN``): the repository answer
#: carries no ``permissions``; one was granted ``issues: write``, the other only ``issues: read``.
GITHUB_APP_LOGIN = "github-actions[bot]"
GITHUB_APP_TOKEN = "ghs_sandboxInstallationIssuesWrite000001"
GITHUB_APP_READ_LOGIN = "pmsync-readonly[bot]"
GITHUB_APP_READ_TOKEN = "ghs_sandboxInstallationIssuesRead0000001"


def seed_jira(store: JiraStore) -> None:
    """Add the bot (token owner), two assignable people and project ``OPS``."""
    bot = store.add_user("pmsync bot", JIRA_EMAIL, name="pmsync-bot", token=JIRA_TOKEN)
    store.add_user("Alice Example", "alice@example.com", name="alice")
    store.add_user("Bob Example", "bob@example.com", name="bob")
    project = store.add_project(JIRA_PROJECT, "Operations", bot.account_id)
    project.components.extend(["Backend", "Platform"])


def seed_github(store: GitHubStore) -> None:
    """Add the repository, its collaborators, labels and a milestone."""
    repo = store.add_repo(GITHUB_REPO)
    store.add_user(GITHUB_LOGIN, GITHUB_TOKEN)
    store.add_user("alice")
    store.add_user(GITHUB_READ_LOGIN, GITHUB_READ_TOKEN)
    store.add_user(GITHUB_OUTSIDER_LOGIN, GITHUB_OUTSIDER_TOKEN)
    store.add_user(GITHUB_TRIAGE_LOGIN, GITHUB_TRIAGE_TOKEN)
    repo.collaborators.update({
        GITHUB_LOGIN: "push", "alice": "push", GITHUB_READ_LOGIN: "read",
        GITHUB_TRIAGE_LOGIN: "triage",
    })
    store.add_user(GITHUB_APP_LOGIN, GITHUB_APP_TOKEN)
    store.add_user(GITHUB_APP_READ_LOGIN, GITHUB_APP_READ_TOKEN)
    repo.installations.update({
        GITHUB_APP_LOGIN: {"issues": "write", "metadata": "read", "contents": "read"},
        GITHUB_APP_READ_LOGIN: {"issues": "read", "metadata": "read", "contents": "read"},
    })
    store.add_label(repo, "bug", "d73a4a", "Something isn't working").default = True
    store.add_label(repo, "postmortem", "5319e7", "Follow-up from a postmortem")
    milestone = store.add_milestone(repo, "Q3 reliability", repo.owner)
    milestone.due_on = milestone.created_at + 90 * 86400
