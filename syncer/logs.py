"""Logging through structlog: readable on a terminal, JSON in CI or with ``--log-format json``.

Logs go to standard error so that ``--format json`` output on standard output stays clean. A
processor masks every secret registered with :func:`register_secret`, so a token that slips into
a message or a field never reaches the output.

structlog itself is imported only when a logger is first asked for (or is already loaded): the
commands that never log (``--help``, ``check``, ``items``) start faster without it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

LogFormat = Literal["auto", "console", "json"]

_secrets: set[str] = set()
_pending: tuple[str, int] | None = None  # set by configure_logging until structlog is loaded


def register_secret(value: str | None) -> None:
    """Mask this value wherever it appears in a log event."""
    if value and len(value) >= 4:
        _secrets.add(value)


# ``scheme://user:password@host``: the part before ``@`` is a credential.
_URL_CREDENTIALS = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/@?#]+@")


def mask_url_credentials(text: str) -> str:
    """``text`` with the user and password of every URL replaced by ``********``."""
    return _URL_CREDENTIALS.sub(r"\1********@", text)


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret, longest first, and every credential embedded in
    a URL replaced by ``********``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
    return mask_url_credentials(text)


def _mask_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if isinstance(value, str):
            event[key] = mask_secrets(value)
        elif value is not None and not isinstance(value, (int, float, bool)):
            event[key] = mask_secrets(str(value))
    return event


def in_ci() -> bool:
    """Whether we run in CI (GitHub Actions and most others set ``CI``)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


class _StderrLogger:
    """Writes each line to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(log_format: LogFormat = "auto", verbosity: int = 0) -> None:
    """Set up structlog once per process; ``verbosity`` 0 = warnings, 1 = info, 2 = debug."""
    global _pending
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    if log_format == "auto":
        log_format = "json" if in_ci() or not sys.stderr.isatty() else "console"
    # The tracker clients log through the standard library: keep their noise at our level.
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr, format="%(message)s")
    _pending = (log_format, level)
    if "structlog" in sys.modules:
        _apply_pending()


def _apply_pending() -> None:
    """Configure structlog as :func:`configure_logging` last asked, if not done yet."""
    global _pending
    if _pending is None:
        return
    log_format, level = _pending
    _pending = None
    import structlog

    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _configure_library_default() -> None:
    """Used as a library (no CLI), pmsync logs warnings and errors only, to standard error."""
    import structlog

    structlog.configure(
        processors=[structlog.processors.add_log_level, _mask_processor,
                    structlog.dev.ConsoleRenderer(colors=False)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A structlog logger bound to a component name."""
    import structlog

    _apply_pending()
    if not structlog.is_configured():
        _configure_library_default()
    return structlog.get_logger(component=name)
