"""Structured-config schemas for the apps, and the value checks run before any work.

Layer: app. The dataclasses are registered in Hydra's ConfigStore and sit first in
each app's defaults list, so a wrong type (`trainer.epochs=abc`) fails while the
config is composed; `validate_train` then checks values (`trainer.epochs=0`) and
reports the first problem as one line naming the key and the bad value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from net221.data import NORMALIZE_MODES
from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES, INIT_SCHEMES

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu")
DTYPES = ("float32", "float64")
DEVICES = ("auto", "cpu", "cuda")
DATA_SOURCES = ("blog", "csv", "penguins")
ON_MISSING = ("drop", "error")


@dataclass
class DataConfig:
    source: str = "blog"  # blog | csv | penguins
    path: str | None = None  # csv only
    features: list[str] = field(default_factory=lambda: ["weight", "height"])
    target: str = "gender"
    positive: str = "F"  # the target value that means label 1
    normalize: str = "blog"  # blog | mean | standardize | none
    on_missing: str = "drop"  # drop | error
    val_fraction: float = 0.0
    seed: int = 0  # validation split and per-epoch shuffling


@dataclass
class InitConfig:
    # normal | values | zeros_noise | xavier; null = values if given, else normal
    scheme: str | None = None
    values: Any = None  # {w1: .., ..., b3: ..}; untyped so that an override can set it whole
    noise_std: float = 0.01


@dataclass
class ModelConfig:
    width: int = 2
    activation: str = "sigmoid"
    dtype: str = "float64"
    init: InitConfig = field(default_factory=InitConfig)


@dataclass
class TrainerConfig:
    epochs: int = 1000
    batch_size: int = 1
    shuffle: bool = False
    log_every: int = 10
    seed: int = 0  # member k starts from seed + k
    device: str = "auto"  # auto | cpu | cuda
    resume: str | None = None
    members: int = 1
    chunk_size: int | None = None  # members trained at once; null = sized to memory
    converged_below: float = 0.01  # a member converged if its final loss is below this
    progress: bool = True  # a progress bar, when attached to a terminal


@dataclass
class LoggerConfig:
    kind: str = "tensorboard"
    log_dir: str = "tensorboard"


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: Any = None  # {_target_: torch.optim.X, _partial_: true, lr: ...}
    loss: Any = None  # {_target_: torch.nn.functional.x_loss, _partial_: true}
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: LoggerConfig | None = None


def register_schemas() -> None:
    store = ConfigStore.instance()
    store.store(name="train_schema", node=TrainConfig)


# --- value checks ------------------------------------------------------------------


def _fail(key: str, value: Any, problem: str) -> ConfigValueError:
    return ConfigValueError(f"{key}={value!r}: {problem}")


def _one_of(key: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise _fail(key, value, f"expected one of {', '.join(choices)}")


def _at_least(key: str, value: Any, low: int) -> None:
    if value < low:
        raise _fail(key, value, f"must be >= {low}")


def init_scheme(init: DictConfig) -> str:
    """The scheme in effect: explicit, else `values` when values are given, else `normal`."""
    if init.scheme is not None:
        return str(init.scheme)
    return "values" if init["values"] is not None else "normal"


def validate_train(cfg: DictConfig) -> None:
    """Raise ConfigValueError for the first value that cannot work."""
    data, model, trainer = cfg.data, cfg.model, cfg.trainer

    _one_of("data.source", data.source, DATA_SOURCES)
    if data.source == "csv" and not data.path:
        raise _fail("data.path", data.path, "data=csv needs a CSV file path")
    if len(data.features) < 1:
        raise _fail("data.features", list(data.features), "at least one feature is needed")
    if len(set(data.features)) != len(data.features):
        raise _fail("data.features", list(data.features), "a feature is listed twice")
    if data.target in data.features:
        raise _fail("data.target", data.target, "the target is also listed as a feature")
    _one_of("data.normalize", data.normalize, NORMALIZE_MODES)
    if data.normalize == "blog" and len(data.features) != 2:
        raise _fail("data.normalize", data.normalize, "blog normalization needs exactly two features")
    _one_of("data.on_missing", data.on_missing, ON_MISSING)
    if not 0.0 <= data.val_fraction < 1.0:
        raise _fail("data.val_fraction", data.val_fraction, "must be in [0, 1)")
    _at_least("data.seed", data.seed, 0)

    _at_least("model.width", model.width, 1)
    _one_of("model.activation", model.activation, ACTIVATION_NAMES)
    _one_of("model.dtype", model.dtype, DTYPES)
    scheme = init_scheme(model.init)
    _one_of("model.init.scheme", scheme, INIT_SCHEMES)
    if scheme == "values":
        values = model.init["values"]
        if values is None:
            raise _fail("model.init.values", None, "init scheme 'values' needs the nine values by blog name")
        if not isinstance(values, DictConfig):
            raise _fail("model.init.values", values, "expected a mapping {w1: .., ..., b3: ..}")
        given = {str(name): value for name, value in values.items()}
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise _fail(f"model.init.values.{name}", value, "must be a finite number")
        unknown = sorted(set(given) - set(BLOG_NAMES))
        missing = [name for name in BLOG_NAMES if name not in given]
        if unknown:
            raise _fail("model.init.values", given, f"unknown name(s) {', '.join(unknown)}")
        if missing:
            raise _fail("model.init.values", given, f"missing name(s) {', '.join(missing)}")
        if model.width != 2 or len(data.features) != 2:
            raise _fail("model.init.values", given, "values by blog name need width 2 and two features")
    elif model.init["values"] is not None:
        raise _fail("model.init.scheme", scheme, "model.init.values are given but the scheme is not 'values'")
    if not model.init.noise_std >= 0:
        raise _fail("model.init.noise_std", model.init.noise_std, "must be >= 0")

    optimizer = cfg.optimizer
    if not isinstance(optimizer, DictConfig) or "_target_" not in optimizer:
        raise _fail("optimizer", optimizer, "choose an optimizer config (sgd, momentum, adam)")
    lr = optimizer.get("lr")
    if not isinstance(lr, int | float) or isinstance(lr, bool) or not (lr > 0 and math.isfinite(lr)):
        raise _fail("optimizer.lr", lr, "must be a finite number > 0")
    loss = cfg.loss
    if not isinstance(loss, DictConfig) or "_target_" not in loss:
        raise _fail("loss", loss, "choose a loss config (mse, bce)")

    _at_least("trainer.epochs", trainer.epochs, 1)
    _at_least("trainer.batch_size", trainer.batch_size, 1)
    _at_least("trainer.log_every", trainer.log_every, 1)
    _at_least("trainer.seed", trainer.seed, 0)
    _at_least("trainer.members", trainer.members, 1)
    if trainer.chunk_size is not None:
        _at_least("trainer.chunk_size", trainer.chunk_size, 1)
    if not trainer.converged_below > 0:
        raise _fail("trainer.converged_below", trainer.converged_below, "must be > 0")
    _one_of("trainer.device", trainer.device, DEVICES)
    if trainer.resume is not None:
        if not Path(trainer.resume).is_file():
            raise _fail("trainer.resume", trainer.resume, "no such checkpoint file")
        if trainer.members != 1:
            raise _fail("trainer.members", trainer.members, "resume continues a single network (members=1)")

    if cfg.logger is not None:
        _one_of("logger.kind", cfg.logger.kind, ("tensorboard",))


def plain(cfg: DictConfig) -> dict[str, Any]:
    """The config as plain data (for checkpoints and summaries)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}
