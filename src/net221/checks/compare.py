"""Compare another implementation of the blog's network with the reference; say where they part.

Layer: checks. Two entry points:

    compare_implementation("path/to/network.py:ClassName", settings, timeout)
        a Python class in the blog's shape (net221.checks.implementation): its forward pass
        at its initial weights, then its train() on the blog's data against the
        reference trained from the same nine values;
    compare_trajectory(Path("run.csv"), settings)
        a trajectory file written by a program in any language (net221.checks.trajectory).

Either gives a Comparison: every check (net221.checks.stages), the reference run, and a
verdict naming the first stage that disagrees, with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from net221.checks.implementation import UserNetwork, load_class
from net221.checks.stages import (
    Check,
    ReferenceRun,
    Settings,
    beyond,
    blog_training_data,
    first_failure,
    forward_checks,
    forward_inputs,
    held_out_inputs,
    loss_checks,
    prediction_checks,
    reference_run,
    trajectory_checks,
    weight_checks,
)
from net221.checks.trajectory import LoggedEpoch, parse_printed, read_trajectory
from net221.init import BLOG_NAMES

# forward-pass differences all below this (relative) look like float32 rounding, not a bug
LOW_PRECISION = 1e-5
GRADCHECK_HINT = "check the partials with net221-gradcheck formula=FILE.py:FUNCTION, then the update"


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
    stage: str | None = None  # the first stage that disagrees
    epoch: int | None = None  # ... and, for a trajectory, the first epoch
    verdict: str = ""

    @property
    def agrees(self) -> bool:
        return self.stage is None

    def stage_checks(self, stage: str) -> list[Check]:
        return [check for check in self.checks if check.stage == stage]


def counted(n: int, noun: str) -> str:
    """'1 epoch', '100 epochs'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def show(yours: float, reference: float) -> tuple[str, str]:
    """Both numbers with just enough significant digits (3 or more) to tell them apart."""
    for digits in range(3, 18):
        a, b = f"{yours:#.{digits}g}", f"{reference:#.{digits}g}"
        if a != b:
            return a, b
    return a, b


def _reference_as_written(check: Check) -> str:
    """The reference loss to two more significant digits than the other side wrote."""
    text = check.text or ""
    digits = len(text.lower().partition("e")[0].lstrip("+-0.").replace(".", "")) or 1
    return f"{check.reference:.{digits + 2}g}"


def _loss_pair(check: Check) -> str:
    return f"yours {check.text}, reference {_reference_as_written(check)}"


def _weight_list(checks: list[Check]) -> str:
    parts = []
    for check in checks:
        a, b = show(check.yours, check.reference)
        parts.append(f"{check.label.split()[-1]} (yours {a}, reference {b})")
    return ", ".join(parts)


# --- a Python class in the blog's shape ------------------------------------------------------


def compare_implementation(spec: str, settings: Settings, timeout: float) -> Comparison:
    """Load the class `spec` names, build one object and run every stage; ImplementationError
    (one line) when the implementation cannot be run."""
    cls, import_output = load_class(spec, timeout)
    user = UserNetwork(cls, spec, timeout)
    initial = user.parameters("initial values")
    names, inputs = forward_inputs(settings.points, settings.seed)
    forward = user.feedforward(inputs)
    data, labels = blog_training_data()
    train_output = user.train(data, labels)
    final = user.parameters("after train")
    predictions = user.feedforward(held_out_inputs()[1])

    logged = parse_printed(train_output)
    run = reference_run(initial, settings.lr, settings.epochs)
    checks = [
        *forward_checks(initial, names, inputs, forward, settings),
        *loss_checks(logged, run, settings),
        *weight_checks(final, run.final, settings),
        *prediction_checks(predictions, run, settings),
    ]
    comparison = Comparison(
        source=spec,
        kind="implementation",
        settings=settings,
        initial=initial,
        checks=checks,
        reference=run,
        logged=logged,
        final=final,
        beyond=beyond(logged, settings.epochs),
        output={"import": import_output, "constructor": user.constructor_output, "train": train_output},
    )
    comparison.stage, comparison.verdict = implementation_verdict(comparison)
    return comparison


def hints(c: Comparison) -> list[str]:
    """Likely causes read off the numbers: a parameter never updated, a loss logged one epoch late."""
    found = []
    if c.final is not None:
        frozen = [
            name
            for name in BLOG_NAMES
            if c.final[name] == c.initial[name] and c.reference.final[name] != c.initial[name]
        ]
        if frozen:
            found.append(f"{', '.join(frozen)} never changed from the initial value: is the update missing?")
    late = loss_checks(c.logged, c.reference, c.settings, shift=1)
    if (
        len(late) >= 2
        and all(check.agrees for check in late)
        and not all(x.agrees for x in c.stage_checks("loss"))
    ):
        found.append(
            "each loss equals the reference's one epoch earlier: count epochs from 0 and "
            "compute the loss after the epoch's updates"
        )
    return found


