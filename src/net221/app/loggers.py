"""Where logged epochs go besides metrics.csv: the console, a progress bar, TensorBoard.

Layer: app.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("net221")


@contextmanager
def progress_bar(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal, advanced by the returned function; elsewhere nothing."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda steps: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)


class TensorBoardSink:
    """A SummaryWriter whose failures (its writer thread's too) are OSErrors naming the log dir."""

    def __init__(self, log_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = log_dir
        with self._named():
            self.writer = SummaryWriter(log_dir=str(log_dir))

    @contextmanager
    def _named(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise OSError(error.errno, error.strerror, str(self.log_dir)) from None

    def write(self, epoch: int, scalars: dict[str, float]) -> None:
        with self._named():
            for name, value in scalars.items():
                self.writer.add_scalar(name, value, epoch)

    def close(self) -> None:
        with self._named():
            self.writer.close()


def tensorboard(log_dir: Path | None) -> TensorBoardSink | None:
    if log_dir is None:
        return None
    try:
        return TensorBoardSink(log_dir)
    except ImportError:
        log.warning(
            "logger=tensorboard skipped: tensorboard is not installed (pip install 'net221[tensorboard]')"
        )
        return None
