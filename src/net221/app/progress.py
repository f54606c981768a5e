"""A progress bar on a terminal, with the run's log lines printed above it.

Layer: app.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def _on_terminal(handler: logging.Handler) -> bool:
    """A console handler (not a file's) writing to a terminal."""
    if not isinstance(handler, logging.StreamHandler) or isinstance(handler, logging.FileHandler):
        return False
    isatty = getattr(handler.stream, "isatty", None)
    return bool(callable(isatty) and isatty())


class _AboveTheBar(logging.Handler):
    """Stands in for a terminal's log handler while a bar is live: each line is printed
    through the bar's console, which draws it above the bar and redraws the bar below."""

    def __init__(self, console: Any, original: logging.Handler) -> None:
        super().__init__(original.level)
        self.console = console
        self.setFormatter(original.formatter)
        self.filters = list(original.filters)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            self.console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
        except Exception:
            self.handleError(record)


@contextmanager
def _log_through(console: Any) -> Iterator[None]:
    root = logging.getLogger()
    swapped = [(h, _AboveTheBar(console, h)) for h in list(root.handlers) if _on_terminal(h)]
    for original, replacement in swapped:
        root.removeHandler(original)
        root.addHandler(replacement)
    try:
        yield
    finally:
        for original, replacement in swapped:
            root.removeHandler(replacement)
            root.addHandler(original)


@contextmanager
def progress_bar(enabled: bool, total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr), advanced by the returned function; elsewhere nothing.

    While it is live, log lines bound for a terminal are printed through the bar's console,
    above the bar, so that a line never starts on the bar's leftover characters."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda steps: None
        return
    from rich.console import Console
    from rich.progress import Progress

    console = Console(file=sys.stderr)
    with Progress(console=console, transient=True) as bar, _log_through(console):
        task = bar.add_task(description, total=total)
        yield lambda steps: bar.advance(task, steps)
