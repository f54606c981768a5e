"""Checkpoints: a trained network, how to feed it raw data, and how to resume it.

Layer: training. A checkpoint is a dict of tensors and plain data, so it loads
with `torch.load(path, weights_only=True)`:

    format            "net221-checkpoint"
    format_version    FORMAT_VERSION
    model             {input_dim, width, activation, dtype}
    state_dict        the module's tensors (one member)
    data              {features, target, positive, normalization: {shift, scale}}
    epoch             epochs completed
    optimizer         {target, state} or None (state_dict of the optimizer)
    history           [{epoch, loss, accuracy, ...}] for every logged epoch
    config            the run's config as plain data

It is written to a temporary file beside the target and renamed over it, so a
reader never sees half a checkpoint and a failed write leaves the old one intact.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from net221.data import Normalization
from net221.errors import CheckpointError
from net221.network import Net221

FORMAT = "net221-checkpoint"
FORMAT_VERSION = 1
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        torch.save({"format": FORMAT, "format_version": FORMAT_VERSION, **payload}, temporary)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _require(checkpoint: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = checkpoint.get(key)
    if not isinstance(value, kind):
        raise CheckpointError(f"{where}: '{key}' is missing or malformed")
    return value


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint; any problem is a CheckpointError naming the file."""
    where = f"checkpoint {str(path)!r}"
    if not Path(path).is_file():
        raise CheckpointError(f"{where}: no such file")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError):
        raise CheckpointError(
            f"{where}: not a readable checkpoint (corrupt, truncated, or not written by net221)"
        ) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a net221 checkpoint")
    version = checkpoint.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{where}: format version {version!r}, but this net221 reads version {FORMAT_VERSION}"
        )
    model = _require(checkpoint, "model", dict, where)
    for key, kind in (("input_dim", int), ("width", int), ("activation", str), ("dtype", str)):
        _require(model, key, kind, where)
    if model["dtype"] not in _DTYPES:
        raise CheckpointError(f"{where}: unknown dtype {model['dtype']!r}")
    _require(checkpoint, "state_dict", dict, where)
    data = _require(checkpoint, "data", dict, where)
    _require(data, "features", list, where)
    normalization = _require(data, "normalization", dict, where)
    for key in ("shift", "scale"):
        values = _require(normalization, key, list, where)
        if len(values) != model["input_dim"]:
            raise CheckpointError(
                f"{where}: normalization {key} has {len(values)} values, expected {model['input_dim']}"
            )
    _require(checkpoint, "epoch", int, where)
    _require(checkpoint, "history", list, where)
    return checkpoint


def model_from_checkpoint(checkpoint: dict[str, Any], device: torch.device | str = "cpu") -> Net221:
    spec = checkpoint["model"]
    model = Net221(
        input_dim=spec["input_dim"],
        width=spec["width"],
        activation=spec["activation"],
        members=1,
        dtype=_DTYPES[spec["dtype"]],
        device=device,
    )
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise CheckpointError(
            f"checkpoint tensors do not fit the network it describes ({first[:120]})"
        ) from None
    return model


def normalization_from_checkpoint(checkpoint: dict[str, Any]) -> Normalization:
    norm = checkpoint["data"]["normalization"]
    return Normalization(
        shift=tuple(float(v) for v in norm["shift"]), scale=tuple(float(v) for v in norm["scale"])
    )
