"""The Action's inputs (``action.yml``, the ``pmsync action`` options), and the bot identity and
commit trailer that mark the write-back commits pmsync makes itself."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from syncer.errors import PmsyncError

if TYPE_CHECKING:
    from config.settings import Settings

COMMANDS = ("push", "pull", "check", "report", "remind", "plan")
WRITE_BACK_MODES = ("commit", "pull-request", "none")
DEFAULT_PATHS = ("postmortems/**/*.md",)
#: The trailer of every write-back commit: an event whose head commit has it is skipped (no loop).
TRAILER = "Pmsync-Write-Back: true"


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


def action_settings(root: Path, options: ActionOptions) -> Settings:
    """The settings the command will read: this process's environment and the config file
    (``options.config_file`` relative to the repository ``root``, else the nearest one)."""
    from config.settings import find_config_file, load_settings
    from connectors.registry import tracker_names

    config = root / options.config_file if options.config_file else find_config_file(root)
    return load_settings(config, trackers=tracker_names())


def split_paths(values: Sequence[str]) -> tuple[str, ...]:
    """Globs from options that may each hold several, one a line or comma-separated."""
    found = [part.strip() for value in values for part in re.split(r"[\n,]", value)]
    return tuple(part for part in found if part) or DEFAULT_PATHS


def parse_args(value: str) -> tuple[str, ...]:
    """Extra arguments for the pmsync command, split as a shell would (nothing is run by one)."""
    try:
        return tuple(shlex.split(value))
    except ValueError as exc:
        raise PmsyncError(f"action args {value!r}: {exc}") from None
