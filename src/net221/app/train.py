"""net221-train: train the network under a Hydra config and write a run directory.

Layer: app. With no arguments it reproduces the blog; what a run directory holds is listed in
docs/training.md. The task returns the final loss (the validation loss when there is a split; the
members' median for an ensemble) for sweepers to minimize.

    net221-train                                  # the blog
    net221-train optimizer.lr=0.5 model.width=4   # any override
    net221-train -m optimizer.lr=0.01,0.1,1.0     # a sweep
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from torch import nn

from net221.app import checkpoint, outputs, plots, process, sweep_log
from net221.app.checkpoint import SingleState
from net221.app.config import plain, validate_train
from net221.app.experiment import Experiment, build_experiment
from net221.app.loggers import Row, open_loggers, progress_bar
from net221.app.outputs import atomic
from net221.app.process import Interrupted, StopSignals, catch_stop_signals, fail_job, shown_path, stop_job
from net221.app.run import resume_single, study_state, train_seed_study, train_single
from net221.app.sweep_log import on_console
from net221.errors import OutputError, UserError
from net221.loop import TrainingStopped
from net221.seed_study import StudyState

PROG = "net221-train"
log = logging.getLogger("net221")


def _single(
    cfg: DictConfig,
    experiment: Experiment,
    output_dir: Path,
    summary: dict[str, Any],
    stop: StopSignals,
    state: SingleState | None,
    record: Callable[[Row], None],
) -> tuple[float, nn.Module, str]:
    data = experiment.data
    saver = checkpoint.Saver(output_dir / checkpoint.CHECKPOINT, cfg, data)
    if state is not None:  # its rows into metrics.csv again; the console shows only new epochs
        for row in state.history:
            record(row)

    def on_log(row: Row) -> None:
        record(row)
        val = f" val_loss: {row['val_loss']:.3f}" if "val_loss" in row else ""
        if on_console(cfg, int(row["epoch"])):
            log.info(f"Epoch {int(row['epoch'])} loss: {row['loss']:.3f}{val}")

    try:
        with progress_bar(cfg.trainer.progress, cfg.trainer.epochs, "training") as advance:
            result = train_single(
                experiment,
                on_log,
                on_epoch=lambda _: advance(1),
                state=state,
                should_stop=stop.requested,
                save=saver.single,
                save_every=cfg.trainer.checkpoint_every,
            )
    except TrainingStopped:
        raise stop.interrupted(saver.stopped()) from None
    history, model = result.state.history, result.state.model
    saver.single(result.state)  # first: the work is safe
    if cfg.trainer.figures:
        with atomic(output_dir / "loss.png") as path:
            val_loss = [r["val_loss"] for r in history] if data.val is not None else None
            loss = [r["loss"] for r in history]
            plots.loss_curve(path, [int(r["epoch"]) for r in history], loss, val_loss, loss_name(cfg))
    summary |= {"final_loss": float(result.final.loss[0]), "final_accuracy": float(result.final.accuracy[0])}
    if (val := result.final_val) is not None:
        summary |= {"final_val_loss": float(val.loss[0]), "final_val_accuracy": float(val.accuracy[0])}
    if len(history) > 1 and history[-1]["loss"] >= history[0]["loss"]:
        log.warning(
            f"The loss did not go down ({history[0]['loss']:.3f} at epoch {history[0]['epoch']}, "
            f"{history[-1]['loss']:.3f} at epoch {history[-1]['epoch']}); "
            "saturated neurons after too large a step (optimizer.lr) are a common cause"
        )
    return float(summary.get("final_val_loss", summary["final_loss"])), model, "Decision boundary (P = 0.5)"


def loss_name(cfg: DictConfig) -> str:
    return str(cfg.loss._target_).rsplit(".", 1)[-1]


def _seed_study(
    cfg: DictConfig,
    experiment: Experiment,
    output_dir: Path,
    summary: dict[str, Any],
    stop: StopSignals,
    state: StudyState,
    record: Callable[[Row], None],  # after the training: a row needs every member
) -> tuple[float, nn.Module, str]:
    trainer, data = cfg.trainer, experiment.data
    members, epochs, threshold = trainer.members, trainer.epochs, trainer.converged_below
    saver = checkpoint.Saver(output_dir / checkpoint.CHECKPOINT, cfg, data)
    try:
        with progress_bar(trainer.progress, members * epochs, "member-epochs") as advance:
            result = train_seed_study(
                experiment,
                members,
                state.chunk_size,
                on_epoch=advance,
                state=state,
                should_stop=stop.requested,
                save=saver.study,
                save_every=trainer.checkpoint_every,
            )
    except TrainingStopped:
        raise stop.interrupted(saver.stopped()) from None
    saver.study(state, best=result.best_model)  # first: the work is safe
    with np.errstate(all="ignore"):
        p10, median, p90 = np.nanpercentile(result.loss, [10, 50, 90], axis=1)
        accuracy = np.nanmean(result.accuracy, axis=1)
        val_median = None if result.val_loss is None else np.nanmedian(result.val_loss, axis=1)
        val_accuracy = None if result.val_accuracy is None else np.nanmean(result.val_accuracy, axis=1)
    for i, epoch in enumerate(result.epochs):
        row = {"epoch": epoch, "loss": median[i], "accuracy": accuracy[i]}
        row |= {"loss_p10": p10[i], "loss_p90": p90[i]}
        if val_median is not None and val_accuracy is not None:
            row |= {"val_loss": val_median[i], "val_accuracy": val_accuracy[i]}
        record(row)
        if on_console(cfg, epoch):
            log.info(f"Epoch {epoch} loss: {median[i]:.3f} (median; 10-90 %: {p10[i]:.3f}-{p90[i]:.3f})")

    final = result.final_val_loss if result.final_val_loss is not None else result.final_loss
    converged = np.nan_to_num(result.final_loss, nan=np.inf) < threshold
    outputs.write_members(output_dir / "members.csv", result, trainer.seed, converged)
    best_seed = trainer.seed + result.best_member
    median_loss = outputs.finite_or_none(float(np.median(np.nan_to_num(result.final_loss, nan=np.inf))))
    summary["ensemble"] = {
        "members": members, "first_seed": trainer.seed, "converged_below": threshold,
        "converged": int(converged.sum()), "convergence_rate": float(converged.mean()),
        "diverged": int(np.sum(~np.isfinite(result.final_loss))), "best_member": result.best_member,
        "best_seed": best_seed, "final_loss_median": median_loss,
    }  # fmt: skip
    summary["final_loss"] = median_loss
    summary["final_accuracy"] = float(np.nanmean(result.final_accuracy))
    share = np.floor(1000 * converged.mean()) / 10  # rounded down: 9,999 of 10,000 is not 100 %
    log.info(
        f"Converged (final loss < {threshold:g}): {int(converged.sum()):,} of {members:,} members "
        f"({share:.1f} %); best member {result.best_member} (seed {best_seed})"
    )
    if trainer.figures:
        with atomic(output_dir / "loss.png") as path:
            plots.ensemble_band(path, result.epochs, p10, median, p90, members, loss_name(cfg))
    title = f"Decision boundary of the best member, {result.best_member} (seed {best_seed})"
    return float(np.median(np.nan_to_num(final, nan=np.inf))), result.best_model, title


def run(cfg: DictConfig, output_dir: Path) -> float:
    """Validate, train, write the run directory; return the metric to minimize.

    Everything that can refuse the run (the config, the data, the checkpoint to resume) is checked
    before an earlier run's files in the directory are removed: a refused run leaves them as they were.
    A stop signal ends the training at the next step with a checkpoint and raises `Interrupted`.
    Whatever ends the run early leaves error.txt saying why."""
    started = time.perf_counter()
    resume_from = checkpoint.resume_path(cfg.trainer.resume, output_dir)
    try:
        with catch_stop_signals() as stop:
            validate_train(cfg)
            experiment = build_experiment(cfg)
            data, study, single = experiment.data, None, None
            if cfg.trainer.members > 1:
                study = study_state(cfg, experiment, resume_from)
            elif resume_from is not None:
                single = resume_single(resume_from, cfg, experiment)
            if stop.requested():  # a signal while the run was set up: it ends before it starts
                raise stop.interrupted("interrupted")
            outputs.clear(output_dir, keep=resume_from)  # from here on, nothing of an earlier run is left
            summary: dict[str, Any] = {"epochs": cfg.trainer.epochs, "members": cfg.trainer.members}
            summary["device"] = str(experiment.device)
            try:
                columns = outputs.metric_columns(data.val is not None, study is not None)
                with open_loggers(cfg.logger, output_dir, columns, plain(cfg)) as record:
                    if study is None:
                        trained = _single(cfg, experiment, output_dir, summary, stop, single, record)
                    else:
                        trained = _seed_study(cfg, experiment, output_dir, summary, stop, study, record)
                    objective, model, title = trained
                    if cfg.trainer.figures:
                        outputs.draw_decision_boundary(
                            model, data, output_dir / "decision_boundary.png", title
                        )
                    summary["evaluation"] = outputs.evaluation_report(model, data)
                    outputs.describe_model(model, data, summary)
                    summary["objective"] = outputs.finite_or_none(objective)
                    summary["wall_time_s"] = time.perf_counter() - started
                    outputs.write_json(output_dir / "summary.json", summary)
            except OSError as error:  # each file the run writes names itself (`atomic`, the loggers)
                if error.filename is None:  # else the run directory is the place to look
                    error.filename = str(output_dir)
                raise OutputError(process.describe_os_error(error)) from None
    except Exception as error:
        internal = f"internal error: {type(error).__name__}: {error}"
        line = str(error) if isinstance(error, UserError | Interrupted) else internal
        outputs.write_error(output_dir, process.one_line(line))
        raise
    log.info(f"Outputs in {shown_path(output_dir)}")
    return float(objective)


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="train")
def task(cfg: DictConfig) -> float:
    """net221-train's Hydra task: one run, or one job of a sweep."""
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    process.set_threads(cfg.trainer.threads)
    try:
        objective = run(cfg, output_dir)
    except UserError as error:
        sweep_log.job_line(output_dir, error=str(error))
        fail_job(PROG, error)
        raise
    except Interrupted as stopped:
        sweep_log.job_line(output_dir, error=str(stopped))
        stop_job(PROG, stopped)
    sweep_log.job_line(output_dir)
    return objective


def main() -> None:
    """net221-train (`python -m net221.app.train` too)."""
    process.train_command()


if __name__ == "__main__":
    main()
