"""net221-compare: another implementation of the blog's network against the reference.

Layer: app. The comparison itself is net221.checks.compare; this module reads the config,
prints the table and the verdict, and writes compare.json (every number),
compare.png (both loss traces and the weight differences) and output.txt (what
the implementation printed) to the run directory. Exit status: 0 all agree,
1 they disagree, 2 the implementation or file cannot be used.

    net221-compare impl=scripts/blog_network.py:BlogNetwork
    net221-compare impl=mypackage.network:Network lr=0.05 epochs=2000
    net221-compare trajectory=run.csv
"""

from __future__ import annotations

import io
import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from net221.app.compare_figure import draw
from net221.app.config import register_schemas, validate_compare
from net221.app.process import fail_job, run_app, shown_path
from net221.errors import UserError

PROG = "net221-compare"
EXIT_DISAGREES = 1

log = logging.getLogger("net221")
register_schemas()

if TYPE_CHECKING:  # net221.checks.compare, and torch with it, load when a comparison runs
    from net221.checks.compare import Comparison
    from net221.checks.stages import Check


# --- the console table ------------------------------------------------------------------------


def _number(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if x == 0.0:
        return "0"
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.10f}"
    return f"{x:.6e}"


def _small(x: float) -> str:
    return "0" if x == 0.0 else f"{x:.1e}"


def table_rows(c: Comparison) -> list[tuple[str, Check]]:
    """(label, check) for the rows of the table: the six people and the worst random input;
    the first, first disagreeing and last logged loss; the weights; the predictions."""
    from net221.checks.stages import first_failure

    forward = c.stage_checks("forward")
    rows = [(x.label, x) for x in forward[:6]]
    random = forward[6:]
    if random:
        failed = first_failure(random)
        if failed is not None:
            rows.append((f"{failed.label} (first of {len(random)} to differ)", failed))
        else:
            worst = max(random, key=lambda x: x.difference)
            rows.append((f"{worst.label} (worst of {len(random)})", worst))
    losses = c.stage_checks("loss")
    if losses:
        failed = first_failure(losses)
        picked = [losses[0], *([failed] if failed is not None else []), losses[-1]]
        rows += [(x.label, x) for i, x in enumerate(picked) if x not in picked[:i]]
    weights = c.stage_checks("weights")
    if c.kind == "trajectory" and weights:
        failed = first_failure(weights)
        shown = (failed or weights[-1]).label.split()[1]
        weights = [x for x in weights if x.label.split()[1] == shown]
    rows += [(x.label, x) for x in weights]
    return rows + [(x.label, x) for x in c.stage_checks("predictions")]


def render_table(c: Comparison) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("stage")
    table.add_column("check")
    for header in ("yours", "reference", "|difference|", "allowed"):
        table.add_column(header, justify="right")
    table.add_column("result")
    for label, check in table_rows(c):
        table.add_row(
            check.stage,
            label,
            check.text if check.text is not None else _number(check.yours),
            _number(check.reference),
            _small(check.difference),
            _small(check.limit),
            "agree" if check.agrees else "DIFFERS",
        )
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None, highlight=False).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")


def summary(c: Comparison) -> list[str]:
    """What each stage compared, in counts."""
    lines = []
    for stage in ("forward", "loss", "weights", "predictions"):
        checks = c.stage_checks(stage)
        if checks:
            agree = sum(x.agrees for x in checks)
            lines.append(f"{stage}: {agree} of {len(checks)} agree")
    if c.kind == "implementation" and not c.logged:
        lines.append("loss: not compared: train printed no 'Epoch N loss: X' lines")
    return lines


# --- files ----------------------------------------------------------------------------------------


def _plain(x: float) -> float | None:
    return x if math.isfinite(x) else None


