"""Checkpoints: a trained network, how to feed it raw data, and how to resume it.

Layer: training. A checkpoint is a dict of tensors and plain data, so it loads
with `torch.load(path, weights_only=True)`:

    format            "net221-checkpoint"
    format_version    FORMAT_VERSION
    model             {target, input_dim, width, activation, dtype}
    state_dict        the module's tensors (Net221: hidden.weight, hidden.bias, output.weight, output.bias)
    data              {features, target, positive, label_names, normalization: {shift, scale}}
    epoch             epochs completed
    optimizer         {target, state} or None (state_dict of the optimizer)
    history           [{epoch, loss, accuracy, ...}] for every logged epoch
    config            the run's config as plain data

Version 1 stored a one-member ensemble's tensors (hidden_weight (1, D, H), ...);
`load_checkpoint` converts it to version 2 on load.

It is written to a temporary file beside the target and renamed over it, so a
reader never sees half a checkpoint and a failed write leaves the old one intact.
"""

from __future__ import annotations

import math
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from net221.data import Normalization
from net221.errors import CheckpointError
from net221.network import ACTIVATIONS, DTYPES, Net221

FORMAT = "net221-checkpoint"
FORMAT_VERSION = 2
NET221_TARGET = "net221.network.Net221"
TEMPORARY_SUFFIX = ".tmp"


def temporary_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}{TEMPORARY_SUFFIX}")


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    target = Path(path)
    temporary = temporary_path(target)
    try:
        torch.save({"format": FORMAT, "format_version": FORMAT_VERSION, **payload}, temporary)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _require(mapping: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CheckpointError(f"{where}: '{key}' is missing or malformed")
    return value


def _from_version_1(checkpoint: dict[str, Any], where: str) -> dict[str, Any]:
    """Version 1's one-member tensors (E = 1 leading) as Net221's state_dict."""
    old = _require(checkpoint, "state_dict", dict, where)
    try:
        state = {
            "hidden.weight": old["hidden_weight"][0].t().contiguous(),
            "hidden.bias": old["hidden_bias"][0, 0].clone(),
            "output.weight": old["output_weight"][0].t().contiguous(),
            "output.bias": old["output_bias"][0, 0].clone(),
        }
    except (KeyError, IndexError, AttributeError, TypeError, RuntimeError):
        raise CheckpointError(f"{where}: format version 1 with unexpected tensors") from None
    model = dict(_require(checkpoint, "model", dict, where))
    model.setdefault("target", NET221_TARGET)
    return {**checkpoint, "format_version": FORMAT_VERSION, "model": model, "state_dict": state}


def _check_model(model: dict[str, Any], where: str) -> None:
    target = _require(model, "target", str, where)
    dtype = _require(model, "dtype", str, where)
    if dtype not in DTYPES:
        raise CheckpointError(f"{where}: unknown dtype {dtype!r}")
    if target == NET221_TARGET:
        for key in ("input_dim", "width"):
            if _require(model, key, int, where) < 1:
                raise CheckpointError(f"{where}: {key} must be >= 1")
        if _require(model, "activation", str, where) not in ACTIVATIONS:
            raise CheckpointError(f"{where}: unknown activation {model['activation']!r}")


def _check_tensors(state: dict[str, Any], dtype: str, where: str) -> None:
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise CheckpointError(f"{where}: state_dict entry {name!r} is not a tensor")
        if tensor.dtype != DTYPES[dtype]:
            raise CheckpointError(f"{where}: {name} is {tensor.dtype}, but the checkpoint says {dtype}")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{where}: {name} holds values that are not finite")


def _check_data(data: dict[str, Any], input_dim: int | None, where: str) -> None:
    features = _require(data, "features", list, where)
    if not features or not all(isinstance(name, str) for name in features):
        raise CheckpointError(f"{where}: 'features' must be a list of names")
    if input_dim is not None and len(features) != input_dim:
        raise CheckpointError(f"{where}: {len(features)} features for a network of {input_dim} inputs")
    names = data.get("label_names", ["0", "1"])
    if not isinstance(names, list | tuple) or len(names) != 2 or not all(isinstance(n, str) for n in names):
        raise CheckpointError(f"{where}: 'label_names' must be two names")
    normalization = _require(data, "normalization", dict, where)
    for key in ("shift", "scale"):
        values = _require(normalization, key, list, where)
        if len(values) != len(features):
            raise CheckpointError(
                f"{where}: normalization {key} has {len(values)} values, expected {len(features)}"
            )
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise CheckpointError(f"{where}: normalization {key} holds {value!r}, not a finite number")
            if key == "scale" and value == 0:
                raise CheckpointError(f"{where}: normalization scale holds 0")


def _check_progress(checkpoint: dict[str, Any], where: str) -> None:
    if _require(checkpoint, "epoch", int, where) < 0:
        raise CheckpointError(f"{where}: epoch must be >= 0")
    for row in _require(checkpoint, "history", list, where):
        if not isinstance(row, dict) or not isinstance(row.get("epoch"), int):
            raise CheckpointError(f"{where}: a history row is malformed")
        if any(not isinstance(v, int | float) or isinstance(v, bool) for v in row.values()):
            raise CheckpointError(f"{where}: a history row holds a value that is not a number")


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
    if version == 1:
        checkpoint = _from_version_1(checkpoint, where)
    elif version != FORMAT_VERSION:
        raise CheckpointError(
            f"{where}: format version {version!r}, but this net221 reads versions 1 and {FORMAT_VERSION}"
        )
    model = _require(checkpoint, "model", dict, where)
    _check_model(model, where)
    _check_tensors(_require(checkpoint, "state_dict", dict, where), model["dtype"], where)
    _check_data(_require(checkpoint, "data", dict, where), model.get("input_dim"), where)
    _check_progress(checkpoint, where)
    loaded: dict[str, Any] = checkpoint
    return loaded


def model_from_checkpoint(checkpoint: dict[str, Any], device: torch.device | str = "cpu") -> Net221:
    """The Net221 a checkpoint holds; a model of another class is loaded by its own code."""
    spec = checkpoint["model"]
    if spec["target"] != NET221_TARGET:
        raise CheckpointError(
            f"the checkpoint holds a {spec['target']}; only {NET221_TARGET} is rebuilt from a checkpoint"
        )
    model = Net221(
        spec["input_dim"], spec["width"], spec["activation"], dtype=DTYPES[spec["dtype"]], device=device
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
