"""net221-train: train the network under a Hydra config and write a run directory.

Layer: app. With no arguments it reproduces the blog. Each run's directory holds
Hydra's composed config (.hydra/), train.log, metrics.csv, checkpoint.pt,
loss.png, summary.json, and, where they apply, decision_boundary.png (two
features) and members.csv (an ensemble). The task returns the final loss
(validation loss when there is a validation split; the median over members for
an ensemble) for sweepers to minimize.

    net221-train                                  # the blog
    net221-train optimizer.lr=0.5 model.width=4   # any override
    net221-train -m optimizer.lr=0.01,0.1,1.0     # a sweep
    python -m net221.app.train ...                    # the same
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from net221.app import plots
from net221.app.cli import exit_at_once, fail_job, run_app
from net221.app.schemas import init_scheme, plain, register_schemas, validate_train
from net221.data import BLOG_FEATURES, BLOG_UNITS, Dataset, Normalization, held_out_people
from net221.app.sources import load_source, split
from net221.errors import ConfigValueError, DataError, UserError

if TYPE_CHECKING:
    import torch

    from net221.ensemble import EnsembleResult
    from net221.network import Net221
    from net221.trainer import EpochLog, LossFunction, Schedule

log = logging.getLogger("net221")
register_schemas()


@dataclass(frozen=True)
class PreparedData:
    train: Dataset
    val: Dataset | None
    normalization: Normalization


def prepare_data(cfg: DictConfig) -> PreparedData:
    data = cfg.data
    loaded = load_source(
        data.source, data.path, list(data.features), data.target, str(data.positive), data.on_missing
    )
    if loaded.dropped:
        log.info(f"Dropped {loaded.dropped} row(s) with missing values")
    train_set, val_set = split(loaded.dataset, data.val_fraction, data.seed)
    try:
        normalization = Normalization.fit(data.normalize, train_set.features, train_set.feature_names)
    except ValueError as error:
        raise DataError(f"data.normalize={data.normalize!r}: {error}") from None
    where = f"{loaded.description}; {len(train_set)} training rows"
    log.info(f"Data: {where}" + (f", {len(val_set)} validation rows" if val_set is not None else ""))
    return PreparedData(train_set, val_set, normalization)


def _device(requested: str) -> torch.device:
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigValueError("trainer.device='cuda': CUDA is not available on this machine")
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(requested)


def _instantiate(node: DictConfig, key: str) -> Any:
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        built = instantiate(node)
    except InstantiationException as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigValueError(f"{key}: cannot build {node.get('_target_')!r}: {first}") from None
    if isinstance(built, functools.partial):
        # Hydra's partials re-check their target on every call (about 0.2 ms); the
        # target was checked when it was instantiated, and the loss is called every step.
        built = functools.partial(built.func, *built.args, **built.keywords)
    return built


def _build_optimizer(
    make: Callable[..., torch.optim.Optimizer], cfg: DictConfig, model: Net221
) -> torch.optim.Optimizer:
    try:
        return make(model.parameters())
    except (TypeError, ValueError) as error:
        raise ConfigValueError(
            f"optimizer: {cfg.optimizer._target_} rejects these settings: {error}"
        ) from None


def _tensors(
    dataset: Dataset, normalization: Normalization, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    x = torch.tensor(normalization.apply(dataset.features), dtype=dtype, device=device)
    y = torch.tensor(dataset.labels, dtype=dtype, device=device).reshape(-1, 1)
    return x, y


@dataclass(frozen=True)
class Tensors:
    """The normalized data on the training device: x (N, D), y (N, 1), and validation if any."""

    x: torch.Tensor
    y: torch.Tensor
    x_val: torch.Tensor | None
    y_val: torch.Tensor | None


def _all_tensors(data: PreparedData, dtype: torch.dtype, device: torch.device) -> Tensors:
    x, y = _tensors(data.train, data.normalization, dtype, device)
    if data.val is None:
        return Tensors(x, y, None, None)
    x_val, y_val = _tensors(data.val, data.normalization, dtype, device)
    return Tensors(x, y, x_val, y_val)


def _schedule(cfg: DictConfig) -> Schedule:
    from net221.trainer import Schedule

    trainer = cfg.trainer
    return Schedule(trainer.epochs, trainer.batch_size, trainer.shuffle, trainer.log_every, cfg.data.seed)


@contextmanager
def _progress(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; elsewhere (files, pipes, CI) nothing."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda steps: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)


class MetricsFile:
    """metrics.csv, one row per logged epoch, flushed as it goes so that a run that
    stops early (divergence) keeps every row logged before it."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self._handle: TextIO = path.open("w", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(columns)

    def write(self, row: list[float]) -> None:
        self._writer.writerow([repr(float(v)) if not isinstance(v, int) else v for v in row])
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def _metric_columns(has_val: bool, ensemble: bool) -> list[str]:
    columns = ["epoch", "loss", "accuracy"]
    if ensemble:
        columns += ["loss_p10", "loss_p90"]
    if has_val:
        columns += ["val_loss", "val_accuracy"]
    return columns


