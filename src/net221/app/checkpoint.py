"""checkpoint.pt: a trained network, how to feed it raw data, and how to resume its training.

Layer: app. The file is a `torch.save` of {format, sha256, content}: content is the
`torch.save` bytes (a uint8 tensor) of a dict of tensors and plain data (model spec,
state_dict, data {features, label_names, normalization}, epoch, step, optimizer, history
{columns, values}, ensemble progress or None, config), sha256 hashlib's digest of them.
Both load with `torch.load(..., weights_only=True)`; a damaged file is refused. It is
written to a temporary file and renamed over the target (`os.replace`), so a reader never
sees half a checkpoint. `load_checkpoint` checks every field before anything uses it;
`load_network` is the public way to get a trained network back.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from net221.app.outputs import temporary_path
from net221.data import Normalization
from net221.errors import CheckpointError
from net221.network import ACTIVATIONS, DTYPES, Net221

FORMAT = "net221-checkpoint-3"
NET221_TARGET = "net221.network.Net221"
ENSEMBLE_TARGET = "net221.ensemble.Ensemble"
HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
PER_LOG = ("loss", "accuracy", "val_loss", "val_accuracy")  # a seed study's (logs, members) results
FINAL = ("final_loss", "final_accuracy", "final_val_loss", "final_val_accuracy")  # (members,)


def history_table(rows: list[dict[str, float]]) -> dict[str, Any]:
    """Rows {epoch, loss, ...} as one float64 tensor: fast to save however long the run."""
    columns = list(rows[0]) if rows else []
    values = torch.tensor([[float(row[c]) for c in columns] for row in rows], dtype=torch.float64)
    return {"columns": columns, "values": values.reshape(len(rows), len(columns))}


def save_checkpoint(path: str | Path, content: dict[str, Any], durable: bool = True) -> None:
    """Write atomically; `durable` also forces the bytes to the disk (fsync) before the rename,
    so that not even a crash of the machine leaves a damaged file (a few ms on a disk)."""
    target = Path(path)
    content = {"step": 0, "ensemble": None, **content}
    if isinstance(content["history"], list):
        content["history"] = history_table(content["history"])
    buffer = io.BytesIO()
    torch.save(content, buffer)
    data = buffer.getvalue()
    temporary = temporary_path(target)
    try:
        with temporary.open("wb") as handle:
            raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
            torch.save({"format": FORMAT, "sha256": hashlib.sha256(data).hexdigest(), "content": raw}, handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        temporary.replace(target)  # os.replace
    except OSError as error:  # named by the checkpoint, not by the temporary file
        raise OSError(error.errno, error.strerror, str(target)) from None
    finally:
        temporary.unlink(missing_ok=True)


def read_content(path: str | Path) -> dict[str, Any]:
    """The content of a checkpoint file, its digest verified, its fields not yet checked."""
    file, where = Path(path), f"checkpoint {str(path)!r}"
    if not file.is_file():
        raise CheckpointError(f"{where}: {'not a regular file' if file.exists() else 'no such file'}")
    try:
        with warnings.catch_warnings():  # torch's remarks on a file it then refuses are noise here
            warnings.simplefilter("ignore")
            outer = torch.load(file, map_location="cpu", weights_only=True)
            if not isinstance(outer, dict) or outer.get("format") != FORMAT:
                raise CheckpointError(f"{where}: not a net221 checkpoint (of this version)")
            raw = outer.get("content")
            data = (
                raw.numpy().tobytes() if isinstance(raw, torch.Tensor) and raw.dtype == torch.uint8 else b""
            )
            if hashlib.sha256(data).hexdigest() != outer.get("sha256"):
                raise CheckpointError(f"{where}: its content does not match its SHA-256 (damaged or altered)")
            content = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except CheckpointError:
        raise
    except Exception:  # whatever the bytes are, they are not a checkpoint this loader accepts
        raise CheckpointError(f"{where}: not a readable checkpoint (corrupt, truncated, other)") from None
    if not isinstance(content, dict):
        raise CheckpointError(f"{where}: not a net221 checkpoint")
    return content


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint; any problem is a CheckpointError naming the file. The
    history comes back as a list of rows."""
    checkpoint = read_content(path)
    check_checkpoint(checkpoint, f"checkpoint {str(path)!r}")
    table = checkpoint["history"]
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["values"].tolist()]
    return {**checkpoint, "history": [{**row, "epoch": int(row["epoch"])} for row in rows]}


