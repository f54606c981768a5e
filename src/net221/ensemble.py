"""Training many independent networks at once, in chunks of members.

Layer: training. Members never interact (the loss is summed over them), so an
ensemble may be trained chunk by chunk with the same result as all at once;
chunks bound the memory of the per-step tensors, which grow with
members x rows x width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from net221.network import Net221
from net221.trainer import LossFunction, Schedule, evaluate, train

# On the CPU a chunk's per-step tensors (members x batch x (width + inputs + 1)
# values) stay within STEP_ELEMENTS, small enough to stay in cache
# (scripts/benchmark.py measured the most member-steps per second near 2^18 here).
# A GPU step costs about the same for any chunk that fits, so there only the
# evaluations over every row bound a chunk: EVAL_ELEMENTS (2^24 float64 values,
# 128 MiB per tensor).
STEP_ELEMENTS = 2**18
EVAL_ELEMENTS = 2**24


def auto_chunk_size(
    members: int, rows: int, batch_size: int, width: int, input_dim: int, device_type: str = "cpu"
) -> int:
    per_row = width + input_dim + 1
    by_eval = EVAL_ELEMENTS // (max(1, rows) * per_row)
    if device_type != "cpu":
        return max(1, min(members, by_eval))
    by_step = STEP_ELEMENTS // (max(1, min(batch_size, rows)) * per_row)
    return max(1, min(members, by_step, by_eval))


@dataclass
class EnsembleResult:
    epochs: list[int]  # logged epochs
    loss: np.ndarray  # (logs, members) training loss
    accuracy: np.ndarray  # (logs, members)
    val_loss: np.ndarray | None
    val_accuracy: np.ndarray | None
    final_loss: np.ndarray  # (members,) after the last epoch
    final_accuracy: np.ndarray
    final_val_loss: np.ndarray | None
    final_val_accuracy: np.ndarray | None
    best_member: int  # lowest final validation loss if there is a validation set, else training loss
    best_model: Net221  # a one-member copy of it


def train_members(
    make_model: Callable[[int, int], Net221],
    make_optimizer: Callable[[Net221], torch.optim.Optimizer],
    loss_fn: LossFunction,
    x: torch.Tensor,
    y: torch.Tensor,
    schedule: Schedule,
    members: int,
    chunk_size: int,
    *,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> EnsembleResult:
    """Train `members` networks; `make_model(first, count)` builds members first..first+count-1."""
    chunks: list[dict[str, np.ndarray]] = []
    epochs: list[int] = []
    best_score = np.inf
    best_member = 0
    best_model: Net221 | None = None
    has_val = x_val is not None and y_val is not None
    for first in range(0, members, chunk_size):
        count = min(chunk_size, members - first)
        model = make_model(first, count)
        logs = train(
            model,
            make_optimizer(model),
            loss_fn,
            x,
            y,
            schedule,
            x_val=x_val,
            y_val=y_val,
            stop_on_divergence=False,
        )
        epochs = [log.epoch for log in logs]
        final = evaluate(model, loss_fn, x, y)
        final_val = (
            evaluate(model, loss_fn, x_val, y_val) if x_val is not None and y_val is not None else None
        )
        part = {
            "loss": np.stack([log.train.loss for log in logs], axis=0),
            "accuracy": np.stack([log.train.accuracy for log in logs], axis=0),
            "final_loss": final.loss,
            "final_accuracy": final.accuracy,
        }
        if final_val is not None:
            part["val_loss"] = np.stack([log.val.loss for log in logs if log.val is not None], axis=0)
            part["val_accuracy"] = np.stack([log.val.accuracy for log in logs if log.val is not None], axis=0)
            part["final_val_loss"] = final_val.loss
            part["final_val_accuracy"] = final_val.accuracy
        chunks.append(part)
        score = np.nan_to_num(part["final_val_loss" if has_val else "final_loss"], nan=np.inf)
        k = int(np.argmin(score))
        if best_model is None or score[k] < best_score:
            best_score, best_member, best_model = float(score[k]), first + k, model.member(k)
        if on_chunk is not None:
            on_chunk(first, count)
    assert best_model is not None

    def joined(key: str, axis: int) -> np.ndarray | None:
        if key not in chunks[0]:
            return None
        return np.concatenate([part[key] for part in chunks], axis=axis)

    def required(key: str, axis: int) -> np.ndarray:
        array = joined(key, axis)
        assert array is not None
        return array

    return EnsembleResult(
        epochs=epochs,
        loss=required("loss", 1),
        accuracy=required("accuracy", 1),
        val_loss=joined("val_loss", 1),
        val_accuracy=joined("val_accuracy", 1),
        final_loss=required("final_loss", 0),
        final_accuracy=required("final_accuracy", 0),
        final_val_loss=joined("final_val_loss", 0),
        final_val_accuracy=joined("final_val_accuracy", 0),
        best_member=best_member,
        best_model=best_model,
    )
