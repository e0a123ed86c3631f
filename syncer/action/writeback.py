"""Step 4 of the Action: the edited documents committed as the bot and pushed.

:func:`write_back` commits them; a rejected push is rebased once and retried, and if that fails
too the commit goes to a pull request instead (:func:`open_pull_request`).

Loops: the write-back commit carries the trailer ``Pmsync-Write-Back: true`` and the bot's
identity; an event whose head commit has either is skipped (:mod:`~syncer.action.scope`).
Pushes made with the workflow's ``GITHUB_TOKEN`` start no workflow at all, and a second run over
written-back documents has nothing left to write, so even a token that does trigger workflows
cannot loop. ``[skip ci]`` is not used by default: it would also stop the repository's own checks
on the write-back commit (required checks on a protected branch would then never report);
``skip_ci`` adds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from syncer.action.event import Event
from syncer.action.git import Git, GitResult
from syncer.action.options import TRAILER, ActionOptions
from syncer.action.results import WriteBack
from syncer.action.scope import Scope
from syncer.errors import PmsyncError

PR_BRANCH_PREFIX = "pmsync/write-back-"
MESSAGES = {
    "push": "pmsync: link action items to tickets",
    "pull": "pmsync: update action-item statuses from the trackers",
}
# git's words for a push refused because the remote moved on (retry after a rebase), as opposed
# to one refused by a hook or branch protection (go straight to a pull request).
_BEHIND = re.compile(r"non-fast-forward|fetch first|\(stale info\)|updates were rejected because")


def target_branch(git: Git, event: Event) -> str | None:
    """The branch the documents came from: the merged-into branch, or the pushed one."""
    if event.name == "pull_request":
        base = event.pull_request.get("base")
        ref = base.get("ref") if isinstance(base, Mapping) else None
        return str(ref) if ref else None
    if event.ref.startswith("refs/heads/"):
        return event.ref.removeprefix("refs/heads/")
    return git.current_branch()


def commit_message(options: ActionOptions, files: Sequence[str], head: str | None) -> str:
    """The write-back commit message: what, why, and the trailer that stops loops."""
    subject = MESSAGES.get(options.command, "pmsync: write back") + (
        " [skip ci]" if options.skip_ci else "")
    listing = "\n".join(f"- {f}" for f in files)
    after = f" after {head[:12]}" if head else ""
    return (f"{subject}\n\nWritten by pmsync {options.command}{after}:\n{listing}\n\n"
            f"{TRAILER}\n")


def write_back(git: Git, event: Event, options: ActionOptions, scope: Scope,
               env: Mapping[str, str]) -> WriteBack:
    """Commit the edited documents as the bot; push, rebase once, or open a pull request."""
    files = tuple(git.modified(list(scope.files)))
    if options.write_back == "none" or not files:
        return WriteBack("none" if files else "nothing", files)
    branch = target_branch(git, event)
    if branch is None:
        return WriteBack("failed", files, message="no branch to write back to (detached HEAD "
                                                  "outside a push or pull-request event)")
    identity = {"GIT_AUTHOR_NAME": options.bot.name, "GIT_AUTHOR_EMAIL": options.bot.email,
                "GIT_COMMITTER_NAME": options.bot.name, "GIT_COMMITTER_EMAIL": options.bot.email}
    git.out("add", "--", *files)
    committed = git.run("commit", "--quiet", "-m", commit_message(options, files, scope.head),
                        "--", *files, env=identity)
    if not committed.ok:
        return WriteBack("failed", files, message=f"git commit failed: {committed.err.strip()}")
    commit = git.head()
    if options.write_back == "commit":
        pushed = _push_with_one_rebase(git, branch, identity)
        if pushed is None:
            return WriteBack("pushed", files, git.head(), branch)
        reason = pushed
    else:
        reason = "write-back mode is pull-request"
    return _pull_request_instead(git, event, options, env, files, commit, branch, reason, scope)


def _push_with_one_rebase(git: Git, branch: str, identity: Mapping[str, str]) -> str | None:
    """Push HEAD to ``branch``: ``None`` when it landed, else why it did not."""
    first = git.run("push", "--porcelain", git.remote, f"HEAD:refs/heads/{branch}")
    if first.ok:
        return None
    if not _BEHIND.search(first.err + first.out):
        return f"push to {branch} refused: {_last_line(first)}"
    fetched = git.run("fetch", "--no-tags", "--quiet", git.remote, f"refs/heads/{branch}")
    if not fetched.ok:
        return f"push to {branch} refused and fetching it failed: {_last_line(fetched)}"
    rebased = git.run("rebase", "--quiet", "FETCH_HEAD", env=identity)
    if not rebased.ok:
        git.run("rebase", "--abort")
        return f"{branch} moved on and the write-back does not rebase cleanly onto it"
    second = git.run("push", "--porcelain", git.remote, f"HEAD:refs/heads/{branch}")
    if second.ok:
        return None
    return f"push to {branch} refused after a rebase: {_last_line(second)}"


def _pull_request_instead(git: Git, event: Event, options: ActionOptions,
                          env: Mapping[str, str], files: tuple[str, ...], commit: str,
                          base: str, reason: str, scope: Scope) -> WriteBack:
    head_branch = PR_BRANCH_PREFIX + (scope.head or commit)[:12]
    # The branch is pmsync's own: a rerun of the same event replaces it.
    pushed = git.run("push", "--porcelain", git.remote, f"+HEAD:refs/heads/{head_branch}")
    if not pushed.ok:
        return WriteBack("failed", files, commit, base,
                         message=f"{reason}; pushing {head_branch} failed too: "
                                 f"{_last_line(pushed)}")
    title = MESSAGES.get(options.command, "pmsync: write back")
    body = (f"pmsync could not write back to `{base}` directly ({reason}), so the edited "
            f"documents are here instead:\n\n" + "\n".join(f"- `{f}`" for f in files)
            + f"\n\nMerging this pull request triggers no new tickets: the links it adds are "
              f"pmsync's own.\n\n{TRAILER}")
    try:
        url = open_pull_request(env, event, head_branch, base, title, body)
    except PmsyncError as exc:
        return WriteBack("failed", files, git.head(), head_branch,
                         message=f"{reason}; opening a pull request failed: {exc}")
    return WriteBack("pull-request", files, git.head(), head_branch, url, reason)


def _last_line(outcome: GitResult) -> str:
    """The server's reason for a refusal (``remote:`` lines), else git's own last word."""
    lines = [line.strip() for line in (outcome.err + outcome.out).splitlines() if line.strip()]
    remote = [line[7:].strip() for line in lines if line.startswith("remote:")]
    remote = [line for line in remote if line]
    rejected = [line.split("\t")[-1] for line in lines if "rejected" in line]
    parts = remote[-1:] + rejected[-1:]
    return " ".join(parts) if parts else (lines or ["(no message)"])[-1]


def open_pull_request(env: Mapping[str, str], event: Event, head: str, base: str, title: str,
                      body: str) -> str:
    """Open (or find the already open) pull request from ``head`` into ``base``; its URL.

    The repository is the one the workflow runs in (``GITHUB_REPOSITORY``), reached at
    ``GITHUB_API_URL`` with ``GITHUB_TOKEN`` (``PMSYNC_GITHUB__TOKEN`` when that is unset).
    GitHub refusals are read as the GitHub connector reads them
    (:mod:`connectors.delivery.pull_request`).
    """
    from connectors.delivery.pull_request import open_pull_request as open_on_github

    token = env.get("GITHUB_TOKEN") or env.get("PMSYNC_GITHUB__TOKEN")
    name = event.repository or env.get("PMSYNC_GITHUB__REPO", "")
    if not token or not name:
        raise PmsyncError("set GITHUB_TOKEN and GITHUB_REPOSITORY to open a pull request")
    return open_on_github(token, env.get("GITHUB_API_URL") or "https://api.github.com", name,
                          head, base, title, body)
