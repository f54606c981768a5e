"""net221.losses against torch.nn.functional: the same values and gradients, bit for bit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from net221.losses import REDUCTIONS, binary_cross_entropy, mse_loss

PAIRS: list[tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]] = [
    (mse_loss, F.mse_loss),
    (binary_cross_entropy, F.binary_cross_entropy),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
@pytest.mark.parametrize("reduction", list(REDUCTIONS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_same_values_and_gradients_as_torch(
    ours: Callable[..., torch.Tensor], theirs: Callable[..., torch.Tensor], reduction: str, dtype: torch.dtype
) -> None:
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(7, 5, 1, dtype=dtype, generator=generator)
    # labels 0/1 and soft labels; a prediction of exactly 0 and 1 reaches BCE's log clamp
    y_true = torch.cat([torch.randint(0, 2, (7, 3, 1), generator=generator), torch.rand(7, 2, 1)], 1).to(
        dtype
    )
    logits[0, 0, 0], logits[1, 0, 0] = -torch.inf, torch.inf
    results = []
    for loss_fn in (ours, theirs):
        leaf = logits.clone().requires_grad_()
        y_pred = torch.sigmoid(leaf)
        loss = loss_fn(y_pred, y_true.expand_as(y_pred), reduction=reduction)
        (loss * torch.linspace(0.5, 2, loss.numel(), dtype=dtype).view_as(loss)).sum().backward()
        assert leaf.grad is not None
        results.append((loss.detach(), leaf.grad))
    (our_loss, our_grad), (their_loss, their_grad) = results
    assert torch.equal(our_loss, their_loss) and torch.equal(our_grad, their_grad)


@pytest.mark.parametrize("loss_fn", [mse_loss, binary_cross_entropy])
def test_bad_arguments(loss_fn: Callable[..., torch.Tensor]) -> None:
    y = torch.full((3, 1), 0.5)
    with pytest.raises(ValueError, match=r"shapes differ: \(3, 1\) and \(3,\)"):
        loss_fn(y, y.view(3))
    with pytest.raises(ValueError, match="reduction must be one of \\['none', 'mean', 'sum'\\], got 'avg'"):
        loss_fn(y, y, reduction="avg")
