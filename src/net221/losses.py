"""The configs' two losses: torch's own loss kernels, called without the functional wrappers.

Layer: core. `mse_loss` and `binary_cross_entropy` compute exactly what
torch.nn.functional's functions of the same names compute for a prediction and a
target of one shape: the same kernels, so the same values and gradients bit for
bit (tests/test_losses.py). They leave out the wrappers' per-call Python work
(legacy arguments, size warnings, broadcasting views with their own autograd
nodes), which costs about a tenth of a per-sample training step of this network.
Unlike them, they take no legacy `size_average`/`reduce` arguments (`reduction` is
the third), and shapes that differ are an error rather than broadcast.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["REDUCTIONS", "binary_cross_entropy", "mse_loss"]

REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}

# torch's bindings take the reduction as an int (as the functional wrappers pass it)
_mse_kernel: Callable[..., torch.Tensor] = torch._C._nn.mse_loss
_bce_kernel: Callable[..., torch.Tensor] = torch._C._nn.binary_cross_entropy


def _reduction(reduction: str) -> int:
    try:
        return REDUCTIONS[reduction]
    except KeyError:
        raise ValueError(f"reduction must be one of {list(REDUCTIONS)}, got {reduction!r}") from None


def _check_shapes(y_pred: torch.Tensor, y_true: torch.Tensor) -> None:
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"prediction and target shapes differ: {tuple(y_pred.shape)} and {tuple(y_true.shape)}"
        )


def mse_loss(y_pred: torch.Tensor, y_true: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """(y_true - y_pred)^2, reduced: the blog's loss."""
    _check_shapes(y_pred, y_true)
    return _mse_kernel(y_pred, y_true, _reduction(reduction))


def binary_cross_entropy(y_pred: torch.Tensor, y_true: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """-(y log p + (1 - y) log(1 - p)), reduced; each log is clamped at -100 as torch does."""
    _check_shapes(y_pred, y_true)
    return _bce_kernel(y_pred, y_true, None, _reduction(reduction))
