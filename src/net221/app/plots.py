"""The figures: a run's loss and decision boundary, a sweep's report.png, net221-compare's figure.

Layer: app. Drawn after the work, in-process, with matplotlib's object API on the Agg canvas (no
pyplot, no global figure state); matplotlib is imported on first use. Each function takes plain
data, saves the PNG and returns the figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.errors import ConfigValueError
from net221.init import BLOG_NAMES

if TYPE_CHECKING:
    from net221.checks.compare import Comparison


def _figure(width: float, height: float, rows: int = 1, columns: int = 1) -> tuple[Any, list[Any]]:
    """A figure and its axes, row by row."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, list(figure.subplots(rows, columns, squeeze=False).flat)


def check_format(path: Path, key: str) -> None:
    """A figure's file name must end in a format matplotlib writes: else one line naming `key`."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = sorted(set(FigureCanvasBase.get_supported_filetypes()) - {"pgf"})  # pgf needs LaTeX
    if path.suffix[1:].lower() not in formats:
        listed = ", ".join(f".{name}" for name in formats)
        raise ConfigValueError(f"{key}={path}: the file name must end in a figure format ({listed})")


def _save(figure: Any, path: Path, tight: bool = False) -> Any:
    # A run's figures have fixed margins that hold their labels: `tight_layout` lays a figure out
    # once more to measure them, which doubled the time a figure takes.
    if tight:
        figure.tight_layout()
    else:
        figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)
    figure.savefig(path, dpi=110)
    return figure


# --- a run: loss.png and decision_boundary.png ---------------------------------------------------


def _loss_axes(ax: Any, loss_name: str, title: str) -> None:
    ax.set(xlabel="epoch", ylabel=f"loss ({loss_name})", yscale="log", title=title)
    ax.grid(True, alpha=0.3)


def loss_curve(
    path: Path, epochs: Sequence[int], loss: Sequence[float], val_loss: Sequence[float] | None, loss_name: str
) -> Any:
    """The training loss (and validation loss) at each logged epoch."""
    figure, (ax,) = _figure(6, 4)
    ax.plot(epochs, loss, label="training")
    if val_loss is not None:
        ax.plot(epochs, val_loss, label="validation")
        ax.legend()
    _loss_axes(ax, loss_name, f"{loss_name} over the epochs")
    return _save(figure, path)


def ensemble_band(
    path: Path, epochs: Sequence[int], low: np.ndarray, median: np.ndarray, high: np.ndarray,
    members: int, loss_name: str,
) -> Any:  # fmt: skip
    """Median training loss over members with the 10-90 % band (low, high), one value per logged epoch."""
    figure, (ax,) = _figure(6, 4)
    ax.fill_between(epochs, low, high, alpha=0.3, label="10-90 % of members")
    ax.plot(epochs, median, label="median")
    ax.legend()
    _loss_axes(ax, loss_name, f"{loss_name} over {members:,} members")
    return _save(figure, path)


def decision_grid(raw: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The axes (xs, ys) of a decision boundary's grid: the data's range in raw units, 15 % either side."""
    span = raw.max(axis=0) - raw.min(axis=0)
    span = np.where(span > 0, span, 1.0)
    low, high = raw.min(axis=0) - 0.15 * span, raw.max(axis=0) + 0.15 * span
    return np.linspace(low[0], high[0], points), np.linspace(low[1], high[1], points)


def decision_boundary(
    path: Path, xs: np.ndarray, ys: np.ndarray, z: np.ndarray, train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None, axis_labels: Sequence[str], label_names: tuple[str, str],
    title: str,
) -> Any:  # fmt: skip
    """Rows in raw units coloured by label (training filled, validation hollow), and the 0.5 contour.

    z[i, j] is P(label = 1) at (xs[j], ys[i]); `train` and `val` are (raw features (N, 2), labels (N,))."""
    figure, (ax,) = _figure(6, 4.5)
    shading = ax.contourf(xs, ys, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    figure.colorbar(shading, ax=ax, label=f"P({label_names[1]})")
    if z.min() < 0.5 < z.max():
        ax.contour(xs, ys, z, levels=[0.5], colors="black", linewidths=1.5)
    splits = [("training", train, True)] + ([] if val is None else [("validation", val, False)])
    for split, (raw, labels), filled in splits:
        for value, (colour, name) in enumerate(zip(("tab:blue", "tab:red"), label_names, strict=True)):
            rows = labels == value
            ax.scatter(
                raw[rows, 0], raw[rows, 1], s=30, c=colour if filled else "none",
                edgecolors="black" if filled else colour, label=name if val is None else f"{name} ({split})",
            )  # fmt: skip
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1], title=title)
    ax.legend(loc="best", fontsize="small")
    return _save(figure, path)