class TensorBoardSink:
    def __init__(self, log_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(log_dir))

    def write(self, epoch: int, scalars: dict[str, float]) -> None:
        for name, value in scalars.items():
            self.writer.add_scalar(name, value, epoch)

    def close(self) -> None:
        self.writer.close()


def _tensorboard(cfg: DictConfig, output_dir: Path) -> TensorBoardSink | None:
    if cfg.logger is None:
        return None
    try:
        return TensorBoardSink(output_dir / cfg.logger.log_dir)
    except ImportError:
        log.warning(
            "logger=tensorboard skipped: tensorboard is not installed (pip install 'net221[tensorboard]')"
        )
        return None


# --- training -------------------------------------------------------------------------


@dataclass
class SingleResult:
    model: Net221
    optimizer: torch.optim.Optimizer
    history: list[dict[str, float]]
    epochs_done: int


def _initial(cfg: DictConfig, input_dim: int, members: int, first_member: int) -> np.ndarray:
    from net221.init import initial_parameters

    init = cfg.model.init
    return initial_parameters(
        init_scheme(init),
        input_dim=input_dim,
        width=cfg.model.width,
        members=members,
        seed=cfg.trainer.seed + first_member,
        values=None if init["values"] is None else dict(init["values"]),
        noise_std=init.noise_std,
    )


def _build_model(
    cfg: DictConfig, input_dim: int, members: int, first_member: int, dtype: torch.dtype, device: torch.device
) -> Net221:
    from net221.network import Net221

    return Net221(
        input_dim=input_dim,
        width=cfg.model.width,
        activation=cfg.model.activation,
        members=members,
        initial=_initial(cfg, input_dim, members, first_member),
        dtype=dtype,
        device=device,
    )


def _resume(
    cfg: DictConfig, model: Net221, optimizer: torch.optim.Optimizer, features: list[str]
) -> tuple[int, list[dict[str, float]]]:
    from net221.checkpoint import load_checkpoint

    path = cfg.trainer.resume
    checkpoint = load_checkpoint(path)
    spec = checkpoint["model"]
    ours = {
        "input_dim": model.input_dim,
        "width": model.width,
        "activation": model.activation,
        "dtype": cfg.model.dtype,
    }
    for key, value in ours.items():
        if spec[key] != value:
            raise ConfigValueError(
                f"trainer.resume={path!r}: the checkpoint has {key}={spec[key]!r}, this config {value!r}"
            )
    if checkpoint["data"]["features"] != features:
        raise ConfigValueError(
            f"trainer.resume={path!r}: the checkpoint was trained on features {checkpoint['data']['features']}"
        )
    epoch = checkpoint["epoch"]
    if epoch >= cfg.trainer.epochs:
        raise ConfigValueError(
            f"trainer.epochs={cfg.trainer.epochs}: the checkpoint already has {epoch} epochs; ask for more"
        )
    model.load_state_dict(checkpoint["state_dict"])
    saved = checkpoint.get("optimizer")
    if isinstance(saved, dict) and saved.get("target") == cfg.optimizer._target_:
        # keep the moment/momentum buffers; hyperparameters come from this config
        state = dict(saved["state"])
        state["param_groups"] = optimizer.state_dict()["param_groups"]
        optimizer.load_state_dict(state)
    elif saved is not None:
        log.warning(f"Resuming with {cfg.optimizer._target_}: the checkpoint's optimizer state is not used")
    log.info(f"Resumed from {path} at epoch {epoch}")
    return epoch, [dict(row) for row in checkpoint["history"]]


