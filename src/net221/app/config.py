"""Config schemas for the apps, and the value checks run before any work.

Layer: app. The dataclasses are registered in Hydra's ConfigStore by `register_schemas`
(called by each command's entry) and sit first in each app's defaults list, so a wrong
type (`trainer.epochs=abc`) fails while the config is composed; `validate_train` then
checks values (`trainer.epochs=0`) and reports the first problem in one line naming the
key and the bad value (keys of `_target_` nodes: `net221.app.experiment`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES, INIT_SCHEMES
from net221.network import ACTIVATIONS, DTYPES

DEVICES = ("auto", "cpu", "cuda")
NET221 = "net221.network.Net221"


@dataclass
class InitConfig:
    """How a net221 network's parameters start (a model of your own initializes itself)."""

    # normal | values | zeros_noise | xavier; null = values if given, else normal
    scheme: str | None = None
    values: Any = None  # {w1: .., ..., b3: ..}; untyped so that an override can set it whole
    noise_std: float = 0.01


@dataclass
class TrainerConfig:
    epochs: int = 1000
    batch_size: int = 1
    shuffle: bool = False
    log_every: int = 10
    seed: int = 0  # initial weights; member k starts from seed + k
    dtype: str = "float64"  # float64 | float32
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = 1  # torch intra-op threads; null = torch's default
    resume: str | None = None  # a checkpoint.pt, or auto: the run directory's own if it has one
    checkpoint_every: int | None = 200  # epochs between checkpoints; null = only at the end and on a stop
    members: int = 1
    chunk_size: int | None = None  # members trained at once; null = sized to memory
    converged_below: float = 0.01  # a member converged if its final loss is below this
    progress: bool = True  # a progress bar, when attached to a terminal
    figures: bool = True  # loss.png and decision_boundary.png (about 0.1 s a run)
    console_lines: int | None = 200  # at most about this many epoch lines; null = every logged epoch


@dataclass
class TrainConfig:
    data: Any = None  # {_target_: net221.app.sources.blog | csv_table | penguins, ...}
    model: Any = None  # {_target_: net221.network.Net221, width: .., ...} or a module of your own
    init: InitConfig = field(default_factory=InitConfig)
    optimizer: Any = None  # {_target_: torch.optim.X, _partial_: true, lr: ...}
    loss: Any = None  # {_target_: torch.nn.MSELoss} or another torch loss module
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: Any = None  # {csv: {_target_: net221.app.loggers.CSVLogger, ...}, mlflow: {...}}


def did_you_mean(name: str, known: Iterable[str], prefix: str = "") -> str:
    """'; did you mean PREFIX+X?' when a known name X is close to `name`, else ''."""
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean {prefix}{close[0]}?" if close else ""


def register_schemas() -> None:
    store = ConfigStore.instance()
    store.store(name="train_schema", node=TrainConfig)
    # model.input_dim: ${len:${data.features}}
    OmegaConf.register_new_resolver("len", len, replace=True)


# --- value checks ------------------------------------------------------------------


def _fail(key: str, value: Any, problem: str) -> ConfigValueError:
    return ConfigValueError(f"{key}={value!r}: {problem}")


def _one_of(key: str, value: Any, choices: Iterable[str]) -> None:
    if value not in choices:
        raise _fail(key, value, f"expected one of {', '.join(choices)}")


def _at_least(key: str, value: Any, low: int) -> None:
    if value < low:
        raise _fail(key, value, f"must be >= {low}")


def _known_keys(node: DictConfig, schema: type, where: str) -> None:
    """Keys added with `+` that the schema does not know are refused, not ignored."""
    known = {f.name for f in fields(schema)}
    for key in map(str, node):
        if key not in known:
            near = did_you_mean(key, known, f"{where}.") or f"; {where} takes {', '.join(sorted(known))}"
            raise _fail(f"{where}.{key}", node[key], f"unknown key{near}")


def _positive(key: str, value: Any) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and value > 0 and math.isfinite(value)):
        raise _fail(key, value, "must be a finite number > 0")


def init_scheme(init: DictConfig) -> str:
    """The scheme in effect: explicit, else `values` when values are given, else `normal`."""
    if init.scheme is not None:
        return str(init.scheme)
    return "values" if init["values"] is not None else "normal"


def is_net221(model: DictConfig) -> bool:
    return bool(model.get("_target_") == NET221)


