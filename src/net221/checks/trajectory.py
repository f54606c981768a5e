"""A training run as another implementation reports it: losses by epoch, maybe the weights too.

Layer: checks. Two sources:

    printed output   `Epoch N loss: X` lines, as the blog's code prints them;
    a trajectory file (CSV) that a program in any language can write:

        epoch,loss,w1,w2,w3,w4,w5,w6,b1,b2,b3
        init,,0.49671415,-0.1382643,0.64768854,1.52302986,-0.23415337,-0.23413696,1.57921282,0.76743473,-0.46947439
        0,0.287391,0.501,-0.137,0.651,1.521,-0.198,-0.222,1.581,0.768,-0.39
        10,0.192456,,,,,,,,,

    The `init` row holds the nine initial values. Every other row is one logged
    epoch, counted from 0: the mean squared error over the four people after that
    epoch's updates and, optionally (all nine or none), the weights at that moment.
    Epochs increase from row to row. Blank lines and lines starting with # are skipped.

A loss is only as precise as it was written: `resolution` is one unit in its last
written digit (0.001 for 0.287, 1e-05 for 2.87e-04).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from net221.errors import UserError
from net221.init import BLOG_NAMES

COLUMNS = ("epoch", "loss", *BLOG_NAMES)


class TrajectoryError(UserError):
    """A trajectory file that cannot be read."""


@dataclass(frozen=True)
class LoggedEpoch:
    epoch: int
    loss: float
    text: str  # the loss as written
    resolution: float  # one unit in the last written digit
    weights: dict[str, float] | None = None


@dataclass(frozen=True)
class Trajectory:
    initial: dict[str, float] | None  # None for printed output: the object holds them
    epochs: list[LoggedEpoch]


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
_LOSS_LINE = re.compile(
    rf"\bepoch\b\s*[:#=]?\s*(?P<epoch>\d+)(?:\s*/\s*\d+)?[^\w\n]*?\bloss\b\s*[:=]?\s*(?P<loss>{_NUMBER})",
    re.IGNORECASE,
)


def resolution(text: str) -> float:
    """One unit in the last written digit of a number: 0.001 for '0.287', 1e-05 for '2.87e-04'."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return float(10.0 ** (int(exponent or 0) - decimals))


def logged_epoch(epoch: int, text: str, weights: dict[str, float] | None = None) -> LoggedEpoch:
    return LoggedEpoch(epoch, float(text), text, resolution(text), weights)


def parse_printed(output: str) -> list[LoggedEpoch]:
    """Every `Epoch N loss: X` line of printed output, in order. Spellings such as
    `epoch 10, loss = 0.25` and `Epoch 10/1000 - loss: 2.5e-01` count too."""
    found = []
    for line in output.splitlines():
        match = _LOSS_LINE.search(line)
        if match:
            found.append(logged_epoch(int(match["epoch"]), match["loss"]))
    return found


def _number(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TrajectoryError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise TrajectoryError(f"{where}: {column} is {text}")
    return value


def _weights(cells: dict[str, str], where: str, required: bool) -> dict[str, float] | None:
    given = [name for name in BLOG_NAMES if cells[name]]
    if not given and not required:
        return None
    missing = [name for name in BLOG_NAMES if not cells[name]]
    if missing:
        needed = "the init row needs all nine values" if required else "give all nine weights or none"
        raise TrajectoryError(f"{where}: no value for {', '.join(missing)} ({needed})")
    return {name: _number(cells[name], where, name) for name in BLOG_NAMES}


def read_trajectory(path: Path) -> Trajectory:
    """The trajectory file at `path`; TrajectoryError (one line, naming the line) if it is malformed."""
    if not path.is_file():
        raise TrajectoryError(f"no such trajectory file {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrajectoryError(f"{path}: cannot be read ({exc})") from None
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(text.splitlines()), start=1)
        if row and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise TrajectoryError(f"{path}: empty; expected the header {','.join(COLUMNS)}")
    line, header = rows[0]
    header = [cell.strip() for cell in header]
    if header != list(COLUMNS):
        raise TrajectoryError(
            f"{path}:{line}: the header must be {','.join(COLUMNS)}, got {','.join(header)}"
        )
    initial: dict[str, float] | None = None
    epochs: list[LoggedEpoch] = []
    for line, row in rows[1:]:
        where = f"{path}:{line}"
        if len(row) != len(COLUMNS):
            raise TrajectoryError(f"{where}: {len(row)} cells, expected {len(COLUMNS)}")
        cells = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
        if cells["epoch"] == "init":
            if initial is not None or epochs:
                raise TrajectoryError(f"{where}: the init row must come once, before every epoch")
            initial = _weights(cells, where, required=True)
            continue
        if initial is None:
            raise TrajectoryError(f"{where}: the init row (initial w1..b3) must come before the epochs")
        if not re.fullmatch(r"\d+", cells["epoch"]):
            raise TrajectoryError(f"{where}: epoch {cells['epoch']!r} is not a whole number >= 0 or 'init'")
        epoch = int(cells["epoch"])
        if epochs and epoch <= epochs[-1].epoch:
            raise TrajectoryError(f"{where}: epoch {epoch} does not follow epoch {epochs[-1].epoch}")
        if not cells["loss"]:
            raise TrajectoryError(f"{where}: no loss for epoch {epoch}")
        _number(cells["loss"], where, "loss")
        epochs.append(logged_epoch(epoch, cells["loss"], _weights(cells, where, required=False)))
    if initial is None:
        raise TrajectoryError(f"{path}: no init row with the initial w1..b3")
    if not epochs:
        raise TrajectoryError(f"{path}: no logged epochs after the init row")
    return Trajectory(initial, epochs)
