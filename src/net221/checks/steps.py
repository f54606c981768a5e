"""A user's train() followed step by step, against the reference's step from the same state.

Layer: checks. `recording` follows the nine attributes of a user's object while its train()
runs; `follow_steps` cuts what it saw into SGD steps and replays the first ones against the
reference's step from the same state, parameter by parameter: the factor, the row order, and
for each parameter whose update differs the step, the person, both values and the mistake.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from net221.checks.partials import (
    CORRECT,
    EPS32,
    LATE_OUTPUT,
    Partial,
    common_factor,
    mistakes,
    vector,
    with_mistake,
)
from net221.checks.rerun import LATE, SAMPLES, Variant, changes, in_order, scaled, wrong_update
from net221.init import BLOG_NAMES

if TYPE_CHECKING:  # compare imports diagnosis, which imports this module
    from net221.checks.compare import Settings

Step = tuple[dict[str, float], dict[str, float], Counter[str]]  # the state before, after, names assigned


@contextlib.contextmanager
def recording(
    obj: object, as_float: Callable[[object], float | None], limit: int = 600
) -> Iterator[list[tuple[str, float | None]] | None]:
    """The first `limit` assignments to w1..b3 on `obj` while the block runs, as (name, value), by
    a recording subclass swapped in (and back at the limit and the end); None if it cannot be."""
    original = type(obj)
    events: list[tuple[str, float | None]] = []

    def record(self: object, name: str, value: object) -> None:
        original.__setattr__(self, name, value)
        if name in BLOG_NAMES:
            events.append((name, as_float(value)))
            if len(events) >= limit:
                object.__setattr__(self, "__class__", original)

    try:
        recorder = type(original.__name__, (original,), {"__setattr__": record, "__slots__": ()})
        obj.__class__ = recorder
    except Exception:  # a class that cannot be subclassed or swapped: train() runs unfollowed
        yield None
        return
    try:
        yield events
    finally:
        if type(obj) is recorder:
            object.__setattr__(obj, "__class__", original)


def cut_steps(initial: Mapping[str, float], events: Sequence[tuple[str, float]]) -> list[Step]:
    """The events in steps: a step begins at each assignment to the name most often assigned first."""
    counts = Counter(name for name, _ in events)
    usual = sorted(counts.values())[len(counts) // 2]
    first = next(name for name, _ in events if abs(counts[name] - usual) <= 1)
    starts = [t for t, (name, _) in enumerate(events) if name == first]
    state, steps = {**initial, **dict(events[: starts[0]])}, []
    for start, end in itertools.pairwise(starts):
        before = dict(state)
        state.update((name, v) for name, v in events[start:end])
        steps.append((before, dict(state), Counter(name for name, _ in events[start:end])))
    return steps


@dataclass(frozen=True)
class StepFindings:
    sentences: tuple[str, ...]  # one per parameter whose update differs
    causes: tuple[str, ...]  # the causes alone (the factor, the order, ...), for the verdict
    variant: Variant | None  # the training they imply, to try over the whole of train()
    float32: bool  # every value your train() assigned is a float32
    complete: bool  # every difference in the steps followed has a named cause


def follow_steps(
    initial: Mapping[str, float], events: Sequence[tuple[str, float | None]], s: Settings, count: int = 12
) -> StepFindings | None:
    """The first `count` steps of train() against the reference's from the same state."""
    if not events or any(value is None or not np.isfinite(value) for _, value in events):
        return None  # no step of a value that is not a number is compared
    values = [(name, float(v)) for name, v in events if v is not None]
    steps = cut_steps(initial, values)
    with np.errstate(over="ignore"):
        single = all(float(np.float32(v)) == v for _, v in values)
    found = _steps_from(steps[:count], False, initial, s, single) if steps else None
    if found is None and len(steps) > 1 and _redrawn(steps):
        found = _steps_from(steps[1 : count + 1], True, initial, s, single)
    return found


def _redrawn(steps: Sequence[Step]) -> bool:
    """Whether the first "step" set each of the nine once to a new value, moving one far more than
    any later step moves a parameter: a new draw, not an update."""
    before, after, assigned = steps[0]
    moved = [abs(after[name] - before[name]) for name in BLOG_NAMES]
    later = max(abs(a[name] - b[name]) for b, a, _ in steps[1:] for name in BLOG_NAMES)
    return all(assigned[name] == 1 for name in BLOG_NAMES) and min(moved) > 0 and max(moved) > 10 * later


