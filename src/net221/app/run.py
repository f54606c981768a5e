"""The training itself: one network (optionally resumed) or a seed study, returning plain results.

Layer: app. Takes the objects `experiment.build_experiment` made; writes nothing itself:
every logged epoch goes to `on_log`, checkpoints to `save`, and net221-train (`train`)
writes the run directory from the result.
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

from net221.app.checkpoint import NET221_TARGET
from net221.app.experiment import Experiment
from net221.app.resume import load_study_chunk, resume_study
from net221.ensemble import Ensemble
from net221.errors import ConfigValueError
from net221.loop import DivergedError, EpochLog, Evaluation, TrainingStopped, evaluate, evaluator, train
from net221.seed_study import SeedStudyResult, StudyState, auto_chunk_size, train_members

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


# a single run's resume: (model, optimizer) -> (epoch, step, history)
Resume = Callable[[nn.Module, torch.optim.Optimizer], tuple[int, int, list[dict[str, float]]]]
# a single run's save: (model, optimizer, epoch, step, history, durable)
Save = Callable[[nn.Module, torch.optim.Optimizer, int, int, list[dict[str, float]], bool], None]


def train_single(
    experiment: Experiment,
    on_log: Callable[[dict[str, float]], None],
    on_epoch: Callable[[int], None] | None = None,
    resume: Resume | None = None,
    should_stop: Callable[[], bool] | None = None,
    save: Save | None = None,
    save_every: int | None = None,
) -> SingleResult:
    """One network through the canonical loop; `resume` may load a checkpoint first (the rows
    of its history are not passed to `on_log` again).

    `save` runs every `save_every` epochs and, before `TrainingStopped` goes on, when
    `should_stop` stops the training."""
    t, plan = experiment.tensors, experiment.plan
    model = experiment.make_model()
    optimizer = experiment.make_optimizer(model)
    start_epoch, start_step, history = (0, 0, []) if resume is None else resume(model, optimizer)

    def log_epoch(entry: EpochLog) -> None:
        row = history_row(entry)
        history.append(row)
        on_log(row)

    def after_epoch(epoch: int) -> None:
        if on_epoch is not None:
            on_epoch(epoch)
        done = epoch + 1
        if save is not None and save_every and done % save_every == 0 and done < plan.epochs:
            save(model, optimizer, done, 0, history, False)

    try:
        train(
            model,
            optimizer,
            experiment.loss,
            t.x,
            t.y,
            plan,
            start_epoch=start_epoch,
            start_step=start_step,
            evaluate_epoch=evaluator(model, experiment.losses.per_value, t.x, t.y, t.x_val, t.y_val),
            on_log=log_epoch,
            on_epoch=after_epoch,
            should_stop=should_stop,
        )
    except TrainingStopped as stop:
        if save is not None:
            save(model, optimizer, stop.epoch, stop.step, history, True)
        raise
    final = evaluate(model, experiment.losses.per_value, t.x, t.y)
    if not np.isfinite(final.loss).all():
        raise DivergedError(plan.epochs - 1)
    final_val = (
        None
        if t.x_val is None or t.y_val is None
        else evaluate(model, experiment.losses.per_value, t.x_val, t.y_val)
    )
    return SingleResult(model, optimizer, history, final, final_val, plan.epochs, start_epoch)


def chunk_size(experiment: Experiment, members: int, chunk_size: int | None, width: int) -> int:
    t = experiment.tensors
    rows = max(t.x.shape[0], 0 if t.x_val is None else t.x_val.shape[0])
    return chunk_size or auto_chunk_size(
        members, rows, experiment.plan.batch_size, width, t.x.shape[1], experiment.device.type
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
    t = experiment.tensors
    log.info(f"Training {members:,} members in chunks of {min(chunk, members):,}")
    return train_members(
        ensemble_factory(experiment),
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
        state=state,
        should_stop=should_stop,
        save=save,
        save_every=save_every,
    )


def ensemble_factory(experiment: Experiment) -> Callable[[int, int], Ensemble]:
    """(first member, count) -> those members of the configured network, as one ensemble."""
    initial_values = experiment.initial_values
    if initial_values is None:
        raise ConfigValueError(f"ensembles are of {NET221_TARGET} networks")
    probe = experiment.make_model()  # the configured network: its shape and activation
    input_dim, width = experiment.tensors.x.shape[1], int(getattr(probe, "width", 2))

    def make_model(first: int, count: int) -> Ensemble:
        return Ensemble(
            initial_values(first, count),
            input_dim,
            width,
            str(getattr(probe, "activation", "sigmoid")),
            dtype=experiment.dtype,
            device=experiment.device,
        )

    return make_model


def study_state(cfg: DictConfig, experiment: Experiment, resume_from: Path | None) -> StudyState:
    """A new seed study, or the one the checkpoint holds with its current chunk rebuilt."""
    members = cfg.trainer.members
    if resume_from is None:
        return StudyState(members, chunk_size(experiment, members, cfg.trainer.chunk_size, cfg.model.width))
    probe = experiment.make_model()
    state, checkpoint = resume_study(resume_from, cfg, probe, experiment.data, experiment.plan)
    if state.first < members:
        model = ensemble_factory(experiment)(state.first, min(state.chunk_size, members - state.first))
        optimizer = experiment.make_optimizer(model)
        load_study_chunk(state, checkpoint, model, optimizer, cfg, resume_from)
    return state
