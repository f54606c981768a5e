"""Someone else's code: found by name, then run in a child process with a time limit.

Layer: checks. gradcheck (a formula) and compare (a class) share both parts:

    load(spec, kind)        the function or class that `path/to/file.py:Name` or
                            `package.module:Name` names. A file is imported as when it runs as
                            a script (its folder first on sys.path), a module as with
                            `python -m` (the current folder counts). UserCodeError (one line)
                            when the spec names nothing of that kind.
    Child(calls, timeout)   the calls, one after the other, in a child process forked from this
                            one: each call's result and what it printed, in order.

Why a child process: it is the one way to stop code that hangs (a loop, a sleep, a C
extension) and leave nothing of it running, and whatever the code changes (torch's default
dtype and random generators, sys.path, signal handlers, its module's globals) changes in the
child only. Each call may take `timeout` seconds: faulthandler.dump_traceback_later in the
child writes where the code was and ends the child, and the parent names the call and that
line. In the child torch (if loaded) runs with one thread, as OpenMP's thread pool does not
survive a fork. Needs os.fork (Linux, macOS).
"""

from __future__ import annotations

import difflib
import faulthandler
import importlib
import importlib.util
import inspect
import io
import math
import multiprocessing
import numbers
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import partial
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

import net221
from net221.errors import UserError
from net221.init import BLOG_NAMES

Call = tuple[str, Callable[[], object]]  # (what the call is, for messages; the call)

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")


class UserCodeError(UserError):
    """Code that cannot be loaded, or a call into it that failed: one line."""


class CallError(UserCodeError):
    """A call that raised, did not return within its time limit, or ended the process."""

    def __init__(self, what: str, problem: str, where: str = "", *, timed_out: bool = False) -> None:
        super().__init__(f"{what} {problem}")
        self.what, self.problem, self.where, self.timed_out = what, problem, where, timed_out
        self.exception = (
            problem.removeprefix("raised ").partition(":")[0] if problem.startswith("raised") else ""
        )


class CallInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt the code raised) during a call; `what` says which."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class ChildError(Exception):
    """An exception raised in the child: its traceback, as text (the cause of a CallError)."""


def describe(exc: BaseException) -> str:
    """'ZeroDivisionError: division by zero', on one line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def shown_path(path: str) -> str:
    """`path` relative to the current folder when it is below it."""
    with suppress(ValueError):
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    return path


def _is_users(filename: str) -> bool:
    """Whether a file is the user's: neither net221's own nor Python's or an installed package's."""
    if filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    ours = (str(Path(net221.__file__).resolve().parent), sys.prefix, sys.base_prefix, sys.exec_prefix)
    return not any(resolved.startswith(str(Path(root).resolve())) for root in ours)


def _user_line(tb: TracebackType | None) -> str:
    """The deepest line of the user's own code in a traceback, as file:line; '' if none."""
    frames = [frame for frame in traceback.extract_tb(tb) if _is_users(frame.filename)]
    return f"{shown_path(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""


# --- loading ------------------------------------------------------------------------------------


def load(spec: str, kind: str) -> Any:
    """The function (kind="function") or class (kind="class") that `spec` names."""
    usage = (
        "expected path/to/network.py:ClassName or package.module:ClassName"
        if kind == "class"
        else "expected path/to/file.py:function or package.module:function"
    )
    target, _, name = spec.strip().rpartition(":")
    if not target:
        if spec.strip().endswith(".py"):
            raise UserCodeError(f"missing ':{kind}' after the file name; {usage}")
        raise UserCodeError(f"missing the file or module before ':'; {usage}")
    if not name:
        raise UserCodeError(f"missing the {kind} name after ':'; {usage}")
    if not _IDENTIFIER.match(name):
        raise UserCodeError(f"{name!r} after ':' is not a {kind} name; {usage}")
    if target.endswith(".py") or "/" in target or "\\" in target:
        if not Path(target).is_file():
            raise UserCodeError(f"no such file {target}")
        module, where = _import_file(Path(target)), target
    elif _MODULE.match(target):
        module, where = _import_module(target), f"module {target}"
    else:
        raise UserCodeError(f"{target!r} is neither a .py file nor a module name; {usage}")
    found = getattr(module, name, None)
    if found is None:
        raise UserCodeError(f"{where} has no {kind} {name!r}")
    if not (isinstance(found, type) if kind == "class" else callable(found)):
        raise UserCodeError(f"{name!r} in {where} is not a {kind} (it is a {type(found).__name__})")
    return found


def _import_failed(what: str, exc: BaseException) -> UserCodeError:
    return UserCodeError(f"importing {what} raised {describe(exc)}")


def _import_file(path: Path) -> ModuleType:
    module_name = "_net221_user_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserCodeError(f"{path} is not a Python source file")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[module_name]
        raise _import_failed(str(path), exc) from exc
    finally:
        sys.path.remove(folder)
    return module


