"""Why train() ends elsewhere than the reference: the whole run re-run under each hypothesis.

Layer: checks. Each hypothesis (another learning rate, float32, epochs counted from 1, a mistake
in one partial, ...) is re-run from the same initial values (net221.checks.rerun) and compared
with your numbers, each within its tolerance: the check's, at least HYPOTHESIS_TOLERANCE
relative. Many hypotheses run over the first SCREEN epochs; only those still close run to the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.checks.evidence import Diagnosis, Evidence, conclude, diagnosis, residual
from net221.checks.partials import EPS32, vector
from net221.checks.rerun import Rerun, Variant, catalogue, datasets, losses, merge, rerun
from net221.checks.steps import StepFindings, follow_steps
from net221.checks.trajectory import LoggedEpoch

if TYPE_CHECKING:  # compare imports diagnosis, which imports this module
    from net221.checks.compare import Settings

# two float64 codes of one training part by rounding that grows with the epochs; wrong causes by 1e-3
HYPOTHESIS_TOLERANCE = 1e-6
SCREEN = 30
LOSS_FACTORS = {
    0.5: " (½·MSE)",
    4 / 3: " (a sum over the four divided by 3, not 4)",
    4.0: " (a sum, not a mean)",
}


@dataclass(frozen=True)
class _Numbers:
    """Your weights (n, 9) or losses (n, 1), each with its index in a run as logged and as if
    shifted by one epoch, and the least limit (half a printed loss's last digit)."""

    at: np.ndarray
    shifted: np.ndarray
    values: np.ndarray
    least: np.ndarray


def _numbers(rows: Sequence[tuple[int, int, Any, float]]) -> _Numbers:
    at, shifted, values, least = (np.array([row[i] for row in rows], dtype=float) for i in range(4))
    values = values.reshape(len(rows), -1) if rows else np.zeros((0, 1))
    return _Numbers(at.astype(int), shifted.astype(int), values, least[:, None])


@dataclass(frozen=True)
class _Observed:
    weights: _Numbers
    losses: _Numbers


def _misfit(run: np.ndarray, seen: _Observed, shifted: bool, s: Settings, slack: np.ndarray) -> float:
    """Residual of one run (E+1, 10: the weights, the loss) against your numbers; `slack` widens the limits."""
    worst = 0.0
    for numbers, cols in ((seen.weights, slice(0, 9)), (seen.losses, slice(9, 10))):
        i = numbers.shifted if shifted else numbers.at
        keep = i < len(run)
        ref, i = run[i[keep], cols], i[keep]
        lim = (
            np.maximum(s.tolerance * np.maximum(np.abs(ref), s.abs_floor), numbers.least[keep])
            + slack[i, cols]
        )
        worst = max(worst, residual(numbers.values[keep], ref, lim))
    return worst


def _fits(
    run: Rerun, k: int, seen: _Observed, s: Settings, slack: np.ndarray | None = None
) -> tuple[float, float]:
    """Row k's residuals: with the epochs as logged, and shifted by one."""
    row = np.hstack([run.weights[:, k], run.loss[:, k, None]])
    slack = np.zeros_like(row) if slack is None else slack
    moved = _misfit(row, seen, True, s, slack) if len(seen.losses.at) else np.inf
    return _misfit(row, seen, False, s, slack), moved


def _shift_text(seen: _Observed) -> str:
    if (seen.losses.shifted == 0).any():
        return "the loss is computed before the epoch's updates (epoch N shows the loss after epoch N-1)"
    return "epochs are counted from 1 (epoch N shows the loss after the reference's epoch N-1): count from 0"


def _screened(
    named: list[tuple[str, Variant]], seen: _Observed, s: Settings, loose: Settings, epochs: int
) -> tuple[list[tuple[str, Variant]], Rerun, list[tuple[float, float]], list[Evidence]]:
    """The hypotheses run to the end (the reference's always; of many, those not already off in the
    first SCREEN epochs and the closest eight), that run, their fits, and the others as evidence."""
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


def _judge(
    everything: list[tuple[str, Variant]],
    seen: _Observed,
    s: Settings,
    epochs: int,
    final_at: int | None,
    steps: StepFindings | None,
    single: bool,
) -> Diagnosis:
    """The first of: agreement, float32 rounding, a shifted loss trace, a hypothesis (the first,
    the reference's training), another epoch count, the steps' causes, two hypotheses."""
    loose = replace(s, tolerance=max(s.tolerance, HYPOTHESIS_TOLERANCE), abs_floor=max(s.abs_floor, 1e-3))
    named, run, fits, screened = _screened(everything, seen, s, loose, epochs)
    best = [fits[0][0], *(min(fit) for fit in fits[1:])]  # the reference's own shifted trace is tried below
    evidence = [Evidence(text, r <= 1, r) for (text, _), r in zip(named, best, strict=True)] + screened
    lead = tuple(steps.sentences) if steps else ()

    def found(cause: str, agrees: bool = False, explained: bool = True) -> Diagnosis:
        return diagnosis(cause, evidence, agrees, explained, lead)

    def shifted(text: str, after: float) -> str:
        return text if after <= 1 else f"{text}; and {_shift_text(seen)}"

    (after, moved), w, loss = fits[0], run.weights[:, 0], run.loss[:, :1]
    if after <= 1:
        return found("agrees", True)
    if len(seen.losses.at):
        evidence.append(Evidence(_shift_text(seen), moved <= 1, moved))
    if single or (all(min(fit) > 1 for fit in fits) and not (steps and steps.causes)):
        single_run = rerun([named[0][1]], datasets(), epochs, np.float32)
        drift = np.abs(single_run.weights[:, 0] - w).max(axis=1, keepdims=True)
        drift = 10 * drift + 8 * EPS32 * np.maximum(np.abs(w), 1)
        slack = np.hstack([drift, 10 * np.abs(single_run.loss[:, :1] - loss) + 8 * EPS32 * loss])
        r32 = _fits(run, 0, seen, s, slack)[0]
        evidence.append(Evidence("float32 arithmetic", r32 <= 1, r32))
        if r32 <= 1:
            return found("your train() agrees within float32 rounding (it computes in float32)", True)
    if moved <= 1:
        return found(_shift_text(seen))
    for (text, _), (after, moved) in zip(named[1:], fits[1:], strict=True):
        if min(after, moved) <= 1:
            return found(shifted(text, after))
    for k, (what, _) in enumerate(named if final_at is not None else []):  # another epoch count
        wk, tolerance = run.weights[:, k], (loose if k else s).tolerance
        off = np.abs(wk - seen.weights.values[0]) / (tolerance * np.maximum(np.abs(wk), s.abs_floor))
        per_epoch = off.max(axis=1)
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
        if other != named[a][1] and (merged := merge(named[0][1], named[a][1], other)) is not None
    ]
    if pairs:
        pairs, run, fits, screened = _screened([everything[0], *pairs], seen, s, loose, epochs)
        evidence += screened
        for (text, _), (after, moved) in zip(pairs[1:], fits[1:], strict=True):
            evidence.append(Evidence(text, min(after, moved) <= 1, min(after, moved)))
            if min(after, moved) <= 1:
                return found(shifted(text, after))
    return conclude(evidence, "numbers", lead)


