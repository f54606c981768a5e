"""What a person at a terminal sees: log lines above a live progress bar, never glued to it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
from pathlib import Path

import torch

from net221.ensemble import Ensemble
from net221.init import initial_parameters
from net221.loop import EpochPlan
from net221.seed_study import Losses, train_members

from conftest import BIN, NO_FIGURES

CSI = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z])")


def run_in_pty(argv: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str]:
    """Run a command with stdin, stdout and stderr on a 120-column pseudo-terminal; all it wrote."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(argv, cwd=cwd, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    try:
        while select.select([leader], [], [], timeout)[0]:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the command exited and closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        returncode = process.wait(timeout=timeout)
    return returncode, b"".join(chunks).decode()


def screen_lines(output: str) -> list[str]:
    """The lines a terminal shows after `output`, scrolled-off lines included: carriage return,
    line feed, cursor up, erase in line; colours and cursor visibility are ignored."""
    lines: list[list[str]] = [[]]
    row = column = 0
    position = 0
    while position < len(output):
        escape = CSI.match(output, position)
        if escape:
            argument, command = escape.groups()
            count = int(argument) if argument.isdigit() else None
            if command == "A":
                row = max(0, row - (count or 1))
            elif command == "K":
                line = lines[row]
                if count == 2:
                    line.clear()
                elif not count:
                    del line[column:]
            elif command in "mhl":
                pass
            else:
                raise AssertionError(f"unexpected terminal sequence {escape.group()!r}")
            position = escape.end()
            continue
        char = output[position]
        position += 1
        if char == "\r":
            column = 0
        elif char == "\n":
            row += 1
            if row == len(lines):
                lines.append([])
        else:
            line = lines[row]
            line.extend(" " * (column - len(line)))
            if column < len(line):
                line[column] = char
            else:
                line.append(char)
            column += 1
    return ["".join(line).rstrip() for line in lines]


def test_the_emulated_terminal_keeps_what_a_terminal_shows() -> None:
    raw = "bar ━━ 10%\r\x1b[2KEpoch 0 loss: 0.250\r\nbar ━━ 20%\r\x1b[2K\x1b[1A\x1b[2KEpoch 0 loss: 0.250\r\ndone\r\n"
    assert screen_lines(raw) == ["Epoch 0 loss: 0.250", "done", ""]
    assert screen_lines("bar ━━ 94% 0:00:01Epoch 940 loss: 0.003\r\n")[0].startswith("bar ━━")


def test_log_lines_print_above_a_live_progress_bar(tmp_path: Path) -> None:
    returncode, output = run_in_pty(
        [str(BIN / "net221-train"), "trainer.epochs=300", NO_FIGURES, f"hydra.run.dir={tmp_path / 'run'}"],
        tmp_path,
    )
    assert returncode == 0, output[-2000:]
    assert "training" in output and "━" in output  # the bar was drawn, and redrawn under the lines
    screen = screen_lines(output)
    epoch_lines = [line for line in screen if "Epoch" in line]
    assert [line.split(" loss")[0] for line in epoch_lines] == [
        f"Epoch {epoch}" for epoch in [*range(0, 300, 10), 299]
    ]
    for line in epoch_lines:
        assert re.fullmatch(r"Epoch \d+ loss: \d\.\d{3}", line), repr(line)
    assert not [line for line in screen if "━" in line or "%" in line]  # the bar leaves nothing behind
    text = [line for line in screen if line]
    assert text[-4].startswith("Training: accuracy ")
    assert text[-3].startswith("Emily: ") and text[-2].startswith("Frank: ")
    assert text[-1] == "Outputs in run"  # relative to the working directory


def test_an_ensemble_advances_its_bar_after_every_epoch_of_every_chunk(
    blog_tensors: tuple[torch.Tensor, torch.Tensor],
) -> None:
    x, y = blog_tensors
    steps: list[int] = []
    train_members(
        lambda first, count: Ensemble(initial_parameters("normal", members=count, seed=first)),
        lambda model: torch.optim.SGD(model.parameters(), lr=0.1),
        Losses(torch.nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="none")),
        x, y, EpochPlan(5), members=10, chunk_size=4, on_epoch=steps.append,
    )  # fmt: skip
    # member-epochs: from the first epoch of the first chunk on, the bar moves by the chunk's members
    assert steps == [4] * 5 + [4] * 5 + [2] * 5
    assert sum(steps) == 10 * 5