def load_network(path: str | Path) -> tuple[Net221, Normalization]:
    """The trained Net221 in a checkpoint.pt and the normalization its raw inputs need:

        model, normalization = load_network("outputs/DATE/TIME/checkpoint.pt")
        p = model(torch.tensor(normalization.apply(raw_rows), dtype=model.hidden.weight.dtype))

    A seed study's checkpoint holds its best member. Raises CheckpointError for a file that
    is not a net221 checkpoint of a finished Net221 run."""
    checkpoint = load_checkpoint(path)
    return model_from(checkpoint), normalization_from(checkpoint)


def model_from(checkpoint: dict[str, Any], device: torch.device | str = "cpu") -> Net221:
    """The Net221 a loaded checkpoint holds."""
    spec = checkpoint["model"]
    if spec["target"] != NET221_TARGET:
        unfinished = " (an unfinished ensemble: resume it)" if checkpoint.get("ensemble") else ""
        raise CheckpointError(f"the checkpoint holds a {spec['target']}{unfinished}, not a Net221")
    dtype = DTYPES[spec["dtype"]]
    model = Net221(spec["input_dim"], spec["width"], spec["activation"], dtype=dtype, device=device)
    model.load_state_dict(checkpoint["state_dict"])  # the shapes were checked on load
    return model


def normalization_from(checkpoint: dict[str, Any]) -> Normalization:
    norm = checkpoint["data"]["normalization"]
    return Normalization(shift=tuple(map(float, norm["shift"])), scale=tuple(map(float, norm["scale"])))


# --- every field, checked before use ----------------------------------------------------


def require(
    mapping: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, low: int = 0
) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CheckpointError(f"{where}: '{key}' is missing or malformed")
    if isinstance(value, int) and value < low:
        raise CheckpointError(f"{where}: {key} must be >= {low}, not {value}")
    return value


def _tensor(name: str, tensor: Any, dtype: torch.dtype | None, where: str, finite: bool = True) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise CheckpointError(f"{where}: {name} is not a tensor")
    if dtype is not None and tensor.dtype != dtype:
        raise CheckpointError(f"{where}: {name} is {tensor.dtype}, expected {dtype}")
    if finite and tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        raise CheckpointError(f"{where}: {name} holds values that are not finite")


def _check_model(model: dict[str, Any], state: dict[str, Any], where: str) -> None:
    target, dtype = require(model, "target", str, where), require(model, "dtype", str, where)
    if dtype not in DTYPES:
        raise CheckpointError(f"{where}: unknown dtype {dtype!r}")
    ours = target in (NET221_TARGET, ENSEMBLE_TARGET)
    if ours:
        d, h = require(model, "input_dim", int, where, 1), require(model, "width", int, where, 1)
        if require(model, "activation", str, where) not in ACTIVATIONS:
            raise CheckpointError(f"{where}: unknown activation {model['activation']!r}")
    for name, tensor in state.items():  # a diverged member of an ensemble holds NaN, and stays
        _tensor(f"state_dict entry {name!r}", tensor, DTYPES[dtype], where, target != ENSEMBLE_TARGET)
    if not ours:
        return
    shapes = {"hidden.weight": (h, d), "hidden.bias": (h,), "output.weight": (1, h), "output.bias": (1,)}
    if target == ENSEMBLE_TARGET:
        e = require(model, "members", int, where, 1)
        shapes = {"hidden_weight": (e, d, h), "hidden_bias": (e, 1, h), "output_weight": (e, h, 1)}
        shapes["output_bias"] = (e, 1, 1)
    if set(state) != set(shapes):
        holds, has = ", ".join(state), ", ".join(shapes)
        raise CheckpointError(f"{where}: state_dict holds {holds}; a {target} has {has}")
    for name, shape in shapes.items():
        if tuple(state[name].shape) != shape:
            found = tuple(state[name].shape)
            raise CheckpointError(f"{where}: {name} has shape {found}, the model it describes {shape}")


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
        or len(set(names)) != 2
        or not all(isinstance(n, str) for n in names)
    ):
        raise CheckpointError(f"{where}: 'label_names' must be two different names")
    normalization = require(data, "normalization", dict, where)
    for key in ("shift", "scale"):
        values = normalization.get(key)
        if not isinstance(values, list) or len(values) != len(features):
            raise CheckpointError(f"{where}: normalization {key} must be a list of {len(features)} numbers")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise CheckpointError(f"{where}: normalization {key} holds {value!r}, not a finite number")
    if 0 in normalization["scale"]:
        raise CheckpointError(f"{where}: normalization scale holds 0")


