"""net221-report dir=SWEEP [csv=FILE] [plot=FILE]: a sweep's (multirun's) table and plot.

Layer: app. Prints a markdown table (a row per job: swept values, final metrics, status; long
numbers to 4 significant digits), writes it with every digit as report.csv and draws report.png
(`plots.sweep_figure`). Jobs that failed or did not finish are listed with their status.
"""

from __future__ import annotations

import contextlib
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from net221.app.outputs import atomic
from net221.app.plots import check_format
from net221.app.process import fail, run_app
from net221.app.sweep_log import shown_value
from net221.errors import UserError

PROG = "net221-report"


@dataclass
class ReportConfig:
    dir: str = MISSING  # the multirun directory (holding 0/, 1/, ...)
    csv: str | None = None  # the table (default: DIR/report.csv)
    plot: str | None = None  # the plot (default: DIR/report.png)


@dataclass
class Job:
    name: str
    overrides: dict[str, str]
    status: str = "ok"
    metrics: dict[str, Any] = field(default_factory=dict)
    damaged: bool = False  # its summary.json is unreadable or not a JSON object


def _read_overrides(path: Path) -> dict[str, str]:
    """Hydra's .hydra/overrides.yaml (`- key=value` lines) as {key: value}, keys without + or ~."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    items = (line[2:].strip().strip("'\"").partition("=") for line in lines if line.startswith("- "))
    return {key.lstrip("+~"): value for key, _, value in items}


def read_jobs(sweep_dir: Path) -> list[Job]:
    if not sweep_dir.is_dir():
        raise UserError(f"{sweep_dir}: no such directory")
    job_dirs = sorted(
        (p.parent.parent for p in sweep_dir.glob("*/.hydra/overrides.yaml")),
        key=lambda d: (int(d.name), "") if d.name.isdigit() else (1 << 30, d.name),
    )
    if not job_dirs:
        raise UserError(f"{sweep_dir}: no jobs found (expected job directories with .hydra/overrides.yaml)")
    jobs = []
    for job_dir in job_dirs:
        job = Job(job_dir.name, _read_overrides(job_dir / ".hydra" / "overrides.yaml"))
        jobs.append(job)
        if (job_dir / "error.txt").is_file():  # its last run failed (a refused one keeps an earlier summary)
            job.status = "failed: " + (job_dir / "error.txt").read_text(errors="replace").strip()
            continue
        if not (job_dir / "summary.json").is_file():
            job.status = "failed: no summary.json (did not finish)"
            continue
        try:
            summary = json.loads((job_dir / "summary.json").read_text(encoding="utf-8"))
        except (ValueError, OSError):  # not UTF-8, not JSON
            job.status, job.damaged = "failed: unreadable summary.json", True
            continue
        if not isinstance(summary, dict):
            job.status, job.damaged = "failed: summary.json is not a JSON object", True
            continue
        names = ["final_loss", "final_accuracy"]
        names += ["final_val_loss", "final_val_accuracy"] if "final_val_loss" in summary else []
        job.metrics = {name: summary.get(name) for name in names}
        if isinstance(summary.get("ensemble"), dict):
            job.metrics["convergence_rate"] = summary["ensemble"].get("convergence_rate")
        job.metrics["wall_time_s"] = summary.get("wall_time_s")
    return jobs


def swept_keys(jobs: list[Job]) -> list[str]:
    """Override keys whose values differ between jobs (every key, for a single job)."""
    keys = dict.fromkeys(key for job in jobs for key in job.overrides)
    return [key for key in keys if len(jobs) == 1 or len({job.overrides.get(key) for job in jobs}) > 1]


def table(jobs: list[Job], keys: list[str]) -> tuple[list[str], list[list[str]]]:
    """The header and a row per job: its name, swept values, metrics (4 significant digits) and status."""
    metrics = list(dict.fromkeys(name for job in jobs for name in job.metrics))
    rows = [
        [
            job.name,
            *(job.overrides.get(key, "") for key in keys),
            *(_cell(job.metrics.get(name)) for name in metrics),
            job.status,
        ]
        for job in jobs
    ]
    return ["job", *keys, *metrics, "status"], rows


def _cell(value: Any) -> str:
    return "" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def markdown(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join(
        [line(header), "|" + "|".join("---" for _ in header) + "|", *(line(row) for row in rows)]
    )


def _loss_name(job_dir: Path) -> str | None:
    """The loss a job minimized (its config's loss._target_: MSELoss, BCELoss), for the plot."""
    try:
        target = OmegaConf.load(job_dir / ".hydra" / "config.yaml").loss._target_
    except Exception:  # missing, unreadable, no loss: the plot then does not tell losses apart
        return None
    return str(target).rsplit(".", 1)[-1]


def plot(jobs: list[Job], keys: list[str], path: Path, sweep_dir: Path) -> Any:
    """report.png (`plots.sweep_figure`): the figure, or None if there is nothing to plot."""
    from net221.app.plots import sweep_figure

    finished = [
        (job.overrides, job.metrics, _loss_name(sweep_dir / job.name)) for job in jobs if job.status == "ok"
    ]
    return sweep_figure(path, finished, keys, optuna=(sweep_dir / "optimization_results.yaml").is_file())


def report(sweep_dir: Path, csv_path: Path, png_path: Path) -> tuple[str, str | None]:
    """Write the table and the plot; return the markdown table with a line that counts the jobs, and
    one line naming the jobs whose summary.json is damaged, if any (every other job is reported)."""
    jobs = read_jobs(sweep_dir)
    keys = swept_keys(jobs)
    header, rows = table(jobs, keys)
    with atomic(csv_path) as temporary, temporary.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    with atomic(png_path) as temporary:  # whole or not at all (a full disk)
        plotted = plot(jobs, keys, temporary, sweep_dir) is not None
    failed = sum(job.status != "ok" for job in jobs)
    shown = [[shown_value(cell) for cell in row] for row in rows]  # report.csv keeps every digit
    counts = f"{len(jobs)} job(s), {failed} failed. Table: {csv_path}" + (
        f"; plot: {png_path}" if plotted else ""
    )
    damaged = [str(sweep_dir / job.name / "summary.json") for job in jobs if job.damaged]
    bad = f"damaged summary.json (not a readable JSON object): {', '.join(damaged)}" if damaged else None
    return f"{markdown(header, shown)}\n\n{counts}", bad


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="report")
def _task(cfg: DictConfig) -> None:
    try:
        if OmegaConf.is_missing(cfg, "dir"):
            raise UserError("dir=PATH is required: a sweep's directory, such as multirun/DATE/TIME")
        sweep_dir = Path(cfg.dir)
        csv_path = sweep_dir / "report.csv" if cfg.csv is None else Path(cfg.csv)
        png_path = sweep_dir / "report.png" if cfg.plot is None else Path(cfg.plot)
        check_format(png_path, "plot")
        text, bad = report(sweep_dir, csv_path, png_path)
    except UserError as error:  # here, before Hydra would report a failed job
        fail(PROG, str(error))
    except OSError as error:
        fail(PROG, f"{error.filename or cfg.dir}: {error.strerror or error}")
    with contextlib.suppress(BrokenPipeError):  # the reader went away (`| head -1`)
        print(text, flush=True)
    if bad is not None:
        fail(PROG, bad)


def main() -> None:
    ConfigStore.instance().store(name="report_schema", node=ReportConfig)
    run_app(_task, PROG)


if __name__ == "__main__":
    main()
