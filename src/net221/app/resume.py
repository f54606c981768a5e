"""A run's checkpoint.pt: written every `trainer.checkpoint_every` epochs, on a stop and
at the end; read back by `trainer.resume` to continue exactly where it stood (the file
itself: `net221.app.checkpoint`).

The periodic checkpoints are atomic but not forced to the disk (a killed process
cannot damage them; fsync would cost more than the save itself); the one written
on a stop and the last one are.

Layer: app. A single network resumes into this config (its learning rate, its
epochs: `trainer.epochs` may grow); an ensemble resumes only into the config it
started with, since its finished chunks were trained under it.
`trainer.resume=auto` is the run directory's own checkpoint, if it has one.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from torch import nn

from net221.app.checkpoint import ENSEMBLE_TARGET, NET221_TARGET, load_checkpoint, save_checkpoint
from net221.app.config import is_net221, plain
from net221.app.sources import PreparedData
from net221.ensemble import Ensemble
from net221.errors import CheckpointError, ConfigValueError
from net221.loop import EpochPlan
from net221.seed_study import StudyState

log = logging.getLogger("net221")
CHECKPOINT = "checkpoint.pt"
# settings that do not change what is computed: an ensemble may resume with others
FREE_ON_RESUME = {
    f"trainer.{key}" for key in ("resume", "progress", "figures", "threads", "checkpoint_every")
}
FREE_ON_RESUME |= {"trainer.chunk_size", "trainer.device", "trainer.console_lines", "logger"}


def resume_path(setting: str | None, output_dir: Path) -> Path | None:
    """The checkpoint `trainer.resume` names; `auto`: the run directory's own, if any."""
    if setting is None:
        return None
    if setting != "auto":
        return Path(setting)
    own = output_dir / CHECKPOINT
    if own.is_file():
        return own
    log.info(f"trainer.resume=auto: no {CHECKPOINT} in {output_dir} yet; starting from the beginning")
    return None


def model_spec(cfg: DictConfig, model: nn.Module) -> dict[str, Any]:
    spec: dict[str, Any] = {"target": str(cfg.model._target_), "dtype": cfg.trainer.dtype}
    if is_net221(cfg.model):
        spec |= {"input_dim": model.input_dim, "width": model.width, "activation": model.activation}
    if isinstance(model, Ensemble):
        spec |= {"target": ENSEMBLE_TARGET, "members": model.members}
    return spec


class Saver:
    """Writes the run's checkpoint for one config and data set."""

    def __init__(self, path: Path, cfg: DictConfig, data: PreparedData) -> None:
        self.path, self.cfg, self.data = path, cfg, data
        self.config = plain(cfg)
        self.saved_at = ""  # where the last checkpoint stands: "epoch 120", "epoch 7 of members 0-999"

    def stopped(self) -> str:
        """What a run stopped by a signal says: where its checkpoint stands, how to resume."""
        from net221.app.process import shown_path

        return f"interrupted at {self.saved_at}; resume with trainer.resume={shown_path(self.path)}"

    def _payload(self, model: nn.Module, epoch: int, step: int) -> dict[str, Any]:
        data, cfg = self.data, self.cfg
        return {
            "model": model_spec(cfg, model),
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "data": {
                "source": str(cfg.data._target_),
                "target": cfg.data.get("target"),
                "positive": cfg.data.get("positive"),
                "features": list(data.train.feature_names),
                "label_names": list(data.train.label_names),
                "normalization": data.normalization.to_dict(),
            },
            "epoch": epoch,
            "step": step,
            "optimizer": None,
            "history": [],
            "config": self.config,
        }

    def single(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        epoch: int,
        step: int,
        history: list[dict[str, float]],
        durable: bool = True,
    ) -> None:
        payload = self._payload(model, epoch, step)
        payload["optimizer"] = {"target": str(self.cfg.optimizer._target_), "state": optimizer.state_dict()}
        payload["history"] = history
        save_checkpoint(self.path, payload, durable)
        self.saved_at = f"epoch {epoch}"

    def study(self, state: StudyState, durable: bool = True, best: nn.Module | None = None) -> None:
        """An ensemble's progress: the current chunk's ensemble, or when done the best member."""
        model = state.model if best is None else best
        assert model is not None
        payload = self._payload(model, state.epoch, state.step)
        if best is None and state.optimizer is not None:
            payload["optimizer"] = {
                "target": str(self.cfg.optimizer._target_),
                "state": state.optimizer.state_dict(),
            }
        payload["ensemble"] = {
            "members": state.members,
            "first_seed": int(self.cfg.trainer.seed),
            "chunk_size": state.chunk_size,
            "first": state.first,
            "done": state.results(),
            "current": state.current() if best is None else {},
            "best": None
            if state.best is None
            else {"member": state.best[0], "score": state.best[1], "values": torch.from_numpy(state.best[2])},
        }
        save_checkpoint(self.path, payload, durable)
        last = min(state.first + state.chunk_size, state.members) - 1
        self.saved_at = f"epoch {state.epoch} of members {state.first:,}-{last:,}"


