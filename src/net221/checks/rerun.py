"""The blog's per-sample SGD re-run under many variants at once.

Layer: checks. `rerun` trains many variants of the blog's per-sample SGD at once, vectorised over
the variants (NumPy, float64 or float32): each its own initial values, learning
rate, row order, partials, data, and the parameter each update is added to. With
the correct partials it is the reference's algorithm (tested equal to net221.checks.trajectory's
reference_run).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from net221.checks.partials import CORRECT, SAMPLES, Partial, _f, code_array, gradients, mistakes
from net221.checks.trajectory import blog_training_data
from net221.data import blog_dataset
from net221.init import BLOG_NAMES


def losses(theta: np.ndarray, data: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The MSE over each row's data: theta (K, 9), data (K, n, 2), labels (K, n) -> (K,)."""
    w1, w2, w3, w4, w5, w6, b1, b2, b3 = (c[:, None] for c in theta.T)
    x1, x2 = data[..., 0], data[..., 1]
    with np.errstate(over="ignore"):
        h1, h2 = _f(w1 * x1 + w2 * x2 + b1), _f(w3 * x1 + w4 * x2 + b2)
        out: np.ndarray = ((labels - _f(w5 * h1 + w6 * h2 + b3)) ** 2).mean(axis=1)
    return out


@dataclass(frozen=True)
class Variant:
    """One way of training: the reference's when every field keeps its default."""

    initial: tuple[float, ...]  # nine, BLOG_NAMES order
    lr: float
    order: tuple[int, ...] = ()  # the rows of every epoch; () for the data's order
    partials: tuple[Partial, ...] = tuple(CORRECT.values())
    lost: tuple[int, ...] = ()  # parameters whose own update is left out
    moves: tuple[tuple[int, int], ...] = ()  # (j, t): partial j's update is also added to parameter t
    data: str = "blog"  # a key of rerun's `datasets`


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
    n = data.shape[1]
    order = np.array([v.order or tuple(range(n)) for v in variants], dtype=np.intp)
    codes = code_array([v.partials for v in variants])
    lr = np.array([v.lr for v in variants], dtype=dtype)[:, None]
    moved = any(v.lost or v.moves for v in variants)
    mix = np.zeros((k, 9, 9), dtype=dtype)  # mix[k, j, t] = 1: row k adds partial j's update to t
    for row, v in enumerate(variants):
        for j, t in ((j, j) for j in range(9) if j not in v.lost):
            mix[row, j, t] = 1
        for j, t in v.moves:
            mix[row, j, t] += 1
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


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data, labels = blog_training_data()
    people = blog_dataset()
    return {
        "blog": (data.astype(np.float64), labels.astype(np.float64)),
        "raw": (people.features.astype(np.float64), labels.astype(np.float64)),
        "flipped": (data.astype(np.float64), 1.0 - labels),
    }


DATA_TEXT = {
    "raw": "trained on the weights and heights as measured (lb, in), not minus 135 and 66",
    "flipped": "trained with the labels flipped (1 = male)",
}


FACTORS = (0.5, 2.0, 0.25, 4.0, 0.1, 0.2, 0.3, 3.0, 5.0, 10.0, 0.01)


def catalogue(base: Variant) -> list[tuple[str, Variant]]:
    """Every whole-run hypothesis: a factor on every update, another row order, one partial
    with a usual mistake, an update added to another parameter, other data."""
    found = []
    for c in FACTORS:
        why = " (½·MSE: -(y_true - y_pred))" if c == 0.5 else ""
        found.append(
            (
                f"every update is {c:g}× the reference's: learning rate {c * base.lr:g}{why}",
                replace(base, lr=c * base.lr),
            )
        )
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3):
            found.append(
                (
                    f"the rows are in another order: {', '.join(SAMPLES[i] for i in order)}",
                    replace(base, order=order),
                )
            )
    correct = tuple(CORRECT.values())
    for p, name in enumerate(BLOG_NAMES):
        for m in mistakes(name):
            partials = (*correct[:p], m, *correct[p + 1 :])
            found.append(
                (f"your update of {name} uses dL/d{name} {m.mistake}", replace(base, partials=partials))
            )
        for q, other in enumerate(BLOG_NAMES):
            if q != p:
                text = f"{other}'s update is assigned to {name} ({other} never changes)"
                found.append((text, replace(base, lost=(q,), moves=((q, p),))))
    for key, text in DATA_TEXT.items():
        found.append((text, replace(base, data=key)))
    return found


def merge(base: Variant, a: Variant, b: Variant) -> Variant | None:
    """a's changes to base and b's together; None where both change the same thing."""
    merged: dict[str, Any] = {}
    for key in ("lr", "order", "data", "lost", "moves"):
        one, two, neither = getattr(a, key), getattr(b, key), getattr(base, key)
        if one != neither and two != neither:
            return None
        merged[key] = one if one != neither else two
    for j, (one, two, neither) in enumerate(zip(a.partials, b.partials, base.partials, strict=True)):
        if one != neither and two != neither:
            return None
        merged[f"p{j}"] = one if one != neither else two
    partials = tuple(merged.pop(f"p{j}") for j in range(9))
    return replace(base, partials=partials, **merged)
