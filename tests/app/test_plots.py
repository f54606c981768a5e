"""The figures: PNG files whose titles and labels say what they show."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from net221.app import plots

from conftest import train_in_process

PNG = b"\x89PNG\r\n\x1a\n"
EPOCHS = list(range(0, 100, 10))
LOSS = [1.0 / (1 + epoch) for epoch in EPOCHS]
RAW = np.array([[133.0, 65.0], [160.0, 72.0], [152.0, 70.0], [120.0, 60.0]])
LABELS = np.array([1.0, 0.0, 0.0, 1.0])


def test_the_loss_curve_names_its_loss(tmp_path: Path) -> None:
    figure = plots.loss_curve(tmp_path / "loss.png", EPOCHS, LOSS, [2 * v for v in LOSS], "MSELoss")
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG
    axes = figure.axes[0]
    assert "MSELoss" in axes.get_title() and "MSELoss" in axes.get_ylabel()
    assert [line.get_label() for line in axes.get_lines()] == ["training", "validation"]
    np.testing.assert_array_equal(axes.get_lines()[0].get_ydata(), LOSS)


def test_the_decision_boundary_tells_training_from_validation_rows(tmp_path: Path) -> None:
    xs, ys = plots.decision_grid(RAW)
    assert xs[0] < RAW[:, 0].min() and xs[-1] > RAW[:, 0].max()
    z = 1 / (1 + np.exp(-(xs[None, :] - 140.0) / 10 + 0 * ys[:, None]))
    title = "Decision boundary of the best member, 3 (seed 3)"
    figure = plots.decision_boundary(
        tmp_path / "boundary.png", xs, ys, z, (RAW[:3], LABELS[:3]), (RAW[3:], LABELS[3:]),
        ["weight (lb)", "height (in)"], ("male", "female"), title,
    )  # fmt: skip
    assert (tmp_path / "boundary.png").read_bytes()[:8] == PNG
    axes = figure.axes[0]
    assert axes.get_title() == title
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["male (training)", "female (training)", "male (validation)", "female (validation)"]
    # without validation rows the legend names only the classes
    figure = plots.decision_boundary(
        tmp_path / "b2.png", xs, ys, z, (RAW, LABELS), None, ["a", "b"], ("male", "female"), "t"
    )
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["male", "female"]


def test_the_ensemble_band_holds_the_median_between_the_percentiles(tmp_path: Path) -> None:
    median = np.array(LOSS)
    figure = plots.ensemble_band(
        tmp_path / "band.png", EPOCHS, median / 2, median, median * 2, 10_000, "BCELoss"
    )
    axes = figure.axes[0]
    assert axes.get_title() == "BCELoss over 10,000 members"
    np.testing.assert_array_equal(axes.get_lines()[0].get_ydata(), median)


# --- report.png ------------------------------------------------------------------------

SEEDS = ("0", "1", "2")


def finished(x_key: str, values: tuple[str, ...], loss: dict[str, str] | None = None) -> list[Any]:
    """Jobs of a sweep over x_key x trainer.seed with made-up final losses."""
    return [
        (
            {x_key: value, "trainer.seed": seed},
            {"final_loss": 0.01 * (i + 1) * (int(seed) + 1)},
            (loss or {}).get(value, "MSELoss"),
        )
        for i, value in enumerate(values)
        for seed in SEEDS
    ]


def test_categories_are_slots_with_seeds_as_their_spread(tmp_path: Path) -> None:
    jobs = finished("optimizer", ("sgd", "momentum", "adam"))
    figure = plots.sweep_figure(tmp_path / "report.png", jobs, ["optimizer", "trainer.seed"])
    assert (tmp_path / "report.png").read_bytes()[:8] == PNG
    axes = figure.axes[0]
    assert [label.get_text() for label in axes.get_xticklabels()] == ["sgd", "momentum", "adam"]
    assert axes.get_xlabel() == "optimizer"
    points = np.vstack([collection.get_offsets() for collection in axes.collections])
    assert points.shape == (9, 2)  # every seed a point ...
    assert sorted(set(points[:, 0])) == [0, 1, 2]  # ... in its optimizer's slot
    medians = [line.get_ydata()[0] for line in axes.get_lines()]  # one bar per optimizer, at the median
    assert medians == pytest.approx([0.02, 0.04, 0.06])
    assert all(len(line.get_xdata()) == 2 for line in axes.get_lines())  # no line across seeds
    assert "trainer.seed" in figure.texts[0].get_text() and "median" in figure.texts[0].get_text()


def test_different_losses_get_a_panel_each(tmp_path: Path) -> None:
    jobs = finished("loss", ("mse", "bce"), {"mse": "MSELoss", "bce": "BCELoss"})
    figure = plots.sweep_figure(tmp_path / "report.png", jobs, ["loss", "trainer.seed"])
    assert [ax.get_ylabel() for ax in figure.axes] == ["final loss, MSELoss", "final loss, BCELoss"]
    assert "not comparable" in figure.texts[0].get_text()
    one = plots.sweep_figure(tmp_path / "one.png", finished("optimizer", ("sgd", "adam")), ["optimizer"])
    assert len(one.axes) == 1


def test_integer_values_get_integer_ticks_all_labelled(tmp_path: Path) -> None:
    jobs = finished("model.width", ("1", "2", "4", "8"))
    axes = plots.sweep_figure(tmp_path / "report.png", jobs, ["model.width", "trainer.seed"]).axes[0]
    assert list(axes.get_xticks()) == [1, 2, 4, 8]
    assert [label.get_text() for label in axes.get_xticklabels()] == ["1", "2", "4", "8"]
    assert axes.get_xscale() == "log" and not axes.xaxis.get_minorticklocs().size
    median = axes.get_lines()[0]  # a line through the median over seeds at each width
    assert list(median.get_xdata()) == [1, 2, 4, 8]
    assert list(median.get_ydata()) == pytest.approx([0.02, 0.04, 0.06, 0.08])


def test_an_optuna_search_plots_its_objective(tmp_path: Path) -> None:
    trials = [
        ({"optimizer.lr": lr, "model.width": width}, {"final_loss": 0.3, "final_val_loss": val}, "BCELoss")
        for lr, width, val in (("0.0123456789", "2", 0.5), ("0.5", "4", 0.4), ("1.5", "2", 0.6))
    ]
    keys = ["optimizer.lr", "model.width"]
    assert plots.sweep_y(trials, optuna=True) == "final_val_loss"
    figure = plots.sweep_figure(tmp_path / "report.png", trials, keys, optuna=True)
    axes = figure.axes[0]
    assert axes.get_ylabel() == "final validation loss, BCELoss"
    assert "the objective Optuna minimized" in figure.texts[0].get_text()
    assert axes.get_xlabel() == "optimizer.lr" and not axes.get_lines()  # trials are points, not a line
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["model.width=2", "model.width=4"]


def test_ensembles_plot_their_convergence_rate() -> None:
    jobs = [({"optimizer.lr": "0.1"}, {"final_loss": 0.002, "convergence_rate": 0.9999}, "MSELoss")]
    assert plots.sweep_y(jobs, optuna=False) == "convergence_rate"
    assert plots.sweep_x(jobs, ["optimizer.lr"]) == ("optimizer.lr", True)
    assert plots.sweep_x(jobs, ["trainer.seed"]) == (None, False)  # seeds are never an axis


def test_a_runs_figures_say_what_they_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    titles: dict[str, str] = {}

    def spy(name: str) -> Any:
        draw = getattr(plots, name)

        def drawn(path: Path, *args: Any) -> Any:
            figure = draw(path, *args)
            name = re.sub(r"^\.(.+)\.\d+\.tmp(\.\w+)$", r"\1\2", path.name)  # drawn to a temporary file
            titles[f"{path.parent.name}/{name}"] = figure.axes[0].get_title()
            return figure

        return drawn

    for name in ("loss_curve", "ensemble_band", "decision_boundary"):
        monkeypatch.setattr(plots, name, spy(name))
    train_in_process(tmp_path / "single", "trainer.epochs=20", "loss=bce")
    train_in_process(tmp_path / "ensemble", "trainer.members=8", "trainer.epochs=20", "trainer.seed=5")
    best = json.loads((tmp_path / "ensemble" / "summary.json").read_text())["ensemble"]["best_member"]
    assert titles == {
        "single/loss.png": "BCELoss over the epochs",
        "single/decision_boundary.png": "Decision boundary (P = 0.5)",
        "ensemble/loss.png": "MSELoss over 8 members",
        "ensemble/decision_boundary.png": f"Decision boundary of the best member, {best} (seed {5 + best})",
    }
