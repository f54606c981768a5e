"""scalar_backward is torch.autograd.backward for a scalar loss: the same gradients, bit for bit."""

from __future__ import annotations

import pytest
import torch

from net221.backward import scalar_backward
from net221.init import initial_parameters
from net221.losses import binary_cross_entropy, mse_loss
from net221.network import COLUMN_MEMBERS, Net221


@pytest.mark.parametrize("members", [1, 3, COLUMN_MEMBERS])
@pytest.mark.parametrize("loss_fn", [mse_loss, binary_cross_entropy])
def test_same_gradients_as_torch_autograd_backward(members: int, loss_fn: object) -> None:
    assert callable(loss_fn)
    x = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(members))
    y = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0]], dtype=torch.float64).expand(members, 5, 1)
    start = initial_parameters("normal", members=members, seed=4)
    ours, theirs = Net221(members=members, initial=start), Net221(members=members, initial=start)
    backward = scalar_backward(torch.device("cpu"))
    assert backward is not torch.autograd.backward
    for _ in range(2):  # the second call accumulates into .grad, as backward() does
        backward(loss_fn(ours(x), y, reduction="sum"))
        torch.autograd.backward(loss_fn(theirs(x), y, reduction="sum"))
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert a.grad is not None and b.grad is not None
        assert torch.equal(a.grad, b.grad)


def test_a_loss_that_is_not_a_scalar_gets_torchs_error() -> None:
    model = Net221(members=2)
    out = model(torch.zeros(3, 2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        scalar_backward(torch.device("cpu"))(mse_loss(out, torch.ones_like(out), reduction="none"))


def test_a_complex_loss_gets_torchs_error() -> None:
    weight = torch.ones(2, dtype=torch.complex128, requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        scalar_backward(torch.device("cpu"))((weight * weight).sum())


def test_other_devices_use_torch_autograd_backward() -> None:
    assert scalar_backward(torch.device("meta")) is torch.autograd.backward
