"""``pmsync doctor`` for Jira: each check a :class:`~connectors.base.Finding` naming its fix.

Checks run in order and stop at the first one later checks depend on (no use listing
priorities with a rejected token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.base import Finding
from connectors.jira.statuses import status_of
from syncer.errors import PmsyncError
from syncer.model import Status

if TYPE_CHECKING:
    from connectors.jira.connector import JiraTracker


def diagnose(tracker: JiraTracker) -> list[Finding]:
    """Every finding for ``tracker``'s configuration and instance."""
    missing = tracker.missing_settings()
    if missing:
        return [Finding("configuration", False, "missing: " + ", ".join(missing),
                        fix="set " + ", ".join(missing))]
    findings = [Finding("configuration", True, tracker.describe())]
    steps = (_connection, _authentication, _project, _priorities, _workflow)
    for step in steps:
        try:
            found = step(tracker)
        except PmsyncError as exc:
            found = [Finding(step.__name__.strip("_"), False, str(exc), fix=_fix_for(tracker, exc))]
        findings.extend(found)
        if any(not f.ok and f.severity == "error" for f in found):
            break
    return findings


def _fix_for(tracker: JiraTracker, exc: PmsyncError) -> str:
    from connectors.base import AccessError, AuthError

    if isinstance(exc, AuthError):
        return _auth_fix(tracker)
    if isinstance(exc, AccessError):
        return "check PMSYNC_JIRA__PROJECT and the project permissions of the token's account"
    return "check PMSYNC_JIRA__URL and that Jira is reachable"


def _auth_fix(tracker: JiraTracker) -> str:
    if tracker.flavour == "cloud":
        return (f"set {tracker.token_variable} to an API token of the account "
                f"{tracker.settings.email!r} ({tracker.email_variable})")
    return f"set {tracker.token_variable} to a personal access token"


def _connection(tracker: JiraTracker) -> list[Finding]:
    flavour = tracker.flavour  # builds the session: serverInfo when the flavour is auto
    how = "detected from serverInfo" if tracker.settings.flavour == "auto" else "from settings"
    search = "/rest/api/3/search/jql" if flavour == "cloud" else "/rest/api/2/search"
    return [Finding("connection", True, f"{tracker.base_url}: Jira {flavour} ({how}); "
                                        f"searches use {search}")]


def _authentication(tracker: JiraTracker) -> list[Finding]:
    me = tracker._request("GET", "myself", what="read the Jira account") or {}
    who = me.get("emailAddress") or me.get("name") or me.get("displayName") or "?"
    return [Finding("authentication", True, f"authenticated as {who}")]


def _project(tracker: JiraTracker) -> list[Finding]:
    project = tracker._request("GET", f"project/{tracker.project}", missing_ok=True,
                               what=f"read Jira project {tracker.project}")
    if project is None:
        return [Finding("project", False, f"project {tracker.project!r} does not exist or "
                        f"the account of {tracker.token_variable} cannot browse it",
                        fix="set PMSYNC_JIRA__PROJECT to a project key the account can see")]
    found = [Finding("project", True, f"project {project.get('key')} ({project.get('name')})")]
    types = [str(t.get("name")) for t in project.get("issueTypes") or []]
    wanted = tracker.settings.issue_type
    if types and wanted.casefold() not in {t.casefold() for t in types}:
        found.append(Finding("issue type", False, f"{wanted!r} is not an issue type of "
                             f"{tracker.project} ({', '.join(types)})",
                             fix="set PMSYNC_JIRA__ISSUE_TYPE ([jira] issue_type)"))
    else:
        found.append(Finding("issue type", True, f"{wanted!r} exists"))
    return found


def _priorities(tracker: JiraTracker) -> list[Finding]:
    names = tracker.instance_priorities()
    unknown, translated = [], []
    for text, mapped in tracker.settings.priority_map.items():
        name = tracker.map_priority(mapped)
        if name is None:
            unknown.append(f"{text} → {mapped}")
        elif name.casefold() != mapped.casefold():
            translated.append(f"{mapped} → {name}")
    if unknown:
        return [Finding("priority map", False, "not priorities of this Jira: " + ", ".join(unknown)
                        + f" (it has {', '.join(names)}); those items get no priority",
                        fix="set [jira.priority_map] to names of this Jira's priorities",
                        severity="warning")]
    detail = f"every mapped priority exists ({', '.join(names)})"
    if translated:
        detail += "; the default map is translated by rank: " + ", ".join(translated)
    return [Finding("priority map", True, detail)]


def _workflow(tracker: JiraTracker) -> list[Finding]:
    statuses: list[dict[str, Any]] = tracker._request("GET", "status",
                                                      what="list Jira statuses") or []
    resolutions = tracker.catalogue("resolution", what="list Jira resolutions")
    done = [s for s in statuses if (s.get("statusCategory") or {}).get("key") == "done"]
    wont = [s["name"] for s in done if status_of("done", None, s["name"]) is Status.WONT_DO]
    wont += [r["name"] for r in resolutions if status_of("done", r["name"], "") is Status.WONT_DO]
    findings = [Finding("transitions to done", bool(done),
                        "statuses in the done category: " + ", ".join(s["name"] for s in done)
                        if done else "no status in the done category",
                        fix=None if done else "add a done status to the project's workflow")]
    findings.append(Finding(
        "transitions to won't do", bool(wont),
        "won't-do statuses or resolutions: " + ", ".join(dict.fromkeys(wont)) if wont
        else "no won't-do status or resolution: items marked won't do cannot be closed so",
        fix=None if wont else "add a \"Won't Do\" resolution or status to the workflow",
        severity="warning"))
    return findings