def _observed_losses(logged: Sequence[LoggedEpoch]) -> _Numbers:
    return _numbers([(e.epoch + 1, e.epoch, e.loss, e.resolution / 2 * (1 + 1e-9)) for e in logged])


def _loss_factor(
    yours: np.ndarray, reference: np.ndarray, limits: np.ndarray, where: str = ""
) -> Evidence | None:
    """Your losses as the MSE `reference` times one constant (½·MSE, a sum, ...), if they are."""
    for c in (*LOSS_FACTORS, float(np.median(yours / reference))):
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
    repeated = len({e.epoch for e in logged}) < len(logged)
    trace = _observed_losses([] if repeated else logged)
    epochs = int(max([s.epochs, *trace.at]))
    seen = _Observed(_numbers([(s.epochs, s.epochs, vector(final), 0.0)]), trace)
    base = Variant(tuple(vector(initial)), s.lr)
    named = [("the reference's training", base)]
    if steps and steps.variant is not None and steps.variant != base:
        named.append(("; ".join(steps.causes) or "the steps as followed", steps.variant))
    elif steps is None:
        named += catalogue(base)
    found = _judge(named, seen, s, epochs, s.epochs, steps, float32 or bool(steps and steps.float32))
    if len(trace.at) and not found.explained:  # train() may agree, its printed loss not
        run = rerun([base], datasets(), epochs)
        yours, reference = trace.values[:, 0], run.loss[trace.at, 0]
        lims = np.maximum(s.tolerance * np.maximum(reference, s.abs_floor), trace.least[:, 0])
        scaled = _loss_factor(yours, reference, lims)
        if scaled is not None and _fits(run, 0, _Observed(seen.weights, _observed_losses([])), s)[0] <= 1:
            cause = f"{scaled.hypothesis}: it prints another loss; train() agrees (its final weights)"
            return replace(found, cause=cause, explained=True, evidence=[*found.evidence, scaled.to_json()])
    if repeated:
        note = "train() prints its loss inside the per-sample loop (an epoch printed more than once)"
        note += ": judged from the final weights"
        return replace(found, cause=note if found.agrees else f"{found.cause} ({note})")
    return found


def diagnose_trajectory(
    initial: Mapping[str, float], s: Settings, logged: Sequence[LoggedEpoch]
) -> Diagnosis:
    """Why a trajectory file parts from the reference trained from its initial values."""
    own = [(e, vector(e.weights)) for e in logged if e.weights is not None]
    seen = _Observed(_numbers([(e.epoch + 1, e.epoch, w, 0.0) for e, w in own]), _observed_losses(logged))
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
    if own and not found.explained:
        # a loss that is not the blog data's loss at your own weights is a loss of other data
        data, labels = datasets()["blog"]
        blog = losses(
            np.array([w for _, w in own]), np.stack([data] * len(own)), np.stack([labels] * len(own))
        )
        lims = np.maximum(
            s.tolerance * np.maximum(blog, s.abs_floor), [e.resolution / 2 * (1 + 1e-9) for e, _ in own]
        )
        yours = np.array([e.loss for e, _ in own])
        r = residual(yours, blog, lims)
        text = "the losses are of other data: they are not the blog data's loss at your own weights"
        # the same loss times a constant is another formula for it: the training is not in question
        evidence = (_loss_factor(yours, blog, lims, " at your own weights") if r > 1 else None) or Evidence(
            text, r > 1, r
        )
        found = replace(found, evidence=[*found.evidence, evidence.to_json()])
        if r > 1:
            found = replace(found, cause=evidence.hypothesis, explained=True)
    return found
