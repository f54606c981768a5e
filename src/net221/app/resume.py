"""A run's checkpoint.pt (`net221.app.checkpoint`): written every `trainer.checkpoint_every`
epochs (atomic, not forced to the disk), on a stop and at the end (forced), and read back by
`trainer.resume` to continue exactly where it stood.

Layer: app. A single network resumes into this config (`trainer.epochs` may grow); an
ensemble only into the config it started with, since its finished chunks were trained under
it. A checkpoint of another shape or data is refused in one line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from torch import nn

from net221.app.checkpoint import ENSEMBLE_TARGET, NET221_TARGET, load_checkpoint, save_checkpoint
from net221.app.config import is_net221, plain
from net221.app.experiment import Experiment
from net221.app.loggers import Row
from net221.app.sources import PreparedData
from net221.ensemble import Ensemble
from net221.errors import ConfigValueError
from net221.seed_study import StudyState

log = logging.getLogger("net221")
CHECKPOINT = "checkpoint.pt"
# settings that do not change what is computed: an ensemble may resume with others
FREE_ON_RESUME = {f"trainer.{key}" for key in ("resume", "progress", "figures", "threads", "device")}
FREE_ON_RESUME |= {"trainer.checkpoint_every", "trainer.chunk_size", "trainer.console_lines", "logger"}


def resume_path(setting: str | None, output_dir: Path) -> Path | None:
    """The checkpoint `trainer.resume` names; `auto`: the run directory's own, if any."""
    if setting != "auto":
        return None if setting is None else Path(setting)
    if (output_dir / CHECKPOINT).is_file():
        return output_dir / CHECKPOINT
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

    def _save(self, model: nn.Module, optimizer: Any, durable: bool, **more: Any) -> None:
        train, cfg = self.data.train, self.cfg
        data: dict[str, Any] = {"features": list(train.feature_names), "label_names": list(train.label_names)}
        data["normalization"] = self.data.normalization.to_dict()
        if optimizer is not None:
            more["optimizer"] = {"target": str(cfg.optimizer._target_), "state": optimizer.state_dict()}
        state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        content = {"model": model_spec(cfg, model), "state_dict": state_dict, "data": data, **more}
        save_checkpoint(self.path, {**content, "config": self.config}, durable)

    def single(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        epoch: int,
        step: int,
        history: list[dict[str, float]],
        durable: bool = True,
    ) -> None:
        self._save(model, optimizer, durable, epoch=epoch, step=step, history=history)
        self.saved_at = f"epoch {epoch}"

    def study(self, state: StudyState, durable: bool = True, best: nn.Module | None = None) -> None:
        """An ensemble's progress: the current chunk's ensemble, or when done the best member."""
        model = state.model if best is None else best
        assert model is not None
        progress = {
            "members": state.members,
            "chunk_size": state.chunk_size,
            "first": state.first,
            "done": state.results(),
            "current": state.current() if best is None else {},
            "best": None
            if state.best is None
            else {"member": state.best[0], "score": state.best[1], "values": torch.from_numpy(state.best[2])},
        }
        optimizer = state.optimizer if best is None else None
        self._save(model, optimizer, durable, epoch=state.epoch, step=state.step, ensemble=progress)
        last = min(state.first + state.chunk_size, state.members) - 1
        self.saved_at = f"epoch {state.epoch} of members {state.first:,}-{last:,}"


def _load(
    path: Path, cfg: DictConfig, probe: nn.Module, data: PreparedData, ensemble: bool
) -> dict[str, Any]:
    """The checkpoint to resume; refused if it is of another kind, network shape or data."""
    checkpoint, where = load_checkpoint(path), f"trainer.resume={str(path)!r}"
    if (checkpoint["ensemble"] is not None) != ensemble:
        kind = "a single network, not of an ensemble" if ensemble else "an ensemble (trainer.members > 1)"
        raise ConfigValueError(f"{where}: the checkpoint is of {kind}")
    saved = {**checkpoint["model"], **checkpoint["data"]}
    if saved["target"] == ENSEMBLE_TARGET:
        saved["target"] = NET221_TARGET
    features = list(data.train.feature_names)
    expected = model_spec(cfg, probe) | {"features": features, "normalization": data.normalization.to_dict()}
    for key, value in expected.items():
        if saved.get(key) != value:
            raise ConfigValueError(
                f"{where}: the checkpoint has {key}={saved.get(key)!r}, this config {value!r}"
            )
    return checkpoint


def _load_optimizer(checkpoint: dict[str, Any], optimizer: torch.optim.Optimizer, cfg: DictConfig) -> None:
    """The moment/momentum buffers of the checkpoint; the hyperparameters of this config."""
    saved, target = checkpoint["optimizer"], str(cfg.optimizer._target_)
    if saved is not None and saved["target"] == target:
        optimizer.load_state_dict({**saved["state"], "param_groups": optimizer.state_dict()["param_groups"]})
    elif saved is not None:
        log.warning(f"Resuming with {target}: the checkpoint's optimizer state is not used")


@dataclass
class Start:
    """Where one network's training begins: `epoch` epochs and `step` steps of the next done."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    epoch: int = 0
    step: int = 0
    history: list[Row] = field(default_factory=list)  # one row per logged epoch


def resume_single(path: Path, cfg: DictConfig, experiment: Experiment) -> Start:
    """A new network and optimizer with the checkpoint's state, its epoch, step and history."""
    model = experiment.make_model()
    optimizer = experiment.make_optimizer(model)
    checkpoint = _load(path, cfg, model, experiment.data, ensemble=False)
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
    _load_optimizer(checkpoint, optimizer, cfg)
    history: list[Row] = checkpoint["history"]
    if epoch < epochs and history and history[-1]["epoch"] % cfg.trainer.log_every != 0:
        history.pop()  # the earlier run's last epoch, logged as its last: this run goes on past it
    log.info(f"Resumed from {path} at epoch {epoch}" + (f", step {step}" if step else ""))
    return Start(model, optimizer, epoch, step, history)


def _differences(saved: Any, now: Any, key: str = "") -> list[tuple[str, Any, Any]]:
    if key in FREE_ON_RESUME:
        return []
    if isinstance(saved, dict) and isinstance(now, dict):
        return [
            found
            for name in list(now) + [name for name in saved if name not in now]
            for found in _differences(saved.get(name), now.get(name), f"{key}.{name}" if key else str(name))
        ]
    return [] if saved == now else [(key, saved, now)]


def resume_study(path: Path, cfg: DictConfig, experiment: Experiment) -> StudyState:
    """A seed study's state from its checkpoint, with its current chunk rebuilt."""
    checkpoint = _load(path, cfg, experiment.make_model(), experiment.data, ensemble=True)
    study = checkpoint["ensemble"]
    for key, saved, now in _differences(checkpoint["config"], plain(cfg))[:1]:
        raise ConfigValueError(
            f"trainer.resume={str(path)!r}: an ensemble continues under the config it started with; "
            f"{key} is {saved!r} there, {now!r} here"
        )
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
        _load_optimizer(checkpoint, state.optimizer, cfg)
        log.info(
            f"Resumed from {path}: members {state.first:,}-{state.first + count - 1:,} at epoch {state.epoch}"
            + (f", step {state.step}" if state.step else "")
        )
    return state
