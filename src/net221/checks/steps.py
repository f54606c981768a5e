"""The blog's SGD step by step: the partials and their usual mistakes, re-runs, and a user's steps.

Layer: checks. Every partial dL/dθ of L = (y_true - y_pred)^2 is a product

    dL/dθ = sign · dL/dy_pred · path · outer · input · slope

    θ     path   outer        input   slope
    w5    1      f'(sum_o1)   h1      1          w1   w5   f'(sum_o1)   x1   f'(sum_h1)
    w6    1      f'(sum_o1)   h2      1          b2   w6   f'(sum_o1)   1    f'(sum_h2)

and a mistake in one partial is one factor changed (a `Partial` of other codes):
f'(o1) for f'(sum_o1), a factor left out, h2 for h1, x2 for x1, the opposite sign.

`rerun` trains many variants of the blog's per-sample SGD at once, vectorised over
the variants (NumPy, float64 or float32): each its own initial values, learning
rate, row order, partials, data, and the parameter each update is added to. With
the correct partials it is the reference's algorithm (tested equal to net221.checks.trajectory's
reference_run).

`recording` follows the nine attributes of a user's object while its train() runs;
`follow_steps` cuts what it saw into SGD steps and replays the first ones against the
reference's step from the same state, parameter by parameter, naming the factor, the row
order, and for each parameter whose update differs the step, the person, both values and,
where it is one, the mistake (a partial's, a missing update, another parameter's update).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from net221.checks.trajectory import blog_training_data
from net221.data import blog_dataset
from net221.init import BLOG_NAMES

if TYPE_CHECKING:  # compare imports diagnosis, which imports this module
    from net221.checks.compare import Settings

SAMPLES = blog_dataset().names
EPS32 = float(np.finfo(np.float32).eps)

PATHS = ("1", "w5", "w6")
OUTERS = ("f'(sum_o1)", "f'(o1)", "1")
INPUTS = ("1", "x1", "x2", "h1", "h2")
SLOPES = ("1", "f'(sum_h1)", "f'(sum_h2)", "f'(h1)", "f'(h2)")
_OFFSETS = np.cumsum([0, 2, len(PATHS), len(OUTERS), len(INPUTS)])  # columns of each slot in _slots


@dataclass(frozen=True)
class Partial:
    """dL/dθ as codes into SIGNS, PATHS, OUTERS, INPUTS, SLOPES; `mistake` says how it differs."""

    sign: int
    path: int
    outer: int
    input: int
    slope: int
    mistake: str = ""

    @property
    def codes(self) -> tuple[int, int, int, int, int]:
        return (self.sign, self.path, self.outer, self.input, self.slope)


CORRECT: dict[str, Partial] = {
    "w1": Partial(0, 1, 0, 1, 1),
    "w2": Partial(0, 1, 0, 2, 1),
    "w3": Partial(0, 2, 0, 1, 2),
    "w4": Partial(0, 2, 0, 2, 2),
    "w5": Partial(0, 0, 0, 3, 0),
    "w6": Partial(0, 0, 0, 4, 0),
    "b1": Partial(0, 1, 0, 0, 1),
    "b2": Partial(0, 2, 0, 0, 2),
    "b3": Partial(0, 0, 0, 0, 0),
}
_OTHER = {1: 2, 2: 1, 3: 4, 4: 3}  # x1 <-> x2, h1 <-> h2, f'(sum_h1) <-> f'(sum_h2), w5 <-> w6


def mistakes(name: str) -> list[Partial]:
    """The usual mistakes in dL/d`name`, one factor each."""
    p = CORRECT[name]
    found = [replace(p, sign=1, mistake="with the opposite sign")]
    found.append(
        replace(p, outer=1, mistake="with f'(o1) for f'(sum_o1) (the slope taken at the activation)")
    )
    found.append(replace(p, outer=2, mistake="without the factor f'(sum_o1)"))
    if p.input:
        a, b = INPUTS[p.input], INPUTS[_OTHER[p.input]]
        found.append(replace(p, input=_OTHER[p.input], mistake=f"with {b} for {a}"))
    if p.path:
        a, b = PATHS[p.path], PATHS[3 - p.path]
        found.append(
            replace(p, path=3 - p.path, mistake=f"with {b} for {a} (the other hidden neuron's path)")
        )
        s, t = SLOPES[p.slope], SLOPES[_OTHER[p.slope]]
        found.append(replace(p, slope=_OTHER[p.slope], mistake=f"with {t} for {s}"))
        found.append(
            replace(p, slope=p.slope + 2, mistake=f"with {SLOPES[p.slope + 2]} for {s} (at the activation)")
        )
        found.append(replace(p, slope=0, mistake=f"without the factor {s}"))
    return found


def _f(x: np.ndarray) -> np.ndarray:
    """The sigmoid; callers silence exp's overflow (to inf, giving 0, as it should)."""
    out: np.ndarray = 1 / (1 + np.exp(-x))
    return out


