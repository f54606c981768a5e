"""The nine partials of L = (y_true - y_pred)^2, their usual mistakes, and which a formula shows.

Layer: checks. Every partial dL/dθ is a product

    dL/dθ = sign · dL/dy_pred · path · outer · input · slope

    θ     path   outer        input   slope
    w5    1      f'(sum_o1)   h1      1          w1   w5   f'(sum_o1)   x1   f'(sum_h1)
    w6    1      f'(sum_o1)   h2      1          b2   w6   f'(sum_o1)   1    f'(sum_h2)

and a mistake in one partial is one factor changed (a `Partial` of other codes):
f'(o1) for f'(sum_o1), a factor left out, h2 for h1, x2 for x1, the opposite sign.
`diagnose_partials` tests them at gradcheck's points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from net221.checks.evidence import Diagnosis, Evidence, diagnosis, residual
from net221.data import blog_dataset
from net221.init import BLOG_NAMES

SAMPLES = blog_dataset().names
EPS32 = float(np.finfo(np.float32).eps)

PATHS = ("1", "w5", "w6")
OUTERS = ("f'(sum_o1)", "f'(o1)", "1")
INPUTS = ("1", "x1", "x2", "h1", "h2")
SLOPES = ("1", "f'(sum_h1)", "f'(sum_h2)", "f'(h1)", "f'(h2)")
_OFFSETS = np.cumsum([0, 2, len(PATHS), len(OUTERS), len(INPUTS)])  # columns of each slot in _slots


@dataclass(frozen=True)
class Partial:
    """dL/dθ as codes into SIGNS, PATHS, OUTERS, INPUTS, SLOPES; `mistake` says how it differs."""

    sign: int
    path: int
    outer: int
    input: int
    slope: int
    mistake: str = ""

    @property
    def codes(self) -> tuple[int, int, int, int, int]:
        return (self.sign, self.path, self.outer, self.input, self.slope)


CORRECT: dict[str, Partial] = {
    "w1": Partial(0, 1, 0, 1, 1),
    "w2": Partial(0, 1, 0, 2, 1),
    "w3": Partial(0, 2, 0, 1, 2),
    "w4": Partial(0, 2, 0, 2, 2),
    "w5": Partial(0, 0, 0, 3, 0),
    "w6": Partial(0, 0, 0, 4, 0),
    "b1": Partial(0, 1, 0, 0, 1),
    "b2": Partial(0, 2, 0, 0, 2),
    "b3": Partial(0, 0, 0, 0, 0),
}
_OTHER = {1: 2, 2: 1, 3: 4, 4: 3}  # x1 <-> x2, h1 <-> h2, f'(sum_h1) <-> f'(sum_h2), w5 <-> w6


def mistakes(name: str) -> list[Partial]:
    """The usual mistakes in dL/d`name`, one factor each."""
    p = CORRECT[name]
    found = [replace(p, sign=1, mistake="with the opposite sign")]
    found.append(
        replace(p, outer=1, mistake="with f'(o1) for f'(sum_o1) (the slope taken at the activation)")
    )
    found.append(replace(p, outer=2, mistake="without the factor f'(sum_o1)"))
    if p.input:
        a, b = INPUTS[p.input], INPUTS[_OTHER[p.input]]
        found.append(replace(p, input=_OTHER[p.input], mistake=f"with {b} for {a}"))
    if p.path:
        a, b = PATHS[p.path], PATHS[3 - p.path]
        found.append(
            replace(p, path=3 - p.path, mistake=f"with {b} for {a} (the other hidden neuron's path)")
        )
        s, t = SLOPES[p.slope], SLOPES[_OTHER[p.slope]]
        found.append(replace(p, slope=_OTHER[p.slope], mistake=f"with {t} for {s}"))
        found.append(
            replace(p, slope=p.slope + 2, mistake=f"with {SLOPES[p.slope + 2]} for {s} (at the activation)")
        )
        found.append(replace(p, slope=0, mistake=f"without the factor {s}"))
    return found


def _f(x: np.ndarray) -> np.ndarray:
    """The sigmoid; callers silence exp's overflow (to inf, giving 0, as it should)."""
    out: np.ndarray = 1 / (1 + np.exp(-x))
    return out


