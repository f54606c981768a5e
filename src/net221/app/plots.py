"""Pictures of a run or a sweep. matplotlib is imported here only, on first use.

Layer: app. Figures are drawn with matplotlib's object API onto the Agg canvas:
no pyplot, no global figure state, and a lighter import. The figure functions
take plain data (lists, NumPy arrays) and are drawn after training, in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np


def _figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.add_subplot()


# Fixed margins (fractions of the figure) for the run's figures: `tight_layout` would measure
# every label by laying the figure out once more, which doubled the time a figure takes. The
# margins hold these figures' labels: tick labels in matplotlib's short number format (an
# offset or a power of ten for long numbers) and axis names that run along the axes.
MARGINS = {"left": 0.12, "right": 0.97, "bottom": 0.12, "top": 0.92}


def _save(fig: Any, path: Path | IO[bytes]) -> None:
    fig.subplots_adjust(**MARGINS)
    fig.savefig(path, dpi=110)


def loss_curve(
    path: Path, epochs: Sequence[int], loss: Sequence[float], val_loss: Sequence[float] | None, loss_name: str
) -> Any:
    fig, ax = _figure(6, 4)
    ax.plot(epochs, loss, label="training")
    if val_loss is not None:
        ax.plot(epochs, val_loss, label="validation")
        ax.legend()
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({loss_name})")
    ax.set_yscale("log")
    ax.set_title(f"{loss_name} over the epochs")
    ax.grid(True, alpha=0.3)
    _save(fig, path)
    return fig


def ensemble_band(
    path: Path,
    epochs: Sequence[int],
    low: np.ndarray,
    median: np.ndarray,
    high: np.ndarray,
    members: int,
    loss_name: str,
) -> Any:
    """Median training loss over members with the 10-90 % band (low, high), one value per logged epoch."""
    fig, ax = _figure(6, 4)
    ax.fill_between(epochs, low, high, alpha=0.3, label="10-90 % of members")
    ax.plot(epochs, median, label="median")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({loss_name})")
    ax.set_yscale("log")
    ax.set_title(f"{loss_name} over {members:,} members")
    ax.legend()
    ax.grid(True, alpha=0.3)
    _save(fig, path)
    return fig


def decision_grid(raw: np.ndarray, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The axes (xs, ys) of the grid a decision boundary is drawn on: the data's range in
    raw units and 15 % either side."""
    span = raw.max(axis=0) - raw.min(axis=0)
    span = np.where(span > 0, span, 1.0)
    low, high = raw.min(axis=0) - 0.15 * span, raw.max(axis=0) + 0.15 * span
    return np.linspace(low[0], high[0], points), np.linspace(low[1], high[1], points)


def decision_boundary(
    path: Path,
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None,
    axis_labels: Sequence[str],
    label_names: tuple[str, str],
    title: str,
) -> Any:
    """Rows in raw units coloured by label (training filled, validation hollow), and the 0.5 contour.

    z[i, j] is P(label = 1) at (xs[j], ys[i]); see `decision_grid`. `train` and `val`
    are (raw features (N, 2), labels (N,))."""
    fig, ax = _figure(6, 4.5)
    shading = ax.contourf(xs, ys, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    fig.colorbar(shading, ax=ax, label=f"P({label_names[1]})")
    if z.min() < 0.5 < z.max():
        ax.contour(xs, ys, z, levels=[0.5], colors="black", linewidths=1.5)
    splits = [("training", train, True)] + ([] if val is None else [("validation", val, False)])
    for split, (raw, labels), filled in splits:
        for value, colour, name in ((0.0, "tab:blue", label_names[0]), (1.0, "tab:red", label_names[1])):
            rows = labels == value
            label = name if val is None else f"{name} ({split})"
            face = colour if filled else "none"
            ax.scatter(
                raw[rows, 0],
                raw[rows, 1],
                c=face,
                edgecolors=colour if not filled else "black",
                label=label,
                s=30,
            )
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    _save(fig, path)
    return fig
