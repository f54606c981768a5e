"""Check a formula for the nine partials against autograd and finite differences.

Layer: training (checks); no Hydra, no files. For each parameter θ in w1..w6,
b1..b3, three witnesses of dL/dθ, L = (y_true - y_pred)^2, are compared in
float64 at every point (net221.checks.points: the worked example and `points` random ones):

    formula             the function under test (net221.checks.formulas);
    autograd            loss.backward() on the net221 torch module (net221.checks.witnesses);
    finite difference   (L(θ + step) - L(θ - step)) / (2 step) from the module's forward pass.

A parameter passes when, over all points, the formula's relative error against
autograd is at most `tolerance` and against the finite difference at most
`fd_tolerance`; the relative error of a against b is |a - b| / max(|b|, floor).

    >>> from net221.checks.gradcheck import check
    >>> result = check("seed_notes_hidden", points=20)
    >>> result.passed, result.failed
    (False, ['w1', 'w2', 'w3', 'w4', 'b1', 'b2'])
    >>> print(result.table)          # doctest: +SKIP
    >>> result.report["points"][0]   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from net221.checks.formulas import Formula, load_formula, partials_at
from net221.checks.points import Point, gradcheck_points
from net221.checks.table import render_table, report, summary_line
from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES


@dataclass(frozen=True)
class Settings:
    """What a check does; net221-gradcheck's options have these defaults."""

    points: int = 100  # random points besides the worked example
    seed: int = 0  # of the random points; point k is the same for any `points` >= k
    step: float = 1e-4  # central finite-difference step
    tolerance: float = 1e-8  # largest relative error vs autograd
    abs_floor: float = 1e-12  # errors vs autograd are relative to max(|autograd|, abs_floor)
    fd_tolerance: float = 1e-5  # largest relative error vs finite differences
    # errors vs finite differences are relative to max(|fd|, fd_abs_floor): a central
    # difference of a loss near 1 is only good to about 1e-16 / step absolute
    fd_abs_floor: float = 1e-5
    timeout: float | None = 10.0  # seconds for one call of the formula; None: no limit

    def __post_init__(self) -> None:
        for key in ("points", "seed"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ConfigValueError(f"{key}={value!r}: must be an integer >= 0")
        for key in ("step", "tolerance", "abs_floor", "fd_tolerance", "fd_abs_floor", "timeout"):
            value = getattr(self, key)
            if key == "timeout" and value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not 0 < float(value) < math.inf
            ):
                raise ConfigValueError(f"{key}={value!r}: must be a finite number > 0")


@dataclass(frozen=True)
class ParameterResult:
    """One parameter's row: values at point 0, worst errors over all points and where."""

    name: str
    formula_at_example: float
    autograd_at_example: float
    fd_at_example: float
    max_abs_error: float  # formula vs autograd
    abs_worst_point: int
    max_rel_error: float
    worst_point: int
    fd_max_abs_error: float  # formula vs finite difference
    fd_abs_worst_point: int
    fd_max_rel_error: float
    fd_worst_point: int
    autograd_pass: bool
    fd_pass: bool

    @property
    def passed(self) -> bool:
        return self.autograd_pass and self.fd_pass


@dataclass(frozen=True, repr=False)
class GradcheckResult:
    formula: Formula
    settings: Settings
    points: list[Point]
    seed: int | None  # None: the points were given, not drawn
    formula_values: np.ndarray  # (points, 9), BLOG_NAMES order
    autograd: np.ndarray
    finite_difference: np.ndarray
    parameters: list[ParameterResult]

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.parameters)

    @property
    def failed(self) -> list[str]:
        return [p.name for p in self.parameters if not p.passed]

    @property
    def table(self) -> str:
        """The per-parameter table, as net221-gradcheck prints it."""
        return render_table(self)

    @property
    def summary(self) -> str:
        """One line: PASS or FAIL, and which parameters fail."""
        return summary_line(self)

    @property
    def report(self) -> dict[str, Any]:
        """Everything as JSON-ready data (non-finite numbers as the strings "nan", "inf", "-inf")."""
        return report(self)

    def __repr__(self) -> str:
        return f"<GradcheckResult {self.summary}>"


