"""Why train() ends elsewhere than the reference: the whole run re-run under each hypothesis.

Layer: checks. Each hypothesis (another learning rate, float32, epochs counted from 1, a mistake
in one partial, ...) is re-run from the same initial values (net221.checks.rerun) and compared
with your numbers, each within its tolerance: the check's, at least HYPOTHESIS_TOLERANCE
relative. Many hypotheses run over the first SCREEN epochs; only those still close run to the end.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.checks.evidence import Diagnosis, Evidence, conclude, diagnosis, not_finite, residual, tried
from net221.checks.partials import EPS32, LATE_OUTPUT, mistakes, vector, with_mistake
from net221.checks.rerun import LATE, Rerun, Variant, datasets, in_order, rerun, scaled, wrong_update
from net221.checks.steps import StepFindings, follow_steps
from net221.checks.trajectory import LoggedEpoch, mse
from net221.init import BLOG_NAMES

if TYPE_CHECKING:  # compare imports diagnosis, which imports this module
    from net221.checks.compare import Settings

# two float64 codes of one training part by rounding that grows with the epochs; wrong causes by 1e-3
HYPOTHESIS_TOLERANCE = 1e-6
SCREEN = 30
SCALES = (0.5, 2.0, 0.25, 4.0, 0.1, 0.2, 0.3, 3.0, 5.0, 10.0, 0.01)  # factors tried on every update
DATA_TEXT = {"raw": "trained on the weights and heights as measured (lb, in), not minus 135 and 66"}
DATA_TEXT["flipped"] = "trained with the labels flipped (1 = male)"
LOSS_FACTORS = {
    0.5: " (½·MSE)",
    4 / 3: " (a sum over the four divided by 3, not 4)",
    4.0: " (a sum, not a mean)",
}


def catalogue(base: Variant) -> list[tuple[str, Variant]]:
    """Every whole-run hypothesis: a factor on every update, another row order, one partial
    with a usual mistake, the output layer updated first, an update added to another parameter,
    other data."""
    found = []

    def add(text: str, **change: Any) -> None:
        found.append((text, replace(base, **change)))

    for c in SCALES:
        add(scaled(c, base.lr), lr=c * base.lr)
    for order in list(itertools.permutations(range(4)))[1:]:
        add(in_order(order), order=order)
    for p, name in enumerate(BLOG_NAMES):
        for m in mistakes(name):
            add(wrong_update(name, m.mistake), partials=with_mistake(p, m))
    add(LATE, partials=LATE_OUTPUT)
    for p, q in itertools.permutations(range(9), 2):
        name, other = BLOG_NAMES[p], BLOG_NAMES[q]
        add(f"{other}'s update is assigned to {name} ({other} never changes)", lost=(q,), moves=((q, p),))
    for key, text in DATA_TEXT.items():
        add(text, data=key)
    return found


def merge(base: Variant, a: Variant, b: Variant) -> Variant | None:
    """a's changes to base and b's together; None where both change the same thing."""
    keys = ("lr", "order", "data", "lost", "moves")
    triples = [(getattr(a, k), getattr(b, k), getattr(base, k)) for k in keys]
    triples += list(zip(a.partials, b.partials, base.partials, strict=True))
    if any(one != neither and two != neither for one, two, neither in triples):
        return None
    chosen = [one if one != neither else two for one, two, neither in triples]
    return replace(base, **dict(zip(keys, chosen[:5], strict=True)), partials=tuple(chosen[5:]))


@dataclass(frozen=True)
class _Seen:
    """Your numbers, one by one: the index in a run of each, as logged and as if shifted by one
    epoch, its column (w1..b3, then the loss: 9), its value and its least limit."""

    at: np.ndarray
    shifted: np.ndarray
    column: np.ndarray
    value: np.ndarray
    least: np.ndarray


def _least(e: LoggedEpoch) -> float:
    """Half a printed loss's last digit (a tie may go either way)."""
    return e.resolution / 2 * (1 + 1e-9)


def _seen(weights: Sequence[tuple[int, int, np.ndarray]], logged: Sequence[LoggedEpoch]) -> _Seen:
    """`weights` as (index as logged, as if shifted, the nine) and the losses `logged`."""
    rows = [(at, shifted, j, w[j], 0.0) for at, shifted, w in weights for j in range(9)]
    rows += [(e.epoch + 1, e.epoch, 9, e.loss, _least(e)) for e in logged]
    return _Seen(*(np.array(column) for column in zip(*rows, strict=True)))


def _row(run: Rerun, k: int) -> np.ndarray:
    """Run k's numbers (E+1, 10): the nine weights, then the loss."""
    return np.hstack([run.weights[:, k], run.loss[:, k, None]])


