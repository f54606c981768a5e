"""The stages at which another implementation of the blog's network is checked, and the reference.

Layer: checks. The reference is Net221 in float64 trained by the canonical loop
(per-sample SGD, MSE, the blog's data in its order), started from the other
implementation's nine initial values. Stages, in the order a bug shows up in:

    forward      feedforward at the initial weights: the blog's four people, Emily,
                 Frank and `points` random inputs, x1 and x2 ~ U(-10, 10);
    loss         the loss trace: at each epoch N the other side logged, the MSE over
                 the four people after epoch N's updates (epochs counted from 0),
                 equal to the precision it was written at;
    weights      the nine weights, after training (and at each epoch a trajectory
                 file gives them);
    predictions  Emily and Frank after training.

Numbers agree when |yours - reference| <= max(tolerance * max(|reference|, abs_floor),
resolution / 2), resolution being one unit in the last written digit of a
printed or written number (0 for numbers read from an object).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from net221.checks.trajectory import LoggedEpoch
from net221.data import BLOG_SHIFT, blog_dataset, held_out_people
from net221.init import BLOG_NAMES
from net221.loop import EpochLog, EpochPlan, evaluator, train
from net221.network import Net221

INPUT_RANGE = 10.0  # random forward-check inputs: x1, x2 ~ U(-INPUT_RANGE, INPUT_RANGE)
STAGES = ("forward", "loss", "weights", "predictions")
# written numbers within half a unit of their last digit agree; a rounding tie may go either way
_TIE = 1e-9


@dataclass(frozen=True)
class Settings:
    lr: float = 0.1
    epochs: int = 1000
    points: int = 100
    seed: int = 0
    tolerance: float = 1e-9  # relative: weights, predictions, losses written to full precision
    forward_tolerance: float = 1e-9  # relative: feedforward at the initial weights
    abs_floor: float = 1e-6  # errors are relative to max(|reference|, abs_floor)


@dataclass(frozen=True)
class Check:
    """One number of the other implementation against the reference."""

    stage: str
    label: str  # "Alice", "epoch 10", "w3", "epoch 10 w3", ...
    yours: float
    reference: float
    limit: float  # the largest |yours - reference| that agrees
    text: str | None = None  # yours, as written

    @property
    def difference(self) -> float:
        return abs(self.yours - self.reference)

    @property
    def agrees(self) -> bool:
        return bool(self.difference <= self.limit)  # False for NaN


def limit(reference: float, tolerance: float, abs_floor: float, resolution: float = 0.0) -> float:
    return max(tolerance * max(abs(reference), abs_floor), resolution / 2 * (1 + _TIE))


# --- the blog's data ------------------------------------------------------------------------


def blog_training_data() -> tuple[np.ndarray, np.ndarray]:
    """The blog's `data` (4, 2) and `all_y_trues` (4,), as the blog writes them: the shifted
    weights and heights and the 0/1 labels, whole numbers (int64)."""
    people = blog_dataset()
    data = people.features - np.array(BLOG_SHIFT)
    return np.rint(data).astype(np.int64), people.labels.astype(np.int64)


def forward_inputs(points: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Names and inputs (M, 2) of the forward check: the six people, then random points."""
    shift = np.array(BLOG_SHIFT)
    people, held_out = blog_dataset(), held_out_people()
    rng = np.random.default_rng(seed)
    random = rng.uniform(-INPUT_RANGE, INPUT_RANGE, size=(points, 2))
    names = [*people.names, *held_out.names, *(f"random {i + 1}" for i in range(points))]
    return names, np.concatenate([people.features - shift, held_out.features - shift, random])


def held_out_inputs() -> tuple[list[str], np.ndarray]:
    held_out = held_out_people()
    return list(held_out.names), held_out.features - np.array(BLOG_SHIFT)


# --- the reference ------------------------------------------------------------------------------


@torch.no_grad()
def blog_parameters(model: Net221) -> dict[str, float]:
    return model.blog_parameters()


def network(parameters: Mapping[str, float]) -> Net221:
    model = Net221(dtype=torch.float64)
    model.set_blog_parameters(parameters)
    return model