def train_single(
    cfg: DictConfig,
    data: PreparedData,
    tensors: Tensors,
    loss_fn: LossFunction,
    output_dir: Path,
    sink: TensorBoardSink | None,
) -> SingleResult:
    from net221.trainer import train

    features = list(data.train.feature_names)
    x, y = tensors.x, tensors.y
    dtype, device = x.dtype, x.device
    model = _build_model(cfg, x.shape[1], 1, 0, dtype, device)
    optimizer = _build_optimizer(_instantiate(cfg.optimizer, "optimizer"), cfg, model)
    start_epoch, history = (0, []) if cfg.trainer.resume is None else _resume(cfg, model, optimizer, features)

    columns = _metric_columns(data.val is not None, ensemble=False)
    metrics = MetricsFile(output_dir / "metrics.csv", columns)
    for row in history:  # a resumed run's earlier epochs; a column the checkpoint lacks reads nan
        metrics.write([row.get(c, float("nan")) for c in columns])

    def on_log(entry: EpochLog) -> None:
        row = {
            "epoch": entry.epoch,
            "loss": float(entry.train.loss[0]),
            "accuracy": float(entry.train.accuracy[0]),
        }
        line = f"Epoch {entry.epoch} loss: {row['loss']:.3f}"
        if entry.val is not None:
            row["val_loss"] = float(entry.val.loss[0])
            row["val_accuracy"] = float(entry.val.accuracy[0])
            line += f" val_loss: {row['val_loss']:.3f}"
        history.append(row)
        metrics.write([row[c] for c in columns])
        if sink is not None:
            sink.write(
                entry.epoch, {f"{k.replace('val_', 'val/')}": v for k, v in row.items() if k != "epoch"}
            )
        log.info(line)

    try:
        with _progress(cfg.trainer.progress, cfg.trainer.epochs - start_epoch, "training") as advance:
            train(
                model,
                optimizer,
                loss_fn,
                x,
                y,
                _schedule(cfg),
                start_epoch=start_epoch,
                x_val=tensors.x_val,
                y_val=tensors.y_val,
                on_log=on_log,
                on_epoch=lambda _: advance(1),
            )
    finally:
        metrics.close()
    return SingleResult(model, optimizer, history, cfg.trainer.epochs)


def train_ensemble(cfg: DictConfig, tensors: Tensors, loss_fn: LossFunction) -> EnsembleResult:
    from net221.ensemble import auto_chunk_size, train_members

    x, y, x_val = tensors.x, tensors.y, tensors.x_val
    members = cfg.trainer.members
    rows = max(x.shape[0], 0 if x_val is None else x_val.shape[0])
    chunk = cfg.trainer.chunk_size or auto_chunk_size(
        members, rows, cfg.trainer.batch_size, cfg.model.width, x.shape[1], x.device.type
    )
    make_optimizer = _instantiate(cfg.optimizer, "optimizer")
    log.info(f"Training {members:,} members in chunks of {min(chunk, members):,}")
    with _progress(cfg.trainer.progress, members, "members") as advance:
        return train_members(
            lambda first, count: _build_model(cfg, x.shape[1], count, first, x.dtype, x.device),
            lambda model: _build_optimizer(make_optimizer, cfg, model),
            loss_fn,
            x,
            y,
            _schedule(cfg),
            members,
            chunk,
            x_val=x_val,
            y_val=tensors.y_val,
            on_chunk=lambda first, count: advance(count),
        )


# --- outputs ----------------------------------------------------------------------------


