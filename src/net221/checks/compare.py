"""Compare another implementation of the blog's network with the reference; say where they part.

Layer: checks. Two entry points, each giving a Comparison: every check, the reference run, and a
verdict naming the first stage that disagrees, with the numbers.

    compare_implementation("path/to/network.py:ClassName", settings)
        a Python class in the blog's shape, run in a child process (net221.checks.usercode):
        constructed with no arguments; the nine parameters as attributes w1..w6, b1..b3;
        feedforward(x) (or feed_forward, forward, predict) on one input of shape (2,) -> a float;
        train(data, all_y_trues) on the blog's (4, 2) data in place, passed the reference's
        learning rate and epochs by name when it takes them (learn_rate, lr, epochs, ...);
    compare_trajectory(Path("run.csv"), settings)
        a trajectory file written by a program in any language (net221.checks.trajectory).

Stages, in the order a bug shows up in: forward (feedforward at the initial weights: the blog's
four people, Emily, Frank and `points` random inputs, x1 and x2 ~ U(-10, 10)); loss (each
logged loss, to the precision it was written at); weights (after training, or at each epoch a
trajectory gives them); predictions (Emily and Frank after training). Numbers agree when
|yours - reference| <= max(tolerance * max(|reference|, abs_floor), resolution / 2),
resolution being one unit in the last written digit (0 for numbers read from an object).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from net221.checks import report, usercode, usernetwork
from net221.checks.trajectory import (
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

INPUT_RANGE = 10.0  # random forward-check inputs: x1, x2 ~ U(-INPUT_RANGE, INPUT_RANGE)
_TIE = 1e-9  # written numbers within half a unit of their last digit agree; a tie may go either way


@dataclass(frozen=True)
class Settings:
    """What a comparison does; net221-compare's options are these, with these defaults."""

    lr: float = 0.1  # the reference's SGD learning rate
    epochs: int = field(default=1000, metadata={"min": 1})  # the reference's epochs (a trajectory: its own)
    points: int = 100  # random inputs of the forward check, besides the six people
    seed: int = 0  # ... drawn from this seed
    tolerance: float = 1e-9  # relative: weights, predictions, losses written to full precision
    forward_tolerance: float = 1e-9  # relative: feedforward at the initial weights
    abs_floor: float = 1e-6  # errors are relative to max(|reference|, abs_floor)
    timeout: float = 60.0  # seconds each call into the implementation may take

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


# --- the stages ---------------------------------------------------------------------------------


