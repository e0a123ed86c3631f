"""pmsync's settings, layered: CLI flags > ``PMSYNC_*`` environment > the standard GitHub
variables (``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``) > ``pmsync.toml`` or
``[tool.pmsync]`` in ``pyproject.toml`` > shipped defaults.

Loading settings does no I/O beyond reading the environment and the config file; trackers are
built later, from these values, by :mod:`connectors.registry`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILE_NAMES = ("pmsync.toml", "pyproject.toml")

_config_file: ContextVar[Path | None] = ContextVar("pmsync_config_file", default=None)
_tracker_names: ContextVar[Collection[str]] = ContextVar("pmsync_tracker_names", default=())


def http_url(value: str | None) -> str | None:
    """A URL setting must name its scheme: ``acme.atlassian.net`` alone cannot be requested."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be a URL starting with https:// (or http://)")
    return value.strip()


def _registered_tracker(name: str | None) -> str | None:
    """A tracker name must be one :func:`load_settings` was given (the registry's names)."""
    known = _tracker_names.get()
    if name is None or not known or name in known:
        return name
    choices = [repr(known_name) for known_name in known]
    wanted = f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]
    raise ValueError(f"Input should be {wanted}")


class JiraSettings(BaseModel):
    """How to reach Jira and what to create there."""

    url: str | None = None
    email: str | None = None
    token: SecretStr | None = None
    project: str | None = None
    issue_type: str = "Task"
    flavour: Literal["auto", "cloud", "server"] = "auto"
    labels: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)
    epic: str | None = None
    priority_map: dict[str, str] = Field(
        default_factory=lambda: {
            "P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low", "P4": "Lowest",
            "Critical": "Highest", "High": "High", "Medium": "Medium", "Low": "Low",
        }
    )
    timeout: float = 30.0
    _url = field_validator("url")(http_url)

    #: Jira Cloud's search lags behind writes: after a create whose answer was lost, pmsync
    #: polls for the new issues this many seconds before it creates the missing ones again.
    search_lag_wait: float = Field(default=10.0, ge=0)


class GitHubSettings(BaseModel):
    """How to reach GitHub and what to create there."""

    repo: str | None = None
    token: SecretStr | None = None
    api_url: str = "https://api.github.com"
    labels: list[str] = Field(default_factory=list)
    priority_labels: dict[str, str] = Field(
        default_factory=lambda: {
            "P0": "priority: P0", "P1": "priority: P1", "P2": "priority: P2",
            "P3": "priority: P3", "P4": "priority: P4",
            "Critical": "priority: P0", "High": "priority: P1", "Medium": "priority: P2",
            "Low": "priority: P3",
        }
    )
    milestone: str | None = None
    creates_per_minute: int = 80
    creates_per_hour: int = 500
    timeout: float = 30.0

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return http_url(value) or "https://api.github.com"


class OwnerIdentity(BaseModel):
    """A person as each tracker knows them."""

    jira: str | None = None
    github: str | None = None
    #: The Slack member id (``U…``) ``report --post slack`` mentions for this owner.
    slack: str | None = None


class ParseSettings(BaseModel):
    """How postmortems are read; the lists here extend the shipped vocabularies."""

    column_synonyms: dict[str, list[str]] = Field(default_factory=dict)
    status_words: dict[Literal["open", "in_progress", "done", "wont_do"], list[str]] = Field(
        default_factory=dict
    )
    date_order: Literal["MDY", "DMY"] = "MDY"


class ReportSettings(BaseModel):
    """``pmsync report``: the tracking issue it keeps up to date, and what "due soon" means."""

    tracking_label: str = "pmsync-report"
    tracking_title: str = "Postmortem action items: overdue report"
    due_soon_days: int = Field(default=7, ge=0)


class SlackSettings(BaseModel):
    """Where ``pmsync report --post slack`` sends its summary."""

    webhook_url: SecretStr | None = None
    timeout: float = 10.0

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        http_url(value.get_secret_value())  # the message never repeats the secret
        return SecretStr(value.get_secret_value().strip())


