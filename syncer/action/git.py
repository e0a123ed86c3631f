"""The few git operations the GitHub Action needs, through the ``git`` command line.

Only the Action uses this (:mod:`~syncer.action.scope`, :mod:`~syncer.action.writeback`).
Commands run with ``LC_ALL=C`` (stable messages to classify a rejected push) and never prompt for
credentials.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from syncer.errors import PmsyncError

ZERO_SHA = "0" * 40


class GitError(PmsyncError):
    """A git command failed where pmsync cannot go on."""


@dataclass(frozen=True)
class GitResult:
    """What a git command did: its exit code and its output, standard error apart."""

    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        """Whether git exited 0."""
        return self.code == 0


class Git:
    """One working tree and its remote, driven by ``git``."""

    def __init__(self, root: Path, remote: str = "origin",
                 env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.remote = remote
        self.env = {**(env if env is not None else os.environ), "LC_ALL": "C",
                    "GIT_TERMINAL_PROMPT": "0"}

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> GitResult:
        """Run ``git ARGS`` in the working tree; never raises for a non-zero exit."""
        done = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True,
            env={**self.env, **(env or {})}, check=False,
        )
        return GitResult(done.returncode, done.stdout, done.stderr)

    def out(self, *args: str) -> str:
        """The output of ``git ARGS``; a failure is a :class:`GitError` quoting git."""
        outcome = self.run(*args)
        if not outcome.ok:
            first = (outcome.err.strip().splitlines() or ["(no message)"])[-1]
            raise GitError(f"git {' '.join(args[:2])} failed: {first}")
        return outcome.out

    def toplevel(self) -> Path:
        """The root of the working tree."""
        return Path(self.out("rev-parse", "--show-toplevel").strip())

    def has_commit(self, sha: str) -> bool:
        """Whether the commit is in the local object store."""
        return bool(sha) and sha != ZERO_SHA and self.run("cat-file", "-e", f"{sha}^{{commit}}").ok

    def ensure_commit(self, sha: str) -> bool:
        """Whether the commit is here, fetching it by id from the remote when it is not."""
        if not sha or sha == ZERO_SHA:
            return False
        if self.has_commit(sha):
            return True
        depth = ["--depth=1"] if self.is_shallow() else []
        self.run("fetch", "--no-tags", "--quiet", *depth, self.remote, sha)
        return self.has_commit(sha)

    def ensure_branch(self, branch: str) -> str | None:
        """The commit of the remote's ``branch`` (fetched now), or ``None`` if it has none."""
        fetched = self.run("fetch", "--no-tags", "--quiet", self.remote,
                           f"+refs/heads/{branch}:refs/remotes/{self.remote}/{branch}")
        if not fetched.ok:
            return None
        return self.out("rev-parse", f"refs/remotes/{self.remote}/{branch}").strip()

    def is_shallow(self) -> bool:
        """Whether history is cut (``actions/checkout`` fetches one commit by default)."""
        return self.run("rev-parse", "--is-shallow-repository").out.strip() == "true"

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is reachable from ``newer``."""
        return self.run("merge-base", "--is-ancestor", older, newer).ok

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor, or ``None`` (unrelated or missing history)."""
        outcome = self.run("merge-base", one, other)
        return outcome.out.strip() if outcome.ok and outcome.out.strip() else None

    def first_parent(self, sha: str) -> str | None:
        """The first parent of a commit, if it has one here."""
        outcome = self.run("rev-parse", "--verify", "--quiet", f"{sha}^1")
        return outcome.out.strip() if outcome.ok else None

    def changed(self, base: str, head: str) -> list[str]:
        """Files added, copied, modified or renamed (new name) from ``base`` to ``head``."""
        raw = self.out("diff", "--name-only", "--no-ext-diff", "--diff-filter=ACMR", "-z",
                       base, head, "--")
        return [name for name in raw.split("\0") if name]

    def tree_files(self, sha: str) -> list[str]:
        """Every file in the commit."""
        raw = self.out("ls-tree", "-r", "--name-only", "-z", sha)
        return [name for name in raw.split("\0") if name]

    def tracked_files(self) -> list[str]:
        """Every tracked file of the working tree."""
        return [name for name in self.out("ls-files", "-z").split("\0") if name]

    def modified(self, files: list[str]) -> list[str]:
        """Which of ``files`` differ from the index or HEAD in the working tree."""
        if not files:
            return []
        raw = self.out("status", "--porcelain=v1", "-z", "--untracked-files=no", "--", *files)
        return [entry[3:] for entry in raw.split("\0") if len(entry) > 3]

    def commit_identity_and_message(self, sha: str) -> tuple[str, str, str]:
        """Author name, author email and full message of a commit."""
        raw = self.out("log", "-1", "--format=%an%x00%ae%x00%B", sha)
        name, email, message = ([*raw.split("\x00", 2), "", ""])[:3]
        return name, email, message

    def head(self) -> str:
        """The commit checked out."""
        return self.out("rev-parse", "HEAD").strip()

    def current_branch(self) -> str | None:
        """The branch checked out, or ``None`` on a detached HEAD."""
        outcome = self.run("symbolic-ref", "--quiet", "--short", "HEAD")
        return outcome.out.strip() if outcome.ok else None
