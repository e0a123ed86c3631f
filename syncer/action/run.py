"""pmsync as a GitHub Action: which postmortems an event touched, the run, and the write-back.

``action.yml`` only installs pmsync and calls ``pmsync action``; everything that decides
anything lives here so it can be tested with simulated event payloads and real git repositories:

1. :func:`read_event` reads ``GITHUB_EVENT_NAME`` / ``GITHUB_EVENT_PATH`` and friends, and
   :func:`check_event` refuses events the Action is not made for (``pull_request_target`` above
   all: it runs with the repository's secrets on whatever a fork's pull request holds).
2. :func:`find_scope` picks the postmortems the push or the merged pull request changed, matched
   against the ``paths`` globs, or says why nothing runs (a commit pmsync made itself, a pull
   request closed without merging, a deleted branch). Scheduled and manual runs take every
   matching postmortem; with ``catch_up`` a push also takes every one that still has items
   without a ticket, so a run that failed heals on the next.
3. :func:`run_command` runs ``pmsync push|pull|check|report`` on them in this process, from the
   repository root, through a :data:`CommandRunner` (the CLI's commands, with their typed
   results). The process must not import code from the repository: ``action.yml`` starts it
   with ``python -I``, and ``pmsync action`` drops the working directory and ``PYTHONPATH``
   from ``sys.path`` before it imports anything more
   (:func:`syncer.cli.main.keep_repository_off_import_path`).
4. :func:`write_back` commits the edited documents as the bot and pushes; a rejected push is
   rebased once and retried, and if that fails too the commit goes to a pull request instead.
5. :func:`publish` writes ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY``.

Loops: the write-back commit carries the trailer ``Pmsync-Write-Back: true`` and the bot's
identity; an event whose head commit has either is skipped. Pushes made with the workflow's
``GITHUB_TOKEN`` start no workflow at all, and a second run over written-back documents has
nothing left to write, so even a token that does trigger workflows cannot loop. ``[skip ci]``
is not used by default: it would also stop the repository's own checks on the write-back
commit (required checks on a protected branch would then never report); ``skip_ci`` adds it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncer.action.git import ZERO_SHA, Git, GitResult
from syncer.errors import (
    EXIT_OK,
    EXIT_PROBLEMS,
    ConfigError,
    InputError,
    PmsyncError,
    exit_code_for,
    is_internal,
    outcome_exit_code,
)

if TYPE_CHECKING:
    from syncer.sync.results import DocumentResult, RunResult

COMMANDS = ("push", "pull", "check", "report")
#: The events the Action runs on (``local`` is a run outside Actions, without an event).
EVENTS = ("push", "pull_request", "schedule", "workflow_dispatch")
#: Events refused by name, with why: each runs with the repository's secrets and a write token
#: on content a fork's pull request chooses.
UNSAFE_EVENTS = {
    "pull_request_target": "it runs with the repository's secrets and a write token while the "
                           "pull request (perhaps a fork's) chooses the documents",
}
WRITE_BACK_MODES = ("commit", "pull-request", "none")
DEFAULT_PATHS = ("postmortems/**/*.md",)
TRAILER = "Pmsync-Write-Back: true"
PR_BRANCH_PREFIX = "pmsync/write-back-"
#: Options the Action always gives a command, before the ``args`` input (which may override
#: them): a check annotates the pull request or commit.
COMMAND_OPTIONS = {"check": ("--format", "github")}
MESSAGES = {
    "push": "pmsync: link action items to tickets",
    "pull": "pmsync: update action-item statuses from the trackers",
}
# git's words for a push refused because the remote moved on (retry after a rebase), as opposed
# to one refused by a hook or branch protection (go straight to a pull request).
_BEHIND = re.compile(r"non-fast-forward|fetch first|\(stale info\)|updates were rejected because")


@dataclass(frozen=True)
class Bot:
    """Who write-back commits are made as."""

    name: str = "pmsync[bot]"
    email: str = "pmsync[bot]@users.noreply.github.com"


@dataclass(frozen=True)
class ActionOptions:
    """The inputs of the Action (``pmsync action`` options)."""

    command: str = "push"
    paths: tuple[str, ...] = DEFAULT_PATHS
    write_back: str = "commit"
    bot: Bot = field(default_factory=Bot)
    skip_ci: bool = False
    args: tuple[str, ...] = ()
    config_file: Path | None = None
    workdir: Path = Path(".")
    catch_up: bool = False  # push: also every matching postmortem with items still unticketed


@dataclass(frozen=True)
class Event:
    """The workflow run's trigger, as GitHub describes it in the environment."""

    name: str
    payload: Mapping[str, Any]
    sha: str = ""
    ref: str = ""
    repository: str = ""
    server_url: str = "https://github.com"

    @property
    def pull_request(self) -> Mapping[str, Any]:
        """The ``pull_request`` object of a pull-request event (empty otherwise)."""
        value = self.payload.get("pull_request")
        return value if isinstance(value, Mapping) else {}

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch, when the payload names it."""
        repo = self.payload.get("repository")
        name = repo.get("default_branch") if isinstance(repo, Mapping) else None
        return name if isinstance(name, str) and name else None


@dataclass(frozen=True)
class Scope:
    """The documents a run works on, how they were chosen, or why nothing runs."""

    files: tuple[str, ...] = ()
    reason: str = ""
    skipped: str | None = None
    head: str | None = None  # the commit the event is about


@dataclass(frozen=True)
class CommandRun:
    """What the pmsync command did: its exit code and typed results, or the error that stopped
    it (re-raised by ``pmsync action`` once the outputs are written, so it is reported once)."""

    exit_code: int
    result: RunResult | None = None  # push and pull
    summary: str = ""  # check: its one-line summary
    error: Exception | None = None

    @property
    def documents(self) -> list[DocumentResult]:
        """Per document, what push or pull did (empty for check and report)."""
        return self.result.documents if self.result is not None else []

    def total(self, outcome: str) -> int:
        """Items with ``outcome`` over every document (0 for check and report)."""
        return self.result.total(outcome) if self.result is not None else 0


#: Runs ``pmsync COMMAND ARGS -- FILES`` in this process (``syncer.cli.main.command_runner``).
CommandRunner = Callable[[str, Sequence[str], Sequence[str]], CommandRun]


@dataclass(frozen=True)
class WriteBack:
    """How the edited documents reached the repository (or why they did not)."""

    outcome: str  # "none", "nothing", "pushed", "pull-request", "failed"
    files: tuple[str, ...] = ()
    commit: str | None = None
    branch: str | None = None
    pull_request: str | None = None
    message: str = ""


@dataclass(frozen=True)
class ActionResult:
    """Everything one Action run decided and did."""

    command: str
    event: str
    scope: Scope
    run: CommandRun | None = None
    write_back: WriteBack | None = None

    @property
    def exit_code(self) -> int:
        """The command's code (:mod:`syncer.errors`), at least 1 when the write-back failed."""
        failed = self.write_back is not None and self.write_back.outcome == "failed"
        return max(self.run.exit_code if self.run else EXIT_OK, outcome_exit_code(problems=failed))


