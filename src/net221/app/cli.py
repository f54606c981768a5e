"""Running a Hydra app so that bad input ends in one line on stderr and a non-zero exit.

Layer: app. Hydra prints composition errors over several lines and task errors
with a traceback. Here Hydra is told to let exceptions through
(HYDRA_FULL_ERROR=1) and they are reported in one line instead: bad input of
any kind (a config key, a value, a file, a checkpoint, an output location that
cannot be written) exits with status 2; Ctrl-C outside the training exits with
130. Anything else is a bug in net221 and keeps its traceback.
NET221_TRACEBACK=1 shows tracebacks for everything.

A closed stdout or stderr (`net221-train | head -1`) is not an error: what
cannot be printed is dropped, and the run goes on.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, ParamSpec

from net221.app.atomic import temporary_path
from net221.app.interrupt import Interrupted, PendingInterrupt
from net221.errors import UserError

EXIT_BAD_INPUT = 2
P = ParamSpec("P")
EXIT_SIGINT = 130


def say(line: str) -> None:
    """One line on stderr, if there is a stderr to write to."""
    with contextlib.suppress(OSError):  # closed: the exit status still tells
        if sys.stderr is not None:
            print(line, file=sys.stderr, flush=True)


def shown_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else as it is."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def fail(prog: str, message: str) -> NoReturn:
    say(f"{prog}: error: {message}")
    raise SystemExit(EXIT_BAD_INPUT)


def shown(path: object, limit: int = 160) -> str:
    """A path short enough for one line: its start and its end."""
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit // 2 - 2]}...{text[-(limit // 2 - 2) :]}"


def describe_os_error(error: OSError, verb: str = "cannot write") -> str:
    where = f" {shown(error.filename)}" if error.filename is not None else ""
    return f"{verb}{where}: {error.strerror or error}"


def quiet_closed_output() -> None:
    """Flush stdout; if the reader has gone, point stdout at /dev/null so that the
    interpreter's last flush does not complain either."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except OSError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)
            except (OSError, ValueError):
                pass


_HYDRA_HINT = re.compile(r",? ?(set env var|Set the environment variable) HYDRA_FULL_ERROR=1[^.]*\.?")


def _one_line(text: str) -> str:
    text = _HYDRA_HINT.sub("", text)
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def describe_config_error(error: Exception) -> str | None:
    """One line for Hydra's and OmegaConf's config errors; None for anything else."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(error, OmegaConfBaseException):
        key = getattr(error, "full_key", None)
        message = getattr(error, "msg", None) or str(error)
        first = message.splitlines()[0].strip() if message.strip() else type(error).__name__
        return f"{key}: {first}" if key else first
    if isinstance(error, HydraException):
        text = str(error)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        summary = lines[0] if lines else type(error).__name__
        if "Available options in" in text:
            start = next(i for i, line in enumerate(lines) if line.startswith("Available options in"))
            options = []
            for line in lines[start + 1 :]:
                if line.startswith("Config search path"):
                    break
                options.append(line)
            summary += f" (available: {', '.join(options)})"
        cause = error.__cause__
        if isinstance(cause, OmegaConfBaseException | HydraException):
            detail = describe_config_error(cause)
            if detail:
                summary = f"{summary.rstrip('.')}: {detail}"
        return _one_line(summary)
    return None


def tolerate_closed_output(main: Callable[P, None]) -> Callable[P, None]:
    """For a command's main(): a reader that went away (`| head -1`) ends it quietly."""

    @functools.wraps(main)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        raise_exceptions, logging.raiseExceptions = logging.raiseExceptions, False
        try:
            main(*args, **kwargs)
        except BrokenPipeError:
            pass
        finally:
            quiet_closed_output()
            logging.raiseExceptions = raise_exceptions

    return wrapper


def _quiet_writer_threads(args: threading.ExceptHookArgs) -> None:
    """A writer thread (TensorBoard's) that cannot write dies quietly: the main thread meets the
    same error when it writes next and reports it in one line. Anything else is a bug."""
    if args.exc_type is not None and issubclass(args.exc_type, OSError):
        return
    threading.__excepthook__(args)


def train_command() -> None:
    """net221-train's console script: Ctrl-C at any moment is one line and exit status 130.

    Until the run can stop cleanly, while torch loads and Hydra sets the run up, Ctrl-C
    only raises a flag (`PendingInterrupt`): the run ends before it starts. While it
    trains, the run stops at the next step with a checkpoint. A Ctrl-C that comes after
    the training (a run's outputs are written all the same) ends the command when the
    run does; in a sweep, the next job ends before it starts."""
    pending = PendingInterrupt()
    previous = signal.signal(signal.SIGINT, pending)
    try:
        try:
            from net221.app.train import main
        except KeyboardInterrupt:  # raised before the flag's handler was in place
            pending.received = True
        if not pending.received:
            main()
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending.received:  # it came when nothing could act on it: before the run, or after it
        say("net221-train: interrupted")
        raise SystemExit(EXIT_SIGINT)


