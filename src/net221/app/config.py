"""Config schemas (types checked as Hydra composes) and the value checks run before any work.

Layer: app. `validate_train` reports the first bad value in one line naming the key; the keys
of `_target_` nodes are checked against their targets in `net221.app.experiment`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, ListConfig, OmegaConf

from net221.app.sources import file_problem
from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES, INIT_SCHEMES
from net221.network import ACTIVATIONS, DTYPES

DEVICES = ("auto", "cpu", "cuda")
NET221 = "net221.network.Net221"
# keys of a `_target_` node that are Hydra's, not arguments of the target
HYDRA_KEYS = frozenset({"_target_", "_partial_", "_args_", "_recursive_", "_convert_"})


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
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean {prefix}{close[0]}?" if close else ""


def register_schemas() -> None:
    store = ConfigStore.instance()
    store.store(name="train_schema", node=TrainConfig)
    # model.input_dim: ${len:${data.features}}
    OmegaConf.register_new_resolver("len", len, replace=True)


# --- value checks ------------------------------------------------------------------

Check = tuple[Callable[[Any], bool], str]  # (is the value fine, what is wrong when it is not)


def _one_of(choices: Iterable[str]) -> Check:
    return (lambda value: value in choices), f"expected one of {', '.join(choices)}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


AT_LEAST_1: Check = (lambda value: value >= 1), "must be >= 1"
NULL_OR_AT_LEAST_1: Check = (lambda value: value is None or value >= 1), "must be >= 1"
# KEY -> check, in the order they are checked; NET221_CHECKS apply to net221's own network only
CHECKS: dict[str, Check] = {
    "optimizer.lr": ((lambda value: _number(value) and value > 0), "must be a finite number > 0"),
    "trainer.dtype": _one_of(DTYPES),
    **dict.fromkeys(
        ("trainer.epochs", "trainer.batch_size", "trainer.log_every", "trainer.members"), AT_LEAST_1
    ),
    **dict.fromkeys(
        ("trainer.threads", "trainer.chunk_size", "trainer.console_lines", "trainer.checkpoint_every"),
        NULL_OR_AT_LEAST_1,
    ),
    "trainer.converged_below": ((lambda value: _number(value) and value > 0), "must be a finite number > 0"),
    "trainer.device": _one_of(DEVICES),
    "data.val_fraction": ((lambda value: _number(value) and 0 <= value < 1), "must be a number in [0, 1)"),
    "data.seed": (
        (lambda value: isinstance(value, int) and 0 <= value < 2**63),
        "must be an integer in [0, 2^63)",
    ),
}
NET221_CHECKS: dict[str, Check] = {
    "model.width": AT_LEAST_1,
    "model.activation": _one_of(ACTIVATIONS),
    "init.noise_std": ((lambda value: value >= 0), "must be >= 0"),
}


def value_error(key: str, value: Any, problem: str) -> ConfigValueError:
    return ConfigValueError(f"{key}={value!r}: {problem}")


def _require(ok: bool, key: str, value: Any, problem: str) -> None:
    if not ok:
        raise value_error(key, value, problem)


def _check(cfg: DictConfig, checks: dict[str, Check]) -> None:
    for key, (ok, problem) in checks.items():
        # a data key that is not given takes its target's default, which passes
        value = OmegaConf.select(cfg, key, default=0 if key.startswith("data.") else None)
        _require(ok(value), key, value, problem)


def refuse_unknown_keys(
    node: DictConfig, known: set[str], where: str, owner: str, allowed: frozenset[str] = frozenset()
) -> None:
    """Keys that `owner` does not take (added with `+`, say) are refused, not ignored; `allowed`:
    keys that are not `owner`'s but may be there (Hydra's own in a `_target_` node)."""
    given = OmegaConf.to_container(node, resolve=False)
    assert isinstance(given, dict)
    for key in (str(key) for key in given if key not in known | allowed):
        near = did_you_mean(key, known, f"{where}.")
        takes = f"; {owner} takes {', '.join(sorted(known)) or 'nothing'}"
        raise value_error(f"{where}.{key}", given[key], f"unknown key{near or takes}")


def init_scheme(init: DictConfig) -> str:
    """The scheme in effect: explicit, else `values` when values are given, else `normal`."""
    if init.scheme is not None:
        return str(init.scheme)
    return "values" if init["values"] is not None else "normal"


def is_net221(model: DictConfig) -> bool:
    return bool(model.get("_target_") == NET221)


def _check_init(init: DictConfig, width: int, features: int | None) -> None:
    scheme, values = init_scheme(init), init["values"]
    _require(scheme in INIT_SCHEMES, "init.scheme", scheme, _one_of(INIT_SCHEMES)[1])
    if scheme != "values":
        _require(
            values is None, "init.scheme", scheme, "init.values are given but the scheme is not 'values'"
        )
        return
    _require(
        values is not None, "init.values", None, "init scheme 'values' needs the nine values by blog name"
    )
    _require(
        isinstance(values, DictConfig), "init.values", values, "expected a mapping {w1: .., ..., b3: ..}"
    )
    given = {str(name): value for name, value in values.items()}
    for name, value in given.items():
        _require(_number(value), f"init.values.{name}", value, "must be a finite number")
    unknown = sorted(set(given) - set(BLOG_NAMES))
    missing = sorted(set(BLOG_NAMES) - set(given), key=BLOG_NAMES.index)
    _require(not unknown, "init.values", given, f"unknown name(s) {', '.join(unknown)}")
    _require(not missing, "init.values", given, f"missing name(s) {', '.join(missing)}")
    ok = width == 2 and features == 2
    _require(ok, "init.values", given, "values by blog name need width 2 and two features")


def validate_train(cfg: DictConfig) -> None:
    """Raise ConfigValueError for the first value that cannot work."""
    features = cfg.data.get("features") if isinstance(cfg.data, DictConfig) else None
    list_of_names = "expected a list of column names, such as [weight,height]"  # before ${len:} reads it
    _require(features is None or isinstance(features, ListConfig), "data.features", features, list_of_names)
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigValueError(f"{missing[0]}: a value is needed ({missing[0]}=...)")
    for where, schema in (("trainer", TrainerConfig), ("init", InitConfig)):
        refuse_unknown_keys(cfg[where], {f.name for f in fields(schema)}, where, where)
    for key, choose in (
        ("data", "choose a data config (blog, csv, penguins) or give data._target_"),
        ("model", "choose a model config or give model._target_"),
        ("optimizer", "choose an optimizer config (sgd, momentum, adam)"),
        ("loss", "choose a loss config (mse, bce)"),
    ):
        _require(isinstance(cfg[key], DictConfig) and "_target_" in cfg[key], key, cfg[key], choose)
    if features is not None:
        _require(len(features) >= 1, "data.features", list(features), "at least one feature is needed")
        twice = len(set(features)) != len(features)
        _require(not twice, "data.features", list(features), "a feature is listed twice")
        target = cfg.data.get("target")
        _require(target not in features, "data.target", target, "the target is also listed as a feature")
    _check(cfg, CHECKS)
    if is_net221(cfg.model):
        _check(cfg, NET221_CHECKS)
        _check_init(cfg.init, cfg.model.width, None if features is None else len(features))
    else:
        own = f"init applies to {NET221} only; a model of your own initializes itself"
        _require(
            cfg.init.scheme is None and cfg.init["values"] is None, "init.scheme", init_scheme(cfg.init), own
        )
    trainer = cfg.trainer
    seeds = f"member seeds seed..seed+{trainer.members - 1} must lie in [0, 2^63)"
    _require(0 <= trainer.seed <= 2**63 - trainer.members, "trainer.seed", trainer.seed, seeds)
    ensemble = trainer.members == 1 or is_net221(cfg.model)
    _require(ensemble, "trainer.members", trainer.members, f"ensembles are of {NET221} networks")
    if trainer.resume not in (None, "auto") and (problem := file_problem(Path(trainer.resume))) is not None:
        raise value_error("trainer.resume", trainer.resume, problem)


def plain(cfg: DictConfig) -> dict[str, Any]:
    """The config as plain data (for checkpoints and summaries)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}