def _fits(
    run: Rerun, k: int, seen: _Seen, s: Settings, slack: np.ndarray | None = None
) -> tuple[float, float]:
    """Run k's residuals against your numbers, with the epochs as logged and shifted by one (inf
    without losses); `slack` (E+1, 10) widens the limits."""
    row, found = _row(run, k), []
    slack = np.zeros_like(row) if slack is None else slack
    for i in (seen.at, seen.shifted):
        keep = i < len(row)
        i, column = i[keep], seen.column[keep]
        ref = row[i, column]
        lim = np.maximum(s.tolerance * np.maximum(np.abs(ref), s.abs_floor), seen.least[keep])
        found.append(residual(seen.value[keep], ref, lim + slack[i, column]))
    return found[0], found[1] if (seen.column == 9).any() else np.inf


def _shift_text(seen: _Seen) -> str:
    if ((seen.column == 9) & (seen.shifted == 0)).any():
        return "the loss is computed before the epoch's updates (epoch N shows the loss after epoch N-1)"
    return "epochs are counted from 1 (epoch N shows the loss after the reference's epoch N-1): count from 0"


def _screened(
    named: list[tuple[str, Variant]], seen: _Seen, s: Settings, loose: Settings, epochs: int
) -> tuple[list[tuple[str, Variant]], Rerun, list[tuple[float, float]], list[Evidence]]:
    """The hypotheses run to the end (the reference's always; of many, those not already off in the
    first SCREEN epochs and the closest eight), that run, their fits, and every one as evidence."""
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
    fits = [_fits(run, k, seen, loose if k else s) for k in range(len(named))]
    best = [fits[0][0], *(min(fit) for fit in fits[1:])]  # the reference's own shifted trace is tried apart
    return named, run, fits, [tried(text, r) for (text, _), r in zip(named, best, strict=True)] + screened


def _judge(
    everything: list[tuple[str, Variant]],
    seen: _Seen,
    s: Settings,
    epochs: int,
    steps: StepFindings | None = None,
    single: bool = False,
    final: bool = False,
) -> Diagnosis:
    """The first of: agreement, float32 rounding, a shifted loss trace, a hypothesis (the first,
    the reference's training), another epoch count (when `seen` is the final weights), the steps'
    causes, two hypotheses."""
    loose = replace(s, tolerance=max(s.tolerance, HYPOTHESIS_TOLERANCE), abs_floor=max(s.abs_floor, 1e-3))
    named, run, fits, evidence = _screened(everything, seen, s, loose, epochs)
    lead = steps.sentences if steps else ()

    def found(cause: str, agrees: bool = False, explained: bool = True) -> Diagnosis:
        return diagnosis(cause, evidence, agrees, explained, lead)

    def shifted(text: str, after: float) -> str:
        return text if after <= 1 else f"{text}; and {_shift_text(seen)}"

    after, moved = fits[0]
    if after <= 1:
        return found("agrees", True)
    if (seen.column == 9).any():
        evidence.append(tried(_shift_text(seen), moved))
    if single or (all(min(fit) > 1 for fit in fits) and not (steps and steps.causes)):
        ref, single_run = _row(run, 0), _row(rerun([named[0][1]], datasets(), epochs, np.float32), 0)
        drift = np.abs(single_run - ref)
        drift[:, :9] = drift[:, :9].max(axis=1, keepdims=True)  # each weight as far as the farthest
        slack = 10 * drift + 8 * EPS32 * np.hstack([np.maximum(np.abs(ref[:, :9]), 1), ref[:, 9:]])
        evidence.append(tried("float32 arithmetic", r32 := _fits(run, 0, seen, s, slack)[0]))
        if r32 <= 1:
            return found("your train() agrees within float32 rounding (it computes in float32)", True)
    if moved <= 1:
        return found(_shift_text(seen))
    for (text, _), (after, moved) in zip(named[1:], fits[1:], strict=True):
        if min(after, moved) <= 1:
            return found(shifted(text, after))
    yours = seen.value[seen.column < 9]
    for k, (what, _) in enumerate(named if final else []):  # another epoch count
        wk, tolerance = run.weights[:, k], (loose if k else s).tolerance
        with np.errstate(over="ignore"):
            per_epoch = (np.abs(wk - yours) / (tolerance * np.maximum(np.abs(wk), s.abs_floor))).max(axis=1)
        per_epoch[s.epochs] = np.inf
        e = int(np.argmin(per_epoch))
        epochs_text = f"{e} epoch{'' if e == 1 else 's'}, the reference {s.epochs} (set epochs={e})"
        text = f"your train() runs {epochs_text}"
        text = f"{what}; and {text}" if k else text
        if k == 0 or per_epoch[e] <= 1:
            evidence.append(tried(text, float(per_epoch[e])))
        if per_epoch[e] <= 1:
            return found(text)
    if steps and steps.causes:
        return found("; ".join(steps.causes), explained=steps.complete)
    anchors = sorted(range(1, len(named)), key=lambda k: min(fits[k]))[:3]  # two bugs: a close one, another
    pairs = [
        (f"{named[a][0]}; and {text}", merged)
        for a in anchors
        for text, other in everything[1:]
        if other != named[a][1] and (merged := merge(named[0][1], named[a][1], other)) is not None
    ]
    if pairs:
        pairs, run, fits, tried_pairs = _screened([everything[0], *pairs], seen, s, loose, epochs)
        evidence += tried_pairs[1:]
        for (text, _), (after, moved) in zip(pairs[1:], fits[1:], strict=True):
            if min(after, moved) <= 1:
                return found(shifted(text, after))
    return conclude(evidence, "numbers", lead)


