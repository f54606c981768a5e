"""One pattern for gradcheck's and compare's settings and results: a frozen Settings dataclass that
validates itself (and makes its command's config schema), and a result read as a table, as one
verdict line led by the Diagnosis's cause, and as JSON with the diagnosis's evidence."""

from __future__ import annotations

import dataclasses
import math
import numbers
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES

if TYPE_CHECKING:
    from net221.checks.compare import Check, Comparison
    from net221.checks.gradcheck import GradcheckResult

NON_FINITE = 'numbers that are not finite are written as the strings "nan", "inf" and "-inf"'
GAP = "   "


def validate(settings: Any) -> None:
    """ConfigValueError for the first field of a Settings dataclass that cannot work: an integer
    >= metadata "min" (0) where the default is one, else a finite number > 0 (or None if typed so);
    either at most metadata "max" where given."""
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(f.default, int):
            least = f.metadata.get("min", 0)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
                raise ConfigValueError(f"{f.name}={value!r}: must be an integer >= {least}")
        elif not (value is None and "None" in str(f.type)) and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < math.inf
        ):
            raise ConfigValueError(f"{f.name}={value!r}: must be a finite number > 0")
        if value is not None and value > (most := f.metadata.get("max", math.inf)):
            raise ConfigValueError(f"{f.name}={value!r}: must be at most {most:,.0f}")


def schema_fields(settings: type) -> list[tuple[str, Any, Any]]:
    """(name, type, default) of each field of a Settings dataclass, for a command's config schema."""
    hints = typing.get_type_hints(settings)
    return [(f.name, hints[f.name], f.default) for f in dataclasses.fields(settings)]


@dataclass(frozen=True)
class Diagnosis:
    """The likely cause of a disagreement, and what supports it."""

    cause: str  # one sentence: what is wrong and where
    evidence: list[dict[str, Any]] = field(default_factory=list)  # each hypothesis tried, as JSON data


def led_by(diagnosis: Diagnosis | None, line: str) -> str:
    return line if diagnosis is None else f"{diagnosis.cause}; {line}"


