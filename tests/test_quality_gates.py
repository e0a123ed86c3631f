"""The quality gates people run are the ones CI runs: one command, in README, .ci/run and the
workflow, and the same tools in the pre-commit hooks, each pinned in the dev extra."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
GATES = "ruff check . && mypy && lint-imports && pytest -q"


def _gate_commands(path: Path) -> list[str]:
    return [line.strip().removeprefix("run:").strip()
            for line in path.read_text(encoding="utf-8").splitlines()
            if "pip install -e '.[test,dev]'" in line]


def test_readme_ci_script_and_workflow_run_one_command() -> None:
    commands = {name: _gate_commands(ROOT / name)
                for name in ("README.md", ".ci/run", ".github/workflows/ci.yml")}
    expected = f"pip install -e '.[test,dev]' && {GATES}"
    assert commands == {name: [expected] for name in commands}


def test_pre_commit_runs_each_gate_pinned_in_the_dev_extra() -> None:
    hooks = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    dev = {re.split(r"[=<>]", spec)[0]: spec for spec in extras["dev"]}
    for tool, package in (("ruff", "ruff"), ("mypy", "mypy"), ("lint-imports", "import-linter")):
        assert f"id: {tool}" in hooks
        assert "==" in dev[package], f"{package} is not pinned in the dev extra"
    ruff_pin = dev["ruff"].split("==")[1]
    assert f"rev: v{ruff_pin}" in hooks