def forward_inputs(points: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Names and inputs (M, 2) of the forward check: the six people, then random points."""
    people, (held_names, held) = blog_dataset(), held_out_inputs()
    random = np.random.default_rng(seed).uniform(-INPUT_RANGE, INPUT_RANGE, size=(points, 2))
    names = [*people.names, *held_names, *(f"random {i + 1}" for i in range(points))]
    return names, np.concatenate([people.features - np.array(BLOG_SHIFT), held, random])


def forward_checks(
    initial: Mapping[str, float], names: Sequence[str], inputs: np.ndarray, yours: np.ndarray, s: Settings
) -> list[Check]:
    reference = predict(initial, inputs)
    return [
        Check("forward", name, float(a), float(b), limit(float(b), s.forward_tolerance, s.abs_floor))
        for name, a, b in zip(names, yours, reference, strict=True)
    ]


def loss_checks(logged: Sequence[LoggedEpoch], run: ReferenceRun, s: Settings, shift: int = 0) -> list[Check]:
    """Each logged loss against the reference's at epoch - shift; epochs it did not reach left out."""
    checks = []
    for entry in logged:
        epoch = entry.epoch - shift
        if 0 <= epoch < len(run.loss):
            ref = float(run.loss[epoch])
            bound = limit(ref, s.tolerance, s.abs_floor, entry.resolution)
            checks.append(Check("loss", f"epoch {entry.epoch}", entry.loss, ref, bound, entry.text))
    return checks


def weight_checks(
    yours: Mapping[str, float], reference: Mapping[str, float], s: Settings, where: str = ""
) -> list[Check]:
    prefix = f"{where} " if where else ""
    return [
        Check(
            "weights", f"{prefix}{n}", yours[n], reference[n], limit(reference[n], s.tolerance, s.abs_floor)
        )
        for n in BLOG_NAMES
    ]


def prediction_checks(yours: np.ndarray, run: ReferenceRun, s: Settings) -> list[Check]:
    names = held_out_inputs()[0]
    return [
        Check("predictions", name, float(a), float(b), limit(float(b), s.tolerance, s.abs_floor))
        for name, a, b in zip(names, yours, run.predictions, strict=True)
    ]


def trajectory_checks(logged: Sequence[LoggedEpoch], run: ReferenceRun, s: Settings) -> list[Check]:
    """Loss, then the weights if written, epoch by epoch."""
    checks = []
    for entry in logged:
        checks += loss_checks([entry], run, s)
        if entry.weights is not None and entry.epoch in run.weights:
            checks += weight_checks(entry.weights, run.weights[entry.epoch], s, f"epoch {entry.epoch}")
    return checks


# --- a Python class in the blog's shape ------------------------------------------------------------


def compare_implementation(spec: str, settings: Settings) -> Comparison:
    """Run the class `spec` names in a child process and check every stage; ImplementationError
    (one line, starting with `spec`) when the implementation cannot be run."""
    spec = spec.strip()
    names, inputs = forward_inputs(settings.points, settings.seed)
    data, labels = blog_training_data()
    held = held_out_inputs()[1]
    network = usernetwork.UserNetwork(spec)
    calls = network.calls(inputs, data, labels, held, settings.lr, settings.epochs)
    try:
        with usercode.Child(calls, settings.timeout) as child:
            (_, imported), ((note, initial), constructed) = child.result(), child.result()
            run = reference_run(initial, settings.lr, settings.epochs)  # while the child goes on
            (forward, _), (trained, train_output), (final, _), (predictions, _) = child.results()
    except usercode.UserCodeError as error:
        raise usernetwork.ImplementationError(f"{spec}: {network.explained(error)}") from error.__cause__
    logged = parse_printed(train_output)
    checks = [
        *forward_checks(initial, names, inputs, forward, settings),
        *loss_checks(logged, run, settings),
        *weight_checks(final, run.final, settings),
        *prediction_checks(predictions, run, settings),
    ]
    comparison = Comparison(
        spec,
        "implementation",
        settings,
        initial,
        checks,
        run,
        logged,
        final,
        beyond=[entry.epoch for entry in logged if entry.epoch >= settings.epochs],
        output={"import": imported, "constructor": constructed, "train": train_output},
        notes=[*note, *trained],
    )
    comparison.stage, comparison.verdict = implementation_verdict(comparison)
    return comparison


# --- a trajectory file from any language ---------------------------------------------------------


def compare_trajectory(path: Path, settings: Settings) -> Comparison:
    """The trajectory file against the reference trained from its initial values up to its last
    logged epoch; TrajectoryError (one line) for a malformed file."""
    trajectory = read_trajectory(path)
    assert trajectory.initial is not None
    logged = trajectory.epochs
    with_weights = [entry.epoch for entry in logged if entry.weights is not None]
    run = reference_run(trajectory.initial, settings.lr, logged[-1].epoch + 1, weights_at=with_weights)
    checks = trajectory_checks(logged, run, settings)
    comparison = Comparison(
        str(path), "trajectory", settings, trajectory.initial, checks, run, logged, logged[-1].weights
    )
    comparison.stage, comparison.epoch, comparison.verdict = trajectory_verdict(comparison)
    return comparison


def rerun(c: Comparison, **changes: Any) -> ReferenceRun:
    """The reference run of a comparison again, with reference_run's arguments changed: a
    hypothesis about the other implementation (lr=0.05, order=..., partials=..., initial=...)."""
    arguments: dict[str, Any] = {"initial": c.initial, "lr": c.settings.lr, "epochs": len(c.reference.loss)}
    arguments["weights_at"] = sorted(c.reference.weights)
    return reference_run(**(arguments | changes))


# --- the verdicts --------------------------------------------------------------------------------

LOW_PRECISION = 1e-5  # forward-pass differences all below this (relative) look like float32 rounding
GRADCHECK_HINT = "check the partials with net221-gradcheck formula=FILE.py:FUNCTION, then the update"


def show(yours: float, reference: float) -> tuple[str, str]:
    """Both numbers with just enough significant digits (3 or more) to tell them apart."""
    for digits in range(3, 18):
        a, b = f"{yours:#.{digits}g}", f"{reference:#.{digits}g}"
        if a != b:
            break
    return a, b


def _loss_pair(check: Check) -> str:
    """Yours as written; the reference to two more significant digits than yours has."""
    text = check.text or ""
    digits = len(text.lower().partition("e")[0].lstrip("+-0.").replace(".", "")) or 1
    return f"yours {check.text}, reference {check.reference:.{digits + 2}g}"


def _weight_list(checks: list[Check]) -> str:
    shown = [(check.label.split()[-1], *show(check.yours, check.reference)) for check in checks]
    return ", ".join(f"{name} (yours {a}, reference {b})" for name, a, b in shown)


def _first_failure(checks: Sequence[Check]) -> Check | None:
    return next((check for check in checks if not check.agrees), None)


def hints(c: Comparison) -> list[str]:
    """Likely causes read off the numbers: a parameter never updated, a loss logged one epoch late."""
    found = []
    if c.final is not None:
        final = c.final
        frozen = [n for n in BLOG_NAMES if final[n] == c.initial[n] and c.reference.final[n] != c.initial[n]]
        if frozen:
            found.append(f"{', '.join(frozen)} never changed from the initial value: is the update missing?")
    late = loss_checks(c.logged, c.reference, c.settings, shift=1)
    if len(late) >= 2 and all(x.agrees for x in late) and not all(x.agrees for x in c.stage_checks("loss")):
        found.append(
            "each loss equals the reference's one epoch earlier: count epochs from 0 and "
            "compute the loss after the epoch's updates"
        )
    return found


def implementation_verdict(c: Comparison) -> tuple[str | None, str]:
    """(the first stage that disagrees or None, the verdict in words)."""
    s = c.settings
    forward = _first_failure(c.stage_checks("forward"))
    if forward is not None:
        a, b = show(forward.yours, forward.reference)
        small = all(  # False for NaN
            x.difference / max(abs(x.reference), s.abs_floor) < LOW_PRECISION
            for x in c.stage_checks("forward")
        )
        rounding = (
            f" (every difference is below {LOW_PRECISION:g} relative: if yours computes in float32, "
            "raise forward_tolerance= and tolerance=)"
        )
        return "forward", (
            f"forward pass disagrees at the initial weights ({forward.label}: yours {a}, reference {b}): "
            f"look at feedforward{rounding if small else ''}"
        )
    extra = "".join(f"; {hint}" for hint in hints(c))
    loss = _first_failure(c.stage_checks("loss"))
    if loss is not None:
        return "loss", (
            f"forward pass agrees; the loss first differs at {loss.label} ({_loss_pair(loss)}): "
            f"the gradients or the update are wrong: {GRADCHECK_HINT} and its learning rate "
            f"(the reference trains with lr={s.lr:g} for {report.counted(s.epochs, 'epoch')}){extra}"
        )
    if c.beyond:
        return "loss", (
            f"forward pass agrees; your train logged epoch {c.beyond[-1]} but the reference trains "
            f"{report.counted(s.epochs, 'epoch')} (set epochs= to the number yours trains){extra}"
        )
    trace = (
        f"loss trace agrees to its printed precision at {report.counted(len(c.logged), 'epoch')}"
        if c.logged
        else "no loss trace to compare (train printed no 'Epoch N loss: X' lines)"
    )
    if weights := [check for check in c.stage_checks("weights") if not check.agrees]:
        return "weights", f"{trace}, but final weights differ: {_weight_list(weights)}{extra}"
    if (prediction := _first_failure(c.stage_checks("predictions"))) is not None:
        a, b = show(prediction.yours, prediction.reference)
        return "predictions", (
            f"{trace} and final weights agree, but the prediction for {prediction.label} differs "
            f"(yours {a}, reference {b}): feedforward after training is not the forward pass at the final weights"
        )
    return None, (
        f"all agree: forward pass at {len(c.stage_checks('forward'))} inputs; {trace}; "
        f"final weights (relative tolerance {s.tolerance:g}); predictions for Emily and Frank"
    )


def trajectory_verdict(c: Comparison) -> tuple[str | None, int | None, str]:
    """(the first stage that disagrees, its epoch, the verdict in words)."""
    s, first = c.settings, _first_failure(c.checks)
    if first is None:
        weights = sum(entry.weights is not None for entry in c.logged)
        return (
            None,
            None,
            (
                f"all agree: the loss at {report.counted(len(c.logged), 'logged epoch')} (to its written precision) "
                f"and the weights at {report.counted(weights, 'epoch')} (relative tolerance {s.tolerance:g})"
            ),
        )
    epoch = int(first.label.split()[1])
    at_epoch = [check for check in c.checks if check.label.split()[:2] == ["epoch", str(epoch)]]
    what = [f"loss {_loss_pair(at_epoch[0])}"] if not at_epoch[0].agrees else []
    if wrong := [check for check in at_epoch[1:] if not check.agrees]:
        what.append(f"weights {_weight_list(wrong)}")
    return (
        first.stage,
        epoch,
        (
            f"the trajectory first differs at epoch {epoch}: {'; '.join(what)}: the gradients or the update "
            f"are wrong: {GRADCHECK_HINT} and its learning rate (the reference trains with lr={s.lr:g})"
        ),
    )