class RemindSettings(BaseModel):
    """``pmsync remind``: when an open item's ticket gets a reminder comment, and how often."""

    #: Remind this many days before the due date (0: only once it is due).
    days_before: int = Field(default=3, ge=0)
    #: At most one reminder per ticket in each window of this many days.
    every_days: int = Field(default=7, ge=1)


class PushSettings(BaseModel):
    """``pmsync push``: what it creates on its own and how much one run may do."""

    #: Items already done or won't-do when pmsync first meets them get a (closed) ticket only
    #: when this is true; by default they are skipped, so adopting pmsync on an existing
    #: repository does not create and close a ticket for every finished item.
    create_done: bool = False
    #: At most this many tickets per push (0: no limit); above it nothing is created.
    max_create: int = Field(default=50, ge=0)
    #: A document with more action items than this is refused (0: no limit), so a broken or
    #: hostile document cannot make thousands of tickets or look-ups.
    max_items_per_document: int = Field(default=500, ge=0)


class PolicySettings(BaseModel):
    """Due dates by policy, for items whose document gives none (README: Follow-up policy).

    Days are counted from the incident date in the document's metadata, else the document's
    first commit. ``due_days`` is keyed by priority as written (case-insensitive) or as the
    priority map maps it, with ``default`` for every other item; ``severity_due_days`` by the
    incident's severity. When both give a date the earlier one applies.
    """

    due_days: dict[str, int] = Field(default_factory=dict)
    severity_due_days: dict[str, int] = Field(default_factory=dict)

    @field_validator("due_days", "severity_due_days")
    @classmethod
    def _days(cls, value: dict[str, int]) -> dict[str, int]:
        negative = [key for key, days in value.items() if days < 0]
        if negative:
            raise ValueError(f"days must be 0 or more (not for {', '.join(negative)})")
        return value


RuleLevel = Literal["error", "warning", "off"]


def _rule(default: RuleLevel, name: str) -> Any:
    """A rule's level, set under its diagnostic code (``missing-owner``) or with underscores."""
    return Field(default=default, validation_alias=AliasChoices(name.replace("-", "_"), name))


class CheckSettings(BaseModel):
    """``pmsync check``: each rule's level (``error``, ``warning`` or ``off``), by its code
    (README: Check rules; ``pmsync check --help``)."""

    missing_owner: RuleLevel = _rule("error", "missing-owner")
    missing_due: RuleLevel = _rule("error", "missing-due")
    bad_due: RuleLevel = _rule("error", "bad-due")
    due_no_year: RuleLevel = _rule("warning", "due-no-year")
    missing_priority: RuleLevel = _rule("warning", "missing-priority")
    unknown_status: RuleLevel = _rule("warning", "unknown-status")
    duplicate_id: RuleLevel = _rule("error", "duplicate-id")
    placeholder: RuleLevel = _rule("error", "placeholder")
    overdue: RuleLevel = _rule("warning", "overdue")
    encoding: RuleLevel = _rule("warning", "encoding")
    empty_table: RuleLevel = _rule("warning", "empty-table")
    ragged_row: RuleLevel = _rule("warning", "ragged-row")
    no_title: RuleLevel = _rule("warning", "no-title")
    severe_without_urgent: RuleLevel = _rule("off", "severe-without-urgent")
    unowned_at_due: RuleLevel = _rule("off", "unowned-at-due")
    #: Done and won't-do items are spared the owner and due-date rules.
    exempt_done: bool = Field(default=False, validation_alias=AliasChoices("exempt_done",
                                                                          "exempt-done"))

    @classmethod
    def rule_codes(cls) -> tuple[str, ...]:
        """Every rule's code, ``missing-owner`` and so on."""
        return _rule_codes(cls)

    def level(self, code: str) -> RuleLevel | None:
        """The level of the rule called ``code``; None for a code that is no rule."""
        if code not in self.rule_codes():
            return None
        return getattr(self, code.replace("-", "_"))  # type: ignore[no-any-return]


