"""A formula for the nine partials as people write it (docs/gradcheck.md): imported and called at
each point in a child process (net221.checks.usercode), its result read; whatever goes wrong is
one line naming the formula and the point."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from net221.checks.usercode import Call, CallError, CallInterrupted, Child, UserCodeError, describe, load
from net221.checks.usernetwork import as_float
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
    function: Callable[..., object] | None  # None: someone's file or module, imported in the child


def load_formula(spec: str) -> Formula:
    """A built-in formula, or the spec of someone's function, which `calls` imports in the child
    (as net221-compare does a class); FormulaError (one line) for a name that is neither."""
    spec = str(spec).strip()
    if spec in BUILTIN_FORMULAS:
        module, name = BUILTIN_FORMULAS[spec]
        return Formula(spec, f"{module}:{name}", getattr(importlib.import_module(module), name))
    if ":" not in spec and not spec.endswith(".py"):
        raise FormulaError(
            f"formula={spec}: unknown formula; expected one of {', '.join(BUILTIN_FORMULAS)}, "
            "or path/to/file.py:function, or package.module:function"
        )
    return Formula(spec, spec, None)


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
    floats: dict[str, float] = {}
    for name, value in values.items():  # read as net221-compare reads your numbers
        if (number := as_float(value)) is None:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise MalformedError(
                f"returned {shown} ({type(value).__name__}) for {name}", "expected a real number"
            )
        floats[name] = number
    return [floats[name] for name in BLOG_NAMES]


def _call(found: dict[str, Callable[..., object]], point: Point) -> list[float]:
    result = found["function"](**point.params, x1=point.x1, x2=point.x2, y_true=point.y_true)
    return partials_of(result)


def calls(formula: Formula, points: Sequence[Point]) -> list[Call]:
    """For a Child: the import of someone's file or module (its result None), then the formula at
    each point (its nine partials)."""
    found = {} if formula.function is None else {"function": formula.function}
    at_points: list[Call] = [(f"at {p.describe(i)}", partial(_call, found, p)) for i, p in enumerate(points)]
    if formula.function is not None:
        return at_points
    target = formula.spec.rpartition(":")[0]
    return [
        (f"importing {target}", lambda: found.update(function=load(formula.spec, "function"))),
        *at_points,
    ]


def collect(formula: Formula, child: Child, count: int | None = None) -> list[object]:
    """The results of the next `count` calls (None: all that are left); FormulaError or
    FormulaInterrupted for the first call that fails."""
    name = f"formula={formula.spec}"
    try:
        results = child.results() if count is None else [child.result() for _ in range(count)]
    except MalformedError as error:
        what, hint = error.args
        raise FormulaError(f"{name}: {what} {child.what}{'; ' if hint else ''}{hint}") from None
    except CallError as error:
        problem = f"did not return within timeout={child.timeout:g} s" if error.timed_out else error.problem
        where = f"{'; stopped' if error.timed_out else ''} in {error.where}" if error.where else ""
        if child.what.startswith("importing"):
            message = f"{name}: {child.what} {problem}{where}"
        else:
            message = f"{name}: {'' if error.timed_out else 'the function '}{problem} {child.what}{where}"
        raise FormulaError(message) from error.__cause__
    except UserCodeError as error:  # the file or module, or the function in it, not found
        raise FormulaError(f"{name}: {error}") from error.__cause__
    except CallInterrupted as interrupt:
        raise FormulaInterrupted(f"interrupted in {name} {interrupt.what}") from None
    return [value for value, _ in results]
