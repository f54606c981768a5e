"""A check's result as text and as data: the table, the one-line summary, the JSON report.

Layer: training (checks). The table has one row per parameter: the formula's and
autograd's values at point 0 (the worked example), then the worst errors over
all N points, each followed by the point where it occurs ("#37"); the points
named are listed under the table with their x1, x2 and y_true. The report holds
every point. JSON has no NaN or infinity: such numbers are written as the
strings "nan", "inf" and "-inf" (NON_FINITE).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.checks.points import SAMPLING
from net221.init import BLOG_NAMES

if TYPE_CHECKING:
    from net221.checks.gradcheck import GradcheckResult, ParameterResult

NON_FINITE = 'numbers that are not finite are written as the strings "nan", "inf" and "-inf"'

# (first header line, second header line) per column; the first column is left-aligned
_COLUMNS = (
    ("", "param"),
    ("formula", ""),
    ("autograd", ""),
    ("abs err", "vs autograd"),
    ("rel err", "vs autograd"),
    ("abs err", "vs FD"),
    ("rel err", "vs FD"),
    ("", "result"),
)
_GAP = "   "


def _value(x: float) -> str:
    if x == 0.0:
        return "0"
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.10f}"
    return f"{x:.6e}"


def _error(x: float, point: int, digits: int) -> str:
    return f"{'0' if x == 0.0 else f'{x:.1e}'} #{point:<{digits}}"


def _verdict(p: ParameterResult) -> str:
    if p.passed:
        return "PASS"
    return "FAIL" if not p.autograd_pass else "FAIL (FD)"


def render_table(result: GradcheckResult) -> str:
    """The per-parameter table, and the points where the worst errors occur."""
    digits = len(str(len(result.points) - 1))
    rows = [
        [
            p.name,
            _value(p.formula_at_example),
            _value(p.autograd_at_example),
            _error(p.max_abs_error, p.abs_worst_point, digits),
            _error(p.max_rel_error, p.worst_point, digits),
            _error(p.fd_max_abs_error, p.fd_abs_worst_point, digits),
            _error(p.fd_max_rel_error, p.fd_worst_point, digits),
            _verdict(p),
        ]
        for p in result.parameters
    ]
    widths = [
        max(len(text) for text in (*header, *column))
        for header, column in zip(_COLUMNS, zip(*rows, strict=True), strict=True)
    ]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:-1], widths[1:-1], strict=True)]
        return _GAP.join([first, *rest, cells[-1]]).rstrip()

    example_width = widths[1] + len(_GAP) + widths[2]
    worst_width = sum(widths[3:7]) + 3 * len(_GAP)
    first_point = "the worked example" if result.points[0].kind == "worked_example" else "point #0"
    groups = (
        " " * (widths[0] + len(_GAP))
        + f"at {first_point}".center(example_width)
        + _GAP
        + f"worst over {_points(len(result.points))} (#k: at point k)".center(worst_width)
    )
    header = [line([h[0] for h in _COLUMNS]), line([h[1] for h in _COLUMNS])]
    rule = "-" * len(max(header + [line(row) for row in rows], key=len))
    named = sorted(
        {
            i
            for p in result.parameters
            for i in (p.abs_worst_point, p.worst_point, p.fd_abs_worst_point, p.fd_worst_point)
        }
    )
    return "\n".join(
        [groups.rstrip(), *header, rule, *(line(row) for row in rows), *_named(result, named, len(rule))]
    )


def _named(result: GradcheckResult, indices: list[int], width: int) -> list[str]:
    """The points named in the table, a few to a line: '#37 (x1, x2, y_true)'."""
    entries = [f"#{i} ({p.x1:.6g}, {p.x2:.6g}, {p.y_true:g})" for i in indices for p in [result.points[i]]]
    lines = ["Points (x1, x2, y_true):"]
    for entry in entries:
        if len(lines) > 1 and len(lines[-1]) + 3 + len(entry) <= width:
            lines[-1] += "   " + entry
        else:
            lines.append("  " + entry)
    return lines


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


def summary_line(result: GradcheckResult) -> str:
    s, n = result.settings, len(result.points)
    if result.passed:
        worst = max(p.max_rel_error for p in result.parameters)
        fd_worst = max(p.fd_max_rel_error for p in result.parameters)
        return (
            f"PASS: {result.formula.spec} agrees on all 9 partials at {_points(n)} "
            f"(worst relative error vs autograd {worst:.1e} <= {s.tolerance:g}, "
            f"vs finite differences {fd_worst:.1e} <= {s.fd_tolerance:g})"
        )
    failed = result.failed
    return (
        f"FAIL: {result.formula.spec} disagrees on {len(failed)} of 9 partials: {', '.join(failed)} "
        f"(tolerance {s.tolerance:g} vs autograd, {s.fd_tolerance:g} vs finite differences, {_points(n)})"
    )


def json_ready(data: Any) -> Any:
    """`data` as JSON can hold it: NumPy numbers as Python ones, and every non-finite
    number as "nan", "inf" or "-inf" (JSON has neither NaN nor infinity)."""
    if isinstance(data, bool | str) or data is None:
        return data
    if isinstance(data, numbers.Integral):
        return int(data)
    if isinstance(data, numbers.Real):
        number = float(data)
        return number if math.isfinite(number) else str(number)
    if isinstance(data, dict):
        return {key: json_ready(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [json_ready(value) for value in data]
    return data


def _by_name(row: np.ndarray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(BLOG_NAMES, row, strict=True)}


def report(result: GradcheckResult) -> dict[str, Any]:
    """Everything, as JSON-ready data: settings, per-parameter results, every point."""
    s = result.settings
    data = {
        "formula": result.formula.spec,
        "source": result.formula.source,
        "passed": result.passed,
        "failed": result.failed,
        "loss": "(y_true - y_pred)^2",
        "non_finite": NON_FINITE,
        "settings": {
            "points": len(result.points),
            "random_points": sum(p.kind == "random" for p in result.points),
            "seed": result.seed,
            "sampling": SAMPLING,
            "step": s.step,
            "tolerance": s.tolerance,
            "abs_floor": s.abs_floor,
            "fd_tolerance": s.fd_tolerance,
            "fd_abs_floor": s.fd_abs_floor,
            "timeout": s.timeout,
            "relative_error": "|formula - reference| / max(|reference|, floor)",
        },
        "parameters": {
            p.name: {
                "formula_at_example": p.formula_at_example,
                "autograd_at_example": p.autograd_at_example,
                "finite_difference_at_example": p.fd_at_example,
                "max_abs_error": p.max_abs_error,
                "abs_worst_point": p.abs_worst_point,
                "max_rel_error": p.max_rel_error,
                "worst_point": p.worst_point,
                "fd_max_abs_error": p.fd_max_abs_error,
                "fd_abs_worst_point": p.fd_abs_worst_point,
                "fd_max_rel_error": p.fd_max_rel_error,
                "fd_worst_point": p.fd_worst_point,
                "autograd_pass": p.autograd_pass,
                "fd_pass": p.fd_pass,
                "pass": p.passed,
            }
            for p in result.parameters
        },
        "points": [
            {
                "index": i,
                "kind": point.kind,
                "params": point.params,
                "x1": point.x1,
                "x2": point.x2,
                "y_true": point.y_true,
                "formula": _by_name(result.formula_values[i]),
                "autograd": _by_name(result.autograd[i]),
                "finite_difference": _by_name(result.finite_difference[i]),
            }
            for i, point in enumerate(result.points)
        ],
    }
    return dict(json_ready(data))
