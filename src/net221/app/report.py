"""net221-report: one table and one plot for a multirun (sweep) directory.

Layer: app.

    net221-report dir=multirun/2026-11-27/10-00-00 [csv=FILE] [plot=FILE]

prints a markdown table (one row per job: the swept values, the final loss and
accuracy, the convergence rate of ensembles, the status; long numbers such as an
Optuna trial's learning rate to 4 significant digits), writes it with every
digit as report.csv, and draws report.png (`plots.sweep_figure`): the final loss,
validation loss or convergence rate against a swept value, seeds as the spread.
Jobs that failed or have not finished are listed with their status; they never
stop the report.
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
from net221.app.process import fail, run_app
from net221.app.sweep_log import shown_value
from net221.errors import UserError

PROG = "net221-report"


@dataclass
class Job:
    name: str
    overrides: dict[str, str]
    status: str = "ok"
    metrics: dict[str, Any] = field(default_factory=dict)


def _read_overrides(path: Path) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        item = line.strip()
        if not item.startswith("- "):
            continue
        item = item[2:].strip().strip("'\"")
        key, _, value = item.partition("=")
        overrides[key.lstrip("+~")] = value
    return overrides


def _job_number(path: Path) -> tuple[int, str]:
    return (int(path.name), path.name) if path.name.isdigit() else (1 << 30, path.name)


def read_jobs(sweep_dir: Path) -> list[Job]:
    if not sweep_dir.is_dir():
        raise UserError(f"{sweep_dir}: no such directory")
    job_dirs = sorted((p.parent.parent for p in sweep_dir.glob("*/.hydra/overrides.yaml")), key=_job_number)
    if not job_dirs:
        raise UserError(f"{sweep_dir}: no jobs found (expected job directories with .hydra/overrides.yaml)")
    jobs = []
    for job_dir in job_dirs:
        job = Job(job_dir.name, _read_overrides(job_dir / ".hydra" / "overrides.yaml"))
        summary_path = job_dir / "summary.json"
        error_path = job_dir / "error.txt"
        if summary_path.is_file():
            try:
                summary = json.loads(summary_path.read_bytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, OSError):
                job.status = "failed: unreadable summary.json"
            else:
                if isinstance(summary, dict):
                    job.metrics = _metrics(summary)
                else:
                    job.status = "failed: summary.json is not a JSON object"
        elif error_path.is_file():
            job.status = "failed: " + error_path.read_text(errors="replace").strip()
        else:
            job.status = "failed: no summary.json (did not finish)"
        jobs.append(job)
    return jobs


def _metrics(summary: dict[str, Any]) -> dict[str, Any]:
    metrics = {
        "final_loss": summary.get("final_loss"),
        "final_accuracy": summary.get("final_accuracy"),
    }
    if "final_val_loss" in summary:
        metrics["final_val_loss"] = summary["final_val_loss"]
        metrics["final_val_accuracy"] = summary.get("final_val_accuracy")
    ensemble = summary.get("ensemble")
    if isinstance(ensemble, dict):
        metrics["convergence_rate"] = ensemble.get("convergence_rate")
    metrics["wall_time_s"] = summary.get("wall_time_s")
    return metrics


def swept_keys(jobs: list[Job]) -> list[str]:
    """Override keys whose values differ between jobs (every key, for a single job)."""
    keys: list[str] = []
    for job in jobs:
        keys.extend(key for key in job.overrides if key not in keys)
    if len(jobs) == 1:
        return keys
    return [key for key in keys if len({job.overrides.get(key) for job in jobs}) > 1]


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(jobs: list[Job], keys: list[str]) -> tuple[list[str], list[list[str]]]:
    metric_names: list[str] = []
    for job in jobs:
        metric_names.extend(name for name in job.metrics if name not in metric_names)
    header = ["job", *keys, *metric_names, "status"]
    rows = [
        [
            job.name,
            *(job.overrides.get(key, "") for key in keys),
            *(_format(job.metrics.get(m)) for m in metric_names),
            job.status,
        ]
        for job in jobs
    ]
    return header, rows


def markdown(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join(
        [line(header), "|" + "|".join("---" for _ in header) + "|", *(line(row) for row in rows)]
    )


def _loss_name(job_dir: Path) -> str | None:
    """The loss a job minimized (its config's loss._target_: MSELoss, BCELoss), for the plot."""
    from omegaconf import OmegaConf

    try:
        target = OmegaConf.load(job_dir / ".hydra" / "config.yaml").loss._target_
    except Exception:  # missing, unreadable, no loss: the plot then does not tell losses apart
        return None
    return str(target).rsplit(".", 1)[-1]


def plot(jobs: list[Job], keys: list[str], path: Path, sweep_dir: Path | None = None) -> Any:
    """report.png (`plots.sweep_figure`): the figure, or None if there is nothing to plot."""
    from net221.app.plots import sweep_figure

    finished = [
        (job.overrides, job.metrics, None if sweep_dir is None else _loss_name(sweep_dir / job.name))
        for job in jobs
        if job.status == "ok"
    ]
    optuna = sweep_dir is not None and (sweep_dir / "optimization_results.yaml").is_file()
    return sweep_figure(path, finished, keys, optuna)


def report(sweep_dir: Path, csv_path: Path, png_path: Path) -> str:
    jobs = read_jobs(sweep_dir)
    keys = swept_keys(jobs)
    header, rows = table(jobs, keys)
    with atomic(csv_path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    with atomic(png_path) as temporary:  # whole or not at all (a full disk)
        plotted = plot(jobs, keys, temporary, sweep_dir) is not None
    failed = sum(job.status != "ok" for job in jobs)
    shown = [[shown_value(cell) for cell in row] for row in rows]  # report.csv keeps every digit
    lines = [markdown(header, shown), "", f"{len(jobs)} job(s), {failed} failed. Table: {csv_path}"]
    if plotted:
        lines[-1] += f"; plot: {png_path}"
    return "\n".join(lines)


@dataclass
class ReportConfig:
    dir: str = MISSING  # the multirun directory (holding 0/, 1/, ...)
    csv: str | None = None  # the table (default: DIR/report.csv)
    plot: str | None = None  # the plot (default: DIR/report.png)


ConfigStore.instance().store(name="report_schema", node=ReportConfig)


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="report")
def _task(cfg: DictConfig) -> None:
    try:
        if OmegaConf.is_missing(cfg, "dir"):
            raise UserError("dir=PATH is required: a sweep's directory, such as multirun/DATE/TIME")
        sweep_dir = Path(cfg.dir)
        csv_path = sweep_dir / "report.csv" if cfg.csv is None else Path(cfg.csv)
        text = report(sweep_dir, csv_path, sweep_dir / "report.png" if cfg.plot is None else Path(cfg.plot))
    except UserError as error:  # here, before Hydra would log it as a failed job
        fail(PROG, str(error))
    except OSError as error:
        fail(PROG, f"{error.filename or cfg.dir}: {error.strerror or error}")
    with contextlib.suppress(BrokenPipeError):  # the reader went away (`| head -1`)
        print(text, flush=True)


def main() -> None:
    run_app(_task, PROG)


if __name__ == "__main__":
    main()
