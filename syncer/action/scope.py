"""Step 2 of the Action: which postmortems the run works on, or why nothing runs.

:func:`find_scope` picks the postmortems the push or the merged pull request changed, matched
against the ``paths`` globs (:func:`glob_regex`: ``**`` spans folders, as in the ``paths``
filters of GitHub workflows), or says why nothing runs (a commit pmsync made itself, a pull
request closed without merging, a deleted branch). Scheduled and manual runs take every matching
postmortem; with ``catch_up`` a push also takes every one that still has items without a
ticket, so a run that failed heals on the next.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from syncer.action.event import Event, check_event
from syncer.action.git import ZERO_SHA, Git
from syncer.action.options import TRAILER, ActionOptions, Bot, action_settings


@dataclass(frozen=True)
class Scope:
    """The documents a run works on, how they were chosen, or why nothing runs."""

    files: tuple[str, ...] = ()
    reason: str = ""
    skipped: str | None = None
    head: str | None = None  # the commit the event is about


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

    Scheduled, manual and local runs (and every report and remind) take every matching file; a push or a
    merged pull request takes what it changed, and with ``catch_up`` a push takes besides every
    matching postmortem that still has items without a ticket.
    """
    check_event(event)
    writes = options.command in ("push", "pull")
    if options.command in ("report", "remind") or event.name not in ("push", "pull_request"):
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
    from syncer.parse.extract import extract
    from syncer.sync.plan import skipped_when_new

    settings = action_settings(git.root, options)
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