def _import_module(name: str) -> ModuleType:
    cwd = str(Path.cwd())
    added = "" not in sys.path and cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and f"{name}.".startswith(f"{exc.name}."):
            raise UserCodeError(f"no module named {exc.name!r}") from exc
        raise _import_failed(name, exc) from exc
    except (Exception, SystemExit) as exc:
        raise _import_failed(name, exc) from exc
    finally:
        if added:
            sys.path.remove(cwd)


# --- running ------------------------------------------------------------------------------------


def _run_calls(calls: Sequence[Call], timeout: float | None, conn: Any, dump: Any) -> None:
    """The child: each call in turn, its outcome sent to the parent; the first failure ends it."""
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    for _, call in calls:
        printed = io.StringIO()
        sys.stdout = sys.stderr = printed
        if timeout is not None:
            faulthandler.dump_traceback_later(timeout, exit=True, file=dump)
        try:
            outcome: tuple[Any, ...] = ("ok", call())
        except UserCodeError as error:
            outcome = ("error", error)
        except KeyboardInterrupt:
            outcome = ("interrupted",)
        except BaseException as exc:  # the user's error, SystemExit included
            outcome = ("raised", describe(exc), _user_line(exc.__traceback__), traceback.format_exc())
        faulthandler.cancel_dump_traceback_later()
        conn.send((*outcome, printed.getvalue()))
        if outcome[0] != "ok":
            return


class Child:
    """Calls run in a child process: `with Child(calls, timeout) as child:` then child.result()
    once per call, in order. Leaving the block ends the child if it still runs."""

    def __init__(self, calls: Sequence[Call], timeout: float | None) -> None:
        self.calls, self.timeout, self.done, self.what = list(calls), timeout, 0, ""

    def __enter__(self) -> Child:
        context = multiprocessing.get_context("fork")
        self._dump = tempfile.TemporaryFile()
        self._conn, child_end = context.Pipe(duplex=False)
        args = (self.calls, self.timeout, child_end, self._dump)
        self._process = context.Process(target=_run_calls, args=args, name="net221 user code", daemon=True)
        self._process.start()
        child_end.close()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._process.close()
        self._conn.close()
        self._dump.close()

    def result(self) -> tuple[Any, str]:
        """The next call's (result, what it printed); CallError, UserCodeError or CallInterrupted."""
        what = self.what = self.calls[self.done][0]
        try:
            kind, *rest, printed = self._conn.recv()
        except EOFError:
            raise self._ended(what) from None
        except KeyboardInterrupt:
            raise CallInterrupted(what) from None
        self.done += 1
        if kind == "ok":
            return rest[0], printed
        if kind == "error":
            raise rest[0]
        if kind == "interrupted":
            raise CallInterrupted(what)
        text, where, remote = rest
        raise CallError(what, f"raised {text}", where) from ChildError(remote)

    def results(self) -> list[tuple[Any, str]]:
        return [self.result() for _ in range(self.done, len(self.calls))]

    def _ended(self, what: str) -> CallError:
        self._process.join()
        self._dump.seek(0)
        dump = self._dump.read().decode(errors="replace")
        if self.timeout is not None and dump.startswith("Timeout"):
            files = re.findall(r'File "(.+)", line (\d+) in', dump)
            lines = [f"{shown_path(file)}:{line}" for file, line in files if _is_users(file)]
            problem = f"did not return within {self.timeout:g} s"
            return CallError(what, problem, lines[0] if lines else "", timed_out=True)
        return CallError(what, f"ended the process (exit status {self._process.exitcode})")


def run_calls(calls: Sequence[Call], timeout: float | None) -> list[tuple[Any, str]]:
    """Every call's (result, what it printed), in a child process."""
    with Child(calls, timeout) as child:
        return child.results()


# --- a class in the blog's shape, as people write it ---------------------------------------------

FEEDFORWARD = ("feedforward", "feed_forward", "forward", "predict")
TRAIN = ("train", "fit")
LEARNING_RATE = ("learn_rate", "learning_rate", "lr", "eta", "alpha", "rate", "step_size")
EPOCHS = ("epochs", "n_epochs", "num_epochs", "epoch", "max_epochs", "iterations", "n_iter", "iters")
ONE_SAMPLE = "feedforward receives one sample, an array of shape (2,), and returns a float"


class ImplementationError(UserCodeError):
    """The implementation under test cannot be loaded or run."""


def as_float(value: object) -> float | None:
    """A real number (a float, an int, a NumPy scalar or one-element array) as a float."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        return float(value.reshape(-1)[0])
    return None


def _method(obj: object, names: Sequence[str], cls: str) -> tuple[Callable[..., Any], list[str]]:
    """The first of `names` that obj has as a method, and a note when it is not the blog's name."""
    for name in names:
        if callable(found := getattr(obj, name, None)):
            return found, [] if name == names[0] else [f"{names[0]}: calling {name}()"]
    others = [name for name in dir(obj) if not name.startswith("_") and callable(getattr(obj, name, None))]
    close = difflib.get_close_matches(names[0], others, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}()?" if close else f"; its methods: {', '.join(others) or 'none'}"
    raise UserCodeError(f"{cls} has no method {names[0]}() (nor {', '.join(names[1:])}){hint}")


