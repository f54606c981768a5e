"""What a run reports as it trains: the logger components (metrics.csv, TensorBoard, MLflow) and,
on a terminal, a progress bar with the log lines printed above it.

Layer: app. configs/logger/*.yaml build the loggers with `_target_` (`_partial_`: the run directory
and the metric columns come when a run starts); `open_loggers` opens those the config names.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from net221.app.outputs import atomic, is_temporary
from net221.errors import ConfigValueError, OutputError

Row = dict[str, float]  # a logged epoch: {epoch, loss, accuracy, ...}


@contextlib.contextmanager
def named(path: Path) -> Iterator[None]:
    """An OSError names `path` (the file or directory a logger writes), not an internal one."""
    try:
        yield
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None


class Logger(Protocol):
    """`log_params` once (the run's config), `log_metrics` per logged epoch, `close` when the run ends
    (`ok`: False when it failed or was stopped)."""

    def log_params(self, params: dict[str, Any]) -> None: ...  # a logger without parameters: nothing
    def log_metrics(self, row: Row) -> None: ...
    def close(self, ok: bool) -> None: ...


class CSVLogger(Logger):
    """`filename` in the run directory: the header, then each logged epoch's row, flushed, so that a
    run that stops keeps the rows before (a kill may cut the last short). A missing value reads nan."""

    def __init__(self, run_dir: Path, columns: list[str], filename: str = "metrics.csv") -> None:
        self.path, self.columns = run_dir / filename, columns
        with atomic(self.path) as temporary, temporary.open("w", newline="") as handle:
            csv.writer(handle).writerow(columns)  # the header, whole or not at all
        self.handle = self.path.open("a", newline="")  # an OSError here names the path
        self.writer = csv.writer(self.handle)

    def log_metrics(self, row: Row) -> None:
        values = [row.get(c, float("nan")) for c in self.columns]
        with named(self.path):
            self.writer.writerow([v if isinstance(v, int) else repr(float(v)) for v in values])
            self.handle.flush()

    def close(self, ok: bool) -> None:
        with named(self.path):
            self.handle.close()


def tag(column: str) -> str:  # a metric's name in TensorBoard: val_loss -> val/loss, loss_p10 -> loss/p10
    return column.replace("_", "/", 1)


class TensorBoardLogger(Logger):
    """Scalars per logged epoch for TensorBoard, in `log_dir` (relative: inside the run directory)."""

    def __init__(self, run_dir: Path, columns: list[str], log_dir: str = "tensorboard") -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            message = "logger=tensorboard needs TensorBoard: pip install 'net221[tensorboard]'"
            raise ConfigValueError(message) from None
        self.log_dir = run_dir / log_dir
        with named(self.log_dir):
            self.writer = SummaryWriter(log_dir=str(self.log_dir))

    def log_metrics(self, row: Row) -> None:
        with named(self.log_dir):
            for column, value in row.items():
                if column != "epoch":
                    self.writer.add_scalar(tag(column), value, int(row["epoch"]))

    def close(self, ok: bool) -> None:
        with named(self.log_dir):
            self.writer.close()


def flat(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested config as MLflow parameters: {"optimizer.lr": "0.1", ...}."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, dict) and value:
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


class MLflowLogger(Logger):
    """An MLflow run: the config as parameters, each logged epoch's metrics (step = epoch) and, when
    the run succeeds, the run directory's files as artifacts. Without `tracking_uri`, the store is
    a SQLite file in the run directory (mlflow/mlflow.db, artifacts in mlflow/artifacts)."""

    def __init__(
        self, run_dir: Path, columns: list[str], tracking_uri: str | None = None,
        experiment_name: str = "net221", run_name: str | None = None,
    ) -> None:  # fmt: skip
        try:
            from mlflow import MlflowClient
        except ImportError:
            raise ConfigValueError("logger=mlflow needs MLflow: pip install 'net221[mlflow]'") from None
        self.run_dir, self.store = run_dir, run_dir / "mlflow"  # the default store, never an artifact
        self.pending: list[Any] = []  # metrics not yet sent: a batch holds up to 1000
        artifacts = None  # the experiment's artifact location: the store's default
        if not tracking_uri:  # none given (or empty): a store in the run directory
            with named(self.store):
                (self.store / "artifacts").mkdir(parents=True, exist_ok=True)
            tracking_uri = f"sqlite:///{(self.store / 'mlflow.db').absolute()}"
            artifacts = (self.store / "artifacts").absolute().as_uri()
        with self._errors(f"logger.mlflow.tracking_uri={tracking_uri!r}", ConfigValueError):
            self.client = MlflowClient(tracking_uri=tracking_uri)
            found = self.client.get_experiment_by_name(experiment_name)
            experiment = (
                found.experiment_id if found else self.client.create_experiment(experiment_name, artifacts)
            )
            self.run_id = self.client.create_run(experiment, run_name=run_name).info.run_id

    @contextlib.contextmanager
    def _errors(self, where: str, kind: type[Exception] = OutputError) -> Iterator[None]:
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as error:
            raise kind(f"{where}: {str(error.message).splitlines()[0]}") from None

    def log_params(self, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        with self._errors("MLflow"):
            self.client.log_batch(self.run_id, params=[Param(k, v) for k, v in flat(params).items()])

    def log_metrics(self, row: Row) -> None:
        from mlflow.entities import Metric

        epoch, now = int(row["epoch"]), int(time.time() * 1000)
        self.pending += [Metric(k, float(v), now, epoch) for k, v in row.items() if k != "epoch"]
        if len(self.pending) >= 1000:
            self._flush()

    def _flush(self) -> None:
        with self._errors("MLflow"):
            self.client.log_batch(self.run_id, metrics=self.pending)
        self.pending = []

    def close(self, ok: bool) -> None:
        with self._errors("MLflow"):
            self._flush()
            if ok:
                for path in sorted(self.run_dir.iterdir()):  # the store and temporaries are no results
                    if path.is_dir() and path != self.store:
                        self.client.log_artifacts(self.run_id, str(path), artifact_path=path.name)
                    elif path.is_file() and not is_temporary(path):
                        self.client.log_artifact(self.run_id, str(path))
            self.client.set_terminated(self.run_id, "FINISHED" if ok else "FAILED")


@contextlib.contextmanager
def open_loggers(
    config: Any, run_dir: Path, columns: list[str], params: dict[str, Any]
) -> Iterator[Callable[[Row], None]]:
    """The loggers `config` (the `logger` group: {name: {_target_: ..., ...}} or None) names, open
    for one run: yields the function that logs a row to each; each is closed told whether the run
    succeeded."""
    from hydra.utils import instantiate

    with contextlib.ExitStack() as stack:
        opened: list[Logger] = []
        for node in (config or {}).values():
            opened.append(instantiate(node)(run_dir=run_dir, columns=columns))
            stack.push(lambda kind, *_, logger=opened[-1]: logger.close(ok=kind is None))
        for logger in opened:
            logger.log_params(params)

        def log_row(row: Row) -> None:
            for logger in opened:
                logger.log_metrics(row)

        yield log_row


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr), advanced by the returned function; elsewhere nothing.

    While it is live, rich prints what goes to stdout and stderr above it, and the log handlers that
    write to a terminal write there too: a line never starts on the bar's leftover characters."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda steps: None
        return
    from rich.console import Console
    from rich.progress import Progress

    console = Console(file=sys.stderr, soft_wrap=True)
    on_terminal = {
        h: h.stream
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and getattr(h.stream, "isatty", lambda: False)()
    }
    with Progress(console=console, transient=True) as bar:
        if console.is_terminal:  # rich prints sys.stdout and sys.stderr above the bar now: so do these
            for handler in on_terminal:
                handler.setStream(sys.stderr)
        try:
            task = bar.add_task(description, total=total)
            yield lambda steps: bar.advance(task, steps)
        finally:
            for handler, stream in on_terminal.items():
                handler.setStream(stream)
