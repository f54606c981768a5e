"""net221-compare: another implementation against the reference, stage by stage.

The comparisons run in-process; a few tests run the console script end to end."""

from __future__ import annotations

import dataclasses
import errno
import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from omegaconf import DictConfig

from net221.checks.compare import Comparison, Settings, compare_implementation, compare_trajectory
from net221.checks.trajectory import (
    blog_training_data,
)
from net221.checks.usernetwork import ImplementationError
from net221.init import BLOG_NAMES
from net221.numpy_trainer import NumpyNetwork

from conftest import assert_help_begins, assert_one_line_error, run_in_process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scripts" / "blog_network.py"
PROG = "net221-compare"
START = dict(zip(BLOG_NAMES, [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05], strict=True))

# The example's lines that the variants below change.
DRAW = "draw = np.random.default_rng(0).normal"
FEEDFORWARD_H2 = "h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)"
PARTIAL_W2 = '"w2": dL_dypred * dypred_dh1 * x[1] * slope_h1,'
LEARN_RATE = "learn_rate = 0.1\n"
EPOCHS = "epochs = 1000  # passes over the whole data set"
BIAS_B3 = '"b3": dL_dypred * slope_o1,'
PRINT = 'print(f"Epoch {epoch} loss: {loss:.3f}")'
MAIN = 'if __name__ == "__main__":'


def shortened(epochs: int) -> tuple[str, str]:
    """The change that makes the example train `epochs` epochs (pass epochs= to the reference too)."""
    return (EPOCHS, f"epochs = {epochs}")


# 100 epochs instead of 1000, for the tests where the length of training does not matter
SHORT = shortened(100)


def variant(tmp_path: Path, name: str, *changes: tuple[str, str], seed: int = 3) -> str:
    """A copy of scripts/blog_network.py with each (old, new) applied (old found exactly once),
    drawing its initial values from `seed`; its impl= spec."""
    text = EXAMPLE.read_text()
    for old, new in ((DRAW, f"draw = np.random.default_rng({seed}).normal"), *changes):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return f"{path}:BlogNetwork"


def composed(*overrides: str) -> DictConfig:
    """net221-compare's config, composed with its schema."""
    from hydra import compose, initialize_config_module

    from net221.app.compare import register_schema

    register_schema()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        return compose(config_name="compare", overrides=list(overrides))


def compare(spec: str, timeout: float = 30.0, **settings: Any) -> Comparison:
    return compare_implementation(spec, Settings(timeout=timeout, **settings))


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    return compare(variant(tmp_path_factory.mktemp("correct"), "blog_network"))


# --- a class in the blog's shape ------------------------------------------------------------


def test_the_example_agrees_at_every_stage(correct: Comparison) -> None:
    assert correct.agrees and correct.stage is None
    assert correct.verdict.startswith("all agree: forward pass at 106 inputs; loss trace agrees")
    counts = {
        stage: len(correct.stage_checks(stage)) for stage in ("forward", "loss", "weights", "predictions")
    }
    assert counts == {"forward": 106, "loss": 100, "weights": 9, "predictions": 2}
    assert [entry.epoch for entry in correct.logged] == list(range(0, 1000, 10))
    assert all(entry.text.count(".") == 1 and len(entry.text.split(".")[1]) == 3 for entry in correct.logged)
    # far inside the tolerances: the example does the reference's arithmetic
    assert max(check.difference for check in correct.stage_checks("weights")) < 1e-13
    assert max(check.difference for check in correct.stage_checks("forward")) < 1e-15
    assert correct.output["import"] == correct.output["constructor"] == ""
    assert correct.final is not None and correct.final != correct.initial


def test_the_reference_is_the_blogs_algorithm(correct: Comparison) -> None:
    """The reference trained from the example's initial values = the NumPy trainer (the blog's
    code, step for step) from the same values."""
    baseline = NumpyNetwork(correct.initial)
    data, labels = blog_training_data()
    history = baseline.train(data.astype(float), labels.astype(float), learn_rate=0.1, epochs=1000)
    run = correct.reference
    assert max(abs(run.loss[epoch] - loss) for epoch, loss in history) < 1e-12
    assert max(abs(run.final[name] - baseline.params[name]) for name in BLOG_NAMES) < 1e-9
    assert run.predictions[0] > 0.9 > 0.1 > run.predictions[1]  # Emily female, Frank male


