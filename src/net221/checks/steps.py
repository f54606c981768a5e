"""A user's train() followed step by step, against the reference's step from the same state.

Layer: checks. `recording` follows the nine attributes of a user's object while its train() runs;
`follow_steps` cuts what it saw into SGD steps and replays the first ones against the
reference's step from the same state, parameter by parameter, naming the factor, the row
order, and for each parameter whose update differs the step, the person, both values and,
where it is one, the mistake (a partial's, a missing update, another parameter's update).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from net221.checks.partials import CORRECT, EPS32, SAMPLES, Partial, code_array, gradients, mistakes, vector
from net221.checks.rerun import Variant, datasets
from net221.init import BLOG_NAMES

if TYPE_CHECKING:  # compare imports diagnosis, which imports this module
    from net221.checks.compare import Settings


@contextlib.contextmanager
def recording(
    obj: object, as_float: Callable[[object], float | None], limit: int = 600
) -> Iterator[list[tuple[str, float | None]] | None]:
    """The first `limit` assignments to w1..b3 on `obj` while the block runs, as (name, value);
    None when the object's class cannot be followed. The object's class is swapped for a
    subclass that records, and swapped back at the limit and at the end."""
    original = type(obj)
    events: list[tuple[str, float | None]] = []

    def __setattr__(self: object, name: str, value: object) -> None:  # noqa: N807
        original.__setattr__(self, name, value)
        if name in BLOG_NAMES:
            events.append((name, as_float(value)))
            if len(events) >= limit:
                object.__setattr__(self, "__class__", original)

    try:
        recorder = type(original.__name__, (original,), {"__setattr__": __setattr__, "__slots__": ()})
        obj.__class__ = recorder
    except Exception:  # a class that cannot be subclassed or swapped: train() runs unfollowed
        yield None
        return
    try:
        yield events
    finally:
        if type(obj) is recorder:
            object.__setattr__(obj, "__class__", original)


@dataclass
class Steps:
    """A user's train() cut into SGD steps: the state before each step and after it."""

    before: list[dict[str, float]] = field(default_factory=list)
    after: list[dict[str, float]] = field(default_factory=list)
    changes: list[dict[str, list[float]]] = field(default_factory=list)  # every value each name took
    prefix: dict[str, float] = field(default_factory=dict)  # values set before the first step