def run_app(hydra_main: Callable[[], Any], prog: str) -> None:
    """Call a `@hydra.main` function, turning bad input into one line and exit status 2.

    `--version` prints net221's version instead (Hydra's own flag would print Hydra's)."""
    skip_the_final_collection()
    raise_exceptions, excepthook = logging.raiseExceptions, threading.excepthook
    logging.raiseExceptions = False  # a log line that cannot be written is dropped, not reported
    threading.excepthook = _quiet_writer_threads
    try:
        if "--version" in sys.argv[1:]:
            from net221 import __version__

            print(f"net221 {__version__}")
            return
        from net221.app import output_dirs

        output_dirs.register()
        if os.environ.get("NET221_TRACEBACK") == "1":
            hydra_main()
            return
        os.environ["HYDRA_FULL_ERROR"] = "1"
        _run_reporting(hydra_main, prog)
    finally:
        quiet_closed_output()
        logging.raiseExceptions, threading.excepthook = raise_exceptions, excepthook


def skip_the_final_collection() -> None:
    """Freeze the garbage collector when the process exits.

    The interpreter's last collections walk every object that torch, its compiler
    stack and matplotlib made: about 0.7 s here, a fifth of a blog run, to free
    memory that the operating system takes back anyway. Frozen objects are
    skipped. The freeze is an atexit handler: it runs after the handlers
    registered later and before those registered earlier, such as
    `logging.shutdown`, which still flushes and closes the log files; net221
    closes its own files before it returns. What it gives up: reference cycles
    that are garbage at exit are not finalized (their `__del__` does not run).
    A command's `main()` called inside another program registers it for that
    program's exit too."""
    atexit.unregister(gc.freeze)  # once, however often a command runs in this process
    atexit.register(gc.freeze)


def _run_reporting(hydra_main: Callable[[], Any], prog: str) -> None:
    try:
        hydra_main()
    except UserError as error:
        fail(prog, _one_line(str(error)))
    except KeyboardInterrupt as interrupt:  # its message, where it has one, says where
        say(f"{prog}: {_one_line(str(interrupt)) or 'interrupted'}")
        raise SystemExit(EXIT_SIGINT) from None
    except BrokenPipeError:
        return  # stdout was closed under a print; the work itself is done
    except Exception as error:
        message = describe_config_error(error)
        if message is None and isinstance(error, OSError):
            message = describe_os_error(error)  # Hydra creating the run directory, its log file, .hydra/
        if message is None:
            raise
        fail(prog, message)


def fail_job(prog: str, error: UserError) -> None:
    """Inside a Hydra task: record the error in the run's log and directory; a single run
    then exits at once with one line, while a job of a sweep raises so that the sweep
    goes on and counts it as failed."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    message = _one_line(str(error))
    log_to_file(f"error: {message}")
    config = HydraConfig.get()
    write_error(Path(config.runtime.output_dir), message)
    if config.mode == RunMode.RUN:
        fail(prog, message)


def stop_job(prog: str, stopped: Interrupted) -> NoReturn:
    """Inside a Hydra task: a run stopped by a signal, its checkpoint saved. One line,
    error.txt, then the exit status 128 + signal, which also ends a sweep."""
    from hydra.core.hydra_config import HydraConfig

    message = _one_line(str(stopped))
    log_to_file(message)
    write_error(Path(HydraConfig.get().runtime.output_dir), message)
    say(f"{prog}: {message}")
    stopped.pass_on()
    raise SystemExit(stopped.exit_status)


def error_line(error: BaseException) -> str:
    """What error.txt says about a run that ended with `error`."""
    if isinstance(error, UserError | Interrupted):
        return _one_line(str(error))
    return _one_line(f"internal error: {type(error).__name__}: {error}")


def write_error(output_dir: Path, message: str) -> None:
    """error.txt: the line a failed run ended with. It goes into the page the run set aside
    (`run_dir.reserve_error`) where there is one, so a full disk cannot prevent it."""
    path, reserve = output_dir / "error.txt", temporary_path(output_dir / "error.txt")
    data = (message + "\n").encode()
    try:
        if path.is_file() and path.read_bytes() == data:
            return  # written already (by the run, before the app reports it)
        if reserve.is_file():
            with reserve.open("r+b") as handle:
                handle.write(data)
                handle.truncate()
            reserve.replace(path)
        else:
            path.write_bytes(data)
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)  # rather none than half a line


def log_to_file(message: str) -> None:
    """Record an error in the run's log file without printing it a second time."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(
                logging.makeLogRecord({"msg": message, "levelno": logging.ERROR, "levelname": "ERROR"})
            )
