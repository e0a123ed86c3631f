from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from syncer.cli.main import main
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "2025-03-14-search-latency.md"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_items_json_has_the_documented_fields(capsys):
    code, out, _ = run(capsys, "items", "--format", "json", str(EXAMPLE))
    assert code == 0
    items = json.loads(out)
    assert [i["line"] for i in items] == [26, 27, 28, 29]
    first = items[0]
    for key in ("file", "line", "section", "id", "title", "owner", "due", "due_raw", "priority",
                "status", "status_raw", "ticket"):
        assert key in first
    assert (first["due"], first["due_raw"], first["status"]) == ("2025-03-28", "Mar 28", "in_progress")


def test_items_recurses_into_directories_with_one_json_array(capsys, tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.md").write_text("| Action | Owner |\n|---|---|\n| x | y |\n")
    (tmp_path / "two.md").write_text("| Task | Due |\n|---|---|\n| z | 2025-01-01 |\n")
    (tmp_path / "notes.txt").write_text("| Task | Due |\n|---|---|\n| no | 2025-01-01 |\n")
    code, out, _ = run(capsys, "items", "--format", "json", str(tmp_path))
    assert code == 0
    assert sorted(i["title"] for i in json.loads(out)) == ["x", "z"]


def test_items_text_output_is_a_table(capsys):
    code, out, _ = run(capsys, "items", str(EXAMPLE))
    assert code == 0 and "4 action items" in out and "@maria" in out


def test_check_reports_errors_with_exit_1(capsys):
    code, out, _ = run(capsys, "check", "--as-of", "2025-04-15", str(EXAMPLE))
    assert code == 1
    assert f"{EXAMPLE}:29: error: no owner [missing-owner]" in out
    assert f"{EXAMPLE}:29: error: no due date [missing-due]" in out
    assert f"{EXAMPLE}:26: warning: overdue by 18 days" in out
    assert ":28:" not in out  # done items are not overdue


def test_check_clean_document_exits_0(capsys, tmp_path: Path):
    doc = tmp_path / "ok.md"
    doc.write_text("| Action | Owner | Due | Priority | Status |\n|---|---|---|---|---|\n| a | b | 2030-01-01 | P1 | Open |\n")
    code, out, _ = run(capsys, "check", "--as-of", "2025-01-01", str(doc))
    assert code == 0 and out == "1 document(s), 1 action item(s): 0 error(s), 0 warning(s)\n"


def test_check_github_format_prints_annotations(capsys):
    code, out, _ = run(capsys, "check", "--format", "github", "--as-of", "2025-04-15", str(EXAMPLE))
    assert code == 1
    assert f"::error file={EXAMPLE},line=29,title=pmsync missing-owner::no owner" in out


def test_check_json(capsys):
    code, out, _ = run(capsys, "check", "--format", "json", "--as-of", "2025-04-15", str(EXAMPLE))
    data = json.loads(out)
    assert code == 1 and data["errors"] == 2 and data["items"] == 4
    assert {"file", "line", "severity", "code", "message"} <= set(data["problems"][0])


def test_check_flags_duplicate_ids_and_leftover_template_rows(capsys, tmp_path: Path):
    doc = tmp_path / "dup.md"
    doc.write_text(
        "| ID | Action | Owner | Due | Priority |\n|---|---|---|---|---|\n"
        "| 1 | a | x | 2030-01-01 | P1 |\n| 1 | b | y | 2030-01-01 | P1 |\n"
        "| 3 | [Action] | [Name] | [YYYY-MM-DD] | [P] |\n"
    )
    code, out, _ = run(capsys, "check", "--as-of", "2025-01-01", str(doc))
    assert code == 1
    assert ":3: error: id '1' is used by 2 items [duplicate-id]" in out
    assert ":5: error: template row left in a filled document" in out


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "no such file or directory"),
        (lambda p: p.mkdir(), "directory contains no Markdown"),
        (lambda p: p.write_bytes(b"\x89PNG\x00\x00"), "binary file"),
    ],
    ids=["missing", "empty-dir", "binary"],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path: Path, setup, message):
    target = tmp_path / "thing.md"
    setup(target)
    for command in ("items", "check"):
        code, _out, err = run(capsys, command, str(target))
        assert code == 2
        assert message in err and str(target) in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_empty_file_has_no_items(capsys, tmp_path: Path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    code, out, _ = run(capsys, "items", "--format", "json", str(empty))
    assert code == 0 and json.loads(out) == []


def test_oversized_document_is_refused(capsys, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PMSYNC_MAX_DOCUMENT_MB", "0.001")
    big = tmp_path / "big.md"
    big.write_text("x" * 5000)
    code, _, err = run(capsys, "items", str(big))
    assert code == 2 and "max_document_mb" in err


def test_usage_error_exits_2(capsys):
    code, _, _ = run(capsys, "items", "--format", "xml", str(EXAMPLE))
    assert code == 2


def test_config_masks_secrets_and_names_sources(capsys, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pmsync.toml").write_text('tracker = "jira"\n[jira]\nproject = "OPS"\n')
    monkeypatch.setenv("PMSYNC_JIRA__TOKEN", "s3cr3t-token-value")
    monkeypatch.setenv("PMSYNC_JIRA__PROJECT", "ENV")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/api")
    monkeypatch.setenv("PMSYNC_JIRA__URL", "https://ann:url-embedded-pass@jira.example.com")
    code, out, err = run(capsys, "config", "--format", "json")
    text_code, text, text_err = run(capsys, "config")
    assert code == text_code == 0
    for secret in ("s3cr3t-token-value", "url-embedded-pass", "ann:"):
        assert secret not in out + err + text + text_err
    data = json.loads(out)
    assert data["settings"]["jira"]["url"] == "https://********@jira.example.com"
    assert data["settings"]["jira"]["token"] == "********"
    assert data["settings"]["jira"]["project"] == "ENV"  # environment beats the file
    assert data["settings"]["tracker"] == "jira"
    assert data["settings"]["github"]["repo"] == "acme/api"
    assert data["origins"]["jira.project"] == "environment (PMSYNC_*)"
    assert data["origins"]["tracker"].endswith("pmsync.toml")
    assert data["origins"]["github.repo"] == "environment (GITHUB_*)"


def test_config_from_pyproject_tool_table(capsys, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.pmsync.github]\nrepo = "o/r"\n')
    code, out, _ = run(capsys, "config", "--format", "json")
    assert code == 0 and json.loads(out)["settings"]["github"]["repo"] == "o/r"


def test_invalid_config_names_the_setting(capsys, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pmsync.toml").write_text('tracker = "trello"\n')
    code, _, err = run(capsys, "config")
    assert code == 2 and "invalid setting tracker" in err and "PMSYNC_TRACKER" in err


@pytest.mark.parametrize("args", [["--help"], ["check", "--as-of", "2025-01-01", str(EXAMPLE)]])
def test_help_and_check_do_not_import_tracker_clients(args: list[str]):
    # Start-up time: the tracker clients, their HTTP stack and structlog load only when needed.
    code = (
        "import sys; from syncer.cli.main import main; "
        f"code = main({args!r}); "
        "print(code, sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('jira', 'github', 'requests', 'structlog')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    last = result.stdout.strip().splitlines()[-1]
    assert last in ("0 []", "1 []"), result.stdout + result.stderr


def test_console_script_runs(tmp_path: Path):
    exe = Path(sys.executable).with_name("pmsync")
    if not exe.exists():
        pytest.skip("pmsync console script not installed in this environment")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "items" in result.stdout and "check" in result.stdout


def test_sandbox_command_prints_environment_and_serves(tmp_path: Path):
    import signal
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "syncer", "sandbox", "--port", "0", "--flavour", "server"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        env: dict[str, str] = {}
        while "PMSYNC_SLACK__WEBHOOK_URL" not in env:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, proc.stderr.read()  # type: ignore[union-attr]
            if line.startswith("export "):
                key, _, value = line[len("export "):].strip().partition("=")
                env[key] = value
        assert env["PMSYNC_JIRA__URL"].startswith("http://127.0.0.1:")
        request = urllib.request.Request(
            env["PMSYNC_JIRA__URL"] + "/rest/api/2/serverInfo",
            headers={"Authorization": "Bearer " + env["PMSYNC_JIRA__TOKEN"]},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["deploymentType"] == "Server"
        assert env["PMSYNC_TRACKER"] == "jira"
        index = env["PMSYNC_JIRA__URL"] + "/_sandbox/"
        with urllib.request.urlopen(index, timeout=10) as response:
            endpoints = json.loads(response.read())["endpoints"]
        assert {"method": "PUT", "path": "/_sandbox/faults"} in [
            {"method": e["method"], "path": e["path"]} for e in endpoints]
        assert all(e["does"] for e in endpoints), endpoints  # every route is documented
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_config_traces_a_priority_map_to_its_file(capsys, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pmsync.toml").write_text('[jira.priority_map]\nP1 = "Blocker"\n')
    code, out, _ = run(capsys, "config")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("jira.priority_map ="))
    assert line.endswith(f"# {tmp_path / 'pmsync.toml'}")


def test_sandbox_on_a_port_in_use_is_one_line(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _out, err = run(capsys, "sandbox", "--port", str(port))
    assert code == 2
    assert err == f"pmsync: error: port {port} on 127.0.0.1 is in use: choose another with " \
                  "--port, or --port 0 for a free one\n"


def test_sandbox_help_lists_the_admin_api(capsys):
    code, out, _ = run(capsys, "sandbox", "--help")
    assert code == 0
    for endpoint in ("GET    /_sandbox/ ", "PUT    /_sandbox/faults", "/_sandbox/state"):
        assert endpoint in out
