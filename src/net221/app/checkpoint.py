"""Checkpoints: a trained network, how to feed it raw data, and how to resume it.

Layer: training. A checkpoint is a dict of tensors and plain data, so it loads
with `torch.load(path, weights_only=True)`:

    format            "net221-checkpoint"
    format_version    FORMAT_VERSION
    model             {target, input_dim, width, activation, dtype}; an unfinished
                      ensemble: target net221.ensemble.Ensemble and members
    state_dict        the module's tensors (Net221: hidden.weight, hidden.bias, output.weight, output.bias)
    data              {features, target, positive, label_names, normalization: {shift, scale}}
    epoch             epochs completed
    step              steps completed of the next epoch (a checkpoint written between two steps)
    optimizer         {target, state} or None (state_dict of the optimizer)
    history           {columns, values (rows, columns)}: every logged epoch
    ensemble          None, or a seed study's progress (`net221.seed_study.StudyState`)
    config            the run's config as plain data
    checksum          CRC-32 of all the above (`checksum`): a damaged file is refused

`load_checkpoint` checks every field (`net221.app.checkpoint_checks`) and returns the
history as a list of rows. Version 1 stored a one-member ensemble's tensors and
version 2 the history as rows and no step; both load as version 3.

It is written to a temporary file beside the target and renamed over it, so a
reader never sees half a checkpoint and a failed write (a full disk, a killed
process) leaves the previous one intact; a durable save is also forced to the
disk before the rename, so that a crash of the machine cannot damage it either.
"""

from __future__ import annotations

import os
import warnings
import zlib
from pathlib import Path
from typing import Any

import torch

from net221.app.atomic import temporary_path
from net221.app.checkpoint_checks import check_checkpoint, history_rows
from net221.data import Normalization
from net221.errors import CheckpointError
from net221.network import DTYPES, Net221

FORMAT = "net221-checkpoint"
FORMAT_VERSION = 3
NET221_TARGET = "net221.network.Net221"


def history_table(rows: list[dict[str, float]]) -> dict[str, Any]:
    """Rows {epoch, loss, ...} as one float64 tensor: fast to save however long the run."""
    columns = list(rows[0]) if rows else []
    values = torch.tensor([[float(row[c]) for c in columns] for row in rows], dtype=torch.float64)
    return {"columns": columns, "values": values.reshape(len(rows), len(columns))}


def checksum(content: dict[str, Any]) -> int:
    """CRC-32 of a checkpoint's content, all but the checksum itself: every key, number, name and
    tensor byte in a fixed order. Any change to what the file holds changes it."""
    crc = 0

    def feed(value: Any) -> None:
        nonlocal crc
        if isinstance(value, dict):
            crc = zlib.crc32(b"{", crc)
            for key in sorted(value, key=repr):
                if key != "checksum" or value is not content:
                    feed(key)
                    feed(value[key])
        elif isinstance(value, list | tuple):
            crc = zlib.crc32(b"[", crc)
            for item in value:
                feed(item)
        elif isinstance(value, torch.Tensor):
            crc = zlib.crc32(f"tensor {value.dtype} {tuple(value.shape)}".encode(), crc)
            data = value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
            crc = zlib.crc32(data.tobytes(), crc)
        else:
            crc = zlib.crc32(f"{type(value).__name__} {value!r}".encode(), crc)

    feed(content)
    return crc


