"""pmsync's one retry layer, for both trackers (tenacity).

The clients' own retries are switched off (``jira``: ``max_retries=0``; PyGithub: ``retry=None``),
so every request is attempted here and nowhere else. Rate limits and server errors are retried
with exponential backoff and jitter, honouring ``Retry-After`` and ``X-RateLimit-Reset``.

A request that creates something is never blindly retried: when its outcome is unknown (the
response was lost, it timed out, or the server failed after receiving it) :class:`OutcomeUnknown`
is raised so the connector can look for what it may have created before trying again.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.wait import wait_random_exponential

from connectors.base import RateLimited
from syncer.errors import ConfigError
from syncer.logs import get_logger

T = TypeVar("T")
log = get_logger("pmsync.retry")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, backoff bounds, and the longest wait accepted."""

    attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_wait: float = 300.0  # a server asking for longer than this ends the run with a message
    deadline: float | None = None  # seconds after which no further attempt starts
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Failure:
    """What a failed request says about retrying: its HTTP status and headers, if any."""

    status: int | None
    headers: Mapping[str, str]
    sent: bool  # whether the request may have reached the server


class Unreachable(RateLimited, ConfigError):
    """No attempt reached the server: its URL setting is wrong, or the network is down. A
    configuration error (exit 2), like a refused token."""


class OutcomeUnknown(Exception):
    """A non-idempotent request failed in a way that may have applied it."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Retryable(Exception):
    def __init__(self, cause: BaseException, failure: Failure) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.failure = failure


def transport_failure(exc: BaseException) -> Failure | None:
    """A :class:`Failure` for a ``requests`` transport error, else None.

    A refused connection never reached the server; a reset, a dropped response or a read
    timeout may have.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure(None, {}, sent=False)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Failure(None, {}, sent=not _never_connected(exc))
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError)):
        return Failure(None, {}, sent=True)
    return None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """Whether no connection was made: refused, or the host name did not resolve (urllib3's
    ``NameResolutionError`` is a ``NewConnectionError``)."""
    from urllib3.exceptions import NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(exc)
    return (isinstance(reason, NewConnectionError) or "NewConnectionError" in text
            or "Connection refused" in text)


def is_rate_limit(failure: Failure) -> bool:
    """429, or GitHub's 403 that carries ``retry-after`` or an exhausted quota."""
    if failure.status == 429:
        return True
    if failure.status == 403:
        headers = {k.lower(): v for k, v in failure.headers.items()}
        return "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
    return False


def retryable(failure: Failure) -> bool:
    """Whether trying again can help."""
    return failure.status is None or failure.status in RETRY_STATUSES or is_rate_limit(failure)


def server_wait(failure: Failure, now: float) -> float | None:
    """Seconds the server asked us to wait, from ``Retry-After`` or ``X-RateLimit-Reset``."""
    headers = {k.lower(): v for k, v in failure.headers.items()}
    after = headers.get("retry-after")
    if after:
        try:
            return max(0.0, float(after))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(after) if after else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    reset = headers.get("x-ratelimit-reset")
    if reset and (is_rate_limit(failure) or headers.get("x-ratelimit-remaining") == "0"):
        try:
            return max(0.0, float(reset) - now) + 1.0
        except ValueError:
            return None
    return None


def call(
    fn: Callable[[], T],
    classify: Callable[[BaseException], Failure | None],
    *,
    what: str,
    idempotent: bool = True,
    policy: RetryPolicy | None = None,
    setting: str = "the tracker URL setting",
) -> T:
    """Run ``fn`` with retries; ``classify`` maps a client exception to a :class:`Failure`
    (None: not an HTTP or transport failure, re-raised as is).

    Raises :class:`OutcomeUnknown` when a non-idempotent call may have been applied,
    :class:`Unreachable` (naming ``setting``, the variable that says where to connect) when no
    attempt reached the server, and :class:`RateLimited` when retries run out on rate limits or
    server errors.
    """
    policy = policy or RetryPolicy()
    backoff = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_cap)
    reached: list[bool] = []

    def attempt() -> T:
        try:
            return fn()
        except Exception as exc:
            failure = classify(exc)
            if failure is None or not retryable(failure):
                raise
            reached.append(failure.sent or failure.status is not None)
            if not idempotent and failure.sent and not is_rate_limit(failure):
                raise OutcomeUnknown(exc) from exc
            raise _Retryable(exc, failure) from exc

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = server_wait(exc.failure, policy.clock()) if isinstance(exc, _Retryable) else None
        seconds = asked if asked is not None else backoff(state)
        if seconds > policy.max_wait:
            raise RateLimited(f"{what}: the tracker asks to wait {seconds:.0f} s, more than the "
                              f"{policy.max_wait:.0f} s pmsync waits; try again later")
        log.info("retrying", what=what, wait=round(seconds, 2),
                 status=exc.failure.status if isinstance(exc, _Retryable) else None,
                 attempt=state.attempt_number)
        return seconds

    stop = stop_after_attempt(policy.attempts)
    retrying = Retrying(
        stop=stop if policy.deadline is None else stop | stop_after_delay(policy.deadline),
        wait=wait,
        retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Retryable as exc:
        raise _gave_up(exc, what, len(reached), setting, any(reached)) from exc.cause


def _gave_up(exc: _Retryable, what: str, attempts: int, setting: str,
             reached: bool) -> RateLimited:
    """The error for retries run out: unreachable, connection lost, or still refused."""
    cause = type(exc.cause).__name__
    if not reached:
        return Unreachable(f"{what}: cannot connect ({cause}, {attempts} attempts); check "
                           f"{setting} and the network")
    if exc.failure.status is None:
        return RateLimited(f"{what}: no connection after {attempts} attempts ({cause}); check "
                           f"{setting} and the network")
    return RateLimited(f"{what}: gave up after {attempts} attempts (HTTP {exc.failure.status})")


def header_map(headers: Any) -> dict[str, str]:
    """Any header container (requests' CaseInsensitiveDict, a dict, None) as a plain dict."""
    return {str(k): str(v) for k, v in dict(headers or {}).items()}
