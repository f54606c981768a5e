"""net221-compare on the blog's network written the way people write it (tests/checks/realworld/):
other class and method names, files that train on import, comments in other languages, and
trajectory files written by C, JavaScript and Rust programs. Each gets the right verdict and
names the right cause.

The trajectory files are committed beside the programs that wrote them (the command is in each
program's first comment), so these tests need no compiler."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from net221.checks.compare import Comparison, Settings, compare_implementation, compare_trajectory
from net221.checks.usernetwork import ImplementationError

REALWORLD = Path(__file__).resolve().parent / "realworld"
SETTINGS = Settings(epochs=60, points=20)

# class: (the reference's epochs, agrees, fragments of the cause)
IMPLEMENTATIONS = {
    # trains on import, feed_forward, Keras-style epochs from 1 printed after every person
    "netz_beim_import.py:GeschlechtsNetz": (60, True, ["prints its loss inside the per-sample loop"]),
    # forward() and fit(X, y, epochs, learning_rate), "Epoch 1/60 - loss: ..."
    "red_keras.py:RedNeuronal": (60, False, ["epochs are counted from 1"]),
    # dL/dy = -(y - y_pred); train(datos, etiquetas, tasa, iteraciones) runs its own 1000
    "medio_mse.py:RedNeuronal": (1000, False, ["every update is 0.5× the reference's", "½·MSE"]),
    "mauvais_parametre.py:Reseau": (60, False, ["b2 is assigned b3's new value", "b3 never changes"]),
    "sortie_des_entrees.py:NotreReseau": (
        60,
        False,
        ["your output neuron takes x1, x2 where h1, h2 belong"],
    ),
    "shuffled_each_epoch.py:ShuffledNetwork": (60, False, ["the rows are shuffled every epoch"]),
    "weights_drawn_in_train.py:Network": (60, False, ["re-initialised"]),
    "perdita_dimezzata.py:ReteNeurale": (
        60,
        False,
        ["your loss is 0.5× the MSE (½·MSE)", "train() agrees (its final weights)"],
    ),
    "met_de_hand.py:HandNetwerk": (
        60,
        False,
        ["every update is 0.5× the reference's", "and your train() runs 3 epochs, the reference 60"],
    ),
}

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


def assert_diagnosed(c: Comparison, agrees: bool, fragments: list[str]) -> None:
    assert c.diagnosis is not None and c.diagnosis.explained, c.verdict
    assert c.agrees is agrees and c.diagnosis.agrees is agrees, c.verdict
    for fragment in fragments:
        assert fragment in c.diagnosis.cause
    assert "the gradients or the update are wrong" not in c.verdict  # the cause, not the generic advice


@pytest.mark.parametrize("spec", sorted(IMPLEMENTATIONS))
def test_classes_as_people_write_them(spec: str) -> None:
    epochs, agrees, fragments = IMPLEMENTATIONS[spec]
    np.random.seed(3)  # the child process that runs the class inherits both generators
    random.seed(3)
    c = compare_implementation(f"{REALWORLD / spec}", Settings(epochs=epochs, points=20))
    assert_diagnosed(c, agrees, fragments)


@pytest.mark.parametrize("name", sorted(TRAJECTORIES))
def test_trajectory_files_from_other_languages(name: str) -> None:
    agrees, fragments = TRAJECTORIES[name]
    assert_diagnosed(compare_trajectory(REALWORLD / name, SETTINGS), agrees, fragments)


def test_a_feedforward_written_for_a_batch_is_told_it_gets_one_sample() -> None:
    with pytest.raises(ImplementationError, match=r"receives one sample, an array of shape \(2,\)"):
        compare_implementation(f"{REALWORLD / 'batch_feedforward.py'}:BatchNetwork", SETTINGS)


def test_a_misspelled_feedforward_is_pointed_at() -> None:
    with pytest.raises(ImplementationError, match=r"did you mean feedfoward\(\)\?"):
        compare_implementation(f"{REALWORLD / 'misspelled_method.py'}:RedeNeural", SETTINGS)


def test_module_level_functions_in_the_recipes_class_agree() -> None:
    """docs/compare.md's recipe for code with no class: a small class around the module's values."""
    c = compare_implementation(f"{REALWORLD / 'module_wrapper.py'}:Wrapped", Settings(points=20))
    assert c.agrees and c.verdict.startswith("all agree"), c.verdict
