"""Every command's --help starts with what it does and an example (`assert_help_begins`: here for
net221-train, in each other command's tests for it); --version prints net221's."""

from __future__ import annotations

from pathlib import Path

import pytest

from net221 import __version__

from conftest import assert_help_begins, run_in_process

COMMANDS = ("net221-train", "net221-predict", "net221-gradcheck", "net221-compare", "net221-report")


@pytest.mark.parametrize("command", COMMANDS)
def test_version(command: str, tmp_path: Path) -> None:
    result = run_in_process(command, "--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"net221 {__version__}\n", "")
    assert not list(tmp_path.iterdir())  # no run directory for a question


def test_help_starts_with_what_the_command_does(tmp_path: Path) -> None:
    # net221-train's; each other command's --help is read by that command's own tests, once each
    # (Hydra's help composes every config group: most of a second)
    result = run_in_process("net221-train", "--help", cwd=tmp_path)
    assert_help_begins(
        result, "net221-train: train the 2-2-1 network", "  net221-train -m optimizer.lr=0.01,0.1,1"
    )
