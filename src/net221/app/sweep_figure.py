"""report.png: a sweep's result against what was swept, drawn so that it reads right.

Layer: app. Takes plain data (each finished job's overrides, metrics and loss) and
chooses the figure:

- y: an Optuna search's objective (the final validation loss where there is a
  split, else the final loss); otherwise the convergence rate of ensembles, else
  the final validation loss, else the final loss.
- x: a swept number (optimizer.lr, model.width, ... first) on a log axis when it
  spans a decade or more, integers (model.width) with a tick at every value; or
  else a swept category (optimizer, loss, model.activation), one slot per value.
- Seeds (trainer.seed, data.seed) are repeats, never an axis: every seed is a
  point, and the median over them is a line (numbers) or a bar (categories).
- The other swept values make one series each; different losses (MSE, BCE) get
  a panel each, as their values are not comparable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SEED_KEYS = ("trainer.seed", "data.seed")
# Swept keys tried first for the x axis, in order.
PREFERRED_X = ("optimizer.lr", "model.width", "trainer.members", "trainer.batch_size")
LABELS = {
    "final_loss": "final loss",
    "final_val_loss": "final validation loss",
    "convergence_rate": "convergence rate",
}
# A finished job: (overrides, metrics, the name of its loss or None).
Finished = tuple[dict[str, str], dict[str, Any], str | None]


def number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def y_metric(jobs: Sequence[Finished], optuna: bool) -> str:
    has = {name for _, metrics, _ in jobs for name, value in metrics.items() if value is not None}
    if "convergence_rate" in has and not optuna:
        return "convergence_rate"
    return "final_val_loss" if "final_val_loss" in has else "final_loss"


def x_key(jobs: Sequence[Finished], keys: Sequence[str]) -> tuple[str | None, bool]:
    """The swept key on the x axis and whether it is numeric; None when only seeds were swept."""
    factors = [key for key in keys if key not in SEED_KEYS]
    numeric = [key for key in factors if all(number(o.get(key)) is not None for o, _, _ in jobs)]
    if numeric:
        return next((key for key in PREFERRED_X if key in numeric), numeric[0]), True
    return (factors[0], False) if factors else (None, False)


def draw(path: Path, jobs: Sequence[Finished], keys: Sequence[str], optuna: bool = False) -> Any:
    """Draw report.png; return the figure, or None when no finished job has the metric."""
    y_name = y_metric(jobs, optuna)
    jobs = [job for job in jobs if isinstance(job[1].get(y_name), int | float)]
    if not jobs:
        return None
    x_name, numeric = x_key(jobs, keys)
    others = [key for key in keys if key not in SEED_KEYS and key != x_name]
    is_loss = y_name != "convergence_rate"
    panels: dict[str, dict[str, list[tuple[Any, float]]]] = {}
    for overrides, metrics, loss in jobs:
        panel = (loss or "") if is_loss else ""
        series = ", ".join(f"{key}={overrides.get(key, '')}" for key in others)
        x: Any = "all jobs" if x_name is None else overrides.get(x_name, "")
        if numeric and x_name is not None:
            x = number(x)
        panels.setdefault(panel, {}).setdefault(series, []).append((x, float(metrics[y_name])))

    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5 + 2.5 * len(panels), 4.5))
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (loss, lines) in zip(axes, panels.items(), strict=True):
        if numeric:
            _numbers(ax, lines, x_name or "", connect=not optuna)
        else:
            _categories(ax, lines, x_name or "")
        ax.set_ylabel(f"{LABELS[y_name]}, {loss}" if loss else LABELS[y_name])
        ys = [y for points in lines.values() for _, y in points]
        if is_loss and min(ys) > 0 and max(ys) / min(ys) >= 10:
            ax.set_yscale("log")
        if not is_loss:
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        if len(panels) > 1:
            ax.set_title(f"{loss} (its own scale)", fontsize="medium")
        if any(lines):
            ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
    figure.suptitle(_title(y_name, x_name, keys, numeric, optuna, len(jobs), len(panels)), fontsize="medium")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return figure


def _title(
    y_name: str, x_name: str | None, keys: Sequence[str], numeric: bool, optuna: bool, jobs: int, panels: int
) -> str:
    title = LABELS[y_name] + (", the objective Optuna minimized," if optuna else "")
    title += f" against {x_name}" if x_name else ""
    if optuna:
        return f"{title} ({jobs} trials)"
    seeds = " and ".join(key for key in keys if key in SEED_KEYS)
    if seeds:
        median = "the line joins the medians" if numeric else "a bar marks the median"
        title += f"\neach point a job; {median} over {seeds}"
    if panels > 1:
        title += "\na panel per loss: their values are not comparable"
    return title


def _numbers(ax: Any, lines: dict[str, list[tuple[Any, float]]], x_name: str, connect: bool) -> None:
    xs = sorted({x for points in lines.values() for x, _ in points})
    for s, (label, points) in enumerate(sorted(lines.items())):
        ax.scatter(
            [x for x, _ in points],
            [y for _, y in points],
            color=f"C{s}",
            alpha=0.7,
            s=18,
            label=label or None,
        )
        if connect:
            at = sorted({x for x, _ in points})
            median = [float(np.median([y for x, y in points if x == value])) for value in at]
            ax.plot(at, median, color=f"C{s}")
    integers = all(float(x).is_integer() for x in xs)
    spans_decades = xs[0] > 0 and xs[-1] / xs[0] >= (8 if integers else 10)
    if spans_decades:
        ax.set_xscale("log", base=2 if integers else 10)
    if len(xs) <= 12 and (integers or connect):  # a tick at every swept value, each labelled
        ax.set_xticks(xs, [f"{int(x)}" if integers else f"{x:g}" for x in xs])
        ax.minorticks_off()
    elif integers and not spans_decades:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(x_name)


def _categories(ax: Any, lines: dict[str, list[tuple[Any, float]]], x_name: str) -> None:
    """A slot per category; in it, each series' jobs as points and their median as a bar."""
    categories: list[str] = []
    for points in lines.values():
        categories.extend(str(x) for x, _ in points if str(x) not in categories)
    width = 0.8 / len(lines)
    for s, (label, points) in enumerate(sorted(lines.items())):
        offset = (s - (len(lines) - 1) / 2) * width
        for i, category in enumerate(categories):
            ys = [y for x, y in points if str(x) == category]
            if not ys:
                continue
            middle, median = i + offset, float(np.median(ys))
            ax.plot(
                [middle - 0.4 * width, middle + 0.4 * width], [median, median], color=f"C{s}", linewidth=2.5
            )
            ax.scatter(
                [middle] * len(ys), ys, color=f"C{s}", s=18, alpha=0.7, label=label if i == 0 else None
            )
    ax.set_xticks(range(len(categories)), categories)
    ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.set_xlabel(x_name)