def _check_history(history: dict[str, Any], epoch: int, where: str) -> None:
    columns, values = history.get("columns"), history.get("values")
    if (
        not isinstance(columns, list)
        or columns[:1] not in ([], ["epoch"])
        or not set(columns) <= set(HISTORY_COLUMNS)
    ):
        raise CheckpointError(f"{where}: the history's columns {columns!r} are not epoch, loss, ...")
    if not isinstance(values, torch.Tensor) or values.dtype != torch.float64 or values.dim() != 2:
        raise CheckpointError(f"{where}: the history is not a float64 table")
    if values.shape[1] != len(columns):
        raise CheckpointError(f"{where}: the history's columns do not match its values")
    epochs = values[:, 0] if columns else torch.empty(0)
    if len(epochs) and (
        bool((epochs[1:] <= epochs[:-1]).any()) or epochs[0] < 0 or epochs[-1] >= max(epoch, 1)
    ):
        raise CheckpointError(f"{where}: the history's epochs are not increasing or outside 0..{epoch - 1}")


def _check_optimizer(optimizer: Any, finite: bool, where: str) -> None:
    if optimizer is None:
        return
    if not isinstance(optimizer, dict) or not isinstance(optimizer.get("target"), str):
        raise CheckpointError(f"{where}: 'optimizer' is malformed")
    state = optimizer.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("state"), dict):
        state = {}
    if not isinstance(state.get("param_groups"), list):
        raise CheckpointError(f"{where}: the optimizer state is malformed")
    for index, values in state["state"].items():
        for name, value in values.items() if isinstance(values, dict) else [("state", object())]:
            if isinstance(value, torch.Tensor):
                _tensor(f"optimizer {name} of parameter {index}", value, None, where, finite)
            elif value is not None and not isinstance(value, int | float):
                raise CheckpointError(f"{where}: optimizer {name} of parameter {index} is malformed")


def _check_results(part: dict[str, Any], keys: tuple[str, ...], count: int, where: str) -> None:
    for key, tensor in part.items():
        if key not in keys:
            raise CheckpointError(f"{where}: unknown result {key!r}")
        _tensor(key, tensor, torch.float64, where, finite=False)
        if tensor.dim() != (1 if key in FINAL else 2) or tensor.shape[-1] != count:
            raise CheckpointError(f"{where}: {key} has shape {tuple(tensor.shape)} for {count} members")


def _check_ensemble(study: dict[str, Any], model: dict[str, Any], epoch: int, where: str) -> None:
    where = f"{where}, ensemble"
    members, chunk = require(study, "members", int, where, 2), require(study, "chunk_size", int, where, 1)
    first = require(study, "first", int, where)
    require(study, "first_seed", int, where)
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
    if (best is None) != (first == 0) or (best is not None and not isinstance(best, dict)):
        raise CheckpointError(f"{where}: the best member is missing or malformed")
    if best is not None:
        if not 0 <= require(best, "member", int, where) < first:
            raise CheckpointError(f"{where}: the best member is malformed")
        size = model["input_dim"] * model["width"] + 2 * model["width"] + 1
        values = best.get("values")
        if not isinstance(values, torch.Tensor) or values.dtype != torch.float64 or values.shape != (size,):
            raise CheckpointError(f"{where}: the best member's values are not {size} float64 numbers")


def check_checkpoint(checkpoint: dict[str, Any], where: str) -> None:
    """Every field; raise CheckpointError for the first bad one."""
    model = require(checkpoint, "model", dict, where)
    _check_model(model, require(checkpoint, "state_dict", dict, where), where)
    _check_data(require(checkpoint, "data", dict, where), model.get("input_dim"), where)
    epoch = require(checkpoint, "epoch", int, where)
    require(checkpoint, "step", int, where)
    _check_history(require(checkpoint, "history", dict, where), epoch, where)
    _check_optimizer(checkpoint.get("optimizer"), model["target"] != ENSEMBLE_TARGET, where)
    require(checkpoint, "config", dict, where)
    if checkpoint.get("ensemble") is not None:
        _check_ensemble(require(checkpoint, "ensemble", dict, where), model, epoch, where)
    elif model["target"] == ENSEMBLE_TARGET:
        raise CheckpointError(f"{where}: an ensemble's tensors without the ensemble's progress (members)")