# what the diagnosis names for each mutation that trains wrongly
DIAGNOSED = {
    "wrong_partial": "your update of w2 uses dL/dw2 with x1 for x2",
    "learning_rate": "every update is 2× the reference's: learning rate 0.2",
    "missing_bias_update": "b3 never changes",
}


# Each mutation trains only as long as it takes to show at its stage: the others differ from
# epoch 0, the wrong partial from epoch 190 in the printed loss (before that, only in the weights).
@pytest.mark.parametrize(
    ("name", "change", "epochs", "stage", "start"),
    [
        (
            "forward_bug",
            (FEEDFORWARD_H2, "h2 = sigmoid(self.w3 * x[0] + self.w4 * x[0] + self.b2)"),
            100,
            "forward",
            "forward pass disagrees at the initial weights (Alice: yours ",
        ),
        (
            "wrong_partial",
            (PARTIAL_W2, '"w2": dL_dypred * dypred_dh1 * x[0] * slope_h1,'),
            300,
            "loss",
            "forward pass agrees; the loss first differs at epoch 190 ",
        ),
        (
            "learning_rate",
            (LEARN_RATE, "learn_rate = 0.2\n"),
            100,
            "loss",
            "forward pass agrees; the loss first differs at epoch 0 ",
        ),
        (
            "missing_bias_update",
            (BIAS_B3, '"b3": 0.0,'),
            100,
            "loss",
            "forward pass agrees; the loss first differs at epoch ",
        ),
    ],
)
def test_a_mutation_fails_at_its_stage(
    tmp_path: Path, name: str, change: tuple[str, str], epochs: int, stage: str, start: str
) -> None:
    c = compare(variant(tmp_path, name, shortened(epochs), change), epochs=epochs)
    assert c.stage == stage, c.verdict
    assert c.verdict.startswith(start), c.verdict
    if stage == "forward":
        assert c.verdict.endswith("look at feedforward")  # a real bug: no hint about float32
        assert not c.stage_checks("forward")[0].agrees  # Alice, the first input
    else:
        assert all(check.agrees for check in c.stage_checks("forward"))
        assert c.diagnosis is not None and c.diagnosis.explained  # the cause leads the verdict line
        assert DIAGNOSED[name] in c.diagnosis.cause
    if name == "missing_bias_update":
        assert c.final is not None and c.final["b3"] == c.initial["b3"]


def test_a_hypothesis_is_tested_by_re_running_the_reference(tmp_path: Path) -> None:
    """rerun: the comparison's reference run again under another learning rate, another order of
    the rows, other partials; the one that explains the other side's numbers matches them."""
    from net221.checks.compare import rerun
    from net221.checks.report import Diagnosis, compare_report, compare_summary

    c = compare(variant(tmp_path, "lr", SHORT, (LEARN_RATE, "learn_rate = 0.2\n")), epochs=100)
    assert c.stage == "loss" and c.final is not None
    assert max(abs(rerun(c, lr=0.2).final[n] - c.final[n]) for n in BLOG_NAMES) < 1e-12
    assert max(abs(rerun(c).final[n] - c.final[n]) for n in BLOG_NAMES) > 1e-3
    assert rerun(c, order=lambda epoch: [3, 2, 1, 0]).final != rerun(c).final
    # a diagnosis leads the verdict line, and the report carries its evidence
    c.diagnosis = Diagnosis("the learning rate is 0.2, not 0.1", [{"hypothesis": "lr=0.2", "explains": True}])
    assert compare_summary(c)[-1].startswith(
        "DISAGREE: the learning rate is 0.2, not 0.1; forward pass agrees;"
    )
    assert compare_report(c)["diagnosis"]["evidence"] == [{"hypothesis": "lr=0.2", "explains": True}]


def test_a_float32_forward_pass_is_told_apart_from_a_bug(tmp_path: Path) -> None:
    single = (
        "return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)",
        "return float(np.float32(sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)))",
    )
    c = compare(variant(tmp_path, "float32", SHORT, single), epochs=100)
    assert c.agrees and c.diagnosis is not None  # float32 rounding is agreement, said so
    assert c.diagnosis.cause == "your feedforward agrees within float32 rounding (it computes in float32)"
    assert c.verdict.startswith("the strict check said: forward pass disagrees at the initial weights")
    assert c.verdict.endswith(
        "look at feedforward (every difference is below 1e-05 relative: if yours computes in float32, "
        "raise forward_tolerance= and tolerance=)"
    )
    assert (
        compare(variant(tmp_path, "float32", SHORT, single), epochs=100, forward_tolerance=1e-6).stage
        != "forward"
    )