# --- 1. the event ------------------------------------------------------------------------


def read_event(env: Mapping[str, str]) -> Event:
    """The event from ``GITHUB_EVENT_NAME`` and the JSON file at ``GITHUB_EVENT_PATH``.

    Outside Actions (no event name) the event is ``"local"``: every matching file is in scope.
    """
    name = env.get("GITHUB_EVENT_NAME", "") or "local"
    path = env.get("GITHUB_EVENT_PATH", "")
    payload: Mapping[str, Any] = {}
    if path:
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(path, "GITHUB_EVENT_PATH names no file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, f"event payload is not JSON: {exc}") from None
        payload = loaded if isinstance(loaded, dict) else {}
    return Event(name, payload, env.get("GITHUB_SHA", ""), env.get("GITHUB_REF", ""),
                 env.get("GITHUB_REPOSITORY", ""),
                 env.get("GITHUB_SERVER_URL", "") or "https://github.com")


def check_event(event: Event) -> None:
    """Refuse, naming the supported events, an event the Action is not made for (exit 2).

    Another event would take every matching file and push from it whatever started the run;
    ``pull_request_target`` is named as unsafe.
    """
    if event.name in (*EVENTS, "local"):
        return
    supported = f"supported: {', '.join(EVENTS)}"
    if event.name in UNSAFE_EVENTS:
        raise ConfigError(f"the {event.name} event is unsafe for pmsync: "
                          f"{UNSAFE_EVENTS[event.name]}; check pull requests on pull_request and "
                          f"push on push ({supported})")
    raise ConfigError(f"pmsync action does not run on {event.name} events "
                      f"(GITHUB_EVENT_NAME); {supported}")


# --- 2. the scope ------------------------------------------------------------------------


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A ``/``-separated glob as a regex: ``**`` spans folders, ``*`` and ``?`` stay in one."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body[0] in "!^" else body).replace("\\", "\\\\")
                       + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def split_paths(values: Sequence[str]) -> tuple[str, ...]:
    """Globs from options that may each hold several, one a line or comma-separated."""
    found = [part.strip() for value in values for part in re.split(r"[\n,]", value)]
    return tuple(part for part in found if part) or DEFAULT_PATHS


def matching(files: Sequence[str], globs: Sequence[str]) -> list[str]:
    """The files any glob matches (a leading ``./`` ignored), in order, each once."""
    patterns = [glob_regex(g.removeprefix("./")) for g in globs]
    return list(dict.fromkeys(f for f in files if any(p.match(f) for p in patterns)))


def is_own_commit(git: Git, sha: str, bot: Bot) -> bool:
    """Whether pmsync made this commit: its trailer, or the bot's e-mail as author."""
    if not git.has_commit(sha):
        return False
    _, email, message = git.commit_identity_and_message(sha)
    trailer = any(line.strip() == TRAILER for line in message.splitlines())
    return trailer or email.strip().lower() == bot.email.lower()


def find_scope(git: Git, event: Event, options: ActionOptions) -> Scope:
    """The postmortems this run works on, or why it does nothing.

    Scheduled, manual and local runs (and every report) take every matching file; a push or a
    merged pull request takes what it changed, and with ``catch_up`` a push takes besides every
    matching postmortem that still has items without a ticket.
    """
    check_event(event)
    writes = options.command in ("push", "pull")
    if options.command == "report" or event.name not in ("push", "pull_request"):
        return _whole_tree(git, options, "every matching file in the working tree")
    if event.name == "push":
        scope = _push_scope(git, event, options, writes)
    else:
        scope = _pull_request_scope(git, event, options, writes)
    if options.catch_up and options.command == "push" and not scope.skipped:
        return _caught_up(git, options, scope)
    return scope


def _caught_up(git: Git, options: ActionOptions, scope: Scope) -> Scope:
    """``scope`` and every other matching postmortem that still has items without a ticket."""
    others = [f for f in matching(git.tracked_files(), options.paths)
              if f not in scope.files and _exists(git, f)]
    behind = needing_tickets(git, options, others)
    if not behind:
        return scope
    return replace(scope, files=(*scope.files, *behind),
                   reason=f"{scope.reason}; catch-up: {len(behind)} more with items "
                          "still without a ticket")


def needing_tickets(git: Git, options: ActionOptions, files: Sequence[str]) -> list[str]:
    """The files holding an item push would still give a ticket: it has none yet and, unless
    ``push.create_done``, is not finished (push skips those when it first meets them).

    Documents pmsync cannot read are left out: a push on them would only fail again.
    """
    if not files:
        return []
    from config.settings import find_config_file, load_settings
    from syncer.parse.extract import extract
    from syncer.sync.plan import skipped_when_new

    config = git.root / options.config_file if options.config_file else find_config_file(git.root)
    settings = load_settings(config)
    create_done = settings.push.create_done
    paths = {git.root / f: f for f in files}
    extraction = extract(list(paths), settings)
    return [paths[Path(parsed.doc.path)] for parsed in extraction.documents
            if any(item.ticket is None and not skipped_when_new(item, create_done)
                   for item in parsed.items)]


def _whole_tree(git: Git, options: ActionOptions, reason: str) -> Scope:
    return Scope(tuple(matching(git.tracked_files(), options.paths)), reason)


def _push_scope(git: Git, event: Event, options: ActionOptions, writes: bool) -> Scope:
    payload = event.payload
    before = str(payload.get("before") or ZERO_SHA)
    after = str(payload.get("after") or event.sha)
    if after == ZERO_SHA or payload.get("deleted"):
        return Scope(skipped="the push deleted a branch", head=after)
    if writes and is_own_commit(git, after, options.bot):
        return Scope(skipped=f"{after[:12]} is pmsync's own write-back commit", head=after)
    if not git.ensure_commit(after):
        return Scope(skipped=f"the pushed commit {after[:12]} is not in the checkout", head=after)
    base, reason = _push_base(git, event, before, after)
    files = git.changed(base, after) if base else git.tree_files(after)
    return Scope(tuple(f for f in matching(files, options.paths) if _exists(git, f)), reason,
                 head=after)


def _push_base(git: Git, event: Event, before: str, after: str) -> tuple[str | None, str]:
    """The commit to diff the push against (``None``: every file of ``after``) and why."""
    if git.ensure_commit(before):
        if git.is_ancestor(before, after):
            return before, f"changed in {before[:12]}..{after[:12]}"
        if not event.payload.get("forced") and git.is_shallow():
            # Without history ancestry cannot be checked; the payload says fast-forward.
            return before, f"changed in {before[:12]}..{after[:12]}"
        base = git.merge_base(before, after)
        if base:
            return base, f"force push: changed since {base[:12]}, the last commit kept"
    branch = event.ref.removeprefix("refs/heads/")
    default = event.default_branch
    if default and branch != default and (tip := git.ensure_branch(default)):
        base = git.merge_base(tip, after)
        if base:
            return base, f"new branch: changed since it left {default} at {base[:12]}"
    return None, f"every matching file of {after[:12]} (no earlier commit to compare with)"


def _pull_request_scope(git: Git, event: Event, options: ActionOptions, writes: bool) -> Scope:
    pr = event.pull_request
    merged = bool(pr.get("merged")) and event.payload.get("action") == "closed"
    head = str(_sha(pr.get("head")) or event.sha)
    if writes and not merged:
        return Scope(skipped="the pull request is not merged (push and pull run on merge; "
                             "use check on open pull requests)", head=head)
    if writes and is_own_commit(git, head, options.bot):
        return Scope(skipped=f"{head[:12]} is pmsync's own write-back commit", head=head)
    files, reason = _pull_request_files(git, event, head)
    return Scope(tuple(f for f in matching(files, options.paths) if _exists(git, f)), reason,
                 head=head)


def _pull_request_files(git: Git, event: Event, head: str) -> tuple[list[str], str]:
    base_sha = str(_sha(event.pull_request.get("base")) or "")
    number = event.pull_request.get("number", "?")
    if git.ensure_commit(base_sha) and git.ensure_commit(head):
        base = git.merge_base(base_sha, head)
        if base:
            return git.changed(base, head), f"changed by pull request #{number}"
    merge = str(event.pull_request.get("merge_commit_sha") or event.sha)
    if git.ensure_commit(merge) and (parent := git.first_parent(merge)):
        return git.changed(parent, merge), f"changed by merge commit {merge[:12]}"
    return git.tracked_files(), "every matching file (the pull request's commits are missing)"


def _sha(ref: Any) -> str | None:
    return str(ref["sha"]) if isinstance(ref, Mapping) and ref.get("sha") else None


def _exists(git: Git, name: str) -> bool:
    return (git.root / name).is_file()


# --- 3. the run --------------------------------------------------------------------------


def run_command(git: Git, options: ActionOptions, scope: Scope,
                run: CommandRunner) -> CommandRun:
    """Run the command on the scope from the repository root, as a person would there.

    Its settings come from this process's environment and the config file; its output and log
    go straight to this process's. An error that stops it is kept in the result, so that the
    outputs and the step summary are still written.
    """
    args = (*COMMAND_OPTIONS.get(options.command, ()), *options.args)
    with _working_directory(git.root):
        try:
            return run(options.command, args, scope.files)
        except Exception as exc:  # reported by pmsync action after publishing, with its code
            return CommandRun(exit_code_for(exc), error=exc)


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


# --- 4. the write-back -------------------------------------------------------------------


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
    GitHub refusals are read as the GitHub connector reads them (:mod:`connectors.pull_request`).
    """
    from connectors.pull_request import open_pull_request as open_on_github

    token = env.get("GITHUB_TOKEN") or env.get("PMSYNC_GITHUB__TOKEN")
    name = event.repository or env.get("PMSYNC_GITHUB__REPO", "")
    if not token or not name:
        raise PmsyncError("set GITHUB_TOKEN and GITHUB_REPOSITORY to open a pull request")
    return open_on_github(token, env.get("GITHUB_API_URL") or "https://api.github.com", name,
                          head, base, title, body)


# --- 5. outputs and summary --------------------------------------------------------------


def outputs(result: ActionResult) -> dict[str, str]:
    """The step outputs: counts, the documents worked on, and where the write-back went."""
    run = result.run
    write_back = result.write_back
    return {
        **{name: str(run.total(name) if run else 0) for name in ("created", "updated", "failed")},
        "files": "\n".join(result.scope.files),
        "skipped": result.scope.skipped or "",
        "write-back": write_back.outcome if write_back else "none",
        "commit": (write_back.commit or "") if write_back else "",
        "pull-request": (write_back.pull_request or "") if write_back else "",
    }


def format_outputs(values: Mapping[str, str]) -> str:
    """``$GITHUB_OUTPUT`` lines; every value in the heredoc form, safe for several lines."""
    chunks = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        while delimiter in value:  # pragma: no cover - a uuid will not appear by chance
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def summary_markdown(result: ActionResult) -> str:
    """The step summary: what ran on which documents, the counts, and the write-back."""
    lines = [f"### pmsync {result.command}", ""]
    if result.scope.skipped:
        return "\n".join([*lines, f"Nothing to do: {result.scope.skipped}.", ""])
    if not result.scope.files:
        return "\n".join([*lines, f"No postmortem matched ({result.scope.reason}).", ""])
    lines.append(f"{len(result.scope.files)} document(s): {result.scope.reason}.")
    lines.append("")
    run = result.run
    if run and run.documents:
        lines += ["| document | created | updated | linked | failed |",
                  "| --- | --: | --: | --: | --: |"]
        lines += [f"| `{d.path}` | {d.count('created')} | {d.count('updated')} | "
                  f"{d.count('linked')} | {d.count('failed')} |" for d in run.documents]
        lines.append("")
    elif run and run.summary:
        lines += [run.summary, ""]
    if run and not _completed(run):
        lines += [_stopped(run), ""]
    lines += _write_back_lines(result.write_back)
    return "\n".join(lines)


def _completed(run: CommandRun) -> bool:
    """Whether the command ran to its end: ok, or with per-item problems it reported."""
    return run.exit_code in (EXIT_OK, EXIT_PROBLEMS)


def _stopped(run: CommandRun) -> str:
    if run.error is not None and is_internal(run.error):
        return "pmsync stopped on an internal error, a bug (see the log; `--debug` shows more)."
    return "pmsync stopped on an input or configuration error (see the log)."


def _write_back_lines(write_back: WriteBack | None) -> list[str]:
    if write_back is None or write_back.outcome == "nothing":
        return []
    files = ", ".join(f"`{f}`" for f in write_back.files)
    text = {
        "none": f"Write-back is off; edited but not committed: {files}.",
        "pushed": f"Committed {files} to `{write_back.branch}` as {write_back.commit}.",
        "pull-request": f"Opened {write_back.pull_request} with {files} "
                        f"({write_back.message}).",
        "failed": f"**Write-back failed**: {write_back.message}.",
    }[write_back.outcome]
    return [text, ""]


def publish(result: ActionResult, env: Mapping[str, str]) -> None:
    """Append to ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY`` when the runner set them."""
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(format_outputs(outputs(result)))
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(result))


# --- all of it ---------------------------------------------------------------------------


def parse_args(value: str) -> tuple[str, ...]:
    """Extra arguments for the pmsync command, split as a shell would (nothing is run by one)."""
    try:
        return tuple(shlex.split(value))
    except ValueError as exc:
        raise PmsyncError(f"action args {value!r}: {exc}") from None


def run_action(options: ActionOptions, env: Mapping[str, str],
               run: CommandRunner) -> ActionResult:
    """Run the Action: scope, the command (through ``run``), write-back, outputs.

    ``env`` holds the workflow's variables (the event, the output files, git's and the pull
    request's credentials); the command reads its settings as every pmsync command does, from
    this process's environment. Nothing is printed here but what the command prints.
    """
    if options.command not in COMMANDS:
        raise PmsyncError(f"unknown command {options.command!r} (use one of {', '.join(COMMANDS)})")
    event = read_event(env)
    check_event(event)  # before anything is read or run
    git = Git(options.workdir, env=env)
    git = Git(git.toplevel(), env=env)
    scope = find_scope(git, event, options)
    result = ActionResult(options.command, event.name, scope)
    if not scope.skipped and scope.files:
        done = run_command(git, options, scope, run)
        written = None
        if options.command in ("push", "pull") and _completed(done):
            written = write_back(git, event, options, scope, env)
        result = ActionResult(options.command, event.name, scope, done, written)
    publish(result, env)
    return result