def save_checkpoint(path: str | Path, payload: dict[str, Any], durable: bool = True) -> None:
    """Write atomically; `durable` also forces the bytes to the disk (fsync) before the rename,
    so that not even a crash of the machine leaves a damaged file (a few ms on a disk)."""
    target = Path(path)
    temporary = temporary_path(target)
    content = {"format": FORMAT, "format_version": FORMAT_VERSION, "step": 0, "ensemble": None, **payload}
    if isinstance(content["history"], list):
        content["history"] = history_table(content["history"])
    content["checksum"] = checksum(content)
    try:
        with temporary.open("wb") as handle:
            torch.save(content, handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        temporary.replace(target)
    except OSError as error:  # named by the checkpoint, not by the temporary file
        raise OSError(error.errno, error.strerror, str(target)) from None
    finally:
        temporary.unlink(missing_ok=True)


def _from_version_1(checkpoint: dict[str, Any], where: str) -> dict[str, Any]:
    """Version 1's one-member tensors (E = 1 leading) as Net221's state_dict."""
    old, model = checkpoint.get("state_dict"), checkpoint.get("model")
    if not isinstance(old, dict) or not isinstance(model, dict):
        raise CheckpointError(f"{where}: format version 1 with unexpected tensors")
    try:
        state = {
            "hidden.weight": old["hidden_weight"][0].t().contiguous(),
            "hidden.bias": old["hidden_bias"][0, 0].clone(),
            "output.weight": old["output_weight"][0].t().contiguous(),
            "output.bias": old["output_bias"][0, 0].clone(),
        }
    except (KeyError, IndexError, AttributeError, TypeError, RuntimeError):
        raise CheckpointError(f"{where}: format version 1 with unexpected tensors") from None
    model = {"target": NET221_TARGET, **model}
    return {**checkpoint, "model": model, "state_dict": state}


def _read(path: str | Path, where: str) -> Any:
    file = Path(path)
    if not file.exists():
        raise CheckpointError(f"{where}: no such file")
    if not file.is_file():
        raise CheckpointError(f"{where}: not a regular file")
    try:
        with warnings.catch_warnings():  # torch's remarks on a file it then refuses are noise here
            warnings.simplefilter("ignore")
            return torch.load(file, map_location="cpu", weights_only=True)
    except Exception:  # whatever the bytes are, they are not a checkpoint this loader accepts
        raise CheckpointError(
            f"{where}: not a readable checkpoint (corrupt, truncated, or not written by net221)"
        ) from None


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint; any problem is a CheckpointError naming the file."""
    where = f"checkpoint {str(path)!r}"
    checkpoint = _read(path, where)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a net221 checkpoint")
    version = checkpoint.get("format_version")
    if isinstance(version, bool) or version not in (1, 2, FORMAT_VERSION):
        raise CheckpointError(
            f"{where}: format version {version!r}, but this net221 reads versions 1 to {FORMAT_VERSION}"
        )
    if version == FORMAT_VERSION:
        try:
            intact = checksum(checkpoint) == checkpoint.get("checksum")
        except (RecursionError, RuntimeError, TypeError, ValueError):
            intact = False
        if not intact:
            raise CheckpointError(f"{where}: its content does not match its checksum (damaged or altered)")
    if version == 1:
        checkpoint = _from_version_1(checkpoint, where)
    if version in (1, 2):
        checkpoint = {**checkpoint, "step": 0, "ensemble": None}
        rows = checkpoint.get("history")
        if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
            try:
                checkpoint["history"] = history_table(rows)
            except (KeyError, TypeError, ValueError):
                raise CheckpointError(f"{where}: a history row is malformed") from None
    checkpoint["format_version"] = FORMAT_VERSION
    check_checkpoint(checkpoint, where)
    loaded: dict[str, Any] = {**checkpoint, "history": history_rows(checkpoint["history"])}
    return loaded


def model_from_checkpoint(checkpoint: dict[str, Any], device: torch.device | str = "cpu") -> Net221:
    """The Net221 a checkpoint holds; a model of another class is loaded by its own code."""
    spec = checkpoint["model"]
    if spec["target"] != NET221_TARGET:
        unfinished = " (an unfinished ensemble: resume it)" if checkpoint.get("ensemble") else ""
        raise CheckpointError(
            f"the checkpoint holds a {spec['target']}{unfinished}; "
            f"only {NET221_TARGET} is rebuilt from a checkpoint"
        )
    model = Net221(
        spec["input_dim"], spec["width"], spec["activation"], dtype=DTYPES[spec["dtype"]], device=device
    )
    model.load_state_dict(checkpoint["state_dict"])  # the shapes were checked on load
    return model


def normalization_from_checkpoint(checkpoint: dict[str, Any]) -> Normalization:
    norm = checkpoint["data"]["normalization"]
    return Normalization(
        shift=tuple(float(v) for v in norm["shift"]), scale=tuple(float(v) for v in norm["scale"])
    )
