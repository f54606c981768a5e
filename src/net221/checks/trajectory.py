"""Training runs: the reference's (`reference_run`: the blog's per-sample SGD, the torch loop's
arithmetic at a hundredth of its cost, with the ways real implementations differ as options), and
another implementation's as it reports it: printed `Epoch N loss: X` lines or a trajectory file
(the format: docs/compare.md). A written loss is only as precise as its last digit (`resolution`)."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from net221.data import BLOG_SHIFT, blog_dataset, held_out_people
from net221.derivation import blog_partials, feedforward
from net221.errors import UserError
from net221.init import BLOG_NAMES

COLUMNS = ("epoch", "loss", *BLOG_NAMES)
MAX_EPOCHS = 1_000_000  # the most a comparison trains the reference for (about half a minute)


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
    initial: dict[str, float]
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
    """Every `Epoch N loss: X` line (or `epoch 10, loss = 0.25`, `Epoch 10/1000 - loss: ...`)."""
    matches = (_LOSS_LINE.search(line) for line in output.splitlines())
    return [logged_epoch(int(match["epoch"]), match["loss"]) for match in matches if match]


def _number(text: str, where: str, column: str) -> float:
    try:
        if math.isfinite(value := float(text)):
            return value
    except ValueError:
        raise TrajectoryError(f"{where}: {column} {text!r} is not a number") from None
    raise TrajectoryError(f"{where}: {column} is {text}")


def _weights(cells: dict[str, str], where: str, required: bool) -> dict[str, float] | None:
    if (missing := [name for name in BLOG_NAMES if not cells[name]]) == list(BLOG_NAMES) and not required:
        return None
    if missing:
        needed = "the init row needs all nine values" if required else "give all nine weights or none"
        raise TrajectoryError(f"{where}: no value for {', '.join(missing)} ({needed})")
    return {name: _number(cells[name], where, name) for name in BLOG_NAMES}


def read_trajectory(path: Path) -> Trajectory:
    """The trajectory file at `path`; TrajectoryError (one line, naming the line) if it is malformed."""
    try:
        if not path.is_file():
            raise TrajectoryError(f"no such trajectory file {path}")
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark is no part of the header
    except (OSError, UnicodeDecodeError) as exc:  # OSError: a name too long to look up, say
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise TrajectoryError(f"trajectory file {path} cannot be read ({reason})") from None
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(text.splitlines()), start=1)
        if row and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise TrajectoryError(f"{path}: empty; expected the header {','.join(COLUMNS)}")
    if (header := [cell.strip() for cell in rows[0][1]]) != list(COLUMNS):
        raise TrajectoryError(
            f"{path}:{rows[0][0]}: the header must be {','.join(COLUMNS)}, got {','.join(header)}"
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
        if (epoch := int(cells["epoch"])) >= MAX_EPOCHS:
            raise TrajectoryError(
                f"{where}: epoch {epoch} is beyond the last the reference trains, epoch {MAX_EPOCHS - 1}"
            )
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


def blog_training_data() -> tuple[np.ndarray, np.ndarray]:
    """The blog's `data` (4, 2) and `all_y_trues` (4,), shifted, as whole numbers (int64)."""
    people = blog_dataset()
    return np.rint(people.features - np.array(BLOG_SHIFT)).astype(np.int64), people.labels.astype(np.int64)


def held_out_inputs() -> tuple[list[str], np.ndarray]:
    """Emily and Frank, shifted as the training data."""
    held_out = held_out_people()
    return list(held_out.names), held_out.features - np.array(BLOG_SHIFT)


def predict(params: Mapping[str, float], inputs: np.ndarray) -> np.ndarray:
    """The network's output for each row of inputs (M, 2): (M,)."""
    return np.array([feedforward(**params, x1=float(x[0]), x2=float(x[1])) for x in inputs])


def _samples() -> list[tuple[float, float, float]]:
    data, labels = blog_training_data()
    return [(float(x[0]), float(x[1]), float(y)) for x, y in zip(data, labels, strict=True)]


def mse(params: Mapping[str, float], samples: Sequence[tuple[float, float, float]] | None = None) -> float:
    """The loss the blog prints: the MSE over its four people (or over `samples`, (x1, x2, y))."""
    rows = _samples() if samples is None else samples
    return float(np.mean([(y - feedforward(**params, x1=x1, x2=x2)) ** 2 for x1, x2, y in rows]))


@dataclass
class ReferenceRun:
    loss: np.ndarray  # (epochs,): loss[N] after epoch N's updates
    weights: dict[int, dict[str, float]] = field(default_factory=dict)  # at the epochs asked for
    final: dict[str, float] = field(default_factory=dict)
    predictions: np.ndarray = field(default_factory=lambda: np.empty(0))  # Emily, Frank


def reference_run(
    initial: Mapping[str, float],
    lr: float = 0.1,
    epochs: int = 1000,
    *,
    weights_at: Sequence[int] = (),
    order: Callable[[int], Sequence[int]] | None = None,
    partials: Callable[..., Mapping[str, float]] = blog_partials,
    dtype: type[np.floating] | None = None,
) -> ReferenceRun:
    """The blog's training from `initial`; `order(epoch)`: the rows that epoch visits, `dtype`: the
    precision the parameters are rounded to after every update."""
    samples = _samples()
    params = {name: float(initial[name]) for name in BLOG_NAMES}
    run, wanted = ReferenceRun(loss=np.full(epochs, np.nan)), set(weights_at)
    for epoch in range(epochs):
        for row in range(len(samples)) if order is None else order(epoch):
            x1, x2, y_true = samples[row]
            step = partials(**params, x1=x1, x2=x2, y_true=y_true)
            for name in BLOG_NAMES:
                params[name] -= lr * step[name]
            if dtype is not None:
                params = {name: float(dtype(value)) for name, value in params.items()}
        run.loss[epoch] = mse(params, samples)
        if epoch in wanted:
            run.weights[epoch] = dict(params)
    run.final, run.predictions = params, predict(params, held_out_inputs()[1])
    return run
