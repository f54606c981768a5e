"""checkpoint.pt: a trained network, how to feed it raw data, and how to resume its training.

Layer: app. The file is `torch.save({format, sha256, content})`: content is the `torch.save`
bytes (a uint8 tensor) of a dict (model spec, state_dict, data {features, label_names,
normalization}, epoch, step, optimizer, history {columns, values}, ensemble progress or None,
config), sha256 hashlib's digest of them; both load with `weights_only=True`. The format
refuses a foreign file and the digest a damaged one; what the digest covers was written by
`save_checkpoint`, so only its top-level fields are checked on loading.

A run writes it every `trainer.checkpoint_every` epochs (not forced to the disk), on a stop and at
the end (forced). `trainer.resume` continues a single network under this config (`trainer.epochs`
may grow), an ensemble only under the config it started with; another shape or data is refused.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from torch import nn

from net221.app.config import NET221, is_net221, plain
from net221.app.loggers import Row
from net221.app.outputs import atomic
from net221.app.process import shown_path
from net221.app.sources import PreparedData, file_problem
from net221.data import Normalization
from net221.ensemble import Ensemble
from net221.errors import CheckpointError, ConfigValueError
from net221.network import DTYPES, Net221
from net221.seed_study import StudyState

log = logging.getLogger("net221")
FORMAT = "net221-checkpoint-3"
CHECKPOINT = "checkpoint.pt"
ENSEMBLE_TARGET = "net221.ensemble.Ensemble"
FIELDS = {"model": dict, "state_dict": dict, "data": dict, "history": dict, "config": dict, "epoch": int}
# settings that do not change what is computed: an ensemble may resume with others
FREE_ON_RESUME = {f"trainer.{key}" for key in ("resume", "progress", "figures", "threads", "device")}
FREE_ON_RESUME |= {"trainer.checkpoint_every", "trainer.chunk_size", "trainer.console_lines", "logger"}


def save_checkpoint(path: str | Path, content: dict[str, Any], durable: bool = True) -> None:
    """Write whole or not at all; `durable` also forces the bytes to the disk (fsync) before
    the rename, so that not even a crash of the machine leaves a damaged file."""
    content = {"step": 0, "history": [], "optimizer": None, "ensemble": None, **content}
    rows = content["history"]
    if isinstance(rows, list):  # rows {epoch, loss, ...} as one float64 table: fast however long the run
        columns = list(rows[0]) if rows else []
        values = torch.tensor([[float(row[c]) for c in columns] for row in rows], dtype=torch.float64)
        content["history"] = {"columns": columns, "values": values.reshape(len(rows), len(columns))}
    buffer = io.BytesIO()
    torch.save(content, buffer)
    data = buffer.getvalue()
    raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    with atomic(Path(path)) as temporary, temporary.open("wb") as handle:
        torch.save({"format": FORMAT, "sha256": hashlib.sha256(data).hexdigest(), "content": raw}, handle)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint a file holds, its history as a list of rows; any problem is a
    CheckpointError naming the file."""
    file, where = Path(path), f"checkpoint {str(path)!r}"
    if (problem := file_problem(file)) is not None:
        raise CheckpointError(f"{where}: {problem}")
    try:
        with warnings.catch_warnings():  # torch's remarks on a file it then refuses are noise here
            warnings.simplefilter("ignore")
            outer = torch.load(file, map_location="cpu", weights_only=True)
        if not isinstance(outer, dict) or outer.get("format") != FORMAT:
            raise CheckpointError(f"{where}: not a net221 checkpoint (of this version)")
        data = outer["content"].numpy().tobytes()
        if hashlib.sha256(data).hexdigest() != outer["sha256"]:
            raise CheckpointError(f"{where}: its content does not match its SHA-256 (damaged or altered)")
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        for key, kind in FIELDS.items():
            if not isinstance(checkpoint.get(key), kind):
                raise CheckpointError(f"{where}: '{key}' is missing or malformed")
        table = checkpoint["history"]
        rows = [dict(zip(table["columns"], row, strict=True)) for row in table["values"].tolist()]
    except CheckpointError:
        raise
    except Exception:  # whatever the bytes are, they are not a checkpoint this loader accepts
        raise CheckpointError(f"{where}: not a readable checkpoint (corrupt, truncated, other)") from None
    return {**checkpoint, "history": [{**row, "epoch": int(row["epoch"])} for row in rows]}


def load_network(path: str | Path) -> tuple[Net221, Normalization]:
    """The trained Net221 in a checkpoint.pt and the normalization its raw inputs need:

        model, normalization = load_network("outputs/DATE/TIME/checkpoint.pt")
        p = model(torch.tensor(normalization.apply(raw_rows), dtype=model.hidden.weight.dtype))

    A seed study's checkpoint holds its best member. Raises CheckpointError for a file that
    is not a net221 checkpoint of a finished Net221 run."""
    checkpoint = load_checkpoint(path)
    return model_from(checkpoint, f"checkpoint {str(path)!r}"), normalization_from(checkpoint)


