"""net221-report: one table and one plot for a multirun (sweep) directory.

Layer: app.

    net221-report multirun/2026-11-27/10-00-00

prints a markdown table (one row per job: the swept values, the final loss and
accuracy, the convergence rate of ensembles, the status), writes it as
report.csv, and plots the final loss (or, for ensembles, the convergence rate)
against the first numeric swept value as report.png, one line per combination
of the other swept values. Jobs that failed or have not finished are listed
with their status; they never stop the report.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from net221.app.cli import fail, tolerate_closed_output
from net221.atomic import atomic
from net221.errors import UserError

PROG = "net221-report"
# Swept keys tried first for the x axis, in order.
PREFERRED_X = ("optimizer.lr", "model.width", "trainer.members", "trainer.batch_size")


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


def _as_number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


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


def plot(jobs: list[Job], keys: list[str], path: Path) -> bool:
    """report.png: the y metric against the first numeric swept key; False if nothing to plot."""
    numeric = [key for key in keys if all(_as_number(job.overrides.get(key)) is not None for job in jobs)]
    if not numeric:
        return False
    x_key = next((key for key in PREFERRED_X if key in numeric), numeric[0])
    finished = [job for job in jobs if job.status == "ok"]
    y_name = (
        "convergence_rate" if any("convergence_rate" in job.metrics for job in finished) else "final_loss"
    )
    others = [key for key in keys if key != x_key]
    lines: dict[str, list[tuple[float, float]]] = {}
    for job in finished:
        x = _as_number(job.overrides.get(x_key))
        y = job.metrics.get(y_name)
        if x is None or not isinstance(y, int | float):
            continue
        label = ", ".join(f"{key}={job.overrides.get(key, '')}" for key in others)
        lines.setdefault(label, []).append((x, float(y)))
    if not lines:
        return False
    from net221.app import plots

    with atomic(path) as temporary:  # whole or not at all (a full disk)
        plots.sweep_plot(temporary, x_key, y_name, lines)
    return True


def report(sweep_dir: Path, csv_path: Path, png_path: Path) -> str:
    jobs = read_jobs(sweep_dir)
    keys = swept_keys(jobs)
    header, rows = table(jobs, keys)
    with atomic(csv_path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    plotted = plot(jobs, keys, png_path)
    failed = sum(job.status != "ok" for job in jobs)
    lines = [markdown(header, rows), "", f"{len(jobs)} job(s), {failed} failed. Table: {csv_path}"]
    if plotted:
        lines[-1] += f"; plot: {png_path}"
    return "\n".join(lines)


@tolerate_closed_output
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=PROG, description="Summarize a net221 multirun directory.")
    parser.add_argument("sweep_dir", type=Path, help="the multirun directory (holding 0/, 1/, ...)")
    parser.add_argument("--csv", type=Path, default=None, help="table file (default SWEEP_DIR/report.csv)")
    parser.add_argument("--plot", type=Path, default=None, help="plot file (default SWEEP_DIR/report.png)")
    args = parser.parse_args(argv)
    sweep_dir: Path = args.sweep_dir
    try:
        print(report(sweep_dir, args.csv or sweep_dir / "report.csv", args.plot or sweep_dir / "report.png"))
    except UserError as error:
        fail(PROG, str(error))
    except OSError as error:
        fail(PROG, f"{error.filename or sweep_dir}: {error.strerror or error}")


if __name__ == "__main__":
    main()
