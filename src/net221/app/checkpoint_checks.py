"""What a valid checkpoint holds, field by field: checked before anything is used.

Layer: training. Every check raises a CheckpointError naming the file and the
field, so that a checkpoint damaged or written by something else is refused in
one line instead of failing later inside torch.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from net221.errors import CheckpointError
from net221.network import ACTIVATIONS, DTYPES

NET221_TARGET = "net221.network.Net221"
ENSEMBLE_TARGET = "net221.ensemble.Ensemble"
HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
# a seed study's per-log results (logs, members) and final results (members,)
PER_LOG = ("loss", "accuracy", "val_loss", "val_accuracy")
FINAL = ("final_loss", "final_accuracy", "final_val_loss", "final_val_accuracy")


def require(mapping: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CheckpointError(f"{where}: '{key}' is missing or malformed")
    return value


def _count(mapping: dict[str, Any], key: str, low: int, where: str) -> int:
    value: int = require(mapping, key, int, where)
    if value < low:
        raise CheckpointError(f"{where}: {key} must be >= {low}, not {value}")
    return value


def state_shapes(model: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
    """The state_dict a model spec implies (None for a model of the user's own)."""
    d, h = int(model.get("input_dim", 0)), int(model.get("width", 0))
    if model["target"] == NET221_TARGET:
        return {"hidden.weight": (h, d), "hidden.bias": (h,), "output.weight": (1, h), "output.bias": (1,)}
    if model["target"] == ENSEMBLE_TARGET:
        e = model["members"]
        return {
            "hidden_weight": (e, d, h),
            "hidden_bias": (e, 1, h),
            "output_weight": (e, h, 1),
            "output_bias": (e, 1, 1),
        }
    return None


def _check_model(model: dict[str, Any], where: str) -> None:
    require(model, "target", str, where)
    dtype = require(model, "dtype", str, where)
    if dtype not in DTYPES:
        raise CheckpointError(f"{where}: unknown dtype {dtype!r}")
    if model["target"] in (NET221_TARGET, ENSEMBLE_TARGET):
        _count(model, "input_dim", 1, where)
        _count(model, "width", 1, where)
        if require(model, "activation", str, where) not in ACTIVATIONS:
            raise CheckpointError(f"{where}: unknown activation {model['activation']!r}")
    if model["target"] == ENSEMBLE_TARGET:
        _count(model, "members", 1, where)


def _check_finite(name: str, tensor: Any, dtype: torch.dtype | None, where: str) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise CheckpointError(f"{where}: {name} is not a tensor")
    if dtype is not None and tensor.dtype != dtype:
        raise CheckpointError(f"{where}: {name} is {tensor.dtype}, expected {dtype}")
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        raise CheckpointError(f"{where}: {name} holds values that are not finite")


def _check_tensors(state: dict[str, Any], model: dict[str, Any], where: str) -> None:
    for name, tensor in state.items():
        if model["target"] == ENSEMBLE_TARGET:  # a diverged member holds NaN, and stays in the study
            if not isinstance(tensor, torch.Tensor) or tensor.dtype != DTYPES[model["dtype"]]:
                raise CheckpointError(f"{where}: state_dict entry {name!r} is not a {model['dtype']} tensor")
        else:
            _check_finite(f"state_dict entry {name!r}", tensor, DTYPES[model["dtype"]], where)
    shapes = state_shapes(model)
    if shapes is None:
        return
    if set(state) != set(shapes):
        raise CheckpointError(
            f"{where}: state_dict holds {', '.join(map(str, state))}; "
            f"a {model['target']} has {', '.join(shapes)}"
        )
    for name, shape in shapes.items():
        if tuple(state[name].shape) != shape:
            raise CheckpointError(
                f"{where}: {name} has shape {tuple(state[name].shape)}, the model it describes {shape}"
            )


def _numbers(values: Any, count: int, what: str, where: str) -> None:
    if not isinstance(values, list) or len(values) != count:
        raise CheckpointError(f"{where}: {what} must be a list of {count} numbers")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise CheckpointError(f"{where}: {what} holds {value!r}, not a finite number")


def _check_data(data: dict[str, Any], input_dim: int | None, where: str) -> None:
    features = require(data, "features", list, where)
    if not features or not all(isinstance(name, str) and name for name in features):
        raise CheckpointError(f"{where}: 'features' must be a list of names")
    if len(set(features)) != len(features):
        raise CheckpointError(f"{where}: 'features' names a feature twice")
    if input_dim is not None and len(features) != input_dim:
        raise CheckpointError(f"{where}: {len(features)} features for a network of {input_dim} inputs")
    names = data.get("label_names", ["0", "1"])
    if (
        not isinstance(names, list | tuple)
        or len(names) != 2
        or not all(isinstance(n, str) for n in names)
        or names[0] == names[1]
    ):
        raise CheckpointError(f"{where}: 'label_names' must be two different names")
    normalization = require(data, "normalization", dict, where)
    for key in ("shift", "scale"):
        _numbers(normalization.get(key), len(features), f"normalization {key}", where)
    if any(value == 0 for value in normalization["scale"]):
        raise CheckpointError(f"{where}: normalization scale holds 0")


def _check_history(table: dict[str, Any], epoch: int, where: str) -> None:
    columns, values = table.get("columns"), table.get("values")
    if not isinstance(values, torch.Tensor) or values.dtype != torch.float64 or values.dim() != 2:
        raise CheckpointError(f"{where}: the history's values are not a float64 table")
    if not isinstance(columns, list) or values.shape[1] != len(columns):
        raise CheckpointError(f"{where}: the history's columns do not match its values")
    if columns and (
        columns[0] != "epoch" or len(set(columns)) != len(columns) or not set(columns) <= set(HISTORY_COLUMNS)
    ):
        raise CheckpointError(
            f"{where}: the history's columns {columns} are not {', '.join(HISTORY_COLUMNS)}"
        )
    if values.shape[0]:
        epochs = values[:, 0]
        if not bool((epochs == epochs.round()).all()) or not bool((epochs[1:] > epochs[:-1]).all()):
            raise CheckpointError(f"{where}: the history's epochs are not increasing whole numbers")
        if epochs[0] < 0 or epochs[-1] >= epoch:
            raise CheckpointError(f"{where}: the history logs epochs outside 0..{epoch - 1}")


def history_rows(table: dict[str, Any]) -> list[dict[str, float]]:
    """The history table (checked) as rows, the epoch an int."""
    columns: list[str] = table["columns"]
    return [
        {c: (int(v) if c == "epoch" else float(v)) for c, v in zip(columns, row, strict=True)}
        for row in table["values"].tolist()
    ]


def _check_optimizer(optimizer: Any, finite: bool, where: str) -> None:
    if optimizer is None:
        return
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("target"), str):
        raise CheckpointError(f"{where}: 'optimizer' is malformed")
    state = optimizer.get("state")
    if (
        not isinstance(state, dict)
        or not isinstance(state.get("state"), dict)
        or not isinstance(state.get("param_groups"), list)
    ):
        raise CheckpointError(f"{where}: the optimizer state is malformed")
    for index, values in state["state"].items():
        if not isinstance(values, dict):
            raise CheckpointError(f"{where}: the optimizer state of parameter {index} is malformed")
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                if finite:
                    _check_finite(f"optimizer {name} of parameter {index}", value, None, where)
            elif value is not None and not isinstance(value, int | float):
                raise CheckpointError(f"{where}: optimizer {name} of parameter {index} is malformed")


