"""A user's formula for the nine partials: finding it, and calling it at one point.

Layer: training (checks). A formula is a function that takes the nine parameters
by blog name, x1, x2 and y_true as keyword arguments and returns the nine
partials dL/dθ, L = (y_true - y_pred)^2, as a mapping by blog name
(net221.derivation.blog_partials is one). It is named by a built-in name
(BUILTIN_FORMULAS), `path/to/file.py:function` or `package.module:function`, or
given as the function itself.

Whatever a formula does wrong is reported as a FormulaError of one line that
names the formula and, once it runs, the point: an import that fails, an
exception, no result within the time limit, a result that is not a mapping of
the nine names to real numbers. Non-finite numbers are let through: they are
wrong answers, which the comparison reports. Ctrl-C while the formula runs
raises FormulaInterrupted, a KeyboardInterrupt that says where it happened.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import numbers
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from net221.checks.isolation import TimeLimitExceeded, call_isolated
from net221.checks.points import Point
from net221.errors import FormulaError
from net221.init import BLOG_NAMES

# name -> (module, function)
BUILTIN_FORMULAS: dict[str, tuple[str, str]] = {
    "blog": ("net221.derivation", "blog_partials"),
    "seed_notes": ("net221.errata", "seed_notes_partials"),
    "seed_notes_loss": ("net221.errata", "squared_loss_partials"),
    "seed_notes_hidden": ("net221.errata", "separate_inputs_partials"),
}

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
_USAGE = (
    f"expected one of {', '.join(BUILTIN_FORMULAS)}, or path/to/file.py:function, or package.module:function"
)


class FormulaInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt raised by the formula) while the formula ran."""


@dataclass(frozen=True)
class Formula:
    spec: str  # as given: a built-in name, file.py:function, module:function
    source: str  # where the function was found: module:function or file:function
    function: Callable[..., object]

    @classmethod
    def of(cls, function: Callable[..., object]) -> Formula:
        """A function given directly (say, from a notebook)."""
        module = getattr(function, "__module__", None) or "?"
        name = getattr(function, "__qualname__", None) or type(function).__name__
        return cls(f"{module}:{name}", f"{module}:{name}", function)


def load_formula(spec: str) -> Formula:
    """The function a spec names; FormulaError (one line) when it cannot be loaded."""
    spec = str(spec).strip()

    def error(problem: str) -> FormulaError:
        return FormulaError(f"formula={spec}: {problem}")

    if spec in BUILTIN_FORMULAS:
        module_name, name = BUILTIN_FORMULAS[spec]
        return Formula(spec, f"{module_name}:{name}", getattr(importlib.import_module(module_name), name))
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

    if target.endswith(".py") or "/" in target or "\\" in target:
        if not Path(target).is_file():
            raise error(f"no such file {target}")
        module, where = _import_file(Path(target), error), target
    else:
        if not _MODULE.match(target):
            raise error(f"{target!r} is neither a .py file nor a module name; {_USAGE}")
        module, where = _import_module(target, error), f"module {target}"

    function = getattr(module, name, None)
    if function is None:
        raise error(f"{where} has no function {name!r}")
    if not callable(function):
        raise error(f"{name!r} in {where} is not a function (it is a {type(function).__name__})")
    return Formula(spec, f"{target}:{name}", function)


def exception_text(exc: BaseException) -> str:
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
        raise error(f"cannot import {path}: {exception_text(exc)}") from exc
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
        raise error(f"cannot import {name}: {exception_text(exc)}") from exc
    except (Exception, SystemExit) as exc:
        raise error(f"cannot import {name}: {exception_text(exc)}") from exc
    finally:
        if added:
            sys.path.remove(str(Path.cwd()))


# --- calling it ------------------------------------------------------------------------


class _MalformedError(Exception):
    """The formula returned something that is not the nine partials."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


def partials_at(formula: Formula, point: Point, index: int, timeout: float | None) -> list[float]:
    """The formula's nine partials at one point, in BLOG_NAMES order, as floats."""
    arguments: dict[str, float] = {**point.params, "x1": point.x1, "x2": point.x2, "y_true": point.y_true}
    at = f"at {point.describe(index)}"

    def error(problem: str) -> FormulaError:
        return FormulaError(f"formula={formula.spec}: {problem}")

    try:
        return call_isolated(lambda: _partials(formula.function(**arguments)), timeout)
    except _MalformedError as exc:
        raise error(f"{exc.what} {at}{'; ' if exc.hint else ''}{exc.hint}") from exc
    except TimeLimitExceeded as exc:
        limit, stopped = "?" if timeout is None else f"{timeout:g}", _line(exc.__traceback__, formula)
        raise error(
            f"did not return within timeout={limit} s {at}{f'; stopped in {stopped}' if stopped else ''}"
        ) from exc
    except KeyboardInterrupt as exc:
        raise FormulaInterrupted(f"interrupted in formula={formula.spec} {at}") from exc
    except BaseException as exc:  # the formula's own error, SystemExit included
        raised = _line(exc.__traceback__, formula)
        raise error(
            f"the function raised {exception_text(exc)} {at}{f' in {raised}' if raised else ''}"
        ) from exc


def _partials(result: object) -> list[float]:
    if not isinstance(result, Mapping):
        shown = "None" if result is None else f"a {type(result).__name__}"
        raise _MalformedError(f"returned {shown}", "expected a dict of the nine partials by blog name")
    try:
        names = list(result)
        values = {name: result[name] for name in BLOG_NAMES if name in names}
    except Exception as exc:
        raise _MalformedError(
            f"returned a {type(result).__name__} that cannot be read ({exception_text(exc)})"
        ) from exc
    unknown = [str(name) for name in names if name not in BLOG_NAMES]
    if unknown:
        raise _MalformedError(
            f"returned unknown name(s) {', '.join(unknown)}", f"expected exactly {', '.join(BLOG_NAMES)}"
        )
    missing = [name for name in BLOG_NAMES if name not in values]
    if missing:
        raise _MalformedError(f"returned no value for {', '.join(missing)}")
    return [_number(name, values[name]) for name in BLOG_NAMES]


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise _MalformedError(
            f"returned {shown} ({type(value).__name__}) for {name}", "expected a real number"
        )
    try:
        return float(value)
    except Exception as exc:
        raise _MalformedError(f"returned {type(value).__name__} for {name}: {exception_text(exc)}") from exc


def _line(tb: TracebackType | None, formula: Formula) -> str:
    """Where in the formula's own file the exception was raised, as file:line; '' if not there."""
    code = getattr(formula.function, "__code__", None)
    own = [
        frame for frame in traceback.extract_tb(tb) if code is not None and frame.filename == code.co_filename
    ]
    if not own:
        return ""
    path = Path(own[-1].filename)
    with contextlib.suppress(ValueError):  # shown relative to the current directory when below it
        path = path.resolve().relative_to(Path.cwd().resolve())
    return f"{path}:{own[-1].lineno}"