def _probabilities(model: Net221, normalization: Normalization, raw: np.ndarray) -> np.ndarray:
    import torch

    param = model.hidden_weight
    x = torch.tensor(normalization.apply(raw), dtype=param.dtype, device=param.device)
    return model.predict_proba(x)[0].cpu().numpy().astype(np.float64)


def _log_evaluation(split: str, report: dict[str, Any]) -> None:
    confusion = report["confusion"]
    auc = report["roc_auc"]
    log.info(
        f"{split}: accuracy {report['accuracy']:.3f}, ROC AUC {'n/a' if auc is None else f'{auc:.3f}'}, "
        f"confusion tp={confusion['tp']} fp={confusion['fp']} tn={confusion['tn']} fn={confusion['fn']} "
        f"({report['rows']} rows)"
    )


def _evaluation(model: Net221, data: PreparedData) -> dict[str, Any]:
    from net221.metrics import classification_report

    out: dict[str, Any] = {
        "train": classification_report(
            _probabilities(model, data.normalization, data.train.features), data.train.labels
        )
    }
    if data.val is not None:
        out["val"] = classification_report(
            _probabilities(model, data.normalization, data.val.features), data.val.labels
        )
    return out


def _checkpoint_payload(
    cfg: DictConfig,
    model: Net221,
    data: PreparedData,
    epoch: int,
    history: list[dict[str, float]],
    optimizer: torch.optim.Optimizer | None,
) -> dict[str, Any]:
    return {
        "model": {
            "input_dim": model.input_dim,
            "width": model.width,
            "activation": model.activation,
            "dtype": cfg.model.dtype,
        },
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "data": {
            "features": list(data.train.feature_names),
            "target": cfg.data.target,
            "positive": str(cfg.data.positive),
            "label_names": list(data.train.label_names),
            "normalization": data.normalization.to_dict(),
        },
        "epoch": epoch,
        "optimizer": None
        if optimizer is None
        else {"target": cfg.optimizer._target_, "state": optimizer.state_dict()},
        "history": history,
        "config": plain(cfg),
    }


def _summarize_model(model: Net221, data: PreparedData, summary: dict[str, Any]) -> None:
    if model.input_dim == 2 and model.width == 2:
        summary["blog_weights"] = model.blog_parameters()
    if tuple(data.train.feature_names) == BLOG_FEATURES:
        people = held_out_people()
        probabilities = _probabilities(model, data.normalization, people.features)
        summary["predictions"] = {name: float(p) for name, p in zip(people.names, probabilities, strict=True)}
        for name, p in summary["predictions"].items():
            log.info(f"{name}: {p:.3f}")


def _draw_decision_boundary(
    model: Net221, data: PreparedData, output_dir: Path, figures: plots.PlotWorker
) -> None:
    """decision_boundary.png, for two features: the data and the network's 0.5 contour."""
    if model.input_dim != 2:
        return
    raw = data.train.features if data.val is None else np.vstack([data.train.features, data.val.features])
    labels = data.train.labels if data.val is None else np.concatenate([data.train.labels, data.val.labels])
    xs, ys = plots.decision_grid(raw)
    grid = np.column_stack([g.ravel() for g in np.meshgrid(xs, ys)])
    figures.draw(
        plots.decision_boundary,
        output_dir / "decision_boundary.png",
        xs,
        ys,
        _probabilities(model, data.normalization, grid).reshape(ys.size, xs.size),
        raw,
        labels,
        [f"{name} ({BLOG_UNITS[name]})" if name in BLOG_UNITS else name for name in data.train.feature_names],
        data.train.label_names,
    )


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def run(cfg: DictConfig, output_dir: Path, *, background_plots: bool = False) -> float:
    """Validate, train, write the run directory; return the metric to minimize.

    background_plots: draw the figures in a separate process (a PlotWorker) that
    imports matplotlib while this one imports torch and trains."""
    started = time.perf_counter()
    validate_train(cfg)
    data = prepare_data(cfg)
    summary: dict[str, Any] = {"epochs": cfg.trainer.epochs, "members": cfg.trainer.members}
    with plots.PlotWorker(background=background_plots) as figures:
        objective = _train_and_write(cfg, data, output_dir, summary, figures)
    summary["objective"] = _finite_or_none(objective)
    summary["wall_time_s"] = time.perf_counter() - started
    _write_json(output_dir / "summary.json", summary)
    log.info(f"Outputs in {output_dir}")
    return float(objective)


