"""The ``pmsync`` command line: parse options, call one core function, return an exit code.

Errors are turned into messages and exit codes in one place, :func:`main`. Tracker clients are
imported lazily by the commands that need them, so ``pmsync --help`` and ``pmsync check`` stay
fast and never import ``jira`` or ``github``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connectors.registry import tracker_names
from syncer.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    PmsyncError,
    exit_code_for,
    is_internal,
)

if TYPE_CHECKING:
    from syncer.action.results import CommandRunner
    from syncer.cli.commands import CheckOutcome, PlanOutcome, SyncOutcome

FORMATS_DATA = click.Choice(["text", "json"])


@dataclass
class AppContext:
    """What the group options decide for every command."""

    config_file: Path | None
    debug: bool

    def settings(self, **overrides: Any) -> Any:
        """Load settings (CLI overrides win over every other source)."""
        from config.settings import load_settings

        return load_settings(self.config_file, trackers=tracker_names(), **overrides)


class TrackerChoice(click.Choice[str]):
    """A registered tracker name (:mod:`connectors.registry`), read when options are parsed."""

    def __init__(self) -> None:
        super().__init__(tracker_names())

    @property
    def choices(self) -> tuple[str, ...]:
        return tracker_names()

    @choices.setter
    def choices(self, _: object) -> None:
        pass  # set by click.Choice.__init__: the registry, not a copy, is the source


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="pmsync")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Config file (default: nearest pmsync.toml or pyproject.toml [tool.pmsync]).")
@click.option("--log-format", type=click.Choice(["auto", "console", "json"]), default="auto",
              show_default=True, help="Log format; auto means JSON in CI or when not a terminal.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, log_format: str, verbose: int,
        debug: bool) -> None:
    """Turn postmortem action items into tracked Jira or GitHub issues.

    Exit codes: 0 ok, 1 problems found or some items failed, 2 usage, config or input error,
    3 internal error (a bug: please report it with the --debug output), 130 interrupted.
    """
    if ctx.invoked_subcommand == "action":  # before anything more is imported
        keep_repository_off_import_path()
    from syncer.logs import configure_logging

    configure_logging(log_format, verbose + (2 if debug else 0))  # type: ignore[arg-type]
    ctx.obj = AppContext(config_file, debug)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True,
              help="text: a table per document; json: one array of all items.")
@pass_app
def items(app: AppContext, paths: tuple[Path, ...], fmt: str) -> int:
    """List the action items found in PATHS (files, or directories searched for *.md)."""
    from syncer.cli.commands import run_items

    return run_items(paths, app.settings(), fmt)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="github prints workflow annotations for pull requests.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date for overdue checks (default: today).")
@pass_app
def check(app: AppContext, paths: tuple[Path, ...], fmt: str, as_of: Any) -> CheckOutcome:
    """Lint action items: owner, due date, priority, status, ids, placeholders, overdue.

    Each rule can be set to error, warning or off under [check] in pmsync.toml
    (PMSYNC_CHECK__MISSING_OWNER=off); exempt-done = true spares done and won't-do items the
    owner and due-date rules. Due dates include the follow-up policy's ([policy]).

    \b
    Rules (default level):
      missing-owner          error    an item has no owner
      missing-due            error    no due date, in the document or by policy (open items)
      bad-due                error    the due date is not a date pmsync can read
      due-no-year            warning  the due date has no year and there is no incident date
      missing-priority       warning  an item has no priority
      unknown-status         warning  the status is not a known status word
      duplicate-id           error    two items share one id
      placeholder            error    a template placeholder left in a filled document
      overdue                warning  past its due date and not done
      encoding               warning  the file is not valid UTF-8 (read as cp1252)
      empty-table            warning  an action-item table with a header but no rows
      ragged-row             warning  a row with more or fewer cells than its header
      no-title               warning  a row with no action text
      severe-without-urgent  off      a SEV0-SEV2 postmortem with no P0 or P1 item
      unowned-at-due         off      no owner and its due date (policy's too) has come
    """
    from syncer.cli.commands import run_check

    day = as_of.date() if as_of else date.today()
    return run_check(paths, app.settings(), fmt, day)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date the report is for (default: today).")
@click.option("--refresh", is_flag=True,
              help="Read the tickets' current states from the trackers first (writes nothing).")
@click.option("--group-by", type=click.Choice(["owner", "postmortem", "tracker", "priority"]),
              default=None, help="Group the listed items.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "csv"]),
              default="text", show_default=True)
@click.option("--github-summary", is_flag=True,
              help="Also append the Markdown report to $GITHUB_STEP_SUMMARY.")
@click.option("--post", type=click.Choice(["github-issue", "slack"]), multiple=True,
              help="Deliver the report: update the tracking issue, or post to Slack (repeatable).")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when any item is overdue.")
@pass_app
def report(app: AppContext, paths: tuple[Path, ...], as_of: Any, refresh: bool,
           group_by: str | None, fmt: str, github_summary: bool, post: tuple[str, ...],
           fail_on_overdue: bool) -> int:
    """Report overdue, due-soon and incomplete action items in PATHS, with follow-up metrics.

    Exits 0 whether or not items are overdue, unless --fail-on-overdue.
    """
    from syncer.cli.commands import run_report

    return run_report(
        paths, app.settings(), as_of=as_of.date() if as_of else date.today(), fmt=fmt,
        group_by=group_by, refresh=refresh, github_summary=github_summary,  # type: ignore[arg-type]
        post=post, fail_on_overdue=fail_on_overdue,
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--tracker", type=TrackerChoice(), default=None,
              help="Tracker for items that name none (default: the tracker setting).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="markdown is what the Action posts on a pull request.")
@pass_app
def plan(app: AppContext, paths: tuple[Path, ...], tracker: str | None,
         fmt: str) -> PlanOutcome:
    """Show what push would do for each action item in PATHS, for a reviewer: create, update,
    link or conflict, with titles, owners, trackers and due dates (and their source).

    Reads the trackers, writes nothing. Exit 1 on a conflict or a problem.
    """
    from syncer.cli.commands import run_plan

    return run_plan(paths, app.settings(), fmt=fmt, tracker=tracker)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="List the reminders due and whether each was already posted; post nothing.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to remind for (default: today).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@pass_app
def remind(app: AppContext, paths: tuple[Path, ...], dry_run: bool, as_of: Any,
           fmt: str) -> int:
    """Comment on the ticket of each open item in PATHS that is overdue or due soon.

    The comment mentions the ticket's assignee (GitHub @login; Jira a mention of the user).
    One reminder per ticket per window of remind.every_days days (default 7; windows start on
    Mondays), found again by a hidden tag, so runs can repeat safely. Items due within
    remind.days_before days (default 3) or overdue are reminded; done tickets never.
    """
    from syncer.cli.commands import run_remind

    day = as_of.date() if as_of else date.today()
    return run_remind(paths, app.settings(), as_of=day, dry_run=dry_run, fmt=fmt)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan and stop; nothing is created or written.")
@click.option("--tracker", type=TrackerChoice(), default=None,
              help="Tracker for items that name none (default: the tracker setting).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True,
              help="json prints one object with per-document and per-item results.")
@click.option("--close-removed", is_flag=True,
              help="Close (as not planned) open tickets of items deleted from their document.")
@click.option("--all", "show_all", is_flag=True, help="List unchanged items too.")
@click.option("--max-create", type=click.IntRange(min=0), default=None, metavar="N",
              help="Create at most N tickets; a push that would create more creates none and "
              "exits 2 (0: no limit; default: push.max_create, 50).")
@pass_app
def push(app: AppContext, paths: tuple[Path, ...], dry_run: bool, tracker: str | None,
         close_removed: bool, fmt: str, show_all: bool, max_create: int | None) -> SyncOutcome:
    """Create or update one ticket per action item and write the links into the documents.

    Safe to run again: linked items are updated only where the document changed, and a ticket
    created by a run that was interrupted is found again by its marker, never created twice.
    Items already done or won't-do when first met get no ticket unless push.create_done is set.
    """
    from syncer.cli.commands import run_push

    overrides = {"push": {"max_create": max_create}} if max_create is not None else {}
    return run_push(paths, app.settings(**overrides), dry_run=dry_run, tracker=tracker,
                    close_removed=close_removed, fmt=fmt, verbose=show_all)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 when a document's statuses are out of date (for CI).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.option("--all", "show_all", is_flag=True, help="List unchanged items too.")
@pass_app
def pull(app: AppContext, paths: tuple[Path, ...], dry_run: bool, check_only: bool, fmt: str,
         show_all: bool) -> SyncOutcome:
    """Bring each linked ticket's status into its document, in the document's own words.

    Every status is written so that pmsync reads it back: a Status cell, a checkbox, or a
    trailing annotation such as "(Won't Do)" on a list item. Exits 2 when documents name tickets
    but no tracker is configured.
    """
    from syncer.cli.commands import run_pull

    return run_pull(paths, app.settings(), dry_run=dry_run, check=check_only, fmt=fmt,
                    verbose=show_all)


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Copy the demo's documents here at the end instead of discarding them.")
def demo(keep: Path | None) -> int:
    """Try the whole loop on a local sandbox: push, a teammate's changes, pull, report.

    Needs no credentials and no network, takes a few seconds and leaves nothing behind.
    """
    from syncer.cli.demo import run_demo
    from syncer.render.items import output_console

    return run_demo(output_console(), keep)


@cli.command("config")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@pass_app
def config_command(app: AppContext, fmt: str) -> int:
    """Print the effective settings (secrets masked) and where each value came from."""
    from syncer.cli.commands import run_config

    return run_config(app.config_file, fmt)


@cli.command()
@click.option("--tracker", "trackers", multiple=True, type=TrackerChoice(),
              help="Tracker to check (repeatable; default: PMSYNC_TRACKER, else every configured).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@pass_app
def doctor(app: AppContext, trackers: tuple[str, ...], fmt: str) -> int:
    """Check tracker configuration, credentials, access and mappings; print what to fix."""
    from syncer.cli.commands import run_doctor

    return run_doctor(app.settings(), trackers, fmt)


@cli.command()
@click.option("--port", type=int, default=8765, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--flavour", type=click.Choice(["cloud", "server"]), default="cloud",
              show_default=True, help="Jira flavour to imitate.")
@click.option("--github-layout", type=click.Choice(["github.com", "ghes"]), default="github.com",
              show_default=True)
@click.option("--tracker", type=click.Choice(["jira", "github"]), default="jira",
              show_default=True, help="The PMSYNC_TRACKER it prints: where items go by default.")
def sandbox(port: int, flavour: str, github_layout: str, tracker: str) -> int:
    """Run local Jira- and GitHub-compatible servers to try pmsync safely.

    Prints the PMSYNC_* variables to export in the shell where you run pmsync. An admin API
    steers the sandbox as a teammate or an outage would, JSON in and out:

    \b
      GET    /_sandbox/                        every admin endpoint, with what it does
      GET    /_sandbox/state                   projects, repositories and every issue
      POST   /_sandbox/jira/issues/KEY/status  move a Jira issue: {"status": "Done"}
      POST   /_sandbox/github/issues/N/state   close a GitHub issue: {"state": "closed"}
      PUT    /_sandbox/faults                  inject 429s, 5xx, resets, lost answers
      GET    /_sandbox/requests                the request log
      GET    /_sandbox/slack/messages          what reached the Slack webhook
      POST   /_sandbox/reset                   back to the seeded start
    """
    import errno

    from connectors.sandbox import serve

    try:
        serve(port=port, flavour=flavour, github_layout=github_layout, tracker=tracker)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise PmsyncError(f"port {port} on 127.0.0.1 is in use: choose another with --port, "
                          "or --port 0 for a free one") from None
    return EXIT_OK


@cli.command("action")
@click.option("--command", "command",
              type=click.Choice(["push", "pull", "check", "report", "remind", "plan"]),
              default="push", show_default=True, help="What to run on the postmortems in scope.")
@click.option("--paths", multiple=True, help="Glob(s) of postmortems, ** spans folders; several "
              "per value one a line or comma-separated.  [default: postmortems/**/*.md]")
@click.option("--write-back", type=click.Choice(["commit", "pull-request", "none"]),
              default="commit", show_default=True, help="How edited documents reach the repo.")
@click.option("--bot-name", default="pmsync[bot]", show_default=True)
@click.option("--bot-email", default="pmsync[bot]@users.noreply.github.com", show_default=True)
@click.option("--skip-ci", is_flag=True, help="Add [skip ci] to write-back commits.")
@click.option("--args", "extra", default="", help="Extra arguments for the command (shell words).")
@click.option("--catch-up/--no-catch-up", default=False, show_default=True,
              help="push: also every matching postmortem that still has items without a ticket, "
                   "so a run that failed heals (scheduled and manual runs take every one anyway).")
@pass_app
def action(app: AppContext, command: str, paths: tuple[str, ...], write_back: str,
           bot_name: str, bot_email: str, skip_ci: bool, extra: str, catch_up: bool) -> int:
    """Run as the GitHub Action: find the postmortems the event changed, run, write back.

    Runs on push, pull_request, schedule, workflow_dispatch, issues and repository_dispatch
    (type pmsync-ticket) events, and outside Actions; any other event, pull_request_target
    above all, is refused (exit 2). issues and repository_dispatch run pull on the postmortems
    that link the ticket; plan on a pull request also posts one comment, updated in place.
    """
    import os

    from syncer.action.options import ActionOptions, Bot, parse_args, split_paths
    from syncer.action.run import run_action

    options = ActionOptions(command, split_paths(paths), write_back, Bot(bot_name, bot_email),
                            skip_ci, parse_args(extra), app.config_file, catch_up=catch_up)
    result = run_action(options, dict(os.environ), command_runner(app))
    scope = result.scope
    click.echo(f"pmsync action: skipped: {scope.skipped}" if scope.skipped else
               f"pmsync action: {len(scope.files)} document(s), {scope.reason}", err=True)
    if result.write_back and result.write_back.message:
        click.echo(f"pmsync action: write-back {result.write_back.outcome}: "
                   f"{result.write_back.message}", err=True)
    if result.run and result.run.error is not None:
        raise result.run.error  # reported once, by main(), with its exit code
    return result.exit_code


def command_runner(app: AppContext) -> CommandRunner:
    """What ``pmsync action`` runs commands with: ``pmsync COMMAND ARGS -- FILES`` in this
    process, parsed by the command's own options, its typed outcome read back."""
    from syncer.action.results import CommandRun
    from syncer.cli.commands import CheckOutcome, PlanOutcome, SyncOutcome
    from syncer.errors import ConfigError

    def run(command: str, args: Sequence[str], files: Sequence[str]) -> CommandRun:
        sub = cli.commands[command]
        root = click.Context(cli, info_name="pmsync", obj=app)
        try:
            with sub.make_context(command, [*args, "--", *files], parent=root) as ctx:
                outcome = sub.invoke(ctx)
        except click.ClickException as exc:
            raise ConfigError(f"action args for {command}: {exc.format_message()}") from None
        except click.exceptions.Exit as exc:  # --help in the args: the help was printed
            return CommandRun(int(exc.exit_code))
        if isinstance(outcome, SyncOutcome):
            return CommandRun(outcome.exit_code, result=outcome.result)
        if isinstance(outcome, CheckOutcome):
            return CommandRun(outcome.exit_code, summary=outcome.summary)
        if isinstance(outcome, PlanOutcome):
            return CommandRun(outcome.exit_code, summary=outcome.markdown)
        return CommandRun(exit_code_of(outcome))

    return run


def keep_repository_off_import_path() -> None:
    """Take the working directory and ``PYTHONPATH`` off ``sys.path``, as ``python -I`` does.

    ``pmsync action`` runs in the checked-out repository (a fork's pull request, perhaps) with
    the tokens in its environment: what it imports from here on (settings, logging, rich, the
    tracker clients) must come from pmsync's installation, never from a ``config/``,
    ``structlog.py`` or ``github.py`` the repository holds. ``action.yml`` starts it with
    ``python -I``, which also covers what is imported before this runs; this covers a workflow
    that starts ``pmsync action`` itself. The folder pmsync itself is imported from stays.
    """
    import os

    own = Path(__file__).resolve().parent.parent
    unsafe = {Path(entry or ".").resolve()
              for entry in ["", *os.environ.get("PYTHONPATH", "").split(os.pathsep)]} - {own}
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() not in unsafe]


def exit_code_of(outcome: object) -> int:
    """A command's exit code: returned as it is, or carried by its typed outcome."""
    if isinstance(outcome, int):
        return outcome
    return int(getattr(outcome, "exit_code", EXIT_OK))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI; the one place where an error becomes a message and an exit code.

    The code comes from :func:`syncer.errors.exit_code_for`; ``--debug`` adds the traceback
    (secrets masked) and never changes it.
    """
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_PROBLEMS
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _fail(exc, debug)
    return exit_code_of(result)


def _fail(exc: BaseException, debug: bool) -> int:
    """Print one line for ``exc`` (with ``debug`` the whole traceback before it, chained causes
    included), every secret masked; return its exit code. A bug says so and how to see more."""
    import traceback

    from syncer.logs import mask_secrets

    if debug:
        click.echo(mask_secrets("".join(traceback.format_exception(exc))), err=True, nl=False)
    if is_internal(exc):
        message = f"pmsync: internal error: {type(exc).__name__}: {exc}" + (
            "" if debug else " (run with --debug for the traceback)")
    else:
        message = f"pmsync: error: {exc}"
    click.echo(mask_secrets(message), err=True)
    return exit_code_for(exc)


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
