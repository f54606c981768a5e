"""Calling a user's formula so that it can neither hang a check nor change torch's global state.

Layer: training (checks). `call_isolated(function, timeout)` returns `function()`,
and around the call

- saves torch's global state that a formula might change (grad mode, the default
  dtype, the number of threads, the CPU random generator) and restores it after;
- stops the call after `timeout` seconds (None: no limit) with TimeLimitExceeded.
  In the main thread, where a command and a notebook run, a SIGALRM timer raises
  it inside the formula: pure-Python loops and sleeps are interrupted alike, and
  it is raised again every REPEAT seconds in case the formula catches it. In any
  other thread, or when the process's own SIGALRM timer is in use, the formula
  runs in a daemon thread that is waited for `timeout` seconds. A thread cannot
  be stopped: one that never returns runs on, and ends with the process, which
  does not wait for it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import torch

T = TypeVar("T")

REPEAT = 0.05  # seconds between alarms once the time is up


class TimeLimitExceeded(BaseException):
    """The call did not return in time. Not an Exception, so that a formula's own
    `except Exception:` does not swallow it."""


@dataclass(frozen=True)
class TorchState:
    """The global torch settings a formula can change without meaning to change ours."""

    grad_enabled: bool
    default_dtype: torch.dtype
    num_threads: int
    rng_state: torch.Tensor

    @classmethod
    def now(cls) -> TorchState:
        import torch  # here, so that importing the checks (a command's --help) does not load torch

        return cls(
            torch.is_grad_enabled(), torch.get_default_dtype(), torch.get_num_threads(), torch.get_rng_state()
        )

    def restore(self) -> None:
        import torch

        torch.set_grad_enabled(self.grad_enabled)
        if torch.get_default_dtype() != self.default_dtype:
            torch.set_default_dtype(self.default_dtype)
        if torch.get_num_threads() != self.num_threads:
            torch.set_num_threads(self.num_threads)
        torch.set_rng_state(self.rng_state)


def call_isolated(function: Callable[[], T], timeout: float | None) -> T:
    """function(), with torch's global state restored after it and at most `timeout` seconds."""
    state = TorchState.now()
    try:
        if timeout is None:
            return function()
        if _can_use_alarm():
            return _with_alarm(function, timeout)
        return _in_thread(function, timeout)
    finally:
        state.restore()


def _can_use_alarm() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )


def _with_alarm(function: Callable[[], T], timeout: float) -> T:
    fired = False

    def time_is_up(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        fired = True
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, time_is_up)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout, REPEAT)
        try:
            result = function()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
    if fired:  # the formula caught the exception, then returned: still too late
        raise TimeLimitExceeded
    return result


def _in_thread(function: Callable[[], T], timeout: float) -> T:
    returned: list[T] = []
    raised: list[BaseException] = []

    def run() -> None:
        try:
            returned.append(function())
        except BaseException as exc:  # handed over to the waiting thread
            raised.append(exc)

    worker = threading.Thread(target=run, name="net221-formula", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeLimitExceeded
    if raised:
        raise raised[0]
    return returned[0]