def test_a_changed_learning_rate_agrees_when_the_reference_uses_it(tmp_path: Path) -> None:
    c = compare(variant(tmp_path, "lr", SHORT, (LEARN_RATE, "learn_rate = 0.2\n")), lr=0.2, epochs=100)
    assert c.agrees, c.verdict


def test_more_epochs_than_the_reference_is_named_and_can_be_set(tmp_path: Path) -> None:
    spec = variant(tmp_path, "epochs", (EPOCHS, "epochs = 120"))
    c = compare(spec, epochs=100)
    assert c.stage == "loss" and c.beyond == [100, 110]
    assert "your train logged epoch 110 but the reference trains 100 epochs" in c.verdict
    assert compare(spec, epochs=120).agrees


def test_weights_that_differ_below_the_printed_precision(tmp_path: Path) -> None:
    c = compare(variant(tmp_path, "tiny", SHORT, (LEARN_RATE, "learn_rate = 0.1000001\n")), epochs=100)
    assert c.stage == "weights", c.verdict
    assert c.verdict.startswith(
        "loss trace agrees to its printed precision at 10 epochs, but final weights differ: w1 (yours "
    )


FLIPPED = """
class Flipped(BlogNetwork):
    \"\"\"Right until train() returns; then feedforward answers 1 - the output.\"\"\"

    def train(self, data, all_y_trues):
        super().train(data, all_y_trues)
        self.trained = True

    def feedforward(self, x):
        out = super().feedforward(x)
        return 1.0 - out if getattr(self, "trained", False) else out


"""


def test_predictions_that_differ_after_training(tmp_path: Path) -> None:
    spec = variant(tmp_path, "flipped", SHORT, (MAIN, FLIPPED + MAIN)).replace(":BlogNetwork", ":Flipped")
    c = compare(spec, epochs=100)
    assert c.stage == "predictions", c.verdict
    assert c.verdict.startswith(
        "loss trace agrees to its printed precision at 10 epochs and final weights agree, "
        "but the prediction for Emily differs (yours "
    )
    emily = c.stage_checks("predictions")[0]
    assert emily.yours == pytest.approx(1.0 - emily.reference, abs=1e-15)


def test_an_epoch_counted_from_1_is_pointed_out(tmp_path: Path) -> None:
    c = compare(
        variant(tmp_path, "from_one", SHORT, (PRINT, 'print(f"Epoch {epoch + 1} loss: {loss:.3f}")')),
        epochs=100,
    )
    assert c.stage == "loss" and c.diagnosis is not None
    assert c.diagnosis.cause.startswith("epochs are counted from 1 (epoch N shows the loss after")


def test_no_loss_lines_compares_the_rest(tmp_path: Path) -> None:
    from net221.checks.report import compare_report as report

    c = compare(variant(tmp_path, "quiet", SHORT, (PRINT, "pass")), epochs=100)
    assert c.agrees and c.logged == [] and not c.stage_checks("loss")
    assert report(c)["loss_trace_compared"] is False
    assert "no loss trace to compare (train printed no 'Epoch N loss: X' lines)" in c.verdict
    broken = compare(
        variant(tmp_path, "quiet_bias", SHORT, (PRINT, "pass"), (BIAS_B3, '"b3": 0.0,')), epochs=100
    )
    assert broken.stage == "weights"
    assert broken.verdict.startswith("no loss trace to compare")
    assert "final weights differ: " in broken.verdict and "b3 (yours " in broken.verdict


def test_a_file_that_trains_and_prints_at_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = compare(variant(tmp_path, "script", SHORT, (MAIN, "if True:")), epochs=100)
    assert c.agrees, c.verdict
    imported = c.output["import"].splitlines()
    assert (
        len(imported) == 12
        and imported[0].startswith("Epoch 0 loss: ")
        and imported[-1].startswith("Frank: ")
    )
    assert len(c.logged) == 10  # the trace is train()'s own output
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""


# --- code as people write it: other method names, train() with the learning rate and epochs --------

TRAIN_DEF = "def train(self, data: np.ndarray, all_y_trues: np.ndarray) -> None:"