def _printed_fit(logged: Sequence[LoggedEpoch], reference: np.ndarray, s: Settings) -> float:
    """The residual of your printed losses against `reference`, each within the check's tolerance or
    half its last digit."""
    limits = np.maximum(s.tolerance * np.maximum(reference, s.abs_floor), [_least(e) for e in logged])
    return residual(np.array([e.loss for e in logged]), reference, limits)


def _loss_factor(
    logged: Sequence[LoggedEpoch], reference: np.ndarray, s: Settings, where: str = ""
) -> Evidence | None:
    """Your losses as the MSE `reference` times one constant (½·MSE, a sum, ...), if they are."""
    for c in (*LOSS_FACTORS, float(np.median([e.loss for e in logged] / reference))):
        if abs(c - 1) > 1e-6 and (r := _printed_fit(logged, c * reference, s)) <= 1:
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
    losses = np.array([e.loss for e in logged])
    nan = not_finite(losses, [f"epoch {e.epoch}" for e in logged], "epoch printed")
    trace = [] if repeated or nan else list(logged)
    epochs = max([s.epochs, *(e.epoch + 1 for e in trace)])
    weights = [(s.epochs, s.epochs, vector(final))]
    base = Variant(tuple(vector(initial)), s.lr)
    named = [("the reference's training", base)]
    if steps and steps.variant is not None and steps.variant != base:
        named.append(("; ".join(steps.causes) or "the steps as followed", steps.variant))
    elif steps is None:
        named += catalogue(base)
    single = float32 or bool(steps and steps.float32)
    found = _judge(named, _seen(weights, trace), s, epochs, steps, single, final=True)
    if trace and not found.explained:  # train() may agree, its printed loss not
        run = rerun([base], datasets(), epochs)
        factor = _loss_factor(trace, run.loss[[e.epoch + 1 for e in trace], 0], s)
        if factor is not None and _fits(run, 0, _seen(weights, []), s)[0] <= 1:
            cause = f"{factor.hypothesis}: it prints another loss; train() agrees (its final weights)"
            return replace(found, cause=cause, explained=True, evidence=[*found.evidence, asdict(factor)])
    if nan:  # judged from the final weights
        cause = "its final weights agree with the reference's" if found.agrees else found.cause
        return replace(found, cause=f"your train() printed the loss {nan}; {cause}", agrees=False)
    if repeated:
        note = "train() prints its loss inside the per-sample loop (an epoch printed more than once)"
        note += ": judged from the final weights"
        return replace(found, cause=note if found.agrees else f"{found.cause} ({note})")
    return found


def diagnose_trajectory(
    initial: Mapping[str, float], s: Settings, logged: Sequence[LoggedEpoch]
) -> Diagnosis:
    """Why a trajectory file parts from the reference trained from its initial values."""
    own = [(e, e.weights) for e in logged if e.weights is not None]
    seen = _seen([(e.epoch + 1, e.epoch, vector(w)) for e, w in own], logged)
    base = Variant(tuple(vector(initial)), s.lr)
    found = _judge([("the reference's training", base), *catalogue(base)], seen, s, logged[-1].epoch + 2)
    if own and not found.explained:
        # a loss that is not the blog data's loss at your own weights is a loss of other data
        blog, printed = np.array([mse(w) for _, w in own]), [e for e, _ in own]
        r = _printed_fit(printed, blog, s)
        text = "the losses are of other data: they are not the blog data's loss at your own weights"
        # the same loss times a constant is another formula for it: the training is not in question
        factor = _loss_factor(printed, blog, s, " at your own weights") if r > 1 else None
        evidence = factor or Evidence(text, r > 1, r)
        found = replace(found, evidence=[*found.evidence, asdict(evidence)])
        if evidence.explains:
            found = replace(found, cause=evidence.hypothesis, explained=True)
    return found
