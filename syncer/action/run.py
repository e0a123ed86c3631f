"""pmsync as a GitHub Action: the run, from the event to the outputs.

``action.yml`` only installs pmsync and calls ``pmsync action``; everything that decides
anything lives in this package so it can be tested with simulated event payloads and real git
repositories. :func:`run_action` takes the steps in order:

1. the event, read and checked (:mod:`~syncer.action.event`);
2. the postmortems in scope, or why nothing runs (:mod:`~syncer.action.scope`);
   (:mod:`~syncer.action.tickets` for ``issues`` and ``repository_dispatch`` events);
3. :func:`run_command` runs ``pmsync push|pull|check|report|remind|plan`` on them in this process, from the
   repository root, through a :data:`~syncer.action.results.CommandRunner` (the CLI's commands,
   with their typed results). The process must not import code from the repository:
   ``action.yml`` starts it with ``python -I``, and ``pmsync action`` drops the working
   directory and ``PYTHONPATH`` from ``sys.path`` before it imports anything more
   (:func:`syncer.cli.main.keep_repository_off_import_path`);
4. the write-back: commit, push or pull request (:mod:`~syncer.action.writeback`); for a
   plan, the comment on the pull request (:mod:`~syncer.action.review`);
5. the outputs and the step summary (:mod:`~syncer.action.publish`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from syncer.action.event import check_event, read_event
from syncer.action.git import Git
from syncer.action.options import COMMANDS, ActionOptions
from syncer.action.publish import publish
from syncer.action.results import ActionResult, CommandRun, CommandRunner, completed
from syncer.action.review import post_plan, review_command
from syncer.action.scope import Scope, find_scope
from syncer.action.tickets import TICKET_EVENTS, ticket_scope
from syncer.action.writeback import write_back
from syncer.errors import PmsyncError, exit_code_for

#: Options the Action always gives a command, before the ``args`` input (which may override
#: them): a check annotates the pull request or commit.
COMMAND_OPTIONS = {"check": ("--format", "github")}


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


def run_action(options: ActionOptions, env: Mapping[str, str],
               run: CommandRunner) -> ActionResult:
    """Run the Action: scope, the command (through ``run``), write-back or review, outputs.

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
    scope = (ticket_scope(git, event, options) if event.name in TICKET_EVENTS
             else find_scope(git, event, options))
    result = ActionResult(options.command, event.name, scope)
    if not scope.skipped and scope.files:
        running, note = review_command(git, event, options)
        done = run_command(git, running, scope, run)
        written = None
        if options.command in ("push", "pull") and completed(done):
            written = write_back(git, event, options, scope, env)
        review = note
        if running.command == "plan" and event.name == "pull_request" and completed(done):
            review = post_plan(env, event, done.summary)
        result = ActionResult(options.command, event.name, scope, done, written, review)
    publish(result, env)
    return result
