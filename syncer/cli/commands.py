"""The commands behind the CLI: plain functions that take values and return an exit code, or a
typed outcome that carries one (push, pull and check: the GitHub Action reads their results).

Every code comes from :func:`syncer.errors.outcome_exit_code`; errors that stop a command are
raised and turned into a message and a code by :func:`syncer.cli.main.main`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from config.settings import (
    Settings,
    load_settings,
    masked_dump,
    resolve_config_file,
    setting_leaves,
    settings_origins,
)
from connectors.registry import NoTrackerConfigured, tracker_names
from syncer.check import check_document
from syncer.errors import EXIT_OK, ConfigError, outcome_exit_code
from syncer.parse.extract import Extraction, extract
from syncer.policy import DuePolicy
from syncer.render.items import (
    diagnostic_json,
    diagnostic_line,
    dumps,
    github_annotation,
    item_json,
    output_console,
    print_doctor,
    print_items,
)
from syncer.render.report import (
    GITHUB_BODY_LIMIT,
    markdown_within,
    print_text,
    report_csv,
    report_json,
    report_markdown,
    slack_message,
)
from syncer.report import GroupBy, Report, TicketStates, build_report, read_ticket_states

if TYPE_CHECKING:
    from connectors.base import Tracker
    from syncer.sync.results import RunResult


@dataclass(frozen=True)
class SyncOutcome:
    """How a push or pull ended: its results and its exit code."""

    result: RunResult
    exit_code: int


@dataclass(frozen=True)
class PlanOutcome:
    """How a plan ended: the plan in Markdown (for a pull request) and the exit code."""

    markdown: str
    exit_code: int


@dataclass(frozen=True)
class CheckOutcome:
    """How a check ended: its one-line summary and its exit code."""

    summary: str
    exit_code: int


def _report_errors(extraction: Extraction) -> None:
    for error in extraction.errors:
        click.echo(f"pmsync: error: {error}", err=True)


def run_items(paths: Sequence[Path], settings: Settings, fmt: str) -> int:
    """``pmsync items``: print every action item found."""
    extraction = extract(paths, settings)
    _report_errors(extraction)
    for parsed in extraction.documents:
        for d in parsed.diagnostics:
            if d.severity != "info":
                click.echo(f"pmsync: {diagnostic_line(d)}", err=True)
    if fmt == "json":
        policy = DuePolicy.from_settings(settings)
        click.echo(dumps([item_json(i, policy.due(p, i), policy.configured)
                          for p in extraction.documents for i in p.items]))
    else:
        print_items(output_console(), ((str(p.doc.path), p.items) for p in extraction.documents))
    return outcome_exit_code(extraction.errors)


def run_check(paths: Sequence[Path], settings: Settings, fmt: str, as_of: date) -> CheckOutcome:
    """``pmsync check``: lint items; exit 1 when an error was found."""
    extraction = extract(paths, settings)
    _report_errors(extraction)
    policy = DuePolicy.from_settings(settings)
    found = [d for parsed in extraction.documents
             for d in check_document(parsed, as_of, rules=settings.check, policy=policy)]
    errors = sum(1 for d in found if d.severity == "error")
    warnings = sum(1 for d in found if d.severity == "warning")
    items = sum(len(p.items) for p in extraction.documents)
    summary = (f"{len(extraction.documents)} document(s), {items} action item(s): "
               f"{errors} error(s), {warnings} warning(s)")
    if fmt == "json":
        click.echo(dumps({
            "as_of": as_of.isoformat(), "documents": len(extraction.documents), "items": items,
            "errors": errors, "warnings": warnings,
            "problems": [diagnostic_json(d) for d in found],
        }))
    else:
        render = github_annotation if fmt == "github" else diagnostic_line
        for d in found:
            click.echo(render(d))
        click.echo(summary if fmt == "text" else f"::notice title=pmsync check::{summary}")
    return CheckOutcome(summary, outcome_exit_code(extraction.errors, problems=errors > 0))


def run_push(paths: Sequence[Path], settings: Settings, *, dry_run: bool = False,
             tracker: str | None = None, close_removed: bool = False, fmt: str = "text",
             verbose: bool = False) -> SyncOutcome:
    """``pmsync push``: create or update one ticket per item and write the links back."""
    from syncer.render.progress import progress_hook
    from syncer.sync.push import push

    with progress_hook(enabled=fmt == "text") as hook:
        result, _ = push(paths, settings, dry_run=dry_run, tracker=tracker,
                         close_removed=close_removed, progress=hook)
    return _finish_sync(result, fmt, verbose)


def run_plan(paths: Sequence[Path], settings: Settings, *, fmt: str = "text",
             tracker: str | None = None) -> PlanOutcome:
    """``pmsync plan``: what push would do, per item, for a reviewer; writes nothing. Exit 1
    on a conflict or a problem, 2 when a document cannot be read."""
    from syncer.push_plan import plan_rows
    from syncer.render.plan import plan_markdown_within, print_plan
    from syncer.sync.push import push

    result, plans = push(paths, settings, dry_run=True, tracker=tracker)
    documents = plan_rows(plans, settings)
    markdown = plan_markdown_within(documents, base_url=settings.document_base_url)
    if fmt == "json":
        click.echo(dumps([{"file": d.path.as_posix(), "items": [r.to_json() for r in d.rows],
                           "left_alone": d.left_alone} for d in documents]))
    elif fmt == "markdown":
        click.echo(markdown, nl=False)
    else:
        print_plan(output_console(), documents)
    for error in result.errors:
        click.echo(f"pmsync: error: {error}", err=True)
    return PlanOutcome(markdown, outcome_exit_code(result.errors, problems=result.failed))


def run_pull(paths: Sequence[Path], settings: Settings, *, dry_run: bool = False,
             check: bool = False, fmt: str = "text", verbose: bool = False) -> SyncOutcome:
    """``pmsync pull``: bring ticket statuses into the documents; ``check`` writes nothing and
    exits 1 when a document is out of date."""
    from syncer.sync.pull import pull

    result = pull(paths, settings, dry_run=dry_run or check)
    return _finish_sync(result, fmt, verbose, out_of_date=check and result.total("status") > 0)


def _finish_sync(result: RunResult, fmt: str, verbose: bool,
                 out_of_date: bool = False) -> SyncOutcome:
    from syncer.render.items import print_sync, sync_json

    if fmt == "json":
        click.echo(dumps(sync_json(result)))
    else:
        print_sync(output_console(), result, verbose)
    for error in result.errors:  # after the plan, where the reader's eye ends up
        click.echo(f"pmsync: error: {error}", err=True)
    return SyncOutcome(result, outcome_exit_code(result.errors,
                                                 problems=result.failed or out_of_date))


def run_remind(paths: Sequence[Path], settings: Settings, *, as_of: date,
               dry_run: bool = False, fmt: str = "text") -> int:
    """``pmsync remind``: one comment per window on each open, due-soon or overdue item's
    ticket; exit 1 when a reminder could not be posted, 2 when a document cannot be read."""
    from syncer.remind import remind
    from syncer.render.remind import print_reminders, reminders_json

    extraction = extract(paths, settings)
    if extraction.errors:  # nothing is posted while a document cannot be read
        _report_errors(extraction)
        return outcome_exit_code(extraction.errors)
    result = remind(extraction.documents, settings, as_of=as_of, dry_run=dry_run)
    if fmt == "json":
        click.echo(dumps(reminders_json(result)))
    else:
        print_reminders(output_console(), result)
    return outcome_exit_code(problems=result.failed > 0)


def run_config(config_file: Path | None, fmt: str) -> int:
    """``pmsync config``: the effective settings, secrets masked, with where each came from."""
    path = resolve_config_file(config_file)
    values = masked_dump(load_settings(path, trackers=tracker_names()))
    origins = settings_origins(path)
    if fmt == "json":
        click.echo(dumps({"settings": values, "origins": origins}))
        return EXIT_OK
    for key, value in setting_leaves(values):
        origin = next((o for k, o in origins.items() if k == key or key.startswith(k + ".")),
                      "default")
        click.echo(f"{key} = {value!r}  # {origin}")
    return EXIT_OK


def run_doctor(settings: Settings, trackers: Sequence[str], fmt: str) -> int:
    """``pmsync doctor``: check configuration, access and mappings of each tracker; exit 1 when
    a check fails, 2 when no tracker is configured."""
    from syncer.doctor import diagnose, trackers_to_check

    reports = diagnose(settings, trackers_to_check(settings, trackers))
    ok = all(r.ok for r in reports)
    if fmt == "json":
        click.echo(dumps({"ok": ok, "trackers": [r.to_json() for r in reports]}))
    else:
        print_doctor(output_console(), reports)
    return outcome_exit_code(problems=not ok)


REPORT_FORMATS = ("text", "markdown", "json", "csv")
POST_TARGETS = ("github-issue", "slack")
#: GitHub shows at most 1 MiB of step summary per step.
STEP_SUMMARY_LIMIT = 1024 * 1024 - 1024


def run_report(
    paths: Sequence[Path],
    settings: Settings,
    *,
    as_of: date,
    fmt: str = "text",
    group_by: GroupBy | None = None,
    refresh: bool = False,
    github_summary: bool = False,
    post: Sequence[str] = (),
    fail_on_overdue: bool = False,
    trackers: Sequence[Tracker] | None = None,
) -> int:
    """``pmsync report``: overdue, due-soon and incomplete items with follow-up metrics.

    Exit 0 whether or not items are overdue, unless ``fail_on_overdue`` (then 1 when any are);
    2 when a document cannot be read (nothing is printed or posted then).
    """
    summary_file = _step_summary_file() if github_summary else None
    extraction = extract(paths, settings)
    if extraction.errors:
        _report_errors(extraction)
        return outcome_exit_code(extraction.errors)
    states = None
    if refresh:
        states = _read_states(extraction, settings, trackers)
    report = build_report(extraction.documents, as_of, states=states, group_by=group_by,
                          due_soon_days=settings.report.due_soon_days,
                          policy=DuePolicy.from_settings(settings))
    base_url = settings.document_base_url
    if fmt == "json":
        click.echo(report_json(report))
    elif fmt == "csv":
        click.echo(report_csv(report), nl=False)
    elif fmt == "markdown":
        click.echo(report_markdown(report, document_base_url=base_url), nl=False)
    else:
        print_text(output_console(), report)
    if summary_file is not None:
        text = markdown_within(report, STEP_SUMMARY_LIMIT, document_base_url=base_url)
        with summary_file.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    for target in post:
        click.echo(f"pmsync: {_post(target, report, settings)}", err=True)
    return outcome_exit_code(problems=fail_on_overdue and bool(report.overdue))


def _step_summary_file() -> Path:
    name = os.environ.get("GITHUB_STEP_SUMMARY", "").strip()
    if not name:
        raise ConfigError("--github-summary needs GITHUB_STEP_SUMMARY, which GitHub Actions "
                          "sets in a workflow step; run it there, or set it to a file path")
    return Path(name)


def _read_states(extraction: Extraction, settings: Settings,
                 trackers: Sequence[Tracker] | None) -> TicketStates:
    if trackers is not None:
        return read_ticket_states(extraction.documents, trackers)
    from syncer.sync.trackers import TrackerPool

    pool = TrackerPool(settings)
    names = pool.configured()
    if not names:
        raise NoTrackerConfigured
    try:
        return read_ticket_states(extraction.documents, [pool.get(name) for name in names])
    finally:
        pool.close()


def _post(target: str, report: Report, settings: Settings) -> str:
    if target == "slack":
        from connectors.delivery.slack import post_message

        slack_ids = {name: who.slack for name, who in settings.owners.items() if who.slack}
        post_message(settings, slack_message(report, slack_ids=slack_ids))
        return "posted the summary to Slack"
    from connectors.delivery.tracking_issue import upsert_tracking_issue

    body = markdown_within(report, GITHUB_BODY_LIMIT - 200,
                           document_base_url=settings.document_base_url)
    body += "\n<sub>Kept up to date by `pmsync report --post github-issue`.</sub>\n"
    issue = upsert_tracking_issue(settings, body)
    return f"tracking issue #{issue.number} {issue.action}: {issue.url}"
