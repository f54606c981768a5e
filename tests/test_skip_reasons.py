"""Every skip in the suite says why, and `make pytest` shows the reasons (-rs)."""

from __future__ import annotations

import ast
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPS = {"skip", "skipif", "importorskip"}


def skip_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of pytest.skip, pytest.importorskip, pytest.mark.skip and pytest.mark.skipif."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SKIPS
    ]


def reason(call: ast.Call) -> ast.expr | None:
    """The reason a skip gives: reason=..., or pytest.skip's first argument."""
    for keyword in call.keywords:
        if keyword.arg in ("reason", "msg"):
            return keyword.value
    assert isinstance(call.func, ast.Attribute)
    if call.func.attr == "skip" and call.args:
        return call.args[0]
    return None


def test_every_skip_gives_a_reason() -> None:
    silent = []
    calls = 0
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for call in skip_calls(ast.parse(path.read_text(), str(path))):
            calls += 1
            said = reason(call)
            if said is None or (isinstance(said, ast.Constant) and not str(said.value).strip()):
                silent.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert calls >= 10  # the scan finds the suite's skips
    assert not silent, silent


def test_silent_skips_are_found() -> None:
    tree = ast.parse("import pytest\npytest.importorskip('x')\npytest.mark.skipif(True, reason='')\n")
    assert [reason(call) is None for call in skip_calls(tree)] == [True, False]


def test_make_pytest_reports_the_reasons() -> None:
    dry = subprocess.run(["make", "-n", "pytest"], cwd=ROOT, capture_output=True, text=True, check=True)
    (line,) = [line for line in dry.stdout.splitlines() if " -m pytest " in line]
    assert "-rs" in shlex.split(line)
