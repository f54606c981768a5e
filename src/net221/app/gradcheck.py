"""net221-gradcheck: a formula for the nine partials, against autograd and finite differences.

Layer: app. For each parameter θ in w1..w6, b1..b3 three witnesses of dL/dθ,
L = (y_true - y_pred)^2, are compared in float64 at every point:

    formula             the hand-written formula under test;
    autograd            loss.backward() on the net221 torch module;
    finite difference   (L(θ + step) - L(θ - step)) / (2 step), L from the module's forward pass.

The points are the blog's worked example (every weight 1, every bias 0, Alice:
x1 = -2, x2 = -1, y_true = 1) and `points` random ones drawn from `seed`:
weights and biases ~ N(0, 1), x1 and x2 ~ U(-10, 10), y_true 0 or 1 with equal
chance. A parameter passes when, over all points, the formula's relative error
against autograd is at most `tolerance` and against the finite difference at
most `fd_tolerance`; the relative error of a against b is
|a - b| / max(|b|, floor). The run prints a table and writes a JSON report with
every point. Exit status: 0 all nine pass, 1 the formula disagrees, 2 bad input.

    net221-gradcheck                                        # the blog's partials
    net221-gradcheck formula=seed_notes                     # two known mistakes
    net221-gradcheck formula=scripts/my_partials.py:my_partials points=1000
    net221-gradcheck formula=mypackage.grads:partials
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import logging
import math
import numbers
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from net221.app.cli import fail_job, run_app
from net221.app.schemas import GradcheckConfig, register_schemas, validate_gradcheck
from net221.errors import FormulaError, UserError
from net221.init import BLOG_NAMES

PROG = "net221-gradcheck"
EXIT_DISAGREES = 1

log = logging.getLogger("net221")
register_schemas()

# formula= name -> (module, function)
BUILTIN_FORMULAS: dict[str, tuple[str, str]] = {
    "blog": ("net221.derivation", "blog_partials"),
    "seed_notes": ("net221.errata", "seed_notes_partials"),
    "seed_notes_loss": ("net221.errata", "squared_loss_partials"),
    "seed_notes_hidden": ("net221.errata", "separate_inputs_partials"),
}

# How the random points are drawn.
PARAMETER_STD = 1.0  # weights and biases ~ N(0, PARAMETER_STD^2)
INPUT_RANGE = 10.0  # x1, x2 ~ U(-INPUT_RANGE, INPUT_RANGE)
SAMPLING = {
    "weights_and_biases": f"N(0, {PARAMETER_STD**2:g})",
    "inputs": f"U(-{INPUT_RANGE:g}, {INPUT_RANGE:g})",
    "y_true": "0 or 1, equally likely",
}

# The blog's worked example.
WORKED_EXAMPLE_PARAMETERS = dict(zip(BLOG_NAMES, (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0), strict=True))
ALICE = (-2.0, -1.0, 1.0)  # x1, x2, y_true


# --- points ------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    params: dict[str, float]
    x1: float
    x2: float
    y_true: float
    kind: str  # "worked_example" | "random"

    def describe(self, index: int) -> str:
        where = "the worked example" if self.kind == "worked_example" else "random"
        return f"point {index} ({where}: x1={self.x1:.6g}, x2={self.x2:.6g}, y_true={self.y_true:g})"


def worked_example() -> Point:
    x1, x2, y_true = ALICE
    return Point(dict(WORKED_EXAMPLE_PARAMETERS), x1, x2, y_true, "worked_example")


def random_points(count: int, seed: int) -> list[Point]:
    """`count` points from numpy.random.default_rng(seed), drawn as SAMPLING says, one
    point after the other: the first k points are the same for any count >= k."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        params = rng.normal(0.0, PARAMETER_STD, size=len(BLOG_NAMES))
        x1, x2 = rng.uniform(-INPUT_RANGE, INPUT_RANGE, size=2)
        y_true = rng.integers(0, 2)
        points.append(
            Point(
                dict(zip(BLOG_NAMES, params.tolist(), strict=True)),
                float(x1),
                float(x2),
                float(y_true),
                "random",
            )
        )
    return points