@pytest.mark.parametrize("name", ["feed_forward", "forward", "predict"])
def test_feedforward_under_another_common_name_is_used(tmp_path: Path, name: str) -> None:
    renamed = variant(
        tmp_path,
        name,
        SHORT,
        ("def feedforward(self, x", f"def {name}(self, x"),
        ("self.feedforward(x) for x in data", f"self.{name}(x) for x in data"),
    )
    c = compare(renamed, epochs=100)
    assert c.agrees, c.verdict
    assert c.notes == [f"feedforward: calling {name}()"]


@pytest.mark.parametrize(
    ("parameters", "lr", "epochs"),
    [
        ("learn_rate, epochs", "learn_rate", "epochs"),  # required, positional
        ("lr=0.1, n_epochs=1000", "lr", "n_epochs"),
        ("learning_rate=0.5, *, num_epochs=7", "learning_rate", "num_epochs"),  # keyword-only
    ],
)
def test_train_is_given_the_references_learning_rate_and_epochs(
    tmp_path: Path, parameters: str, lr: str, epochs: str
) -> None:
    takes = variant(
        tmp_path,
        "takes",
        (TRAIN_DEF, f"def train(self, data, all_y_trues, {parameters}):"),
        (LEARN_RATE, f"learn_rate = {lr}\n"),
        (EPOCHS, f"epochs = {epochs}"),
    )
    c = compare(takes, lr=0.2, epochs=30)
    assert c.agrees, c.verdict
    assert c.notes == [f"train: called with {lr}=0.2, {epochs}=30"]
    assert len(c.logged) == 3 and c.reference.loss.shape == (30,)


def test_train_that_needs_something_else_gets_one_line(tmp_path: Path) -> None:
    spec = shaped(tmp_path)
    path = Path(spec.rpartition(":")[0])
    path.write_text(path.read_text().replace("all_y_trues):", "all_y_trues, batch):"))
    with pytest.raises(ImplementationError) as error:
        compare(spec, epochs=10)
    assert str(error.value).startswith(f"{spec}: Net.train() needs batch, which net221-compare cannot give")
    assert "learn_rate" in str(error.value) and "epochs" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("feedforward", "fragment"),
    [
        ("return float(x[:, 0].sum())", "feedforward raised IndexError: too many indices for array"),
        ("return float((x @ np.ones((3, 1)))[0, 0])", "feedforward raised ValueError: matmul"),
        (
            "return np.array([0.5, 0.5])",
            "feedforward([-2.0, -1.0]) returned a ndarray, expected a float (of shape (2,)",
        ),
    ],
)
def test_a_feedforward_written_for_a_batch_gets_a_hint(
    tmp_path: Path, feedforward: str, fragment: str
) -> None:
    spec = shaped(tmp_path, feedforward=feedforward)
    with pytest.raises(ImplementationError) as error:
        compare(spec, epochs=10)
    message = str(error.value)
    assert fragment in message, message
    assert message.endswith("feedforward receives one sample, an array of shape (2,), and returns a float)")


def test_no_feedforward_suggests_a_name(tmp_path: Path) -> None:
    spec = shaped(tmp_path)
    path = Path(spec.rpartition(":")[0])
    path.write_text(path.read_text().replace("def feedforward(", "def feedfoward("))
    with pytest.raises(ImplementationError) as error:
        compare(spec, epochs=10)
    assert str(error.value).endswith(
        "Net has no method feedforward() (nor feed_forward, forward, predict); did you mean feedfoward()?"
    )


# --- an implementation that cannot be run: one line each ---------------------------------------

SHAPE = """
import numpy as np

class Net:
    def __init__(self):
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6
        self.b1, self.b2, self.b3 = 0.0, 0.0, 0.0
{init}
    def feedforward(self, x):
{feedforward}
    def train(self, data, all_y_trues):
{train}
"""


