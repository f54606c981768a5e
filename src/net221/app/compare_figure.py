"""The figure of net221-compare: both loss traces, and the weight differences where known.

Layer: app. matplotlib is imported when a figure is drawn, onto the Agg canvas
(matplotlib's object API, no pyplot). Top: the reference's loss after every
epoch and the other implementation's logged losses. Bottom: |yours - reference|
for each of the nine weights, at every epoch a trajectory file gives them, or
after training for a Python class.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.init import BLOG_NAMES

if TYPE_CHECKING:
    from net221.checks.compare import Comparison

# |difference| of exactly 0 is drawn here on the log scale
ZERO = 1e-18


def _first_epoch(c: Comparison) -> int | None:
    """The first epoch that disagrees: a trajectory's, else the loss trace's."""
    if c.epoch is not None:
        return c.epoch
    failed = [x for x in c.stage_checks("loss") if not x.agrees]
    return int(failed[0].label.split()[1]) if failed else None


def _loss_panel(ax: Any, c: Comparison) -> None:
    ax.plot(np.arange(len(c.reference.loss)), c.reference.loss, color="black", lw=1.2, label="reference")
    if c.logged:
        epochs = [e.epoch for e in c.logged]
        ax.plot(epochs, [e.loss for e in c.logged], "o", ms=3, color="tab:orange", alpha=0.8, label="yours")
    else:
        ax.text(0.5, 0.9, "no loss trace printed", transform=ax.transAxes, ha="center", color="tab:orange")
    first = _first_epoch(c)
    if first is not None:
        ax.axvline(first, color="tab:red", ls="--", lw=1, label=f"first difference (epoch {first})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MSE)")
    ax.set_title(f"Loss: {Path(c.source).name}")
    ax.grid(True, alpha=0.3)
    ax.legend()


def _weight_panel(ax: Any, c: Comparison) -> None:
    checks = c.stage_checks("weights")
    limit = max(x.limit for x in checks)
    if c.kind == "trajectory":
        for name in BLOG_NAMES:
            mine = [x for x in checks if x.label.split()[-1] == name]
            epochs = [int(x.label.split()[1]) for x in mine]
            ax.plot(epochs, [max(x.difference, ZERO) for x in mine], marker=".", lw=1, label=name)
        first = _first_epoch(c)
        if first is not None:
            ax.axvline(first, color="tab:red", ls="--", lw=1)
        ax.set_xlabel("epoch")
        ax.legend(ncol=3, fontsize="small")
    else:
        colours = ["tab:blue" if x.agrees else "tab:red" for x in checks]
        ax.bar(list(BLOG_NAMES), [max(x.difference, ZERO) for x in checks], color=colours)
        ax.set_xlabel("parameter (after training)")
    ax.axhline(limit, color="gray", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_ylabel("|yours - reference|")
    ax.set_title(f"Weight differences (dotted: the largest allowed; 0 drawn at {ZERO:g})")
    ax.grid(True, alpha=0.3)


def draw(path: Path, c: Comparison) -> None:
    from matplotlib.figure import Figure

    with_weights = bool(c.stage_checks("weights"))
    figure = Figure(figsize=(7, 7.5 if with_weights else 4))
    axes = figure.subplots(2 if with_weights else 1, 1, squeeze=False)[:, 0]
    _loss_panel(axes[0], c)
    if with_weights:
        _weight_panel(axes[1], c)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