def _validate_data(data: Any) -> None:
    if not isinstance(data, DictConfig) or "_target_" not in data:
        raise _fail("data", data, "choose a data config (blog, csv, penguins) or give data._target_")
    features = data.get("features")
    if features is not None:
        if len(features) < 1:
            raise _fail("data.features", list(features), "at least one feature is needed")
        if len(set(features)) != len(features):
            raise _fail("data.features", list(features), "a feature is listed twice")
        if data.get("target") in features:
            raise _fail("data.target", data.target, "the target is also listed as a feature")
    fraction = data.get("val_fraction", 0.0)
    if not isinstance(fraction, int | float) or not 0.0 <= fraction < 1.0:
        raise _fail("data.val_fraction", fraction, "must be a number in [0, 1)")
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise _fail("data.seed", seed, "must be an integer in [0, 2^63)")


def _validate_model(model: Any, init: DictConfig, features: int | None) -> None:
    if not isinstance(model, DictConfig) or "_target_" not in model:
        raise _fail("model", model, "choose a model config or give model._target_")
    scheme = init_scheme(init)
    if not is_net221(model):
        if init.scheme is not None or init["values"] is not None:
            own = f"init applies to {NET221} only; a model of your own initializes itself"
            raise _fail("init.scheme", scheme, own)
        return
    _at_least("model.width", model.width, 1)
    _one_of("model.activation", model.activation, ACTIVATIONS)
    _one_of("init.scheme", scheme, INIT_SCHEMES)
    if scheme == "values":
        values = init["values"]
        if values is None:
            raise _fail("init.values", None, "init scheme 'values' needs the nine values by blog name")
        if not isinstance(values, DictConfig):
            raise _fail("init.values", values, "expected a mapping {w1: .., ..., b3: ..}")
        given = {str(name): value for name, value in values.items()}
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise _fail(f"init.values.{name}", value, "must be a finite number")
        for problem, names in (
            ("unknown", sorted(set(given) - set(BLOG_NAMES))),
            ("missing", sorted(set(BLOG_NAMES) - set(given), key=BLOG_NAMES.index)),
        ):
            if names:
                raise _fail("init.values", given, f"{problem} name(s) {', '.join(names)}")
        if model.width != 2 or features != 2:
            raise _fail("init.values", given, "values by blog name need width 2 and two features")
    elif init["values"] is not None:
        raise _fail("init.scheme", scheme, "init.values are given but the scheme is not 'values'")
    if not init.noise_std >= 0:
        raise _fail("init.noise_std", init.noise_std, "must be >= 0")


def validate_train(cfg: DictConfig) -> None:
    """Raise ConfigValueError for the first value that cannot work."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigValueError(f"{missing[0]}: a value is needed ({missing[0]}=...)")
    trainer = cfg.trainer
    _known_keys(trainer, TrainerConfig, "trainer")
    _known_keys(cfg.init, InitConfig, "init")
    _validate_data(cfg.data)
    features = cfg.data.get("features")
    _validate_model(cfg.model, cfg.init, None if features is None else len(features))

    optimizer = cfg.optimizer
    if not isinstance(optimizer, DictConfig) or "_target_" not in optimizer:
        raise _fail("optimizer", optimizer, "choose an optimizer config (sgd, momentum, adam)")
    _positive("optimizer.lr", optimizer.get("lr"))
    loss = cfg.loss
    if not isinstance(loss, DictConfig) or "_target_" not in loss:
        raise _fail("loss", loss, "choose a loss config (mse, bce)")

    _one_of("trainer.dtype", trainer.dtype, DTYPES)

    for key in ("epochs", "batch_size", "log_every", "members"):
        _at_least(f"trainer.{key}", trainer[key], 1)
    for key in ("threads", "chunk_size", "console_lines", "checkpoint_every"):  # null: a default
        if trainer[key] is not None:
            _at_least(f"trainer.{key}", trainer[key], 1)
    if not 0 <= trainer.seed <= 2**63 - trainer.members:
        seeds = f"member seeds seed..seed+{trainer.members - 1} must lie in [0, 2^63)"
        raise _fail("trainer.seed", trainer.seed, seeds)
    if not trainer.converged_below > 0:
        raise _fail("trainer.converged_below", trainer.converged_below, "must be > 0")
    _one_of("trainer.device", trainer.device, DEVICES)
    if trainer.members > 1 and not is_net221(cfg.model):
        raise _fail("trainer.members", trainer.members, f"ensembles are of {NET221} networks")
    if trainer.resume not in (None, "auto") and not Path(trainer.resume).is_file():
        problem = "not a checkpoint file" if Path(trainer.resume).exists() else "no such checkpoint file"
        raise _fail("trainer.resume", trainer.resume, problem)


def plain(cfg: DictConfig) -> dict[str, Any]:
    """The config as plain data (for checkpoints and summaries)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}
