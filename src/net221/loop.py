"""The training loop: any torch module, any torch optimizer, mini-batches of any size.

It takes a model, an optimizer, a loss and tensors, and knows nothing of configs
or files. Each step is the one in PyTorch's tutorials:

    optimizer.zero_grad()
    y_pred = model(x)
    loss = loss_fn(y_pred, y)
    loss.backward()
    optimizer.step()

With batch size 1, no shuffling, MSE and SGD(lr=0.1) this is the blog's
algorithm step for step. The same loop trains an `Ensemble` with a `MemberLoss`.

Training can stop between two steps (`should_stop`) and continue later from
that point (`start_epoch`, `start_step`) with the same result as if it had never
stopped: the rows of every epoch depend only on (data seed, epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from net221.errors import UserError

# A loss with torch's argument order: loss(y_pred, y_true) -> tensor.
LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class DivergedError(UserError):
    """The loss stopped being a finite number."""

    def __init__(self, epoch: int) -> None:
        super().__init__(
            f"training diverged at epoch {epoch}: the loss is not finite (try a smaller optimizer.lr)"
        )
        self.epoch = epoch


class TrainingStopped(Exception):  # noqa: N818 (a stop asked for, not an error)
    """`should_stop` asked for a stop: `epoch` epochs are done, and `step` steps of the next."""

    def __init__(self, epoch: int, step: int) -> None:
        super().__init__(f"training stopped at epoch {epoch}, step {step}")
        self.epoch, self.step = epoch, step


@dataclass(frozen=True)
class EpochPlan:
    """Which rows each step sees, and when the whole data set is evaluated."""

    epochs: int
    batch_size: int = 1
    shuffle: bool = False
    log_every: int = 10
    data_seed: int = 0


@dataclass(frozen=True)
class Evaluation:
    """Per-member data-set loss and accuracy, each an array (E,); E = 1 for one network."""

    loss: np.ndarray
    accuracy: np.ndarray


@dataclass(frozen=True)
class EpochLog:
    epoch: int
    train: Evaluation
    val: Evaluation | None = None


@torch.no_grad()
def evaluate(model: nn.Module, per_row_loss: LossFunction, x: torch.Tensor, y: torch.Tensor) -> Evaluation:
    """Data-set loss (mean over rows) and accuracy at threshold 0.5, for every member.

    `per_row_loss` is the configured loss built with reduction="none"."""
    y_pred = model(x)
    if y_pred.dim() == 2:  # one network: (N, 1) -> one member (1, N, 1)
        y_pred = y_pred.unsqueeze(0)
    loss = per_row_loss(y_pred, y.expand_as(y_pred)).mean(dim=(1, 2))
    correct = (y_pred > 0.5) == (y > 0.5)
    accuracy = correct.sum(dim=(1, 2)).to(loss.dtype) / y_pred.shape[1]
    return Evaluation(loss.cpu().numpy(), accuracy.cpu().numpy())


def epoch_order(n_rows: int, data_seed: int, epoch: int) -> np.ndarray:
    """The row order of one shuffled epoch; a function of (seed, epoch) only, so a
    resumed run sees the same orders as an uninterrupted one."""
    return np.random.default_rng([data_seed, epoch]).permutation(n_rows)


def is_logged(epoch: int, plan: EpochPlan) -> bool:
    """Every `log_every` epochs, as the blog does, and the last epoch."""
    return epoch % plan.log_every == 0 or epoch == plan.epochs - 1


def logged_epochs(plan: EpochPlan) -> list[int]:
    return [epoch for epoch in range(plan.epochs) if is_logged(epoch, plan)]


def steps_per_epoch(rows: int, batch_size: int) -> int:
    return -(-rows // batch_size)


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive (inputs (B, D), targets (B, 1)): views, made once per epoch order."""
    return [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]


def train(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFunction,
    x: torch.Tensor,
    y: torch.Tensor,
    plan: EpochPlan,
    *,
    start_epoch: int = 0,
    start_step: int = 0,
    evaluate_epoch: Callable[[int], EpochLog] | None = None,
    on_log: Callable[[EpochLog], None] | None = None,
    on_epoch: Callable[[int], None] | None = None,
    stop_on_divergence: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Train from step `start_step` of epoch `start_epoch` up to `plan.epochs`; x (N, D), y (N, 1).

    After every epoch whose number is a multiple of `log_every` (as the blog does)
    and after the last epoch, `evaluate_epoch` measures the model and `on_log`
    receives the result, so that the final weights are always a logged row. A
    non-finite loss there raises `DivergedError` when every member has diverged
    (or when `stop_on_divergence` and any has). `on_epoch` runs after every epoch.
    Before every step `should_stop` is asked; True raises `TrainingStopped` there.
    """
    fixed = None if plan.shuffle else batches(x, y, plan.batch_size)
    if not 0 <= start_step < max(1, steps_per_epoch(x.shape[0], plan.batch_size)):
        raise ValueError(f"start_step={start_step} is not a step of an epoch")
    for epoch in range(start_epoch, plan.epochs):
        if fixed is None:
            order = torch.from_numpy(epoch_order(x.shape[0], plan.data_seed, epoch)).to(x.device)
            epoch_batches = batches(x[order], y[order], plan.batch_size)
        else:
            epoch_batches = fixed
        first = start_step if epoch == start_epoch else 0
        for step in range(first, len(epoch_batches)):
            if should_stop is not None and should_stop():
                raise TrainingStopped(epoch, step)
            x_batch, y_batch = epoch_batches[step]
            optimizer.zero_grad()
            y_pred = model(x_batch)
            loss = loss_fn(y_pred, y_batch)
            loss.backward()
            optimizer.step()
        if evaluate_epoch is not None and is_logged(epoch, plan):
            log = evaluate_epoch(epoch)
            if on_log is not None:
                on_log(log)
            finite = np.isfinite(log.train.loss)
            if not finite.all() and (stop_on_divergence or not finite.any()):
                raise DivergedError(epoch)
        if on_epoch is not None:
            on_epoch(epoch)


def evaluator(
    model: nn.Module,
    per_row_loss: LossFunction,
    x: torch.Tensor,
    y: torch.Tensor,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
) -> Callable[[int], EpochLog]:
    """An `evaluate_epoch` for `train`: the training rows, and the validation rows if any."""

    def evaluate_epoch(epoch: int) -> EpochLog:
        val = None if x_val is None or y_val is None else evaluate(model, per_row_loss, x_val, y_val)
        return EpochLog(epoch, evaluate(model, per_row_loss, x, y), val)

    return evaluate_epoch
