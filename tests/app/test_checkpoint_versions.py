"""Checkpoints of earlier formats: version 1 (a one-member ensemble's tensors) loads as today's Net221."""

from __future__ import annotations

from pathlib import Path

import torch

from net221.app.checkpoint import FORMAT_VERSION, load_checkpoint, model_from_checkpoint
from net221.data import BLOG_SHIFT
from net221.init import initial_parameters
from net221.network import Net221

from conftest import network_from


def version_1(net: Net221) -> dict[str, object]:
    """What net221 0.1.0 wrote: members-first tensors hidden_weight (1, D, H), ..., no model target."""
    return {
        "format": "net221-checkpoint",
        "format_version": 1,
        "model": {"input_dim": 2, "width": 2, "activation": "sigmoid", "dtype": "float64"},
        "state_dict": {
            "hidden_weight": net.hidden.weight.detach().t().reshape(1, 2, 2).clone(),
            "hidden_bias": net.hidden.bias.detach().reshape(1, 1, 2).clone(),
            "output_weight": net.output.weight.detach().t().reshape(1, 2, 1).clone(),
            "output_bias": net.output.bias.detach().reshape(1, 1, 1).clone(),
        },
        "data": {
            "features": ["weight", "height"],
            "target": "gender",
            "positive": "F",
            "label_names": ["male", "female"],
            "normalization": {"shift": list(BLOG_SHIFT), "scale": [1.0, 1.0]},
        },
        "epoch": 1000,
        "optimizer": None,
        "history": [
            {"epoch": 0, "loss": 0.3, "accuracy": 0.5},
            {"epoch": 990, "loss": 0.002, "accuracy": 1.0},
        ],
        "config": {},
    }


def test_a_version_1_checkpoint_loads_as_the_same_network(tmp_path: Path) -> None:
    original = network_from(initial_parameters("normal", seed=4))
    path = tmp_path / "old.pt"
    torch.save(version_1(original), path)
    checkpoint = load_checkpoint(path)
    assert checkpoint["format_version"] == FORMAT_VERSION
    assert checkpoint["model"]["target"] == "net221.network.Net221"
    model = model_from_checkpoint(checkpoint)
    assert model.blog_parameters() == original.blog_parameters()
    x = torch.tensor([[-7.0, -3.0], [20.0, 2.0]], dtype=torch.float64)
    torch.testing.assert_close(model(x), original(x), rtol=0, atol=0)
    assert [row["epoch"] for row in checkpoint["history"]] == [0, 990]
