"""The direct optimizer step is the same update as optimizer.step()."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from net221.init import initial_parameters
from net221.network import Net221
from net221.optim_step import direct_step


def make(kind: str, model: Net221) -> torch.optim.Optimizer:
    if kind == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.1)
    if kind == "momentum":
        return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    return torch.optim.Adam(model.parameters(), lr=0.01)


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
def test_direct_step_is_bit_identical_to_optimizer_step(kind: str) -> None:
    x = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0]], dtype=torch.float64)
    start = initial_parameters("normal", members=3, seed=2)
    models = [Net221(members=3, initial=start) for _ in range(2)]
    optimizers = [make(kind, model) for model in models]
    steps = [optimizers[0].step, direct_step(optimizers[1])]
    assert steps[1] is not optimizers[1].step
    for _ in range(25):
        for model, step in zip(models, steps, strict=True):
            F.mse_loss(model(x), y.expand(3, 5, 1), reduction="sum").backward()
            step()
            model.zero_grad()
    assert torch.is_grad_enabled()
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(a, b)


def test_hooks_fall_back_to_the_wrapped_step() -> None:
    optimizer = torch.optim.SGD(Net221().parameters(), lr=0.1)
    calls: list[int] = []
    optimizer.register_step_post_hook(lambda *_: calls.append(1))
    step = direct_step(optimizer)
    assert step == optimizer.step


def test_training_does_not_import_the_compiler() -> None:
    code = (
        "import sys, torch, torch.nn.functional as F\n"
        "from net221.network import Net221\n"
        "from net221.optim_step import skip_dynamo_wrappers\n"
        "from net221.trainer import Schedule, train\n"
        "skip_dynamo_wrappers()\n"
        "model = Net221()\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)\n"
        "x = torch.zeros(4, 2, dtype=torch.float64); y = torch.ones(4, 1, dtype=torch.float64)\n"
        "train(model, optimizer, F.mse_loss, x, y, Schedule(3))\n"
        "optimizer.state_dict()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
