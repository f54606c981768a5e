"""Check a formula for the nine partials against autograd and finite differences, in float64, at
the blog's worked example and `points` random points (docs/gradcheck.md).

    >>> check("seed_notes_hidden", points=20).failed
    ['w1', 'w2', 'w3', 'w4', 'b1', 'b2']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from net221.checks import diagnosis, report
from net221.checks.formula import Formula, calls, collect, load_formula
from net221.checks.usercode import Child
from net221.init import BLOG_NAMES

PARAMETER_STD = 1.0  # random points: weights and biases ~ N(0, PARAMETER_STD^2)
INPUT_RANGE = 10.0  # x1, x2 ~ U(-INPUT_RANGE, INPUT_RANGE)
SAMPLING = {
    "weights_and_biases": f"N(0, {PARAMETER_STD**2:g})",
    "inputs": f"U(-{INPUT_RANGE:g}, {INPUT_RANGE:g})",
    "y_true": "0 or 1, equally likely",
}


@dataclass(frozen=True)
class Settings:
    """What a check does; net221-gradcheck's options are these, with these defaults."""

    points: int = field(default=100, metadata={"max": 100_000})  # random points besides the worked example
    seed: int = 0  # of the random points; point k is the same for any `points` >= k
    step: float = 1e-4  # central finite-difference step
    tolerance: float = 1e-8  # largest relative error vs autograd
    abs_floor: float = 1e-12  # errors vs autograd are relative to max(|autograd|, abs_floor)
    fd_tolerance: float = 1e-5  # largest relative error vs finite differences
    # errors vs finite differences are relative to max(|fd|, fd_abs_floor): a central
    # difference of a loss near 1 is only good to about 1e-16 / step absolute
    fd_abs_floor: float = 1e-5
    # seconds for one call of the formula (at most about 11 days); None: no limit
    timeout: float | None = field(default=10.0, metadata={"max": 1e6})

    def __post_init__(self) -> None:
        report.validate(self)


@dataclass(frozen=True)
class Point:
    params: dict[str, float]
    x1: float
    x2: float
    y_true: float
    kind: str  # "worked_example" | "random"

    def describe(self, index: int) -> str:
        kind = "the worked example" if self.kind == "worked_example" else "random"
        return f"point {index} ({kind}: x1={self.x1:.6g}, x2={self.x2:.6g}, y_true={self.y_true:g})"


def random_points(count: int, seed: int) -> list[Point]:
    """`count` points drawn one after the other: the first k are the same for any count >= k."""
    rng, points = np.random.default_rng(seed), []
    for _ in range(count):
        params = rng.normal(0.0, PARAMETER_STD, size=len(BLOG_NAMES))
        x1, x2 = rng.uniform(-INPUT_RANGE, INPUT_RANGE, size=2)
        y_true = rng.integers(0, 2)
        values = dict(zip(BLOG_NAMES, params.tolist(), strict=True))
        points.append(Point(values, float(x1), float(x2), float(y_true), "random"))
    return points


def gradcheck_points(count: int, seed: int) -> list[Point]:
    """The blog's worked example first (every weight 1, every bias 0, and Alice: x1 = -2, x2 = -1,
    y_true = 1), then `count` random points."""
    example = dict(zip(BLOG_NAMES, (1.0,) * 6 + (0.0,) * 3, strict=True))
    return [Point(example, -2.0, -1.0, 1.0, "worked_example"), *random_points(count, seed)]


def _module_and_loss() -> tuple[Any, Callable[[Any, Point], Any]]:
    import torch  # here: the command's --help and the formula's child process go without it

    from net221.network import Net221

    with torch.random.fork_rng(devices=[]):  # the layers' random init leaves the caller's generator alone
        net = Net221(dtype=torch.float64, device="cpu")

    def loss(net: Net221, point: Point) -> Any:
        y_pred = net(torch.tensor([[point.x1, point.x2]], dtype=torch.float64))
        return ((point.y_true - y_pred) ** 2).sum()

    return net, loss


def autograd_partials(points: Sequence[Point]) -> np.ndarray:
    """dL/dθ from loss.backward(): (points, 9) in BLOG_NAMES order."""
    import torch

    (net, loss), rows = _module_and_loss(), []
    with torch.enable_grad():
        for point in points:
            net.zero_grad(set_to_none=True)
            net.set_blog_parameters(point.params)
            loss(net, point).backward()
            rows.append([net.blog_gradients()[name] for name in BLOG_NAMES])
    return np.array(rows, dtype=np.float64).reshape(len(points), len(BLOG_NAMES))