def shaped(
    tmp_path: Path, init: str = "", feedforward: str = "return 0.5", train: str = "pass", top: str = ""
) -> str:
    """A small class in the blog's shape with the given method bodies (one line each)."""
    indent = " " * 8
    body = SHAPE.format(
        init=indent + init if init else "",
        feedforward=indent + feedforward,
        train=indent + train,
    )
    path = tmp_path / "shaped.py"
    path.write_text(top + body)
    return f"{path}:Net"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"top": "raise RuntimeError('no GPU here')\n"}, "importing {path} raised RuntimeError: no GPU here"),
        ({"top": "import sys\nsys.exit(3)\n"}, "importing {path} raised SystemExit: 3"),
        ({"top": "def broken(:\n"}, "importing {path} raised SyntaxError"),
        ({"init": "raise ValueError('bad shape')"}, "Net() raised ValueError: bad shape"),
        (
            {"train": "raise FloatingPointError('overflow in exp')"},
            "train raised FloatingPointError: overflow in exp",
        ),
        ({"feedforward": "raise IndexError('index 2')"}, "feedforward raised IndexError: index 2"),
        ({"feedforward": "return [0.1, 0.2]"}, "feedforward([-2.0, -1.0]) returned a list, expected a float"),
        ({"init": "del self.w3"}, "Net has no attribute w3 (initial values)"),
        ({"init": "self.b2 = float('nan')"}, "b2 is nan (initial values)"),
        ({"init": "self.w5 = 'half'"}, "w5 is a str, not a number (initial values)"),
        ({"train": "self.w4 = np.nan"}, "w4 is nan (after train)"),
        ({"train": "del self.b1"}, "Net has no attribute b1 (after train)"),
        ({"init": "self.train = None"}, "Net has no method train()"),
    ],
)
def test_an_implementation_that_cannot_run(tmp_path: Path, kwargs: dict[str, str], fragment: str) -> None:
    spec = shaped(tmp_path, **kwargs)
    with pytest.raises(ImplementationError) as error:
        compare(spec, epochs=10)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{spec}: ")
    assert fragment.format(path=spec.rpartition(":")[0]) in message, message


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("no/such/network.py:Net", "no/such/network.py:Net: no such file no/such/network.py"),
        ("scripts/blog_network.py:NoSuchClass", "scripts/blog_network.py has no class 'NoSuchClass'"),
        (
            "scripts/blog_network.py:sigmoid",
            "'sigmoid' in scripts/blog_network.py is not a class (it is a function)",
        ),
        ("scripts/blog_network.py", "expected path/to/network.py:ClassName or package.module:ClassName"),
        ("scripts/blog_network.py:", "expected path/to/network.py:ClassName"),
        ("no_such_package_for_compare.net:Net", "no module named 'no_such_package_for_compare'"),
        ("net221.data:Dataset", None),  # a class, but not in the blog's shape
    ],
)
def test_specs_that_name_no_usable_class(
    spec: str, fragment: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(ImplementationError) as error:
        compare(spec, epochs=10)
    assert "\n" not in str(error.value)
    if fragment is None:
        assert "Dataset() raised TypeError" in str(error.value)
    else:
        assert fragment in str(error.value), str(error.value)


HANG = """
import threading
import numpy as np

STOP = threading.Event()


class Net:
    def __init__(self):
        self.w1 = self.w2 = self.w3 = self.w4 = self.w5 = self.w6 = 0.5
        self.b1 = self.b2 = self.b3 = 0.0

    def feedforward(self, x):
        return 0.5

    def train(self, data, all_y_trues):
        while not STOP.is_set():
            print("Epoch 0 loss: 0.250")
"""


def test_a_train_that_never_returns_is_stopped_and_leaves_nothing_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hang.py"
    path.write_text(HANG)
    with pytest.raises(ImplementationError) as error:
        compare(f"{path}:Net", timeout=0.25)  # it spins until stopped: a short limit
    assert str(error.value) == (
        f"{path}:Net: train did not return within 0.25 s (raise the limit with timeout=SECONDS)"
    )
    # it ran in a child process, which is gone: no process, no thread, no module of it here
    assert multiprocessing.active_children() == []
    assert (
        not [t for t in threading.enumerate() if "train" in t.name] and "_net221_user_hang" not in sys.modules
    )
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out + captured.err


# --- trajectory files ------------------------------------------------------------------------------


def write_trajectory(
    path: Path, every: int = 10, weights_every: int = 100, loss_format: str = ".6f", epochs: int = 1000
) -> Path:
    """The NumPy trainer's run from START, written in the trajectory format. The reference trains
    up to the last logged epoch, so fewer epochs make a cheaper comparison."""
    network = NumpyNetwork(START)
    lines = ["epoch,loss," + ",".join(BLOG_NAMES), "init,," + ",".join(repr(START[n]) for n in BLOG_NAMES)]

    def on_log(epoch: int, loss: float) -> None:
        weights = [repr(network.params[n]) for n in BLOG_NAMES] if epoch % weights_every == 0 else [""] * 9
        lines.append(f"{epoch},{loss:{loss_format}}," + ",".join(weights))

    data, labels = blog_training_data()
    network.train(data.astype(float), labels.astype(float), epochs=epochs, log_every=every, on_log=on_log)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_correct_trajectory_agrees(tmp_path: Path) -> None:
    c = compare_trajectory(write_trajectory(tmp_path / "run.csv", epochs=300), Settings())
    assert c.agrees and c.epoch is None, c.verdict
    assert c.verdict == (
        "all agree: the loss at 30 logged epochs (to its written precision) and the weights at 3 epochs "
        "(relative tolerance 1e-09)"
    )
    assert len(c.reference.loss) == 291  # trained up to the last logged epoch, 290
    assert len(c.stage_checks("weights")) == 27
    assert max(check.difference for check in c.stage_checks("weights")) < 1e-9


def test_a_trajectory_of_one_epoch_is_counted_in_the_singular(tmp_path: Path) -> None:
    lines = (
        write_trajectory(tmp_path / "run.csv", every=1, weights_every=1, epochs=1).read_text().splitlines()
    )
    (tmp_path / "one.csv").write_text("\n".join(lines[:3]) + "\n")  # header, init, epoch 0
    c = compare_trajectory(tmp_path / "one.csv", Settings())
    assert c.verdict == (
        "all agree: the loss at 1 logged epoch (to its written precision) and the weights at 1 epoch "
        "(relative tolerance 1e-09)"
    )


def test_a_trajectory_at_full_precision_agrees_to_the_relative_tolerance(tmp_path: Path) -> None:
    path = write_trajectory(tmp_path / "run.csv", every=1, loss_format=".17g", epochs=100)
    c = compare_trajectory(path, Settings())
    assert c.agrees, c.verdict
    assert len(c.stage_checks("loss")) == 100


@pytest.mark.parametrize(
    ("column", "epoch", "stage", "fragment"),
    [
        ("w3", 200, "weights", "weights w3 (yours "),
        ("loss", 150, "loss", "loss yours "),
    ],
)
def test_a_trajectory_with_one_corrupted_epoch(
    tmp_path: Path, column: str, epoch: int, stage: str, fragment: str
) -> None:
    # 400 epochs: agreeing epochs before the corrupted one and after it
    path = write_trajectory(tmp_path / "run.csv", epochs=400)
    rows = path.read_text().splitlines()
    index = next(i for i, row in enumerate(rows) if row.startswith(f"{epoch},"))
    cells = rows[index].split(",")
    position = ["epoch", "loss", *BLOG_NAMES].index(column)
    cells[position] = repr(float(cells[position]) + 1e-3)
    rows[index] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n")
    c = compare_trajectory(path, Settings())
    assert (c.stage, c.epoch) == (stage, epoch)
    assert c.verdict.startswith(f"the trajectory first differs at epoch {epoch}: {fragment}"), c.verdict


# --- the app ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ([], "give exactly one of impl=path/to/network.py:ClassName or trajectory=path/to/run.csv"),
        (["impl=a.py:A", "trajectory=b.csv"], "(got impl and trajectory)"),
        (["impl=a.py:A", "lr=0"], "lr=0.0: must be a finite number > 0"),
        (["impl=a.py:A", "epochs=0"], "epochs=0: must be an integer >= 1"),
        (["impl=a.py:A", "points=-1"], "points=-1: must be an integer >= 0"),
        (["impl=a.py:A", "timeout=0"], "timeout=0.0: must be a finite number > 0"),
        (["impl=a.py:A", "tolerance=-1e-9"], "tolerance=-1e-09: must be a finite number > 0"),
        (["impl=a.py:A", "report=''"], "report='': needs a file name"),
    ],
)
def test_bad_config_values(overrides: list[str], message: str) -> None:
    from net221.app.compare import settings
    from net221.errors import ConfigValueError

    with pytest.raises(ConfigValueError) as error:
        settings(composed(*overrides))
    assert message in str(error.value)