def json_ready(data: Any) -> Any:
    """`data` as JSON can hold it: NumPy numbers as Python ones, non-finite ones as strings."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = dataclasses.asdict(data)
    if isinstance(data, dict):
        return {key: json_ready(value) for key, value in data.items()}
    if isinstance(data, list | tuple | np.ndarray):
        return [json_ready(value) for value in data]
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        return data
    if isinstance(data, numbers.Integral):
        return int(data)
    return float(data) if math.isfinite(data) else str(float(data))


def columns(rows: list[list[str]], left: set[int]) -> list[str]:
    """Rows of cells as aligned text: columns in `left` left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    justified = [
        GAP.join(
            cell.ljust(w) if i in left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return [line.rstrip() for line in justified]


def number(x: float) -> str:
    if math.isnan(x) or x == 0.0:
        return "nan" if x != x else "0"
    return f"{x:.10f}" if 1e-3 <= abs(x) < 1e3 else f"{x:.6e}"


def small(x: float) -> str:
    return "0" if x == 0.0 else f"{x:.1e}"


def counted(n: int, noun: str) -> str:  # '1 point', '100 points'
    return f"{n} {noun}{'' if n == 1 else 's'}"


def gradcheck_table(result: GradcheckResult) -> str:
    """The per-parameter table, and the points where the worst errors occur."""
    digits = len(str(len(result.points) - 1))  # "#k" cells padded to the same width
    headers = [
        ["", "formula", "autograd", "abs err", "rel err", "abs err", "rel err", ""],
        ["param", "", "", "vs autograd", "vs autograd", "vs FD", "vs FD", "result"],
    ]
    rows = [
        [p.name, number(p.formula_at_example), number(p.autograd_at_example)]
        + [f"{small(x)} #{i:<{digits}}" for x, i in zip(p.worst_errors, p.worst_points, strict=True)]
        + ["PASS" if p.passed else "FAIL" if not p.autograd_pass else "FAIL (FD)"]
        for p in result.parameters
    ]
    lines = columns(headers + rows, left={0, 7})
    widths = [max(len(row[i]) for row in headers + rows) for i in range(8)]
    first = "the worked example" if result.points[0].kind == "worked_example" else "point #0"
    worst = f"worst over {counted(len(result.points), 'point')} (#k: at point k)"
    groups = (
        " " * (widths[0] + len(GAP))
        + f"at {first}".center(widths[1] + len(GAP) + widths[2])
        + GAP
        + worst.center(sum(widths[3:7]) + 3 * len(GAP))
    )
    rule = "-" * max(len(line) for line in lines)
    named = sorted({i for p in result.parameters for i in p.worst_points})
    listed = ["Points (x1, x2, y_true):"]
    for i in named:
        point = result.points[i]
        entry = f"#{i} ({point.x1:.6g}, {point.x2:.6g}, {point.y_true:g})"
        if len(listed) > 1 and len(listed[-1]) + len(GAP) + len(entry) <= len(rule):
            listed[-1] += GAP + entry
        else:
            listed.append("  " + entry)
    return "\n".join([groups.rstrip(), *lines[:2], rule, *lines[2:], *listed])


def gradcheck_summary(result: GradcheckResult) -> str:
    s, n = result.settings, counted(len(result.points), "point")
    if result.passed:
        worst = max(p.max_rel_error for p in result.parameters)
        fd_worst = max(p.fd_max_rel_error for p in result.parameters)
        return (
            f"PASS: {result.formula.spec} agrees on all 9 partials at {n} (worst relative error vs autograd "
            f"{worst:.1e} <= {s.tolerance:g}, vs finite differences {fd_worst:.1e} <= {s.fd_tolerance:g})"
        )
    return "FAIL: " + led_by(
        result.diagnosis,
        f"{result.formula.spec} disagrees on {len(result.failed)} of 9 partials: {', '.join(result.failed)} "
        f"(tolerance {s.tolerance:g} vs autograd, {s.fd_tolerance:g} vs finite differences, {n})",
    )


def gradcheck_report(result: GradcheckResult) -> dict[str, Any]:
    """Everything, as JSON-ready data: settings, per-parameter results, every point."""
    from net221.checks.gradcheck import SAMPLING

    def by_name(row: np.ndarray) -> dict[str, float]:
        return dict(zip(BLOG_NAMES, row.tolist(), strict=True))

    random_points = sum(p.kind == "random" for p in result.points)
    settings = {"points": len(result.points), "random_points": random_points, "seed": result.seed}
    rows = {p.name: {**dataclasses.asdict(p), "pass": p.passed} for p in result.parameters}
    for row in rows.values():
        del row["name"]
        row["finite_difference_at_example"] = row.pop("fd_at_example")
    points = [
        {**dataclasses.asdict(point), "index": i, "formula": by_name(result.formula_values[i])}
        | {"autograd": by_name(result.autograd[i]), "finite_difference": by_name(result.finite_difference[i])}
        for i, point in enumerate(result.points)
    ]
    data = {
        "formula": result.formula.spec,
        "source": result.formula.source,
        **{key: getattr(result, key) for key in ("passed", "failed", "diagnosis")},
        "loss": "(y_true - y_pred)^2",
        "non_finite": NON_FINITE,
        "settings": dataclasses.asdict(result.settings) | settings | {"sampling": SAMPLING},
        "relative_error": "|formula - reference| / max(|reference|, floor)",
        "parameters": rows,
        "points": points,
    }
    return dict(json_ready(data))


def compare_rows(c: Comparison) -> list[tuple[str, Check]]:
    """(label, check) for the table: the six people and the first failing (else the worst) random
    input; the first, first disagreeing and last logged loss; the weights; the predictions."""
    forward = c.stage_checks("forward")
    rows = [(x.label, x) for x in forward[:6]]
    if random := forward[6:]:
        if failed := [x for x in random if not x.agrees]:
            rows.append((f"{failed[0].label} (first of {len(random)} to differ)", failed[0]))
        else:
            worst = max(random, key=lambda x: x.difference)
            rows.append((f"{worst.label} (worst of {len(random)})", worst))
    if losses := c.stage_checks("loss"):
        picked = [losses[0], *[x for x in losses if not x.agrees][:1], losses[-1]]
        rows += [(x.label, x) for i, x in enumerate(picked) if x not in picked[:i]]
    weights = c.stage_checks("weights")
    if c.kind == "trajectory" and weights:
        shown = next((x for x in weights if not x.agrees), weights[-1]).label.split()[1]
        weights = [x for x in weights if x.label.split()[1] == shown]
    return rows + [(x.label, x) for x in weights] + [(x.label, x) for x in c.stage_checks("predictions")]


def compare_table(c: Comparison) -> str:
    header = ["stage", "check", "yours", "reference", "|difference|", "allowed", "result"]
    rows = [
        [
            x.stage,
            label,
            x.text if x.text is not None else number(x.yours),
            number(x.reference),
            small(x.difference),
            small(x.limit),
            "agree" if x.agrees else "DIFFERS",
        ]
        for label, x in compare_rows(c)
    ]
    lines = columns([header, *rows], left={0, 1, 6})
    return "\n".join(" " + line for line in [lines[0], "─" * max(map(len, lines)), *lines[1:]])


def compare_summary(c: Comparison) -> list[str]:
    """What each stage compared, in counts; then the verdict line."""
    lines = []
    for stage in ("forward", "loss", "weights", "predictions"):
        if checks := c.stage_checks(stage):
            lines.append(f"{stage}: {sum(x.agrees for x in checks)} of {len(checks)} agree")
    if c.kind == "implementation" and not c.logged:
        lines.append("loss: not compared: train printed no 'Epoch N loss: X' lines")
    return [*lines, ("AGREE: " if c.agrees else "DISAGREE: ") + led_by(c.diagnosis, c.verdict)]


def compare_report(c: Comparison) -> dict[str, Any]:
    """Everything, as JSON-ready data."""
    run, s = c.reference, c.settings
    checks = [
        {"stage": x.stage, "label": x.label, "yours": x.yours, "text": x.text, "reference": x.reference}
        | {"difference": x.difference, "allowed": x.limit, "agrees": x.agrees}
        for x in c.checks
    ]
    data = {
        **{
            key: getattr(c, key)
            for key in ("source", "kind", "agrees", "stage", "epoch", "verdict", "diagnosis")
        },
        "non_finite": NON_FINITE,
        "settings": dataclasses.asdict(s) | {"epochs": len(run.loss)},
        "agree_when": "|yours - reference| <= max(tol * max(|reference|, abs_floor), resolution / 2)",
        **{key: getattr(c, key) for key in ("notes", "initial", "final")},
        "loss_trace_compared": bool(c.stage_checks("loss")),
        "loss_trace": [dataclasses.asdict(e) for e in c.logged],
        "beyond_reference": c.beyond,
        "reference": {
            "loss": run.loss,
            "weights": {str(epoch): values for epoch, values in sorted(run.weights.items())},
            "final": run.final,
            "predictions": dict(zip(("Emily", "Frank"), run.predictions, strict=True)),
        },
        "checks": checks,
        "printed_lines": {part: len(text.splitlines()) for part, text in c.output.items()},
    }
    return dict(json_ready(data))
