"""net221-gradcheck: a formula for the nine partials, against autograd and finite differences.

Layer: app. The check is net221.checks.gradcheck; this is its command line: the config schema
(the formula, the report's file name, and net221.checks.gradcheck.Settings' fields), the run
directory with the JSON report, and the exit status (0 all nine pass, 1 the formula disagrees,
2 bad input, 130 interrupted). `--help` is configs/hydra/help/gradcheck.yaml.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from net221.app.cli import fail_job, run_app, shown_path
from net221.checks.formula import load_formula
from net221.checks.gradcheck import SAMPLING, GradcheckResult, Settings, compare
from net221.checks.report import schema_fields
from net221.errors import ConfigValueError, UserError

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
    path = output_dir / cfg.report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.report, indent=2, allow_nan=False) + "\n")
    log.info(f"Report: {shown_path(path)}")
    return result


class DisagreesError(Exception):
    """A job of a sweep whose formula failed: the sweep goes on, and ends with exit status 1."""


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="gradcheck")
def _task(cfg: DictConfig) -> int:
    try:
        result = run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except UserError as error:
        if os.environ.get("NET221_TRACEBACK") != "1":
            fail_job(PROG, error)  # one line and exit status 2 (a sweep's job: recorded, raised)
        raise
    if not result.passed:
        if HydraConfig.get().mode == RunMode.RUN:
            raise SystemExit(EXIT_DISAGREES)
        raise DisagreesError(result.summary)
    return 0


def main() -> None:
    register_schema()
    try:  # run_app also answers --version, and turns bad input and Ctrl-C into one line
        run_app(_task, PROG)
    except DisagreesError:
        raise SystemExit(EXIT_DISAGREES) from None


if __name__ == "__main__":
    main()
