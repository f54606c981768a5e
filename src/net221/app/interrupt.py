"""Stopping a run cleanly on SIGINT (Ctrl-C), SIGTERM (SLURM at a time limit, `kill`) or SIGUSR2.

Layer: app. While a run trains, these signals only raise a flag; the training
loop asks for it before every step (`requested`), saves a checkpoint at that
step and stops, and the app exits with 128 + the signal's number (130 for
SIGINT, 143 for SIGTERM) after one line saying how to resume. SIGUSR2 is the
signal a job manager such as submitit asks SLURM to send before a time limit;
it is caught only where such a handler is installed, and that handler is called
after the checkpoint is saved (submitit then requeues the job). The previous
handlers are restored on leaving, so a library user's own handling is kept; a
signal that arrives after the training, while the outputs are written, is
raised again once they are.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

log = logging.getLogger("net221")


class Interrupted(Exception):  # noqa: N818 (a stop asked for, not an error)
    """A run stopped by a signal after saving its checkpoint; `exit_status` is 128 + the signal.

    `pass_on()` calls the handler the signal had before the run (a job manager's)."""

    def __init__(self, message: str, signum: int, pass_on: Callable[[], None] = lambda: None) -> None:
        super().__init__(message)
        self.signum = signum
        self.exit_status = 128 + signum
        self.pass_on = pass_on


class PendingInterrupt:
    """A SIGINT handler that only remembers: net221-train's until the run can stop cleanly.

    While torch loads and Hydra sets the run up, a KeyboardInterrupt raised inside a
    finalizer (which imports and garbage collection run) would be printed and
    dropped, and the run would go on. This handler raises no exception; the run
    acts on it when it starts (`catch_stop_signals`), and the command when it ends."""

    def __init__(self) -> None:
        self.received = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.received = True


class StopSignals:
    """Which stop signal arrived, if any; made by `catch_stop_signals`."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.acted = False  # the run stopped for it (else it is delivered again on leaving)
        self.previous: dict[int, Any] = {}

    def requested(self) -> bool:
        return self.received is not None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            log.warning(f"{signal.Signals(signum).name} received: stopping after this step")

    def pass_on(self) -> None:
        """Hand a borrowed signal (SIGUSR2) to the handler it had before; SIGINT and SIGTERM
        end here, with the exit status."""
        if self.received is None or self.received in (signal.SIGINT, signal.SIGTERM):
            return
        handler = self.previous.get(self.received)
        if callable(handler):
            handler(self.received, None)

    def interrupted(self, what: str) -> Interrupted:
        assert self.received is not None
        self.acted = True
        return Interrupted(what, self.received, self.pass_on)


def _stop_signals() -> list[int]:
    signums: list[int] = [signal.SIGINT, signal.SIGTERM]
    usr2 = getattr(signal, "SIGUSR2", None)
    if usr2 is not None and callable(signal.getsignal(usr2)):
        signums.append(usr2)
    return signums


@contextmanager
def catch_stop_signals() -> Iterator[StopSignals]:
    """Turn the stop signals into a flag while inside; outside the main thread, nothing changes.

    A signal the run did not stop for (it came after the training) is raised again on
    leaving, to the handler restored by then."""
    stop = StopSignals()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    pending = signal.getsignal(signal.SIGINT)
    if isinstance(pending, PendingInterrupt) and pending.received:
        raise KeyboardInterrupt  # Ctrl-C while the run was set up: it ends before it starts
    for signum in _stop_signals():
        stop.previous[signum] = signal.signal(signum, stop.handle)
    try:
        yield stop
    finally:
        for signum, handler in stop.previous.items():
            signal.signal(signum, handler)
        if stop.received is not None and not stop.acted:
            # it came after training, while the outputs were written: its turn now
            signal.raise_signal(stop.received)