def finite_difference_partials(points: Sequence[Point], step: float) -> np.ndarray:
    """Central differences of L: (points, 9). The divisor is (θ + step) - (θ - step) as stored."""
    import torch

    (net, loss), rows = _module_and_loss(), []

    def loss_at(point: Point, name: str, value: float) -> float:
        net.set_blog_parameters({name: value})
        return float(loss(net, point))

    with torch.no_grad():
        for point in points:
            net.set_blog_parameters(point.params)
            row = []
            for name in BLOG_NAMES:
                theta = point.params[name]
                plus, minus = theta + step, theta - step
                row.append((loss_at(point, name, plus) - loss_at(point, name, minus)) / (plus - minus))
                net.set_blog_parameters({name: theta})
            rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(points), len(BLOG_NAMES))


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

    @property
    def worst_errors(self) -> tuple[float, float, float, float]:
        return self.max_abs_error, self.max_rel_error, self.fd_max_abs_error, self.fd_max_rel_error

    @property
    def worst_points(self) -> tuple[int, int, int, int]:
        return self.abs_worst_point, self.worst_point, self.fd_abs_worst_point, self.fd_worst_point


def parameter_results(
    values: np.ndarray, autograd: np.ndarray, fd: np.ndarray, s: Settings
) -> list[ParameterResult]:
    """Each parameter's worst errors over the points (NaN counts as the worst)."""
    with np.errstate(over="ignore", invalid="ignore"):
        errors = [np.abs(values - autograd), relative_error(values, autograd, s.abs_floor)]
        errors += [np.abs(values - fd), relative_error(values, fd, s.fd_abs_floor)]
    results = []
    for j, name in enumerate(BLOG_NAMES):
        worst = [(float(e[i, j]), i) for e in errors for i in [int(np.argmax(e[:, j]))]]
        (ae, ae_at), (re, re_at), (fe, fe_at), (fr, fr_at) = worst
        passes = (re <= s.tolerance, fr <= s.fd_tolerance)  # False for NaN
        at_example = (float(values[0, j]), float(autograd[0, j]), float(fd[0, j]))
        results.append(
            ParameterResult(name, *at_example, ae, ae_at, re, re_at, fe, fe_at, fr, fr_at, *passes)
        )
    return results


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
    diagnosis: report.Diagnosis | None = None  # the likely mistake, when one is found

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.parameters)

    @property
    def failed(self) -> list[str]:
        return [p.name for p in self.parameters if not p.passed]

    @property
    def table(self) -> str:
        """The per-parameter table, as net221-gradcheck prints it."""
        return report.gradcheck_table(self)

    @property
    def summary(self) -> str:
        """One line: PASS or FAIL, and which parameters fail (led by the diagnosis, if any)."""
        return report.gradcheck_summary(self)

    @property
    def report(self) -> dict[str, Any]:
        """Everything as JSON-ready data (non-finite numbers as the strings "nan", "inf", "-inf")."""
        return report.gradcheck_report(self)

    def __repr__(self) -> str:
        return f"<GradcheckResult {self.summary}>"


def relative_error(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    """|a - b| / max(|b|, floor), elementwise: b is the reference."""
    with np.errstate(over="ignore", invalid="ignore"):
        error: np.ndarray = np.abs(a - b) / np.maximum(np.abs(b), floor)
    return error


def compare(formula: Formula, settings: Settings, points: Sequence[Point] | None = None) -> GradcheckResult:
    """The formula against autograd and finite differences at the points `settings` draws, or at
    `points` when given (point 0 is the one the table shows values at). The formula runs in a
    child process (imported there first, if it is someone's file or module) while this one computes
    the witnesses."""
    seed = settings.seed if points is None else None
    points = gradcheck_points(settings.points, settings.seed) if points is None else list(points)
    with Child(formula_calls := calls(formula, points), settings.timeout) as child:
        collect(formula, child, len(formula_calls) - len(points))  # the import: its errors first
        autograd = autograd_partials(points)
        fd = finite_difference_partials(points, settings.step)
        values = np.array(collect(formula, child), dtype=np.float64).reshape(-1, len(BLOG_NAMES))
    parameters = parameter_results(values, autograd, fd, settings)
    why = None if all(p.passed for p in parameters) else diagnosis.for_gradcheck(points, values, settings)
    return GradcheckResult(formula, settings, points, seed, values, autograd, fd, parameters, why)


def check(
    formula: str | Callable[..., object] | Formula, settings: Settings | None = None, **changes: Any
) -> GradcheckResult:
    """Check a formula in one call: a function, or a spec such as "blog" or "my.py:my_partials".

    `changes` override single settings: check(my_partials, points=1000, seed=3). Raises
    FormulaError (one line) when the formula cannot be loaded or called, ConfigValueError for a
    setting that cannot work."""
    settings = dataclasses.replace(settings or Settings(), **changes)
    if isinstance(formula, str):
        formula = load_formula(formula)
    elif not isinstance(formula, Formula) and callable(formula):  # say, from a notebook
        name = f"{getattr(formula, '__module__', None) or '?'}:{getattr(formula, '__qualname__', '?')}"
        formula = Formula(name, name, formula)
    elif not isinstance(formula, Formula):
        raise TypeError(f"expected a function or a formula spec such as 'my.py:my_partials', got {formula!r}")
    return compare(formula, settings)
