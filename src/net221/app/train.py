"""net221-train: train the network under a Hydra config and write a run directory.

Layer: app. With no arguments it reproduces the blog. Each run's directory holds
Hydra's composed config (.hydra/), train.log, metrics.csv, checkpoint.pt,
summary.json, loss.png and, where they apply, decision_boundary.png (two
features) and members.csv (an ensemble); trainer.figures=false leaves the
figures out. The task returns the final loss (validation loss when there is a
validation split; the median over members for an ensemble) for sweepers to
minimize.

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
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from net221.app import checkpoints, plots, run_dir, sweep_log
from net221.app.atomic import atomic
from net221.app.cli import error_line, fail_job, run_app, shown_path, stop_job, write_error
from net221.app.experiment import Experiment, build_experiment
from net221.app.interrupt import Interrupted, StopSignals, catch_stop_signals
from net221.app.loggers import Row, open_loggers
from net221.app.progress import progress_bar
from net221.app.run import SingleResult, chunk_size, ensemble_factory, train_seed_study, train_single
from net221.app.schemas import plain, register_schemas, validate_train
from net221.errors import OutputError, UserError
from net221.loop import TrainingStopped
from net221.seed_study import StudyState

PROG = "net221-train"
log = logging.getLogger("net221")
register_schemas()


def _single(
    cfg: DictConfig,
    experiment: Experiment,
    output_dir: Path,
    summary: dict[str, Any],
    stop: StopSignals,
    resume_from: Path | None,
    record: Callable[[Row], None],
) -> float:
    data = experiment.data
    saver = checkpoints.Saver(output_dir / checkpoints.CHECKPOINT, cfg, data)

    def on_log(row: dict[str, float]) -> None:
        record(row)
        line = f"Epoch {int(row['epoch'])} loss: {row['loss']:.3f}"
        if "val_loss" in row:
            line += f" val_loss: {row['val_loss']:.3f}"
        log.info(line)

    def resume(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> tuple[int, int, list[Row]]:
        assert resume_from is not None
        epoch, step, history = checkpoints.resume_single(resume_from, model, optimizer, cfg, data)
        for row in history:  # into metrics.csv again; the console shows only new epochs
            record(row)
        return epoch, step, history

    try:
        with progress_bar(cfg.trainer.progress, cfg.trainer.epochs, "training") as advance:
            result: SingleResult = train_single(
                experiment,
                on_log,
                on_epoch=lambda _: advance(1),
                resume=None if resume_from is None else resume,
                should_stop=stop.requested,
                save=saver.single,
                save_every=cfg.trainer.checkpoint_every,
            )
    except TrainingStopped:
        raise stop.interrupted(
            f"interrupted at {saver.saved_at}; resume with trainer.resume={shown_path(saver.path)}"
        ) from None
    history, model = result.history, result.model
    saver.single(model, result.optimizer, result.epochs_done, 0, history)  # first: the work is safe
    if cfg.trainer.figures:
        with atomic(output_dir / "loss.png") as path:
            plots.loss_curve(
                path,
                [int(r["epoch"]) for r in history],
                [r["loss"] for r in history],
                [r["val_loss"] for r in history] if data.val is not None else None,
                loss_name(cfg),
            )
        run_dir.draw_decision_boundary(
            model, data, output_dir / "decision_boundary.png", "Decision boundary (P = 0.5)"
        )
    summary["final_loss"] = float(result.final.loss[0])
    summary["final_accuracy"] = float(result.final.accuracy[0])
    if result.final_val is not None:
        summary["final_val_loss"] = float(result.final_val.loss[0])
        summary["final_val_accuracy"] = float(result.final_val.accuracy[0])
    if len(history) > 1 and history[-1]["loss"] >= history[0]["loss"]:
        log.warning(
            f"The loss did not go down ({history[0]['loss']:.3f} at epoch {history[0]['epoch']}, "
            f"{history[-1]['loss']:.3f} at epoch {history[-1]['epoch']}); "
            "saturated neurons after too large a step (optimizer.lr) are a common cause"
        )
    summary["evaluation"] = run_dir.evaluation_report(model, data)
    run_dir.describe_model(model, data, summary)
    return float(summary.get("final_val_loss", summary["final_loss"]))


def loss_name(cfg: DictConfig) -> str:
    return str(cfg.loss._target_).rsplit(".", 1)[-1]


def _study_state(cfg: DictConfig, experiment: Experiment, resume_from: Path | None) -> StudyState:
    """A new seed study, or the one the checkpoint holds with its current chunk rebuilt."""
    members = cfg.trainer.members
    if resume_from is None:
        return StudyState(members, chunk_size(experiment, members, cfg.trainer.chunk_size, cfg.model.width))
    probe = experiment.make_model()
    state, checkpoint = checkpoints.resume_study(resume_from, cfg, probe, experiment.data, experiment.plan)
    if state.first < members:
        model = ensemble_factory(experiment)(state.first, min(state.chunk_size, members - state.first))
        optimizer = experiment.make_optimizer(model)
        checkpoints.load_study_chunk(state, checkpoint, model, optimizer, cfg, resume_from)
    return state


def _seed_study(
    cfg: DictConfig,
    experiment: Experiment,
    output_dir: Path,
    summary: dict[str, Any],
    stop: StopSignals,
    resume_from: Path | None,
    record: Callable[[Row], None],  # after the training: a row needs every member
) -> float:
    trainer, data = cfg.trainer, experiment.data
    members, epochs = trainer.members, trainer.epochs
    saver = checkpoints.Saver(output_dir / checkpoints.CHECKPOINT, cfg, data)
    state = _study_state(cfg, experiment, resume_from)
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
        raise stop.interrupted(
            f"interrupted at {saver.saved_at}; resume with trainer.resume={shown_path(saver.path)}"
        ) from None
    saver.study(state, best=result.best_model)  # first: the work is safe
    with np.errstate(all="ignore"):
        p10, median, p90 = np.nanpercentile(result.loss, [10, 50, 90], axis=1)
        accuracy = np.nanmean(result.accuracy, axis=1)
        val_median = None if result.val_loss is None else np.nanmedian(result.val_loss, axis=1)
        val_accuracy = None if result.val_accuracy is None else np.nanmean(result.val_accuracy, axis=1)
    for i, epoch in enumerate(result.epochs):
        row = {
            "epoch": epoch,
            "loss": median[i],
            "accuracy": accuracy[i],
            "loss_p10": p10[i],
            "loss_p90": p90[i],
        }
        if val_median is not None and val_accuracy is not None:
            row |= {"val_loss": val_median[i], "val_accuracy": val_accuracy[i]}
        record(row)
        log.info(f"Epoch {epoch} loss: {median[i]:.3f} (median; 10-90 %: {p10[i]:.3f}-{p90[i]:.3f})")

    threshold = trainer.converged_below
    final = result.final_val_loss if result.final_val_loss is not None else result.final_loss
    converged = np.nan_to_num(result.final_loss, nan=np.inf) < threshold
    run_dir.write_members(output_dir / "members.csv", result, trainer.seed, converged)
    best_seed = trainer.seed + result.best_member
    median_loss = run_dir.finite_or_none(float(np.median(np.nan_to_num(result.final_loss, nan=np.inf))))
    summary["ensemble"] = {
        "members": members,
        "first_seed": trainer.seed,
        "converged_below": threshold,
        "converged": int(converged.sum()),
        "convergence_rate": float(converged.mean()),
        "diverged": int(np.sum(~np.isfinite(result.final_loss))),
        "best_member": result.best_member,
        "best_seed": best_seed,
        "final_loss_median": median_loss,
    }
    summary["final_loss"] = median_loss
    summary["final_accuracy"] = float(np.nanmean(result.final_accuracy))
    share = np.floor(1000 * converged.mean()) / 10  # rounded down: 9,999 of 10,000 is not 100 %
    log.info(
        f"Converged (final loss < {threshold:g}): {int(converged.sum()):,} of {members:,} members "
        f"({share:.1f} %); best member {result.best_member} (seed {best_seed})"
    )
    model = result.best_model
    if trainer.figures:
        with atomic(output_dir / "loss.png") as path:
            plots.ensemble_band(path, result.epochs, p10, median, p90, members, loss_name(cfg))
        title = f"Decision boundary of the best member, {result.best_member} (seed {best_seed})"
        run_dir.draw_decision_boundary(model, data, output_dir / "decision_boundary.png", title)
    summary["evaluation"] = run_dir.evaluation_report(model, data)
    run_dir.describe_model(model, data, summary)
    return float(np.median(np.nan_to_num(final, nan=np.inf)))


def run(cfg: DictConfig, output_dir: Path) -> float:
    """Validate, train, write the run directory; return the metric to minimize.

    SIGINT and SIGTERM stop the training at the next step with a checkpoint, and
    raise `Interrupted`. Whatever ends the run early leaves error.txt saying why."""
    started = time.perf_counter()
    resume_from = checkpoints.resume_path(cfg.trainer.resume, output_dir)
    run_dir.clear(output_dir, keep=resume_from)
    reserve = run_dir.reserve_error(output_dir)
    try:
        validate_train(cfg)
        if cfg.trainer.threads is not None:
            torch.set_num_threads(cfg.trainer.threads)
        with catch_stop_signals() as stop:
            experiment = build_experiment(cfg)
            summary: dict[str, Any] = {"epochs": cfg.trainer.epochs, "members": cfg.trainer.members}
            summary["device"] = str(experiment.device)
            try:
                train_job = _single if cfg.trainer.members == 1 else _seed_study
                columns = run_dir.metric_columns(experiment.data.val is not None, cfg.trainer.members > 1)
                with open_loggers(cfg.logger, output_dir, columns, plain(cfg)) as record:
                    objective = train_job(cfg, experiment, output_dir, summary, stop, resume_from, record)
                    summary["objective"] = run_dir.finite_or_none(objective)
                    summary["wall_time_s"] = time.perf_counter() - started
                    run_dir.write_json(output_dir / "summary.json", summary)
            except OSError as error:
                where = error.filename if error.filename is not None else output_dir
                raise OutputError(f"cannot write {where}: {error.strerror or error}") from None
    except Exception as error:
        write_error(output_dir, error_line(error))
        raise
    finally:
        reserve.unlink(missing_ok=True)
    log.info(f"Outputs in {shown_path(output_dir)}")
    return float(objective)


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="train")
def task(cfg: DictConfig) -> float:
    output_dir = Path(HydraConfig.get().runtime.output_dir)
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
    run_app(task, PROG)


if __name__ == "__main__":
    main()
