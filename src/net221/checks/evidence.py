"""A diagnosis and its evidence: each hypothesis tried, whether it explains the numbers, its residual.

Layer: checks. A hypothesis explains your numbers when every one agrees within its tolerance:
`residual` is the largest difference in units of that tolerance, so a residual <= 1 explains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from net221.checks import report


@dataclass(frozen=True)
class Evidence:
    hypothesis: str
    explains: bool
    residual: float  # the largest difference in units of its tolerance


def tried(hypothesis: str, residual: float) -> Evidence:
    return Evidence(hypothesis, residual <= 1, residual)


@dataclass(frozen=True)
class Diagnosis(report.Diagnosis):
    """The cause (a sentence a verdict can lead with) and the evidence: each hypothesis tried,
    whether it explains the numbers, its residual."""

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
    return Diagnosis(cause, [asdict(e) for e in evidence], agrees, explained, list(steps))


def residual(yours: np.ndarray, theirs: np.ndarray, limits: np.ndarray) -> float:
    """max |yours - theirs| / limits; inf where a number is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        ratio = np.abs(np.asarray(yours) - theirs) / limits
    return float(np.max(np.where(np.isfinite(ratio), ratio, np.inf), initial=0.0))


def not_finite(values: np.ndarray, labels: Sequence[str], every: str) -> str:
    """'' when every value is a number; else what the others are and where: "nan at every `every`",
    "inf at #1 (8.7, 6.3, 1), #6 (8.8, -2.7, 1), #7 (5.2, -0.05, 0) and 5 more" (`labels`: of each)."""
    at = np.flatnonzero(~np.isfinite(values))
    if not at.size:
        return ""
    what = "/".join(sorted({str(v) for v in np.asarray(values)[at]}))
    if at.size == len(values) > 1:
        return f"{what} at every {every}"
    more = f" and {at.size - 3} more" if at.size > 3 else ""
    return f"{what} at {', '.join(labels[k] for k in at[:3])}{more}"


def conclude(evidence: list[Evidence], where: str, steps: Sequence[str] = ()) -> Diagnosis:
    explaining = [e for e in evidence if e.explains]
    if explaining:
        return diagnosis("; ".join(e.hypothesis for e in explaining), evidence, steps=steps)
    closest = min((e for e in evidence if e.hypothesis != "float32 arithmetic"), key=lambda e: e.residual)
    text = f"no cause in the catalogue explains your {where} exactly"
    if np.isfinite(closest.residual):  # none is closest to a number that is not one
        text += f"; the closest: {closest.hypothesis} (off by {closest.residual:.3g} tolerances)"
    return diagnosis(text, evidence, explained=False, steps=steps)