def relative_error(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    """|a - b| / max(|b|, floor), elementwise: b is the reference."""
    with np.errstate(over="ignore", invalid="ignore"):
        error: np.ndarray = np.abs(a - b) / np.maximum(np.abs(b), floor)
    return error


def _worst(errors: np.ndarray) -> tuple[float, int]:
    """The largest error and its point; NaN counts as the largest."""
    index = int(np.argmax(errors))  # argmax returns the first NaN if there is one
    return float(errors[index]), index


def compare(formula: Formula, settings: Settings, points: Sequence[Point] | None = None) -> GradcheckResult:
    """The formula against autograd and finite differences at the points `settings` draws,
    or at `points` when given (point 0 is the one the table shows values at)."""
    from net221.checks.witnesses import autograd_partials, finite_difference_partials  # loads torch

    seed = settings.seed if points is None else None
    points = gradcheck_points(settings.points, settings.seed) if points is None else list(points)
    if not points:
        raise ValueError("a check needs at least one point")
    formula_values = np.array(
        [partials_at(formula, point, i, settings.timeout) for i, point in enumerate(points)], dtype=np.float64
    )
    autograd = autograd_partials(points)
    fd = finite_difference_partials(points, settings.step)
    with np.errstate(over="ignore", invalid="ignore"):
        abs_error, fd_abs_error = np.abs(formula_values - autograd), np.abs(formula_values - fd)
    rel_error = relative_error(formula_values, autograd, settings.abs_floor)
    fd_rel_error = relative_error(formula_values, fd, settings.fd_abs_floor)
    parameters = []
    for j, name in enumerate(BLOG_NAMES):
        max_abs, abs_at = _worst(abs_error[:, j])
        max_rel, rel_at = _worst(rel_error[:, j])
        fd_max_abs, fd_abs_at = _worst(fd_abs_error[:, j])
        fd_max_rel, fd_rel_at = _worst(fd_rel_error[:, j])
        parameters.append(
            ParameterResult(
                name=name,
                formula_at_example=float(formula_values[0, j]),
                autograd_at_example=float(autograd[0, j]),
                fd_at_example=float(fd[0, j]),
                max_abs_error=max_abs,
                abs_worst_point=abs_at,
                max_rel_error=max_rel,
                worst_point=rel_at,
                fd_max_abs_error=fd_max_abs,
                fd_abs_worst_point=fd_abs_at,
                fd_max_rel_error=fd_max_rel,
                fd_worst_point=fd_rel_at,
                autograd_pass=bool(max_rel <= settings.tolerance),  # False for NaN
                fd_pass=bool(fd_max_rel <= settings.fd_tolerance),
            )
        )
    return GradcheckResult(formula, settings, points, seed, formula_values, autograd, fd, parameters)


def check(
    formula: str | Callable[..., object] | Formula, settings: Settings | None = None, **changes: Any
) -> GradcheckResult:
    """Check a formula in one call: a function, or a spec such as "blog" or "my.py:my_partials".

    `changes` override single settings: check(my_partials, points=1000, seed=3).
    Raises FormulaError (a one-line message) when the formula cannot be loaded or called,
    ConfigValueError for a setting that cannot work."""
    settings = dataclasses.replace(settings or Settings(), **changes)
    if isinstance(formula, Formula):
        resolved = formula
    elif isinstance(formula, str):
        resolved = load_formula(formula)
    elif callable(formula):
        resolved = Formula.of(formula)
    else:
        raise TypeError(f"expected a function or a formula spec such as 'my.py:my_partials', got {formula!r}")
    return compare(resolved, settings)
