"""Every command's --help starts with what it does and an example; --version prints net221's."""

from __future__ import annotations

from pathlib import Path

import pytest

from net221 import __version__

from conftest import run_in_process

COMMANDS = ("net221-train", "net221-predict", "net221-gradcheck", "net221-compare", "net221-report")


@pytest.mark.parametrize("command", COMMANDS)
def test_version(command: str, tmp_path: Path) -> None:
    result = run_in_process(command, "--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"net221 {__version__}\n", "")
    assert not list(tmp_path.iterdir())  # no run directory for a question


@pytest.mark.parametrize(
    ("command", "begins", "example"),
    [
        (
            "net221-train",
            "net221-train: train the 2-2-1 network",
            "  net221-train -m optimizer.lr=0.01,0.1,1",
        ),
        ("net221-predict", "net221-predict: the probability (of label 1)", "  $ net221-predict checkpoint="),
        (
            "net221-compare",
            "net221-compare: check an implementation",
            "  net221-compare impl=path/to/network.py",
        ),
        (
            "net221-report",
            "net221-report: a table and a plot",
            "  net221-report dir=multirun/2026-11-27/10-00-00",
        ),
    ],
)
def test_help_starts_with_what_the_command_does(
    command: str, begins: str, example: str, tmp_path: Path
) -> None:
    result = run_in_process(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(begins)
    first_part = result.stdout[:1200]
    assert example in first_part  # an example near the top, before any list of options
    assert "powered by Hydra" not in result.stdout and "Layer: app" not in result.stdout
