"""Loading settings as a new user meets it: empty variables, typos, URLs without a scheme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import settings as settings_module
from config.settings import load_settings
from connectors.registry import tracker_names
from syncer.cli.main import main
from syncer.errors import ConfigError
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "2025-03-14-search-latency.md"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config file, no pmsync or GitHub variables from the developer's shell."""
    import os

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("PMSYNC_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.setattr(settings_module, "_warned", set())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_empty_variable_is_unset_and_does_not_hide_github_token(monkeypatch):
    monkeypatch.setenv("PMSYNC_GITHUB__TOKEN", "")  # what ${{ secrets.UNDEFINED }} gives
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_from_actions")
    monkeypatch.setenv("PMSYNC_TRACKER", "")
    monkeypatch.setenv("PMSYNC_JIRA__URL", " ")  # blank as well as empty
    monkeypatch.setenv("PMSYNC_MAX_DOCUMENT_MB", "")
    settings = load_settings()
    assert settings.github.token is not None
    assert settings.github.token.get_secret_value() == "ghs_from_actions"
    assert settings.tracker is None and settings.jira.url is None
    assert settings.max_document_mb == 5.0


@pytest.mark.parametrize(("variables", "named"), [
    ({"PMSYNC_TRACKER": "jira", "PMSYNC_JIRA__URL": "acme.atlassian.net",
      "PMSYNC_JIRA__PROJECT": "OPS", "PMSYNC_JIRA__TOKEN": "t0ken-value"}, "PMSYNC_JIRA__URL"),
    ({"PMSYNC_TRACKER": "github", "PMSYNC_GITHUB__API_URL": "api.github.com",
      "PMSYNC_GITHUB__REPO": "acme/ops", "PMSYNC_GITHUB__TOKEN": "t0ken-value"},
     "PMSYNC_GITHUB__API_URL"),
    ({"PMSYNC_SLACK__WEBHOOK_URL": "hooks.slack.com/services/T0/B0/s3cretpath"},
     "PMSYNC_SLACK__WEBHOOK_URL"),
])
def test_a_url_without_a_scheme_is_one_configuration_error(capsys, monkeypatch, tmp_path,
                                                           variables, named):
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    doc = tmp_path / "pm.md"
    doc.write_bytes(EXAMPLE.read_bytes())
    code, out, err = run(capsys, "push", str(doc))
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("pmsync: error: invalid setting") and named in line
    assert "https://" in line and "s3cretpath" not in out + err
    assert doc.read_bytes() == EXAMPLE.read_bytes()


def test_unknown_variables_are_warned_about_with_a_suggestion(capsys, monkeypatch):
    monkeypatch.setenv("PMSYNC_JIRA_URL", "https://acme.atlassian.net")
    monkeypatch.setenv("PMSYNC_TRAKER", "jira")
    monkeypatch.setenv("PMSYNC_OWNERS__ALICE__JIRA", "alice@example.com")  # a mapping key: known
    monkeypatch.setenv("PMSYNC_JIRA__PROJECT", "OPS")
    code, out, err = run(capsys, "--log-format", "json", "config", "--format", "json")
    assert code == 0 and json.loads(out)["settings"]["tracker"] is None
    events = [json.loads(line)["event"] for line in err.splitlines()]
    assert events == [
        ("ignored environment variable PMSYNC_JIRA_URL (did you mean 'PMSYNC_JIRA__URL'?): "
         "no setting has this name"),
        ("ignored environment variable PMSYNC_TRAKER (did you mean 'PMSYNC_TRACKER'?): "
         "no setting has this name"),
    ]


def test_every_unknown_key_of_a_config_file_is_reported_with_its_table(capsys, tmp_path):
    (tmp_path / "pmsync.toml").write_text(
        'trakcer = "jira"\n[jira]\nprojekt = "OPS"\nurl = "https://acme.atlassian.net"\n'
        '[[routes]]\ntracker = "jira"\npaht = "ops/*"\n[owners.bob]\njiraa = "bob"\n'
        '[jira.priority_map]\nAnyName = "High"\n'  # a mapping: any key is allowed
    )
    code, _, err = run(capsys, "config")
    assert code == 2
    [line] = err.strip().splitlines()
    assert line == (
        f"pmsync: error: {tmp_path / 'pmsync.toml'}: 4 unknown setting(s): "
        "'trakcer' in top level (did you mean 'tracker'?); "
        "'projekt' in [jira] (did you mean 'project'?); "
        "'paht' in [[routes]] #1 (did you mean 'path'?); "
        "'jiraa' in [owners.bob] (did you mean 'jira'?)"
    )


def test_unknown_keys_of_pyproject_name_the_tool_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pmsync.github]\nrepoo = "o/r"\n')
    with pytest.raises(ConfigError, match=r"'repoo' in \[tool\.pmsync\.github\] "
                                          r"\(did you mean 'repo'\?\)"):
        load_settings()


def test_every_invalid_value_is_named(tmp_path):
    (tmp_path / "pmsync.toml").write_text('tracker = "trello"\n[jira]\nurl = "jira.local"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(trackers=tracker_names())  # as the CLI and the Action load them
    message = str(raised.value)
    assert "tracker (PMSYNC_TRACKER or tracker in" in message
    assert "jira.url (PMSYNC_JIRA__URL or url in [jira] of" in message