def gradcheck_points(count: int, seed: int) -> list[Point]:
    """The worked example first, then `count` random points."""
    return [worked_example(), *random_points(count, seed)]


# --- the formula under test ----------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    spec: str  # as given: formula=...
    source: str  # where the function was found: module:function or file:function
    function: Callable[..., object]


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
_USAGE = (
    f"expected one of {', '.join(BUILTIN_FORMULAS)}, or path/to/file.py:function, or package.module:function"
)


def load_formula(spec: str) -> Formula:
    """The function a `formula=` value names; FormulaError (one line) when it cannot be loaded."""
    spec = str(spec).strip()

    def error(problem: str) -> FormulaError:
        return FormulaError(f"formula={spec}: {problem}")

    if spec in BUILTIN_FORMULAS:
        module_name, name = BUILTIN_FORMULAS[spec]
        function = getattr(importlib.import_module(module_name), name)
        return Formula(spec, f"{module_name}:{name}", function)
    if ":" not in spec:
        if spec.endswith(".py"):
            raise error(f"missing ':function' after the file name, e.g. {spec}:my_partials")
        raise error(f"unknown formula; {_USAGE}")
    target, _, name = spec.rpartition(":")
    if not target:
        raise error(f"missing the file or module before ':'; {_USAGE}")
    if not name:
        raise error(f"missing the function name after ':'; {_USAGE}")
    if not _IDENTIFIER.match(name):
        raise error(f"{name!r} after ':' is not a function name; {_USAGE}")

    is_file = target.endswith(".py") or "/" in target or "\\" in target
    if is_file:
        path = Path(target)
        if not path.is_file():
            raise error(f"no such file {target}")
        module = _import_file(path, error)
        where = target
    else:
        if not _MODULE.match(target):
            raise error(f"{target!r} is neither a .py file nor a module name; {_USAGE}")
        module = _import_module(target, error)
        where = f"module {target}"

    function = getattr(module, name, None)
    if function is None:
        raise error(f"{where} has no function {name!r}")
    if not callable(function):
        raise error(f"{name!r} in {where} is not a function (it is a {type(function).__name__})")
    return Formula(spec, f"{target}:{name}", function)


def _exception_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import_file(path: Path, error: Callable[[str], FormulaError]) -> ModuleType:
    module_name = "_net221_formula_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise error(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    # as when the file runs as a script: its imports find the modules next to it
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[module_name]
        raise error(f"cannot import {path}: {_exception_text(exc)}") from exc
    finally:
        sys.path.remove(folder)
    return module


def _import_module(name: str, error: Callable[[str], FormulaError]) -> ModuleType:
    # like `python -m`: modules in the current directory can be named too
    added = "" not in sys.path and str(Path.cwd()) not in sys.path
    if added:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise error(f"no module named {exc.name!r}") from exc
        raise error(f"cannot import {name}: {_exception_text(exc)}") from exc
    except (Exception, SystemExit) as exc:
        raise error(f"cannot import {name}: {_exception_text(exc)}") from exc
    finally:
        if added:
            sys.path.remove(str(Path.cwd()))


