"""A formula for the nine partials as people write it (docs/gradcheck.md): found by name, called
in a child process at each point (net221.checks.usercode), its result read; whatever goes wrong is
one line naming the formula and the point."""

from __future__ import annotations

import importlib
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from net221.checks.usercode import Call, CallError, CallInterrupted, Child, UserCodeError, describe, load
from net221.errors import FormulaError
from net221.init import BLOG_NAMES

if TYPE_CHECKING:
    from net221.checks.gradcheck import Point

BUILTIN_FORMULAS: dict[str, tuple[str, str]] = {  # name -> (module, function)
    "blog": ("net221.derivation", "blog_partials"),
    "seed_notes": ("net221.errata", "seed_notes_partials"),
    "seed_notes_loss": ("net221.errata", "squared_loss_partials"),
    "seed_notes_hidden": ("net221.errata", "separate_inputs_partials"),
}


class FormulaInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt raised by the formula) while the formula ran."""


class MalformedError(UserCodeError):
    """The formula returned something that is not the nine partials: (what, hint)."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(what, hint)


@dataclass(frozen=True)
class Formula:
    spec: str  # as given: a built-in name, file.py:function, module:function
    source: str  # where the function was found: module:function or file:function
    function: Callable[..., object]


def load_formula(spec: str) -> Formula:
    """The function a spec names; FormulaError (one line) when it cannot be loaded."""
    spec = str(spec).strip()
    if spec in BUILTIN_FORMULAS:
        module, name = BUILTIN_FORMULAS[spec]
        return Formula(spec, f"{module}:{name}", getattr(importlib.import_module(module), name))
    if ":" not in spec and not spec.endswith(".py"):
        raise FormulaError(
            f"formula={spec}: unknown formula; expected one of {', '.join(BUILTIN_FORMULAS)}, "
            "or path/to/file.py:function, or package.module:function"
        )
    try:
        return Formula(spec, spec, load(spec, "function"))
    except UserCodeError as error:
        raise FormulaError(f"formula={spec}: {error}") from error


def partials_of(result: object) -> list[float]:
    """A formula's result as nine floats in BLOG_NAMES order; MalformedError if it is not that."""
    if not isinstance(result, Mapping):
        shown = "None" if result is None else f"a {type(result).__name__}"
        raise MalformedError(f"returned {shown}", "expected a dict of the nine partials by blog name")
    try:
        names = list(result)
        values = {name: result[name] for name in BLOG_NAMES if name in names}
    except Exception as exc:
        raise MalformedError(
            f"returned a {type(result).__name__} that cannot be read ({describe(exc)})"
        ) from exc
    if unknown := [str(name) for name in names if name not in BLOG_NAMES]:
        expected = f"expected exactly {', '.join(BLOG_NAMES)}"
        raise MalformedError(f"returned unknown name(s) {', '.join(unknown)}", expected)
    if missing := [name for name in BLOG_NAMES if name not in values]:
        raise MalformedError(f"returned no value for {', '.join(missing)}")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise MalformedError(
                f"returned {shown} ({type(value).__name__}) for {name}", "expected a real number"
            )
    return [float(values[name]) for name in BLOG_NAMES]


def _call(function: Callable[..., object], point: Point) -> list[float]:
    return partials_of(function(**point.params, x1=point.x1, x2=point.x2, y_true=point.y_true))


def calls(formula: Formula, points: Sequence[Point]) -> list[Call]:
    """The formula at each point, for a Child: each call's result is its nine partials."""
    return [(f"at {p.describe(i)}", partial(_call, formula.function, p)) for i, p in enumerate(points)]


def collect(formula: Formula, child: Child) -> np.ndarray:
    """The partials of every call, (points, 9); FormulaError or FormulaInterrupted for the first
    call that fails."""
    name = f"formula={formula.spec}"
    try:
        return np.array([value for value, _ in child.results()], dtype=np.float64).reshape(-1, 9)
    except MalformedError as error:
        what, hint = error.args
        raise FormulaError(f"{name}: {what} {child.what}{'; ' if hint else ''}{hint}") from None
    except CallError as error:
        if error.timed_out:
            stopped = f"; stopped in {error.where}" if error.where else ""
            message = f"{name}: did not return within timeout={child.timeout:g} s {child.what}{stopped}"
        else:
            where = f" in {error.where}" if error.where else ""
            message = f"{name}: the function {error.problem} {child.what}{where}"
        raise FormulaError(message) from error.__cause__
    except CallInterrupted as interrupt:
        raise FormulaInterrupted(f"interrupted in {name} {interrupt.what}") from None
