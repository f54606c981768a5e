"""Running a Hydra app so that bad input ends in one line on stderr and a non-zero exit.

Layer: app. Hydra prints composition errors over several lines and task errors
with a traceback. Here Hydra is told to let exceptions through
(HYDRA_FULL_ERROR=1) and they are reported in one line instead: bad input of
any kind (a config key, a value, a file, a checkpoint) exits with status 2.
Anything else is a bug in net221 and keeps its traceback. NET221_TRACEBACK=1
shows tracebacks for everything.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from net221.errors import UserError

EXIT_BAD_INPUT = 2


def fail(prog: str, message: str) -> NoReturn:
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


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


def run_app(hydra_main: Callable[[], Any], prog: str) -> None:
    """Call a `@hydra.main` function, turning bad input into one line and exit status 2.

    `--version` prints net221's version instead (Hydra's own flag would print Hydra's)."""
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
    try:
        hydra_main()
    except UserError as error:
        fail(prog, _one_line(str(error)))
    except Exception as error:
        message = describe_config_error(error)
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
    Path(config.runtime.output_dir, "error.txt").write_text(message + "\n")
    if config.mode == RunMode.RUN:
        fail(prog, message)


def log_to_file(message: str) -> None:
    """Record an error in the run's log file without printing it a second time."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(
                logging.makeLogRecord({"msg": message, "levelno": logging.ERROR, "levelname": "ERROR"})
            )
