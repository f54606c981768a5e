"""The nine partials of L = (y_true - y_pred)^2, their usual mistakes, and which a formula shows.

Layer: checks. Every partial is a product of five factors, dL/dθ = dL/dy_pred · sign · path ·
outer · input · slope (dL/dw1 = -2(y_true - y_pred) · w5 · f'(sum_o1) · x1 · f'(sum_h1)), and a
usual mistake changes one of them: f'(o1) for f'(sum_o1), h2 for h1, a factor left out, ...
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from net221.checks.evidence import Diagnosis, Evidence, diagnosis, not_finite, residual, tried
from net221.init import BLOG_NAMES

EPS32 = float(np.finfo(np.float32).eps)
FACTORS: tuple[str, ...] = ("1", "-1", "w5", "w6", "f'(sum_o1)", "f'(o1)", "x1", "x2", "h1", "h2")
FACTORS += ("f'(sum_h1)", "f'(sum_h2)", "f'(h1)", "f'(h2)")
FACTORS += ("new w5", "new w6")  # w5, w6 after the step's own update of them; gradients' order
OTHER = {"x1": "x2", "h1": "h2", "w5": "w6", "f'(sum_h1)": "f'(sum_h2)"}
OTHER |= {b: a for a, b in OTHER.items()}
HALF_MSE = " (the gradient of ½·MSE, -(y_true - y_pred), for -2(y_true - y_pred))"


@dataclass(frozen=True)
class Partial:
    """dL/dθ as its factors (FACTORS); `mistake` says how it differs from the correct one."""

    sign: str
    path: str
    outer: str
    input: str
    slope: str
    mistake: str = ""

    def factors(self) -> tuple[str, str, str, str, str]:
        return (self.sign, self.path, self.outer, self.input, self.slope)


CORRECT = {  # dL/dθ = dL/dy_pred · sign · path · outer · input · slope
    "w1": Partial("1", "w5", "f'(sum_o1)", "x1", "f'(sum_h1)"),
    "w2": Partial("1", "w5", "f'(sum_o1)", "x2", "f'(sum_h1)"),
    "w3": Partial("1", "w6", "f'(sum_o1)", "x1", "f'(sum_h2)"),
    "w4": Partial("1", "w6", "f'(sum_o1)", "x2", "f'(sum_h2)"),
    "w5": Partial("1", "1", "f'(sum_o1)", "h1", "1"),
    "w6": Partial("1", "1", "f'(sum_o1)", "h2", "1"),
    "b1": Partial("1", "w5", "f'(sum_o1)", "1", "f'(sum_h1)"),
    "b2": Partial("1", "w6", "f'(sum_o1)", "1", "f'(sum_h2)"),
    "b3": Partial("1", "1", "f'(sum_o1)", "1", "1"),
}
# the hidden layer's partials taken with w5, w6 after their update (the output layer updated first)
LATE_OUTPUT = tuple(replace(p, path=f"new {p.path}") if p.path != "1" else p for p in CORRECT.values())


def mistakes(name: str) -> list[Partial]:
    """The usual mistakes in dL/d`name`, one factor each."""
    p = CORRECT[name]
    found = [
        replace(p, sign="-1", mistake="with the opposite sign"),
        replace(p, outer="f'(o1)", mistake="with f'(o1) for f'(sum_o1) (the slope taken at the activation)"),
        replace(p, outer="1", mistake="without the factor f'(sum_o1)"),
    ]
    if p.input != "1":
        found.append(replace(p, input=OTHER[p.input], mistake=f"with {OTHER[p.input]} for {p.input}"))
    if p.path != "1":
        s, at, w = p.slope, p.slope.replace("sum_", ""), OTHER[p.path]
        found += [
            replace(p, path=w, mistake=f"with {w} for {p.path} (the other hidden neuron's path)"),
            replace(p, slope=OTHER[s], mistake=f"with {OTHER[s]} for {s}"),
            replace(p, slope=at, mistake=f"with {at} for {s} (at the activation)"),
            replace(p, slope="1", mistake=f"without the factor {s}"),
        ]
    return found


def with_mistake(p: int, m: Partial) -> tuple[Partial, ...]:
    """The nine correct partials but the p-th, which is `m`."""
    return tuple(m if j == p else c for j, c in enumerate(CORRECT.values()))


def sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1 / (1 + np.exp(-x))
    return out


def slope(f: np.ndarray) -> np.ndarray:  # f'(sum) from f(sum)
    out: np.ndarray = f * (1 - f)
    return out


def network(theta: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """h1, h2, y_pred of parameters theta (..., 9) at (x1, x2), broadcast."""
    w1, w2, w3, w4, w5, w6, b1, b2, b3 = np.moveaxis(theta, -1, 0)
    with np.errstate(over="ignore"):  # exp overflows to inf, giving 0, as it should
        h1, h2 = sigmoid(w1 * x1 + w2 * x2 + b1), sigmoid(w3 * x1 + w4 * x2 + b2)
        return h1, h2, sigmoid(w5 * h1 + w6 * h2 + b3)


def code_array(partials: Iterable[Sequence[Partial]]) -> np.ndarray:
    """K rows of nine partials as indices (K, 9, 5) into FACTORS, a factor of each field but `mistake`."""
    return np.array([[[FACTORS.index(f) for f in p.factors()] for p in row] for row in partials])


def gradients(
    theta: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    y_true: np.ndarray,
    codes: np.ndarray,
    lr: float | np.ndarray = 0.0,
) -> np.ndarray:
    """The nine partials (K, 9), as `codes` has them, of each row theta (K, 9) at (x1, x2, y_true) (K,);
    `lr` (K,) is the step that takes w5, w6 to their new values ("new w5", "new w6")."""
    h1, h2, y = network(theta, x1, x2)
    one, rows, dy = np.ones_like(y), np.arange(len(y))[:, None, None], -2 * (y_true - y)
    factors = [one, -one, theta[:, 4], theta[:, 5], slope(y), slope(sigmoid(y)), x1, x2, h1, h2]
    factors += [slope(h1), slope(h2), slope(sigmoid(h1)), slope(sigmoid(h2))]
    stacked = np.stack(factors, axis=1)
    output = dy[:, None] * stacked[rows, codes[:, 4:6]].prod(axis=2)  # dL/dw5, dL/dw6
    stacked = np.column_stack([stacked, theta[:, 4] - lr * output[:, 0], theta[:, 5] - lr * output[:, 1]])
    out: np.ndarray = dy[:, None] * stacked[rows, codes].prod(axis=2)
    return out


def vector(values: Mapping[str, float]) -> np.ndarray:
    return np.array([values[name] for name in BLOG_NAMES], dtype=np.float64)


def common_factor(yours: np.ndarray, correct: np.ndarray) -> float:
    """The median of yours / correct where neither is 0: 1 when within 1e-6 of it or not finite,
    else to 9 digits when that is as close."""
    both = (correct != 0) & (yours != 0)
    with np.errstate(over="ignore", invalid="ignore"):
        c = float(np.median(yours[both] / correct[both])) if both.any() else 1.0
    if not np.isfinite(c) or abs(c - 1) < 1e-6:
        return 1.0
    return float(f"{c:.9g}") if abs(c - float(f"{c:.9g}")) < 1e-12 else c


def not_numbers(values: np.ndarray, inputs: np.ndarray) -> list[str]:
    """Which partials (P, 9) are nan or inf, and where (#k: the k-th point, inputs (P, 3)): one
    sentence for the partials alike."""
    labels = [f"#{k} ({', '.join(f'{v:.6g}' for v in point)})" for k, point in enumerate(inputs)]
    said: dict[str, list[str]] = {}  # what, where: the partials
    for p, column in enumerate(values.T):
        if where := not_finite(column, labels, "point"):
            said.setdefault(where, []).append(f"dL/d{BLOG_NAMES[p]}")
    return [f"your formula returned {', '.join(names)} = {where}" for where, names in said.items()]


def diagnose_partials(
    params: Sequence[Mapping[str, float]],
    inputs: np.ndarray,
    formula_values: np.ndarray,
    tolerance: float = 1e-8,
    floor: float = 1e-12,
) -> Diagnosis:
    """Why a formula's partials (P, 9) at P points (params, inputs (P, 3): x1, x2, y_true) are
    wrong: a factor on all, a wrong dL/dy_pred, or for each wrong one the usual mistake it shows."""
    theta, (x1, x2, y) = np.array([vector(p) for p in params]), inputs.T

    def partials(nine: Sequence[Partial]) -> np.ndarray:
        return gradients(theta, x1, x2, y, code_array([nine] * len(theta)))

    def test(text: str, yours: np.ndarray, target: np.ndarray) -> Evidence:
        return tried(text, residual(yours, target, tolerance * np.maximum(np.abs(target), floor)))

    correct = partials(list(CORRECT.values()))
    wrong = [p for p in range(9) if not test("", formula_values[:, p], correct[:, p]).explains]
    if not wrong:
        return diagnosis("every partial is right", agrees=True)
    causes, evidence = not_numbers(formula_values, inputs), []
    numbers = not causes
    if numbers:  # a factor on every partial
        c = common_factor(formula_values, correct)
        text = f"every partial is {c:g}× the correct one{HALF_MSE if c == 0.5 else ''}"
        evidence = [test(text, formula_values, c * correct)] if c != 1 else []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a point where every partial is 0
            share = np.nanmedian(np.where(correct != 0, formula_values / correct, np.nan), axis=1)
        text = "every partial is the correct one times a factor that changes from point to point: your"
        text += " dL/dy_pred is wrong (the blog's is -2(y_true - y_pred))"  # one factor per point
        evidence.append(test(text, formula_values, np.nan_to_num(share)[:, None] * correct))
        if explaining := [e for e in evidence if e.explains]:
            return diagnosis(explaining[0].hypothesis, evidence)
    unexplained = []
    for p in [p for p in wrong if np.isfinite(formula_values[:, p]).all()]:  # no mistake gives nan, inf
        name, yours = BLOG_NAMES[p], formula_values[:, p]
        like = f"your dL/d{name} equals the correct"
        options = [
            test(f"{like} one {m.mistake}", yours, partials(with_mistake(p, m))[:, p]) for m in mistakes(name)
        ]
        options += [test(f"{like} dL/d{q}", yours, correct[:, j]) for j, q in enumerate(BLOG_NAMES) if j != p]
        evidence += options
        best = next((e for e in options if e.explains), min(options, key=lambda e: e.residual))
        causes.append(best.hypothesis) if best.explains else unexplained.append((name, best))
    if unexplained:
        names = ", ".join(f"dL/d{name}" for name, _ in unexplained)
        name, closest = min(unexplained, key=lambda pair: pair[1].residual)
        like = closest.hypothesis.removeprefix(f"your dL/d{name} equals ")
        causes.append(f"no usual mistake explains your {names} (the closest: dL/d{name} is {like})")
    return diagnosis("; ".join(causes), evidence, explained=numbers and not unexplained)