def evaluate_formula(formula: Formula, point: Point, index: int) -> list[float]:
    """The formula's nine partials at one point, in BLOG_NAMES order, checked."""
    where = point.describe(index)

    def error(problem: str) -> FormulaError:
        return FormulaError(f"formula={formula.spec}: {problem}")

    try:
        result = formula.function(**point.params, x1=point.x1, x2=point.x2, y_true=point.y_true)
    except (Exception, SystemExit) as exc:
        raise error(f"the function raised {_exception_text(exc)} at {where}") from exc
    if not isinstance(result, Mapping):
        raise error(
            f"returned a {type(result).__name__} at {where}; "
            "expected a dict of the nine partials by blog name"
        )
    unknown = [str(key) for key in result if key not in BLOG_NAMES]
    if unknown:
        raise error(
            f"returned unknown name(s) {', '.join(unknown)} at {where}; "
            f"expected exactly {', '.join(BLOG_NAMES)}"
        )
    missing = [name for name in BLOG_NAMES if name not in result]
    if missing:
        raise error(f"returned no value for {', '.join(missing)} at {where}")
    values = []
    for name in BLOG_NAMES:
        value = result[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise error(f"returned {shown} ({type(value).__name__}) for {name} at {where}; expected a number")
        number = float(value)
        if not math.isfinite(number):
            raise error(f"returned {number} for {name} at {where}")
        values.append(number)
    return values


# --- the two other witnesses: the torch module -----------------------------------------
# All points run at once: point i is member i of one Net221 module, and members share
# nothing, so the gradient of the summed loss holds each point's own gradient.


def _arrays(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    params = np.array([[p.params[name] for name in BLOG_NAMES] for p in points], dtype=np.float64)
    inputs = np.array([[p.x1, p.x2] for p in points], dtype=np.float64).reshape(-1, 1, 2)
    labels = np.array([p.y_true for p in points], dtype=np.float64).reshape(-1, 1, 1)
    return params, inputs, labels


def autograd_partials(points: Sequence[Point]) -> np.ndarray:
    """dL/dθ from loss.backward() on the net221 module: (points, 9) in BLOG_NAMES order."""
    import torch
    import torch.nn.functional as F

    from net221.network import Net221

    params, inputs, labels = _arrays(points)
    model = Net221(members=len(points), initial=params, dtype=torch.float64)
    loss = F.mse_loss(model(torch.from_numpy(inputs)), torch.from_numpy(labels), reduction="sum")
    loss.backward()  # type: ignore[no-untyped-call]
    return model.flat_grad()


def _losses(params: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """L = (y_true - y_pred)^2 per point, from the module's forward pass."""
    import torch

    from net221.network import Net221

    with torch.no_grad():
        model = Net221(members=len(params), initial=params, dtype=torch.float64)
        y_pred = model(torch.from_numpy(inputs)).numpy()
    losses: np.ndarray = ((labels - y_pred) ** 2).reshape(-1)
    return losses


def finite_difference_partials(points: Sequence[Point], step: float) -> np.ndarray:
    """Central differences (L(θ + step) - L(θ - step)) / (2 step): (points, 9).

    The divisor is the distance between the two rounded arguments, (θ + step) - (θ - step)
    as stored, which is 2 step up to rounding."""
    params, inputs, labels = _arrays(points)
    out = np.empty_like(params)
    for j in range(len(BLOG_NAMES)):
        plus, minus = params.copy(), params.copy()
        plus[:, j] += step
        minus[:, j] -= step
        out[:, j] = (_losses(plus, inputs, labels) - _losses(minus, inputs, labels)) / (
            plus[:, j] - minus[:, j]
        )
    return out


# --- the comparison --------------------------------------------------------------------


def relative_error(a: np.ndarray, b: np.ndarray, floor: float) -> np.ndarray:
    """|a - b| / max(|b|, floor), elementwise: b is the reference."""
    error: np.ndarray = np.abs(a - b) / np.maximum(np.abs(b), floor)
    return error


@dataclass(frozen=True)
class Settings:
    """The comparison's numbers; the defaults are the app's (GradcheckConfig)."""

    step: float = GradcheckConfig.step
    tolerance: float = GradcheckConfig.tolerance
    abs_floor: float = GradcheckConfig.abs_floor
    fd_tolerance: float = GradcheckConfig.fd_tolerance
    fd_abs_floor: float = GradcheckConfig.fd_abs_floor


@dataclass(frozen=True)
class ParameterResult:
    name: str
    formula_at_example: float
    autograd_at_example: float
    fd_at_example: float
    max_abs_error: float  # formula vs autograd, over all points
    max_rel_error: float
    worst_point: int
    fd_max_abs_error: float  # formula vs finite difference
    fd_max_rel_error: float
    fd_worst_point: int
    autograd_pass: bool
    fd_pass: bool

    @property
    def passed(self) -> bool:
        return self.autograd_pass and self.fd_pass


@dataclass(frozen=True)
class GradcheckResult:
    formula: Formula
    settings: Settings
    points: list[Point]
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


def compare(formula: Formula, points: Sequence[Point], settings: Settings | None = None) -> GradcheckResult:
    """The formula against autograd and finite differences at every point (point 0 is
    the one shown in the table's example columns)."""
    settings = settings or Settings()
    if not points:
        raise ValueError("gradcheck needs at least one point")
    formula_values = np.array(
        [evaluate_formula(formula, point, index) for index, point in enumerate(points)], dtype=np.float64
    )
    autograd = autograd_partials(points)
    fd = finite_difference_partials(points, settings.step)
    abs_error = np.abs(formula_values - autograd)
    rel_error = relative_error(formula_values, autograd, settings.abs_floor)
    fd_abs_error = np.abs(formula_values - fd)
    fd_rel_error = relative_error(formula_values, fd, settings.fd_abs_floor)
    parameters = []
    for j, name in enumerate(BLOG_NAMES):
        worst, fd_worst = int(np.argmax(rel_error[:, j])), int(np.argmax(fd_rel_error[:, j]))
        parameters.append(
            ParameterResult(
                name=name,
                formula_at_example=float(formula_values[0, j]),
                autograd_at_example=float(autograd[0, j]),
                fd_at_example=float(fd[0, j]),
                max_abs_error=float(abs_error[:, j].max()),
                max_rel_error=float(rel_error[worst, j]),
                worst_point=worst,
                fd_max_abs_error=float(fd_abs_error[:, j].max()),
                fd_max_rel_error=float(fd_rel_error[fd_worst, j]),
                fd_worst_point=fd_worst,
                autograd_pass=bool(rel_error[worst, j] <= settings.tolerance),
                fd_pass=bool(fd_rel_error[fd_worst, j] <= settings.fd_tolerance),
            )
        )
    return GradcheckResult(formula, settings, list(points), formula_values, autograd, fd, parameters)


# --- output ----------------------------------------------------------------------------


def _value(x: float) -> str:
    if x == 0.0:
        return "0"
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.10f}"
    return f"{x:.6e}"


def _error(x: float) -> str:
    return "0" if x == 0.0 else f"{x:.1e}"


def _verdict(p: ParameterResult) -> str:
    if p.passed:
        return "PASS"
    return "FAIL" if not p.autograd_pass else "FAIL (FD)"


def render_table(result: GradcheckResult) -> str:
    """The per-parameter table as plain text."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("param")
    for header in (
        "formula\n(example)",
        "autograd\n(example)",
        "abs err\nvs autograd",
        "rel err\nvs autograd",
        "abs err\nvs FD",
        "rel err\nvs FD",
    ):
        table.add_column(header, justify="right")
    table.add_column("result")
    for p in result.parameters:
        table.add_row(
            p.name,
            _value(p.formula_at_example),
            _value(p.autograd_at_example),
            _error(p.max_abs_error),
            _error(p.max_rel_error),
            _error(p.fd_max_abs_error),
            _error(p.fd_max_rel_error),
            _verdict(p),
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None, highlight=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")


def summary_line(result: GradcheckResult) -> str:
    s, n = result.settings, len(result.points)
    if result.passed:
        worst = max(p.max_rel_error for p in result.parameters)
        fd_worst = max(p.fd_max_rel_error for p in result.parameters)
        return (
            f"PASS: {result.formula.spec} agrees on all 9 partials at {n} points "
            f"(worst relative error vs autograd {worst:.1e} <= {s.tolerance:g}, "
            f"vs finite differences {fd_worst:.1e} <= {s.fd_tolerance:g})"
        )
    failed = result.failed
    return (
        f"FAIL: {result.formula.spec} disagrees on {len(failed)} of 9 partials: {', '.join(failed)} "
        f"(tolerance {s.tolerance:g} vs autograd, {s.fd_tolerance:g} vs finite differences, {n} points)"
    )


def _by_name(row: np.ndarray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(BLOG_NAMES, row, strict=True)}


def report(result: GradcheckResult, seed: int | None = None) -> dict[str, Any]:
    """Everything, as plain JSON data: settings, per-parameter results, every point."""
    s = result.settings
    return {
        "formula": result.formula.spec,
        "source": result.formula.source,
        "passed": result.passed,
        "failed": result.failed,
        "loss": "(y_true - y_pred)^2",
        "settings": {
            "points": len(result.points),
            "random_points": sum(p.kind == "random" for p in result.points),
            "seed": seed,
            "sampling": SAMPLING,
            "step": s.step,
            "tolerance": s.tolerance,
            "abs_floor": s.abs_floor,
            "fd_tolerance": s.fd_tolerance,
            "fd_abs_floor": s.fd_abs_floor,
            "relative_error": "|formula - reference| / max(|reference|, floor)",
        },
        "parameters": {
            p.name: {
                "formula_at_example": p.formula_at_example,
                "autograd_at_example": p.autograd_at_example,
                "finite_difference_at_example": p.fd_at_example,
                "max_abs_error": p.max_abs_error,
                "max_rel_error": p.max_rel_error,
                "worst_point": p.worst_point,
                "fd_max_abs_error": p.fd_max_abs_error,
                "fd_max_rel_error": p.fd_max_rel_error,
                "fd_worst_point": p.fd_worst_point,
                "autograd_pass": p.autograd_pass,
                "fd_pass": p.fd_pass,
                "pass": p.passed,
            }
            for p in result.parameters
        },
        "points": [
            {
                "index": i,
                "kind": point.kind,
                "params": point.params,
                "x1": point.x1,
                "x2": point.x2,
                "y_true": point.y_true,
                "formula": _by_name(result.formula_values[i]),
                "autograd": _by_name(result.autograd[i]),
                "finite_difference": _by_name(result.finite_difference[i]),
            }
            for i, point in enumerate(result.points)
        ],
    }


# --- the app -----------------------------------------------------------------------------


class FormulaDisagreesError(Exception):
    """The formula failed the check (exit status 1); the table and report say where."""


def run(cfg: DictConfig, output_dir: Path) -> GradcheckResult:
    validate_gradcheck(cfg)
    formula = load_formula(cfg.formula)
    settings = Settings(
        step=cfg.step,
        tolerance=cfg.tolerance,
        abs_floor=cfg.abs_floor,
        fd_tolerance=cfg.fd_tolerance,
        fd_abs_floor=cfg.fd_abs_floor,
    )
    points = gradcheck_points(cfg.points, cfg.seed)
    shown = formula.spec if formula.source == formula.spec else f"{formula.spec} ({formula.source})"
    log.info(f"Formula: {shown}")
    log.info(
        f"Points: the worked example + {cfg.points} random (seed {cfg.seed}; weights and biases "
        f"{SAMPLING['weights_and_biases']}, inputs {SAMPLING['inputs']}, y_true 0 or 1)"
    )
    result = compare(formula, points, settings)
    for line in render_table(result).splitlines():
        log.info(line)
    log.info(summary_line(result))
    path = output_dir / cfg.report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report(result, cfg.seed), indent=2, allow_nan=False) + "\n")
    log.info(f"Report: {_shown_path(path)}")
    return result


def _shown_path(path: Path) -> Path:
    """The path relative to the current directory when it lies below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="gradcheck")
def _task(cfg: DictConfig) -> int:
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = run(cfg, output_dir)
    except UserError as error:
        fail_job(PROG, error)
        raise
    if not result.passed:
        if HydraConfig.get().mode == RunMode.RUN:
            raise SystemExit(EXIT_DISAGREES)
        # a job of a sweep: the sweep goes on, and ends with exit status 1
        raise FormulaDisagreesError(summary_line(result))
    return 0


def main() -> None:
    try:
        run_app(_task, PROG)
    except FormulaDisagreesError:
        raise SystemExit(EXIT_DISAGREES) from None


if __name__ == "__main__":
    main()
