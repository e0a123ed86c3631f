"""How pmsync reaches each service: one GitHub client builder, one Jira session builder, and
one reading of each service's refusals.

Every caller builds its client here (the GitHub connector, the report's tracking issue, the
Action's pull-request opener; the Jira connector), so the timeout, the user agent, the masking of
secrets and "the client's own retries off" are decided once: :mod:`connectors.retry` is pmsync's
one retry layer, and a client that retried on its own would resend a POST the layer knows
nothing about. PyGithub is imported only when a GitHub client is built or a GitHub failure is
read, so a Jira run does not load it.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth

from connectors import retry
from connectors.base import AccessError, AuthError
from syncer.errors import TrackerError
from syncer.logs import register_secret

if TYPE_CHECKING:
    from github import Github, GithubException

T = TypeVar("T")

USER_AGENT = "pmsync"
GITHUB_TOKEN_VARIABLES = "PMSYNC_GITHUB__TOKEN or GITHUB_TOKEN"
GITHUB_REPO_VARIABLES = "PMSYNC_GITHUB__REPO or GITHUB_REPOSITORY"

# --- GitHub -------------------------------------------------------------------------------------


def github_client(token: str, api_url: str, timeout: float) -> Github:
    """The PyGithub client for ``token`` at ``api_url``: its retries and throttling off, one
    ``timeout`` (whole seconds, at least one) per request; the token is registered as a secret."""
    from github import Auth, Github

    register_secret(token)
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=max(1, math.ceil(timeout)),
        user_agent=USER_AGENT,
        per_page=100,
        lazy=True,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def github_classify(exc: BaseException) -> retry.Failure | None:
    """What a PyGithub or ``requests`` failure says about retrying (for :func:`retry.call`)."""
    from github import GithubException
    from github.Requester import Requester

    if isinstance(exc, GithubException):
        headers = retry.header_map(exc.headers)
        lowered = {k.lower() for k in headers}
        if (exc.status in (403, 429) and "retry-after" not in lowered
                and Requester.isSecondaryRateLimitError(github_message(exc))
                and headers.get("x-ratelimit-remaining") != "0"):
            # GitHub's advice for a secondary limit without retry-after: wait at least a minute.
            headers["retry-after"] = "60"
        return retry.Failure(exc.status, headers, sent=True)
    return retry.transport_failure(exc)


def github_message(exc: GithubException) -> str:
    """GitHub's own words for a refusal, with the field errors of a 422."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or f"HTTP {exc.status}")
    details = []
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("field", "code", "value") if error.get(k) is not None
            )
            details.append(str(text))
        else:
            details.append(str(error))
    return f"{message} ({'; '.join(details)})" if details else message


def github_call(fn: Callable[[], T], what: str, *, idempotent: bool = True,
                policy: retry.RetryPolicy | None = None,
                setting: str = "PMSYNC_GITHUB__API_URL") -> T:
    """Run ``fn`` (PyGithub calls) in the retry layer: rate limits and server errors are retried
    there, running out of retries is :class:`~connectors.base.RateLimited`, a refused token is
    :class:`~connectors.base.AuthError`; any other refusal is re-raised for the caller to read
    with :func:`github_refused` or :func:`github_write_refused`."""
    from github import GithubException

    try:
        return retry.call(fn, github_classify, what=what, idempotent=idempotent, policy=policy,
                          setting=setting)
    except GithubException as exc:
        if exc.status == 401:
            raise AuthError(
                f"GitHub refused the token ({exc.status} {github_message(exc)}); "
                f"set {GITHUB_TOKEN_VARIABLES} to a valid token"
            ) from None
        raise


def github_repo_missing(repo: str, api_url: str) -> AccessError:
    """The error for a repository GitHub does not show to the token (404)."""
    return AccessError(
        f"GitHub repository {repo} was not found at {api_url}, or the token cannot see it; "
        f"set {GITHUB_REPO_VARIABLES}, or give the token access to it"
    )


def github_refused(exc: GithubException, doing: str, repo: str, api_url: str) -> TrackerError:
    """The error for a refusal that concerns the whole repository, not one ticket."""
    if exc.status == 404:
        return github_repo_missing(repo, api_url)
    return AccessError(
        f"GitHub refused to {doing} in {repo} ({exc.status} {github_message(exc)}); "
        f"check the token's permissions ({GITHUB_TOKEN_VARIABLES})"
    )


def github_write_refused(exc: GithubException, repo: str, *, writing: str = "issues",
                         permission: str = "issues: write") -> AccessError:
    """The one error for a write GitHub refuses to this token (403, or 404 on a repository it
    could read): the token lacks a permission; names the one GitHub asks for in
    ``X-Accepted-GitHub-Permissions``, else ``permission``."""
    accepted = retry.header_map(exc.headers)
    header = next((v for k, v in accepted.items()
                   if k.lower() == "x-accepted-github-permissions"), "")
    wanted = header.split(";")[0].replace("=", ": ").replace(",", ", ") or permission
    return AccessError(
        f"GitHub refused to write {writing} in {repo} ({exc.status} {github_message(exc)}): "
        f"the token lacks {wanted!r}; in a workflow, add {wanted!r} under its permissions:, "
        f"for a GitHub App grant it to the installation, for a personal access token give it "
        f"write access to {repo} ({GITHUB_TOKEN_VARIABLES}); nothing more was written"
    )


