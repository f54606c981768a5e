"""What every command's entry shares: signals, logging, threads, exit status, one-line errors.

Layer: app. Nothing here runs on import: process state is set by `run_app` (net221-train:
`train_command`, the checks: `check_command`) only. Bad input: one line, exit 2. A stop signal: a
checkpoint, exit 128 + it; the checks stop at once.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from net221.errors import UserError

log = logging.getLogger("net221")


def say(line: str) -> None:
    with contextlib.suppress(OSError):  # stderr closed: the exit status still tells
        if sys.stderr is not None:
            print(line, file=sys.stderr, flush=True)


def fail(prog: str, message: str) -> NoReturn:
    say(f"{prog}: error: {message}")
    raise SystemExit(2)


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def shown_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, else as it is."""
    here, there = Path.cwd().resolve(), path.resolve()
    return str(there.relative_to(here) if there.is_relative_to(here) else path)


def describe_os_error(error: OSError) -> str:
    name = "" if error.filename is None else f" {error.filename}"
    name = name if len(name) <= 160 else f"{name[:78]}...{name[-78:]}"  # too long for one line
    return f"cannot write{name}: {error.strerror or error}"


def describe_config_error(error: BaseException) -> str | None:
    """One line, in net221's words, for Hydra's and OmegaConf's config errors; None for others."""
    from hydra.errors import HydraException, MissingConfigException, OverrideParseException
    from omegaconf import BooleanNode, FloatNode, IntegerNode
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException, ValidationError

    from net221.app.config import did_you_mean

    if isinstance(error, OverrideParseException):
        name, equals, value = error.override.partition("=")
        if not equals:
            return f"{error.override}: every argument is key=value (--help lists the keys)"
        lines = str(error).splitlines()  # the parser's reason, where it gives one, is on line 2
        why = f" ({lines[1].strip()})" if lines[0].startswith("Error parsing") and len(lines) > 2 else ""
        quoted = f"; quoted, it is read as text: '{name}=\"{value}\"'"  # where quotes can help
        plain = re.fullmatch(r"[\w.]+", name, re.ASCII) and not re.search(r"[\"'$]", value)
        return f"{error.override}: not a value Hydra can read{why}{quoted if plain else ''}"
    cause = error.__cause__
    kinds = {FloatNode: "a number", IntegerNode: "a whole number", BooleanNode: "true or false"}
    if isinstance(cause, ValidationError) and cause.full_key and type(cause.child_node) in kinds:
        return f"{cause.full_key}={cause.value}: not {kinds[type(cause.child_node)]}"
    if isinstance(cause, ConfigAttributeError | ConfigKeyError) and cause.full_key:
        known = list(cause.parent_node.keys()) if cause.parent_node is not None else []
        parent = str(cause.full_key).rpartition(".")[0]
        near = did_you_mean(str(cause.key), known, f"{parent}." if parent else "")
        listed = f" ({parent or 'the config'} has {', '.join(map(str, known))})" if known and not near else ""
        return f"{cause.full_key}: no such key{near}{listed}"
    if isinstance(error, MissingConfigException) and error.options is not None:
        group, _, option = str(error.missing_cfg_file).rpartition("/")
        options = [str(o) for o in error.options]
        near = did_you_mean(option, options)
        return f"{group}={option}: no such option{near} ({group}: {', '.join(options)})"
    if isinstance(error, OmegaConfBaseException | HydraException):
        text = getattr(error, "msg", None) or str(error)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        first = (lines[0] if lines else type(error).__name__).rstrip(".")
        key = getattr(error, "full_key", None)
        first = f"{key}: {first}" if key else first
        detail = describe_config_error(cause) if isinstance(cause, BaseException) else None
        return f"{first}: {detail}" if detail else first
    return None


class Interrupted(Exception):  # noqa: N818 (a stop asked for, not an error)
    """A run stopped by a signal after its checkpoint; `pass_on()` calls the signal's previous handler."""

    def __init__(self, message: str, signum: int, pass_on: Callable[[], None]) -> None:
        super().__init__(message)
        self.exit_status, self.pass_on = 128 + signum, pass_on


