"""net221-gradcheck: a formula for the nine partials, against autograd and finite differences.

Layer: app. The check itself is net221.checks.gradcheck (no Hydra); this module is its
command line: the config schema, whose defaults are net221.checks.gradcheck.Settings',
the run directory with the JSON report, the exit status (0 all nine pass, 1 the
formula disagrees, 2 bad input, 130 interrupted) and `--version`. `--help` is
configs/hydra/help/gradcheck.yaml.

    net221-gradcheck                                        # the blog's partials
    net221-gradcheck formula=seed_notes                     # two known mistakes
    net221-gradcheck formula=scripts/my_partials.py:my_partials points=1000
    net221-gradcheck formula=mypackage.grads:partials
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from net221.app.process import fail_job, run_app, shown_path
from net221.checks.formulas import load_formula
from net221.checks.gradcheck import GradcheckResult, Settings, compare
from net221.checks.points import SAMPLING
from net221.errors import ConfigValueError, UserError

PROG = "net221-gradcheck"
EXIT_DISAGREES = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C

log = logging.getLogger("net221")
_DEFAULTS = Settings()


@dataclass
class GradcheckConfig:
    """The command's options: net221.checks.gradcheck.Settings (same names and defaults), the
    formula and the report's file name."""

    # blog | seed_notes | seed_notes_loss | seed_notes_hidden | path/file.py:function | module:function
    formula: str = "blog"
    points: int = _DEFAULTS.points
    seed: int = _DEFAULTS.seed
    step: float = _DEFAULTS.step
    tolerance: float = _DEFAULTS.tolerance
    abs_floor: float = _DEFAULTS.abs_floor
    fd_tolerance: float = _DEFAULTS.fd_tolerance
    fd_abs_floor: float = _DEFAULTS.fd_abs_floor
    timeout: float | None = _DEFAULTS.timeout
    report: str = "gradcheck.json"  # in the run's output directory


def register_schema() -> None:
    ConfigStore.instance().store(name="gradcheck_schema", node=GradcheckConfig)


register_schema()


def settings(cfg: DictConfig) -> Settings:
    """The check's settings from the composed config; ConfigValueError (one line) for a bad value."""
    if not str(cfg.report).strip():
        raise ConfigValueError(f"report={cfg.report!r}: needs a file name")
    return Settings(
        points=cfg.points,
        seed=cfg.seed,
        step=cfg.step,
        tolerance=cfg.tolerance,
        abs_floor=cfg.abs_floor,
        fd_tolerance=cfg.fd_tolerance,
        fd_abs_floor=cfg.fd_abs_floor,
        timeout=cfg.timeout,
    )


def run(cfg: DictConfig, output_dir: Path) -> GradcheckResult:
    """Check the configured formula, log the table and write the report."""
    checked = settings(cfg)
    formula = load_formula(cfg.formula)
    shown = formula.spec if formula.source == formula.spec else f"{formula.spec} ({formula.source})"
    log.info(f"Formula: {shown}")
    log.info(
        f"Points: the worked example + {checked.points} random (seed {checked.seed}; weights and biases "
        f"{SAMPLING['weights_and_biases']}, inputs {SAMPLING['inputs']}, y_true 0 or 1)"
    )
    result = compare(formula, checked)
    for line in result.table.splitlines():
        log.info(line)
    log.info(result.summary)
    path = output_dir / cfg.report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.report, indent=2, allow_nan=False) + "\n")
    log.info(f"Report: {shown_path(path)}")
    return result


class FormulaDisagreesError(Exception):
    """The formula failed the check (exit status 1); the table and report say where."""


def _traceback_wanted() -> bool:
    return os.environ.get("NET221_TRACEBACK") == "1"


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="gradcheck")
def _task(cfg: DictConfig) -> int:
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = run(cfg, output_dir)
    except UserError as error:
        if not _traceback_wanted():
            fail_job(PROG, error)
        raise
    if not result.passed:
        if HydraConfig.get().mode == RunMode.RUN:
            raise SystemExit(EXIT_DISAGREES)
        # a job of a sweep: the sweep goes on, and ends with exit status 1
        raise FormulaDisagreesError(result.summary)
    return 0


def main() -> None:
    try:  # run_app also answers --version
        run_app(_task, PROG)
    except FormulaDisagreesError:
        raise SystemExit(EXIT_DISAGREES) from None
    except KeyboardInterrupt as interrupt:
        if _traceback_wanted():
            raise
        # FormulaInterrupted says where; a plain Ctrl-C has no message
        print(f"{PROG}: {str(interrupt) or 'interrupted'}", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None


if __name__ == "__main__":
    main()
