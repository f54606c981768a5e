"""Every config group option and every experiment composes, and its components build."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from omegaconf import OmegaConf

from net221.app.config import validate_train
from net221.app.experiment import build_experiment
from net221.app.sources import PreparedData
from net221.network import Net221

from conftest import compose_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONFIGS / group).glob("*.yaml"))


def test_default_is_the_blog() -> None:
    cfg = compose_config()
    validate_train(cfg)
    assert cfg.data._target_ == "net221.app.sources.blog" and list(cfg.data.features) == ["weight", "height"]
    assert cfg.data.normalize == "blog" and cfg.data.val_fraction == 0.0
    assert cfg.model.width == 2 and cfg.model.activation == "sigmoid" and cfg.trainer.dtype == "float64"
    assert (
        cfg.optimizer._target_ == "torch.optim.SGD"
        and cfg.optimizer.lr == 0.1
        and cfg.optimizer.momentum == 0
    )
    assert cfg.loss._target_ == "torch.nn.MSELoss"
    assert cfg.model._target_ == "net221.network.Net221" and cfg.model.input_dim == 2
    trainer = cfg.trainer
    assert (trainer.epochs, trainer.batch_size, trainer.shuffle, trainer.log_every) == (1000, 1, False, 10)
    assert trainer.members == 1 and trainer.resume is None and list(cfg.logger) == ["csv"]


@pytest.mark.parametrize("name", options("optimizer"))
def test_optimizer_options_build(name: str) -> None:
    cfg = compose_config(f"optimizer={name}")
    validate_train(cfg)
    optimizer = instantiate(cfg.optimizer)(Net221().parameters())
    assert isinstance(optimizer, torch.optim.Optimizer)
    assert optimizer.param_groups[0]["lr"] == cfg.optimizer.lr
    expected = {
        "sgd": (torch.optim.SGD, 0.0),
        "momentum": (torch.optim.SGD, 0.9),
        "adam": (torch.optim.Adam, None),
    }
    kind, momentum = expected[name]
    assert type(optimizer) is kind
    if momentum is not None:
        assert optimizer.param_groups[0]["momentum"] == momentum


@pytest.mark.parametrize("name", options("loss"))
def test_loss_options_build(name: str) -> None:
    loss = instantiate(compose_config(f"loss={name}").loss)
    assert isinstance(loss, torch.nn.Module)
    y_pred = torch.tensor([[0.8], [0.4]], dtype=torch.float64)
    y_true = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    log = torch.log(torch.tensor([0.8, 0.6], dtype=torch.float64))
    expected = {"mse": (0.2**2 + 0.4**2) / 2, "bce": float(-log.mean())}[name]
    assert float(loss(y_pred, y_true)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", options("data"))
def test_data_options_build(name: str, tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    table.write_text("weight,height,gender\n133,65,F\n160,72,M\n152,70,M\n120,60,F\n")
    if name == "penguins":
        pytest.importorskip(
            "palmerpenguins", reason="data=penguins needs the optional palmerpenguins package"
        )
    cfg = compose_config(f"data={name}", *([f"data.path={table}"] if name == "csv" else []))
    validate_train(cfg)
    data = instantiate(cfg.data)
    assert isinstance(data, PreparedData)
    assert list(data.train.feature_names) == list(cfg.data.features)
    assert cfg.model.input_dim == len(cfg.data.features)


def test_model_trainer_logger_hydra_options_compose() -> None:
    assert options("model") == ["default"] and options("trainer") == ["default"]
    assert options("logger") == ["csv", "mlflow", "tensorboard"]
    cfg = compose_config("logger=tensorboard")
    validate_train(cfg)
    assert list(cfg.logger) == ["csv", "tensorboard"] and cfg.logger.tensorboard.log_dir == "tensorboard"
    hydra_cfg = OmegaConf.load(CONFIGS / "hydra" / "default.yaml")
    assert hydra_cfg.job_logging.handlers.console.formatter == "plain"


EXPERIMENTS = {
    "blog": {"optimizer.lr": 0.1, "trainer.epochs": 1000, "loss._target_": "torch.nn.MSELoss"},
    "lr_sweep": {"optimizer.lr": 0.1},
    "loss_comparison": {"trainer.batch_size": 1},
    "optimizer_comparison": {"trainer.shuffle": False},
    "width_comparison": {"model.width": 2},
    "seed_study": {"trainer.members": 10000},
    "penguins": {
        "data._target_": "net221.app.sources.penguins",
        "trainer.batch_size": 16,
        "trainer.shuffle": True,
    },
}
SWEEPS = {
    "lr_sweep": {"optimizer.lr": "0.01,0.03,0.1,0.3,1.0,3.0"},
    "loss_comparison": {"loss": "mse,bce", "trainer.seed": "0,1,2"},
    "optimizer_comparison": {"optimizer": "sgd,momentum,adam", "trainer.seed": "0,1,2"},
    "width_comparison": {"model.width": "1,2,4,8", "trainer.seed": "0,1,2"},
}


def test_every_experiment_is_tested() -> None:
    assert sorted(EXPERIMENTS) == options("experiment")


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_experiment_composes_and_builds(name: str) -> None:
    cfg = compose_config(f"experiment={name}")
    validate_train(cfg)
    for key, value in EXPERIMENTS[name].items():
        assert OmegaConf.select(cfg, key) == value, key
    if name == "penguins":
        pytest.importorskip(
            "palmerpenguins", reason="data=penguins needs the optional palmerpenguins package"
        )
    experiment = build_experiment(cfg)
    model = experiment.make_model()
    assert isinstance(model, Net221) and model.width == cfg.model.width
    assert isinstance(experiment.make_optimizer(model), torch.optim.Optimizer)
    assert experiment.plan.epochs == cfg.trainer.epochs


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_sweep_experiments_declare_their_sweep(name: str) -> None:
    raw = OmegaConf.load(CONFIGS / "experiment" / f"{name}.yaml")
    assert raw.hydra.mode == "MULTIRUN"
    assert dict(raw.hydra.sweeper.params) == SWEEPS[name]
    for key, values in SWEEPS[name].items():  # every swept value composes
        for value in values.split(","):
            validate_train(compose_config(f"experiment={name}", f"{key}={value}"))


def test_type_errors_fail_at_compose_time() -> None:
    with pytest.raises(ConfigCompositionException, match=r"trainer\.epochs"):
        compose_config("trainer.epochs=abc")
    with pytest.raises(ConfigCompositionException, match="Could not find 'loss/focal'"):
        compose_config("loss=focal")
