"""The blog's per-sample SGD re-run under many variants at once, and the catalogue of variants.

Layer: checks. Each Variant has its own initial values, learning rate, row order, partials,
data, and parameter each update is added to; `rerun` trains them all at once (NumPy, vectorised
over the variants). With the correct partials it is the reference's training (tested equal).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from net221.checks.partials import (
    CORRECT,
    SAMPLES,
    Partial,
    code_array,
    gradients,
    mistakes,
    network,
    with_mistake,
)
from net221.checks.trajectory import blog_training_data
from net221.data import blog_dataset
from net221.init import BLOG_NAMES

SCALES = (0.5, 2.0, 0.25, 4.0, 0.1, 0.2, 0.3, 3.0, 5.0, 10.0, 0.01)  # factors tried on every update
DATA_TEXT = {
    "raw": "trained on the weights and heights as measured (lb, in), not minus 135 and 66",
    "flipped": "trained with the labels flipped (1 = male)",
}


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
    moved = any(v.lost or v.moves for v in variants)
    theta = np.array([v.initial for v in variants], dtype=dtype)
    samples = [(data[rows, i, 0], data[rows, i, 1], labels[rows, i]) for i in order.T]
    weights, loss = np.empty((epochs + 1, k, 9)), np.empty((epochs + 1, k))
    weights[0], loss[0] = theta, losses(theta, data, labels)
    for epoch in range(epochs):
        for x1, x2, y in samples:
            step = lr * gradients(theta, x1, x2, y, codes)
            theta = theta - (np.einsum("kj,kjt->kt", step, mix) if moved else step)
        weights[epoch + 1], loss[epoch + 1] = theta, losses(theta, data, labels)
    return Rerun(weights, loss)


def catalogue(base: Variant) -> list[tuple[str, Variant]]:
    """Every whole-run hypothesis: a factor on every update, another row order, one partial
    with a usual mistake, an update added to another parameter, other data."""
    found = []

    def add(text: str, **change: Any) -> None:
        found.append((text, replace(base, **change)))

    for c in SCALES:
        why = " (½·MSE: -(y_true - y_pred))" if c == 0.5 else ""
        add(f"every update is {c:g}× the reference's: learning rate {c * base.lr:g}{why}", lr=c * base.lr)
    for order in list(itertools.permutations(range(4)))[1:]:
        add(f"the rows are in another order: {', '.join(SAMPLES[i] for i in order)}", order=order)
    for p, name in enumerate(BLOG_NAMES):
        for m in mistakes(name):
            add(f"your update of {name} uses dL/d{name} {m.mistake}", partials=with_mistake(p, m))
        for q, other in enumerate(BLOG_NAMES):
            if q != p:
                add(
                    f"{other}'s update is assigned to {name} ({other} never changes)",
                    lost=(q,),
                    moves=((q, p),),
                )
    for key, text in DATA_TEXT.items():
        add(text, data=key)
    return found


def merge(base: Variant, a: Variant, b: Variant) -> Variant | None:
    """a's changes to base and b's together; None where both change the same thing."""
    keys = ("lr", "order", "data", "lost", "moves")
    triples = [(getattr(a, k), getattr(b, k), getattr(base, k)) for k in keys]
    triples += list(zip(a.partials, b.partials, base.partials, strict=True))
    if any(one != neither and two != neither for one, two, neither in triples):
        return None
    chosen = [one if one != neither else two for one, two, neither in triples]
    return replace(base, **dict(zip(keys, chosen[:5], strict=True)), partials=tuple(chosen[5:]))