def model_from(checkpoint: dict[str, Any], where: str = "the checkpoint") -> Net221:
    """The checkpoint's Net221, its weights loaded; `where` names the file in an error."""
    spec = checkpoint["model"]
    if spec["target"] != NET221:
        unfinished = " (an unfinished ensemble: resume it)" if checkpoint["ensemble"] else ""
        raise CheckpointError(f"{where} holds a {spec['target']}{unfinished}, not a Net221")
    dtype = DTYPES[spec["dtype"]]
    model = Net221(spec["input_dim"], spec["width"], spec["activation"], dtype=dtype)
    model.load_state_dict(checkpoint["state_dict"])
    return model


def normalization_from(checkpoint: dict[str, Any]) -> Normalization:
    norm = checkpoint["data"]["normalization"]
    return Normalization(shift=tuple(map(float, norm["shift"])), scale=tuple(map(float, norm["scale"])))


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


@dataclass
class SingleState:
    """How far one network's training has come, enough to continue it with the same results:
    `epoch` epochs and `step` steps of the next, one row of `history` per logged epoch (a seed
    study's is `net221.seed_study.StudyState`)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    epoch: int = 0
    step: int = 0
    history: list[Row] = field(default_factory=list)


class Saver:
    """Writes the run's checkpoint for one config and data set."""

    def __init__(self, path: Path, cfg: DictConfig, data: PreparedData) -> None:
        self.path, self.cfg, self.data = path, cfg, data
        self.config = plain(cfg)
        self.saved_at = ""  # where the last checkpoint stands: "epoch 120", "epoch 7 of members 0-999"

    def stopped(self) -> str:  # what a run stopped by a signal says
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

    def single(self, state: SingleState, durable: bool = True) -> None:
        self._save(
            state.model, state.optimizer, durable, epoch=state.epoch, step=state.step, history=state.history
        )
        self.saved_at = f"epoch {state.epoch}"

    def study(self, state: StudyState, durable: bool = True, best: nn.Module | None = None) -> None:
        """An ensemble's progress: the current chunk's ensemble, or when done the best member."""
        model = state.model if best is None else best
        assert model is not None
        progress: dict[str, Any] = {
            "members": state.members,
            "chunk_size": state.chunk_size,
            "first": state.first,
        }
        progress |= {
            "done": state.results(),
            "current": state.current() if best is None else {},
            "best": None,
        }
        if state.best is not None:
            member, score, values = state.best
            progress["best"] = {"member": member, "score": score, "values": torch.from_numpy(values)}
        optimizer = state.optimizer if best is None else None
        self._save(model, optimizer, durable, epoch=state.epoch, step=state.step, ensemble=progress)
        last = min(state.first + state.chunk_size, state.members) - 1
        self.saved_at = f"epoch {state.epoch} of members {state.first:,}-{last:,}"


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


def checked_for_resume(
    path: Path, cfg: DictConfig, probe: nn.Module, data: PreparedData, ensemble: bool
) -> dict[str, Any]:
    """The checkpoint to resume; refused if it is of another kind, network shape or data (an ensemble:
    another config)."""
    checkpoint, where = load_checkpoint(path), f"trainer.resume={str(path)!r}"
    if (checkpoint["ensemble"] is not None) != ensemble:
        kind = "a single network, not of an ensemble" if ensemble else "an ensemble (trainer.members > 1)"
        raise ConfigValueError(f"{where}: the checkpoint is of {kind}")
    saved = {**checkpoint["model"], **checkpoint["data"]}
    if saved["target"] == ENSEMBLE_TARGET:
        saved["target"] = NET221
    features = list(data.train.feature_names)
    expected = model_spec(cfg, probe) | {"features": features, "normalization": data.normalization.to_dict()}
    for key, value in expected.items():
        if saved.get(key) != value:
            raise ConfigValueError(
                f"{where}: the checkpoint has {key}={saved.get(key)!r}, this config {value!r}"
            )
    if ensemble and (differences := _differences(checkpoint["config"], plain(cfg))):
        key, then, now = differences[0]
        raise ConfigValueError(
            f"{where}: an ensemble continues under the config it started with; "
            f"{key} is {then!r} there, {now!r} here"
        )
    return checkpoint


def load_optimizer_state(
    checkpoint: dict[str, Any], optimizer: torch.optim.Optimizer, cfg: DictConfig
) -> None:
    """The moment/momentum buffers of the checkpoint; the hyperparameters of this config."""
    saved, target = checkpoint["optimizer"], str(cfg.optimizer._target_)
    if saved is not None and saved["target"] == target:
        optimizer.load_state_dict({**saved["state"], "param_groups": optimizer.state_dict()["param_groups"]})
    elif saved is not None:
        log.warning(f"Resuming with {target}: the checkpoint's optimizer state is not used")
