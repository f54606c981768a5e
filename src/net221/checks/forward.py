"""The forward stage: feedforward at the initial values against the reference, and why it differs.

Layer: checks. A value that is not a number, float32 rounding, then a catalogue of forward
mistakes (a parameter read in another's place, left out, two swapped, the output neuron wired to
the inputs); outside it, the parameters your feedforward responds to differently.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from net221.checks import usernetwork
from net221.checks.evidence import Diagnosis, conclude, diagnosis, not_finite, residual, tried
from net221.checks.partials import EPS32, network, sigmoid, vector
from net221.init import BLOG_NAMES

if TYPE_CHECKING:  # compare imports diagnosis, which imports this module
    from net221.checks.compare import Settings


def _outputs(theta: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """feedforward (K, M) of K parameter rows (K, 9) at M inputs (M, 2)."""
    return network(theta[:, None], inputs[:, 0], inputs[:, 1])[2]


def _catalogue(theta: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """Feedforwards that read one parameter in another's place, leave one out, or swap two."""
    texts, rows, names = [], [], BLOG_NAMES
    for i, p in enumerate(names):
        others = [j for j in range(9) if j != i]
        texts += [f"your feedforward reads {names[j]} where {p} belongs" for j in others]
        texts.append(f"your feedforward leaves {p} out")
        rows += [np.where(np.arange(9) == i, value, theta) for value in [*theta[others], 0.0]]
    for i, j in itertools.combinations(range(9), 2):
        texts.append(f"your feedforward has {names[i]} and {names[j]} swapped")
        rows.append(theta[[j if k == i else i if k == j else k for k in range(9)]])
    return texts, rows


def slopes(
    feedforward: Callable[[Mapping[str, float]], np.ndarray], values: Mapping[str, float]
) -> np.ndarray:
    """feedforward's response (9, M) to a small change of each parameter at `values`, per unit."""
    at, found = feedforward(values), []
    for name in BLOG_NAMES:
        moved = values[name] + 1e-6 * max(1.0, abs(values[name]))
        found.append((feedforward({**values, name: moved}) - at) / (moved - values[name]))
    return np.array(found)


@dataclass(frozen=True)
class Responses:
    """How your feedforward moves with each parameter, measured in the child that holds your object."""

    values: dict[str, float]
    slopes: np.ndarray  # your feedforward's slopes (9, M) at `values`


def measure_responses(network: usernetwork.UserNetwork, inputs: np.ndarray) -> Responses:
    """Your feedforward's slopes at its current values, in the process that holds the object; its
    attributes are put back as they were."""
    obj = network.state["obj"]
    kept, values = {name: getattr(obj, name) for name in BLOG_NAMES}, network.parameters("the responses")

    def feedforward(changed: Mapping[str, float]) -> np.ndarray:
        for name, value in changed.items():
            setattr(obj, name, value)
        return network.feedforward(inputs)

    try:
        return Responses(values, slopes(feedforward, values))
    finally:
        for name, value in kept.items():
            setattr(obj, name, value)


def diagnose_forward(
    initial: Mapping[str, float],
    inputs: np.ndarray,
    yours: np.ndarray,
    s: Settings,
    responses: Responses | None = None,
    names: Sequence[str] = (),
) -> Diagnosis | None:
    """None when feedforward agrees; else where it returned nan or inf (`names`: of the inputs),
    float32 rounding (benign), the catalogue's explanation or its closest, and (given `responses`)
    the parameters it responds to differently."""
    theta = vector(initial)
    reference = _outputs(theta[None], inputs)[0]
    limits = s.forward_tolerance * np.maximum(np.abs(reference), s.abs_floor)
    if residual(yours, reference, limits) <= 1:
        return None
    labels = [" ".join([*names[k : k + 1], f"({x1:g}, {x2:g})"]) for k, (x1, x2) in enumerate(inputs)]
    if where := not_finite(yours, labels, "input"):
        return diagnosis(f"your feedforward returned {where}", explained=False)
    single = _outputs(theta[None].astype(np.float32), inputs.astype(np.float32))[0].astype(np.float64)
    slack = 8 * np.abs(single - reference) + 4 * EPS32 * np.abs(reference)
    evidence = [tried("float32 arithmetic", residual(yours, reference, limits + slack))]
    if evidence[0].explains:
        text = "your feedforward agrees within float32 rounding (it computes in float32)"
        return diagnosis(text, evidence, agrees=True)
    texts, rows = _catalogue(theta)
    texts.append("your output neuron takes x1, x2 where h1, h2 belong (o1 = f(w5·x1 + w6·x2 + b3))")
    with np.errstate(over="ignore"):
        wired = sigmoid(theta[4] * inputs[:, 0] + theta[5] * inputs[:, 1] + theta[8])
    for text, out in zip(texts, [*_outputs(np.array(rows), inputs), wired], strict=True):
        evidence.append(tried(text, residual(yours, out, limits)))
    found = conclude(evidence, "feedforward")
    if responses is None or found.explained:
        return found
    some, mine = inputs[: responses.slopes.shape[1]], responses.slopes
    theirs = slopes(lambda values: _outputs(vector(values)[None], some)[0], responses.values)
    # each divided by the response to b3, f'(sum_o1): what remains is d(sum_o1)/dθ
    usable = (np.abs(mine[8]) > 1e-9) & (np.abs(theirs[8]) > 1e-9)
    mine, theirs = mine[:, usable] / mine[8, usable], theirs[:, usable] / theirs[8, usable]
    differ = [residual(a, b, 1e-4 + 1e-3 * np.abs(b)) > 1 for a, b in zip(mine, theirs, strict=True)]
    names = ", ".join(n for n, d in zip(BLOG_NAMES, differ, strict=True) if d) or "no parameter"
    text = f"it treats {names} differently (its response to a change of each)"
    return replace(found, cause=f"{found.cause}; {text}")
