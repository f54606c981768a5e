"""From a config to objects: data, model, optimizer and loss, built with `hydra.utils.instantiate`.

Layer: app. The one place a training config is read; nothing after it looks at the config again
except to record it.
"""

from __future__ import annotations

import inspect
import logging
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig
from torch import nn

from net221.app.config import HYDRA_KEYS, init_scheme, is_net221, refuse_unknown_keys, value_error
from net221.app.sources import PreparedData
from net221.data import Dataset
from net221.ensemble import Ensemble
from net221.errors import ConfigValueError, UserError
from net221.init import initial_parameters
from net221.loop import EpochPlan, LossFunction, evaluate
from net221.network import DTYPES, Net221
from net221.seed_study import Losses

log = logging.getLogger("net221")


def known_arguments(node: DictConfig, where: str) -> None:
    """The target of a `_target_` node must be found, and the node's keys must be its arguments
    (unless it takes **kwargs)."""
    try:
        target = pkgutil.resolve_name(str(node._target_))
    except Exception as error:  # whatever importing the target's module raises
        top = str(node._target_).partition(".")[0]  # not found itself, not a module it imports
        here = (
            "; a module in this directory needs PYTHONPATH=." if getattr(error, "name", None) == top else ""
        )
        raise ConfigValueError(
            f"{where}: cannot build {node._target_!r}: {_first_line(error)}{here}"
        ) from None
    try:
        parameters = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):  # no signature to read (a builtin)
        return
    if not any(p.kind is p.VAR_KEYWORD for p in parameters):
        names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        refuse_unknown_keys(node, names, where, node._target_, allowed=HYDRA_KEYS)


def fits_dtype(key: str, value: Any, dtype: str) -> None:
    """Every number in `value` (a number, a list, a mapping) is finite and survives the cast to
    the training dtype: no overflow to inf, no nonzero value rounded to 0."""
    if isinstance(value, DictConfig | dict):
        for name, item in value.items():
            fits_dtype(f"{key}.{name!s}", item, dtype)
    elif isinstance(value, ListConfig | list | tuple):
        for i, item in enumerate(value):
            fits_dtype(f"{key}[{i}]", item, dtype)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        info = np.finfo(dtype)
        if not math.isfinite(value):
            raise value_error(key, value, "must be a finite number")
        if abs(value) > float(info.max):
            raise value_error(
                key, value, f"does not fit in {dtype} (largest {info.max:.3g}; trainer.dtype={dtype})"
            )
        if value != 0 and abs(value) < float(info.smallest_subnormal):
            raise value_error(key, value, f"rounds to 0 in {dtype} (trainer.dtype={dtype})")