def _fits(
    checkpoint: dict[str, Any], path: Path, cfg: DictConfig, probe: nn.Module, data: PreparedData
) -> None:
    """Refuse a checkpoint of another network shape or another data normalization."""
    saved_model = dict(checkpoint["model"])
    if saved_model["target"] == ENSEMBLE_TARGET:
        saved_model["target"] = NET221_TARGET
    for key, value in model_spec(cfg, probe).items():
        if saved_model.get(key) != value:
            raise ConfigValueError(
                f"trainer.resume={str(path)!r}: the checkpoint has {key}={saved_model.get(key)!r}, this config {value!r}"
            )
    expected = {"features": list(data.train.feature_names), "normalization": data.normalization.to_dict()}
    for key, value in expected.items():
        if checkpoint["data"].get(key) != value:
            raise ConfigValueError(
                f"trainer.resume={str(path)!r}: the checkpoint was trained with data {key} "
                f"{checkpoint['data'].get(key)!r}, this config gives {value!r}"
            )


def _load_optimizer(
    checkpoint: dict[str, Any], optimizer: torch.optim.Optimizer, cfg: DictConfig, path: Path
) -> None:
    """The moment/momentum buffers of the checkpoint; the hyperparameters of this config."""
    saved = checkpoint.get("optimizer")
    target = str(cfg.optimizer._target_)
    if saved is None or saved["target"] != target:
        if saved is not None:
            log.warning(f"Resuming with {target}: the checkpoint's optimizer state is not used")
        return
    state = dict(saved["state"])
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for index, values in state["state"].items():
        if not isinstance(index, int) or not 0 <= index < len(params):
            raise CheckpointError(
                f"checkpoint {str(path)!r}: optimizer state for a parameter it does not have"
            )
        for name, value in values.items():
            if isinstance(value, torch.Tensor) and value.dim() and value.shape != params[index].shape:
                raise CheckpointError(
                    f"checkpoint {str(path)!r}: optimizer {name} has shape {tuple(value.shape)}, "
                    f"its parameter {tuple(params[index].shape)}"
                )
    state["param_groups"] = optimizer.state_dict()["param_groups"]
    try:
        optimizer.load_state_dict(state)
    except (ValueError, KeyError, TypeError, RuntimeError) as error:
        raise CheckpointError(
            f"checkpoint {str(path)!r}: the optimizer state does not fit ({error})"
        ) from None


def resume_single(
    path: Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    cfg: DictConfig,
    data: PreparedData,
) -> tuple[int, int, list[dict[str, float]]]:
    """Load a checkpoint into `model` and `optimizer`; return its epoch, step and history."""
    checkpoint = load_checkpoint(path)
    if checkpoint["ensemble"] is not None:
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: the checkpoint is of an ensemble (trainer.members > 1)"
        )
    _fits(checkpoint, path, cfg, model, data)
    epoch, step, epochs = checkpoint["epoch"], checkpoint["step"], cfg.trainer.epochs
    complete_ok = cfg.trainer.resume == "auto"  # a requeued run that had finished: write its outputs again
    if epoch > epochs or (epoch == epochs and (step or not complete_ok)):
        raise ConfigValueError(
            f"trainer.epochs={epochs}: the checkpoint already has {epoch} epochs; ask for more"
        )
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError:
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: the checkpoint's tensors do not fit this model"
        ) from None
    _load_optimizer(checkpoint, optimizer, cfg, path)
    history: list[dict[str, float]] = checkpoint["history"]
    if epoch < epochs and history and int(history[-1]["epoch"]) % cfg.trainer.log_every != 0:
        history.pop()  # the earlier run's last epoch, logged as its last: this run goes on past it
    return epoch, step, history


def _differences(saved: Any, now: Any, key: str = "") -> list[tuple[str, Any, Any]]:
    if key in FREE_ON_RESUME:
        return []
    if isinstance(saved, dict) and isinstance(now, dict):
        names = list(now) + [name for name in saved if name not in now]
        return [
            found
            for name in names
            for found in _differences(saved.get(name), now.get(name), f"{key}.{name}" if key else str(name))
        ]
    return [] if saved == now else [(key, saved, now)]


def resume_study(
    path: Path, cfg: DictConfig, probe: nn.Module, data: PreparedData, plan: EpochPlan
) -> tuple[StudyState, dict[str, Any]]:
    """A seed study's state from its checkpoint (`load_study_chunk` then puts back its current chunk)."""
    checkpoint = load_checkpoint(path)
    study = checkpoint["ensemble"]
    if study is None:
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: the checkpoint is of a single network, not of an ensemble"
        )
    _fits(checkpoint, path, cfg, probe, data)
    differences = _differences(checkpoint["config"], plain(cfg))
    if differences:
        key, saved, now = differences[0]
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: an ensemble continues under the config it started with; "
            f"{key} is {saved!r} there, {now!r} here"
        )
    state = StudyState(
        study["members"], study["chunk_size"], study["first"], checkpoint["epoch"], checkpoint["step"]
    )
    state.restore(study["done"], study["current"], plan)
    best = study["best"]
    if best is not None:
        state.best = (best["member"], float(best["score"]), best["values"].numpy())
    return state, checkpoint


def load_study_chunk(
    state: StudyState,
    checkpoint: dict[str, Any],
    model: Ensemble,
    optimizer: torch.optim.Optimizer,
    cfg: DictConfig,
    path: Path,
) -> None:
    """Put the checkpoint's current chunk into a freshly built ensemble and its optimizer."""
    model.load_state_dict(checkpoint["state_dict"])  # shapes checked on load and against the chunk
    _load_optimizer(checkpoint, optimizer, cfg, path)
    state.model, state.optimizer = model, optimizer
    log.info(
        f"Resumed from {path}: members {state.first:,}-{state.first + model.members - 1:,} at epoch {state.epoch}"
        + (f", step {state.step}" if state.step else "")
    )