# --- report.png: a sweep's result against what was swept -------------------------------------------

SEED_KEYS = ("trainer.seed", "data.seed")  # repeats, never an axis: each a point, the median over them
PREFERRED_X = ("optimizer.lr", "model.width", "trainer.members", "trainer.batch_size")  # first on x
LABELS = {
    "final_loss": "final loss",
    "final_val_loss": "final validation loss",
    "convergence_rate": "convergence rate",
}
# A finished job: (overrides, metrics, the name of its loss or None).
Finished = tuple[dict[str, str], dict[str, Any], str | None]
Series = dict[str, list[tuple[Any, float]]]  # a series' label: its (x, y) points


def _number(text: str | None) -> float | None:
    try:
        value = float(text or "nan")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def sweep_y(jobs: Sequence[Finished], optuna: bool) -> str:
    """Optuna's objective; else the convergence rate of ensembles, else the final (validation) loss."""
    has = {name for _, metrics, _ in jobs for name, value in metrics.items() if value is not None}
    if "convergence_rate" in has and not optuna:
        return "convergence_rate"
    return "final_val_loss" if "final_val_loss" in has else "final_loss"


def sweep_x(jobs: Sequence[Finished], keys: Sequence[str]) -> tuple[str | None, bool]:
    """The swept key on the x axis and whether it is numeric; None when only seeds were swept."""
    factors = [key for key in keys if key not in SEED_KEYS]
    numeric = [key for key in factors if all(_number(o.get(key)) is not None for o, _, _ in jobs)]
    if numeric:
        return next((key for key in PREFERRED_X if key in numeric), numeric[0]), True
    return (factors[0], False) if factors else (None, False)


def sweep_figure(path: Path, jobs: Sequence[Finished], keys: Sequence[str], optuna: bool = False) -> Any:
    """report.png: y against a swept number or category; the other swept values a series each, a panel
    per loss (their values are not comparable). None when no finished job has the metric."""
    y_name = sweep_y(jobs, optuna)
    jobs = [job for job in jobs if isinstance(job[1].get(y_name), int | float)]
    if not jobs:
        return None
    x_name, numeric = sweep_x(jobs, keys)
    others = [key for key in keys if key not in SEED_KEYS and key != x_name]
    is_loss = y_name != "convergence_rate"
    panels: dict[str, Series] = {}
    for overrides, metrics, loss in jobs:
        x = "all jobs" if x_name is None else overrides.get(x_name, "")
        series = ", ".join(f"{key}={overrides.get(key, '')}" for key in others)
        panel = panels.setdefault((loss or "") if is_loss else "", {})
        panel.setdefault(series, []).append((_number(x) if numeric else x, float(metrics[y_name])))

    from matplotlib.ticker import PercentFormatter

    figure, axes = _figure(4.5 + 2.5 * len(panels), 4.5, columns=len(panels))
    for ax, (loss, lines) in zip(axes, panels.items(), strict=True):
        if numeric:
            _numbers(ax, lines, connect=not optuna)
        else:
            _categories(ax, lines)
        ax.set(xlabel=x_name or "", ylabel=f"{LABELS[y_name]}, {loss}" if loss else LABELS[y_name])
        ys = [y for points in lines.values() for _, y in points]
        if is_loss and min(ys) > 0 and max(ys) / min(ys) >= 10:
            ax.set_yscale("log")
        if not is_loss:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        if len(panels) > 1:
            ax.set_title(f"{loss} (its own scale)", fontsize="medium")
        if any(lines):
            ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
    title = LABELS[y_name] + (", the objective Optuna minimized," if optuna else "")
    title += f" against {x_name}" if x_name else ""
    seeds = " and ".join(key for key in keys if key in SEED_KEYS)
    if optuna:
        title += f" ({len(jobs)} trials)"
    elif seeds:
        median = "the line joins the medians" if numeric else "a bar marks the median"
        title += f"\neach point a job; {median} over {seeds}"
    if len(panels) > 1 and not optuna:
        title += "\na panel per loss: their values are not comparable"
    figure.suptitle(title, fontsize="medium")
    return _save(figure, path, tight=True)