def cut_steps(initial: dict[str, float], events: Sequence[tuple[str, float | None]]) -> Steps | None:
    """The events in steps: a step begins at each assignment to the name most often assigned first.
    None when a value is not a number or nothing was assigned."""
    if not events or any(value is None for _, value in events):
        return None
    counts = {name: sum(1 for n, _ in events if n == name) for name in BLOG_NAMES}
    usual = sorted(c for c in counts.values() if c)[len([c for c in counts.values() if c]) // 2]
    regular = [name for name in BLOG_NAMES if abs(counts[name] - usual) <= 1]
    first = next(name for name, _ in events if name in regular)
    starts = [t for t, (name, _) in enumerate(events) if name == first]
    state, steps, t = dict(initial), Steps(), 0
    for start, end in itertools.pairwise(starts):
        for name, value in events[t:start]:
            state[name] = float(value)  # type: ignore[arg-type]
        window = events[start:end]
        before = dict(state)
        changes: dict[str, list[float]] = {}
        for name, value in window:
            changes.setdefault(name, []).append(float(value))  # type: ignore[arg-type]
            state[name] = float(value)  # type: ignore[arg-type]
        steps.before.append(before)
        steps.after.append(dict(state))
        steps.changes.append(changes)
        t = end
    steps.prefix = {name: float(v) for name, v in events[: starts[0]]}  # type: ignore[arg-type]
    return steps if steps.before else None


@dataclass(frozen=True)
class StepFindings:
    sentences: tuple[str, ...]  # one per parameter whose update differs, and the order, factor, ...
    causes: tuple[str, ...]  # the causes alone, for the verdict
    variant: Variant | None  # the training they imply, to try over the whole of train()
    float32: bool  # every value your train() assigned is a float32
    complete: bool  # every difference in the steps followed has a named cause


def _deltas(
    states: np.ndarray, lr: float, partials: Sequence[Sequence[Partial]], samples: np.ndarray
) -> np.ndarray:
    """-lr * the partials (R, 9) at each state (R, 9) and sample index (R,)."""
    data, labels = datasets()["blog"]
    x, y = data[samples], labels[samples]
    return -lr * gradients(states, x[:, 0], x[:, 1], y, code_array(partials))


def _score(d: np.ndarray, ref: np.ndarray, lim: np.ndarray) -> tuple[int, float]:
    """How many of the nine changes d agree with ref, then how close all are (larger is better)."""
    err = np.abs(d - ref)
    return int(np.sum(err <= lim)), -float(np.sum(err / (np.abs(d) + np.abs(ref) + 1e-300)))


def _best_factor(d: np.ndarray, ref: np.ndarray, lim: np.ndarray) -> tuple[float, int, int]:
    """(factor, sample, how many of the nine agree) that best explain one step's changes d (9,)
    from the reference's for each sample ref (4, 9)."""
    best = (1.0, 0, (-1, 0.0))
    for j in range(len(ref)):
        both = (ref[j] != 0) & (d != 0)
        c = float(np.median(d[both] / ref[j, both])) if both.any() else 1.0
        c = 1.0 if abs(c - 1) < 1e-6 else float(f"{c:.9g}") if abs(c - float(f"{c:.9g}")) < 1e-12 else c
        if (score := _score(d, c * ref[j], lim)) > best[2]:
            best = (c, j, score)
    return best[0], best[1], best[2][0]


def _step_limits(
    before: np.ndarray, after: np.ndarray, change: np.ndarray, s: Settings, single: bool
) -> np.ndarray:
    lim = s.tolerance * np.maximum(np.abs(after), s.abs_floor)
    if single:
        lim = lim + 4 * EPS32 * np.maximum(np.abs(after), np.abs(before)) + 1e-5 * np.abs(change)
    out: np.ndarray = lim
    return out


def follow_steps(
    initial: Mapping[str, float], events: Sequence[tuple[str, float | None]], s: Settings, count: int = 12
) -> StepFindings | None:
    """The first `count` steps of train() against the reference's from the same state."""
    cut = cut_steps(dict(initial), events)
    if cut is None:
        return None
    single = all(v is not None and float(np.float32(v)) == v for _, v in events)
    found = _steps_from(cut, 0, initial, s, count, single)
    if found is None and len(cut.before) > 1:  # the first "step" set all nine to other values
        found = _steps_from(cut, 1, initial, s, count, single)
    return found


def _steps_from(
    cut: Steps, first: int, initial: Mapping[str, float], s: Settings, count: int, single: bool
) -> StepFindings | None:
    ks = list(range(first, min(first + count, len(cut.before))))
    before = np.array([vector(cut.before[k]) for k in ks])
    after = np.array([vector(cut.after[k]) for k in ks])
    d, n = after - before, len(ks)
    ref = _deltas(
        np.repeat(before, 4, axis=0), s.lr, [list(CORRECT.values())] * 4 * n, np.tile(np.arange(4), n)
    )
    ref = ref.reshape(n, 4, 9)
    lim = _step_limits(before, after, np.abs(ref).max(axis=1), s, single)
    c, _, score = _best_factor(d[0], ref[0], lim[0])
    if score < 5:
        return None
    sentences, causes = [], []
    start = dict(zip(BLOG_NAMES, before[0], strict=True)) if first else dict(initial)
    if first:
        causes.append("train() sets all nine parameters to new values before its first step (re-initialised)")
    if c != 1.0:
        why = " (the gradient of ½·MSE, -(y_true - y_pred), for -2(y_true - y_pred))" if c == 0.5 else ""
        causes.append(
            f"every update is {c:g}× the reference's: learning rate {c * s.lr:g} or a factor {c:g} on "
            f"every gradient{why}"
        )
    js = np.array([max(range(4), key=lambda j: _score(d[k], c * ref[k, j], lim[k])) for k in range(n)])
    order: tuple[int, ...] = ()
    epochs = [tuple(js[i : i + 4]) for i in range(0, n - n % 4, 4)]
    representable = True
    if epochs and any(e != (0, 1, 2, 3) for e in epochs):
        if len(set(epochs)) == 1 and sorted(epochs[0]) == [0, 1, 2, 3]:
            order = epochs[0]
            causes.append(f"the rows are in another order: {', '.join(SAMPLES[i] for i in order)}")
        else:
            representable = False
            causes.append("the rows are shuffled every epoch (each step is right for the row it takes)")
    rows = np.arange(n)
    chosen = ref[rows, js]
    ok = np.abs(d - c * chosen) <= lim
    partials, lost, moves, complete = list(CORRECT.values()), set(), [], True
    for p, name in enumerate(BLOG_NAMES):
        if ok[:, p].all():
            continue
        k0 = int(np.argmin(ok[:, p]))
        epoch = k0 // 4
        where = (
            f"{name} first differs at step {k0} (epoch {epoch}, {SAMPLES[js[k0]]}): "
            f"yours {after[k0, p]:.10g}, reference {before[k0, p] + c * chosen[k0, p]:.10g}"
        )
        counts = np.array([len(cut.changes[k].get(name, [])) for k in ks])
        cause = ""
        if not d[:, p].any():  # not assigned, or assigned its own value
            cause = f"{name} never changes"
            lost.add(p)
        elif not counts.all():
            at = [first + int(k) for k in np.flatnonzero(counts)]
            once = (
                " (once an epoch: its update is outside the sample loop)"
                if at == list(range(at[0], ks[-1] + 1, 4))
                else ""
            )
            cause = f"{name} changes on the wrong samples (only at steps {', '.join(map(str, at[:4]))}){once}"
            representable = False
        else:
            options = mistakes(name)
            rows_p = [
                [m if j == p else CORRECT[x] for j, x in enumerate(BLOG_NAMES)] for m in options for _ in ks
            ]
            wrong = _deltas(np.tile(before, (len(options), 1)), s.lr, rows_p, np.tile(js, len(options)))
            fits = [
                m
                for m, w in zip(options, wrong[:, p].reshape(len(options), n), strict=True)
                if (np.abs(d[:, p] - c * w) <= lim[:, p]).all()
            ]
            if fits:
                cause, partials[p] = f"your update of {name} uses dL/d{name} {fits[0].mistake}", fits[0]
            for q, other in enumerate(BLOG_NAMES):
                if cause or q == p:
                    continue
                if (np.abs(d[:, p] - c * (chosen[:, p] + chosen[:, q])) <= lim[:, p]).all():
                    cause = f"{name} receives {other}'s update as well as its own"
                    moves.append((q, p))
                elif (np.abs(d[:, p] - c * chosen[:, q]) <= lim[:, p]).all():
                    cause = f"{name} receives {other}'s update in place of its own"
                    moves.append((q, p))
                    lost.add(p)
                elif (np.abs(after[:, p] - before[:, q] - c * chosen[:, q]) <= lim[:, p]).all():
                    cause, representable = f"{name} is assigned {other}'s new value", False
                elif any(
                    (np.abs(after[:, p] - v[:, q] - c * chosen[:, p]) <= lim[:, p]).all()
                    for v in (before, after)
                ):
                    cause, representable = (
                        f"{name}'s update starts from {other}'s value: {name} = {other} - ...",
                        False,
                    )
        complete = complete and bool(cause)
        sentences.append(f"{where}: {cause}" if cause else where)
        causes.append(cause or where)
    for m in {p.mistake for p in partials if p.mistake}:  # one mistake in several partials: said once
        names = [name for name, p in zip(BLOG_NAMES, partials, strict=True) if p.mistake == m]
        if len(names) > 1:
            said = [f"your update of {name} uses dL/d{name} {m}" for name in names]
            causes[causes.index(said[0])] = f"your updates of {', '.join(names)} use their partials {m}"
            causes = [x for x in causes if x not in said[1:]]
    variant = None
    if representable:
        variant = Variant(
            tuple(vector(start)), c * s.lr, order, tuple(partials), tuple(sorted(lost)), tuple(moves)
        )
    return StepFindings(tuple(sentences), tuple(causes), variant, single, complete)
