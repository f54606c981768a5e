"""Pictures of a run or a sweep. matplotlib is imported here only, on first use.

Layer: app. Figures are drawn with matplotlib's object API onto the Agg canvas:
no pyplot, no global figure state, and a lighter import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.add_subplot()


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def loss_curve(
    path: Path, epochs: Sequence[int], loss: Sequence[float], val_loss: Sequence[float] | None
) -> None:
    fig, ax = _figure(6, 4)
    ax.plot(epochs, loss, label="training")
    if val_loss is not None:
        ax.plot(epochs, val_loss, label="validation")
        ax.legend()
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title("Loss")
    ax.grid(True, alpha=0.3)
    _save(fig, path)


def ensemble_band(path: Path, epochs: Sequence[int], loss: np.ndarray) -> None:
    """Median training loss over members with the 10-90 % band; loss is (logs, members)."""
    with np.errstate(all="ignore"):
        low, median, high = np.nanpercentile(loss, [10, 50, 90], axis=1)
    fig, ax = _figure(6, 4)
    ax.fill_between(epochs, low, high, alpha=0.3, label="10-90 % of members")
    ax.plot(epochs, median, label="median")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(f"Loss over {loss.shape[1]:,} members")
    ax.legend()
    ax.grid(True, alpha=0.3)
    _save(fig, path)


def decision_boundary(
    path: Path,
    probability: Callable[[np.ndarray], np.ndarray],
    raw: np.ndarray,
    labels: np.ndarray,
    axis_labels: Sequence[str],
    label_names: tuple[str, str],
) -> None:
    """Data in raw units coloured by label, and the network's 0.5 contour.

    `probability` maps raw inputs (n, 2) to P(label = 1) (n,)."""
    span = raw.max(axis=0) - raw.min(axis=0)
    span = np.where(span > 0, span, 1.0)
    low, high = raw.min(axis=0) - 0.15 * span, raw.max(axis=0) + 0.15 * span
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    z = probability(grid).reshape(grid_x.shape)
    fig, ax = _figure(6, 4.5)
    shading = ax.contourf(grid_x, grid_y, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    fig.colorbar(shading, ax=ax, label=f"P({label_names[1]})")
    if z.min() < 0.5 < z.max():
        ax.contour(grid_x, grid_y, z, levels=[0.5], colors="black", linewidths=1.5)
    for value, colour, name in ((0.0, "tab:blue", label_names[0]), (1.0, "tab:red", label_names[1])):
        rows = labels == value
        ax.scatter(raw[rows, 0], raw[rows, 1], c=colour, edgecolors="black", label=name, s=30)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title("Decision boundary (P = 0.5)")
    ax.legend(loc="best")
    _save(fig, path)


def sweep_plot(path: Path, x_name: str, y_name: str, lines: dict[str, list[tuple[float, float]]]) -> None:
    """One line per combination of the other swept values: y against x."""
    fig, ax = _figure(6.5, 4.5)
    numeric = all(isinstance(x, int | float) for points in lines.values() for x, _ in points)
    for label, points in sorted(lines.items()):
        points = sorted(points) if numeric else points
        ax.plot(
            [str(x) if not numeric else x for x, _ in points],
            [y for _, y in points],
            marker="o",
            label=label or y_name,
        )
    if numeric and all(x > 0 for points in lines.values() for x, _ in points):
        ax.set_xscale("log")
    if y_name.endswith("loss") and all(y > 0 for points in lines.values() for _, y in points):
        ax.set_yscale("log")
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_title(f"{y_name} against {x_name}")
    if len(lines) > 1 or any(lines):
        ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    _save(fig, path)
