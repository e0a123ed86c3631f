"""The one retry layer: what is retried, how long it waits, and what it never retries."""

from __future__ import annotations

import pytest
import requests

from connectors.base import RateLimited
from connectors.retry import (
    Failure,
    OutcomeUnknown,
    RetryPolicy,
    call,
    server_wait,
    transport_failure,
)
from syncer.errors import exit_code_for


class HTTPFailure(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers or {}


def classify(exc: BaseException) -> Failure | None:
    if isinstance(exc, HTTPFailure):
        return Failure(exc.status, exc.headers, sent=True)
    return transport_failure(exc)


def flaky(*failures: BaseException, result: str = "ok") -> tuple[list[int], object]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return result

    return calls, fn


def policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(attempts=4, sleep=sleeps.append, clock=lambda: 1000.0)


def test_429_waits_what_retry_after_says() -> None:
    sleeps: list[float] = []
    calls, fn = flaky(HTTPFailure(429, {"Retry-After": "7"}))
    assert call(fn, classify, what="x", policy=policy(sleeps)) == "ok"  # type: ignore[arg-type]
    assert sleeps == [7.0] and len(calls) == 2


def test_github_reset_header_sets_the_wait() -> None:
    failure = Failure(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}, True)
    assert server_wait(failure, now=1000.0) == 31.0


def test_a_create_that_may_have_happened_is_never_retried() -> None:
    sleeps: list[float] = []
    calls, fn = flaky(HTTPFailure(502))
    with pytest.raises(OutcomeUnknown):
        call(fn, classify, what="create", idempotent=False, policy=policy(sleeps))  # type: ignore[arg-type]
    assert len(calls) == 1 and sleeps == []


def test_a_rate_limited_create_is_retried() -> None:
    sleeps: list[float] = []
    calls, fn = flaky(HTTPFailure(429, {"Retry-After": "1"}))
    assert call(fn, classify, what="create", idempotent=False, policy=policy(sleeps)) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 2


def test_refused_connection_is_retried_even_for_creates() -> None:
    sleeps: list[float] = []
    refused = requests.exceptions.ConnectionError("NewConnectionError: Connection refused")
    calls, fn = flaky(refused)
    assert call(fn, classify, what="create", idempotent=False, policy=policy(sleeps)) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 2 and len(sleeps) == 1


def test_client_errors_are_not_retried() -> None:
    calls, fn = flaky(HTTPFailure(400))
    with pytest.raises(HTTPFailure):
        call(fn, classify, what="x", policy=policy([]))  # type: ignore[arg-type]
    assert len(calls) == 1


def test_giving_up_names_what_failed() -> None:
    calls, fn = flaky(*[HTTPFailure(503)] * 4)
    with pytest.raises(RateLimited, match="read issues: gave up after 4 attempts \\(HTTP 503\\)"):
        call(fn, classify, what="read issues", policy=policy([]))  # type: ignore[arg-type]
    assert len(calls) == 4


def test_an_unreasonable_wait_ends_the_run_with_a_message() -> None:
    _calls, fn = flaky(HTTPFailure(429, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited, match="asks to wait 3600 s"):
        call(fn, classify, what="x", policy=policy([]))  # type: ignore[arg-type]


def _unresolved() -> requests.exceptions.ConnectionError:
    """What requests raises for a host name that does not resolve (a typo in a URL setting)."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    reason = NameResolutionError("jira.acme.invalid", None, OSError("Name or service not known"))
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/rest", reason))


def test_a_host_that_does_not_resolve_was_never_reached() -> None:
    assert transport_failure(_unresolved()) == Failure(None, {}, sent=False)
    _calls, fn = flaky(_unresolved(), result="created")  # a create may be tried again
    assert call(fn, classify, what="create", idempotent=False, policy=policy([])) == "created"


def test_never_reaching_the_server_is_unreachable_exit_2_naming_the_setting() -> None:
    from connectors.retry import Unreachable

    calls, fn = flaky(*[_unresolved()] * 3)
    with pytest.raises(Unreachable) as raised:
        call(fn, classify, what="read Jira server info", setting="PMSYNC_JIRA__URL",
             policy=RetryPolicy(attempts=3, sleep=lambda _: None))
    assert exit_code_for(raised.value) == 2 and len(calls) == 3
    assert str(raised.value) == ("read Jira server info: cannot connect (ConnectionError, 3 "
                                 "attempts); check PMSYNC_JIRA__URL and the network")


def test_a_connection_lost_after_reaching_the_server_is_not_unreachable() -> None:
    from connectors.retry import Unreachable

    reset = requests.exceptions.ConnectionError("Connection aborted: reset by peer")
    _calls, fn = flaky(*[reset] * 3)
    with pytest.raises(RateLimited) as raised:
        call(fn, classify, what="read issues", policy=RetryPolicy(attempts=3, sleep=lambda _: None),
             setting="PMSYNC_JIRA__URL")
    assert not isinstance(raised.value, Unreachable) and exit_code_for(raised.value) == 1


def test_a_deadline_stops_further_attempts() -> None:
    import time as clock

    calls: list[int] = []

    def slow_failure() -> str:  # each attempt takes 0.2 s, as a slow connect would
        calls.append(1)
        clock.sleep(0.2)
        raise HTTPFailure(503)

    with pytest.raises(RateLimited):
        call(slow_failure, classify, what="post",
             policy=RetryPolicy(attempts=10, deadline=0.5, sleep=lambda _: None))
    assert 3 <= len(calls) <= 4  # attempts stop once 0.5 s have passed, not after 10
