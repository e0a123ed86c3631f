"""What one Action run decided and did: the command's run, the write-back, the exit code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from syncer.action.scope import Scope
from syncer.errors import EXIT_OK, EXIT_PROBLEMS, outcome_exit_code

if TYPE_CHECKING:
    from syncer.sync.results import DocumentResult, RunResult


@dataclass(frozen=True)
class CommandRun:
    """What the pmsync command did: its exit code and typed results, or the error that stopped
    it (re-raised by ``pmsync action`` once the outputs are written, so it is reported once)."""

    exit_code: int
    result: RunResult | None = None  # push and pull
    summary: str = ""  # check: its one-line summary; plan: the plan in Markdown
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
    #: plan: what became of the pull-request comment, or why only the lint ran.
    review: str | None = None

    @property
    def exit_code(self) -> int:
        """The command's code (:mod:`syncer.errors`), at least 1 when the write-back failed."""
        failed = self.write_back is not None and self.write_back.outcome == "failed"
        return max(self.run.exit_code if self.run else EXIT_OK, outcome_exit_code(problems=failed))


def completed(run: CommandRun) -> bool:
    """Whether the command ran to its end: ok, or with per-item problems it reported."""
    return run.exit_code in (EXIT_OK, EXIT_PROBLEMS)