def _steps_from(
    steps: Sequence[Step],
    reinitialised: bool,
    initial: Mapping[str, float],
    s: Settings,
    single: bool,
) -> StepFindings | None:
    """The findings, when the first step's best fit (a person, a factor, the correct partials or the
    output layer updated first) explains at least five of its nine changes."""
    first, n = int(reinitialised), len(steps)
    before, after = (np.array([vector(step[i]) for step in steps]) for i in (0, 1))
    d = after - before

    def reference(partials: Sequence[Partial]) -> np.ndarray:
        """The step (n, 4, 9) from each state, for each person."""
        rows = np.tile(np.arange(4), n)
        return changes(np.repeat(before, 4, axis=0), s.lr, [partials] * 4 * n, rows).reshape(n, 4, 9)

    ref = reference(tuple(CORRECT.values()))
    lim = s.tolerance * np.maximum(np.abs(after), s.abs_floor)
    if single:
        lim += 4 * EPS32 * np.maximum(np.abs(after), np.abs(before)) + 1e-5 * np.abs(ref).max(axis=1)

    def score(k: int, change: np.ndarray) -> tuple[int, float]:
        """How many of step k's nine changes `change` explains, then how close all are (larger is better)."""
        err = np.abs(d[k] - change)
        return int(np.sum(err <= lim[k])), -float(np.sum(err / (np.abs(d[k]) + np.abs(change) + 1e-300)))

    candidates = []  # (score, factor, partials, the steps they give): each person, each set of partials
    for partials, steps_of in ((tuple(CORRECT.values()), ref), (LATE_OUTPUT, reference(LATE_OUTPUT))):
        factors = [common_factor(d[0], r) for r in steps_of[0]]  # one factor on the first step
        candidates += [
            (score(0, c * r), c, partials, steps_of) for c, r in zip(factors, steps_of[0], strict=True)
        ]
    (explained, _), c, used_partials, ref = max(candidates, key=lambda fit: fit[0])  # the first of the best
    if explained < 5:
        return None
    causes = ["train() sets all nine parameters to new values before its first step (re-initialised)"] * first
    causes += [scaled(c, s.lr)] if c != 1.0 else []
    causes += [LATE] if used_partials == LATE_OUTPUT else []
    js = np.array([max(range(4), key=lambda j: score(k, c * ref[k, j])) for k in range(n)])
    epochs = {tuple(js[i : i + 4]) for i in range(0, n - n % 4, 4)}
    order: tuple[int, ...] = ()
    representable = True
    if epochs and epochs != {(0, 1, 2, 3)}:
        if len(epochs) == 1 and sorted(seen := epochs.pop()) == [0, 1, 2, 3]:
            order = seen
            causes.append(in_order(order))
        else:
            representable = False
            causes.append("the rows are shuffled every epoch (each step is right for the row it takes)")
    expected = c * ref[np.arange(n), js]
    ok = np.abs(d - expected) <= lim
    used, lost, moves, sentences, complete = list(used_partials), set(), [], [], True
    for p, name in enumerate(BLOG_NAMES):
        if ok[:, p].all():
            continue

        def fits(change: np.ndarray, p: int = p) -> bool:
            return bool((np.abs(d[:, p] - change) <= lim[:, p]).all())

        k0 = int(np.argmin(ok[:, p]))
        where = (
            f"{name} first differs at step {k0} (epoch {k0 // 4}, {SAMPLES[js[k0]]}): "
            f"yours {after[k0, p]:.10g}, reference {before[k0, p] + expected[k0, p]:.10g}"
        )
        at = [first + k for k, step in enumerate(steps) if step[2][name]]
        cause = ""
        if not d[:, p].any():  # not assigned, or assigned its own value
            cause = f"{name} never changes"
            lost.add(p)
        elif len(at) < n:
            once = at == list(range(at[0], first + n, 4))
            cause = f"{name} changes on the wrong samples (only at steps {', '.join(map(str, at[:4]))})"
            cause += " (once an epoch: its update is outside the sample loop)" * once
            representable = False
        else:
            options = mistakes(name)
            states, samples = np.tile(before, (len(options), 1)), np.tile(js, len(options))
            wrong = changes(states, s.lr, [with_mistake(p, m) for m in options for _ in steps], samples)
            if fit := [m for m, w in zip(options, wrong[:, p].reshape(-1, n), strict=True) if fits(c * w)]:
                cause, used[p] = wrong_update(name, fit[0].mistake), fit[0]
            for q, other in enumerate(BLOG_NAMES):
                if cause or q == p:
                    continue
                if fits(expected[:, p] + expected[:, q]):
                    cause = f"{name} receives {other}'s update as well as its own"
                    moves.append((q, p))
                elif fits(expected[:, q]):
                    cause = f"{name} receives {other}'s update in place of its own"
                    moves.append((q, p))
                    lost.add(p)
                elif fits(before[:, q] - before[:, p] + expected[:, q]):
                    cause, representable = f"{name} is assigned {other}'s new value", False
                elif any(fits(v[:, q] - before[:, p] + expected[:, p]) for v in (before, after)):
                    cause = f"{name}'s update starts from {other}'s value: {name} = {other} - ..."
                    representable = False
        complete = complete and bool(cause)
        sentences.append(f"{where}: {cause}" if cause else where)
        causes.append(cause or where)
    for m in dict.fromkeys(p.mistake for p in used if p.mistake):  # one mistake in several: said once
        names = [name for name, p in zip(BLOG_NAMES, used, strict=True) if p.mistake == m]
        if len(names) > 1:
            said = [wrong_update(name, m) for name in names]
            causes[causes.index(said[0])] = f"your updates of {', '.join(names)} use their partials {m}"
            causes = [x for x in causes if x not in said[1:]]
    start = tuple(before[0]) if first else tuple(vector(initial))
    variant = Variant(start, c * s.lr, order, tuple(used), tuple(sorted(lost)), tuple(moves))
    return StepFindings(tuple(sentences), tuple(causes), variant if representable else None, single, complete)
