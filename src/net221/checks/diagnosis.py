"""Why another implementation disagrees: a catalogue of causes, each tried by re-running the reference.

Layer: checks. A hypothesis is a way of training or logging that real implementations
show (another learning rate, float32, epochs counted from 1, a mistake in one
partial, ...). Each is tested by re-running the blog's SGD under it (net221.checks.steps,
from the same initial values) and comparing with your numbers, every number within its
tolerance (the check's, at least 1e-6 relative: two float64 codes of one training part by
rounding over many epochs): `residual` is the largest difference in units of that
tolerance, so a hypothesis with residual <= 1 explains your numbers; a wrong one is off by
thousands. A Python implementation is
also followed step by step: the first steps of its train() against the reference's from
the same state, parameter by parameter. docs/diagnoses.md explains each cause.

    diagnose_forward(initial, inputs, yours, settings, responses)   feedforward at the initial values
    diagnose_training(initial, settings, logged, final, events, float32)   train() of a Python class
    diagnose_trajectory(initial, settings, logged)   a trajectory file
    diagnose_partials(params, inputs, formula_values, tolerance, floor)   gradcheck's wrong partials

and the wiring: followed(network, calls, inputs) makes the child process follow train() and
measure feedforward's responses; attach(comparison, events, responses) gives a comparison
that disagrees its Diagnosis (and one whose differences are benign its agreement);
for_gradcheck(points, values, settings) diagnoses a failing check. Many hypotheses are run
over the first SCREEN epochs, and only those still close run to the end.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

# The checks' public names used here, in one place.
from net221.checks import report, usercode, usernetwork
from net221.checks.steps import (
    CORRECT,
    DATA_TEXT,
    EPS32,
    SAMPLES,
    Rerun,
    StepFindings,
    Variant,
    code_array,
    datasets,
    follow_steps,
    gradients,
    losses,
    mistakes,
    recording,
    rerun,
    vector,
)
from net221.checks.trajectory import LoggedEpoch
from net221.init import BLOG_NAMES

if TYPE_CHECKING:  # compare imports this module
    from net221.checks.compare import Comparison, Settings
    from net221.checks.gradcheck import Point
    from net221.checks.gradcheck import Settings as GradcheckSettings

# learning-rate factors tried when no step shows the factor itself
# a hypothesis's run explains numbers within this relative tolerance (or the check's, if larger):
# two float64 codes of one training part by rounding that grows with the epochs, wrong causes by 1e-3
# and more
HYPOTHESIS_TOLERANCE = 1e-6
SCREEN = 30  # epochs over which the whole catalogue runs before the closest run to the end
RESPONSE_INPUTS = 20  # the inputs at which feedforward's response to each parameter is measured
LOSS_FACTORS = {
    0.5: " (½·MSE)",
    4 / 3: " (a sum over the four divided by 3, not 4)",
    4.0: " (a sum, not a mean)",
}
FACTORS = (0.5, 2.0, 0.25, 4.0, 0.1, 0.2, 0.3, 3.0, 5.0, 10.0, 0.01)


@dataclass(frozen=True)
class Evidence:
    hypothesis: str
    explains: bool
    residual: float  # the largest difference in units of its tolerance

    def to_json(self) -> dict[str, Any]:
        residual = self.residual if np.isfinite(self.residual) else str(self.residual)
        return {"hypothesis": self.hypothesis, "explains": self.explains, "residual": residual}


@dataclass(frozen=True)
class Diagnosis(report.Diagnosis):
    """The cause (a sentence a verdict can lead with) and the evidence: each hypothesis tried,
    whether it explains the numbers, its residual (Evidence.to_json)."""

    agrees: bool = False  # the differences are benign: float32 rounding, prints
    explained: bool = True  # a hypothesis explains the numbers exactly
    steps: list[str] = field(default_factory=list)  # what the step-level comparison found


def diagnosis(
    cause: str,
    evidence: Sequence[Evidence] = (),
    agrees: bool = False,
    explained: bool = True,
    steps: Sequence[str] = (),
) -> Diagnosis:
    return Diagnosis(cause, [e.to_json() for e in evidence], agrees, explained, list(steps))


def residual(yours: np.ndarray, theirs: np.ndarray, limits: np.ndarray) -> float:
    """max |yours - theirs| / limits; inf where a number is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        ratio = np.abs(np.asarray(yours) - theirs) / limits
    return float(np.max(np.where(np.isfinite(ratio), ratio, np.inf), initial=0.0))


