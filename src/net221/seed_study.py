"""Training many independent networks, chunk by chunk: a seed study.

Layer: training. Members never interact, so an ensemble may be trained chunk by
chunk with the same result as all at once; chunks bound the memory of the
per-step tensors, which grow with members x rows x width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from net221.ensemble import Ensemble, MemberLoss
from net221.network import Net221
from net221.trainer import EpochLog, EpochPlan, LossFunction, evaluate, evaluator, train

# On the CPU a chunk's per-step tensors (members x batch x (width + inputs + 1)
# values) stay within CPU_STEP_VALUES, small enough to stay in cache
# (scripts/benchmark.py measured the most member-steps per second near 2^18 here).
# A GPU step costs about the same for any chunk that fits, so there only the
# evaluations over every row bound a chunk: EVALUATION_VALUES (2^24 float64
# values, 128 MiB per tensor).
CPU_STEP_VALUES = 2**18
EVALUATION_VALUES = 2**24


def auto_chunk_size(
    members: int, rows: int, batch_size: int, width: int, input_dim: int, device_type: str = "cpu"
) -> int:
    per_row = width + input_dim + 1
    by_evaluation = EVALUATION_VALUES // (max(1, rows) * per_row)
    if device_type != "cpu":
        return max(1, min(members, by_evaluation))
    by_step = CPU_STEP_VALUES // (max(1, min(batch_size, rows)) * per_row)
    return max(1, min(members, by_step, by_evaluation))


@dataclass
class SeedStudyResult:
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
    best_model: Net221  # a copy of it


@dataclass(frozen=True)
class Losses:
    """The configured loss, built twice: summed over values (training) and per value (evaluation)."""

    summed: LossFunction
    per_value: LossFunction


def _stack(logs: list[EpochLog], part: str, field: str) -> np.ndarray:
    return np.stack([getattr(getattr(log, part), field) for log in logs], axis=0)


def train_members(
    make_model: Callable[[int, int], Ensemble],
    make_optimizer: Callable[[Ensemble], torch.optim.Optimizer],
    losses: Losses,
    x: torch.Tensor,
    y: torch.Tensor,
    plan: EpochPlan,
    members: int,
    chunk_size: int,
    *,
    x_val: torch.Tensor | None = None,
    y_val: torch.Tensor | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> SeedStudyResult:
    """Train `members` networks; `make_model(first, count)` builds members first..first+count-1.

    `on_epoch(count)` runs after every epoch of a chunk of `count` members."""
    parts: dict[str, list[np.ndarray]] = {}
    epochs: list[int] = []
    best_score, best_member, best_model = np.inf, 0, None
    has_val = x_val is not None and y_val is not None
    for first in range(0, members, chunk_size):
        count = min(chunk_size, members - first)
        model = make_model(first, count)
        logs: list[EpochLog] = []
        train(
            model,
            make_optimizer(model),
            MemberLoss(losses.summed),
            x,
            y,
            plan,
            evaluate_epoch=evaluator(model, losses.per_value, x, y, x_val, y_val),
            on_log=logs.append,
            on_epoch=None if on_epoch is None else lambda _, count=count: on_epoch(count),  # type: ignore[misc]
            stop_on_divergence=False,
        )
        epochs = [log.epoch for log in logs]
        final = evaluate(model, losses.per_value, x, y)
        chunk = {
            "loss": _stack(logs, "train", "loss"),
            "accuracy": _stack(logs, "train", "accuracy"),
            "final_loss": final.loss,
            "final_accuracy": final.accuracy,
        }
        if x_val is not None and y_val is not None:
            final_val = evaluate(model, losses.per_value, x_val, y_val)
            chunk |= {
                "val_loss": _stack(logs, "val", "loss"),
                "val_accuracy": _stack(logs, "val", "accuracy"),
                "final_val_loss": final_val.loss,
                "final_val_accuracy": final_val.accuracy,
            }
        for key, value in chunk.items():
            parts.setdefault(key, []).append(value)
        score = np.nan_to_num(chunk["final_val_loss" if has_val else "final_loss"], nan=np.inf)
        k = int(np.argmin(score))
        if best_model is None or score[k] < best_score:
            best_score, best_member, best_model = float(score[k]), first + k, model.member(k)
    assert best_model is not None

    def joined(key: str) -> np.ndarray | None:
        # per-log arrays (logs, count) join along members; final arrays (count,) too
        return np.concatenate(parts[key], axis=-1) if key in parts else None

    def required(key: str) -> np.ndarray:
        array = joined(key)
        assert array is not None
        return array

    return SeedStudyResult(
        epochs=epochs,
        loss=required("loss"),
        accuracy=required("accuracy"),
        val_loss=joined("val_loss"),
        val_accuracy=joined("val_accuracy"),
        final_loss=required("final_loss"),
        final_accuracy=required("final_accuracy"),
        final_val_loss=joined("final_val_loss"),
        final_val_accuracy=joined("final_val_accuracy"),
        best_member=best_member,
        best_model=best_model,
    )
