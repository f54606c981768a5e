"""Training runs: the reference's (and its options), and another implementation's as printed
or written in a trajectory file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from net221.checks.compare import limit
from net221.checks.trajectory import (
    MAX_EPOCHS,
    TrajectoryError,
    blog_training_data,
    parse_printed,
    read_trajectory,
    reference_run,
    resolution,
)
from net221.data import BLOG_SHIFT, blog_dataset
from net221.derivation import blog_partials
from net221.init import BLOG_NAMES
from net221.loop import EpochLog, EpochPlan, evaluator, train

from conftest import network_from

START = dict(zip(BLOG_NAMES, [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05], strict=True))


# --- the reference ---------------------------------------------------------------------------------


def test_the_reference_is_the_torch_loop_step_for_step() -> None:
    """reference_run = Net221 trained by net221.loop (per-sample SGD, MSE) from the same values."""
    run = reference_run(START, lr=0.1, epochs=300, weights_at=[0, 150, 299])
    data, labels = blog_training_data()
    x, y = torch.tensor(data, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64).reshape(-1, 1)
    model = network_from(START)
    logs: list[EpochLog] = []
    weights: dict[int, dict[str, float]] = {}

    def on_log(log: EpochLog) -> None:
        logs.append(log)
        weights[log.epoch] = model.blog_parameters()

    train(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        torch.nn.MSELoss(),
        x,
        y,
        EpochPlan(300, batch_size=1, shuffle=False, log_every=1),
        evaluate_epoch=evaluator(model, torch.nn.MSELoss(reduction="none"), x, y),
        on_log=on_log,
    )
    assert [log.epoch for log in logs] == list(range(300))
    assert max(abs(run.loss[log.epoch] - log.train.loss[0]) for log in logs) < 1e-12
    for epoch in (0, 150, 299):
        assert max(abs(run.weights[epoch][n] - weights[epoch][n]) for n in BLOG_NAMES) < 1e-12
    assert run.final == run.weights[299]


def test_the_references_options_are_the_ways_implementations_differ() -> None:
    plain = reference_run(START, epochs=20)
    assert reference_run(START, epochs=20, order=lambda epoch: [0, 1, 2, 3]).final == plain.final
    reversed_rows = reference_run(START, epochs=20, order=lambda epoch: [3, 2, 1, 0])
    assert reversed_rows.final != plain.final
    half = reference_run(
        START, epochs=20, partials=lambda **kw: {k: v / 2 for k, v in blog_partials(**kw).items()}
    )
    assert half.final == pytest.approx(reference_run(START, lr=0.05, epochs=20).final, abs=1e-15)
    single = reference_run(START, epochs=20, dtype=np.float32)
    assert all(float(np.float32(v)) == v for v in single.final.values())
    assert max(abs(single.final[n] - plain.final[n]) for n in BLOG_NAMES) < 1e-5
    rng = np.random.default_rng(0)
    shuffled = reference_run(START, epochs=5, order=lambda epoch: rng.permutation(4).tolist())
    assert np.all(np.isfinite(shuffled.loss)) and len(shuffled.loss) == 5


def test_the_blogs_data_as_the_blog_writes_it() -> None:
    data, labels = blog_training_data()
    assert data.dtype == labels.dtype == np.int64
    assert data.tolist() == [[-2, -1], [25, 6], [17, 4], [-15, -6]]
    assert labels.tolist() == [1, 0, 0, 1]
    assert np.array_equal(data, blog_dataset().features - np.array(BLOG_SHIFT))


# --- printed loss lines ---------------------------------------------------------------------------


def test_loss_lines_in_many_spellings() -> None:
    output = "\n".join(
        [
            "Epoch 0 loss: 0.335",
            "starting",
            "epoch 10, loss = 0.25",
            "Epoch: 20 Loss: 2.5e-01",
            "Epoch 30/1000 - loss: 0.2",
            "[Epoch 40] loss 0.1500",
            "Epoch 50 loss: nan",
            "Emily: 0.968",
            "Epoch 60 accuracy: 0.75",
        ]
    )
    found = parse_printed(output)
    assert [(e.epoch, e.text) for e in found] == [
        (0, "0.335"),
        (10, "0.25"),
        (20, "2.5e-01"),
        (30, "0.2"),
        (40, "0.1500"),
        (50, "nan"),
    ]
    assert [resolution(e.text) for e in found[:5]] == pytest.approx([1e-3, 1e-2, 1e-2, 1e-1, 1e-4])
    assert math.isnan(found[5].loss)


def test_a_printed_loss_agrees_within_half_its_last_digit() -> None:
    bound = limit(0.2865, 1e-9, 1e-6, resolution("0.287"))
    assert abs(0.287 - 0.2865) <= bound  # a tie rounds either way
    assert abs(0.287 - 0.28749) <= bound
    assert not abs(0.287 - 0.2876) <= bound
    assert limit(2.0, 1e-9, 1e-6) == pytest.approx(2e-9)  # full precision: relative
    assert limit(0.0, 1e-9, 1e-6) == pytest.approx(1e-15)  # ... down to abs_floor


HEADER = "epoch,loss," + ",".join(BLOG_NAMES)
INIT = "init,," + ",".join(["0.5"] * 9)
WEIGHTS = ",".join(["0.5"] * 9)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (None, "no such trajectory file"),
        ("", "empty; expected the header epoch,loss,w1"),
        ("epoch,loss\n0,0.3\n", "run.csv:1: the header must be epoch,loss,w1,w2,w3,w4,w5,w6,b1,b2,b3"),
        (
            f"{HEADER}\n0,0.3,{WEIGHTS}\n",
            "run.csv:2: the init row (initial w1..b3) must come before the epochs",
        ),
        (f"{HEADER}\n{INIT}\n", "run.csv: no logged epochs after the init row"),
        (f"{HEADER}\n# only a comment\n", "run.csv: no init row"),
        (f"{HEADER}\ninit,,0.5,0.5\n", "run.csv:2: 4 cells, expected 11"),
        (f"{HEADER}\ninit,,0.5,,0.5,0.5,0.5,0.5,0.5,0.5,0.5\n0,0.3,,,,,,,,,\n", "run.csv:2: no value for w2"),
        (f"{HEADER}\n{INIT}\n{INIT}\n", "run.csv:3: the init row must come once"),
        (f"{HEADER}\n{INIT}\n0,abc,,,,,,,,,\n", "run.csv:3: loss 'abc' is not a number"),
        (f"{HEADER}\n{INIT}\n0,,,,,,,,,,\n", "run.csv:3: no loss for epoch 0"),
        (f"{HEADER}\n{INIT}\n0,nan,,,,,,,,,\n", "run.csv:3: loss is nan"),
        (f"{HEADER}\n{INIT}\n0,0.3,{WEIGHTS.replace('0.5', 'nan', 1)}\n", "run.csv:3: w1 is nan"),
        (f"{HEADER}\n{INIT}\n0,0.3,0.5,0.5,,,,,,,\n", "run.csv:3: no value for w3, w4"),
        (
            f"{HEADER}\n{INIT}\n10,0.3,,,,,,,,,\n5,0.2,,,,,,,,,\n",
            "run.csv:4: epoch 5 does not follow epoch 10",
        ),
        (f"{HEADER}\n{INIT}\n-1,0.3,,,,,,,,,\n", "run.csv:3: epoch '-1' is not a whole number"),
    ],
)
def test_a_trajectory_file_that_cannot_be_read(tmp_path: Path, text: str | None, fragment: str) -> None:
    path = tmp_path / "run.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(TrajectoryError) as error:
        read_trajectory(path)
    assert "\n" not in str(error.value)
    assert fragment in str(error.value), str(error.value)


def test_a_trajectory_may_give_weights_at_some_epochs_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    path.write_text(f"# from my C program\n{HEADER}\n\n{INIT}\n0,0.25,,,,,,,,,\n7,0.2,{WEIGHTS}\n")
    trajectory = read_trajectory(path)
    assert trajectory.initial == dict.fromkeys(BLOG_NAMES, 0.5)
    assert [(e.epoch, e.weights is None) for e in trajectory.epochs] == [(0, True), (7, False)]


def test_a_byte_order_mark_before_the_header_is_not_part_of_it(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    path.write_text(f"{HEADER}\n{INIT}\n0,0.25,,,,,,,,,\n", encoding="utf-8-sig")
    assert [e.epoch for e in read_trajectory(path).epochs] == [0]


def test_an_epoch_beyond_the_references_last_is_one_line_before_any_training(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    path.write_text(f"{HEADER}\n{INIT}\n0,0.25,,,,,,,,,\n999999999999999,0.1,,,,,,,,,\n")
    with pytest.raises(TrajectoryError) as error:
        read_trajectory(path)
    assert str(error.value) == (
        f"{path}:4: epoch 999999999999999 is beyond the last the reference trains, epoch {MAX_EPOCHS - 1}"
    )


def test_a_name_too_long_to_look_up_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / f"{'a' * 300}.csv"
    with pytest.raises(TrajectoryError) as error:
        read_trajectory(path)
    assert str(error.value) == f"trajectory file {path} cannot be read (File name too long)"