def _slots(theta: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y_pred (K,) and every factor a partial can take (K, 17): signs, paths, outers, inputs, slopes."""
    w1, w2, w3, w4, w5, w6, b1, b2, b3 = theta.T
    h1, h2 = _f(w1 * x1 + w2 * x2 + b1), _f(w3 * x1 + w4 * x2 + b2)
    y = _f(w5 * h1 + w6 * h2 + b3)
    fh1, fh2, fy = _f(h1), _f(h2), _f(y)
    one = np.ones_like(y)
    columns = (one, -one, one, w5, w6, y * (1 - y), fy * (1 - fy), one, one, x1, x2, h1, h2)
    return y, np.stack(
        (*columns, one, h1 * (1 - h1), h2 * (1 - h2), fh1 * (1 - fh1), fh2 * (1 - fh2)), axis=1
    )


def code_array(partials: Sequence[Sequence[Partial]]) -> np.ndarray:
    """For K rows of nine partials, their factors' positions (5, K, 9) in the flattened (K, 18) `_slots`."""
    codes = np.array([[p.codes for p in row] for row in partials], dtype=np.intp).reshape(-1, 9, 5)
    width = int(_OFFSETS[-1]) + len(SLOPES)
    out: np.ndarray = np.moveaxis(codes + _OFFSETS[:5] + width * np.arange(len(codes))[:, None, None], 2, 0)
    return out


def gradients(
    theta: np.ndarray, x1: np.ndarray, x2: np.ndarray, y_true: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """The nine partials (K, 9) of each row's parameters theta (K, 9) at (x1, x2, y_true) (K,)."""
    with np.errstate(over="ignore"):
        y, slots = _slots(theta, x1, x2)
    p = np.take(slots, codes)
    out: np.ndarray = (-2 * (y_true - y))[:, None] * (p[0] * p[1] * p[2] * p[3] * p[4])
    return out


def losses(theta: np.ndarray, data: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The MSE over each row's data: theta (K, 9), data (K, n, 2), labels (K, n) -> (K,)."""
    w1, w2, w3, w4, w5, w6, b1, b2, b3 = (c[:, None] for c in theta.T)
    x1, x2 = data[..., 0], data[..., 1]
    with np.errstate(over="ignore"):
        h1, h2 = _f(w1 * x1 + w2 * x2 + b1), _f(w3 * x1 + w4 * x2 + b2)
        out: np.ndarray = ((labels - _f(w5 * h1 + w6 * h2 + b3)) ** 2).mean(axis=1)
    return out


@dataclass(frozen=True)
class Variant:
    """One way of training: the reference's when every field keeps its default."""

    initial: tuple[float, ...]  # nine, BLOG_NAMES order
    lr: float
    order: tuple[int, ...] = ()  # the rows of every epoch; () for the data's order
    partials: tuple[Partial, ...] = tuple(CORRECT.values())
    lost: tuple[int, ...] = ()  # parameters whose own update is left out
    moves: tuple[tuple[int, int], ...] = ()  # (j, t): partial j's update is also added to parameter t
    data: str = "blog"  # a key of rerun's `datasets`


@dataclass(frozen=True)
class Rerun:
    weights: np.ndarray  # (epochs + 1, K, 9): [0] the initial values, [e + 1] after epoch e
    loss: np.ndarray  # (epochs + 1, K): the MSE over the data at the same moments


def rerun(
    variants: Sequence[Variant],
    datasets: dict[str, tuple[np.ndarray, np.ndarray]],
    epochs: int,
    dtype: type[np.floating] = np.float64,
) -> Rerun:
    """Per-sample SGD of every variant for `epochs` epochs, all at once, in `dtype`."""
    k, rows = len(variants), np.arange(len(variants))
    data = np.stack([datasets[v.data][0] for v in variants]).astype(dtype)
    labels = np.stack([datasets[v.data][1] for v in variants]).astype(dtype)
    n = data.shape[1]
    order = np.array([v.order or tuple(range(n)) for v in variants], dtype=np.intp)
    codes = code_array([v.partials for v in variants])
    lr = np.array([v.lr for v in variants], dtype=dtype)[:, None]
    moved = any(v.lost or v.moves for v in variants)
    mix = np.zeros((k, 9, 9), dtype=dtype)  # mix[k, j, t] = 1: row k adds partial j's update to t
    for row, v in enumerate(variants):
        for j, t in ((j, j) for j in range(9) if j not in v.lost):
            mix[row, j, t] = 1
        for j, t in v.moves:
            mix[row, j, t] += 1
    theta = np.array([v.initial for v in variants], dtype=dtype)
    samples = [(data[rows, i, 0], data[rows, i, 1], labels[rows, i]) for i in order.T]
    weights, loss = np.empty((epochs + 1, k, 9)), np.empty((epochs + 1, k))
    weights[0], loss[0] = theta, losses(theta, data, labels)
    for epoch in range(epochs):
        for x1, x2, y in samples:
            step = lr * gradients(theta, x1, x2, y, codes)
            theta = theta - (np.einsum("kj,kjt->kt", step, mix) if moved else step)
        weights[epoch + 1], loss[epoch + 1] = theta, losses(theta, data, labels)
    return Rerun(weights, loss)


# --- a user's object, followed through train() ------------------------------------------------


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


def vector(values: Mapping[str, float]) -> np.ndarray:
    return np.array([values[name] for name in BLOG_NAMES], dtype=np.float64)


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data, labels = blog_training_data()
    people = blog_dataset()
    return {
        "blog": (data.astype(np.float64), labels.astype(np.float64)),
        "raw": (people.features.astype(np.float64), labels.astype(np.float64)),
        "flipped": (data.astype(np.float64), 1.0 - labels),
    }


DATA_TEXT = {
    "raw": "trained on the weights and heights as measured (lb, in), not minus 135 and 66",
    "flipped": "trained with the labels flipped (1 = male)",
}


# --- train(), step by step ----------------------------------------------------------------------


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
