"""The shared corpus: real postmortems the project may read but not ship (skipped without it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from syncer.cli.main import main
from tests.conftest import SHARED


def test_dev_corpus_score(shared_corpus: Path):
    scorer = SHARED / "tools" / "score_items.py"
    cmd = f"{sys.executable} -m syncer items --format json"
    result = subprocess.run(
        [sys.executable, str(scorer), str(shared_corpus / "dev"), "--cmd", cmd],
        capture_output=True, text=True, timeout=300,
    )
    summary = result.stdout.strip().splitlines()[-1]
    table_f1 = float(re.search(r"table F1 ([\d.]+)", summary).group(1))  # type: ignore[union-attr]
    fields = float(re.search(r"field accuracy ([\d.]+)", summary).group(1))  # type: ignore[union-attr]
    assert "docs failing 0" in summary
    assert table_f1 == 1.0, summary
    assert fields >= 0.97, summary


@pytest.mark.parametrize("command", ["items", "check"])
def test_eval_corpus_never_crashes(shared_corpus: Path, capsys, command: str):
    for doc in sorted((shared_corpus / "eval").glob("*.md")):
        code = main([command, "--format", "json", str(doc)])
        out, err = capsys.readouterr()
        assert code in (0, 1), (doc.name, err)
        assert "Traceback" not in err and "internal error" not in err, doc.name
        json.loads(out)
