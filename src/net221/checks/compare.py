"""Compare another implementation of the blog's network with the reference and say where they part
(docs/compare.md): a Python class run in a child process (`compare_implementation`) or a trajectory
file from any language (`compare_trajectory`), trained by the reference from the same initial
values; the verdict names the first stage that disagrees: forward, loss, weights, predictions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from net221.checks import diagnosis, report, usercode, usernetwork, verdict
from net221.checks.trajectory import (
    MAX_EPOCHS,
    LoggedEpoch,
    ReferenceRun,
    blog_training_data,
    held_out_inputs,
    parse_printed,
    predict,
    read_trajectory,
    reference_run,
)
from net221.data import BLOG_SHIFT, blog_dataset
from net221.init import BLOG_NAMES

Numbers = Sequence[float] | np.ndarray
INPUT_RANGE = 10.0  # random forward-check inputs: x1, x2 ~ U(-INPUT_RANGE, INPUT_RANGE)
_TIE = 1e-9  # written numbers within half a unit of their last digit agree; a tie may go either way


@dataclass(frozen=True)
class Settings:
    """What a comparison does; net221-compare's options are these, with these defaults."""

    lr: float = 0.1  # the reference's SGD learning rate
    # the reference's epochs (a trajectory: its own)
    epochs: int = field(default=1000, metadata={"min": 1, "max": MAX_EPOCHS})
    points: int = field(default=100, metadata={"max": 100_000})  # random inputs of the forward check ...
    seed: int = 0  # ... besides the six people, drawn from this seed
    tolerance: float = 1e-9  # relative: weights, predictions, losses written to full precision
    forward_tolerance: float = 1e-9  # relative: feedforward at the initial weights
    abs_floor: float = 1e-6  # errors are relative to max(|reference|, abs_floor)
    timeout: float = field(default=60.0, metadata={"max": 1e6})  # seconds a call into the code may take

    def __post_init__(self) -> None:
        report.validate(self)


@dataclass(frozen=True)
class Check:
    """One number of the other implementation against the reference."""

    stage: str
    label: str  # "Alice", "epoch 10", "w3", "epoch 10 w3", ...
    yours: float
    reference: float
    limit: float  # the largest |yours - reference| that agrees
    text: str | None = None  # yours, as written

    @property
    def difference(self) -> float:
        return abs(self.yours - self.reference)

    @property
    def agrees(self) -> bool:
        return bool(self.difference <= self.limit)  # False for NaN


def limit(reference: float, tolerance: float, abs_floor: float, resolution: float = 0.0) -> float:
    return max(tolerance * max(abs(reference), abs_floor), resolution / 2 * (1 + _TIE))


@dataclass
class Comparison:
    source: str  # what was compared: "path.py:Class" or "run.csv"
    kind: str  # "implementation" | "trajectory"
    settings: Settings
    initial: dict[str, float]
    checks: list[Check]
    reference: ReferenceRun
    logged: list[LoggedEpoch]  # the other side's loss trace
    final: dict[str, float] | None = None  # the other side's weights after training
    beyond: list[int] = field(default_factory=list)  # logged epochs the reference did not train
    output: dict[str, str] = field(default_factory=dict)  # import, constructor, train: what each printed
    notes: list[str] = field(default_factory=list)  # how the code was called, where it is not the blog's
    stage: str | None = None  # the first stage that disagrees
    epoch: int | None = None  # ... and, for a trajectory, the first epoch
    verdict: str = ""
    diagnosis: report.Diagnosis | None = None  # the likely cause, when one is found

    @property
    def agrees(self) -> bool:
        return self.stage is None

    def stage_checks(self, stage: str) -> list[Check]:
        return [check for check in self.checks if check.stage == stage]