def _check_results(part: dict[str, Any], keys: tuple[str, ...], count: int, where: str) -> None:
    """Per-member results: (logs, count) per logged epoch, (count,) final; NaN for a diverged member."""
    for key, tensor in part.items():
        if key not in keys:
            raise CheckpointError(f"{where}: unknown result {key!r}")
        if not isinstance(tensor, torch.Tensor) or tensor.dtype != torch.float64:
            raise CheckpointError(f"{where}: {key} is not a float64 tensor")
        if tensor.dim() != (1 if key in FINAL else 2) or tensor.shape[-1] != count:
            raise CheckpointError(f"{where}: {key} has shape {tuple(tensor.shape)} for {count} members")


def _check_ensemble(study: dict[str, Any], model: dict[str, Any], epoch: int, where: str) -> None:
    where = f"{where}, ensemble"
    members = _count(study, "members", 2, where)
    chunk = _count(study, "chunk_size", 1, where)
    first = _count(study, "first", 0, where)
    _count(study, "first_seed", 0, where)
    if first > members or (first < members and first % chunk):
        raise CheckpointError(f"{where}: first member {first} does not start a chunk of {chunk}")
    _check_results(require(study, "done", dict, where), PER_LOG + FINAL, first, where)
    current = require(study, "current", dict, where)
    if first < members:
        count = min(chunk, members - first)
        if model["target"] != ENSEMBLE_TARGET or model["members"] != count:
            raise CheckpointError(f"{where}: the model is not the chunk of {count} members from {first}")
        _check_results(current, PER_LOG, count, where)
        if any(tensor.shape[0] > epoch for tensor in current.values()):
            raise CheckpointError(f"{where}: more logged epochs than the {epoch} done")
    best = study.get("best")
    if (best is None) != (first == 0):
        raise CheckpointError(f"{where}: the best member is missing or malformed")
    if best is not None:
        if not isinstance(best, dict) or not 0 <= require(best, "member", int, where) < first:
            raise CheckpointError(f"{where}: the best member is malformed")
        values = best.get("values")
        size = model["input_dim"] * model["width"] + 2 * model["width"] + 1
        if not isinstance(values, torch.Tensor) or values.dtype != torch.float64 or values.shape != (size,):
            raise CheckpointError(f"{where}: the best member's values are not {size} float64 numbers")


def check_checkpoint(checkpoint: dict[str, Any], where: str) -> None:
    """Every field of a version-3 checkpoint; raise CheckpointError for the first bad one."""
    model = require(checkpoint, "model", dict, where)
    _check_model(model, where)
    _check_tensors(require(checkpoint, "state_dict", dict, where), model, where)
    _check_data(require(checkpoint, "data", dict, where), model.get("input_dim"), where)
    epoch = _count(checkpoint, "epoch", 0, where)
    _count(checkpoint, "step", 0, where)
    _check_history(require(checkpoint, "history", dict, where), epoch, where)
    _check_optimizer(checkpoint.get("optimizer"), model["target"] != ENSEMBLE_TARGET, where)
    require(checkpoint, "config", dict, where)
    study = checkpoint.get("ensemble")
    if study is not None:
        _check_ensemble(require(checkpoint, "ensemble", dict, where), model, epoch, where)
    elif model["target"] == ENSEMBLE_TARGET:
        raise CheckpointError(f"{where}: an ensemble's tensors without the ensemble's progress")
