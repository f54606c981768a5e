"""The figures: PNG files whose titles and labels say what they show."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from net221.app import plots

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
