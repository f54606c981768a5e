"""The NumPy from-scratch trainer and the torch trainer, step for step."""

from __future__ import annotations

import numpy as np
import torch

from net221.data import BLOG_SHIFT, held_out_people
from net221.init import BLOG_NAMES
from net221.loop import EpochLog, EpochPlan, evaluator, train
from net221.numpy_trainer import NumpyNetwork, main

from conftest import network_from

START = dict(zip(BLOG_NAMES, [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05], strict=True))


def test_numpy_and_torch_trajectories_agree(blog_inputs: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = blog_inputs
    baseline = NumpyNetwork(START)
    numpy_history = baseline.train(x, y, learn_rate=0.1, epochs=1000)

    model = network_from(START)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x_tensor, y_tensor = torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)
    logs: list[EpochLog] = []
    train(
        model,
        optimizer,
        torch.nn.MSELoss(),
        x_tensor,
        y_tensor,
        EpochPlan(epochs=1000, batch_size=1, shuffle=False, log_every=10),
        evaluate_epoch=evaluator(model, torch.nn.MSELoss(reduction="none"), x_tensor, y_tensor),
        on_log=logs.append,
    )
    # the blog (and the NumPy trainer) log every 10 epochs; the torch loop also logs the last epoch
    assert [epoch for epoch, _ in numpy_history] == list(range(0, 1000, 10))
    assert [log.epoch for log in logs] == [*range(0, 1000, 10), 999]
    loss_gap = max(abs(log.train.loss[0] - loss) for log, (_, loss) in zip(logs, numpy_history, strict=False))
    assert loss_gap <= 1e-12
    assert abs(logs[-1].train.loss[0] - baseline.loss(x, y)) <= 1e-12
    final = model.blog_parameters()
    weight_gap = max(abs(final[name] - baseline.params[name]) for name in BLOG_NAMES)
    assert weight_gap <= 1e-9


def test_trained_network_predicts_emily_and_frank(blog_inputs: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = blog_inputs
    network = NumpyNetwork(seed=0)
    history = network.train(x, y)
    assert history[-1][1] < 0.01
    emily, frank = (network.feedforward(row) for row in held_out_people().features - np.array(BLOG_SHIFT))
    assert emily > 0.9
    assert frank < 0.1


def test_numpy_trainer_prints_the_blogs_log(capsys) -> None:  # type: ignore[no-untyped-def]
    main(["--seed", "0"])
    lines = capsys.readouterr().out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("Epoch ")]
    assert len(epoch_lines) == 100
    assert epoch_lines[0].startswith("Epoch 0 loss: ") and epoch_lines[-1].startswith("Epoch 990 loss: ")
    assert all(len(line.split("loss: ")[1]) == 5 for line in epoch_lines)  # X.XXX
    emily = float(lines[-2].split(": ")[1])
    frank = float(lines[-1].split(": ")[1])
    assert lines[-2].startswith("Emily") and emily > 0.9
    assert lines[-1].startswith("Frank") and frank < 0.1


def test_same_seed_same_start() -> None:
    from net221.init import initial_parameters

    torch_start = network_from(initial_parameters("normal", seed=3)).blog_parameters()
    assert torch_start == NumpyNetwork(seed=3).params
    assert torch_start != NumpyNetwork(seed=4).params
