"""The verdict of a comparison in words: the first stage that disagrees, both numbers with just
enough digits to tell them apart, and what the numbers suggest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from net221.checks.report import counted

if TYPE_CHECKING:
    from net221.checks.compare import Check, Comparison

LOW_PRECISION = 1e-5  # forward-pass differences all below this (relative) look like float32 rounding
GRADCHECK_HINT = "check the partials with net221-gradcheck formula=FILE.py:FUNCTION, then the update"


def show(yours: float, reference: float) -> tuple[str, str]:
    """Both numbers with just enough significant digits (3 or more) to tell them apart."""
    for digits in range(3, 18):
        a, b = f"{yours:#.{digits}g}", f"{reference:#.{digits}g}"
        if a != b:
            break
    return a, b


def _loss_pair(check: Check) -> str:
    """Yours as written; the reference to two more significant digits than yours has."""
    text = check.text or ""
    digits = len(text.lower().partition("e")[0].lstrip("+-0.").replace(".", "")) or 1
    return f"yours {check.text}, reference {check.reference:.{digits + 2}g}"


def _weight_list(checks: list[Check]) -> str:
    shown = [(check.label.split()[-1], *show(check.yours, check.reference)) for check in checks]
    return ", ".join(f"{name} (yours {a}, reference {b})" for name, a, b in shown)


def _first_failure(checks: Sequence[Check]) -> Check | None:
    return next((check for check in checks if not check.agrees), None)


def implementation_verdict(c: Comparison) -> tuple[str | None, str]:
    """(the first stage that disagrees or None, the verdict in words)."""
    s = c.settings
    forward = _first_failure(c.stage_checks("forward"))
    if forward is not None:
        a, b = show(forward.yours, forward.reference)
        small = all(  # False for NaN
            x.difference / max(abs(x.reference), s.abs_floor) < LOW_PRECISION
            for x in c.stage_checks("forward")
        )
        rounding = (
            f" (every difference is below {LOW_PRECISION:g} relative: if yours computes in float32, "
            "raise forward_tolerance= and tolerance=)"
        )
        return "forward", (
            f"forward pass disagrees at the initial weights ({forward.label}: yours {a}, reference {b}): "
            f"look at feedforward{rounding if small else ''}"
        )
    loss = _first_failure(c.stage_checks("loss"))
    if loss is not None:
        return "loss", (
            f"forward pass agrees; the loss first differs at {loss.label} ({_loss_pair(loss)}): "
            f"the gradients or the update are wrong: {GRADCHECK_HINT} and its learning rate "
            f"(the reference trains with lr={s.lr:g} for {counted(s.epochs, 'epoch')})"
        )
    if c.beyond:
        return "loss", (
            f"forward pass agrees; your train logged epoch {c.beyond[-1]} but the reference trains "
            f"{counted(s.epochs, 'epoch')} (set epochs= to the number yours trains)"
        )
    trace = (
        f"loss trace agrees to its printed precision at {counted(len(c.logged), 'epoch')}"
        if c.logged
        else "no loss trace to compare (train printed no 'Epoch N loss: X' lines)"
    )
    if weights := [check for check in c.stage_checks("weights") if not check.agrees]:
        return "weights", f"{trace}, but final weights differ: {_weight_list(weights)}"
    if (prediction := _first_failure(c.stage_checks("predictions"))) is not None:
        a, b = show(prediction.yours, prediction.reference)
        return "predictions", (
            f"{trace} and final weights agree, but the prediction for {prediction.label} differs "
            f"(yours {a}, reference {b}): feedforward after training is not the forward pass at the final weights"
        )
    return None, (
        f"all agree: forward pass at {len(c.stage_checks('forward'))} inputs; {trace}; "
        f"final weights (relative tolerance {s.tolerance:g}); predictions for Emily and Frank"
    )


def trajectory_verdict(c: Comparison) -> tuple[str | None, int | None, str]:
    """(the first stage that disagrees, its epoch, the verdict in words)."""
    s, first = c.settings, _first_failure(c.checks)
    if first is None:
        weights = counted(sum(entry.weights is not None for entry in c.logged), "epoch")
        text = f"all agree: the loss at {counted(len(c.logged), 'logged epoch')} (to its written precision) "
        return None, None, f"{text}and the weights at {weights} (relative tolerance {s.tolerance:g})"
    epoch = int(first.label.split()[1])
    at_epoch = [check for check in c.checks if check.label.split()[:2] == ["epoch", str(epoch)]]
    what = [f"loss {_loss_pair(at_epoch[0])}"] if not at_epoch[0].agrees else []
    if wrong := [check for check in at_epoch[1:] if not check.agrees]:
        what.append(f"weights {_weight_list(wrong)}")
    text = f"the trajectory first differs at epoch {epoch}: {'; '.join(what)}: the gradients or the update "
    return (
        first.stage,
        epoch,
        f"{text}are wrong: {GRADCHECK_HINT} and its learning rate (the reference trains with lr={s.lr:g})",
    )
