"""The torch training loop: autograd, any torch optimizer, mini-batches of any size.

Layer: training. Takes a model, an optimizer, a loss function and tensors; knows
nothing of configs or files.

The loss of a batch is summed over members and averaged over the batch, so each
member's gradient is exactly the gradient it would get trained alone. With batch
size 1, no shuffling and SGD(lr=0.1) this is the blog's algorithm step for step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from net221.backward import scalar_backward
from net221.errors import UserError
from net221.network import Net221
from net221.optim_step import direct_step

# A functional loss with torch's signature: loss(y_pred, y_true, reduction=...).
LossFunction = Callable[..., torch.Tensor]


class DivergedError(UserError):
    """The loss stopped being a finite number."""

    def __init__(self, epoch: int) -> None:
        super().__init__(
            f"training diverged at epoch {epoch}: the loss is not finite (try a smaller optimizer.lr)"
        )
        self.epoch = epoch


@dataclass(frozen=True)
class Schedule:
    epochs: int
    batch_size: int = 1
    shuffle: bool = False
    log_every: int = 10
    data_seed: int = 0


@dataclass(frozen=True)
class Evaluation:
    """Per-member dataset loss and accuracy, each an array (E,)."""

    loss: np.ndarray
    accuracy: np.ndarray


@dataclass(frozen=True)
class EpochLog:
    epoch: int
    train: Evaluation
    val: Evaluation | None = None


@torch.no_grad()
def evaluate(model: Net221, loss_fn: LossFunction, x: torch.Tensor, y: torch.Tensor) -> Evaluation:
    """Dataset loss (mean over rows) and accuracy at threshold 0.5, for every member."""
    y_pred = model(x)
    loss = loss_fn(y_pred, y.expand_as(y_pred), reduction="none").mean(dim=(1, 2))
    # the labels' side once (N, 1), not once per member
    correct = (y_pred > 0.5) == (y > 0.5)
    accuracy = correct.sum(dim=(1, 2)).to(loss.dtype) / y_pred.shape[1]
    return Evaluation(loss.cpu().numpy(), accuracy.cpu().numpy())


def epoch_order(n_rows: int, data_seed: int, epoch: int) -> np.ndarray:
    """The row order of one shuffled epoch; a function of (seed, epoch) only, so a
    resumed run sees the same orders as an uninterrupted one."""
    return np.random.default_rng([data_seed, epoch]).permutation(n_rows)


def _batches(
    x: torch.Tensor, y: torch.Tensor, members: int, batch_size: int
) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
    """(inputs (E, B, D), targets (E, B, 1), B) for consecutive rows; views, no copies."""
    out = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start : start + batch_size]
        yb = y[start : start + batch_size]
        size = xb.shape[0]
        out.append((xb.expand(members, *xb.shape), yb.expand(members, *yb.shape), size))
    return out


def train(
    model: Net221,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFunction,
    x: torch.Tensor,
    y: torch.Tensor,
    schedule: Schedule,
    *,
    start_epoch: int = 0,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    on_log: Callable[[EpochLog], None] | None = None,
    on_epoch: Callable[[int], None] | None = None,
    stop_on_divergence: bool = True,
) -> list[EpochLog]:
    """Train from `start_epoch` up to `schedule.epochs`; x (N, D), y (N, 1).

    After every epoch whose number is a multiple of `log_every` the whole data set
    is evaluated (as the blog does) and passed to `on_log`. A non-finite loss there
    raises `DivergedError` when every member has diverged (or when `stop_on_divergence`
    and any has).
    """
    members = model.members
    batch_size = min(schedule.batch_size, x.shape[0])
    fixed_batches = None if schedule.shuffle else _batches(x, y, members, batch_size)
    step = direct_step(optimizer)
    backward = scalar_backward(x.device)
    parameters = list(model.parameters())
    for parameter in parameters:
        parameter.grad = None
    logs: list[EpochLog] = []
    for epoch in range(start_epoch, schedule.epochs):
        if fixed_batches is None:
            order = torch.from_numpy(epoch_order(x.shape[0], schedule.data_seed, epoch)).to(x.device)
            batches = _batches(x[order], y[order], members, batch_size)
        else:
            batches = fixed_batches
        for xb, yb, size in batches:
            loss = loss_fn(model(xb), yb, reduction="sum")
            if size != 1:
                loss = loss / size
            backward(loss)
            step()
            # Same effect as optimizer.zero_grad(), at a fraction of its per-step cost.
            for parameter in parameters:
                parameter.grad = None
        if epoch % schedule.log_every == 0:
            log = EpochLog(
                epoch,
                evaluate(model, loss_fn, x, y),
                None if x_val is None or y_val is None else evaluate(model, loss_fn, x_val, y_val),
            )
            logs.append(log)
            if on_log is not None:
                on_log(log)
            finite = np.isfinite(log.train.loss)
            if not finite.all() and (stop_on_divergence or not finite.any()):
                raise DivergedError(epoch)
        if on_epoch is not None:
            on_epoch(epoch)
    return logs
