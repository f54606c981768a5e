"""net221-train end to end: the blog reproduced, the run directory, errors, resume, sweeps."""

from __future__ import annotations

import csv
import json
import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from net221.app.checkpoint import FORMAT, load_checkpoint, load_network
from net221.data import BLOG_SHIFT, blog_dataset
from net221.errors import UserError
from net221.init import BLOG_NAMES
from net221.numpy_trainer import NumpyNetwork

from conftest import NO_FIGURES, assert_one_line_error, run_in_process, train_in_process

START = dict(zip(BLOG_NAMES, [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05], strict=True))
START_OVERRIDE = "init.values={" + ",".join(f"{k}:{v}" for k, v in START.items()) + "}"


def read_metrics(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "metrics.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_no_arguments_reproduces_the_blog(
    blog_command: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    """`net221-train` with no arguments, in an empty directory: the headline (its main() in this
    process, conftest's `blog_command`; real processes: test_outputs.py, test_faults.py). Its run
    directory, net221-predict and `load_network` on its checkpoint are checked here as well."""
    result, run_dir = blog_command
    assert result.returncode == 0, result.stderr
    assert [p.parent for p in run_dir.parents[2].glob("outputs/*/*/summary.json")] == [run_dir]
    assert_the_blog_reproduced(run_dir, result.stdout)
    assert_the_run_directory_contents(run_dir)
    assert_predictions_in_raw_units(run_dir, tmp_path)


def assert_the_blog_reproduced(run_dir: Path, stdout: str) -> None:
    epoch_lines = [line for line in stdout.splitlines() if line.startswith("Epoch ")]
    # the blog's lines, every 10 epochs, and the last epoch's: the final loss is a logged row
    assert len(epoch_lines) == 101
    assert epoch_lines[0].startswith("Epoch 0 loss: ") and epoch_lines[-2].startswith("Epoch 990 loss: ")
    assert (
        epoch_lines[-1]
        == f"Epoch 999 loss: {json.loads((run_dir / 'summary.json').read_text())['final_loss']:.3f}"
    )
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["final_loss"] < 0.01
    assert summary["predictions"]["Emily"] > 0.9
    assert summary["predictions"]["Frank"] < 0.1
    assert summary["final_accuracy"] == 1.0
    assert set(summary["blog_weights"]) == set(BLOG_NAMES)
    assert summary["evaluation"]["train"]["confusion"] == {"tp": 2, "fp": 0, "tn": 2, "fn": 0}
    assert summary["evaluation"]["train"]["roc_auc"] == 1.0
    assert summary["wall_time_s"] > 0
    assert summary["objective"] == summary["final_loss"]
    # the process leaves with its garbage collector frozen: nothing written may be lost
    shown = run_dir.relative_to(run_dir.parents[2])  # outputs/DATE/TIME, below the working directory
    assert stdout.splitlines()[-1] == f"Outputs in {shown}"
    assert (run_dir / "train.log").read_text().splitlines()[-1].endswith(f"Outputs in {shown}")


def assert_the_run_directory_contents(run_dir: Path) -> None:
    for name in (
        ".hydra/config.yaml",
        ".hydra/overrides.yaml",
        "train.log",
        "loss.png",
        "decision_boundary.png",
    ):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = read_metrics(run_dir)
    assert list(rows[0]) == ["epoch", "loss", "accuracy"]
    assert [int(r["epoch"]) for r in rows] == [*range(0, 1000, 10), 999]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert float(rows[-1]["loss"]) == summary["final_loss"]
    assert float(rows[-1]["accuracy"]) == summary["final_accuracy"]
    log_text = (run_dir / "train.log").read_text()
    assert log_text.count("Epoch ") == 101
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["format"] == FORMAT  # torch's own loader
    checkpoint = load_checkpoint(run_dir / "checkpoint.pt")
    assert checkpoint["epoch"] == 1000
    assert checkpoint["model"] == {
        "target": "net221.network.Net221",
        "input_dim": 2,
        "width": 2,
        "activation": "sigmoid",
        "dtype": "float64",
    }
    assert checkpoint["data"]["normalization"] == {"shift": list(BLOG_SHIFT), "scale": [1.0, 1.0]}
    assert checkpoint["config"]["optimizer"]["lr"] == 0.1
    assert list(checkpoint["state_dict"]) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert not list(run_dir.glob(".*.tmp*"))  # the atomic writes left nothing behind


def assert_predictions_in_raw_units(run_dir: Path, cwd: Path) -> None:
    checkpoint = run_dir / "checkpoint.pt"
    emily = run_in_process("net221-predict", f"checkpoint={checkpoint}", "weight=128", "height=63", cwd=cwd)
    assert emily.returncode == 0, emily.stderr
    probability, label = emily.stdout.split()
    assert float(probability) > 0.9 and label == "female"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert probability == f"{summary['predictions']['Emily']:.3f}"
    # the public loader: the network and the normalization its raw inputs need
    model, normalization = load_network(checkpoint)
    x = torch.tensor(normalization.apply(np.array([[128.0, 63.0], [155.0, 68.0]])), dtype=torch.float64)
    with torch.no_grad():
        emily_p, frank_p = model(x).reshape(-1).tolist()
    assert (emily_p, frank_p) == (summary["predictions"]["Emily"], summary["predictions"]["Frank"])
    frank = run_in_process("net221-predict", f"checkpoint={checkpoint}", "x=[155,68]", cwd=cwd)
    assert frank.returncode == 0, frank.stderr
    assert frank.stdout.split() == [f"{summary['predictions']['Frank']:.3f}", "male"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A blog network's checkpoint after one epoch: for arguments that are refused."""
    run_dir = tmp_path_factory.mktemp("one_epoch")
    train_in_process(run_dir, "trainer.epochs=1", NO_FIGURES)
    return run_dir / "checkpoint.pt"


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["weight=128"], ["checkpoint=PATH is required"]),
        (["checkpoint={ckpt}", "height=63"], ["missing weight=VALUE: the network takes weight, height"]),
        (["checkpoint={ckpt}", "weight=-5", "height=63"], ["weight=-5", "must be > 0"]),
        (["checkpoint={ckpt}", "weight=heavy", "height=63"], ["weight=heavy: not a number"]),
        (["checkpoint={ckpt}", "weight=128", "height=63", "age=40"], ["age: no such key"]),
        (["checkpoint={tmp}/missing.pt", "weight=128", "height=63"], ["missing.pt", "no such file"]),
        (
            ["checkpoint={tmp}/corrupt.pt", "weight=128", "height=63"],
            ["corrupt.pt", "not a readable checkpoint"],
        ),
        (["checkpoint={tmp}/future.pt", "weight=128", "height=63"], ["future.pt", "not a net221 checkpoint"]),
        (["checkpoint={ckpt}", "128", "63"], ["128"]),
    ],
)
def test_predict_bad_arguments(
    checkpoint: Path, tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    (tmp_path / "corrupt.pt").write_bytes(checkpoint.read_bytes()[:300])
    torch.save({"format": "net221-checkpoint-99"}, tmp_path / "future.pt")
    words = [arg.format(ckpt=checkpoint, tmp=tmp_path) for arg in args]
    assert_one_line_error(
        run_in_process("net221-predict", *words, cwd=tmp_path), "net221-predict", *fragments
    )


# Refusals Hydra makes while it composes reach the user only through the command; of the task's
# own refusals (a UserError, which main() prints as its one line), one goes that way too, as in
# test_bad_input.py: the one line on stderr and the exit status 2 the user gets.
THROUGH_THE_COMMAND = {"trainer.epochs=0", "trainer.epochs=many", "loss=hinge", "optimizer=rmsprop"}


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ("trainer.epochs=0", ["trainer.epochs=0", ">= 1"]),
        ("trainer.epochs=many", ["trainer.epochs", "many"]),
        ("optimizer.lr=0", ["optimizer.lr=0", "> 0"]),
        ("optimizer.lr=-0.5", ["optimizer.lr=-0.5"]),
        ("trainer.batch_size=0", ["trainer.batch_size=0"]),
        ("model.width=0", ["model.width=0"]),
        ("trainer.log_every=0", ["trainer.log_every=0"]),
        ("model.activation=gelu", ["model.activation='gelu'", "sigmoid, tanh, relu"]),
        ("loss=hinge", ["loss=hinge: no such option", "bce, mse"]),
        ("optimizer=rmsprop", ["optimizer=rmsprop", "adam, momentum, sgd"]),
        ("trainer.device=tpu", ["trainer.device='tpu'"]),
        (
            "init.values={w1:1,w2:1,w3:1,w4:1,w5:1,w6:1,b1:0,b2:0,b4:0}",
            ["init.values", "unknown name(s) b4"],
        ),
        ("init.values={w1:1}", ["init.values", "missing name(s) w2"]),
        (
            "trainer.resume=no/such/checkpoint.pt",
            ["trainer.resume='no/such/checkpoint.pt'", "no such file"],
        ),
        ("trainer.dtype=float16", ["trainer.dtype='float16'"]),
        # keys that nothing takes (+optimizer.bogus=1, ...): test_bad_input.py's CONFIG_CASES
    ],
)
def test_bad_config_is_one_line(tmp_path: Path, override: str, fragments: list[str]) -> None:
    if override in THROUGH_THE_COMMAND:
        result = run_in_process("net221-train", override, f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
        assert_one_line_error(result, "net221-train", *fragments)
    else:
        with pytest.raises(UserError) as refused:
            train_in_process(tmp_path / "run", override)
        assert "\n" not in str(refused.value), refused.value
        for fragment in fragments:
            assert fragment in str(refused.value), (fragment, refused.value)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_cuda_requested_without_cuda(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the error is for machines without it")
    result = run_in_process(
        "net221-train", "trainer.device=cuda", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path
    )
    assert_one_line_error(result, "net221-train", "trainer.device='cuda'", "CUDA is not available")


def test_divergence_stops_with_one_line_and_keeps_metrics(tmp_path: Path) -> None:
    # w1 x1 + w2 x2 = inf - inf for Bob: the loss is NaN in the first epoch
    values = dict(START, w1=1e308, w2=-1e308)
    override = "init.values={" + ",".join(f"{k}:{v}" for k, v in values.items()) + "}"
    result = run_in_process("net221-train", override, f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert_one_line_error(result, "net221-train", "diverged at epoch 0", "not finite")
    rows = read_metrics(tmp_path / "run")
    assert [row["epoch"] for row in rows] == ["0"] and rows[0]["loss"] == "nan"
    assert "diverged" in (tmp_path / "run" / "train.log").read_text()
    assert "diverged" in (tmp_path / "run" / "error.txt").read_text()
    assert not (tmp_path / "run" / "summary.json").exists()


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    (run_dir / "loss.png").mkdir(parents=True)  # a directory where the figure should go
    result = run_in_process("net221-train", "trainer.epochs=1", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert_one_line_error(result, "net221-train", "cannot write", "loss.png")
    assert not (run_dir / "summary.json").exists()
    assert "loss.png" in (run_dir / "error.txt").read_text()


def test_app_matches_the_numpy_trainer(tmp_path: Path) -> None:
    # 20 epochs: two of the blog's log lines and the app's own last one (all 1000: the test above)
    train_in_process(tmp_path, START_OVERRIDE, "trainer.epochs=20", NO_FIGURES)
    people = blog_dataset()
    baseline = NumpyNetwork(START)
    history = baseline.train(people.features - np.array(BLOG_SHIFT), people.labels, epochs=20)
    rows = read_metrics(tmp_path)
    # the blog logs every 10 epochs; the app also logs the last epoch, after the blog's last line
    assert [int(r["epoch"]) for r in rows] == [*(epoch for epoch, _ in history), 19]
    assert max(abs(float(r["loss"]) - loss) for r, (_, loss) in zip(rows, history, strict=False)) <= 1e-12
    final_loss = baseline.loss(people.features - np.array(BLOG_SHIFT), people.labels)
    assert abs(float(rows[-1]["loss"]) - final_loss) <= 1e-12
    weights = json.loads((tmp_path / "summary.json").read_text())["blog_weights"]
    assert max(abs(weights[name] - baseline.params[name]) for name in BLOG_NAMES) <= 1e-9


def test_same_config_and_seed_reproduce_exactly(tmp_path: Path) -> None:
    for name in ("a", "b"):
        train_in_process(
            tmp_path / name, "trainer.seed=5", "trainer.epochs=20", "trainer.shuffle=true", NO_FIGURES
        )
    assert (tmp_path / "a" / "metrics.csv").read_bytes() == (tmp_path / "b" / "metrics.csv").read_bytes()
    first = load_checkpoint(tmp_path / "a" / "checkpoint.pt")["state_dict"]
    second = load_checkpoint(tmp_path / "b" / "checkpoint.pt")["state_dict"]
    for key, tensor in first.items():
        assert torch.equal(tensor, second[key]), key
    train_in_process(
        tmp_path / "c", "trainer.seed=6", "trainer.epochs=20", "trainer.shuffle=true", NO_FIGURES
    )
    assert (tmp_path / "a" / "metrics.csv").read_bytes() != (tmp_path / "c" / "metrics.csv").read_bytes()


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_resume_matches_an_uninterrupted_run(
    tmp_path: Path, optimizer: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A checkpoint every 5 epochs: the first run stops at 15, after a last log line (epoch 14)
    # that the whole run does not have; the resumed run saves at 20 on its way to 24.
    common = (
        f"optimizer={optimizer}",
        "trainer.shuffle=true",
        "trainer.seed=3",
        "trainer.checkpoint_every=5",
        NO_FIGURES,
    )
    train_in_process(tmp_path / "full", *common, "trainer.epochs=24")
    train_in_process(tmp_path / "half", *common, "trainer.epochs=15")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="net221"):
        train_in_process(
            tmp_path / "resumed",
            *common,
            "trainer.epochs=24",
            f"trainer.resume={tmp_path / 'half' / 'checkpoint.pt'}",
        )
    # it went on from the checkpoint: epochs 0 to 14 were not trained again
    assert "at epoch 15" in caplog.text and "Epoch 10 loss" not in caplog.text
    full = json.loads((tmp_path / "full" / "summary.json").read_text())["blog_weights"]
    resumed = json.loads((tmp_path / "resumed" / "summary.json").read_text())["blog_weights"]
    assert max(abs(full[name] - resumed[name]) for name in BLOG_NAMES) <= 1e-12
    assert read_metrics(tmp_path / "resumed") == read_metrics(tmp_path / "full")
    assert load_checkpoint(tmp_path / "resumed" / "checkpoint.pt")["epoch"] == 24


def test_resume_refuses_a_checkpoint_that_does_not_fit(tmp_path: Path) -> None:
    train_in_process(tmp_path / "wide", "model.width=3", "trainer.epochs=20", NO_FIGURES)
    checkpoint = tmp_path / "wide" / "checkpoint.pt"
    result = run_in_process(
        "net221-train", f"trainer.resume={checkpoint}", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path
    )
    assert_one_line_error(result, "net221-train", "the checkpoint has width=3, this config 2")
    result = run_in_process(
        "net221-train", "model.width=3", "trainer.epochs=20", f"trainer.resume={checkpoint}",
        f"hydra.run.dir={tmp_path}/run2", cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_error(result, "net221-train", "trainer.epochs=20", "already has 20 epochs")


# The fewest jobs that sweep two settings against each other (the jobs' order, the report's
# columns) and show the learning rate's effect in the losses.
LRS, SEEDS = ("0.01", "1.0"), ("0", "1")


def test_multirun_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sweep = tmp_path / "sweep"
    result = run_in_process(
        "net221-train", "-m", f"optimizer.lr={','.join(LRS)}", f"trainer.seed={','.join(SEEDS)}",
        "trainer.epochs=20", NO_FIGURES, f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    jobs = len(LRS) * len(SEEDS)
    # the console: Hydra's own lines as Hydra prints them, and one line per finished job
    # (train.log has the rest)
    everything = result.stdout.splitlines()
    assert everything[0].endswith(f"[HYDRA] Launching {jobs} jobs locally"), result.stdout
    lines = [everything[0]] + [line for line in everything if line.startswith("#")]
    assert len(everything) == 1 + 2 * jobs and len(lines) == 1 + jobs, result.stdout
    first = json.loads((sweep / "0" / "summary.json").read_text())
    assert lines[1] == (  # each job's overrides as Hydra's sweeper gives them (False, not false)
        f"#0 optimizer.lr=0.01 trainer.seed=0 trainer.epochs=20 trainer.figures=False: final loss {first['final_loss']:.4g}, "
        f"accuracy {first['final_accuracy']:.3f} (sweep/0)"  # relative to the working directory
    )
    assert [line.split(":")[0] for line in lines[1:]] == [
        f"#{n} optimizer.lr={lr} trainer.seed={seed} trainer.epochs=20 trainer.figures=False"
        for n, (lr, seed) in enumerate((lr, seed) for lr in LRS for seed in SEEDS)
    ]
    assert "Epoch 10 loss" in (sweep / "0" / "train.log").read_text()
    out = run_in_process("net221-report", f"dir={sweep}", cwd=tmp_path).stdout
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| job | optimizer.lr | trainer.seed | final_loss | final_accuracy")
    assert len(table) == 1 + jobs
    assert f"{jobs} job(s), 0 failed" in out
    with (sweep / "report.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["optimizer.lr"], r["trainer.seed"]) for r in rows] == [
        (lr, seed) for lr in LRS for seed in SEEDS
    ]
    losses = {(r["optimizer.lr"], r["trainer.seed"]): float(r["final_loss"]) for r in rows}
    for seed in SEEDS:  # larger steps, lower loss here
        assert losses[("1.0", seed)] < losses[("0.01", seed)], seed
    assert (sweep / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_report_lists_a_failed_job_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep"
    result = run_in_process(
        "net221-train", "-m", "model.width=2,0", "trainer.epochs=1", f"hydra.sweep.dir={sweep}", cwd=tmp_path
    )
    assert result.returncode != 0  # a failed job fails the sweep's exit status ...
    assert (sweep / "0" / "summary.json").is_file()  # ... but every job ran
    jobs = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert jobs[0].startswith("#0 model.width=2 trainer.epochs=1: final loss ")
    assert jobs[1] == "#1 model.width=0 trainer.epochs=1: failed: model.width=0: must be >= 1 (sweep/1)"
    out = run_in_process("net221-report", f"dir={sweep}", cwd=tmp_path).stdout
    assert "2 job(s), 1 failed" in out
    failed = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    assert "failed: model.width=0: must be >= 1" in failed


def test_report_errors(tmp_path: Path) -> None:
    missing = run_in_process("net221-report", f"dir={tmp_path / 'nowhere'}", cwd=tmp_path)
    assert_one_line_error(missing, "net221-report", "nowhere", "no such directory")
    empty = run_in_process("net221-report", f"dir={tmp_path}", cwd=tmp_path)
    assert_one_line_error(empty, "net221-report", "no jobs found")


MY_NET = '''
import torch
from torch import nn


class MyNet(nn.Module):
    """A user's own module: D inputs -> tanh hidden layer -> P(label = 1)."""

    def __init__(self, input_dim: int, hidden: int = 3) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(input_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
'''


def test_a_module_of_your_own_trains_through_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_net.py").write_text(MY_NET)
    monkeypatch.syspath_prepend(str(tmp_path))
    run_dir = tmp_path / "run"
    train_in_process(
        run_dir, "model._target_=my_net.MyNet", "~model.width", "~model.activation", "+model.hidden=4",
        "trainer.epochs=300", "optimizer.lr=0.5",
    )  # fmt: skip
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = read_metrics(run_dir)
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"]) and summary["final_accuracy"] == 1.0
    assert summary["predictions"]["Emily"] > 0.5 > summary["predictions"]["Frank"]
    assert "blog_weights" not in summary  # blog names only where the module has them
    for name in ("loss.png", "decision_boundary.png", "metrics.csv"):
        assert (run_dir / name).is_file(), name
    checkpoint = load_checkpoint(run_dir / "checkpoint.pt")
    assert checkpoint["model"]["target"] == "my_net.MyNet"
    assert checkpoint["state_dict"]["layers.0.weight"].shape == (4, 2)
    with pytest.raises(UserError, match="the checkpoint's tensors do not fit this model"):
        train_in_process(
            tmp_path / "wider", "model._target_=my_net.MyNet", "~model.width", "~model.activation",
            "+model.hidden=5", "trainer.epochs=400", f"trainer.resume={run_dir / 'checkpoint.pt'}",
        )  # fmt: skip


@pytest.mark.parametrize("members", [1, 3])
def test_figures_can_be_left_out(tmp_path: Path, members: int) -> None:
    common = ("trainer.epochs=2", f"trainer.members={members}")
    train_in_process(tmp_path / "with", *common)
    train_in_process(tmp_path / "without", *common, "trainer.figures=false")
    figures = {"loss.png", "decision_boundary.png"}
    made = {p.name for p in (tmp_path / "with").iterdir()}
    assert figures <= made
    assert {p.name for p in (tmp_path / "without").iterdir()} == made - figures
    # the same run otherwise
    for name in ("metrics.csv", *(["members.csv"] if members > 1 else [])):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()
    if members == 1:  # a setting a resumed run may change: the earlier figures go, none come
        train_in_process(
            tmp_path / "with", "trainer.epochs=3", "trainer.resume=auto", "trainer.figures=false"
        )
        assert {p.name for p in (tmp_path / "with").iterdir()} == made - figures


def test_long_runs_print_a_bounded_number_of_epoch_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from net221.app.sweep_log import console_stride

    assert console_stride(1000, 10, 200) == 10  # the blog: each of its 100 logged epochs
    assert console_stride(100_000, 10, 200) == 500  # 10,000 logged epochs: 200 lines
    assert console_stride(100_000, 10, None) == 10
    with caplog.at_level(logging.INFO, logger="net221"):
        train_in_process(
            tmp_path, "trainer.epochs=60", "trainer.log_every=1", "trainer.console_lines=10", NO_FIGURES
        )
    shown = [int(m.split()[1]) for m in caplog.messages if m.startswith("Epoch ")]
    assert shown == [*range(0, 60, 6), 59]
    assert [int(row["epoch"]) for row in read_metrics(tmp_path)] == list(range(60))  # every epoch kept


def test_a_refused_resume_writes_nothing(tmp_path: Path) -> None:
    train_in_process(tmp_path, "trainer.epochs=20", NO_FIGURES)
    saved = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    with pytest.raises(UserError, match="already has 20 epochs"):
        train_in_process(tmp_path, "trainer.epochs=10", "trainer.resume=auto", NO_FIGURES)
    kept = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert kept.pop("error.txt").decode().startswith("trainer.epochs=10: the checkpoint already has 20")
    assert kept == saved  # no new metrics.csv, nothing of the finished run lost
