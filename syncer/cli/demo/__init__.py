"""``pmsync demo``: the whole loop on the local sandbox, with no credentials and no network.

Starts the sandbox, copies two example postmortems (one with an action-item table, pushed to
Jira; one with a checkbox list, pushed to GitHub) to a temporary folder, pushes them, shows the
links written, changes ticket statuses as a teammate would, pulls them back, shows that diff and
the overdue report, and removes everything it made.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic_settings import PydanticBaseSettingsSource
from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from config.settings import Settings
from syncer.errors import InputError, outcome_exit_code

DOCUMENTS = ("2025-03-14-search-latency.md", "2025-05-02-webhook-delays.md")
AS_OF = date(2025, 4, 15)


class _DemoSettings(Settings):
    """Settings from the demo's own values only: no environment, no config file."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[Any], init_settings: PydanticBaseSettingsSource, *args: Any,
        **kwargs: Any,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def demo_settings(sandbox: Any) -> Settings:
    """Jira for the table postmortem, GitHub for the list one, both on ``sandbox``."""
    values: dict[str, Any] = {
        "tracker": "jira",
        "jira": {"url": sandbox.jira_url, "email": sandbox.jira_email, "token": sandbox.jira_token,
              "project": sandbox.jira_project, "timeout": 10},
        "github": {"repo": sandbox.github_repo, "token": sandbox.github_token,
                "api_url": sandbox.github_api_url, "timeout": 10},
        "owners": {"@maria": {"jira": "alice@example.com"}, "@alice": {"github": "alice"}},
        "routes": [{"tracker": "github", "path": "*webhook*"}],
    }
    return _DemoSettings(**values)


def run_demo(console: Console, keep: Path | None = None) -> int:
    """Run the demo, printing each step; returns an exit code.

    ``keep``, a folder to copy the documents into at the end, must be new or empty: the demo
    never overwrites a file (checked before anything starts).
    """
    _check_keep(keep)
    from connectors.sandbox import Sandbox
    from syncer.render.items import print_sync
    from syncer.sync.pull import pull
    from syncer.sync.push import push

    folder = Path(tempfile.mkdtemp(prefix="pmsync-demo-"))
    try:
        with Sandbox() as sandbox:
            console.rule("[bold]pmsync demo")
            console.print(f"Sandbox Jira and GitHub running at {sandbox.url} (local, throwaway).")
            paths = _copy_documents(folder)
            settings = demo_settings(sandbox)
            before = {p: p.read_text(encoding="utf-8") for p in paths}

            console.rule("1. pmsync push")
            result, _ = push(paths, settings)
            print_sync(console, result)
            _show_diff(console, before, folder)

            console.rule("2. A teammate works on the tickets")
            for line in _move_tickets(sandbox, result):
                console.print(f"  • {escape(line)}")

            console.rule("3. pmsync pull")
            middle = {p: p.read_text(encoding="utf-8") for p in paths}
            pulled = pull(paths, settings)
            print_sync(console, pulled)
            _show_diff(console, middle, folder)

            _show_report(console, paths, settings)
            console.rule()
            failed = result.failed or pulled.failed
            console.print("Done: the sandbox is stopped and the temporary folder removed."
                          if not keep else f"Documents kept in {keep}.")
            if keep:
                shutil.copytree(folder, keep, dirs_exist_ok=True)
            return outcome_exit_code(problems=failed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_keep(keep: Path | None) -> None:
    if keep is None or not keep.exists():
        return
    if not keep.is_dir():
        raise InputError(keep, "--keep needs a folder, and this is a file")
    if any(keep.iterdir()):
        raise InputError(keep, "--keep needs a new or empty folder, and this one holds files; "
                               "the demo overwrites nothing")


def _copy_documents(folder: Path) -> list[Path]:
    paths = []
    source = resources.files("syncer.cli.demo")
    for name in DOCUMENTS:
        target = folder / name
        target.write_bytes(source.joinpath(name).read_bytes())
        paths.append(target)
    return paths


def _show_diff(console: Console, before: dict[Path, str], folder: Path) -> None:
    for path, old in before.items():
        new = path.read_text(encoding="utf-8")
        if new == old:
            continue
        name = path.relative_to(folder).as_posix()
        diff = "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                            new.splitlines(keepends=True),
                                            f"a/{name}", f"b/{name}", n=0))
        console.print(Syntax(diff, "diff", theme="ansi_dark", word_wrap=True))


def _move_tickets(sandbox: Any, result: Any) -> list[str]:
    """Move some tickets as a person would; returns what was done, for the screen."""
    done: list[str] = []
    links = [i.link for d in result.documents for i in d.items if i.link is not None]
    jira = [link for link in links if link.tracker == "jira"]
    github = [link for link in links if link.tracker == "github"]
    for link, status in zip(jira, ("Done", "In Progress", "Done", "Done")):
        sandbox.admin.set_jira_status(link.key, status)
        done.append(f"{link.key} → {status} (Jira)")
    for link, reason in zip(github, ("completed", "not_planned")):
        number = int(link.key.rsplit("#", 1)[1])
        sandbox.admin.set_github_state(number, "closed", state_reason=reason)
        done.append(f"{link.label} closed as {reason.replace('_', ' ')} (GitHub)")
    return done


def _show_report(console: Console, paths: list[Path], settings: Settings) -> None:
    from syncer.cli.commands import run_report

    console.rule(f"4. pmsync report --as-of {AS_OF.isoformat()}")
    run_report(paths, settings, as_of=AS_OF)