@torch.no_grad()
def predict(model: Net221, inputs: np.ndarray) -> np.ndarray:
    """The network's output for each row of inputs (M, 2): (M,)."""
    outputs: np.ndarray = model(torch.as_tensor(inputs, dtype=torch.float64)).reshape(-1).numpy().copy()
    return outputs


@dataclass
class ReferenceRun:
    loss: np.ndarray  # (epochs,): loss[N] after epoch N's updates
    weights: dict[int, dict[str, float]] = field(default_factory=dict)  # at the epochs asked for
    final: dict[str, float] = field(default_factory=dict)
    predictions: np.ndarray = field(default_factory=lambda: np.empty(0))  # Emily, Frank


def reference_run(
    initial: Mapping[str, float], lr: float, epochs: int, weights_at: Sequence[int] = ()
) -> ReferenceRun:
    """Train Net221 from `initial` as the blog does; the loss after every epoch."""
    model = network(initial)
    data, labels = blog_training_data()
    x = torch.as_tensor(data, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.float64).reshape(-1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    run = ReferenceRun(loss=np.full(epochs, np.nan))
    wanted = set(weights_at)

    def on_log(log: EpochLog) -> None:
        run.loss[log.epoch] = float(log.train.loss[0])
        if log.epoch in wanted:
            run.weights[log.epoch] = blog_parameters(model)

    plan = EpochPlan(epochs, batch_size=1, shuffle=False, log_every=1)
    per_row = torch.nn.MSELoss(reduction="none")
    train(
        model,
        optimizer,
        torch.nn.MSELoss(),
        x,
        y,
        plan,
        evaluate_epoch=evaluator(model, per_row, x, y),
        on_log=on_log,
    )
    run.final = blog_parameters(model)
    run.predictions = predict(model, held_out_inputs()[1])
    return run


# --- the stages ---------------------------------------------------------------------------------


def forward_checks(
    initial: Mapping[str, float], names: Sequence[str], inputs: np.ndarray, yours: np.ndarray, s: Settings
) -> list[Check]:
    reference = predict(network(initial), inputs)
    return [
        Check("forward", name, float(a), float(b), limit(float(b), s.forward_tolerance, s.abs_floor))
        for name, a, b in zip(names, yours, reference, strict=True)
    ]


def loss_checks(logged: Sequence[LoggedEpoch], run: ReferenceRun, s: Settings, shift: int = 0) -> list[Check]:
    """Each logged loss against the reference's at epoch - shift; epochs the reference did
    not reach are left out (see `beyond`)."""
    checks = []
    for entry in logged:
        epoch = entry.epoch - shift
        if 0 <= epoch < len(run.loss):
            ref = float(run.loss[epoch])
            bound = limit(ref, s.tolerance, s.abs_floor, entry.resolution)
            checks.append(Check("loss", f"epoch {entry.epoch}", entry.loss, ref, bound, entry.text))
    return checks


def beyond(logged: Sequence[LoggedEpoch], epochs: int) -> list[int]:
    """Logged epochs past the reference's last one."""
    return [entry.epoch for entry in logged if entry.epoch >= epochs]


def weight_checks(
    yours: Mapping[str, float], reference: Mapping[str, float], s: Settings, where: str = ""
) -> list[Check]:
    prefix = f"{where} " if where else ""
    return [
        Check(
            "weights",
            f"{prefix}{name}",
            yours[name],
            reference[name],
            limit(reference[name], s.tolerance, s.abs_floor),
        )
        for name in BLOG_NAMES
    ]


def prediction_checks(yours: np.ndarray, run: ReferenceRun, s: Settings) -> list[Check]:
    names = held_out_inputs()[0]
    return [
        Check("predictions", name, float(a), float(b), limit(float(b), s.tolerance, s.abs_floor))
        for name, a, b in zip(names, yours, run.predictions, strict=True)
    ]


def trajectory_checks(logged: Sequence[LoggedEpoch], run: ReferenceRun, s: Settings) -> list[Check]:
    """Loss, then the weights if written, epoch by epoch."""
    checks = []
    for entry in logged:
        checks += loss_checks([entry], run, s)
        if entry.weights is not None and entry.epoch in run.weights:
            checks += weight_checks(entry.weights, run.weights[entry.epoch], s, f"epoch {entry.epoch}")
    return checks


def first_failure(checks: Sequence[Check]) -> Check | None:
    return next((check for check in checks if not check.agrees), None)