def test_the_app_writes_the_report_the_figure_and_the_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from net221.app.compare import run

    spec = variant(tmp_path, "bias", SHORT, (BIAS_B3, '"b3": 0.0,'), (MAIN, "if True:"))
    with caplog.at_level("INFO", logger="net221"):
        c = run(composed(f"impl={spec}", "epochs=100"), tmp_path / "out")
    assert c.stage == "loss"
    lines = caplog.text
    assert "DISAGREE: b3 never changes; forward pass agrees; the loss first differs at epoch" in lines
    assert " weights       b3 " in lines and "DIFFERS" in lines
    report = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert report["agrees"] is False and report["stage"] == "loss" and report["verdict"] == c.verdict
    assert len(report["checks"]) == len(c.checks) == 106 + 10 + 9 + 2
    assert len(report["reference"]["loss"]) == 100 and len(report["loss_trace"]) == 10
    assert report["initial"] == c.initial and report["final"]["b3"] == c.initial["b3"]
    assert report["printed_lines"] == {"import": 12, "constructor": 0, "train": 10}
    printed = (tmp_path / "out" / "output.txt").read_text()
    assert printed.startswith("--- import ---\nEpoch 0 loss: ") and "--- train ---\nEpoch 0 loss: " in printed
    assert (tmp_path / "out" / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_is_strict_json_when_yours_is_nan(tmp_path: Path) -> None:
    from net221.checks.report import compare_report as report

    spec = shaped(tmp_path, feedforward="return float('nan')", train="print('Epoch 0 loss: nan')")
    c = compare(spec, epochs=1)
    assert c.stage == "forward"
    text = json.dumps(report(c), allow_nan=False)
    data = json.loads(text)
    assert data["checks"][0]["yours"] == "nan" and data["loss_trace"][0]["loss"] == "nan"


def test_the_app_compares_a_trajectory(tmp_path: Path) -> None:
    from net221.app.compare import run
    from net221.checks.report import compare_table as render_table

    path = write_trajectory(tmp_path / "run.csv", epochs=300)
    c = run(composed(f"trajectory={path}"), tmp_path / "out")
    assert c.agrees
    table = render_table(c)
    rows = [line.split() for line in table.splitlines()]
    assert ["loss", "epoch", "0"] in [row[:3] for row in rows]
    assert [row[:4] for row in rows if row[0] == "weights"] == [  # the last epoch with weights
        ["weights", "epoch", "200", n] for n in BLOG_NAMES
    ]
    assert not (tmp_path / "out" / "output.txt").exists()
    assert (tmp_path / "out" / "compare.png").is_file()


# --- the console script ----------------------------------------------------------------------------


def run_compare(tmp_path: Path, *args: str, in_process: bool = False) -> subprocess.CompletedProcess[str]:
    """net221-compare as a console script, or its main() in this process (no new interpreter)."""
    if in_process:
        return run_in_process(PROG, f"hydra.run.dir={tmp_path / 'run'}", *args, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("NET221_TRACEBACK", "HYDRA_FULL_ERROR")}
    command = [str(Path(sys.executable).parent / PROG), f"hydra.run.dir={tmp_path / 'run'}", *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_cli_all_agree_exits_0(tmp_path: Path) -> None:
    spec = variant(tmp_path, "blog_network", SHORT)
    proc = run_compare(tmp_path, f"impl={spec}", "epochs=100", in_process=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "AGREE: all agree: forward pass at 106 inputs" in proc.stdout
    assert json.loads((tmp_path / "run" / "compare.json").read_text())["agrees"] is True


def test_cli_disagreement_exits_1(tmp_path: Path) -> None:
    spec = variant(tmp_path, "bias", SHORT, (BIAS_B3, '"b3": 0.0,'))
    proc = run_compare(tmp_path, f"impl={spec}", "epochs=100", in_process=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    assert "DISAGREE: b3 never changes; forward pass agrees; the loss first differs at epoch " in proc.stdout
    assert json.loads((tmp_path / "run" / "compare.json").read_text())["stage"] == "loss"


def test_cli_a_figure_that_cannot_be_placed_leaves_no_report(tmp_path: Path) -> None:
    spec = variant(tmp_path, "blog_network", SHORT)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "taken").write_text("a file, not a folder")
    proc = run_compare(tmp_path, f"impl={spec}", "epochs=100", "figure=taken/compare.png", in_process=True)
    assert_one_line_error(proc, PROG, "taken")
    assert not (tmp_path / "run" / "compare.json").exists()


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert_one_line_error(
        run_compare(tmp_path, "impl=nowhere.py:Net", in_process=True),
        PROG,
        "impl=nowhere.py:Net: no such file",
    )
    # the installed command, in a child process: a train that never returns ends with the process
    # (the one child of net221-compare here; the thread it leaves spinning goes with it)
    (tmp_path / "stuck.py").write_text(HANG)
    proc = run_compare(tmp_path, "impl=stuck.py:Net", "timeout=0.25")
    assert_one_line_error(proc, PROG, "impl=stuck.py:Net: train did not return within 0.25 s")
    assert "Epoch" not in proc.stdout
    assert (tmp_path / "run" / "error.txt").is_file() and not (tmp_path / "run" / "compare.json").exists()


def test_cli_help_and_version(tmp_path: Path) -> None:
    help_text = run_compare(tmp_path, "--help", in_process=True)
    assert_help_begins(
        help_text,
        "net221-compare: check an implementation of the blog's 2-2-1 network",
        "  net221-compare impl=path/to/network.py",
    )
    described = {
        line.split()[0]: line.rsplit("[", 1)[-1]
        for line in help_text.stdout.splitlines()
        if line.endswith("]")
    }
    schema = {
        field.name: field.default for field in dataclasses.fields(Settings)
    }  # every key, with its default
    assert {name: described.get(name) for name in schema} == {
        name: f"{value}]" for name, value in schema.items()
    }
    assert described["impl"] == described["trajectory"] == "None]"
    assert "== Configuration groups ==" not in help_text.stdout
    version = run_compare(tmp_path, "--version", in_process=True)
    assert (version.returncode, version.stdout) == (0, "net221 0.1.0\n")


def test_ctrl_c_in_the_implementation_says_where(tmp_path: Path) -> None:
    spec = shaped(tmp_path, train="raise KeyboardInterrupt")
    with pytest.raises(KeyboardInterrupt, match=r"^interrupted in impl=.*shaped\.py:Net: train$"):
        compare(spec, epochs=10)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["epochs=1000000000000000"], "epochs=1000000000000000: must be at most 1,000,000"),
        (["points=100000000000"], "points=100000000000: must be at most 100,000"),
        (["timeout=1e300"], "timeout=1e+300: must be at most 1,000,000"),
        (
            ["figure=compare.xyz"],
            "figure=compare.xyz: the file name must end in a figure format (.avif,",
        ),
        (["figure=compare"], "figure=compare: the file name must end in a figure format ("),
    ],
)
def test_sizes_beyond_their_bounds_and_a_figure_matplotlib_cannot_write_are_refused(
    overrides: list[str], message: str
) -> None:
    from net221.app.compare import settings
    from net221.errors import ConfigValueError

    with pytest.raises(ConfigValueError) as error:
        settings(composed("impl=a.py:A", *overrides))
    assert str(error.value).startswith(message), str(error.value)


