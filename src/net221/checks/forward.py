"""The forward stage: feedforward at the initial values against the reference, and why it differs.

Layer: checks. Float32 rounding, then a catalogue of forward mistakes (a parameter read in
another's place, left out, two swapped, the output neuron wired to the inputs); outside it, the
parameters your feedforward responds to differently.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from net221.checks import usernetwork
from net221.checks.evidence import Diagnosis, Evidence, conclude, diagnosis, residual
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
    """Your feedforward at its current values and at each of perturbed(values), in the process
    that holds the object; the attributes are put back as they were."""
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
    """None when feedforward agrees; else float32 rounding (benign), the catalogue's explanation
    or its closest, and (given `responses`) the parameters it responds to differently."""
    theta = vector(initial)
    reference = _outputs(theta[None], inputs)[0]
    limits = s.forward_tolerance * np.maximum(np.abs(reference), s.abs_floor)
    if residual(yours, reference, limits) <= 1:
        return None
    single = _outputs(theta[None].astype(np.float32), inputs.astype(np.float32))[0].astype(np.float64)
    r = residual(yours, reference, limits + 8 * np.abs(single - reference) + 4 * EPS32 * np.abs(reference))
    evidence = [Evidence("float32 arithmetic", r <= 1, r)]
    if r <= 1:
        return diagnosis(
            "your feedforward agrees within float32 rounding (it computes in float32)", evidence, True
        )
    texts, rows = _catalogue(theta)
    texts.append("your output neuron takes x1, x2 where h1, h2 belong (o1 = f(w5·x1 + w6·x2 + b3))")
    with np.errstate(over="ignore"):
        wired = sigmoid(theta[4] * inputs[:, 0] + theta[5] * inputs[:, 1] + theta[8])
    for text, out in zip(texts, [*_outputs(np.array(rows), inputs), wired], strict=True):
        evidence.append(Evidence(text, (r := residual(yours, out, limits)) <= 1, r))
    found = conclude(evidence, "feedforward")
    if responses is None or found.explained:
        return found
    at = vector(responses.values)
    moved = np.array([vector(v) for v in perturbed(responses.values)])
    steps = np.diag(moved - at)[:, None]
    some = inputs[: len(responses.outputs)]
    mine = (responses.moved - responses.outputs) / steps
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