def forward_inputs(points: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Names and inputs (M, 2) of the forward check: the six people, then random points."""
    people, (held_names, held) = blog_dataset(), held_out_inputs()
    random = np.random.default_rng(seed).uniform(-INPUT_RANGE, INPUT_RANGE, size=(points, 2))
    names = [*people.names, *held_names, *(f"random {i + 1}" for i in range(points))]
    return names, np.concatenate([people.features - np.array(BLOG_SHIFT), held, random])


def number_checks(
    stage: str, labels: Sequence[str], yours: Numbers, reference: Numbers, tolerance: float, s: Settings
) -> list[Check]:
    """One Check per number, each within `tolerance` relative of the reference's (down to abs_floor)."""
    return [
        Check(stage, label, float(a), float(b), limit(float(b), tolerance, s.abs_floor))
        for label, a, b in zip(labels, yours, reference, strict=True)
    ]


def loss_checks(logged: Sequence[LoggedEpoch], run: ReferenceRun, s: Settings) -> list[Check]:
    """Each logged loss against the reference's at that epoch; epochs it did not reach left out."""
    checks = []
    for entry in logged:
        if 0 <= (epoch := entry.epoch) < len(run.loss):
            bound = limit(float(run.loss[epoch]), s.tolerance, s.abs_floor, entry.resolution)
            checks.append(
                Check("loss", f"epoch {epoch}", entry.loss, float(run.loss[epoch]), bound, entry.text)
            )
    return checks


def weight_checks(
    yours: Mapping[str, float], reference: Mapping[str, float], s: Settings, at: str = ""
) -> list[Check]:
    a, b = ([values[n] for n in BLOG_NAMES] for values in (yours, reference))
    return number_checks("weights", [f"{at} {n}".strip() for n in BLOG_NAMES], a, b, s.tolerance, s)


def compare_implementation(spec: str, settings: Settings) -> Comparison:
    """Run the class `spec` names in a child process and check every stage; ImplementationError
    (one line, starting with `spec`) when the implementation cannot be run."""
    spec, s = spec.strip(), settings
    (names, inputs), (held_names, held) = forward_inputs(s.points, s.seed), held_out_inputs()
    network = usernetwork.UserNetwork(spec)
    calls = diagnosis.followed(
        network, network.calls(inputs, *blog_training_data(), held, s.lr, s.epochs), inputs
    )
    try:
        with usercode.Child(calls, s.timeout) as child:
            (_, imported), ((note, initial), constructed) = child.result(), child.result()
            run = reference_run(initial, s.lr, s.epochs)  # while the child goes on
            (forward, _), ((trained, events), train_output), (final, _), (predictions, _), (responses, _) = (
                child.results()
            )
    except usercode.UserCodeError as error:
        raise usernetwork.ImplementationError(f"{spec}: {network.explained(error)}") from error.__cause__
    except usercode.CallInterrupted as interrupt:
        raise KeyboardInterrupt(f"interrupted in impl={spec}: {interrupt.what}") from None
    logged = parse_printed(train_output)
    checks = number_checks("forward", names, forward, predict(initial, inputs), s.forward_tolerance, s)
    checks += loss_checks(logged, run, s) + weight_checks(final, run.final, s)
    checks += number_checks("predictions", held_names, predictions, run.predictions, s.tolerance, s)
    beyond = [entry.epoch for entry in logged if entry.epoch >= s.epochs]
    output = {"import": imported, "constructor": constructed, "train": train_output}
    comparison = Comparison(spec, "implementation", s, initial, checks, run, logged, final, beyond, output)
    comparison.notes = [*note, *trained]
    comparison.stage, comparison.verdict = verdict.implementation_verdict(comparison)
    diagnosis.attach(comparison, events, responses)
    return comparison


def compare_trajectory(path: Path, settings: Settings) -> Comparison:
    """The trajectory file against the reference trained from its initial values up to its last
    logged epoch; TrajectoryError (one line) for a malformed file."""
    initial, logged = (trajectory := read_trajectory(path)).initial, trajectory.epochs
    with_weights = [entry.epoch for entry in logged if entry.weights is not None]
    run = reference_run(initial, settings.lr, logged[-1].epoch + 1, weights_at=with_weights)
    checks = []  # loss, then the weights if written, epoch by epoch
    for entry in logged:
        checks += loss_checks([entry], run, settings)
        if entry.weights is not None:
            checks += weight_checks(entry.weights, run.weights[entry.epoch], settings, f"epoch {entry.epoch}")
    comparison = Comparison(
        str(path), "trajectory", settings, initial, checks, run, logged, logged[-1].weights
    )
    comparison.stage, comparison.epoch, comparison.verdict = verdict.trajectory_verdict(comparison)
    diagnosis.attach(comparison)
    return comparison


def rerun(c: Comparison, **changes: Any) -> ReferenceRun:
    """The reference run of a comparison again, with reference_run's arguments changed: a
    hypothesis about the other implementation (lr=0.05, order=..., partials=..., initial=...)."""
    arguments: dict[str, Any] = {"initial": c.initial, "lr": c.settings.lr, "epochs": len(c.reference.loss)}
    arguments["weights_at"] = sorted(c.reference.weights)
    return reference_run(**(arguments | changes))
