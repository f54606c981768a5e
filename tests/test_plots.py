"""The figures, drawn in this process and in a PlotWorker process."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from net221.app import plots

PNG = b"\x89PNG\r\n\x1a\n"
EPOCHS = list(range(0, 100, 10))
LOSS = [1.0 / (1 + epoch) for epoch in EPOCHS]


def draw_both(figures: plots.PlotWorker, out: Path) -> None:
    raw = np.array([[133.0, 65.0], [160.0, 72.0], [152.0, 70.0], [120.0, 60.0]])
    xs, ys = plots.decision_grid(raw)
    z = 1 / (1 + np.exp(-(xs[None, :] - 140.0) / 10 + 0 * ys[:, None]))
    figures.draw(plots.loss_curve, out / "loss.png", EPOCHS, LOSS, None)
    figures.draw(
        plots.decision_boundary,
        out / "boundary.png",
        xs,
        ys,
        z,
        raw,
        np.array([1.0, 0.0, 0.0, 1.0]),
        ["weight", "height"],
        ("M", "F"),
    )


def test_the_worker_draws_the_same_pictures_as_this_process(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "worker").mkdir()
    with plots.PlotWorker(background=False) as figures:
        assert not figures.in_background
        draw_both(figures, tmp_path / "here")
    with plots.PlotWorker() as figures:
        assert figures.in_background
        draw_both(figures, tmp_path / "worker")
    for name in ("loss.png", "boundary.png"):
        drawn_here = (tmp_path / "here" / name).read_bytes()
        assert drawn_here[:8] == PNG
        assert (tmp_path / "worker" / name).read_bytes() == drawn_here, name


def test_a_figure_the_worker_cannot_draw_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "no such directory" / "loss.png"
    with pytest.raises(plots.PlotError) as raised, plots.PlotWorker() as figures:
        figures.draw(plots.loss_curve, tmp_path / "fine.png", EPOCHS, LOSS, None)
        figures.draw(plots.loss_curve, missing, EPOCHS, LOSS, None)
    message = str(raised.value)
    assert "exited with status 1" in message
    assert "fine.png, loss.png" in message  # the figures sent
    assert "FileNotFoundError" in message  # the worker's own error
    assert (tmp_path / "fine.png").read_bytes()[:8] == PNG


def test_leaving_with_an_error_keeps_that_error_and_the_figures_sent(tmp_path: Path) -> None:
    with pytest.raises(KeyError), plots.PlotWorker() as figures:
        figures.draw(plots.loss_curve, tmp_path / "loss.png", EPOCHS, LOSS, None)
        figures.draw(plots.loss_curve, tmp_path / "missing" / "loss.png", EPOCHS, LOSS, None)
        raise KeyError("the caller's own error")  # not a PlotError
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG


def test_leaving_before_any_figure_ends_the_worker_at_once() -> None:
    with pytest.raises(KeyError), plots.PlotWorker() as figures:
        process = figures._process
        assert process is not None and process.poll() is None
        raise KeyError("early")
    assert process.returncode is not None  # ended and reaped, without waiting for its warm-up
    assert not figures.in_background


def test_only_the_known_figures_are_sent(tmp_path: Path) -> None:
    def loss_curve(path: Path) -> None:  # the name of a figure, but another function
        path.write_text("mine")

    with plots.PlotWorker() as figures, pytest.raises(ValueError, match="not one of the figures"):
        figures.draw(loss_curve, tmp_path / "loss.png")


def test_the_worker_does_not_import_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "random.py").write_text("raise ImportError('the working directory was searched')\n")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        with plots.PlotWorker() as figures:
            figures.draw(plots.loss_curve, tmp_path / "loss.png", EPOCHS, LOSS, None)
    finally:
        os.chdir(cwd)
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG


def test_a_figure_that_fails_is_reported_with_its_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plots._draw(plots.loss_curve, tmp_path / "loss.png", (EPOCHS, LOSS, None), {})
    assert not plots._draw(plots.loss_curve, tmp_path / "missing" / "loss.png", (EPOCHS, LOSS, None), {})
    assert "FileNotFoundError" in capsys.readouterr().err
