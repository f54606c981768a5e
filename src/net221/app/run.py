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
from omegaconf import DictConfig

from net221.app.checkpoint import SingleState, checked_for_resume, load_optimizer_state
from net221.app.experiment import Experiment
from net221.app.loggers import Row
from net221.errors import ConfigValueError
from net221.loop import (
    DivergedError,
    EpochLog,
    Evaluation,
    TrainingStopped,
    evaluate,
    evaluator,
    steps_per_epoch,
    train,
)
from net221.seed_study import SeedStudyResult, StudyState, auto_chunk_size, train_members

log = logging.getLogger("net221")


def resume_single(path: Path, cfg: DictConfig, experiment: Experiment) -> SingleState:
    """A new network and optimizer with the checkpoint's state, its epoch, step and history."""
    model = experiment.make_model()
    optimizer = experiment.make_optimizer(model)
    checkpoint = checked_for_resume(path, cfg, model, experiment.data, ensemble=False)
    epoch, step, epochs = checkpoint["epoch"], checkpoint["step"], cfg.trainer.epochs
    complete_ok = cfg.trainer.resume == "auto"  # a requeued run that had finished: write its outputs again
    if epoch > epochs or (epoch == epochs and (step or not complete_ok)):
        raise ConfigValueError(
            f"trainer.epochs={epochs}: the checkpoint already has {epoch} epochs; ask for more"
        )
    if step >= (steps := steps_per_epoch(experiment.x.shape[0], experiment.plan.batch_size)):
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: the checkpoint stopped at step {step} of epoch {epoch}, and an "
            f"epoch of this config has {steps} step(s) (trainer.batch_size, data.val_fraction: as the run had them)"
        )
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError:
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: the checkpoint's tensors do not fit this model"
        ) from None
    load_optimizer_state(checkpoint, optimizer, cfg)
    history: list[Row] = checkpoint["history"]
    if epoch < epochs and history and history[-1]["epoch"] % cfg.trainer.log_every != 0:
        history.pop()  # the earlier run's last epoch, logged as its last: this run goes on past it
    log.info(f"Resumed from {path} at epoch {epoch}" + (f", step {step}" if step else ""))
    return SingleState(model, optimizer, epoch, step, history)


def resume_study(path: Path, cfg: DictConfig, experiment: Experiment) -> StudyState:
    """A seed study's state from its checkpoint, with its current chunk rebuilt."""
    checkpoint = checked_for_resume(path, cfg, experiment.make_model(), experiment.data, ensemble=True)
    study = checkpoint["ensemble"]
    state = StudyState(
        study["members"], study["chunk_size"], study["first"], checkpoint["epoch"], checkpoint["step"]
    )
    state.restore(study["done"], study["current"], experiment.plan)
    if study["best"] is not None:
        best = study["best"]
        state.best = (best["member"], float(best["score"]), best["values"].numpy())
    if state.first < state.members:
        assert experiment.make_ensemble is not None  # the config check: ensembles are of net221's network
        count = min(state.chunk_size, state.members - state.first)
        state.model = experiment.make_ensemble(state.first, count)
        state.model.load_state_dict(checkpoint["state_dict"])  # the same config: the same chunk
        state.optimizer = experiment.make_optimizer(state.model)
        load_optimizer_state(checkpoint, state.optimizer, cfg)
        log.info(
            f"Resumed from {path}: members {state.first:,}-{state.first + count - 1:,} at epoch {state.epoch}"
            + (f", step {state.step}" if state.step else "")
        )
    return state


@dataclass
class SingleResult:
    state: SingleState  # the trained network and optimizer, its history
    final: Evaluation
    final_val: Evaluation | None


def train_single(
    experiment: Experiment,
    on_log: Callable[[Row], None],
    on_epoch: Callable[[int], None] | None = None,
    state: SingleState | None = None,
    should_stop: Callable[[], bool] | None = None,
    save: Callable[[SingleState, bool], None] | None = None,
    save_every: int | None = None,
) -> SingleResult:
    """One network through the canonical loop, new or from a checkpoint's `state` (whose rows are not
    passed to `on_log` again); `save(state, durable)` every `save_every` epochs (durable False), and
    on a stop before `TrainingStopped` is raised (durable True)."""
    plan, per_value = experiment.plan, experiment.losses.per_value
    x, y, x_val, y_val = experiment.x, experiment.y, experiment.x_val, experiment.y_val
    if state is None:
        model = experiment.make_model()
        state = SingleState(model, experiment.make_optimizer(model))
    model, optimizer, history = state.model, state.optimizer, state.history

    def log_epoch(entry: EpochLog) -> None:
        row: Row = {"epoch": entry.epoch, "loss": float(entry.train.loss[0])}
        row["accuracy"] = float(entry.train.accuracy[0])
        if entry.val is not None:
            row |= {"val_loss": float(entry.val.loss[0]), "val_accuracy": float(entry.val.accuracy[0])}
        history.append(row)
        on_log(row)

    def after_epoch(epoch: int) -> None:
        state.epoch, state.step = epoch + 1, 0
        if on_epoch is not None:
            on_epoch(epoch)
        if save is not None and save_every and state.epoch % save_every == 0 and state.epoch < plan.epochs:
            save(state, False)

    try:
        train(
            model,
            optimizer,
            experiment.loss,
            x,
            y,
            plan,
            start_epoch=state.epoch,
            start_step=state.step,
            evaluate_epoch=evaluator(model, per_value, x, y, x_val, y_val),
            on_log=log_epoch,
            on_epoch=after_epoch,
            should_stop=should_stop,
        )
    except TrainingStopped as stop:
        state.epoch, state.step = stop.epoch, stop.step
        if save is not None:
            save(state, True)
        raise
    final = evaluate(model, per_value, x, y)
    if not np.isfinite(final.loss).all():
        raise DivergedError(plan.epochs - 1)
    final_val = None if x_val is None or y_val is None else evaluate(model, per_value, x_val, y_val)
    return SingleResult(state, final, final_val)


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
