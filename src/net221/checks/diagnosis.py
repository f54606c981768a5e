"""Why another implementation disagrees, wired into compare and gradcheck (docs/diagnoses.md).

Layer: checks. `followed` makes the child process follow train() and measure feedforward's
responses; `attach` gives a comparison its Diagnosis; `for_gradcheck` diagnoses a failing check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from net221.checks import usercode, usernetwork
from net221.checks.evidence import Diagnosis
from net221.checks.forward import Responses, diagnose_forward, measure_responses
from net221.checks.partials import diagnose_partials
from net221.checks.steps import recording
from net221.checks.training import diagnose_training, diagnose_trajectory

if TYPE_CHECKING:  # compare imports this module
    from net221.checks.compare import Comparison
    from net221.checks.gradcheck import Point
    from net221.checks.gradcheck import Settings as GradcheckSettings

RESPONSE_INPUTS = 20  # the inputs at which feedforward's response to each parameter is measured


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
    s = c.settings
    if c.kind == "trajectory":
        found: Diagnosis | None = diagnose_trajectory(c.initial, s, c.logged)
    else:
        yours = np.array([check.yours for check in c.stage_checks("forward")])
        names, inputs = forward_inputs(s.points, s.seed)
        found = forward = diagnose_forward(c.initial, inputs, yours, s, responses, names)
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
