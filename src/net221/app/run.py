"""The training itself: one network or a seed study, from the start or from a checkpoint.

Layer: app. Takes the objects `experiment.build_experiment` made and writes nothing itself: every
logged epoch goes to `on_log`, checkpoints to `save`; net221-train (`train`) writes the run directory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig
from torch import nn

from net221.app.experiment import Experiment
from net221.app.loggers import Row
from net221.app.resume import Start, resume_study
from net221.loop import DivergedError, EpochLog, Evaluation, TrainingStopped, evaluate, evaluator, train
from net221.seed_study import SeedStudyResult, StudyState, auto_chunk_size, train_members

log = logging.getLogger("net221")


@dataclass
class SingleResult:
    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: list[Row]  # one row per logged epoch, resumed rows first
    final: Evaluation
    final_val: Evaluation | None


# a checkpoint saved: (model, optimizer, epoch, step, history, durable)
Save = Callable[[nn.Module, torch.optim.Optimizer, int, int, list[Row], bool], None]


def train_single(
    experiment: Experiment,
    on_log: Callable[[Row], None],
    on_epoch: Callable[[int], None] | None = None,
    start: Start | None = None,
    should_stop: Callable[[], bool] | None = None,
    save: Save | None = None,
    save_every: int | None = None,
) -> SingleResult:
    """One network through the canonical loop, from a new network or a checkpoint's `start` (whose rows
    are not passed to `on_log` again); `save` every `save_every` epochs, and on a stop before it goes on."""
    plan, per_value = experiment.plan, experiment.losses.per_value
    x, y, x_val, y_val = experiment.x, experiment.y, experiment.x_val, experiment.y_val
    if start is None:
        model = experiment.make_model()
        start = Start(model, experiment.make_optimizer(model))
    model, optimizer, history = start.model, start.optimizer, start.history

    def log_epoch(entry: EpochLog) -> None:
        row: Row = {"epoch": entry.epoch, "loss": float(entry.train.loss[0])}
        row["accuracy"] = float(entry.train.accuracy[0])
        if entry.val is not None:
            row |= {"val_loss": float(entry.val.loss[0]), "val_accuracy": float(entry.val.accuracy[0])}
        history.append(row)
        on_log(row)

    def after_epoch(epoch: int) -> None:
        if on_epoch is not None:
            on_epoch(epoch)
        if save is not None and save_every and (epoch + 1) % save_every == 0 and epoch + 1 < plan.epochs:
            save(model, optimizer, epoch + 1, 0, history, False)

    try:
        train(
            model,
            optimizer,
            experiment.loss,
            x,
            y,
            plan,
            start_epoch=start.epoch,
            start_step=start.step,
            evaluate_epoch=evaluator(model, per_value, x, y, x_val, y_val),
            on_log=log_epoch,
            on_epoch=after_epoch,
            should_stop=should_stop,
        )
    except TrainingStopped as stop:
        if save is not None:
            save(model, optimizer, stop.epoch, stop.step, history, True)
        raise
    final = evaluate(model, per_value, x, y)
    if not np.isfinite(final.loss).all():
        raise DivergedError(plan.epochs - 1)
    final_val = None if x_val is None or y_val is None else evaluate(model, per_value, x_val, y_val)
    return SingleResult(model, optimizer, history, final, final_val)


def chunk_size(experiment: Experiment, members: int, chunk_size: int | None, width: int) -> int:
    x, x_val = experiment.x, experiment.x_val
    rows = max(x.shape[0], 0 if x_val is None else x_val.shape[0])
    return chunk_size or auto_chunk_size(
        members, rows, experiment.plan.batch_size, width, x.shape[1], experiment.device.type
    )


def train_seed_study(
    experiment: Experiment,
    members: int,
    chunk: int,
    on_epoch: Callable[[int], None] | None = None,
    state: StudyState | None = None,
    should_stop: Callable[[], bool] | None = None,
    save: Callable[[StudyState, bool], None] | None = None,
    save_every: int | None = None,
) -> SeedStudyResult:
    """`members` networks in chunks of `chunk`, from the start or from `state`."""
    assert experiment.make_ensemble is not None  # the config check: ensembles are of net221's network
    log.info(f"Training {members:,} members in chunks of {min(chunk, members):,}")
    return train_members(
        experiment.make_ensemble,
        experiment.make_optimizer,
        experiment.losses,
        experiment.x,
        experiment.y,
        experiment.plan,
        members,
        chunk,
        x_val=experiment.x_val,
        y_val=experiment.y_val,
        on_epoch=on_epoch,
        state=state,
        should_stop=should_stop,
        save=save,
        save_every=save_every,
    )


def study_state(cfg: DictConfig, experiment: Experiment, resume_from: Path | None) -> StudyState:
    """A new seed study, or the one the checkpoint holds with its current chunk rebuilt."""
    if resume_from is not None:
        return resume_study(resume_from, cfg, experiment)
    members = cfg.trainer.members
    return StudyState(members, chunk_size(experiment, members, cfg.trainer.chunk_size, cfg.model.width))