# --- the forward pass ---------------------------------------------------------------------------


def _outputs(theta: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """feedforward (K, M) of K parameter rows (K, 9) at M inputs (M, 2)."""
    w1, w2, w3, w4, w5, w6, b1, b2, b3 = (c[:, None] for c in theta.T)
    x1, x2 = inputs[:, 0], inputs[:, 1]
    with np.errstate(over="ignore"):
        h1, h2 = 1 / (1 + np.exp(-(w1 * x1 + w2 * x2 + b1))), 1 / (1 + np.exp(-(w3 * x1 + w4 * x2 + b2)))
        out: np.ndarray = 1 / (1 + np.exp(-(w5 * h1 + w6 * h2 + b3)))
    return out


def _forward_catalogue(theta: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Feedforwards that read one parameter in another's place, leave one out, or swap two."""
    texts, rows = [], []
    for i, p in enumerate(BLOG_NAMES):
        for j, q in enumerate(BLOG_NAMES):
            if i != j:
                texts.append(f"your feedforward reads {q} where {p} belongs")
                rows.append(np.where(np.arange(9) == i, theta[j], theta))
        texts.append(f"your feedforward leaves {p} out")
        rows.append(np.where(np.arange(9) == i, 0.0, theta))
    for i, j in itertools.combinations(range(9), 2):
        texts.append(f"your feedforward has {BLOG_NAMES[i]} and {BLOG_NAMES[j]} swapped")
        row = theta.copy()
        row[[i, j]] = row[[j, i]]
        rows.append(row)
    return texts, np.array(rows)


def perturbed(values: Mapping[str, float]) -> list[dict[str, float]]:
    """The nine parameter sets at which feedforward's response is measured: one moved at a time."""
    return [{**values, name: value + 1e-6 * max(1.0, abs(value))} for name, value in values.items()]


@dataclass(frozen=True)
class Responses:
    """Your feedforward at some parameter values and at each of perturbed(values)."""

    values: dict[str, float]
    outputs: np.ndarray  # (M,)
    moved: np.ndarray  # (9, M)


def measure_responses(network: usernetwork.UserNetwork, inputs: np.ndarray) -> Responses:
    """In the process that holds the object: its feedforward at its current values and at each
    of perturbed(values); the attributes are put back as they were."""
    obj = network.state["obj"]
    kept, values = {name: getattr(obj, name) for name in BLOG_NAMES}, network.parameters("the responses")
    moved = []
    try:
        for changed in perturbed(values):
            for name, value in changed.items():
                setattr(obj, name, value)
            moved.append(network.feedforward(inputs))
    finally:
        for name, value in kept.items():
            setattr(obj, name, value)
    return Responses(values, network.feedforward(inputs), np.array(moved))


def diagnose_forward(
    initial: Mapping[str, float],
    inputs: np.ndarray,
    yours: np.ndarray,
    s: Settings,
    responses: Responses | None = None,
) -> Diagnosis | None:
    """None when feedforward agrees; a benign Diagnosis when it agrees within float32
    rounding; else the catalogue's explanation or its closest, and (given `responses`) the
    parameters whose change it responds to differently."""
    theta = vector(initial)
    reference = _outputs(theta[None], inputs)[0]
    limits = s.forward_tolerance * np.maximum(np.abs(reference), s.abs_floor)
    if residual(yours, reference, limits) <= 1:
        return None
    single = _outputs(theta[None].astype(np.float32), inputs.astype(np.float32))[0].astype(np.float64)
    rounding = residual(
        yours, reference, limits + 8 * np.abs(single - reference) + 4 * EPS32 * np.abs(reference)
    )
    evidence = [Evidence("float32 arithmetic", rounding <= 1, rounding)]
    if rounding <= 1:
        return diagnosis(
            "your feedforward agrees within float32 rounding (it computes in float32)", evidence, True
        )
    texts, rows = _forward_catalogue(theta)
    for text, out in zip(texts, _outputs(rows, inputs), strict=True):
        evidence.append(Evidence(text, (r := residual(yours, out, limits)) <= 1, r))
    with np.errstate(over="ignore"):  # the output neuron wired to the inputs, not to h1, h2
        wired = 1 / (1 + np.exp(-(theta[4] * inputs[:, 0] + theta[5] * inputs[:, 1] + theta[8])))
    text = "your output neuron takes x1, x2 where h1, h2 belong (o1 = f(w5·x1 + w6·x2 + b3))"
    evidence.append(Evidence(text, (r := residual(yours, wired, limits)) <= 1, r))
    found = _conclude(evidence, "feedforward")
    if responses is None or found.explained:
        return found
    at = vector(responses.values)
    moved = np.array([vector(v) for v in perturbed(responses.values)])
    steps = (moved - at)[np.arange(9), np.arange(9)][:, None]
    mine = (responses.moved - responses.outputs) / steps
    some = inputs[: len(responses.outputs)]
    theirs = (_outputs(moved, some) - _outputs(at[None], some)) / steps
    # each divided by the response to b3, f'(sum_o1): what remains is d(sum_o1)/dθ
    usable = (np.abs(mine[8]) > 1e-9) & (np.abs(theirs[8]) > 1e-9)
    mine, theirs = mine[:, usable] / mine[8, usable], theirs[:, usable] / theirs[8, usable]
    different = [
        n
        for n, a, b in zip(BLOG_NAMES, mine, theirs, strict=True)
        if residual(a, b, 1e-4 + 1e-3 * np.abs(b)) > 1
    ]
    text = (
        f"it treats {', '.join(different) or 'no parameter'} differently (its response to a change of each)"
    )
    return replace(found, cause=f"{found.cause}; {text}")


def _conclude(evidence: list[Evidence], where: str, steps: Sequence[str] = ()) -> Diagnosis:
    explaining = [e for e in evidence if e.explains]
    if explaining:
        return diagnosis("; ".join(e.hypothesis for e in explaining), evidence, steps=steps)
    closest = min((e for e in evidence if e.hypothesis != "float32 arithmetic"), key=lambda e: e.residual)
    text = f"no cause in the catalogue explains your {where} exactly; the closest: {closest.hypothesis}"
    return diagnosis(
        f"{text} (off by {closest.residual:.3g} tolerances)", evidence, explained=False, steps=steps
    )


# --- the whole of train(): re-running the reference under each hypothesis -----------------------


def catalogue(base: Variant) -> list[tuple[str, Variant]]:
    """Every whole-run hypothesis: a factor on every update, another row order, one partial
    with a usual mistake, an update added to another parameter, other data."""
    found = []
    for c in FACTORS:
        why = " (½·MSE: -(y_true - y_pred))" if c == 0.5 else ""
        found.append(
            (
                f"every update is {c:g}× the reference's: learning rate {c * base.lr:g}{why}",
                replace(base, lr=c * base.lr),
            )
        )
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3):
            found.append(
                (
                    f"the rows are in another order: {', '.join(SAMPLES[i] for i in order)}",
                    replace(base, order=order),
                )
            )
    correct = tuple(CORRECT.values())
    for p, name in enumerate(BLOG_NAMES):
        for m in mistakes(name):
            partials = (*correct[:p], m, *correct[p + 1 :])
            found.append(
                (f"your update of {name} uses dL/d{name} {m.mistake}", replace(base, partials=partials))
            )
        for q, other in enumerate(BLOG_NAMES):
            if q != p:
                text = f"{other}'s update is assigned to {name} ({other} never changes)"
                found.append((text, replace(base, lost=(q,), moves=((q, p),))))
    for key, text in DATA_TEXT.items():
        found.append((text, replace(base, data=key)))
    return found


@dataclass(frozen=True)
class _Observed:
    """Your numbers, each with the run index it belongs to as logged (after the epoch's updates,
    epochs from 0) and as if shifted by one epoch."""

    weights: list[tuple[int, int, np.ndarray]]
    losses: list[tuple[int, int, float, float]]  # (index, shifted index, loss, resolution)


def _misfit(
    run_w: np.ndarray, run_l: np.ndarray, seen: _Observed, shifted: bool, s: Settings, slack: np.ndarray
) -> float:
    """Residual of one run (weights (E+1, 9), loss (E+1,)) against your numbers; `slack` (E+1, 10)
    widens the weights' limits (columns 0-8) and the loss's (column 9)."""
    worst, last = 0.0, len(run_l) - 1
    for a, b, w in seen.weights:
        i = b if shifted else a
        if i <= last:
            ref = run_w[i]
            worst = max(
                worst, residual(w, ref, s.tolerance * np.maximum(np.abs(ref), s.abs_floor) + slack[i, :9])
            )
    for a, b, loss, res in seen.losses:
        i = b if shifted else a
        if i <= last:
            ref = run_l[i]
            lim = max(s.tolerance * max(abs(ref), s.abs_floor), res / 2 * (1 + 1e-9)) + slack[i, 9]
            worst = max(worst, residual(np.array(loss), ref, np.array(lim)))
    return worst


def _shift_text(seen: _Observed) -> str:
    if any(b == 0 for _, b, _, _ in seen.losses):
        return "the loss is computed before the epoch's updates (epoch N shows the loss after epoch N-1)"
    return "epochs are counted from 1 (epoch N shows the loss after the reference's epoch N-1): count from 0"


def _fits(
    run: Rerun, k: int, seen: _Observed, s: Settings, slack: np.ndarray | None = None
) -> tuple[float, float]:
    """Row k's residuals: with the epochs as logged, and shifted by one."""
    slack = np.zeros((len(run.loss), 10)) if slack is None else slack
    after = _misfit(run.weights[:, k], run.loss[:, k], seen, False, s, slack)
    return after, _misfit(run.weights[:, k], run.loss[:, k], seen, True, s, slack) if seen.losses else np.inf


def _judge(
    named: list[tuple[str, Variant]],
    seen: _Observed,
    s: Settings,
    epochs: int,
    final_at: int | None,
    steps: StepFindings | None,
    single: bool,
) -> Diagnosis:
    """The first of: agreement, float32 rounding, a shifted loss trace, a hypothesis of `named`
    (the reference's training first), another epoch count, the steps' causes, two hypotheses."""
    loose = replace(s, tolerance=max(s.tolerance, HYPOTHESIS_TOLERANCE), abs_floor=max(s.abs_floor, 1e-3))
    everything = named
    named, run, fits, screened = _screened(named, seen, s, loose, epochs)
    best = [fits[0][0], *(min(fit) for fit in fits[1:])]  # the reference's own shifted trace is tried below
    evidence = [Evidence(text, r <= 1, r) for (text, _), r in zip(named, best, strict=True)] + screened
    lead = tuple(steps.sentences) if steps else ()

    def found(cause: str, agrees: bool = False, explained: bool = True) -> Diagnosis:
        return diagnosis(cause, evidence, agrees, explained, lead)

    (after, moved), w = fits[0], run.weights[:, 0]
    if after <= 1:
        return found("agrees", True)
    if seen.losses:
        evidence.append(Evidence(_shift_text(seen), moved <= 1, moved))
    if single or (all(min(fit) > 1 for fit in fits) and not (steps and steps.causes)):
        single_run, loss = rerun([named[0][1]], datasets(), epochs, np.float32), run.loss[:, :1]
        drift = np.abs(single_run.weights[:, 0] - w).max(axis=1, keepdims=True) + 8 * EPS32 * np.maximum(
            np.abs(w), 1
        )
        slack = np.hstack([10 * drift, 10 * np.abs(single_run.loss[:, :1] - loss) + 8 * EPS32 * loss])
        r32 = _fits(run, 0, seen, s, slack)[0]
        evidence.append(Evidence("float32 arithmetic", r32 <= 1, r32))
        if r32 <= 1:
            return found("your train() agrees within float32 rounding (it computes in float32)", True)
    if moved <= 1:
        return found(_shift_text(seen))
    for (text, _), (after, moved) in zip(named[1:], fits[1:], strict=True):
        if min(after, moved) <= 1:
            return found(text if after <= 1 else f"{text}; and {_shift_text(seen)}")
    for k, (what, _) in enumerate(named if final_at is not None else []):  # another epoch count
        wk, tolerance = run.weights[:, k], (loose if k else s).tolerance
        per_epoch = np.max(
            np.abs(wk - seen.weights[0][2]) / (tolerance * np.maximum(np.abs(wk), s.abs_floor)), axis=1
        )
        per_epoch[final_at] = np.inf
        e = int(np.argmin(per_epoch))
        text = (
            f"your train() runs {e} epoch{'' if e == 1 else 's'}, the reference {final_at} (set epochs={e})"
        )
        text = f"{what}; and {text}" if k else text
        if k == 0 or per_epoch[e] <= 1:
            evidence.append(Evidence(text, bool(per_epoch[e] <= 1), float(per_epoch[e])))
        if per_epoch[e] <= 1:
            return found(text)
    if steps and steps.causes:
        return found("; ".join(steps.causes), explained=steps.complete)
    anchors = sorted(range(1, len(named)), key=lambda k: min(fits[k]))[
        :3
    ]  # two bugs: a close one and another
    pairs = [
        (f"{named[a][0]}; and {text}", merged)
        for a in anchors
        for text, other in everything[1:]
        if other != named[a][1] and (merged := _merge(named[0][1], named[a][1], other)) is not None
    ]
    if pairs:
        pairs, run, fits, screened = _screened([everything[0], *pairs], seen, s, loose, epochs)
        evidence += screened
        for (text, _), (after, moved) in zip(pairs[1:], fits[1:], strict=True):
            evidence.append(Evidence(text, min(after, moved) <= 1, min(after, moved)))
            if min(after, moved) <= 1:
                return found(text if after <= 1 else f"{text}; and {_shift_text(seen)}")
    return _conclude(evidence, "numbers", lead)


def _screened(
    named: list[tuple[str, Variant]], seen: _Observed, s: Settings, loose: Settings, epochs: int
) -> tuple[list[tuple[str, Variant]], Rerun, list[tuple[float, float]], list[Evidence]]:
    """The hypotheses run to the end (the first, the reference's, always; of many, those not already
    off in the first SCREEN epochs, and the closest eight), that run, their fits, and the others."""
    screened: list[Evidence] = []
    if len(named) > 12 and epochs > SCREEN:
        early = rerun([v for _, v in named], datasets(), SCREEN)
        off = [min(_fits(early, k, seen, loose)) for k in range(len(named))]
        closest = sorted(range(1, len(named)), key=lambda k: off[k])[:8]
        kept = [k for k in range(len(named)) if k == 0 or off[k] <= 1 or k in closest]
        screened = [
            Evidence(f"{text} (off within the first {SCREEN} epochs)", False, off[k])
            for k, (text, _) in enumerate(named)
            if k not in kept
        ]
        named = [named[k] for k in kept]
    run = rerun([v for _, v in named], datasets(), epochs)
    return named, run, [_fits(run, k, seen, loose if k else s) for k in range(len(named))], screened


def _merge(base: Variant, a: Variant, b: Variant) -> Variant | None:
    """a's changes to base and b's together; None where both change the same thing."""
    merged: dict[str, Any] = {}
    for key in ("lr", "order", "data", "lost", "moves"):
        one, two, neither = getattr(a, key), getattr(b, key), getattr(base, key)
        if one != neither and two != neither:
            return None
        merged[key] = one if one != neither else two
    for j, (one, two, neither) in enumerate(zip(a.partials, b.partials, base.partials, strict=True)):
        if one != neither and two != neither:
            return None
        merged[f"p{j}"] = one if one != neither else two
    partials = tuple(merged.pop(f"p{j}") for j in range(9))
    return replace(base, partials=partials, **merged)


def _observed_losses(logged: Sequence[LoggedEpoch]) -> list[tuple[int, int, float, float]]:
    return [(e.epoch + 1, e.epoch, e.loss, e.resolution) for e in logged]


def _loss_factor(
    yours: np.ndarray, reference: np.ndarray, limits: np.ndarray, where: str = ""
) -> Evidence | None:
    """When your losses are the MSE `reference` times one constant (another formula for the
    loss: ½·MSE, a sum, ...): that, as evidence that explains them."""
    median = float(np.median(yours / reference))
    for c in (*LOSS_FACTORS, median):
        if abs(c - 1) > 1e-6 and (r := residual(yours, c * reference, max(c, 1.0) * limits)) <= 1:
            return Evidence(f"your loss is {c:.6g}× the MSE{where}{LOSS_FACTORS.get(c, '')}", True, r)
    return None


def diagnose_training(
    initial: Mapping[str, float],
    s: Settings,
    logged: Sequence[LoggedEpoch],
    final: Mapping[str, float],
    events: Sequence[tuple[str, float | None]] | None = None,
    float32: bool = False,
) -> Diagnosis:
    """Why train() ends elsewhere than the reference: its loss lines `logged`, its `final`
    weights after s.epochs epochs and, when followed, its assignments `events` to w1..b3."""
    steps = follow_steps(initial, events, s) if events else None
    single = float32 or bool(steps and steps.float32)
    repeated = len({e.epoch for e in logged}) < len(logged)
    trace = [] if repeated else _observed_losses(logged)
    epochs = max([s.epochs, *(a for a, _, _, _ in trace)])
    seen = _Observed([(s.epochs, s.epochs, vector(final))], trace)
    base = Variant(tuple(vector(initial)), s.lr)
    named = [("the reference's training", base)]
    if steps and steps.variant is not None and steps.variant != base:
        named.append(("; ".join(steps.causes) or "the steps as followed", steps.variant))
    elif steps is None:
        named += catalogue(base)
    found = _judge(named, seen, s, epochs, s.epochs, steps, single)
    if trace and not found.explained:
        run = rerun([base], datasets(), epochs)
        if _fits(run, 0, _Observed(seen.weights, []), s)[0] <= 1:  # train() agrees, its printed loss not
            yours, reference = np.array([t[2] for t in trace]), run.loss[[t[0] for t in trace], 0]
            lims = np.array(
                [
                    max(s.tolerance * max(r, s.abs_floor), t[3] / 2)
                    for r, t in zip(reference, trace, strict=True)
                ]
            )
            if (scaled := _loss_factor(yours, reference, lims)) is not None:
                cause = f"{scaled.hypothesis}: it prints another loss; train() agrees (its final weights)"
                return replace(
                    found, cause=cause, explained=True, evidence=[*found.evidence, scaled.to_json()]
                )
    if repeated:
        note = "train() prints its loss inside the per-sample loop (an epoch printed more than once): judged from the final weights"
        cause = note if found.agrees else f"{found.cause} ({note})"
        return replace(found, cause=cause)
    return found


def diagnose_trajectory(
    initial: Mapping[str, float], s: Settings, logged: Sequence[LoggedEpoch]
) -> Diagnosis:
    """Why a trajectory file parts from the reference trained from its initial values."""
    weights = [(e.epoch + 1, e.epoch, vector(e.weights)) for e in logged if e.weights is not None]
    seen = _Observed(weights, _observed_losses(logged))
    base = Variant(tuple(vector(initial)), s.lr)
    found = _judge(
        [("the reference's training", base), *catalogue(base)],
        seen,
        s,
        logged[-1].epoch + 2,
        None,
        None,
        False,
    )
    data, labels = datasets()["blog"]
    own = [e for e in logged if e.weights is not None]
    if own and not found.explained:
        # a loss that is not the blog data's loss at your own weights is a loss of other data
        theta = np.array([vector(e.weights) for e in own if e.weights is not None])
        blog = losses(
            theta, np.broadcast_to(data, (len(own), *data.shape)), np.broadcast_to(labels, (len(own), 4))
        )
        lims = np.array(
            [
                max(s.tolerance * max(abs(b), s.abs_floor), e.resolution / 2 * (1 + 1e-9))
                for b, e in zip(blog, own, strict=True)
            ]
        )
        yours = np.array([e.loss for e in own])
        r = residual(yours, blog, lims)
        text = "the losses are of other data: they are not the blog data's loss at your own weights"
        # the same loss times a constant is another formula for it: the training is not in question
        scaled = _loss_factor(yours, blog, lims, " at your own weights") if r > 1 else None
        evidence = scaled or Evidence(text, r > 1, r)
        found = replace(found, evidence=[*found.evidence, evidence.to_json()])
        if r > 1:
            found = replace(found, cause=evidence.hypothesis, explained=True)
    return found


# --- gradcheck: what is wrong with a partial -----------------------------------------------------


def diagnose_partials(
    params: Sequence[Mapping[str, float]],
    inputs: np.ndarray,
    formula_values: np.ndarray,
    tolerance: float = 1e-8,
    floor: float = 1e-12,
) -> Diagnosis:
    """What the formula's partials (P, 9) at P points (the parameters by name, inputs (P, 3):
    x1, x2, y_true) are, where they are not the correct ones: a factor on every partial, or
    for each wrong partial the usual mistake (or another parameter's partial) that matches at
    every point."""
    theta = np.array([vector(p) for p in params])
    x1, x2, y = inputs[:, 0], inputs[:, 1], inputs[:, 2]
    n = len(theta)
    correct = gradients(theta, x1, x2, y, code_array([list(CORRECT.values())] * n))

    def fit(values: np.ndarray, target: np.ndarray) -> float:
        return residual(values, target, tolerance * np.maximum(np.abs(target), floor))

    wrong = [p for p in range(9) if fit(formula_values[:, p], correct[:, p]) > 1]
    if not wrong:
        return diagnosis("every partial is right", agrees=True)
    evidence: list[Evidence] = []
    both = (correct != 0) & (formula_values != 0)
    with np.errstate(over="ignore", invalid="ignore"):
        c = float(np.median(formula_values[both] / correct[both])) if both.any() else 1.0
    c = float(f"{c:.9g}") if np.isfinite(c) else 1.0
    if c != 1.0:
        r = fit(formula_values, c * correct)
        why = " (the gradient of ½·MSE, (y_pred - y_true), for -2(y_true - y_pred))" if c == 0.5 else ""
        evidence.append(Evidence(f"every partial is {c:g}× the correct one{why}", r <= 1, r))
        if r <= 1:
            return diagnosis(evidence[0].hypothesis, evidence)
    # one factor per point, common to all nine partials: the factor they all share, dL/dy_pred
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        share = np.nanmedian(np.where(correct != 0, formula_values / correct, np.nan), axis=1)
    r = fit(formula_values, np.nan_to_num(share)[:, None] * correct)
    text = "every partial is the correct one times a factor that changes from point to point: your dL/dy_pred"
    evidence.append(Evidence(f"{text} is wrong (the blog's is -2(y_true - y_pred))", r <= 1, r))
    if r <= 1:
        return diagnosis(evidence[-1].hypothesis, evidence)
    causes, unexplained = [], []
    for p in wrong:
        name = BLOG_NAMES[p]
        options = mistakes(name)
        rows = [
            [m if j == p else CORRECT[x] for j, x in enumerate(BLOG_NAMES)] for m in options for _ in range(n)
        ]
        at = [np.tile(a, len(options)) for a in (x1, x2, y)]
        values = gradients(np.tile(theta, (len(options), 1)), at[0], at[1], at[2], code_array(rows))
        tried = [
            Evidence(
                f"your dL/d{name} equals the correct one {m.mistake}",
                (r := fit(formula_values[:, p], v)) <= 1,
                r,
            )
            for m, v in zip(options, values[:, p].reshape(len(options), n), strict=True)
        ]
        tried += [
            Evidence(
                f"your dL/d{name} equals the correct dL/d{other}",
                (r := fit(formula_values[:, p], correct[:, q])) <= 1,
                r,
            )
            for q, other in enumerate(BLOG_NAMES)
            if q != p
        ]
        evidence += tried
        best = next((e for e in tried if e.explains), min(tried, key=lambda e: e.residual))
        causes.append(best.hypothesis) if best.explains else unexplained.append((name, best))
    if unexplained:
        names = ", ".join(f"dL/d{name}" for name, _ in unexplained)
        name, closest = min(unexplained, key=lambda pair: pair[1].residual)
        like = closest.hypothesis.removeprefix(f"your dL/d{name} equals ")
        causes.append(f"no usual mistake explains your {names} (the closest: dL/d{name} is {like})")
    explained = not unexplained
    return diagnosis("; ".join(causes), evidence, explained=explained)


# --- the comparison and the check, diagnosed --------------------------------------------------------


def followed(
    network: usernetwork.UserNetwork, calls: list[usercode.Call], inputs: np.ndarray
) -> list[usercode.Call]:
    """network.calls(...) with train() followed step by step (its result becomes (result, the
    assignments to w1..b3)) and, last, feedforward's responses (measure_responses) at `inputs`."""

    def train(call: Callable[[], object]) -> tuple[object, list[tuple[str, float | None]] | None]:
        with recording(network.state["obj"], usernetwork.as_float) as events:
            result = call()
        return result, events

    def responses() -> Responses | None:
        try:
            return measure_responses(network, inputs[:RESPONSE_INPUTS])
        except Exception:  # only a diagnosis is lost
            return None

    changed = [(what, partial(train, call)) if what == "train" else (what, call) for what, call in calls]
    return [*changed, ("feedforward", responses)]


def attach(
    c: Comparison,
    events: Sequence[tuple[str, float | None]] | None = None,
    responses: Responses | None = None,
) -> None:
    """Give a comparison that disagrees its diagnosis; when the differences are benign (float32
    rounding, a loss printed per sample) the comparison agrees, its verdict says why."""
    from net221.checks.compare import forward_inputs  # compare imports this module

    if c.stage is None or c.stage == "predictions":
        return
    s, found = c.settings, None
    if c.kind == "trajectory":
        found = diagnose_trajectory(c.initial, s, c.logged)
    else:
        yours = np.array([check.yours for check in c.stage_checks("forward")])
        found = forward = diagnose_forward(
            c.initial, forward_inputs(s.points, s.seed)[1], yours, s, responses
        )
        if (forward is None or forward.agrees) and c.final is not None:
            found = diagnose_training(c.initial, s, c.logged, c.final, events, float32=forward is not None)
            if forward is not None and found.agrees and found.cause == "agrees":
                found = forward
    if found is None or (found.agrees and found.cause == "agrees"):  # the tolerances of both agree
        return
    c.diagnosis = found
    if found.explained:  # the cause replaces the generic advice
        c.verdict = c.verdict.partition(": the gradients or the update are wrong")[0]
    if found.agrees:
        c.stage, c.epoch, c.verdict = None, None, f"the strict check said: {c.verdict}"


def for_gradcheck(points: Sequence[Point], values: np.ndarray, settings: GradcheckSettings) -> Diagnosis:
    """diagnose_partials at gradcheck's points, with its tolerance."""
    inputs = np.array([[p.x1, p.x2, p.y_true] for p in points])
    return diagnose_partials(
        [p.params for p in points], inputs, values, settings.tolerance, settings.abs_floor
    )