def build(node: DictConfig, key: str, **overrides: Any) -> Any:
    """instantiate(node), with a failure reported as one line naming the config key."""
    try:
        return instantiate(node, **overrides)
    except InstantiationException as error:
        if isinstance(error.__cause__, UserError):  # the target's own one-line complaint (a data file, ...)
            raise error.__cause__ from None
        text = str(error.__cause__ or error).strip()
        first = text.splitlines()[0] if text else type(error).__name__
        raise ConfigValueError(f"{key}: cannot build {node.get('_target_')!r}: {first}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


@dataclass(frozen=True)
class Experiment:
    """What a config describes, built: the normalized data on the training device (x (N, D), y (N, 1),
    and the validation rows if any), the epochs, the loss, and the makers of networks and optimizers."""

    data: PreparedData
    x: torch.Tensor
    y: torch.Tensor
    x_val: torch.Tensor | None
    y_val: torch.Tensor | None
    plan: EpochPlan
    loss: LossFunction  # as configured: a batch's mean loss
    losses: Losses  # the same loss summed, and per value
    make_model: Callable[[], nn.Module]  # one network, initialized from trainer.seed
    make_ensemble: Callable[[int, int], Ensemble] | None  # (first member, count) -> those; Net221 only
    make_optimizer: Callable[[nn.Module], torch.optim.Optimizer]
    device: torch.device


def _losses(cfg: DictConfig, dtype: torch.dtype) -> tuple[LossFunction, Losses]:
    loss = build(cfg.loss, "loss")
    probe = torch.full((1, 1), 0.5, dtype=dtype)
    try:
        value = loss(probe, probe)
        losses = Losses(build(cfg.loss, "loss", reduction="sum"), build(cfg.loss, "loss", reduction="none"))
    except Exception as error:  # whatever the configured target raises
        not_loss = f"is not a torch loss taking (y_pred, y_true) and reduction=: {_first_line(error)}"
        raise ConfigValueError(f"loss: {cfg.loss._target_} {not_loss}") from None
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        raise ConfigValueError(f"loss: {cfg.loss._target_} does not return a scalar tensor")
    return loss, losses


def _optimizer_factory(cfg: DictConfig) -> Callable[[nn.Module], torch.optim.Optimizer]:
    # plain lists, not OmegaConf's (Adam's betas): a checkpoint's optimizer state must hold plain data
    make, target = build(cfg.optimizer, "optimizer", _convert_="all"), cfg.optimizer._target_

    def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
        try:
            optimizer = make(model.parameters())
        except Exception as error:  # whatever the configured target raises
            rejects = f"optimizer: {target} rejects these settings: {_first_line(error)}"
            raise ConfigValueError(rejects) from None
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ConfigValueError(f"optimizer: {target} did not build a torch.optim.Optimizer")
        return optimizer

    return make_optimizer


def trial_step(experiment: Experiment, cfg: DictConfig) -> None:
    """One training step on a throwaway network: a model, loss or optimizer that fails when
    used fails here, in one line naming it, before anything is trained or written."""
    model = experiment.make_model()
    optimizer = experiment.make_optimizer(model)
    batch = experiment.plan.batch_size
    x, y = experiment.x[:batch], experiment.y[:batch]
    stage = "optimizer"
    try:
        optimizer.zero_grad()
        stage = "model"
        y_pred = model(x)
        if not isinstance(y_pred, torch.Tensor) or y_pred.shape != y.shape:
            shape = tuple(y_pred.shape) if isinstance(y_pred, torch.Tensor) else type(y_pred).__name__
            raise ConfigValueError(
                f"returns {shape} for a batch of {tuple(x.shape)}; expected {tuple(y.shape)}"
            )
        stage = "loss"
        experiment.loss(y_pred, y).backward()
        evaluate(model, experiment.losses.per_value, x, y)  # the loss per value, as every log uses it
        stage = "optimizer"
        optimizer.step()
    except Exception as error:  # anything a configured target raises is a problem of the config
        if not isinstance(error, ConfigValueError):
            error = ConfigValueError(f"fails in a training step: {_first_line(error)}")
        raise ConfigValueError(f"{stage}: {cfg[stage]._target_} {error}") from None


def build_experiment(cfg: DictConfig) -> Experiment:
    """The data, model, optimizer and loss a config describes, tried on one training step."""
    trainer, init = cfg.trainer, cfg.init
    for key in ("optimizer", "loss"):  # numbers that the training dtype cannot hold, first
        fits_dtype(key, {k: v for k, v in cfg[key].items() if k not in HYDRA_KEYS}, trainer.dtype)
    if is_net221(cfg.model):
        fits_dtype("init.values", init["values"], trainer.dtype)
        fits_dtype("init.noise_std", init.noise_std, trainer.dtype)
    for key in ("data", "model", "optimizer", "loss"):  # keys the targets do not take, too
        known_arguments(cfg[key], key)
    data = build(cfg.data, "data")
    if not isinstance(data, PreparedData):
        raise ConfigValueError(f"data: {cfg.data._target_} did not return net221.app.sources.PreparedData")
    if data.dropped:
        log.info(f"Dropped {data.dropped} row(s) with missing values")
    rows = f"{len(data.train)} training rows" + (f", {len(data.val)} validation rows" if data.val else "")
    log.info(f"Data: {data.description}; {rows}")

    if trainer.device == "cuda" and not torch.cuda.is_available():
        raise ConfigValueError("trainer.device='cuda': CUDA is not available on this machine")
    auto = "cuda" if torch.cuda.is_available() else "cpu"
    dtype, device = DTYPES[trainer.dtype], torch.device(auto if trainer.device == "auto" else trainer.device)
    loss, losses = _losses(cfg, dtype)

    def on_device(rows: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.tensor(data.normalization.apply(rows.features), dtype=dtype, device=device)
        overflowed = (~torch.isfinite(x)).any(dim=0).nonzero().flatten().tolist()
        if overflowed:
            raise ConfigValueError(
                f"data: feature {rows.feature_names[overflowed[0]]!r} has values too large for "
                f"{trainer.dtype} once normalized (trainer.dtype, data.normalize)"
            )
        return x, torch.tensor(rows.labels, dtype=dtype, device=device).reshape(-1, 1)

    initial_values = make_ensemble = None
    if is_net221(cfg.model):
        scheme, net = init_scheme(init), cfg.model
        values = None if init["values"] is None else {str(k): float(v) for k, v in init["values"].items()}

        def initial_values(first: int, count: int) -> np.ndarray:
            return initial_parameters(
                scheme, input_dim=int(net.input_dim), width=int(net.width), members=count,
                seed=trainer.seed + first, values=values, noise_std=init.noise_std,
            )  # fmt: skip

        def make_ensemble(first: int, count: int) -> Ensemble:
            values = initial_values(first, count)
            return Ensemble(values, net.input_dim, net.width, net.activation, dtype=dtype, device=device)

    def make_model() -> nn.Module:
        torch.manual_seed(trainer.seed)  # a model of your own initializes itself from this seed
        model = build(cfg.model, "model")
        if not isinstance(model, nn.Module):
            raise ConfigValueError(f"model: {cfg.model._target_} is not a torch.nn.Module")
        model = model.to(device=device, dtype=dtype)
        if initial_values is not None and isinstance(model, Net221):
            model.load_flat(initial_values(0, 1)[0])
        return model

    plan = EpochPlan(trainer.epochs, trainer.batch_size, trainer.shuffle, trainer.log_every, data.seed)
    x, y = on_device(data.train)
    x_val, y_val = (None, None) if data.val is None else on_device(data.val)
    make_optimizer = _optimizer_factory(cfg)
    experiment = Experiment(
        data, x, y, x_val, y_val, plan, loss, losses, make_model, make_ensemble, make_optimizer, device
    )
    trial_step(experiment, cfg)
    return experiment
