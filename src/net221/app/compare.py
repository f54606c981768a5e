"""net221-compare: the command line of net221.checks.compare (docs/compare.md): the table and the
verdict, compare.json, compare.png and output.txt (what the implementation printed) in the run
directory; the job and exit pattern are net221-gradcheck's."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import hydra
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from net221.app.gradcheck import check_job, check_main, write_report
from net221.app.outputs import atomic
from net221.app.plots import check_format
from net221.app.process import shown_path
from net221.checks import report
from net221.checks.compare import Comparison, Settings, compare_implementation, compare_trajectory
from net221.checks.usernetwork import ImplementationError
from net221.errors import ConfigValueError

PROG = "net221-compare"
log = logging.getLogger("net221")

CompareConfig = dataclasses.make_dataclass(
    "CompareConfig",
    [
        ("impl", str | None, None),  # path/to/network.py:ClassName or package.module:ClassName
        ("trajectory", str | None, None),  # a trajectory file (CSV) written in any language
        *report.schema_fields(Settings),
        ("report", str, "compare.json"),  # in the run's output directory
        ("figure", str, "compare.png"),
    ],
)


def register_schema() -> None:
    ConfigStore.instance().store(name="compare_schema", node=CompareConfig)


def settings(cfg: DictConfig) -> Settings:
    """The comparison's settings from the composed config; ConfigValueError (one line) for a bad value."""
    given = [key for key in ("impl", "trajectory") if cfg[key] is not None and str(cfg[key]).strip()]
    if len(given) != 1:
        raise ConfigValueError(
            "give exactly one of impl=path/to/network.py:ClassName or trajectory=path/to/run.csv"
            + (f" (got {' and '.join(given)})" if given else "")
        )
    for key in ("report", "figure"):
        if not str(cfg[key]).strip():
            raise ConfigValueError(f"{key}={cfg[key]!r}: needs a file name")
    check_format(Path(str(cfg.figure)), "figure")
    return Settings(**{f.name: cfg[f.name] for f in dataclasses.fields(Settings)})


def run(cfg: DictConfig, output_dir: Path) -> Comparison:
    """Compare, log the table and the verdict, write the report, the figure and the output."""
    s = settings(cfg)
    if cfg.impl is not None:
        log.info(f"Implementation: {cfg.impl}")
        try:
            c = compare_implementation(str(cfg.impl), s)
        except ImplementationError as error:
            raise ImplementationError(f"impl={error}") from error
        for line in [*c.notes, f"Initial values: {', '.join(f'{k}={v:.6g}' for k, v in c.initial.items())}"]:
            log.info(line)
    else:
        log.info(f"Trajectory: {cfg.trajectory}")
        c = compare_trajectory(Path(str(cfg.trajectory).strip()), s)
    log.info(
        f"Reference: the blog's network in float64 from {'those' if c.kind == 'implementation' else 'its initial'} "
        f"values, per-sample SGD, lr={s.lr:g}, {report.counted(len(c.reference.loss), 'epoch')}"
    )
    for line in [*report.compare_table(c).splitlines(), *report.compare_summary(c)]:
        log.info(line)
    output_dir.mkdir(parents=True, exist_ok=True)
    if c.output:  # what the implementation printed, part by part
        parts = [
            f"--- {part} ---\n{text}" + ("" if not text or text.endswith("\n") else "\n")
            for part, text in c.output.items()
        ]
        with atomic(output_dir / "output.txt") as temporary:  # whole or not at all, as the report
            temporary.write_text("".join(parts))
    figure_path = output_dir / cfg.figure
    figure_path.parent.mkdir(parents=True, exist_ok=True)  # before the report: both places, or neither
    write_report(output_dir / cfg.report, report.compare_report(c))
    from net221.app.plots import compare_figure  # matplotlib: only when a figure is drawn

    with atomic(figure_path) as temporary:
        compare_figure(temporary, c)
    log.info(f"Figure: {shown_path(figure_path)}")
    return c


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="compare")
def _task(cfg: DictConfig) -> int:
    return check_job(PROG, lambda output_dir: run(cfg, output_dir), lambda c: None if c.agrees else c.verdict)


def main() -> None:
    register_schema()
    check_main(_task, PROG)


if __name__ == "__main__":
    main()