class StopSignals:
    """Which stop signal arrived, if any; made by `catch_stop_signals`."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.acted = False  # the run stopped for it (else it is delivered again on leaving)
        self.previous: dict[int, Any] = {}

    def requested(self) -> bool:  # the training's should_stop
        return self.received is not None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            if log.hasHandlers():  # a run's log (not Python's last resort on stderr before it is set up)
                log.warning(f"{signal.Signals(signum).name} received: stopping after this step")

    def pass_on(self) -> None:  # a borrowed signal (SIGUSR2) goes on to its previous handler
        handler = self.previous.get(self.received) if self.received is not None else None
        if self.received not in (signal.SIGINT, signal.SIGTERM) and callable(handler):
            handler(self.received, None)

    def interrupted(self, what: str) -> Interrupted:
        assert self.received is not None
        self.acted = True
        return Interrupted(what, self.received, self.pass_on)


_active: StopSignals | None = None  # the one in place: a command's entry and its runs share it


@contextlib.contextmanager
def catch_stop_signals() -> Iterator[StopSignals]:
    """SIGINT, SIGTERM (and a handled SIGUSR2) raise a flag while inside; nested, the outer one is
    shared. On leaving, a signal the run did not stop for is raised again to the previous handlers."""
    global _active
    if _active is not None or threading.current_thread() is not threading.main_thread():
        yield _active or StopSignals()
        return
    stop = _active = StopSignals()
    usr2 = getattr(signal, "SIGUSR2", None)
    borrowed = [usr2] if usr2 is not None and callable(signal.getsignal(usr2)) else []
    for signum in [signal.SIGINT, signal.SIGTERM, *borrowed]:
        stop.previous[signum] = signal.signal(signum, stop.handle)
    try:
        yield stop
    finally:
        _active = None
        for signum, handler in stop.previous.items():
            signal.signal(signum, handler)
        if stop.received is not None and not stop.acted:
            signal.raise_signal(stop.received)


def set_threads(threads: Any) -> None:  # null, or a value the checks will refuse: torch's default
    import torch

    if isinstance(threads, int) and threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def _quiet_writer_threads(args: threading.ExceptHookArgs) -> None:
    """A writer thread (TensorBoard's) that cannot write ends quietly: the main thread reports it."""
    if args.exc_type is None or not issubclass(args.exc_type, OSError):
        threading.__excepthook__(args)


def _setup() -> None:
    """Process-wide settings, once per command (idempotent)."""
    from omegaconf import OmegaConf

    from net221.app.outputs import RESOLVER, unique_dir

    logging.raiseExceptions = False  # a log line that cannot be written is dropped, not reported
    threading.excepthook = _quiet_writer_threads
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, unique_dir, use_cache=True)
    # The last collections at exit walk every object torch made (0.8 s of CPU a process,
    # measured) to free memory the system takes back anyway; frozen objects are skipped.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def run_app(hydra_main: Callable[[], Any], prog: str) -> None:
    """Call a `@hydra.main` function: bad input is one line and exit 2, Ctrl-C 130; `--version` is ours."""
    if "--version" in sys.argv[1:]:
        from net221 import __version__

        print(f"net221 {__version__}")
        return
    _setup()
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises instead of printing its own report
    if os.environ.get("NET221_TRACEBACK") == "1":
        hydra_main()
        return
    try:
        hydra_main()
    except UserError as error:
        fail(prog, one_line(str(error)))
    except KeyboardInterrupt as interrupt:  # its message, where it has one, says where
        say(f"{prog}: {one_line(str(interrupt)) or 'interrupted'}")
        raise SystemExit(130) from None
    except BrokenPipeError:
        return  # stdout was closed under a print; the work itself is done
    except Exception as error:
        message = describe_config_error(error)
        if message is None and isinstance(error, OSError):
            message = describe_os_error(error)  # Hydra making the run directory, its log file, .hydra/
        if message is None:
            raise
        fail(prog, message)
    finally:  # a stream whose reader has gone now points at /dev/null: quiet at exit
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except OSError:
                with contextlib.suppress(OSError, ValueError):
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, stream.fileno())
                    os.close(devnull)


def train_command() -> None:
    """net221-train: the stop signals are caught before torch loads (a Ctrl-C while set up ends it)."""

    def task() -> None:
        from net221.app import config, train

        config.register_schemas()
        train.task()

    try:
        with catch_stop_signals():
            run_app(task, "net221-train")
    except KeyboardInterrupt:  # delivered again on leaving: it came when nothing could act on it
        say("net221-train: interrupted")
        raise SystemExit(130) from None


def check_command(hydra_main: Callable[[], Any], prog: str) -> None:
    """net221-gradcheck and net221-compare: `run_app`, where SIGTERM stops the command as Ctrl-C
    does (the child running someone's code is ended, one line), with status 143."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        run_app(hydra_main, prog)
    except SystemExit as exit_:
        if received and exit_.code == 130:
            raise SystemExit(128 + received[0]) from None
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def _record(message: str) -> None:  # into the run's log file (not printed again) and error.txt
    from hydra.core.hydra_config import HydraConfig

    from net221.app.outputs import write_error

    record = logging.makeLogRecord({"msg": message, "levelno": logging.ERROR, "levelname": "ERROR"})
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
    write_error(Path(HydraConfig.get().runtime.output_dir), message.removeprefix("error: "))


def fail_job(prog: str, error: UserError) -> None:
    """Record the error; a single run exits with one line, a sweep's job returns (the caller raises)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    message = one_line(str(error))
    _record(f"error: {message}")
    if HydraConfig.get().mode == RunMode.RUN:
        fail(prog, message)


def stop_job(prog: str, stopped: Interrupted) -> NoReturn:
    message = one_line(str(stopped))
    _record(message)
    say(f"{prog}: {message}")
    stopped.pass_on()
    raise SystemExit(stopped.exit_status)
