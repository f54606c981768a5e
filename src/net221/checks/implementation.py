"""Someone else's network in the blog's shape: loading the class and calling into it.

Layer: checks. The class under test

    is constructed with no arguments;
    holds its nine parameters as attributes w1..w6, b1..b3 (floats or NumPy scalars);
    has feedforward(x): one input of shape (2,) -> a float;
    has train(data, all_y_trues): trains in place on an (n, 2) array and n labels.

Every call into the user's code (the import, the constructor, train, feedforward)
runs in a daemon thread with a time limit, and what it prints to stdout or stderr
is kept rather than shown. A call that raises, or has not returned when the limit
is up, becomes an ImplementationError: one line naming the call and the reason.
A thread past its limit cannot be stopped with public APIs; it is left running,
its output still kept away from the console, and ends with the process.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import math
import numbers
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

from net221.errors import UserError
from net221.init import BLOG_NAMES

T = TypeVar("T")


class ImplementationError(UserError):
    """The implementation under test cannot be loaded or run."""


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# --- calls with captured output and a time limit -------------------------------------


class _ThreadOutput(io.TextIOBase):
    """A stand-in for sys.stdout or sys.stderr: text written by a registered thread goes
    to that thread's buffer, text from any other thread to the stream it replaced."""

    def __init__(self, passthrough: Any) -> None:
        self.passthrough = passthrough
        self.buffers: dict[int, io.StringIO] = {}

    def _target(self) -> Any:
        return self.buffers.get(threading.get_ident(), self.passthrough)

    def write(self, text: str) -> int:
        self._target().write(text)
        return len(text)

    def flush(self) -> None:
        self._target().flush()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.passthrough, "encoding", None) or "utf-8")


class _Discard(io.StringIO):
    """Keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)


def run_captured(function: Callable[[], T], what: str, timeout: float) -> tuple[T, str]:
    """function() in a daemon thread: (its result, what it printed).

    ImplementationError when it raises (anything, SystemExit included) or is still
    running after `timeout` seconds."""
    buffer = io.StringIO()
    outcome: dict[str, Any] = {}
    stdout, stderr = _ThreadOutput(sys.stdout), _ThreadOutput(sys.stderr)

    def work() -> None:
        stdout.buffers[threading.get_ident()] = stderr.buffers[threading.get_ident()] = buffer
        try:
            outcome["result"] = function()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, name=f"net221 compare: {what}", daemon=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(stdout))
        stack.enter_context(contextlib.redirect_stderr(stderr))
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            # Keep the stand-ins in place: the thread runs on, and its output is
            # dropped from now on instead of reaching the console.
            stack.pop_all()
            if thread.ident is not None:
                stdout.buffers[thread.ident] = stderr.buffers[thread.ident] = _Discard()
            raise ImplementationError(
                f"{what} did not return within {timeout:g} s (raise the limit with timeout=SECONDS)"
            )
    if "error" in outcome:
        raise ImplementationError(f"{what} raised {describe(outcome['error'])}") from outcome["error"]
    return outcome["result"], buffer.getvalue()


# --- loading the class -----------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")
USAGE = "expected path/to/network.py:ClassName or package.module:ClassName"


def load_class(spec: str, timeout: float) -> tuple[type, str]:
    """The class `spec` names, and what importing its module printed."""
    target, _, name = spec.strip().rpartition(":")
    if not target or not name:
        raise ImplementationError(f"{spec}: {USAGE}")
    if not _IDENTIFIER.match(name):
        raise ImplementationError(f"{spec}: {name!r} after ':' is not a class name; {USAGE}")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target)
        if not path.is_file():
            raise ImplementationError(f"{spec}: no such file {target}")
        module, output = run_captured(lambda: _import_file(path), f"{spec}: importing {target}", timeout)
        where = target
    else:
        if not _MODULE.match(target):
            raise ImplementationError(f"{spec}: {target!r} is neither a .py file nor a module name; {USAGE}")
        try:
            module, output = run_captured(
                lambda: _import_module(target), f"{spec}: importing {target}", timeout
            )
        except ImplementationError as error:
            missing = error.__cause__
            if (
                isinstance(missing, ModuleNotFoundError)
                and missing.name
                and f"{target}.".startswith(f"{missing.name}.")
            ):
                raise ImplementationError(f"{spec}: no module named {missing.name!r}") from None
            raise
        where = f"module {target}"
    found = getattr(module, name, None)
    if found is None:
        raise ImplementationError(f"{spec}: {where} has no class {name!r}")
    if not isinstance(found, type):
        raise ImplementationError(
            f"{spec}: {name!r} in {where} is not a class (it is a {type(found).__name__})"
        )
    return found, output


def _import_file(path: Path) -> ModuleType:
    module_name = "_net221_impl_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python source file")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # as when the file runs as a script
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        sys.path.remove(folder)
    return module


def _import_module(name: str) -> ModuleType:
    cwd = str(Path.cwd())
    added = "" not in sys.path and cwd not in sys.path  # as with `python -m`
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    finally:
        if added:
            sys.path.remove(cwd)


# --- one object of the class ---------------------------------------------------------------


def as_float(value: object) -> float | None:
    """A real number (a float, an int, a NumPy scalar or one-element array) as a float."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        return float(value.reshape(-1)[0])
    return None


class UserNetwork:
    """One object of the class under test; every call into it captured and timed."""

    def __init__(self, cls: type, label: str, timeout: float) -> None:
        self.label, self.timeout = label, timeout
        self.name = cls.__name__
        self.obj, self.constructor_output = run_captured(cls, f"{label}: {self.name}()", timeout)
        for method in ("feedforward", "train"):
            if not callable(getattr(self.obj, method, None)):
                raise ImplementationError(f"{label}: {self.name} has no method {method}()")

    def parameters(self, when: str) -> dict[str, float]:
        """The nine values by blog name; `when` ("initial", "after train") goes in errors."""
        values = {}
        for name in BLOG_NAMES:
            if not hasattr(self.obj, name):
                raise ImplementationError(f"{self.label}: {self.name} has no attribute {name} ({when})")
            value = getattr(self.obj, name)
            number = as_float(value)
            if number is None:
                shown = type(value).__name__
                raise ImplementationError(f"{self.label}: {name} is a {shown}, not a number ({when})")
            if not math.isfinite(number):
                raise ImplementationError(f"{self.label}: {name} is {number} ({when})")
            values[name] = number
        return values

    def feedforward(self, inputs: np.ndarray) -> np.ndarray:
        """feedforward on each row of inputs (M, 2), each given as a fresh (2,) array."""

        def all_rows() -> list[object]:
            return [self.obj.feedforward(row.copy()) for row in inputs]

        results, _ = run_captured(all_rows, f"{self.label}: feedforward", self.timeout)
        out = np.empty(len(results))
        for i, result in enumerate(results):
            number = as_float(result)
            if number is None:
                raise ImplementationError(
                    f"{self.label}: feedforward({inputs[i].tolist()}) returned a {type(result).__name__}, "
                    "expected a float"
                )
            out[i] = number
        return out

    def train(self, data: np.ndarray, all_y_trues: np.ndarray) -> str:
        """train(data, all_y_trues) on copies of the arrays; what it printed."""
        _, output = run_captured(
            lambda: self.obj.train(data.copy(), all_y_trues.copy()), f"{self.label}: train", self.timeout
        )
        return output
