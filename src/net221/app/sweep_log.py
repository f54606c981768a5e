"""What the console shows: a bounded number of epoch lines; in a sweep, one line per finished job.

Layer: app. `JobConsole` (a logging filter named in configs/train.yaml) keeps a sweep's console to
warnings and each job's line, unless `hydra.verbose` or a `trainer.log_every` override asks for all.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from net221.app.process import one_line, shown_path

log = logging.getLogger("net221")

JOB_LINE = "net221_job_line"  # a record with this attribute set is a job's one-line result


def console_stride(epochs: int, log_every: int, lines: int | None) -> int:
    """Every how many epochs an epoch line is printed: every logged one while there are at most
    `lines`, else every k-th, so that about `lines` are printed."""
    logged = -(-epochs // log_every)
    return log_every if lines is None or logged <= lines else log_every * math.ceil(logged / lines)


def on_console(cfg: DictConfig, epoch: int) -> bool:
    trainer = cfg.trainer
    stride = console_stride(trainer.epochs, trainer.log_every, trainer.console_lines)
    return epoch % stride == 0 or epoch == trainer.epochs - 1


class JobConsole(logging.Filter):
    def __init__(
        self, mode: Any = None, verbose: Any = False, overrides: Sequence[str] | None = None
    ) -> None:
        super().__init__()
        in_sweep = getattr(mode, "name", str(mode)).endswith("MULTIRUN")
        asked = any(str(item).lstrip("+~").startswith("trainer.log_every=") for item in overrides or ())
        self.quiet = in_sweep and not (verbose or asked)

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.quiet or record.levelno >= logging.WARNING or bool(getattr(record, JOB_LINE, False))


def shown_value(text: str) -> str:
    """A swept value as given, or to 4 significant digits when it is a long number (0.08096384 -> 0.08096)."""
    try:
        value = float(text)
    except ValueError:
        return text
    short = f"{value:.4g}"
    return short if float(short) != value and len(text) > len(short) + 2 else text


def describe_result(summary: dict[str, Any]) -> str:
    def number(key: str, digits: str = ".4g") -> str:
        value = summary.get(key)
        return "n/a" if value is None else format(value, digits)

    ensemble = summary.get("ensemble")
    if isinstance(ensemble, dict):
        rate = ensemble.get("convergence_rate")
        converged = "n/a" if rate is None else f"{int(rate * 1000) / 10:.1f} %"  # never rounded up to 100
        return f"median final loss {number('final_loss')}, converged {converged}"
    text = f"final loss {number('final_loss')}, accuracy {number('final_accuracy', '.3f')}"
    if "final_val_loss" in summary:
        text += (
            f"; validation loss {number('final_val_loss')}, accuracy {number('final_val_accuracy', '.3f')}"
        )
    return text


def job_line(output_dir: Path, error: str | None = None) -> None:
    """In a sweep, the job's line: number, overrides, result (or error), directory."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    config = HydraConfig.get()
    if config.mode != RunMode.MULTIRUN:
        return
    if error is not None:
        result = f"failed: {one_line(error)}"
    else:
        try:
            result = describe_result(json.loads((output_dir / "summary.json").read_text()))
        except (OSError, ValueError):
            result = "finished (no readable summary.json)"
    overrides = " ".join(
        f"{k}{sep}{shown_value(v)}" for k, sep, v in (o.partition("=") for o in config.overrides.task)
    )
    log.info(f"#{config.job.num} {overrides}: {result} ({shown_path(output_dir)})", extra={JOB_LINE: True})
