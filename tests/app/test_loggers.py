"""The logger group: metrics.csv by default, TensorBoard and MLflow read back with their own readers."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from net221.app.checkpoint import load_checkpoint
from net221.app.loggers import CSVLogger, flat, tag

from conftest import NO_FIGURES, assert_one_line_error, run_in_process, train_in_process

QUICK = ["trainer.epochs=30", "trainer.log_every=10", NO_FIGURES]


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")  # MLflow's usage reports: nowhere to send them


def metrics(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "metrics.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_metrics_csv_by_default_has_every_logged_epoch_of_the_checkpoint(tmp_path: Path) -> None:
    train_in_process(tmp_path, *QUICK)
    rows = metrics(tmp_path)
    history = load_checkpoint(tmp_path / "checkpoint.pt")["history"]
    assert [int(r["epoch"]) for r in rows] == [0, 10, 20, 29]
    assert [float(r["loss"]) for r in rows] == [h["loss"] for h in history]  # every digit
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    train_in_process(tmp_path / "none", *QUICK, "~logger")
    assert not (tmp_path / "none" / "metrics.csv").exists() and (tmp_path / "none" / "summary.json").is_file()


def test_the_csv_logger_flushes_each_row_and_fills_a_missing_value_with_nan(tmp_path: Path) -> None:
    logger = CSVLogger(tmp_path, ["epoch", "loss", "val_loss"])
    logger.log_metrics({"epoch": 0, "loss": 0.25})
    assert (tmp_path / "metrics.csv").read_bytes() == b"epoch,loss,val_loss\r\n0,0.25,nan\r\n"  # before close
    logger.close(ok=False)


def test_names_in_tensorboard_and_mlflow() -> None:
    assert [tag(c) for c in ("loss", "val_loss", "loss_p10", "val_accuracy")] == [
        "loss",
        "val/loss",
        "loss/p10",
        "val/accuracy",
    ]
    assert flat({"optimizer": {"lr": 0.1, "betas": [0.9, 0.99]}, "logger": None, "init": {}}) == {
        "optimizer.lr": "0.1",
        "optimizer.betas": "[0.9, 0.99]",
        "logger": "None",
        "init": "{}",
    }


def test_tensorboard_gets_the_same_scalars_as_metrics_csv(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="the optional [tensorboard] extra is not installed")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train_in_process(tmp_path, "logger=tensorboard", *QUICK, "data.val_fraction=0.5")
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    for column in ("loss", "accuracy", "val_loss", "val_accuracy"):
        points = events.Scalars(tag(column))
        assert [p.step for p in points] == [int(r["epoch"]) for r in metrics(tmp_path)]
        assert [p.value for p in points] == pytest.approx([float(r[column]) for r in metrics(tmp_path)])


def test_a_seed_study_logs_its_median_and_band(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="the optional [tensorboard] extra is not installed")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train_in_process(tmp_path, "logger=tensorboard", "trainer.members=4", *QUICK)
    rows = metrics(tmp_path)
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "loss_p10", "loss_p90"]
    assert all(float(r["loss_p10"]) <= float(r["loss"]) <= float(r["loss_p90"]) for r in rows)
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    assert [p.value for p in events.Scalars("loss/p90")] == pytest.approx(
        [float(r["loss_p90"]) for r in rows]
    )


@pytest.mark.parametrize(
    ("logger", "module"), [("tensorboard", "torch.utils.tensorboard"), ("mlflow", "mlflow")]
)
def test_a_missing_logger_package_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logger: str, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # its import fails as if it were not installed
    result = run_in_process("net221-train", f"logger={logger}", *QUICK, "hydra.run.dir=run", cwd=tmp_path)
    assert_one_line_error(result, "net221-train", f"logger={logger} needs", f"pip install 'net221[{logger}]'")
    assert not (tmp_path / "run" / "summary.json").exists()


def test_mlflow_records_the_config_the_metrics_and_the_files(tmp_path: Path) -> None:
    pytest.importorskip("mlflow", reason="the optional [mlflow] extra is not installed")
    from mlflow import MlflowClient

    train_in_process(tmp_path, "logger=mlflow", *QUICK, "optimizer.lr=0.5")
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("net221")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["optimizer.lr"] == "0.5" and run.data.params["trainer.epochs"] == "30"
    assert run.data.params["optimizer._target_"] == "torch.optim.SGD"
    for column in ("loss", "accuracy"):
        history = client.get_metric_history(run.info.run_id, column)
        assert [(m.step, m.value) for m in history] == [
            (int(r["epoch"]), float(r[column])) for r in metrics(tmp_path)
        ]
    files = sorted(a.path for a in client.list_artifacts(run.info.run_id))
    assert files == ["checkpoint.pt", "metrics.csv", "summary.json"]  # not the store itself
    copy = client.download_artifacts(run.info.run_id, "summary.json", str(tmp_path / "copy"))
    assert json.loads(Path(copy).read_text()) == json.loads((tmp_path / "summary.json").read_text())


def test_mlflow_at_a_tracking_uri_and_a_failed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlflow", reason="the optional [mlflow] extra is not installed")
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow's file store: faster to set up here
    uri = (tmp_path / "store").as_uri()
    common = [
        "logger=mlflow",
        f"logger.mlflow.tracking_uri={uri}",
        "logger.mlflow.experiment_name=study",
        *QUICK,
    ]
    ok = run_in_process("net221-train", *common, "hydra.run.dir=ok", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    # weights so large that the loss is nan at once: the run fails after its first epoch was logged
    huge = "init.values={w1:-1e308,w2:1e308,w3:1,w4:1,w5:1,w6:1,b1:0,b2:0,b3:0}"
    failed = run_in_process("net221-train", *common, huge, "hydra.run.dir=failed", cwd=tmp_path)
    assert_one_line_error(failed, "net221-train", "training diverged at epoch 0")
    assert not (tmp_path / "ok" / "mlflow").exists()
    client = MlflowClient(tracking_uri=uri)
    study = client.get_experiment_by_name("study")
    assert study is not None
    runs = {"init.values.w1" in r.data.params: r for r in client.search_runs([study.experiment_id])}
    assert {huge: r.info.status for huge, r in runs.items()} == {False: "FINISHED", True: "FAILED"}
    artifacts = [a.path for a in client.list_artifacts(runs[False].info.run_id)]
    assert artifacts == [".hydra", "checkpoint.pt", "metrics.csv", "summary.json", "train.log"]
    hydra_files = [a.path for a in client.list_artifacts(runs[False].info.run_id, ".hydra")]
    assert hydra_files == [".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml"]
    assert client.list_artifacts(runs[True].info.run_id) == []
    (nan,) = client.get_metric_history(runs[True].info.run_id, "loss")
    assert nan.step == 0 and math.isnan(nan.value)
    logged = OmegaConf.load(tmp_path / "ok" / ".hydra" / "config.yaml")
    assert runs[False].data.params["logger.mlflow.tracking_uri"] == logged.logger.mlflow.tracking_uri == uri
