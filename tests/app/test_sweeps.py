"""Sweeps through real launchers and sweepers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_in_process

QUICK = ["trainer.epochs=30", "trainer.log_every=10"]
# Each job's train.log lines start with the id of the process that ran the job. The launcher
# tests run net221-train in this process (its own start-up proves nothing here); the jobs must not.
PID_IN_LOG = "hydra.job_logging.formatters.stamped.format='pid=%(process)d %(message)s'"


def assert_jobs_finished(sweep: Path, count: int) -> list[dict[str, object]]:
    summaries = [json.loads((sweep / str(i) / "summary.json").read_text()) for i in range(count)]
    for i in range(count):
        for name in ("checkpoint.pt", "metrics.csv", "loss.png", ".hydra/overrides.yaml"):
            assert (sweep / str(i) / name).is_file(), (i, name)
    return summaries


def job_process(job_dir: Path) -> int:
    """The id of the process that ran a job, from its train.log (PID_IN_LOG)."""
    lines = (job_dir / "train.log").read_text().splitlines()
    (pid,) = {line.split()[0].removeprefix("pid=") for line in lines if line.startswith("pid=")}
    return int(pid)


def test_joblib_launcher_runs_jobs_in_parallel_processes(tmp_path: Path) -> None:
    pytest.importorskip(
        "hydra_plugins.hydra_joblib_launcher", reason="the optional [sweeps] extra is not installed"
    )
    from joblib.externals.loky import get_reusable_executor

    sweep = tmp_path / "sweep"
    try:
        result = run_in_process(
            "net221-train", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "optimizer.lr=0.1,1.0",
            *QUICK, PID_IN_LOG, f"hydra.sweep.dir={sweep}", cwd=tmp_path,
        )  # fmt: skip
    finally:  # joblib keeps its workers for the next sweep; none comes in this process
        get_reusable_executor(reuse=True).shutdown(wait=True)
    assert result.returncode == 0, result.stderr
    assert "Joblib.Parallel(n_jobs=2" in result.stdout + result.stderr
    summaries = assert_jobs_finished(sweep, 2)
    assert summaries[0]["final_loss"] != summaries[1]["final_loss"]
    # two worker processes, one job each: neither job ran in this process
    workers = {job_process(sweep / "0"), job_process(sweep / "1")}
    assert len(workers) == 2 and os.getpid() not in workers, workers


def test_submitit_local_launcher(tmp_path: Path) -> None:
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher", reason="the optional [sweeps] extra is not installed"
    )
    sweep = tmp_path / "sweep"
    result = run_in_process(
        "net221-train", "-m", "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10",
        "optimizer.lr=0.5", *QUICK, PID_IN_LOG, f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_jobs_finished(sweep, 1)  # one job proves the launcher; joblib's test proves parallel jobs
    # submitit's own records of the job, which ran in a process that submitit started
    (result_file,) = sweep.glob(".submitit/*/*_result.pkl")
    (job_log,) = result_file.parent.glob("*_log.out")
    assert "Exiting after successful completion" in job_log.read_text()
    assert job_process(sweep / "0") != os.getpid()


def test_optuna_search_with_two_trials(tmp_path: Path) -> None:
    pytest.importorskip(
        "hydra_plugins.hydra_optuna_sweeper", reason="the optional [optuna] extra is not installed"
    )
    sweep = tmp_path / "sweep"
    result = run_in_process(
        "net221-train", "hparams_search=optuna", "experiment=penguins", "hydra.sweeper.n_trials=2",
        "trainer.epochs=20", f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # one line per trial and the best one; no plugin set-up lines (Optuna prints its own as it does)
    output = result.stdout + result.stderr
    for chatter in ("setup plugin",):
        assert chatter not in output, chatter
    trials = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert [line[:3] for line in trials] == ["#0 ", "#1 "] and "validation loss" in trials[0]
    assert "Best value: " in result.stdout
    summaries = assert_jobs_finished(sweep, 2)
    results = (sweep / "optimization_results.yaml").read_text()
    losses = [float(s["final_val_loss"]) for s in summaries]  # type: ignore[arg-type]
    assert losses[0] != losses[1]  # so that the best is one trial's, not both
    assert f"best_value: {min(losses)}" in results
    assert "optimizer.lr" in results and "model.width" in results


def test_the_slurm_launcher_config_composes(tmp_path: Path) -> None:
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher", reason="the optional [sweeps] extra is not installed"
    )
    from hydra import compose, initialize_config_module

    from net221.app.config import register_schemas

    register_schemas()
    overrides = [
        "hydra/launcher=submitit_slurm", "hydra.launcher.partition=cpu", "hydra.launcher.timeout_min=30",
        "hydra.launcher.cpus_per_task=2", "hydra.launcher.array_parallelism=64", "optimizer.lr=0.1",
        f"hydra.sweep.dir={tmp_path}",
    ]  # fmt: skip
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides, return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.timeout_min, launcher.cpus_per_task, launcher.array_parallelism) == (
        "cpu",
        30,
        2,
        64,
    )
    assert launcher.submitit_folder.endswith("/.submitit/%j")