def report(c: Comparison) -> dict[str, Any]:
    """Everything as JSON data; numbers that are not finite become null."""
    s = c.settings
    run = c.reference
    return {
        "source": c.source,
        "kind": c.kind,
        "agrees": c.agrees,
        "stage": c.stage,
        "epoch": c.epoch,
        "verdict": c.verdict,
        "settings": {
            "lr": s.lr,
            "epochs": s.epochs if c.kind == "implementation" else len(run.loss),
            "points": s.points,
            "seed": s.seed,
            "tolerance": s.tolerance,
            "forward_tolerance": s.forward_tolerance,
            "abs_floor": s.abs_floor,
            "agree_when": "|yours - reference| <= max(tol * max(|reference|, abs_floor), resolution / 2)",
        },
        "initial": c.initial,
        "final": c.final,
        "loss_trace_compared": bool(c.stage_checks("loss")),
        "loss_trace": [
            {"epoch": e.epoch, "loss": _plain(e.loss), "text": e.text, "resolution": e.resolution}
            for e in c.logged
        ],
        "beyond_reference": c.beyond,
        "reference": {
            "loss": [_plain(float(x)) for x in run.loss],
            "weights": {str(epoch): values for epoch, values in sorted(run.weights.items())},
            "final": run.final,
            "predictions": {"Emily": float(run.predictions[0]), "Frank": float(run.predictions[1])},
        },
        "checks": [
            {
                "stage": x.stage,
                "label": x.label,
                "yours": _plain(x.yours),
                "text": x.text,
                "reference": _plain(x.reference),
                "difference": _plain(x.difference),
                "allowed": x.limit,
                "agrees": x.agrees,
            }
            for x in c.checks
        ],
        "printed_lines": {part: len(text.splitlines()) for part, text in c.output.items()},
    }


def printed(c: Comparison) -> str:
    """What the implementation printed, part by part."""
    parts = []
    for part, text in c.output.items():
        parts.append(f"--- {part} ---\n{text}" + ("" if not text or text.endswith("\n") else "\n"))
    return "".join(parts)


# --- the app ----------------------------------------------------------------------------------------


class DisagreesError(Exception):
    """The implementation disagrees (exit status 1); the table and report say where."""


def run(cfg: DictConfig, output_dir: Path) -> Comparison:
    validate_compare(cfg)
    from net221.checks.compare import compare_implementation, compare_trajectory, counted
    from net221.checks.implementation import ImplementationError
    from net221.checks.stages import Settings

    settings = Settings(
        lr=cfg.lr,
        epochs=cfg.epochs,
        points=cfg.points,
        seed=cfg.seed,
        tolerance=cfg.tolerance,
        forward_tolerance=cfg.forward_tolerance,
        abs_floor=cfg.abs_floor,
    )
    if cfg.impl is not None:
        log.info(f"Implementation: {cfg.impl}")
        try:
            c = compare_implementation(str(cfg.impl).strip(), settings, cfg.timeout)
        except ImplementationError as error:
            raise ImplementationError(f"impl={error}") from error
        log.info(f"Initial values: {', '.join(f'{k}={v:.6g}' for k, v in c.initial.items())}")
        log.info(
            "Reference: Net221 (float64) from those values, per-sample SGD, "
            f"lr={cfg.lr:g}, {counted(cfg.epochs, 'epoch')}"
        )
    else:
        log.info(f"Trajectory: {cfg.trajectory}")
        c = compare_trajectory(Path(str(cfg.trajectory).strip()), settings)
        log.info(
            f"Reference: Net221 (float64) from its initial values, per-sample SGD, lr={cfg.lr:g}, "
            f"{counted(len(c.reference.loss), 'epoch')}"
        )
    for line in [*render_table(c).splitlines(), *summary(c)]:
        log.info(line)
    log.info(("AGREE: " if c.agrees else "DISAGREE: ") + c.verdict)

    output_dir.mkdir(parents=True, exist_ok=True)
    if c.output:
        (output_dir / "output.txt").write_text(printed(c))
    path = output_dir / cfg.report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report(c), indent=2, allow_nan=False) + "\n")
    log.info(f"Report: {shown_path(path)}")
    figure = output_dir / cfg.figure
    figure.parent.mkdir(parents=True, exist_ok=True)
    draw(figure, c)
    log.info(f"Figure: {shown_path(figure)}")
    return c


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="compare")
def _task(cfg: DictConfig) -> int:
    try:
        c = run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except UserError as error:
        fail_job(PROG, error)
        raise
    if not c.agrees:
        if HydraConfig.get().mode == RunMode.RUN:
            raise SystemExit(EXIT_DISAGREES)
        raise DisagreesError(c.verdict)  # a job of a sweep: the sweep goes on
    return 0


def main() -> None:
    try:  # run_app also answers --version
        run_app(_task, PROG)
    except DisagreesError:
        raise SystemExit(EXIT_DISAGREES) from None


if __name__ == "__main__":
    main()
