"""The GitHub Action's logic (``syncer.action``) on real git repositories and simulated events.

Every test works on a clone of a bare repository standing in for GitHub's copy, with event
payloads shaped like the ones GitHub writes to ``GITHUB_EVENT_PATH``. Write-back pull requests
are opened on the sandbox GitHub with the real PyGithub client.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import Sandbox
from syncer.action.event import Event, read_event
from syncer.action.git import ZERO_SHA, Git
from syncer.action.options import TRAILER, ActionOptions, split_paths
from syncer.action.publish import format_outputs
from syncer.action.results import ActionResult
from syncer.action.run import run_action
from syncer.action.scope import Scope, find_scope, glob_regex, matching
from syncer.action.writeback import write_back
from syncer.cli.main import AppContext, command_runner, main
from syncer.errors import ConfigError

DOC = """# 2025-03-01 Database outage

## Action items

| Action | Owner | Due | Priority |
|---|---|---|---|
| Alert on replication lag | alice | 2025-04-01 | P1 |
| Add a runbook for failover | bob | 2025-04-15 | P2 |
"""
BAD_DOC = """# 2025-03-02 Cache stampede

## Action items

| Action | Owner | Due |
|---|---|---|
| Rate-limit cache refills | | |
"""
HUMAN = {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
         "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com"}


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **HUMAN, **(env or {})})
    return done.stdout.strip()


@dataclass
class Repo:
    """A clone (``work``) of a bare repository (``remote``), plus a place for event files."""

    work: Path
    remote: Path
    tmp: Path

    def commit(self, files: dict[str, str | None], message: str = "Edit postmortems",
               env: dict[str, str] | None = None) -> str:
        for name, text in files.items():
            path = self.work / name
            if text is None:
                git(self.work, "rm", "-q", name)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            git(self.work, "add", name)
        git(self.work, "commit", "-q", "-m", message, env=env)
        return self.head()

    def head(self) -> str:
        return git(self.work, "rev-parse", "HEAD")

    def push(self, *args: str) -> None:
        git(self.work, "push", "-q", *args, "origin", "HEAD:refs/heads/main")

    def remote_tip(self, branch: str = "main") -> str:
        return git(self.remote, "rev-parse", f"refs/heads/{branch}")

    def other_clone(self) -> Path:
        other = self.tmp / f"other-{len(list(self.tmp.glob('other-*')))}"
        git(self.tmp, "clone", "-q", str(self.remote), str(other))
        return other

    def event(self, name: str, payload: dict[str, Any], **env: str) -> dict[str, str]:
        path = self.tmp / f"event-{name}.json"
        path.write_text(json.dumps(payload))
        for output in ("output", "summary"):
            (self.tmp / output).touch()
        return {
            **os.environ,
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_SHA": str(payload.get("after") or self.head()),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REPOSITORY": "pmsync-sandbox/postmortems",
            "GITHUB_OUTPUT": str(self.tmp / "output"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary"),
            **env,
        }

    def outputs(self) -> dict[str, str]:
        text = (self.tmp / "output").read_text()
        found = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n?\2$", text, re.MULTILINE | re.DOTALL)
        return {name: value for name, _, value in found}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setenv("HOME", str(tmp_path))  # no user git config leaks in
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "work"))
    made = Repo(tmp_path / "work", remote, tmp_path)
    made.commit({"README.md": "notes\n", "postmortems/2025/old.md": DOC}, "Start")
    made.push()
    return made


def act(options: ActionOptions, env: dict[str, str]) -> ActionResult:
    """The Action as ``pmsync action`` runs it: its commands in this process."""
    return run_action(options, env, command_runner(AppContext(options.config_file, False)))


def push_payload(before: str, after: str, **extra: Any) -> dict[str, Any]:
    return {"ref": "refs/heads/main", "before": before, "after": after, "forced": False,
            "deleted": False, "repository": {"default_branch": "main",
                                             "full_name": "pmsync-sandbox/postmortems"},
            **extra}


def scope_of(repo: Repo, name: str, payload: dict[str, Any], command: str = "push",
             **env: str) -> Scope:
    event = read_event(repo.event(name, payload, **env))
    return find_scope(Git(repo.work), event, ActionOptions(command=command))


# --- globs -------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("postmortems/**/*.md", "postmortems/a.md", True),
    ("postmortems/**/*.md", "postmortems/2025/03/a.md", True),
    ("postmortems/**/*.md", "postmortems/a.txt", False),
    ("postmortems/**/*.md", "docs/postmortems/a.md", False),
    ("postmortems/*.md", "postmortems/2025/a.md", False),
    ("**/*.md", "README.md", True),
    ("docs/**", "docs/x/y.md", True),
    ("pm-?.md", "pm-1.md", True),
    ("pm-[0-9].md", "pm-a.md", False),
    ("pm-[!0-9].md", "pm-a.md", True),
    ("a+b(c).md", "a+b(c).md", True),
])
def test_globs_match_like_actions_paths_filters(pattern: str, path: str, expected: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is expected


def test_several_globs_one_a_line_or_comma_separated() -> None:
    globs = split_paths(["postmortems/**/*.md\n  incidents/*.md", "reviews/*.md,"])
    assert globs == ("postmortems/**/*.md", "incidents/*.md", "reviews/*.md")
    assert split_paths([]) == ("postmortems/**/*.md",)
    assert matching(["incidents/a.md", "x/incidents/a.md", "./reviews/b.md", "reviews/b.md"],
                    ["./incidents/*.md", "reviews/*.md"]) == ["incidents/a.md", "reviews/b.md"]


# --- scope: which postmortems an event touched --------------------------------------------


def test_push_takes_the_postmortems_changed_between_before_and_after(repo: Repo) -> None:
    before = repo.head()
    repo.commit({"postmortems/2025/new.md": DOC, "README.md": "changed\n"})
    repo.commit({"postmortems/2025/second.md": DOC, "postmortems/notes.txt": "x"})
    repo.push()
    scope = scope_of(repo, "push", push_payload(before, repo.head()))
    assert scope.files == ("postmortems/2025/new.md", "postmortems/2025/second.md")
    assert scope.skipped is None and scope.reason.startswith("changed in")


def test_deleted_and_renamed_postmortems(repo: Repo) -> None:
    before = repo.head()
    git(repo.work, "mv", "postmortems/2025/old.md", "postmortems/2025/renamed.md")
    repo.commit({"postmortems/gone.md": DOC})
    repo.commit({"postmortems/gone.md": None})
    scope = scope_of(repo, "push", push_payload(before, repo.head()))
    assert scope.files == ("postmortems/2025/renamed.md",)


def test_first_push_of_a_branch_compares_with_the_default_branch(repo: Repo) -> None:
    git(repo.work, "checkout", "-q", "-b", "feature")
    repo.commit({"postmortems/feature.md": DOC})
    git(repo.work, "push", "-q", "origin", "feature")
    payload = push_payload(ZERO_SHA, repo.head(), ref="refs/heads/feature", created=True)
    scope = scope_of(repo, "push", payload, GITHUB_REF="refs/heads/feature")
    assert scope.files == ("postmortems/feature.md",)
    assert "new branch" in scope.reason


def test_first_push_of_a_repository_takes_every_matching_file(repo: Repo) -> None:
    payload = push_payload(ZERO_SHA, repo.head(), created=True)
    scope = scope_of(repo, "push", payload)
    assert scope.files == ("postmortems/2025/old.md",)
    assert scope.reason.startswith("every matching file")


def test_force_push_takes_what_changed_since_the_last_kept_commit(repo: Repo) -> None:
    base = repo.head()
    repo.commit({"postmortems/dropped.md": DOC})
    repo.push()
    before = repo.head()
    git(repo.work, "reset", "-q", "--hard", base)
    repo.commit({"postmortems/kept.md": DOC})
    repo.push("--force")
    scope = scope_of(repo, "push", push_payload(before, repo.head(), forced=True))
    # The rewritten-away document is not pushed; a two-dot diff would have named it (deleted).
    assert scope.files == ("postmortems/kept.md",)
    assert scope.reason.startswith("force push")


def test_force_push_whose_old_tip_is_gone_takes_every_matching_file(repo: Repo) -> None:
    repo.commit({"postmortems/new.md": DOC})
    scope = scope_of(repo, "push", push_payload("1" * 40, repo.head(), forced=True))
    assert scope.files == ("postmortems/2025/old.md", "postmortems/new.md")


def test_a_deleted_branch_does_nothing(repo: Repo) -> None:
    scope = scope_of(repo, "push", push_payload(repo.head(), ZERO_SHA, deleted=True))
    assert (scope.files, scope.skipped) == ((), "the push deleted a branch")


def test_merged_pull_request_takes_the_pull_requests_changes(repo: Repo) -> None:
    base = repo.head()
    git(repo.work, "checkout", "-q", "-b", "feature")
    repo.commit({"postmortems/feature.md": DOC})
    head = repo.head()
    git(repo.work, "checkout", "-q", "main")
    repo.commit({"postmortems/meanwhile.md": DOC})  # on main, not part of the pull request
    git(repo.work, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
    payload = {"action": "closed", "number": 7, "pull_request": {
        "number": 7, "merged": True, "merge_commit_sha": repo.head(),
        "base": {"ref": "main", "sha": base}, "head": {"ref": "feature", "sha": head}}}
    scope = scope_of(repo, "pull_request", payload, GITHUB_SHA=repo.head(),
                     GITHUB_REF="refs/pull/7/merge")
    assert scope.files == ("postmortems/feature.md",)
    assert scope.reason == "changed by pull request #7"


def test_squash_merged_pull_request_whose_branch_is_gone_uses_the_merge_commit(
        repo: Repo) -> None:
    repo.commit({"postmortems/squashed.md": DOC}, "Squashed (#8)")
    payload = {"action": "closed", "pull_request": {
        "number": 8, "merged": True, "merge_commit_sha": repo.head(),
        "base": {"ref": "main", "sha": "2" * 40}, "head": {"ref": "gone", "sha": "3" * 40}}}
    scope = scope_of(repo, "pull_request", payload)
    assert scope.files == ("postmortems/squashed.md",)


def test_pull_request_closed_without_merging_pushes_nothing(repo: Repo) -> None:
    payload = {"action": "closed", "pull_request": {"number": 9, "merged": False}}
    scope = scope_of(repo, "pull_request", payload)
    assert scope.files == () and "not merged" in str(scope.skipped)


def test_schedule_and_dispatch_take_every_matching_file(repo: Repo) -> None:
    repo.commit({"postmortems/a/b/deep.md": DOC, "elsewhere/x.md": DOC})
    for name in ("schedule", "workflow_dispatch"):
        scope = scope_of(repo, name, {}, command="pull")
        assert scope.files == ("postmortems/2025/old.md", "postmortems/a/b/deep.md")


@pytest.mark.parametrize("name", ["issue_comment", "workflow_run", "release", "merge_group"])
def test_an_event_the_action_is_not_made_for_is_refused_naming_the_supported_ones(
        repo: Repo, name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        act(ActionOptions(workdir=repo.work), repo.event(name, {}))
    message = str(refused.value)
    assert name in message
    assert "supported: push, pull_request, schedule, workflow_dispatch" in message
    assert not (repo.tmp / "output").read_text()  # refused before anything ran


def test_pull_request_target_is_refused_as_unsafe_with_exit_2(
        repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = repo.head()
    repo.commit({"postmortems/bad.md": BAD_DOC})
    payload = {"action": "opened", "pull_request": {
        "number": 4, "base": {"ref": "main", "sha": before}, "head": {"sha": repo.head()}}}
    monkeypatch.chdir(repo.work)
    for key, value in repo.event("pull_request_target", payload).items():
        monkeypatch.setenv(key, value)
    for command in ("push", "check"):
        assert main(["action", "--command", command]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        [line] = err.splitlines()
        assert "pull_request_target event is unsafe" in line and "secrets" in line
        assert "supported: push, pull_request, schedule, workflow_dispatch" in line
    assert not (repo.tmp / "output").read_text()


LINKED_DOC = DOC.replace("| Action | Owner | Due | Priority |\n|---|---|---|---|",
                         "| Action | Owner | Due | Priority | Ticket |\n|---|---|---|---|---|"
                         ).replace("| P1 |", "| P1 | OPS-1 |").replace("| P2 |", "| P2 | OPS-2 |")
DONE_DOC = BAD_DOC.replace("| Action | Owner | Due |\n|---|---|---|",
                           "| Action | Owner | Due | Status |\n|---|---|---|---|"
                           ).replace("| | |", "| @a | 2025-01-01 | Done |")


def test_catch_up_adds_every_postmortem_that_still_has_items_without_tickets(repo: Repo) -> None:
    repo.commit({"postmortems/linked.md": LINKED_DOC, "postmortems/done.md": DONE_DOC,
                 "drafts/unlinked.md": DOC})
    before = repo.head()
    repo.commit({"postmortems/changed.md": DOC, "README.md": "edited\n"})
    event = read_event(repo.event("push", push_payload(before, repo.head())))
    plain = find_scope(Git(repo.work), event, ActionOptions())
    assert plain.files == ("postmortems/changed.md",)
    caught_up = find_scope(Git(repo.work), event, ActionOptions(catch_up=True))
    # old.md was never pushed; linked.md is linked, done.md's item was finished when first met
    # and drafts/ is outside the paths.
    assert caught_up.files == ("postmortems/changed.md", "postmortems/2025/old.md")
    assert caught_up.reason.endswith("catch-up: 1 more with items still without a ticket")
    # Only push catches up; a skipped event stays skipped.
    assert find_scope(Git(repo.work), event, ActionOptions(command="pull", catch_up=True)
                      ).files == ("postmortems/changed.md",)
    repo.commit({"postmortems/2025/old.md": DOC + "\n"}, f"pmsync: link\n\n{TRAILER}")
    own = read_event(repo.event("push", push_payload(before, repo.head())))
    assert find_scope(Git(repo.work), own, ActionOptions(catch_up=True)).skipped


def test_own_write_back_commit_is_skipped_by_trailer_or_bot_identity(repo: Repo) -> None:
    before = repo.head()
    repo.commit({"postmortems/2025/old.md": DOC + "\n"}, f"pmsync: link\n\n{TRAILER}")
    assert scope_of(repo, "push", push_payload(before, repo.head())).skipped
    bot = {"GIT_AUTHOR_EMAIL": "pmsync[bot]@users.noreply.github.com"}
    repo.commit({"postmortems/2025/old.md": DOC}, "edited by hand as the bot", env=bot)
    assert scope_of(repo, "push", push_payload(before, repo.head())).skipped
    # Checking is read-only: a write-back pull request is still checked.
    assert not scope_of(repo, "push", push_payload(before, repo.head()), command="check").skipped


# --- whole runs without a tracker: check ---------------------------------------------------


def test_check_on_a_push_annotates_only_the_changed_postmortems(
        repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = repo.head()
    repo.commit({"postmortems/bad.md": BAD_DOC, "drafts/bad.md": BAD_DOC})
    env = repo.event("push", push_payload(before, repo.head()))
    monkeypatch.chdir(repo.work)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["action", "--command", "check"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "::error file=postmortems/bad.md" in out
    assert "drafts/bad.md" not in out and "old.md" not in out
    assert "1 document(s), changed in" in err
    assert repo.outputs()["files"] == "postmortems/bad.md"
    summary = (repo.tmp / "summary").read_text()
    assert "### pmsync check" in summary and "1 document(s), 1 action item(s)" in summary


# Each would replace pmsync's own code if the checkout were on the import path of the process
# that runs pmsync action: the first two are imported when it starts, the others later.
STARTUP_MODULES = ("syncer.py", "click.py")
LAZY_MODULES = ("config/__init__.py", "structlog.py", "rich/__init__.py", "lib/github.py")


def run_planted(repo: Repo, command: str, *python: str) -> subprocess.CompletedProcess[str]:
    """``pmsync action`` in a child started as ``python PYTHON… -m syncer`` from a checkout
    whose modules would create ``planted`` if they ran, with PYTHONPATH pointing into it."""
    before = repo.head()
    planted = repo.tmp / "planted"
    hostile = f"import pathlib\npathlib.Path({str(planted)!r}).mkdir(exist_ok=True)\n"
    modules = LAZY_MODULES if "-I" not in python else STARTUP_MODULES + LAZY_MODULES
    repo.commit({**dict.fromkeys(modules, hostile), "postmortems/bad.md": BAD_DOC})
    path = os.pathsep.join([str(repo.work), str(repo.work / "lib")])
    env = {k: v for k, v in repo.event("push", push_payload(before, repo.head()),
                                       PYTHONPATH=path).items() if not k.startswith("PMSYNC_")}
    return subprocess.run([sys.executable, *python, "-m", "syncer", "action", "--command",
                           command, "--write-back", "none"], cwd=repo.work, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("command", ["check", "push"])
def test_the_action_as_action_yml_starts_it_never_imports_code_from_the_checkout(
        repo: Repo, command: str) -> None:
    done = run_planted(repo, command, "-I")  # as action.yml starts it
    assert not (repo.tmp / "planted").exists(), "a module from the checked-out repository ran"
    assert "pmsync action: 1 document(s), changed in" in done.stderr, done.stderr
    if command == "check":
        assert done.returncode == 1 and "::error file=postmortems/bad.md" in done.stdout


@pytest.mark.parametrize("command", ["check", "push"])
def test_pmsync_action_takes_the_checkout_off_the_import_path_itself(
        repo: Repo, command: str) -> None:
    # Started without -I (a workflow's own run: line), the working directory and PYTHONPATH
    # are on the import path when pmsync starts; nothing imported after that may come from them.
    done = run_planted(repo, command)
    assert not (repo.tmp / "planted").exists(), "a module from the checked-out repository ran"
    assert "pmsync action: 1 document(s), changed in" in done.stderr, done.stderr
    if command == "check":
        assert done.returncode == 1 and "::error file=postmortems/bad.md" in done.stdout


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_an_error_that_stops_the_command_exits_as_the_command_would_after_the_outputs(
        repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        debug: list[str]) -> None:
    before = repo.head()
    # A config file pmsync's reader does not handle: a real input that ends in a bug (exit 3).
    repo.commit({"postmortems/bad.md": BAD_DOC, "pyproject.toml": '[tool]\npmsync = "jira"\n'})
    monkeypatch.chdir(repo.work)
    for key, value in repo.event("push", push_payload(before, repo.head())).items():
        monkeypatch.setenv(key, value)
    code = main([*debug, "--config", "pyproject.toml", "action", "--command", "check"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.splitlines()[-1].startswith("pmsync: internal error: ValueError: ")
    assert err.count("internal error") == 1 and ("Traceback" in err) == bool(debug)
    assert repo.outputs()["files"] == "postmortems/bad.md"  # the outputs were written first
    assert "stopped on an internal error" in (repo.tmp / "summary").read_text()
    # Arguments the command does not take are a usage error, parsed by the command's options.
    code = main([*debug, "action", "--command", "check", "--args", "--no-such-option"])
    assert code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("pmsync: error: action args for check: No such option")
    assert "--no-such-option" in last


def test_nothing_in_scope_succeeds_and_says_so(repo: Repo) -> None:
    before = repo.head()
    repo.commit({"README.md": "only the readme\n"})
    result = act(ActionOptions(command="check", workdir=repo.work),
                 repo.event("push", push_payload(before, repo.head())))
    assert (result.exit_code, result.run, result.scope.files) == (0, None, ())
    assert repo.outputs() == {"created": "0", "updated": "0", "failed": "0", "files": "",
                              "skipped": "", "write-back": "none", "commit": "",
                              "pull-request": ""}
    assert "No postmortem matched" in (repo.tmp / "summary").read_text()


def test_outputs_survive_multiline_values_and_lookalike_delimiters() -> None:
    text = format_outputs({"files": "a.md\nb.md", "x": "EOF\nghadelimiter_"})
    found = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, re.MULTILINE | re.DOTALL)
    assert [(n, v) for n, _, v in found] == [("files", "a.md\nb.md"), ("x", "EOF\nghadelimiter_")]


# --- write-back: commit, rebase once, else a pull request on the sandbox GitHub ------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def edited(repo: Repo, name: str = "postmortems/2025/old.md") -> tuple[Scope, Event]:
    """What a push leaves behind: the document edited in the working tree, not committed."""
    path = repo.work / name
    path.write_text(path.read_text().replace("| P1 |", "| P1 | [OPS-1](https://t/OPS-1) |"))
    head = repo.head()
    scope = Scope((name,), "changed", head=head)
    return scope, Event("push", {}, head, "refs/heads/main", "pmsync-sandbox/postmortems")


def github_env(repo: Repo, sandbox: Sandbox) -> dict[str, str]:
    return {**os.environ, "GITHUB_TOKEN": sandbox.github_token,
            "GITHUB_API_URL": sandbox.github_api_url,
            "GITHUB_REPOSITORY": sandbox.github_repo}


def test_write_back_commits_as_the_bot_and_pushes(repo: Repo) -> None:
    scope, event = edited(repo)
    done = write_back(Git(repo.work), event, ActionOptions(), scope, dict(os.environ))
    assert (done.outcome, done.files, done.branch) == ("pushed", scope.files, "main")
    assert repo.remote_tip() == done.commit
    author = git(repo.remote, "log", "-1", "--format=%an <%ae>|%s|%B", "main")
    assert author.startswith("pmsync[bot] <pmsync[bot]@users.noreply.github.com>|"
                             "pmsync: link action items to tickets|")
    assert TRAILER in author and "[skip ci]" not in author
    # Only the documents in scope are committed.
    assert git(repo.remote, "show", "--name-only", "--format=", "main") == scope.files[0]


def test_write_back_rebases_once_when_someone_pushed_meanwhile(repo: Repo) -> None:
    other = repo.other_clone()
    (other / "postmortems" / "other.md").write_text(DOC)
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "Someone else's postmortem")
    git(other, "push", "-q", "origin", "main")
    newer = git(other, "rev-parse", "HEAD")
    scope, event = edited(repo)
    done = write_back(Git(repo.work), event, ActionOptions(skip_ci=True), scope, dict(os.environ))
    assert done.outcome == "pushed"
    assert git(repo.remote, "rev-parse", "main^") == newer
    assert "[skip ci]" in git(repo.remote, "log", "-1", "--format=%s", "main")


def test_conflicting_newer_commit_leads_to_a_pull_request(repo: Repo, sandbox: Sandbox) -> None:
    other = repo.other_clone()
    (other / "postmortems" / "2025" / "old.md").write_text(DOC.replace("P1", "P0"))
    git(other, "commit", "-q", "-am", "Raise the priority")
    git(other, "push", "-q", "origin", "main")
    newer = git(other, "rev-parse", "HEAD")
    scope, event = edited(repo)
    done = write_back(Git(repo.work), event, ActionOptions(), scope, github_env(repo, sandbox))
    assert done.outcome == "pull-request"
    assert "does not rebase cleanly" in done.message
    assert repo.remote_tip() == newer  # main untouched
    branch = f"pmsync/write-back-{scope.head[:12]}"  # type: ignore[index]
    assert done.branch == branch and repo.remote_tip(branch) == done.commit
    [pull] = sandbox.admin.github_issues()
    assert (pull["pull_request"], pull["head"], pull["base"]) == (True, branch, "main")
    assert pull["title"] == "pmsync: link action items to tickets"
    assert done.pull_request == f"{sandbox.url}/{sandbox.github_repo}/pull/{pull['number']}"


def reject_pushes_to_main(repo: Repo) -> None:
    """A pre-receive hook standing in for branch protection on main."""
    hook = repo.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do\n"
                    "  if [ \"$ref\" = refs/heads/main ]; then\n"
                    "    echo 'GH006: Protected branch update failed for refs/heads/main.' >&2\n"
                    "    exit 1\n  fi\ndone\n")
    hook.chmod(0o755)


def test_protected_branch_leads_to_a_pull_request(repo: Repo, sandbox: Sandbox) -> None:
    reject_pushes_to_main(repo)
    tip = repo.remote_tip()
    scope, event = edited(repo)
    done = write_back(Git(repo.work), event, ActionOptions(), scope, github_env(repo, sandbox))
    assert done.outcome == "pull-request"
    assert "GH006" in done.message
    assert repo.remote_tip() == tip
    assert len(sandbox.admin.github_issues()) == 1
    # A rerun of the same event finds the pull request it opened instead of a second one.
    git(repo.work, "reset", "-q", "--hard", tip)
    scope, event = edited(repo)
    again = write_back(Git(repo.work), event, ActionOptions(), scope, github_env(repo, sandbox))
    assert again.pull_request == done.pull_request
    assert len(sandbox.admin.github_issues()) == 1


def test_pull_request_mode_never_pushes_to_the_branch(repo: Repo, sandbox: Sandbox) -> None:
    tip = repo.remote_tip()
    scope, event = edited(repo)
    options = ActionOptions(write_back="pull-request")
    done = write_back(Git(repo.work), event, options, scope, github_env(repo, sandbox))
    assert (done.outcome, repo.remote_tip()) == ("pull-request", tip)
    assert [i["head"] for i in sandbox.admin.github_issues()] == [done.branch]


def test_write_back_none_and_nothing_to_write_commit_nothing(repo: Repo) -> None:
    tip = repo.head()
    scope, event = edited(repo)
    done = write_back(Git(repo.work), event, ActionOptions(write_back="none"), scope,
                      dict(os.environ))
    assert (done.outcome, done.files, repo.head()) == ("none", scope.files, tip)
    git(repo.work, "checkout", "-q", "--", ".")
    done = write_back(Git(repo.work), event, ActionOptions(), scope, dict(os.environ))
    assert (done.outcome, repo.head(), repo.remote_tip()) == ("nothing", tip, tip)


def test_failed_pull_request_is_a_failed_write_back_without_the_token_in_it(
        repo: Repo, sandbox: Sandbox) -> None:
    reject_pushes_to_main(repo)
    scope, event = edited(repo)
    env = {**github_env(repo, sandbox), "GITHUB_TOKEN": "sandbox-github-read-token"}
    done = write_back(Git(repo.work), event, ActionOptions(), scope, env)
    assert done.outcome == "failed" and "403" in done.message
    assert "sandbox-github-read-token" not in done.message


# --- end to end: push on the sandbox trackers ---------------------------------------------

TRACKERS = {"github": "connectors.github.connector", "jira": "connectors.jira.connector"}


def needs_connector(tracker: str) -> None:
    if importlib.util.find_spec(TRACKERS[tracker]) is None:
        pytest.skip(f"{TRACKERS[tracker]} is not on this branch yet (a connector helper builds it)")


@pytest.fixture(params=list(TRACKERS))
def tracker_env(request: pytest.FixtureRequest, sandbox: Sandbox,
                monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    needs_connector(request.param)
    env = {**sandbox.env(), "PMSYNC_TRACKER": request.param,
           "GITHUB_TOKEN": sandbox.github_token, "GITHUB_API_URL": sandbox.github_api_url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return request.param, env


def tickets(sandbox: Sandbox, tracker: str) -> list[dict[str, Any]]:
    if tracker == "jira":
        return sandbox.admin.jira_issues()
    return [i for i in sandbox.admin.github_issues() if not i.get("pull_request")]


def test_push_event_creates_tickets_writes_back_and_does_not_loop(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]]) -> None:
    tracker, env = tracker_env
    before = repo.head()
    repo.commit({"postmortems/2025/new.md": DOC.replace("Database", "Queue")})
    repo.push()
    head = repo.head()
    result = act(ActionOptions(workdir=repo.work),
                 repo.event("push", push_payload(before, head), **env))
    assert result.exit_code == 0, result
    assert result.scope.files == ("postmortems/2025/new.md",)  # old.md was not touched
    assert len(tickets(sandbox, tracker)) == 2
    assert result.write_back is not None and result.write_back.outcome == "pushed"
    written = git(repo.remote, "show", "main:postmortems/2025/new.md")
    assert written.count("](") >= 2  # both items link their tickets
    outputs = repo.outputs()
    assert (outputs["created"], outputs["failed"], outputs["write-back"]) == ("2", "0", "pushed")
    summary = (repo.tmp / "summary").read_text()
    assert "| `postmortems/2025/new.md` | 2 | 0 |" in summary
    assert f"Committed `postmortems/2025/new.md` to `main` as {repo.remote_tip()}" in summary
    # GitHub now sends a push event for the write-back commit: nothing happens.
    again = act(ActionOptions(workdir=repo.work),
                repo.event("push", push_payload(head, repo.remote_tip()), **env))
    assert again.scope.skipped and again.run is None
    assert len(tickets(sandbox, tracker)) == 2


def test_merged_pull_request_on_a_protected_branch_ends_in_a_pull_request(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]]) -> None:
    tracker, env = tracker_env
    base = repo.head()
    git(repo.work, "checkout", "-q", "-b", "feature")
    repo.commit({"postmortems/2025/merged.md": DOC})
    head = repo.head()
    git(repo.work, "checkout", "-q", "main")
    git(repo.work, "merge", "-q", "--no-ff", "-m", "Merge pull request #3", "feature")
    repo.push()
    reject_pushes_to_main(repo)
    payload = {"action": "closed", "pull_request": {
        "number": 3, "merged": True, "merge_commit_sha": repo.head(),
        "base": {"ref": "main", "sha": base}, "head": {"ref": "feature", "sha": head}}}
    result = act(ActionOptions(workdir=repo.work),
                 repo.event("pull_request", payload, **env))
    assert len(tickets(sandbox, tracker)) == 2
    assert result.write_back is not None and result.write_back.outcome == "pull-request"
    pulls = [i for i in sandbox.admin.github_issues() if i.get("pull_request")]
    assert [(p["head"], p["base"]) for p in pulls] == [(result.write_back.branch, "main")]
    assert repo.outputs()["pull-request"] == result.write_back.pull_request
    assert result.exit_code == 0



def test_catch_up_heals_a_push_run_that_failed(
        repo: Repo, sandbox: Sandbox, tracker_env: tuple[str, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    tracker, env = tracker_env
    before = repo.head()
    repo.commit({"postmortems/2025/new.md": DOC.replace("Database", "Queue")})
    repo.push()
    # The tracker is unreachable: the run fails and links nothing.
    down = {key: "http://127.0.0.1:9" if key.endswith(("__URL", "API_URL"))
            else value for key, value in env.items()}
    for key, value in down.items():  # the commands read the process's environment
        monkeypatch.setenv(key, value)
    failed = act(ActionOptions(workdir=repo.work),
                 repo.event("push", push_payload(before, repo.head()), **down))
    assert failed.exit_code == 2 and tickets(sandbox, tracker) == []
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # The next push changes something else; with catch-up it takes new.md along (and old.md,
    # which no run has pushed yet).
    later = repo.head()
    repo.commit({"README.md": "unrelated\n"})
    repo.push()
    healed = act(ActionOptions(workdir=repo.work, catch_up=True),
                 repo.event("push", push_payload(later, repo.head()), **env))
    assert healed.exit_code == 0, healed
    assert healed.scope.files == ("postmortems/2025/new.md", "postmortems/2025/old.md")
    assert len(tickets(sandbox, tracker)) == 4
    for name in healed.scope.files:
        assert git(repo.remote, "show", f"main:{name}").count("](") >= 2
    # Once linked, a later catch-up finds nothing left to do.
    git(repo.work, "pull", "-q", "--rebase", "origin", "main")
    linked = repo.head()
    repo.commit({"README.md": "again\n"})
    repo.push()
    quiet = act(ActionOptions(workdir=repo.work, catch_up=True),
                repo.event("push", push_payload(linked, repo.head()), **env))
    assert quiet.scope.files == () and len(tickets(sandbox, tracker)) == 4
