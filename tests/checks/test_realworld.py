"""net221-compare on the blog's network written the way people write it (tests/checks/realworld/):
other class and method names, files that train on import, comments in other languages, and
trajectory files written by C, JavaScript and Rust programs. Each gets the right verdict and
the right cause.

The trajectory files are committed beside the programs that wrote them (the command is in each
program's first comment), so these tests need no compiler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from net221.checks import usercode, usernetwork
from net221.checks.compare import Settings, forward_inputs
from net221.checks.diagnosis import diagnose_forward, diagnose_trajectory
from net221.checks.trajectory import read_trajectory

REALWORLD = Path(__file__).resolve().parent / "realworld"
SETTINGS = Settings(epochs=60, points=20)

# trajectory file: (agrees, fragments of the cause)
TRAJECTORIES = {
    "float32_network.csv": (True, ["agrees within float32 rounding"]),
    "epochs_from_one.csv": (False, ["epochs are counted from 1"]),
    "unshifted_data.csv": (False, ["trained on the weights and heights as measured (lb, in)"]),
    "loss_over_three.csv": (
        False,
        ["your loss is 1.33333× the MSE at your own weights", "divided by 3, not 4"],
    ),
}


@pytest.mark.parametrize("name", sorted(TRAJECTORIES))
def test_trajectory_files_from_other_languages(name: str) -> None:
    agrees, fragments = TRAJECTORIES[name]
    trajectory = read_trajectory(REALWORLD / name)
    assert trajectory.initial is not None
    found = diagnose_trajectory(trajectory.initial, SETTINGS, trajectory.epochs)
    assert found.explained and found.agrees is agrees, found.cause
    for fragment in fragments:
        assert fragment in found.cause


def test_an_output_neuron_fed_the_inputs_is_named() -> None:
    """o1 = f(w5·x1 + w6·x2 + b3): h1 and h2 are computed and never reach the output."""
    spec = f"{REALWORLD / 'sortie_des_entrees.py'}:NotreReseau"
    network = usernetwork.UserNetwork(spec)
    network.state["cls"] = usercode.load(spec, "class")
    np.random.seed(3)
    initial = network.construct()[1]
    inputs = forward_inputs(SETTINGS.points, SETTINGS.seed)[1]
    found = diagnose_forward(initial, inputs, network.feedforward(inputs), SETTINGS)
    assert found is not None and found.explained and not found.agrees
    assert found.cause == "your output neuron takes x1, x2 where h1, h2 belong (o1 = f(w5·x1 + w6·x2 + b3))"