def github_error(exc: GithubException, doing: str, repo: str, api_url: str, *,
                 writing: str | None = None, permission: str = "issues: write") -> TrackerError:
    """The one reading of a refusal that :func:`github_call` re-raises, for callers that write
    ``writing`` (e.g. "issues") or only read: a write's 403 or 404 is a missing permission,
    a read's is the repository's (:func:`github_refused`); anything else fails this request."""
    if writing is not None and exc.status in (403, 404):
        return github_write_refused(exc, repo, writing=writing, permission=permission)
    if exc.status in (403, 404, 410):
        return github_refused(exc, doing, repo, api_url)
    return TrackerError(f"GitHub: cannot {doing} in {repo} ({exc.status} {github_message(exc)})")


# --- Jira ---------------------------------------------------------------------------------------


class JiraRefusal(requests.HTTPError):
    """A Jira answer outside 2xx: its status, Jira's own words (:func:`jira_message`) and the
    response."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.text = jira_message(response)
        super().__init__(f"HTTP {self.status_code}: {self.text}", response=response)


def jira_message(response: requests.Response) -> str:
    """Jira's words for a refusal: ``errorMessages`` (or ``message``/``errorMessage``), replaced
    by the field ``errors`` when there are any; the body itself when it is not JSON."""
    if response.status_code == 403 and "x-authentication-denied-reason" in response.headers:
        return str(response.headers["x-authentication-denied-reason"])
    try:
        data: Any = response.json() if response.text else {}
    except ValueError:
        return response.text
    data = data if isinstance(data, dict) else {}
    messages: list[Any] = []
    for key in ("message", "errorMessage"):
        if key in data:
            messages = [data[key]]
    listed = data.get("errorMessages")
    if listed:
        messages = list(listed) if isinstance(listed, (list, tuple)) else [listed]
    errors = data.get("errors")
    if isinstance(errors, dict) and errors:
        messages = list(errors.values())
    return ", ".join(str(message) for message in messages)


def jira_classify(exc: BaseException) -> retry.Failure | None:
    """What a Jira refusal or a ``requests`` failure says about retrying."""
    if isinstance(exc, JiraRefusal):
        return retry.Failure(exc.status_code, retry.header_map(exc.response.headers
                                                               if exc.response is not None
                                                               else None), sent=True)
    return retry.transport_failure(exc)


class BearerAuth(AuthBase):
    """``Authorization: Bearer`` (a Jira Server/Data Center personal access token)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class JiraSession:
    """pmsync's HTTP session to one Jira: JSON headers, a timeout on every request, no retries
    of its own, and every answer outside 2xx raised as :class:`JiraRefusal`. It starts
    anonymous (``serverInfo`` is read before the flavour, and so the kind of credential, is
    known); :meth:`sign_in` adds the credentials."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers.update({
            "User-Agent": USER_AGENT, "Accept": "application/json,*/*;q=0.9",
            "Content-Type": "application/json", "Cache-Control": "no-cache",
            # Jira refuses some writes without it (its XSRF check for non-browser clients).
            "X-Atlassian-Token": "no-check",
        })
        for scheme in ("http://", "https://"):
            self.http.mount(scheme, HTTPAdapter(max_retries=0))

    def sign_in(self, flavour: Literal["cloud", "server"], token: str, email: str | None) -> None:
        """Send ``token`` from now on: Cloud as Basic with the account's ``email``, Server as a
        Bearer personal access token. Both forms are registered as secrets."""
        register_secret(token)
        if flavour == "cloud":
            basic = f"{email or ''}:{token}".encode()
            register_secret(base64.b64encode(basic).decode())
            self.http.auth = HTTPBasicAuth(email or "", token)
        else:
            self.http.auth = BearerAuth(token)

    def request(self, method: str, url: str, *, params: Any = None,
                data: str | None = None) -> requests.Response:
        """One request; an answer outside 2xx raises :class:`JiraRefusal`."""
        response = self.http.request(method, url, params=params, data=data, timeout=self.timeout)
        if not response.ok:
            raise JiraRefusal(response)
        return response

    def close(self) -> None:
        """Close the connections."""
        self.http.close()


def jira_session(timeout: float) -> JiraSession:
    """The session the Jira connector sends every request with (anonymous until signed in)."""
    return JiraSession(timeout)


__all__ = [
    "GITHUB_REPO_VARIABLES", "GITHUB_TOKEN_VARIABLES", "JiraRefusal", "JiraSession",
    "github_call", "github_classify", "github_client", "github_error", "github_message", "github_refused",
    "github_repo_missing", "github_write_refused", "jira_classify", "jira_message",
    "jira_session",
]
