"""The one error hierarchy of pmsync, and the one place that turns outcomes into exit codes.

Every expected failure is a :class:`PmsyncError`. :func:`exit_code_for` maps any exception to an
exit code and :func:`outcome_exit_code` maps a finished run (errors it collected, problems it
found) to one; the CLI's single exception handler (:func:`syncer.cli.main.main`), every command and
the GitHub Action use these two and nothing else. Anything that is not a :class:`PmsyncError` is a
bug: exit 3, with the traceback shown only under ``--debug`` (which never changes a code).

===  ==========================================================================
0    ok
1    problems found, or some items failed (:class:`TrackerError`)
2    usage, configuration or input error (:class:`ConfigError`, :class:`InputError`)
3    internal error: a bug in pmsync (any other exception)
130  interrupted (Ctrl-C)
===  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class PmsyncError(Exception):
    """Base of every error pmsync reports to its user (exit 2 unless a subclass says otherwise)."""


class InputError(PmsyncError):
    """A document cannot be read or processed; names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class ConfigError(PmsyncError):
    """The configuration is invalid or incomplete; the message names the setting to fix.

    Tracker errors the user fixes with a setting (a refused token, a project the token cannot
    reach, a URL that does not answer) are configuration errors too: they inherit from both.
    """


class WriteConflictError(InputError):
    """The file changed on disk between reading and writing it; nothing was written."""


class TrackerError(PmsyncError):
    """A tracker refused or failed a request (exit 1: the run's other items go on)."""


def exit_code_for(exc: BaseException) -> int:
    """The exit code for ``exc``: the one mapping from errors to exit codes."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, ConfigError | InputError):
        return EXIT_USAGE
    if isinstance(exc, TrackerError):
        return EXIT_PROBLEMS
    if isinstance(exc, PmsyncError):
        return EXIT_USAGE
    return EXIT_INTERNAL


def is_internal(exc: BaseException) -> bool:
    """Whether ``exc`` is a bug in pmsync rather than an error it reports to its user."""
    return exit_code_for(exc) == EXIT_INTERNAL


def outcome_exit_code(errors: Iterable[BaseException] = (), problems: bool = False) -> int:
    """The exit code of a run that went on past ``errors`` (documents it could not read, a
    refusal) and may have found ``problems`` (lint errors, failed items, conflicts): the gravest
    error's code, else 1 with problems, else 0."""
    codes = [exit_code_for(exc) for exc in errors]
    if codes:
        return max(codes)
    return EXIT_PROBLEMS if problems else EXIT_OK
