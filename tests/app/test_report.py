"""net221-report in-process: the table's numbers, the plot's choice, help and version."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from net221 import __version__
from net221.app.report import plot, read_jobs, report, swept_keys

from conftest import assert_help_begins, assert_one_line_error, run_in_process


def make_job(sweep: Path, number: int, overrides: list[str], summary: dict[str, object]) -> None:
    job = sweep / str(number)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("".join(f"- {item}\n" for item in overrides))
    (job / ".hydra" / "config.yaml").write_text("loss:\n  _target_: torch.nn.BCELoss\n")
    (job / "summary.json").write_text(json.dumps(summary))


@pytest.fixture
def optuna_sweep(tmp_path: Path) -> Path:
    trials = [("0.08096384026619578", "1", 0.5795), ("0.17613763016070647", "4", 0.3258)]
    for number, (lr, width, val_loss) in enumerate(trials):
        summary = {"final_loss": 0.3, "final_accuracy": 0.9, "final_val_loss": val_loss}
        make_job(tmp_path, number, [f"optimizer.lr={lr}", f"model.width={width}"], summary)
    (tmp_path / "optimization_results.yaml").write_text("name: optuna\nbest_value: 0.3258\n")
    return tmp_path


def test_the_table_shows_long_numbers_to_4_digits_and_the_csv_keeps_them(optuna_sweep: Path) -> None:
    text, damaged = report(optuna_sweep, optuna_sweep / "report.csv", optuna_sweep / "report.png")
    assert damaged is None
    rows = [line for line in text.splitlines() if line.startswith("| 0 ")]
    assert rows == ["| 0 | 0.08096 | 1 | 0.3 | 0.9 | 0.5795 |  |  | ok |"]
    with (optuna_sweep / "report.csv").open() as handle:
        assert next(csv.DictReader(handle))["optimizer.lr"] == "0.08096384026619578"


def test_the_plot_of_an_optuna_search_shows_the_validation_loss(optuna_sweep: Path) -> None:
    jobs = read_jobs(optuna_sweep)
    figure = plot(jobs, swept_keys(jobs), optuna_sweep / "report.png", optuna_sweep)
    assert figure.axes[0].get_ylabel() == "final validation loss, BCELoss"  # the loss from .hydra/config.yaml


def test_help_starts_with_what_it_does_and_version(tmp_path: Path) -> None:
    example = "  net221-report dir=multirun/2026-11-27/10-00-00"
    result = run_in_process("net221-report", "--help", cwd=tmp_path)
    assert_help_begins(result, "net221-report: a table and a plot of a sweep (multirun) directory", example)
    assert f"{example}\n" in result.stdout.split("Usage:")[0]  # an example first
    assert run_in_process("net221-report", "--version", cwd=tmp_path).stdout == f"net221 {__version__}\n"


def test_key_value_arguments_choose_the_files(optuna_sweep: Path, tmp_path: Path) -> None:
    result = run_in_process(
        "net221-report", f"dir={optuna_sweep}", "csv=table.csv", "plot=figure.png", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2 job(s), 0 failed. Table: table.csv; plot: figure.png"
    with (tmp_path / "table.csv").open() as handle:
        assert [row["model.width"] for row in csv.DictReader(handle)] == ["1", "4"]
    assert (tmp_path / "figure.png").read_bytes().startswith(b"\x89PNG")
    assert not (optuna_sweep / "report.csv").exists()
    # the plot's name is checked before any file is written
    for name in ("figure", "f.xyz", "f.pgf"):  # pgf: matplotlib writes it only where LaTeX is installed
        refused = run_in_process(
            "net221-report", f"dir={optuna_sweep}", "csv=t2.csv", f"plot={name}", cwd=tmp_path
        )
        assert_one_line_error(
            refused, "net221-report", f"plot={name}: the file name must end in a figure format ("
        )
        assert ".pdf, " in refused.stderr and ".png, " in refused.stderr
    assert not (tmp_path / "t2.csv").exists()
    svg = run_in_process("net221-report", f"dir={optuna_sweep}", "plot=f.svg", cwd=tmp_path)
    assert svg.returncode == 0, svg.stderr
    assert (tmp_path / "f.svg").read_text().startswith("<?xml")


def test_a_missing_or_empty_directory_is_one_line(tmp_path: Path) -> None:
    assert_one_line_error(
        run_in_process("net221-report", cwd=tmp_path), "net221-report", "dir=PATH is required"
    )
    missing = run_in_process("net221-report", "dir=nowhere", cwd=tmp_path)
    assert_one_line_error(missing, "net221-report", "nowhere: no such directory")
    empty = run_in_process("net221-report", f"dir={tmp_path}", cwd=tmp_path)
    assert_one_line_error(empty, "net221-report", "no jobs found")


def test_a_job_whose_last_run_failed_is_failed_whatever_an_earlier_run_left(tmp_path: Path) -> None:
    make_job(tmp_path, 0, ["trainer.seed=1"], {"final_loss": 0.1, "final_accuracy": 1.0})
    make_job(tmp_path, 1, ["trainer.seed=-5"], {"final_loss": 0.2, "final_accuracy": 1.0})
    (tmp_path / "1" / "error.txt").write_text("trainer.seed=-5: must lie in [0, 2^63)\n")  # refused
    jobs = read_jobs(tmp_path)
    assert [job.status for job in jobs] == ["ok", "failed: trainer.seed=-5: must lie in [0, 2^63)"]
    assert jobs[1].metrics == {}
