"""Someone else's code: `load` finds it by name; `Child` runs calls into it in a forked child
process, each within one time limit (faulthandler ends the child and says where it was). Needs
os.fork; docs/gradcheck.md and docs/compare.md say how specs are read."""

from __future__ import annotations

import faulthandler
import importlib
import importlib.util
import io
import multiprocessing
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import net221
from net221.errors import UserError

Call = tuple[str, Callable[[], object]]  # (what the call is, for messages; the call)


class UserCodeError(UserError):
    """Code that cannot be loaded, or a call into it that failed: one line."""


class CallError(UserCodeError):
    """A call that raised, did not return within its time limit, or ended the process."""

    def __init__(self, what: str, problem: str, where: str = "", *, timed_out: bool = False) -> None:
        super().__init__(f"{what} {problem}")
        self.what, self.problem, self.where, self.timed_out = what, problem, where, timed_out


class CallInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a KeyboardInterrupt the code raised) during a call; `what` says which."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class ChildError(Exception):
    """An exception raised in the child: its traceback, as text."""


def describe(exc: BaseException) -> str:
    """'ZeroDivisionError: division by zero', on one line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def shown_path(path: str) -> str:
    """`path` relative to the current folder when it is below it."""
    here, there = Path.cwd().resolve(), Path(path).resolve()
    return str(there.relative_to(here)) if there.is_relative_to(here) else path


def _is_users(filename: str) -> bool:
    """Whether a file is the user's: neither net221's own nor Python's or an installed package's."""
    if filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    ours = (str(Path(net221.__file__).resolve().parent), sys.prefix, sys.base_prefix, sys.exec_prefix)
    return not any(resolved.startswith(str(Path(root).resolve())) for root in ours)


def _user_line(frames: Iterable[tuple[str, object]]) -> str:
    """The first of the (file, line) frames that is in the user's own code, as file:line; '' if none."""
    return next((f"{shown_path(file)}:{line}" for file, line in frames if _is_users(file)), "")


def load(spec: str, kind: str) -> Any:
    """The function (kind="function") or class (kind="class") that `spec` names."""
    shape = "network.py:ClassName" if kind == "class" else "file.py:function"
    usage = f"expected path/to/{shape} or package.module:{shape.partition(':')[2]}"
    target, _, name = spec.strip().rpartition(":")
    if not target:
        if spec.strip().endswith(".py"):
            raise UserCodeError(f"missing ':{kind}' after the file name; {usage}")
        raise UserCodeError(f"missing the file or module before ':'; {usage}")
    if not name:
        raise UserCodeError(f"missing the {kind} name after ':'; {usage}")
    if not name.isidentifier():
        raise UserCodeError(f"{name!r} after ':' is not a {kind} name; {usage}")
    is_file = target.endswith(".py") or "/" in target or "\\" in target
    try:
        if is_file and not Path(target).is_file():
            raise UserCodeError(f"no such file {target}")
    except OSError as error:  # a name too long to look up, say
        raise UserCodeError(f"cannot read {target}: {error.strerror or error}") from None
    if not is_file and not all(part.isidentifier() for part in target.split(".")):
        raise UserCodeError(f"{target!r} is neither a .py file nor a module name; {usage}")
    module, where = _import(target, is_file), target if is_file else f"module {target}"
    found = getattr(module, name, None)
    if found is None:
        raise UserCodeError(f"{where} has no {kind} {name!r}")
    if not (isinstance(found, type) if kind == "class" else callable(found)):
        raise UserCodeError(f"{name!r} in {where} is not a {kind} (it is a {type(found).__name__})")
    return found


def _import(target: str, is_file: bool) -> ModuleType:
    folder = str(Path(target).resolve().parent if is_file else Path.cwd())
    added = is_file or ("" not in sys.path and folder not in sys.path)
    if added:
        sys.path.insert(0, folder)
    name = "_net221_user_" + re.sub(r"\W", "_", Path(target).stem) if is_file else target
    try:
        if not is_file:
            return importlib.import_module(target)
        spec = importlib.util.spec_from_file_location(name, target)
        assert spec is not None and spec.loader is not None
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except (Exception, SystemExit) as exc:
        if is_file:
            sys.modules.pop(name, None)
        missing = exc.name if isinstance(exc, ModuleNotFoundError) and not is_file else None
        if missing and f"{target}.".startswith(f"{missing}."):
            raise UserCodeError(f"no module named {missing!r}") from exc
        raise UserCodeError(f"importing {target} raised {describe(exc)}") from exc
    finally:
        if added:
            sys.path.remove(folder)


def _run_calls(calls: Sequence[Call], timeout: float | None, conn: Any, dump: Any) -> None:
    """The child: each call in turn, its outcome sent to the parent; the first failure ends it."""
    if "torch" in sys.modules:  # OpenMP's thread pool does not survive a fork
        sys.modules["torch"].set_num_threads(1)
    for _, call in calls:
        printed = io.StringIO()
        sys.stdout = sys.stderr = printed
        if timeout is not None:
            faulthandler.dump_traceback_later(timeout, exit=True, file=dump)
        start = time.monotonic()
        try:
            outcome: tuple[Any, ...] = ("ok", call())
        except UserCodeError as error:
            outcome = ("error", error)
        except KeyboardInterrupt:
            outcome = ("interrupted",)
        except BaseException as exc:  # the user's error, SystemExit included
            frames = [(frame.filename, frame.lineno) for frame in traceback.extract_tb(exc.__traceback__)]
            outcome = ("raised", describe(exc), _user_line(reversed(frames)), traceback.format_exc())
        faulthandler.cancel_dump_traceback_later()
        if timeout is not None and time.monotonic() - start > timeout:  # returned, but too late
            outcome = ("late",)
        conn.send((*outcome, printed.getvalue()))
        if outcome[0] != "ok":
            return


class Child:
    """`with Child(calls, timeout) as child:`, then child.result() once per call, in order."""

    def __init__(self, calls: Sequence[Call], timeout: float | None) -> None:
        self.calls, self.timeout, self.done, self.what = list(calls), timeout, 0, ""

    def __enter__(self) -> Child:
        context, self._dump = multiprocessing.get_context("fork"), tempfile.TemporaryFile()
        self._conn, child_end = context.Pipe(duplex=False)
        args = (self.calls, self.timeout, child_end, self._dump)
        self._process = context.Process(target=_run_calls, args=args, name="net221 user code", daemon=True)
        self._process.start()
        child_end.close()
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.kill()  # a no-op once it has ended
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
        if kind == "late":
            raise CallError(what, f"did not return within {self.timeout:g} s", timed_out=True)
        text, where, remote = rest
        raise CallError(what, f"raised {text}", where) from ChildError(remote)

    def results(self) -> list[tuple[Any, str]]:
        return [self.result() for _ in range(self.done, len(self.calls))]

    def _ended(self, what: str) -> CallError:
        self._process.join()
        self._dump.seek(0)
        dump = self._dump.read().decode(errors="replace")
        if self.timeout is not None and dump.startswith("Timeout"):
            where = _user_line(re.findall(r'File "(.+)", line (\d+) in', dump))  # the deepest call first
            return CallError(what, f"did not return within {self.timeout:g} s", where, timed_out=True)
        return CallError(what, f"ended the process (exit status {self._process.exitcode})")


def run_calls(calls: Sequence[Call], timeout: float | None) -> list[tuple[Any, str]]:
    """Every call's (result, what it printed), in a child process."""
    with Child(calls, timeout) as child:
        return child.results()
