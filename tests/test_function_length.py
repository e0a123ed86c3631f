"""No function in ``syncer/`` or ``connectors/`` (the sandbox aside) is longer than 60 lines.

A function is counted from its ``def`` line to the last line of its body (decorators aside), so
a docstring and comments count: a reader has to get through them too (STYLE.md, issue 17).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("syncer", "connectors")
EXEMPT = (Path("connectors") / "sandbox",)  # the test servers, not pmsync
LIMIT = 60


def long_functions(root: Path, packages: tuple[str, ...] = PACKAGES,
                   limit: int = LIMIT) -> Iterator[str]:
    """``file:line name: N lines`` for each function of ``packages`` under ``root`` longer than
    ``limit`` lines (methods and nested functions too)."""
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if any(relative.is_relative_to(exempt) for exempt in EXEMPT):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > limit:
                        yield f"{relative}:{node.lineno} {node.name}: {length} lines"


def test_no_function_is_longer_than_60_lines() -> None:
    too_long = list(long_functions(ROOT))
    assert not too_long, f"functions over {LIMIT} lines (split them):\n" + "\n".join(too_long)


@pytest.mark.parametrize(("body_lines", "found"), [(LIMIT - 1, False), (LIMIT, True)])
def test_the_count_runs_from_the_def_line_to_the_end_of_the_body(
        tmp_path: Path, body_lines: int, found: bool) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    (tmp_path / "syncer").mkdir()
    (tmp_path / "syncer" / "long.py").write_text(
        "import functools\n\n\n@functools.cache\ndef f() -> None:\n" + body, encoding="utf-8")
    expected = [f"syncer/long.py:5 f: {LIMIT + 1} lines"] if found else []
    assert list(long_functions(tmp_path)) == expected


def test_methods_and_nested_functions_count_and_the_sandbox_is_exempt(tmp_path: Path) -> None:
    long_body = "".join(f"            y{i} = {i}\n" for i in range(LIMIT))
    source = "class C:\n    def m(self) -> None:\n        def inner() -> None:\n" + long_body
    for folder in ("connectors", "connectors/sandbox"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "c.py").write_text(source, encoding="utf-8")
    assert list(long_functions(tmp_path)) == [
        f"connectors/c.py:2 m: {LIMIT + 2} lines", f"connectors/c.py:3 inner: {LIMIT + 1} lines"]