def _train_keywords(train: Callable[..., Any], cls: str, lr: float, epochs: int) -> dict[str, Any]:
    """The reference's learning rate and epochs, by name, for a train() that takes them."""
    try:
        parameters = list(inspect.signature(train).parameters.values())[2:]
    except (TypeError, ValueError):
        return {}
    keywords: dict[str, Any] = {}
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name.lower() in LEARNING_RATE or p.name.lower() in EPOCHS:
            keywords[p.name] = lr if p.name.lower() in LEARNING_RATE else epochs
        elif p.default is p.empty:
            raise UserCodeError(
                f"{cls}.train() needs {p.name}, which net221-compare cannot give: it passes data, "
                f"all_y_trues and, by name, a learning rate ({', '.join(LEARNING_RATE)}) "
                f"and an epoch count ({', '.join(EPOCHS)})"
            )
    return keywords


class UserNetwork:
    """The calls into the class `spec` names (path/to/network.py:ClassName), for a Child."""

    def __init__(self, spec: str) -> None:
        self.spec, (self.target, _, self.name) = spec, spec.rpartition(":")
        self.state: dict[str, Any] = {}

    def parameters(self, when: str) -> dict[str, float]:
        """The nine values by blog name; `when` ("initial values", "after train") goes in errors."""
        obj, values = self.state["obj"], {}
        for name in BLOG_NAMES:
            if not hasattr(obj, name):
                raise UserCodeError(f"{self.name} has no attribute {name} ({when})")
            value = getattr(obj, name)
            number = as_float(value)
            if number is None:
                raise UserCodeError(f"{name} is a {type(value).__name__}, not a number ({when})")
            if not math.isfinite(number):
                raise UserCodeError(f"{name} is {number} ({when})")
            values[name] = number
        return values

    def construct(self) -> tuple[list[str], dict[str, float]]:
        obj = self.state["obj"] = self.state["cls"]()
        self.state["feedforward"], notes = _method(obj, FEEDFORWARD, self.name)
        self.state["train"], more = _method(obj, TRAIN, self.name)
        return notes + more, self.parameters("initial values")

    def feedforward(self, inputs: np.ndarray) -> np.ndarray:
        """feedforward on each row of inputs (M, 2), each given as a fresh (2,) array."""
        out = np.empty(len(inputs))
        for i, row in enumerate(inputs):
            result = self.state["feedforward"](row.copy())
            number = as_float(result)
            if number is None:
                shape = np.shape(result) if isinstance(result, np.ndarray | list | tuple) else None
                raise UserCodeError(
                    f"feedforward({row.tolist()}) returned a {type(result).__name__}, expected a float"
                    + (f" (of shape {shape}: {ONE_SAMPLE})" if shape is not None else "")
                )
            out[i] = number
        return out

    def train(self, data: np.ndarray, labels: np.ndarray, lr: float, epochs: int) -> list[str]:
        """train(data, all_y_trues) on copies, with the learning rate and epochs if it takes them."""
        keywords = _train_keywords(self.state["train"], self.name, lr, epochs)
        self.state["train"](data.copy(), labels.copy(), **keywords)
        given = ", ".join(f"{key}={value:g}" for key, value in keywords.items())
        return [f"train: called with {given}"] if given else []

    def calls(
        self,
        inputs: np.ndarray,
        data: np.ndarray,
        labels: np.ndarray,
        held: np.ndarray,
        lr: float,
        epochs: int,
    ) -> list[Call]:
        """Import, construct (-> notes, initial values), feedforward on `inputs`, train (-> notes),
        the values after training, feedforward on `held`."""

        def imported() -> None:
            self.state["cls"] = load(self.spec, "class")

        return [
            (f"importing {self.target}", imported),
            (f"{self.name}()", self.construct),
            ("feedforward", partial(self.feedforward, inputs)),
            ("train", partial(self.train, data, labels, lr, epochs)),
            ("after train", partial(self.parameters, "after train")),
            ("feedforward", partial(self.feedforward, held)),
        ]

    def explained(self, error: UserCodeError) -> str:
        """The error's line, with what to do where that is known."""
        if not isinstance(error, CallError):
            return str(error)
        if error.timed_out:
            return f"{error} (raise the limit with timeout=SECONDS)"
        where = f" in {error.where}" if error.where else ""
        batch = error.what == "feedforward" and error.exception in ("IndexError", "ValueError", "TypeError")
        return f"{error}{where}" + (f" ({ONE_SAMPLE})" if batch else "")