def _train_and_write(
    cfg: DictConfig,
    data: PreparedData,
    output_dir: Path,
    summary: dict[str, Any],
    figures: plots.PlotWorker,
) -> float:
    """Train; write the checkpoint, metrics and figures; fill in the summary; return the objective."""
    import torch

    from net221.checkpoint import save_checkpoint
    from net221.optim_step import skip_dynamo_wrappers
    from net221.trainer import DivergedError, evaluate

    skip_dynamo_wrappers()
    device = _device(cfg.trainer.device)
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.model.dtype]
    loss_fn = _instantiate(cfg.loss, "loss")
    probe = torch.full((1, 1, 1), 0.5, dtype=dtype)
    try:
        loss_fn(probe, probe, reduction="none")
    except TypeError as error:
        raise ConfigValueError(
            f"loss: {cfg.loss._target_} does not take (y_pred, y_true, reduction=...): {error}"
        ) from None

    sink = _tensorboard(cfg, output_dir)
    summary["device"] = str(device)
    tensors = _all_tensors(data, dtype, device)
    try:
        if cfg.trainer.members == 1:
            single = train_single(cfg, data, tensors, loss_fn, output_dir, sink)
            model = single.model
            final = evaluate(model, loss_fn, tensors.x, tensors.y)
            if not np.isfinite(final.loss).all():
                raise DivergedError(cfg.trainer.epochs - 1)
            history = single.history
            # the figures first: the worker draws them while this process goes on
            figures.draw(
                plots.loss_curve,
                output_dir / "loss.png",
                [int(r["epoch"]) for r in history],
                [r["loss"] for r in history],
                [r["val_loss"] for r in history] if data.val is not None else None,
            )
            _draw_decision_boundary(model, data, output_dir, figures)
            summary["final_loss"] = float(final.loss[0])
            summary["final_accuracy"] = float(final.accuracy[0])
            if tensors.x_val is not None and tensors.y_val is not None:
                val = evaluate(model, loss_fn, tensors.x_val, tensors.y_val)
                summary["final_val_loss"] = float(val.loss[0])
                summary["final_val_accuracy"] = float(val.accuracy[0])
            objective = summary.get("final_val_loss", summary["final_loss"])
            save_checkpoint(
                output_dir / "checkpoint.pt",
                _checkpoint_payload(cfg, model, data, single.epochs_done, single.history, single.optimizer),
            )
            if len(history) > 1 and history[-1]["loss"] >= history[0]["loss"]:
                log.warning(
                    f"The loss did not go down ({history[0]['loss']:.3f} at epoch {history[0]['epoch']}, "
                    f"{history[-1]['loss']:.3f} at epoch {history[-1]['epoch']}); "
                    "saturated neurons after too large a step (optimizer.lr) are a common cause"
                )
        else:
            result = train_ensemble(cfg, tensors, loss_fn)
            model = result.best_model
            objective = _write_ensemble(cfg, result, data, output_dir, summary, sink, figures)
            _draw_decision_boundary(model, data, output_dir, figures)
            save_checkpoint(
                output_dir / "checkpoint.pt",
                _checkpoint_payload(cfg, model, data, cfg.trainer.epochs, [], None),
            )
        summary["evaluation"] = _evaluation(model, data)
        for split, report in summary["evaluation"].items():
            _log_evaluation({"train": "Training", "val": "Validation"}[split], report)
        _summarize_model(model, data, summary)
    finally:
        if sink is not None:
            sink.close()
    return float(objective)


