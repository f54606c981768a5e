"""The run itself: one network (optionally resumed) or a seed study, returning plain results.

Layer: app. Takes the objects `experiment.build_experiment` made and the trainer
settings; writes nothing itself: every logged epoch goes to `on_log`, and the
run directory is written from the result (`run_dir`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from net221.app.experiment import Experiment
from net221.checkpoint import NET221_TARGET, load_checkpoint
from net221.ensemble import Ensemble
from net221.errors import ConfigValueError
from net221.seed_study import SeedStudyResult, auto_chunk_size, train_members
from net221.trainer import DivergedError, EpochLog, Evaluation, evaluate, evaluator, train

log = logging.getLogger("net221")


@dataclass
class SingleResult:
    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: list[dict[str, float]]  # one row per logged epoch, resumed rows first
    final: Evaluation
    final_val: Evaluation | None
    epochs_done: int
    start_epoch: int = 0


def history_row(entry: EpochLog, member: int = 0) -> dict[str, float]:
    row: dict[str, float] = {
        "epoch": entry.epoch,
        "loss": float(entry.train.loss[member]),
        "accuracy": float(entry.train.accuracy[member]),
    }
    if entry.val is not None:
        row["val_loss"] = float(entry.val.loss[member])
        row["val_accuracy"] = float(entry.val.accuracy[member])
    return row


def resume_state(
    path: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    expected: dict[str, Any],
    optimizer_target: str,
    epochs: int,
) -> tuple[int, list[dict[str, float]]]:
    """Load a checkpoint into `model` and `optimizer`; return its epoch and history."""
    checkpoint = load_checkpoint(path)
    for key, value in expected.items():
        saved = checkpoint["model"].get(key) if key != "data" else None
        if key == "data":
            for data_key, data_value in value.items():
                if checkpoint["data"].get(data_key) != data_value:
                    raise ConfigValueError(
                        f"trainer.resume={path!r}: the checkpoint was trained with data {data_key} "
                        f"{checkpoint['data'].get(data_key)!r}, this config gives {data_value!r}"
                    )
        elif saved != value:
            raise ConfigValueError(
                f"trainer.resume={path!r}: the checkpoint has {key}={saved!r}, this config {value!r}"
            )
    epoch = checkpoint["epoch"]
    if epoch >= epochs:
        raise ConfigValueError(
            f"trainer.epochs={epochs}: the checkpoint already has {epoch} epochs; ask for more"
        )
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise ConfigValueError(
            f"trainer.resume={path!r}: the checkpoint's tensors do not fit this model"
        ) from error
    saved_optimizer = checkpoint.get("optimizer")
    if isinstance(saved_optimizer, dict) and saved_optimizer.get("target") == optimizer_target:
        # keep the moment/momentum buffers; hyperparameters come from this config
        state = dict(saved_optimizer["state"])
        state["param_groups"] = optimizer.state_dict()["param_groups"]
        optimizer.load_state_dict(state)
    elif saved_optimizer is not None:
        log.warning(f"Resuming with {optimizer_target}: the checkpoint's optimizer state is not used")
    log.info(f"Resumed from {path} at epoch {epoch}")
    return epoch, [dict(row) for row in checkpoint["history"]]


def train_single(
    experiment: Experiment,
    on_log: Callable[[dict[str, float]], None],
    on_epoch: Callable[[int], None] | None = None,
    resume: Callable[[nn.Module, torch.optim.Optimizer], tuple[int, list[dict[str, float]]]] | None = None,
) -> SingleResult:
    """One network through the canonical loop; `resume` may load a checkpoint first."""
    t = experiment.tensors
    model = experiment.make_model()
    optimizer = experiment.make_optimizer(model)
    start_epoch, history = (0, []) if resume is None else resume(model, optimizer)
    if history and int(history[-1]["epoch"]) % experiment.plan.log_every != 0:
        history.pop()  # the earlier run's last epoch, logged as its last: this run goes on past it
    for row in history:
        on_log(row)

    def log_epoch(entry: EpochLog) -> None:
        row = history_row(entry)
        history.append(row)
        on_log(row)

    train(
        model,
        optimizer,
        experiment.loss,
        t.x,
        t.y,
        experiment.plan,
        start_epoch=start_epoch,
        evaluate_epoch=evaluator(model, experiment.losses.per_value, t.x, t.y, t.x_val, t.y_val),
        on_log=log_epoch,
        on_epoch=on_epoch,
    )
    final = evaluate(model, experiment.losses.per_value, t.x, t.y)
    if not np.isfinite(final.loss).all():
        raise DivergedError(experiment.plan.epochs - 1)
    final_val = (
        None
        if t.x_val is None or t.y_val is None
        else evaluate(model, experiment.losses.per_value, t.x_val, t.y_val)
    )
    return SingleResult(model, optimizer, history, final, final_val, experiment.plan.epochs, start_epoch)


def train_seed_study(
    experiment: Experiment,
    members: int,
    chunk_size: int | None,
    width: int,
    on_epoch: Callable[[int], None] | None = None,
) -> SeedStudyResult:
    initial_values = experiment.initial_values
    if initial_values is None:
        raise ConfigValueError(f"trainer.members={members}: ensembles are of {NET221_TARGET} networks")
    t = experiment.tensors
    rows = max(t.x.shape[0], 0 if t.x_val is None else t.x_val.shape[0])
    input_dim = t.x.shape[1]
    chunk = chunk_size or auto_chunk_size(
        members, rows, experiment.plan.batch_size, width, input_dim, experiment.device.type
    )
    probe = experiment.make_model()  # the configured network: its shape and activation

    def make_model(first: int, count: int) -> Ensemble:
        return Ensemble(
            initial_values(first, count),
            input_dim,
            width,
            str(getattr(probe, "activation", "sigmoid")),
            dtype=experiment.dtype,
            device=experiment.device,
        )

    log.info(f"Training {members:,} members in chunks of {min(chunk, members):,}")
    return train_members(
        make_model,
        experiment.make_optimizer,
        experiment.losses,
        t.x,
        t.y,
        experiment.plan,
        members,
        chunk,
        x_val=t.x_val,
        y_val=t.y_val,
        on_epoch=on_epoch,
    )
