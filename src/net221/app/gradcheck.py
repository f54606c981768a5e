"""net221-gradcheck: the command line of net221.checks.gradcheck (docs/gradcheck.md), and what it
shares with net221-compare: the report file and the job's exit status (0 the check passes, 1 it
fails, 2 bad input)."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from net221.app.outputs import write_json
from net221.app.process import check_command, describe_os_error, fail_job, shown_path
from net221.checks.formula import load_formula
from net221.checks.gradcheck import SAMPLING, GradcheckResult, Settings, compare
from net221.checks.report import schema_fields
from net221.errors import ConfigValueError, OutputError, UserError

PROG = "net221-gradcheck"
EXIT_DISAGREES = 1
log = logging.getLogger("net221")

GradcheckConfig = dataclasses.make_dataclass(
    "GradcheckConfig",
    [("formula", str, "blog"), *schema_fields(Settings), ("report", str, "gradcheck.json")],
)


def register_schema() -> None:
    ConfigStore.instance().store(name="gradcheck_schema", node=GradcheckConfig)


def settings(cfg: DictConfig) -> Settings:
    """The check's settings from the composed config; ConfigValueError (one line) for a bad value."""
    if not str(cfg.report).strip():
        raise ConfigValueError(f"report={cfg.report!r}: needs a file name")
    return Settings(**{f.name: cfg[f.name] for f in dataclasses.fields(Settings)})


def write_report(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, data)  # whole or not at all; an OSError names the file
    log.info(f"Report: {shown_path(path)}")


def run(cfg: DictConfig, output_dir: Path) -> GradcheckResult:
    """Check the configured formula, log the table and write the report."""
    checked = settings(cfg)
    formula = load_formula(cfg.formula)
    log.info(f"Formula: {formula.spec}" + ("" if formula.source == formula.spec else f" ({formula.source})"))
    log.info(
        f"Points: the worked example + {checked.points} random (seed {checked.seed}; weights and biases "
        f"{SAMPLING['weights_and_biases']}, inputs {SAMPLING['inputs']}, y_true 0 or 1)"
    )
    result = compare(formula, checked)
    for line in [*result.table.splitlines(), result.summary]:
        log.info(line)
    write_report(output_dir / cfg.report, result.report)
    return result


class DisagreesError(Exception):
    """A job of a sweep whose check failed: the sweep goes on, and ends with exit status 1."""


def check_job(prog: str, check: Callable[[Path], Any], failure: Callable[[Any], str | None]) -> int:
    """A check in a Hydra job's output directory: bad input is one line and exit status 2 (a sweep's
    job: recorded, raised); a `failure` exits 1 (a sweep's job: DisagreesError, the sweep goes on)."""
    try:
        result = check(Path(HydraConfig.get().runtime.output_dir))
    except (UserError, OSError) as error:  # OSError: an output that cannot be written
        if os.environ.get("NET221_TRACEBACK") == "1":
            raise
        problem = error if isinstance(error, UserError) else OutputError(describe_os_error(error))
        fail_job(prog, problem)
        raise problem from None
    if (line := failure(result)) is not None:
        if HydraConfig.get().mode == RunMode.RUN:
            raise SystemExit(EXIT_DISAGREES)
        raise DisagreesError(line)
    return 0


def check_main(task: Callable[[], Any], prog: str) -> None:
    try:  # run_app also answers --version, and turns bad input, Ctrl-C and SIGTERM into one line
        check_command(task, prog)
    except DisagreesError:
        raise SystemExit(EXIT_DISAGREES) from None


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="gradcheck")
def _task(cfg: DictConfig) -> int:
    return check_job(PROG, lambda output_dir: run(cfg, output_dir), lambda r: None if r.passed else r.summary)


def main() -> None:
    register_schema()
    check_main(_task, PROG)


if __name__ == "__main__":
    main()