@pytest.mark.parametrize("name", ["output.txt", "compare.png"])
def test_an_output_that_cannot_be_written_leaves_the_last_one_whole_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from net221.app import compare as app
    from net221.app import plots

    spec = variant(tmp_path, "blog_network", shortened(2))
    (out := tmp_path / "out").mkdir()
    (out / name).write_text("the last run's\n")
    write_text, draw = Path.write_text, plots.compare_figure

    def disk_full(path: Path, data: str, *args: Any, **kwargs: Any) -> int:
        write_text(path, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    def figure_on_a_full_disk(path: Path, c: Comparison) -> None:
        draw(path, c)
        disk_full(path, path.read_bytes().decode("latin-1"))

    if name == "output.txt":
        monkeypatch.setattr(Path, "write_text", disk_full)
    else:
        monkeypatch.setattr(plots, "compare_figure", figure_on_a_full_disk)
    with pytest.raises(OSError) as error:
        app.run(composed(f"impl={spec}", "epochs=2"), out)
    assert (error.value.filename, error.value.strerror) == (str(out / name), "No space left on device")
    assert (out / name).read_text() == "the last run's\n"
    assert [path.name for path in out.iterdir() if path.name.startswith(".")] == []  # no temporary left


def test_an_int_too_large_for_a_float_is_a_value_not_an_error_of_the_implementation(tmp_path: Path) -> None:
    with pytest.raises(ImplementationError) as error:
        compare(shaped(tmp_path, init="self.w2 = 10**400"), epochs=10)
    assert str(error.value).endswith(": w2 is inf (initial values)")
    c = compare(shaped(tmp_path, feedforward="return 10**400"), epochs=10)
    assert c.stage == "forward" and c.checks[0].yours == float("inf")


def test_an_implementation_whose_file_name_is_too_long_to_look_up_cannot_be_read(tmp_path: Path) -> None:
    spec = f"{tmp_path / ('a' * 300)}.py:Net"
    with pytest.raises(ImplementationError) as error:
        compare(spec)
    assert str(error.value) == f"{spec}: cannot read {spec.rpartition(':')[0]}: File name too long"
