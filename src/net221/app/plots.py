"""Pictures of a run or a sweep. matplotlib is imported here only, on first use.

Layer: app. Figures are drawn with matplotlib's object API onto the Agg canvas:
no pyplot, no global figure state, and a lighter import. The figure functions
take plain data (lists, NumPy arrays), so that a `PlotWorker` can draw them in a
separate Python process.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Concatenate, ParamSpec

import numpy as np


def _figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    return figure, figure.add_subplot()


def _save(fig: Any, path: Path | IO[bytes]) -> None:
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


def ensemble_band(
    path: Path, epochs: Sequence[int], low: np.ndarray, median: np.ndarray, high: np.ndarray, members: int
) -> None:
    """Median training loss over members with the 10-90 % band (low, high), one value per logged epoch."""
    fig, ax = _figure(6, 4)
    ax.fill_between(epochs, low, high, alpha=0.3, label="10-90 % of members")
    ax.plot(epochs, median, label="median")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(f"Loss over {members:,} members")
    ax.legend()
    ax.grid(True, alpha=0.3)
    _save(fig, path)


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
    raw: np.ndarray,
    labels: np.ndarray,
    axis_labels: Sequence[str],
    label_names: tuple[str, str],
) -> None:
    """Data in raw units coloured by label, and the network's 0.5 contour.

    z[i, j] is P(label = 1) at (xs[j], ys[i]); see `decision_grid`."""
    fig, ax = _figure(6, 4.5)
    shading = ax.contourf(xs, ys, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    fig.colorbar(shading, ax=ax, label=f"P({label_names[1]})")
    if z.min() < 0.5 < z.max():
        ax.contour(xs, ys, z, levels=[0.5], colors="black", linewidths=1.5)
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


# --- drawing in another process -----------------------------------------------------------

# The figures a PlotWorker draws, by name.
FIGURES: dict[str, Callable[..., None]] = {
    figure.__name__: figure for figure in (loss_curve, ensemble_band, decision_boundary, sweep_plot)
}

_Args = ParamSpec("_Args")

# The worker's program: this package, wherever this module was imported from (after
# the standard library, as in this process).
_SERVE = (
    "import sys; {root!r} in sys.path or sys.path.append({root!r}); from net221.app.plots import serve; serve()"
)


class PlotError(RuntimeError):
    """A figure could not be drawn in the plot worker."""


class PlotWorker:
    """Draws figures in a fresh Python process, so that importing matplotlib (about
    0.4 s) and drawing overlap with the caller's own work (importing torch, training).

    The process starts with the worker and imports matplotlib at once; `draw` queues a
    figure's data for it (pickled, written to its stdin by a thread) and returns at
    once. `close` waits until every figure sent is written and raises PlotError if one
    was not. A fresh interpreter, not a fork, because the caller may already be running
    torch's threads. With background=False, or where no process can be started, `draw`
    draws in this process before it returns.

    As a context manager: leaving the block closes the worker; leaving it with an
    exception waits for the figures already sent but raises no PlotError over it.
    """

    def __init__(self, background: bool = True) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: IO[bytes] | None = None
        self._sent: list[str] = []
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        # a frozen application's executable is not a Python interpreter that runs `-c`
        if not background or not sys.executable or getattr(sys, "frozen", False):
            return
        root = str(Path(__file__).resolve().parents[1])
        try:
            # the worker's stderr: a file, not a pipe, so that the worker never blocks writing to it
            self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
            # -P: not the working directory first on sys.path (a random.py there would
            # shadow the standard library), as for a console script
            self._process = subprocess.Popen(
                [sys.executable, "-P", "-c", _SERVE.format(root=root)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._errors,
            )
        except OSError:
            if self._errors is not None:
                self._errors.close()
            self._errors = None
            return
        self._sender = threading.Thread(target=self._send, args=(self._process.stdin,), daemon=True)
        self._sender.start()

    def _send(self, pipe: IO[bytes]) -> None:
        """Write the queued figures to the worker until None comes, then close its stdin. In
        a thread, because a figure's data can be larger than the pipe's buffer and the
        worker may be busy drawing the one before."""
        with contextlib.suppress(OSError):  # the worker has stopped; close() says why
            while (job := self._outbox.get()) is not None:
                pipe.write(job)
                pipe.flush()
        with contextlib.suppress(OSError):
            pipe.close()

    @property
    def in_background(self) -> bool:
        return self._process is not None

    def draw(
        self,
        figure: Callable[Concatenate[Path, _Args], None],
        path: Path,
        *args: _Args.args,
        **kwargs: _Args.kwargs,
    ) -> None:
        """Draw `figure` (one of FIGURES) into `path`."""
        if FIGURES.get(figure.__name__) is not figure:
            raise ValueError(
                f"{figure!r} is not one of the figures a PlotWorker draws ({', '.join(FIGURES)})"
            )
        if self._process is None:
            figure(path, *args, **kwargs)
            return
        self._sent.append(path.name)
        self._outbox.put(pickle.dumps((figure.__name__, path, args, kwargs), pickle.HIGHEST_PROTOCOL))

    def close(self, raise_errors: bool = True) -> None:
        """Wait until every figure sent is written; PlotError (with the worker's traceback)
        if the worker failed. Whatever else it printed (warnings) goes to stderr."""
        process, self._process = self._process, None
        if process is None or self._errors is None or self._sender is None:
            return
        if not self._sent:
            process.terminate()  # serve() turns this into a normal exit: no cache left half-written
        self._outbox.put(None)
        self._sender.join()
        status = process.wait()
        self._errors.seek(0)
        printed = self._errors.read().decode(errors="replace")
        self._errors.close()
        if not self._sent or not raise_errors:
            return
        if status != 0:
            raise PlotError(
                f"the plot worker exited with status {status} before it had drawn all of "
                f"{', '.join(self._sent)}:\n{printed.rstrip()}"
            )
        sys.stderr.write(printed)

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        error_traceback: TracebackType | None,
    ) -> None:
        self.close(raise_errors=error is None)


def _warm_up() -> None:
    """Draw a throwaway figure, so that the first real one finds the fonts, the Agg
    renderer and matplotlib's caches loaded (about 0.05 s less to wait for)."""
    fig, ax = _figure(2, 2)
    ax.contourf([0, 1], [0, 1], [[0, 1], [1, 0]], levels=[0, 0.5, 1], cmap="RdBu_r")
    ax.scatter([0.5], [0.5], c="tab:red", edgecolors="black", label="a")
    ax.plot([0.1, 1], [0.1, 1], label="b")
    ax.set_yscale("log")
    ax.set_title("warm-up")
    ax.legend()
    _save(fig, io.BytesIO())


def serve() -> None:
    """The plot worker's program: import matplotlib and warm up while the parent is busy,
    then draw each figure read from stdin until it is closed. A figure that fails prints
    its traceback to stderr and the process ends with status 1."""
    # terminate() from the parent (no figures wanted after all) unwinds like an error,
    # so that matplotlib's own clean-up (the font cache's lock file) still runs
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    _warm_up()
    failed = False
    source = sys.stdin.buffer
    while True:
        try:
            name, path, args, kwargs = pickle.load(source)
        except EOFError:
            break
        failed |= not _draw(FIGURES[name], path, args, kwargs)
    # Every figure is written and closed. The parent waits for this process to end, and
    # the interpreter's shutdown with matplotlib loaded takes about 0.15 s: skip it.
    sys.stderr.flush()
    os._exit(1 if failed else 0)


def _exit_on_terminate(signum: int, frame: object) -> None:
    raise SystemExit(1)


def _draw(figure: Callable[..., None], path: Path, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Draw one figure; False (its traceback on stderr) if it failed."""
    try:
        figure(path, *args, **kwargs)
    except Exception:
        traceback.print_exc()
        return False
    return True