def _slots(theta: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y_pred (K,) and every factor a partial can take (K, 17): signs, paths, outers, inputs, slopes."""
    w1, w2, w3, w4, w5, w6, b1, b2, b3 = theta.T
    h1, h2 = _f(w1 * x1 + w2 * x2 + b1), _f(w3 * x1 + w4 * x2 + b2)
    y = _f(w5 * h1 + w6 * h2 + b3)
    fh1, fh2, fy = _f(h1), _f(h2), _f(y)
    one = np.ones_like(y)
    columns = (one, -one, one, w5, w6, y * (1 - y), fy * (1 - fy), one, one, x1, x2, h1, h2)
    return y, np.stack(
        (*columns, one, h1 * (1 - h1), h2 * (1 - h2), fh1 * (1 - fh1), fh2 * (1 - fh2)), axis=1
    )


def code_array(partials: Sequence[Sequence[Partial]]) -> np.ndarray:
    """For K rows of nine partials, their factors' positions (5, K, 9) in the flattened (K, 18) `_slots`."""
    codes = np.array([[p.codes for p in row] for row in partials], dtype=np.intp).reshape(-1, 9, 5)
    width = int(_OFFSETS[-1]) + len(SLOPES)
    out: np.ndarray = np.moveaxis(codes + _OFFSETS[:5] + width * np.arange(len(codes))[:, None, None], 2, 0)
    return out


def gradients(
    theta: np.ndarray, x1: np.ndarray, x2: np.ndarray, y_true: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """The nine partials (K, 9) of each row's parameters theta (K, 9) at (x1, x2, y_true) (K,)."""
    with np.errstate(over="ignore"):
        y, slots = _slots(theta, x1, x2)
    p = np.take(slots, codes)
    out: np.ndarray = (-2 * (y_true - y))[:, None] * (p[0] * p[1] * p[2] * p[3] * p[4])
    return out


def vector(values: Mapping[str, float]) -> np.ndarray:
    return np.array([values[name] for name in BLOG_NAMES], dtype=np.float64)


def diagnose_partials(
    params: Sequence[Mapping[str, float]],
    inputs: np.ndarray,
    formula_values: np.ndarray,
    tolerance: float = 1e-8,
    floor: float = 1e-12,
) -> Diagnosis:
    """What the formula's partials (P, 9) at P points (the parameters by name, inputs (P, 3):
    x1, x2, y_true) are, where they are not the correct ones: a factor on every partial, or
    for each wrong partial the usual mistake (or another parameter's partial) that matches at
    every point."""
    theta = np.array([vector(p) for p in params])
    x1, x2, y = inputs[:, 0], inputs[:, 1], inputs[:, 2]
    n = len(theta)
    correct = gradients(theta, x1, x2, y, code_array([list(CORRECT.values())] * n))

    def fit(values: np.ndarray, target: np.ndarray) -> float:
        return residual(values, target, tolerance * np.maximum(np.abs(target), floor))

    wrong = [p for p in range(9) if fit(formula_values[:, p], correct[:, p]) > 1]
    if not wrong:
        return diagnosis("every partial is right", agrees=True)
    evidence: list[Evidence] = []
    both = (correct != 0) & (formula_values != 0)
    with np.errstate(over="ignore", invalid="ignore"):
        c = float(np.median(formula_values[both] / correct[both])) if both.any() else 1.0
    c = float(f"{c:.9g}") if np.isfinite(c) else 1.0
    if c != 1.0:
        r = fit(formula_values, c * correct)
        why = " (the gradient of ½·MSE, (y_pred - y_true), for -2(y_true - y_pred))" if c == 0.5 else ""
        evidence.append(Evidence(f"every partial is {c:g}× the correct one{why}", r <= 1, r))
        if r <= 1:
            return diagnosis(evidence[0].hypothesis, evidence)
    # one factor per point, common to all nine partials: the factor they all share, dL/dy_pred
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        share = np.nanmedian(np.where(correct != 0, formula_values / correct, np.nan), axis=1)
    r = fit(formula_values, np.nan_to_num(share)[:, None] * correct)
    text = "every partial is the correct one times a factor that changes from point to point: your dL/dy_pred"
    evidence.append(Evidence(f"{text} is wrong (the blog's is -2(y_true - y_pred))", r <= 1, r))
    if r <= 1:
        return diagnosis(evidence[-1].hypothesis, evidence)
    causes, unexplained = [], []
    for p in wrong:
        name = BLOG_NAMES[p]
        options = mistakes(name)
        rows = [
            [m if j == p else CORRECT[x] for j, x in enumerate(BLOG_NAMES)] for m in options for _ in range(n)
        ]
        at = [np.tile(a, len(options)) for a in (x1, x2, y)]
        values = gradients(np.tile(theta, (len(options), 1)), at[0], at[1], at[2], code_array(rows))
        tried = [
            Evidence(
                f"your dL/d{name} equals the correct one {m.mistake}",
                (r := fit(formula_values[:, p], v)) <= 1,
                r,
            )
            for m, v in zip(options, values[:, p].reshape(len(options), n), strict=True)
        ]
        tried += [
            Evidence(
                f"your dL/d{name} equals the correct dL/d{other}",
                (r := fit(formula_values[:, p], correct[:, q])) <= 1,
                r,
            )
            for q, other in enumerate(BLOG_NAMES)
            if q != p
        ]
        evidence += tried
        best = next((e for e in tried if e.explains), min(tried, key=lambda e: e.residual))
        causes.append(best.hypothesis) if best.explains else unexplained.append((name, best))
    if unexplained:
        names = ", ".join(f"dL/d{name}" for name, _ in unexplained)
        name, closest = min(unexplained, key=lambda pair: pair[1].residual)
        like = closest.hypothesis.removeprefix(f"your dL/d{name} equals ")
        causes.append(f"no usual mistake explains your {names} (the closest: dL/d{name} is {like})")
    explained = not unexplained
    return diagnosis("; ".join(causes), evidence, explained=explained)
