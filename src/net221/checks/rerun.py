"""The blog's per-sample SGD re-run under many variants at once, and the words for a variant.

Layer: checks. Each Variant has its own initial values, learning rate, row order, partials,
data, and parameter each update is added to; `rerun` trains them all at once (NumPy, vectorised
over the variants), `changes` takes one step from many states. With the correct partials it is
the reference's training (tested equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from net221.checks.partials import CORRECT, HALF_MSE, Partial, code_array, gradients, network
from net221.checks.trajectory import blog_training_data
from net221.data import blog_dataset

SAMPLES = blog_dataset().names


def scaled(c: float, lr: float) -> str:
    text = f"every update is {c:g}× the reference's: learning rate {c * lr:g} or a factor {c:g} on every"
    return f"{text} gradient{HALF_MSE if c == 0.5 else ''}"


def in_order(order: Sequence[int]) -> str:
    return f"the rows are in another order: {', '.join(SAMPLES[i] for i in order)}"


LATE = "your updates of w1..w4, b1, b2 use w5 and w6 after their own update"
LATE += " (update the output layer after computing every partial)"


def wrong_update(name: str, mistake: str) -> str:
    return f"your update of {name} uses dL/d{name} {mistake}"


def losses(theta: np.ndarray, data: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The MSE over each row's data: theta (K, 9), data (K, n, 2), labels (K, n) -> (K,)."""
    out: np.ndarray = ((labels - network(theta[:, None], data[..., 0], data[..., 1])[2]) ** 2).mean(axis=1)
    return out


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data, labels = blog_training_data()
    data, labels = data.astype(np.float64), labels.astype(np.float64)
    return {
        "blog": (data, labels),
        "raw": (blog_dataset().features.astype(np.float64), labels),
        "flipped": (data, 1 - labels),
    }


@dataclass(frozen=True)
class Variant:
    """One way of training: the reference's when every field keeps its default."""

    initial: tuple[float, ...]  # nine, BLOG_NAMES order
    lr: float
    order: tuple[int, ...] = ()  # the rows of every epoch; () for the data's order
    partials: tuple[Partial, ...] = tuple(CORRECT.values())
    lost: tuple[int, ...] = ()  # parameters whose own update is left out
    moves: tuple[tuple[int, int], ...] = ()  # (j, t): partial j's update is also added to parameter t
    data: str = "blog"  # a key of `datasets`


@dataclass(frozen=True)
class Rerun:
    weights: np.ndarray  # (epochs + 1, K, 9): [0] the initial values, [e + 1] after epoch e
    loss: np.ndarray  # (epochs + 1, K): the MSE over the data at the same moments


def rerun(
    variants: Sequence[Variant],
    datasets: dict[str, tuple[np.ndarray, np.ndarray]],
    epochs: int,
    dtype: type[np.floating] = np.float64,
) -> Rerun:
    """Per-sample SGD of every variant for `epochs` epochs, all at once, in `dtype`."""
    k, rows = len(variants), np.arange(len(variants))
    data = np.stack([datasets[v.data][0] for v in variants]).astype(dtype)
    labels = np.stack([datasets[v.data][1] for v in variants]).astype(dtype)
    order = np.array([v.order or range(data.shape[1]) for v in variants], dtype=np.intp)
    codes = code_array([v.partials for v in variants])
    lr = np.array([v.lr for v in variants], dtype=dtype)[:, None]
    mix = np.array([np.diag([j not in v.lost for j in range(9)]) for v in variants], dtype=dtype)
    for row, v in enumerate(variants):  # mix[k, j, t]: row k adds partial j's update to t
        for j, t in v.moves:
            mix[row, j, t] += 1
    theta = np.array([v.initial for v in variants], dtype=dtype)
    samples = [(data[rows, i, 0], data[rows, i, 1], labels[rows, i]) for i in order.T]
    weights, loss = np.empty((epochs + 1, k, 9)), np.empty((epochs + 1, k))
    weights[0], loss[0] = theta, losses(theta, data, labels)
    for epoch in range(epochs):
        for x1, x2, y in samples:
            step = lr * gradients(theta, x1, x2, y, codes, lr[:, 0])
            theta = theta - np.einsum("kj,kjt->kt", step, mix)
        weights[epoch + 1], loss[epoch + 1] = theta, losses(theta, data, labels)
    return Rerun(weights, loss)


def changes(
    states: np.ndarray, lr: float, partials: Sequence[Sequence[Partial]], samples: np.ndarray
) -> np.ndarray:
    """One step's changes (R, 9) from each state (R, 9) at the blog's rows `samples` (R,)."""
    data, labels = datasets()["blog"]
    x, y = data[samples], labels[samples]
    return -lr * gradients(states, x[:, 0], x[:, 1], y, code_array(partials), lr)