def _write_ensemble(
    cfg: DictConfig,
    result: EnsembleResult,
    data: PreparedData,
    output_dir: Path,
    summary: dict[str, Any],
    sink: TensorBoardSink | None,
    figures: plots.PlotWorker,
) -> float:
    has_val = result.val_loss is not None
    columns = _metric_columns(has_val, ensemble=True)
    metrics = MetricsFile(output_dir / "metrics.csv", columns)
    with np.errstate(all="ignore"):
        p10, median, p90 = np.nanpercentile(result.loss, [10, 50, 90], axis=1)
        accuracy = np.nanmean(result.accuracy, axis=1)
        val_median = np.nanmedian(result.val_loss, axis=1) if result.val_loss is not None else None
        val_accuracy = np.nanmean(result.val_accuracy, axis=1) if result.val_accuracy is not None else None
    for i, epoch in enumerate(result.epochs):
        row: list[float] = [epoch, median[i], accuracy[i], p10[i], p90[i]]
        if val_median is not None and val_accuracy is not None:
            row += [val_median[i], val_accuracy[i]]
        metrics.write(row)
        log.info(f"Epoch {epoch} loss: {median[i]:.3f} (median; 10-90 %: {p10[i]:.3f}-{p90[i]:.3f})")
        if sink is not None:
            sink.write(
                epoch, {"loss/median": float(median[i]), "loss/p10": float(p10[i]), "loss/p90": float(p90[i])}
            )
    metrics.close()

    threshold = cfg.trainer.converged_below
    final = result.final_val_loss if result.final_val_loss is not None else result.final_loss
    converged = np.nan_to_num(result.final_loss, nan=np.inf) < threshold
    seeds = cfg.trainer.seed + np.arange(result.final_loss.size)
    with (output_dir / "members.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["member", "seed", "final_loss", "accuracy", "converged"]
            + (["val_loss", "val_accuracy"] if has_val else [])
        )
        for k in range(result.final_loss.size):
            row_out: list[Any] = [
                k,
                int(seeds[k]),
                repr(float(result.final_loss[k])),
                repr(float(result.final_accuracy[k])),
                int(converged[k]),
            ]
            if result.final_val_loss is not None and result.final_val_accuracy is not None:
                row_out += [repr(float(result.final_val_loss[k])), repr(float(result.final_val_accuracy[k]))]
            writer.writerow(row_out)
    rate = float(converged.mean())
    diverged = int(np.sum(~np.isfinite(result.final_loss)))
    summary["ensemble"] = {
        "members": int(result.final_loss.size),
        "first_seed": cfg.trainer.seed,
        "converged_below": threshold,
        "converged": int(converged.sum()),
        "convergence_rate": rate,
        "diverged": diverged,
        "best_member": result.best_member,
        "best_seed": int(seeds[result.best_member]),
        "final_loss_median": _finite_or_none(float(np.median(np.nan_to_num(result.final_loss, nan=np.inf)))),
    }
    summary["final_loss"] = summary["ensemble"]["final_loss_median"]
    summary["final_accuracy"] = float(np.nanmean(result.final_accuracy))
    log.info(
        f"Converged (final loss < {threshold:g}): {int(converged.sum()):,} of {converged.size:,} members "
        f"({100 * rate:.1f} %); best member {result.best_member} (seed {int(seeds[result.best_member])})"
    )
    figures.draw(
        plots.ensemble_band, output_dir / "loss.png", result.epochs, p10, median, p90, converged.size
    )
    return float(np.median(np.nan_to_num(final, nan=np.inf)))


# Whether this process ran a single run (not a sweep) to its end: only then does the
# command end the process at once; a sweep's launcher may still clean up at exit
# (joblib's files).
_single_run_done = False


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="train")
def _task(cfg: DictConfig) -> float:
    global _single_run_done
    hydra_config = HydraConfig.get()
    try:
        objective = run(cfg, Path(hydra_config.runtime.output_dir), background_plots=True)
    except UserError as error:
        fail_job("net221-train", error)
        raise
    _single_run_done = hydra_config.mode == RunMode.RUN
    return objective


def main() -> None:
    """The app, for callers in Python: returns when it is done (exits on an error)."""
    run_app(_task, "net221-train")


def command() -> None:
    """The `net221-train` command: the app, then, after a single run, the end of the
    process without the interpreter's shutdown (see cli.exit_at_once)."""
    main()
    if _single_run_done:
        exit_at_once(0)


if __name__ == "__main__":
    command()