@cache
def _rule_codes(model: type[BaseModel]) -> tuple[str, ...]:
    """The codes of a check settings model's rule fields, read once per model: check asks for
    every finding of every document."""
    return tuple(name.replace("_", "-") for name, field in model.model_fields.items()
                 if get_args(field.annotation) == get_args(RuleLevel))


class RouteRule(BaseModel):
    """Send matching items to ``tracker``; every given pattern must match (regex, case-insensitive;
    ``path`` is a glob on the document path). Tracker names are checked against the registry by
    :func:`load_settings`."""

    tracker: str
    _tracker = field_validator("tracker")(_registered_tracker)
    path: str | None = None
    section: str | None = None
    owner: str | None = None
    title: str | None = None
    priority: str | None = None


class Settings(BaseSettings):
    """Every setting pmsync has; see README for the meaning of each."""

    model_config = SettingsConfigDict(
        env_prefix="PMSYNC_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        # ``${{ secrets.UNDEFINED }}`` in Actions gives an empty variable: it means "not set".
        env_ignore_empty=True,
    )

    tracker: str | None = None  # a registered tracker name, checked by load_settings
    jira: JiraSettings = Field(default_factory=JiraSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    owners: dict[str, OwnerIdentity] = Field(default_factory=dict)
    routes: list[RouteRule] = Field(default_factory=list)
    parse: ParseSettings = Field(default_factory=ParseSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    remind: RemindSettings = Field(default_factory=RemindSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    check: CheckSettings = Field(default_factory=CheckSettings)
    document_base_url: str | None = None
    max_document_mb: float = 5.0

    _document_base_url = field_validator("document_base_url")(http_url)
    _tracker = field_validator("tracker")(_registered_tracker)

    @field_validator("max_document_mb")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """CLI > PMSYNC_ env > GitHub's standard env > config file > defaults."""
        return (
            init_settings,
            env_settings,
            GitHubEnvironmentSource(settings_cls),
            ConfigFileSource(settings_cls, _config_file.get()),
        )


class GitHubEnvironmentSource(PydanticBaseSettingsSource):
    """``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL``, as Actions set them."""

    names: ClassVar[dict[str, str]] = {
        "GITHUB_TOKEN": "token", "GITHUB_REPOSITORY": "repo", "GITHUB_API_URL": "api_url"}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        github = {key: os.environ[env] for env, key in self.names.items() if os.environ.get(env)}
        return {"github": github} if github else {}


class ConfigFileSource(PydanticBaseSettingsSource):
    """``pmsync.toml`` (whole file) or ``[tool.pmsync]`` of ``pyproject.toml``."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        return read_config_file(self.path)


def read_config_file(path: Path) -> dict[str, Any]:
    """The pmsync table of a config file; ``{}`` for a pyproject.toml without one.

    Raises ``ConfigError`` listing every key no setting reads, each with its table.
    """
    from config.unknown_settings import unknown_keys
    from syncer.errors import ConfigError

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data, table = (dict(tool.get("pmsync", {})) if isinstance(tool, dict) else {}), "tool.pmsync"
    unknown = unknown_keys(data, Settings, table)
    if unknown:
        raise ConfigError(f"{path}: {len(unknown)} unknown setting(s): {'; '.join(unknown)}")
    return dict(data)


def find_config_file(start: Path) -> Path | None:
    """The nearest ``pmsync.toml``, or ``pyproject.toml`` with a ``[tool.pmsync]`` table."""
    for folder in (start, *start.parents):
        candidate = folder / "pmsync.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.pmsync" in pyproject.read_text(errors="replace"):
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def resolve_config_file(config_file: Path | None) -> Path | None:
    """The file given, else the nearest one :func:`find_config_file` finds from here."""
    return config_file if config_file is not None else find_config_file(Path.cwd())


def load_settings(config_file: Path | None = None, *, trackers: Collection[str] = (),
                  **overrides: Any) -> Settings:
    """Build settings from every source; raises ``ConfigError`` naming each bad setting.

    ``trackers`` are the tracker names settings may use (the registry's, which settings do not
    import); given, ``tracker`` and every route rule's ``tracker`` must be one of them.
    Every secret is registered for masking, and each unknown ``PMSYNC_*`` variable is logged
    once as a warning with the names it most likely meant.
    """
    from syncer.errors import ConfigError

    path = resolve_config_file(config_file)
    _warn_unknown_variables()
    token, names = _config_file.set(path), _tracker_names.set(tuple(trackers))
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(_invalid(error, path) for error in exc.errors())
        raise ConfigError(f"invalid setting {problems}") from None
    finally:
        _config_file.reset(token)
        _tracker_names.reset(names)
    register_secrets(settings)
    return settings


def _invalid(error: Any, path: Path | None) -> str:
    """``jira.url (PMSYNC_JIRA__URL or url in [jira] of pmsync.toml): must be …``."""
    loc = [str(p) for p in error["loc"]]
    env = "PMSYNC_" + "__".join(loc).upper().replace("-", "_")  # check rules: codes as keys
    table = f"[{'.'.join(loc[:-1])}] of " if len(loc) > 1 else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{'.'.join(loc)} ({env} or {loc[-1]} in {table}{path or 'pmsync.toml'}): {message}"


_warned: set[str] = set()


def _warn_unknown_variables() -> None:
    """Log each ``PMSYNC_*`` variable no setting reads, once per process."""
    from config.unknown_settings import unknown_variables

    unknown = [u for u in unknown_variables(os.environ, Settings) if u not in _warned]
    if not unknown:
        return
    from syncer.logs import get_logger

    log = get_logger("pmsync.config")
    for problem in unknown:
        _warned.add(problem)
        log.warning(f"ignored environment variable {problem}: no setting has this name")


def register_secrets(settings: Settings) -> None:
    """Mask the tokens and the webhook URL (its path too: requests' errors quote only the
    path) wherever pmsync prints or logs."""
    from syncer.logs import register_secret

    for secret in (settings.jira.token, settings.github.token, settings.slack.webhook_url):
        value = secret.get_secret_value() if secret is not None else ""
        register_secret(value)
    webhook = settings.slack.webhook_url
    path = urlsplit(webhook.get_secret_value()).path.rstrip("/") if webhook is not None else ""
    if len(path) >= 8:  # a real webhook's path is long and random; "/" would mask every path
        register_secret(path)


def settings_origins(config_file: Path | None = None, **overrides: Any) -> dict[str, str]:
    """For each setting given anywhere, the source that decided it ("cli", "env", file…)."""
    path = resolve_config_file(config_file)
    sources: list[tuple[str, dict[str, Any]]] = [
        ("command line", {k: v for k, v in overrides.items() if v is not None}),
        ("environment (PMSYNC_*)", EnvSettingsSource(Settings)()),
        ("environment (GITHUB_*)", GitHubEnvironmentSource(Settings)()),
        (str(path) if path else "config file", read_config_file(path) if path else {}),
    ]
    origins: dict[str, str] = {}
    for name, values in sources:
        for key, _ in setting_leaves(values):
            origins.setdefault(key, name)
    return origins


# Settings whose value is one mapping as a whole: shown and traced as one setting.
_WHOLE_MAPPINGS = (
    "priority_map", "priority_labels", "due_days", "severity_due_days",
)


def setting_leaves(values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as ``("jira.project", value)`` pairs, mappings such as priority maps whole."""
    leaves: list[tuple[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, dict) and value and key not in _WHOLE_MAPPINGS:
            leaves.extend(setting_leaves(value, f"{prefix}{key}."))
        else:
            leaves.append((f"{prefix}{key}", value))
    return leaves


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets replaced by ``********``."""
    from syncer.logs import mask_url_credentials

    data = settings.model_dump(mode="python")

    def mask(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: mask(v) for k, v in node.items()}
        if isinstance(node, list):
            return [mask(v) for v in node]
        if isinstance(node, SecretStr):
            return "********" if node.get_secret_value() else ""
        return mask_url_credentials(node) if isinstance(node, str) else node

    return dict(mask(data))
