"""checkpoint.pt: a trained network, how to feed it raw data, and how to resume its training.

Layer: app. The file is `torch.save({format, sha256, content})`: content is the `torch.save`
bytes (a uint8 tensor) of a dict (model spec, state_dict, data {features, label_names,
normalization}, epoch, step, optimizer, history {columns, values}, ensemble progress or None,
config), sha256 hashlib's digest of them; both load with `weights_only=True`. The format
refuses a foreign file and the digest a damaged one; what the digest covers was written by
`save_checkpoint`, so only its top-level fields are checked here. Whether a checkpoint fits
a run is checked where it is resumed (`net221.app.resume`).
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from net221.app.outputs import atomic
from net221.data import Normalization
from net221.errors import CheckpointError
from net221.network import DTYPES, Net221

FORMAT = "net221-checkpoint-3"
NET221_TARGET = "net221.network.Net221"
ENSEMBLE_TARGET = "net221.ensemble.Ensemble"
FIELDS = {"model": dict, "state_dict": dict, "data": dict, "history": dict, "config": dict, "epoch": int}


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
    if not file.is_file():
        raise CheckpointError(f"{where}: {'not a regular file' if file.exists() else 'no such file'}")
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
    return model_from(checkpoint), normalization_from(checkpoint)


def model_from(checkpoint: dict[str, Any], device: torch.device | str = "cpu") -> Net221:
    """The Net221 a loaded checkpoint holds."""
    spec = checkpoint["model"]
    if spec["target"] != NET221_TARGET:
        unfinished = " (an unfinished ensemble: resume it)" if checkpoint["ensemble"] else ""
        raise CheckpointError(f"the checkpoint holds a {spec['target']}{unfinished}, not a Net221")
    dtype = DTYPES[spec["dtype"]]
    model = Net221(spec["input_dim"], spec["width"], spec["activation"], dtype=dtype, device=device)
    model.load_state_dict(checkpoint["state_dict"])
    return model


def normalization_from(checkpoint: dict[str, Any]) -> Normalization:
    norm = checkpoint["data"]["normalization"]
    return Normalization(shift=tuple(map(float, norm["shift"])), scale=tuple(map(float, norm["scale"])))