def _numbers(ax: Any, lines: Series, connect: bool) -> None:
    """Each job a point and, with `connect`, a line through each series' medians; a log axis when
    the values span a decade (integers: a factor of 8)."""
    xs = sorted({x for points in lines.values() for x, _ in points})
    for s, (label, points) in enumerate(sorted(lines.items())):
        ax.scatter(*zip(*points, strict=True), color=f"C{s}", alpha=0.7, s=18, label=label or None)
        if connect:
            at = sorted({x for x, _ in points})
            ax.plot(at, [np.median([y for x, y in points if x == value]) for value in at], color=f"C{s}")
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


def _categories(ax: Any, lines: Series) -> None:
    """A slot per category; in it, each series' jobs as points and their median as a bar."""
    categories = list(dict.fromkeys(str(x) for points in lines.values() for x, _ in points))
    width = 0.8 / len(lines)
    for s, (label, points) in enumerate(sorted(lines.items())):
        for i, category in enumerate(categories):
            ys = [y for x, y in points if str(x) == category]
            if ys:
                middle, median = i + (s - (len(lines) - 1) / 2) * width, np.median(ys)
                ax.plot(
                    [middle - 0.4 * width, middle + 0.4 * width], [median] * 2, color=f"C{s}", linewidth=2.5
                )
                ax.scatter(
                    [middle] * len(ys), ys, color=f"C{s}", s=18, alpha=0.7, label=label if i == 0 else None
                )
    ax.set_xticks(range(len(categories)), categories)
    ax.set_xlim(-0.6, len(categories) - 0.4)


# --- net221-compare's figure ---------------------------------------------------------------------

ZERO = 1e-18  # a |difference| of exactly 0 is drawn here on the log scale


def compare_figure(path: Path, c: Comparison) -> Any:
    """Top: the reference's loss after every epoch and the other implementation's logged losses.
    Bottom: |yours - reference| for each of the nine weights, at every epoch a trajectory file gives
    them, or after training for a Python class."""
    weights = c.stage_checks("weights")
    failed = [int(x.label.split()[1]) for x in c.stage_checks("loss") if not x.agrees]  # "epoch 10"
    first = c.epoch if c.epoch is not None else next(iter(failed), None)
    figure, (ax, *below) = _figure(7, 7.5 if weights else 4, rows=2 if weights else 1)
    ax.plot(np.arange(len(c.reference.loss)), c.reference.loss, color="black", lw=1.2, label="reference")
    if c.logged:
        epochs, losses = [e.epoch for e in c.logged], [e.loss for e in c.logged]
        ax.plot(epochs, losses, "o", ms=3, color="tab:orange", alpha=0.8, label="yours")
    else:
        ax.text(0.5, 0.9, "no loss trace printed", transform=ax.transAxes, ha="center", color="tab:orange")
    if first is not None:
        ax.axvline(first, color="tab:red", ls="--", lw=1, label=f"first difference (epoch {first})")
    ax.set(xlabel="epoch", ylabel="loss (MSE)", yscale="log", title=f"Loss: {Path(c.source).name}")
    ax.legend()
    for ax in below:
        if c.kind == "trajectory":
            for name in BLOG_NAMES:
                mine = [x for x in weights if x.label.split()[-1] == name]  # "epoch 10 w3"
                epochs = [int(x.label.split()[1]) for x in mine]
                ax.plot(epochs, [max(x.difference, ZERO) for x in mine], marker=".", lw=1, label=name)
            if first is not None:
                ax.axvline(first, color="tab:red", ls="--", lw=1)
            ax.legend(ncol=3, fontsize="small")
        else:
            colours = ["tab:blue" if x.agrees else "tab:red" for x in weights]
            ax.bar(list(BLOG_NAMES), [max(x.difference, ZERO) for x in weights], color=colours)
        ax.axhline(max(x.limit for x in weights), color="gray", ls=":", lw=1)
        ax.set(
            xlabel="epoch" if c.kind == "trajectory" else "parameter (after training)",
            ylabel="|yours - reference|",
            yscale="log",
            title=f"Weight differences (dotted: the largest allowed; 0 drawn at {ZERO:g})",
        )
    for ax in figure.axes:
        ax.grid(True, alpha=0.3)
    return _save(figure, path, tight=True)
