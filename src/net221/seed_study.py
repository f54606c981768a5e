"""Training many independent networks, chunk by chunk: a seed study.

Members never interact, so an ensemble may be trained chunk by chunk with the same
result as all at once; chunks bound the memory of the per-step tensors, which grow
with members x rows x width.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from net221.ensemble import Ensemble, MemberLoss
from net221.loop import (
    EpochLog,
    EpochPlan,
    Evaluation,
    LossFunction,
    TrainingStopped,
    evaluator,
    logged_epochs,
    train,
)
from net221.network import Net221

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
    best_member: int  # lowest final validation loss if there is a validation set, else training loss
    best_model: Net221  # a copy of it
    loss: np.ndarray  # (logs, members) training loss
    accuracy: np.ndarray  # (logs, members)
    final_loss: np.ndarray  # (members,) after the last epoch
    final_accuracy: np.ndarray
    val_loss: np.ndarray | None = None  # the same four for the validation rows, if any
    val_accuracy: np.ndarray | None = None
    final_val_loss: np.ndarray | None = None
    final_val_accuracy: np.ndarray | None = None


@dataclass(frozen=True)
class Losses:
    """The configured loss, built twice: summed over values (training) and per value (evaluation)."""

    summed: LossFunction
    per_value: LossFunction


def _stacked(logs: list[EpochLog]) -> dict[str, np.ndarray]:
    """Logged results as arrays (logs, members): loss, accuracy and, with validation rows, val_loss, val_accuracy."""
    arrays: dict[str, np.ndarray] = {}
    for prefix, part in (("", "train"), ("val_", "val")):
        evaluations = [getattr(log, part) for log in logs]
        if evaluations and evaluations[0] is not None:
            arrays[prefix + "loss"] = np.stack([evaluation.loss for evaluation in evaluations])
            arrays[prefix + "accuracy"] = np.stack([evaluation.accuracy for evaluation in evaluations])
    return arrays


@dataclass
class StudyState:
    """How far a seed study has come: enough to continue it with the same results.

    Chunks before member `first` are done (their results in `done`, one array per
    chunk); the chunk from `first` has trained `epoch` epochs and `step` steps of
    the next, with `model` and `optimizer` its ensemble and optimizer, and `logs`
    its logged epochs. `best` is the best finished member: (member, score, values).
    """

    members: int
    chunk_size: int
    first: int = 0
    epoch: int = 0
    step: int = 0
    done: dict[str, list[np.ndarray]] = field(default_factory=dict)
    logs: list[EpochLog] = field(default_factory=list)
    best: tuple[int, float, np.ndarray] | None = None
    model: Ensemble | None = None
    optimizer: torch.optim.Optimizer | None = None

    def results(self) -> dict[str, torch.Tensor]:
        """Finished chunks' results joined along members, as tensors for a checkpoint."""
        return {key: torch.from_numpy(np.concatenate(parts, axis=-1)) for key, parts in self.done.items()}

    def current(self) -> dict[str, torch.Tensor]:
        """The current chunk's logged epochs, (logs, count) per result, as tensors."""
        return {key: torch.from_numpy(array) for key, array in _stacked(self.logs).items()}

    def restore(
        self, done: dict[str, torch.Tensor], current: dict[str, torch.Tensor], plan: EpochPlan
    ) -> None:
        """Take back `results()` and `current()` from a checkpoint, for the epochs `plan` logs."""
        self.done = {key: [tensor.numpy()] for key, tensor in done.items()}
        count = len(current["loss"]) if current else 0

        def evaluation(prefix: str, i: int) -> Evaluation:
            return Evaluation(current[f"{prefix}loss"][i].numpy(), current[f"{prefix}accuracy"][i].numpy())

        self.logs = [
            EpochLog(epoch, evaluation("", i), evaluation("val_", i) if "val_loss" in current else None)
            for i, epoch in enumerate(logged_epochs(plan)[:count])
        ]


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
    state: StudyState | None = None,
    should_stop: Callable[[], bool] | None = None,
    save: Callable[[StudyState, bool], None] | None = None,
    save_every: int | None = None,
) -> SeedStudyResult:
    """Train `members` networks; `make_model(first, count)` builds members first..first+count-1.

    `on_epoch(count)` runs after every epoch of a chunk of `count` members. `state`
    continues a study from where it stood (its `model` and `optimizer`, when set,
    are the current chunk's, loaded from a checkpoint). `save(state, durable)` runs
    every `save_every` epochs of a chunk (durable False) and, when `should_stop`
    stops training, before `TrainingStopped` is raised (durable True)."""
    state = state or StudyState(members, chunk_size)
    while state.first < members:
        count = min(state.chunk_size, members - state.first)
        if state.model is None or state.optimizer is None:
            state.model = make_model(state.first, count)
            state.optimizer = make_optimizer(state.model)
            state.epoch, state.step, state.logs = 0, 0, []
        model = state.model

        def after_epoch(epoch: int, count: int = count) -> None:
            state.epoch, state.step = epoch + 1, 0
            if on_epoch is not None:
                on_epoch(count)
            if save and save_every and state.epoch % save_every == 0 and state.epoch < plan.epochs:
                save(state, False)

        try:
            train(
                model,
                state.optimizer,
                MemberLoss(losses.summed),
                x,
                y,
                plan,
                start_epoch=state.epoch,
                start_step=state.step,
                evaluate_epoch=evaluator(model, losses.per_value, x, y, x_val, y_val),
                on_log=state.logs.append,
                on_epoch=after_epoch,
                stop_on_divergence=False,
                should_stop=should_stop,
            )
        except TrainingStopped as stop:
            state.epoch, state.step = stop.epoch, stop.step
            if save is not None:
                save(state, True)
            raise
        # The last epoch is always logged: its row holds the final results.
        logged = _stacked(state.logs)
        final = {f"final_{key}": array[-1] for key, array in logged.items()}
        for key, value in (logged | final).items():
            state.done.setdefault(key, []).append(value)
        score = np.nan_to_num(final.get("final_val_loss", final["final_loss"]), nan=np.inf)
        k = int(np.argmin(score))
        if state.best is None or score[k] < state.best[1]:
            state.best = (state.first + k, float(score[k]), model.flat()[k])
        state.first += count
        state.model, state.optimizer = None, None
    assert state.best is not None
    best_member, _, values = state.best
    best_model = make_model(best_member, 1)
    best_model.load_flat(values[None])

    # the results by the names of SeedStudyResult's fields
    joined = {key: np.concatenate(parts, axis=-1) for key, parts in state.done.items()}
    return SeedStudyResult(logged_epochs(plan), best_member, best_model.member(0), **joined)
