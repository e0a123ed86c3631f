"""Posting a message to a Slack incoming webhook (``pmsync report --post slack``).

The webhook URL is a secret (whoever has it can post to the channel): it is registered with
:func:`syncer.logs.register_secret` before any request and never put into a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests

from config.settings import Settings
from connectors.retry import (
    Failure,
    OutcomeUnknown,
    RetryPolicy,
    call,
    header_map,
    transport_failure,
)
from syncer.errors import ConfigError, TrackerError
from syncer.logs import register_secret

WEBHOOK_VARIABLE = "PMSYNC_SLACK__WEBHOOK_URL"
#: A report's summary is not worth a long wait: a few quick attempts, no attempt after 5 s.
POLICY = RetryPolicy(attempts=3, backoff_base=0.5, backoff_cap=2.0, max_wait=10.0, deadline=5.0)
#: Seconds to wait for the connection itself (an unreachable host fails in this time).
CONNECT_TIMEOUT = 3.0


def _classify(exc: BaseException) -> Failure | None:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return Failure(exc.response.status_code, header_map(exc.response.headers), sent=True)
    return transport_failure(exc)


def webhook_url(settings: Settings) -> str:
    """The configured webhook URL (registered as a secret); ConfigError when there is none."""
    secret = settings.slack.webhook_url
    url = secret.get_secret_value().strip() if secret is not None else ""
    if not url:
        raise ConfigError(f"--post slack needs a Slack incoming webhook: set {WEBHOOK_VARIABLE}")
    register_secret(url)
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{WEBHOOK_VARIABLE} must be an http(s) URL")
    return url


def post_message(settings: Settings, payload: Mapping[str, Any]) -> None:
    """Send ``payload`` (``{"text": …}``) to the webhook; raises TrackerError on refusal.

    Rate limits and server errors that certainly did not deliver are retried; a post whose
    outcome is unknown is not, since Slack would show the message twice.
    """
    url = webhook_url(settings)

    def send() -> None:
        timeout = (min(CONNECT_TIMEOUT, settings.slack.timeout), settings.slack.timeout)
        response = requests.post(url, json=dict(payload), timeout=timeout)
        response.raise_for_status()

    try:
        call(send, _classify, what="Slack webhook post", idempotent=False, policy=POLICY,
             setting=WEBHOOK_VARIABLE)
    except OutcomeUnknown as exc:
        cause = exc.cause
        what = (f"HTTP {cause.response.status_code}"
                if isinstance(cause, requests.HTTPError) and cause.response is not None
                else type(cause).__name__)
        raise TrackerError(
            f"Slack: the webhook post failed ({what}) after it may have been delivered; "
            "not sent again, to avoid a duplicate message"
        ) from None
    except requests.HTTPError as exc:
        response = exc.response
        status = response.status_code if response is not None else "?"
        text = (response.text if response is not None else "").strip()
        # Slack answers with a code such as ``no_service``; anything else may echo the URL.
        reason = text if re.fullmatch(r"[a-z_]{1,60}", text) else ""
        hint = " (the webhook was revoked or mistyped)" if status in (403, 404, 410) else ""
        raise TrackerError(f"Slack refused the message: HTTP {status}"
                           f"{' ' + reason if reason else ''}{hint}") from None
    except requests.RequestException as exc:
        # requests' messages name the URL, which is the secret: give the kind of failure only.
        raise TrackerError(f"Slack webhook post failed ({type(exc).__name__}); check "
                           f"{WEBHOOK_VARIABLE} and the network") from None
