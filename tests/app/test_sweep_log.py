"""What a sweep prints: one line per job (Hydra's own lines as Hydra prints them)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.types import RunMode
from omegaconf import OmegaConf, open_dict

from net221.app.config import register_schemas
from net221.app.sweep_log import JOB_LINE, JobConsole, describe_result, shown_value


def record(
    message: str, level: int = logging.INFO, name: str = "net221", **extra: object
) -> logging.LogRecord:
    entry = logging.LogRecord(name, level, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


EPOCH = record("Epoch 10 loss: 0.246")
WARNING = record("The loss did not go down", logging.WARNING)
RESULT = record("#0 optimizer.lr=0.1: final loss 0.002, accuracy 1.000 (multirun/0)", **{JOB_LINE: True})


def test_a_sweeps_job_shows_only_its_result_line_and_warnings() -> None:
    quiet = JobConsole(RunMode.MULTIRUN, False, ["optimizer.lr=0.1", "trainer.seed=0"])
    assert [quiet.filter(r) for r in (EPOCH, WARNING, RESULT)] == [False, True, True]


@pytest.mark.parametrize(
    ("mode", "verbose", "overrides"),
    [
        (RunMode.RUN, False, []),  # a single run shows its whole log
        (RunMode.MULTIRUN, True, ["optimizer.lr=0.1"]),  # hydra.verbose=true
        (RunMode.MULTIRUN, "net221", ["optimizer.lr=0.1"]),  # hydra.verbose=net221
        (RunMode.MULTIRUN, False, ["optimizer.lr=0.1", "trainer.log_every=100"]),
        (RunMode.MULTIRUN, False, ["+trainer.log_every=100"]),
    ],
)
def test_the_full_log_comes_back(mode: RunMode, verbose: object, overrides: list[str]) -> None:
    assert JobConsole(mode, verbose, overrides).filter(EPOCH)


def test_the_configs_wire_the_filters(tmp_path: Path) -> None:
    register_schemas()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        cfg = compose("train", ["optimizer.lr=1", "hydra.verbose=true"], return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.mode = RunMode.MULTIRUN
        cfg.hydra.runtime.output_dir = str(tmp_path)
        cfg.hydra.overrides.task = ["optimizer.lr=0.1,1", "hydra.verbose=true"]
    job = OmegaConf.to_container(cfg.hydra.job_logging, resolve=True)
    hydra = OmegaConf.to_container(cfg.hydra.hydra_logging, resolve=True)
    assert isinstance(job, dict) and isinstance(hydra, dict)
    assert job["handlers"]["console"]["filters"] == ["sweep_job"]
    assert "filters" not in job["handlers"]["file"]  # train.log keeps every line
    settings = dict(job["filters"]["sweep_job"])
    assert settings.pop("()") == "net221.app.sweep_log.JobConsole"
    assert settings == {"mode": RunMode.MULTIRUN, "verbose": True, "overrides": cfg.hydra.overrides.task}
    assert JobConsole(**settings).filter(EPOCH)  # hydra.verbose=true: the full log
    assert not JobConsole(**dict(settings, verbose=False)).filter(EPOCH)
    assert (
        "filters" not in hydra and "filters" not in hydra["handlers"]["console"]
    )  # Hydra's lines as they are


def test_a_job_line_describes_the_result() -> None:
    assert describe_result({"final_loss": 0.0023456, "final_accuracy": 1.0}) == (
        "final loss 0.002346, accuracy 1.000"
    )
    with_val = {"final_loss": 0.31, "final_accuracy": 0.9, "final_val_loss": 0.33, "final_val_accuracy": 0.88}
    assert (
        describe_result(with_val) == "final loss 0.31, accuracy 0.900; validation loss 0.33, accuracy 0.880"
    )
    ensemble = {"final_loss": 0.0016, "ensemble": {"convergence_rate": 9_999 / 10_000}}
    assert (
        describe_result(ensemble) == "median final loss 0.0016, converged 99.9 %"
    )  # never rounded up to 100
    assert describe_result({"final_loss": None, "final_accuracy": 0.5}) == "final loss n/a, accuracy 0.500"


def test_long_swept_numbers_are_shortened() -> None:
    assert shown_value("0.08096384026619578") == "0.08096"
    assert [shown_value(v) for v in ("0.01", "1.0", "3", "1e-3", "sgd", "nan")] == [
        "0.01", "1.0", "3", "1e-3", "sgd", "nan",
    ]  # fmt: skip