def implementation_verdict(c: Comparison) -> tuple[str | None, str]:
    """(the first stage that disagrees or None, the verdict in words)."""
    s = c.settings
    forward = first_failure(c.stage_checks("forward"))
    if forward is not None:
        a, b = show(forward.yours, forward.reference)
        small = all(  # False for NaN
            x.difference / max(abs(x.reference), s.abs_floor) < LOW_PRECISION
            for x in c.stage_checks("forward")
        )
        rounding = (
            f" (every difference is below {LOW_PRECISION:g} relative: if yours computes in float32, "
            "raise forward_tolerance= and tolerance=)"
            if small
            else ""
        )
        return "forward", (
            f"forward pass disagrees at the initial weights ({forward.label}: yours {a}, reference {b}): "
            f"look at feedforward{rounding}"
        )
    extra = "".join(f"; {hint}" for hint in hints(c))
    loss = first_failure(c.stage_checks("loss"))
    if loss is not None:
        return "loss", (
            f"forward pass agrees; the loss first differs at {loss.label} ({_loss_pair(loss)}): "
            f"the gradients or the update are wrong: {GRADCHECK_HINT} and its learning rate "
            f"(the reference trains with lr={s.lr:g} for {counted(s.epochs, 'epoch')}){extra}"
        )
    if c.beyond:
        return "loss", (
            f"forward pass agrees; your train logged epoch {c.beyond[-1]} but the reference trains "
            f"{counted(s.epochs, 'epoch')} (set epochs= to the number yours trains){extra}"
        )
    trace = (
        f"loss trace agrees to its printed precision at {counted(len(c.logged), 'epoch')}"
        if c.logged
        else "no loss trace to compare (train printed no 'Epoch N loss: X' lines)"
    )
    weights = [check for check in c.stage_checks("weights") if not check.agrees]
    if weights:
        return "weights", f"{trace}, but final weights differ: {_weight_list(weights)}{extra}"
    predictions = first_failure(c.stage_checks("predictions"))
    if predictions is not None:
        a, b = show(predictions.yours, predictions.reference)
        return "predictions", (
            f"{trace} and final weights agree, but the prediction for {predictions.label} differs "
            f"(yours {a}, reference {b}): feedforward after training is not the forward pass at the final weights"
        )
    return None, (
        f"all agree: forward pass at {len(c.stage_checks('forward'))} inputs; {trace}; "
        f"final weights (relative tolerance {s.tolerance:g}); predictions for Emily and Frank"
    )


# --- a trajectory file from any language ---------------------------------------------------------


def compare_trajectory(path: Path, settings: Settings) -> Comparison:
    """The trajectory file against the reference trained from its initial values up to its
    last logged epoch; TrajectoryError (one line) for a malformed file."""
    trajectory = read_trajectory(path)
    assert trajectory.initial is not None
    logged = trajectory.epochs
    with_weights = [entry.epoch for entry in logged if entry.weights is not None]
    run = reference_run(trajectory.initial, settings.lr, logged[-1].epoch + 1, with_weights)
    last = logged[-1].weights
    comparison = Comparison(
        source=str(path),
        kind="trajectory",
        settings=settings,
        initial=trajectory.initial,
        checks=trajectory_checks(logged, run, settings),
        reference=run,
        logged=logged,
        final=last,
    )
    comparison.stage, comparison.epoch, comparison.verdict = trajectory_verdict(comparison)
    return comparison


def trajectory_verdict(c: Comparison) -> tuple[str | None, int | None, str]:
    """(the first stage that disagrees, its epoch, the verdict in words)."""
    s = c.settings
    first = first_failure(c.checks)
    if first is None:
        weights = sum(entry.weights is not None for entry in c.logged)
        return (
            None,
            None,
            (
                f"all agree: the loss at {counted(len(c.logged), 'logged epoch')} (to its written precision) "
                f"and the weights at {counted(weights, 'epoch')} (relative tolerance {s.tolerance:g})"
            ),
        )
    epoch = int(first.label.split()[1])
    at_epoch = [check for check in c.checks if check.label.split()[:2] == ["epoch", str(epoch)]]
    what = []
    if not at_epoch[0].agrees:
        what.append(f"loss {_loss_pair(at_epoch[0])}")
    wrong = [check for check in at_epoch[1:] if not check.agrees]
    if wrong:
        what.append(f"weights {_weight_list(wrong)}")
    return (
        first.stage,
        epoch,
        (
            f"the trajectory first differs at epoch {epoch}: {'; '.join(what)}: the gradients or the update "
            f"are wrong: {GRADCHECK_HINT} and its learning rate (the reference trains with lr={s.lr:g})"
        ),
    )
