"""Fault injection: signals and SIGKILL at random points, then resume; full and unwritable disks.

A run stopped at any step and resumed ends with the weights and metrics.csv of a
run that was never stopped, bit for bit. A disk that fills up at any point leaves
a run directory whose every file is whole (or absent) and one line saying why.
In-process where the point is the logic (the commands' main() runs in this
process, exit status and stderr captured); a few child processes for what only a
real process shows: SIGKILL, a signal from outside, Ctrl-C while torch loads, and
closed standard streams. Each child costs about 3 s of CPU (torch, Hydra), so
each does as much as one process can show.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import net221.app.train as train_app
from net221.app import process
from net221.app.checkpoint import load_checkpoint
from net221.app.outputs import is_temporary
from net221.app.process import Interrupted, catch_stop_signals
from net221.errors import OutputError, UserError

from conftest import BIN, NO_FIGURES, assert_one_line_error, run_in_process, train_in_process

PNG_END = b"IEND\xaeB`\x82"


def table_csv(path: Path, rows: int = 240) -> Path:
    """A seeded two-class table: slow enough per epoch (one step per row) to be stopped mid-epoch."""
    rng = np.random.default_rng(7)
    with path.open("w") as handle:
        handle.write("a,b,label\n")
        for i in range(rows):
            label = i % 2
            a, b = rng.normal(label, 1.0, size=2)
            handle.write(f"{float(a)!r},{float(b)!r},{'yes' if label else 'no'}\n")
    return path


# Runs in this process are short (a signal is sent at an exact step); a child process's run is
# long enough to be still training when a signal sent from outside arrives.
EPOCHS = {"single": 8, "study": 6}
CHILD_EPOCHS = {"single": 30, "study": 12}
STEPS_PER_EPOCH = {"single": 80, "study": 3 * 45}  # 240 rows in 3s; 180 rows in 4s, in 3 chunks


def single_args(table: Path, epochs: int = EPOCHS["single"]) -> list[str]:
    """A shuffled run with momentum: the order, the buffers and the step within an epoch all matter."""
    return [
        "data=csv", f"data.path={table}", "data.features=[a,b]", "data.target=label", "data.positive=yes",
        "optimizer=momentum", "trainer.shuffle=true", "trainer.batch_size=3", f"trainer.epochs={epochs}",
        "trainer.log_every=1", "trainer.checkpoint_every=3", "trainer.seed=4", NO_FIGURES,
    ]  # fmt: skip


def study_args(table: Path, epochs: int = EPOCHS["study"]) -> list[str]:
    """An ensemble in three chunks (8 + 8 + 4 members), with a validation split."""
    return [
        "data=csv", f"data.path={table}", "data.features=[a,b]", "data.target=label", "data.positive=yes",
        "data.val_fraction=0.25", "optimizer=adam", "trainer.members=20", "trainer.chunk_size=8",
        f"trainer.epochs={epochs}", "trainer.log_every=2", "trainer.checkpoint_every=5", "trainer.batch_size=4",
        NO_FIGURES,
    ]  # fmt: skip


def run_args(kind: str, table: Path) -> list[str]:
    return single_args(table) if kind == "single" else study_args(table)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return table_csv(tmp_path_factory.mktemp("data") / "table.csv")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Callable[[list[str]], Path]:
    """The run of these arguments, trained without a break: each trained on first use only (once per
    xdist worker that needs it)."""
    runs: dict[tuple[str, ...], Path] = {}

    def run_of(args: list[str]) -> Path:
        if tuple(args) not in runs:
            runs[tuple(args)] = tmp_path_factory.mktemp("uninterrupted")
            train_in_process(runs[tuple(args)], *args)
        return runs[tuple(args)]

    return run_of


def assert_same_run(run_dir: Path, reference: Path) -> None:
    """The same weights, the same metrics.csv (and members.csv), bit for bit."""
    for name in ("metrics.csv", "members.csv"):
        if (reference / name).exists():
            assert (run_dir / name).read_bytes() == (reference / name).read_bytes(), name
    ours = load_checkpoint(run_dir / "checkpoint.pt")
    theirs = load_checkpoint(reference / "checkpoint.pt")
    assert ours["state_dict"].keys() == theirs["state_dict"].keys()
    for key, tensor in theirs["state_dict"].items():
        assert torch.equal(ours["state_dict"][key], tensor), key
    assert ours["epoch"] == theirs["epoch"] and ours["history"] == theirs["history"]
    summary = json.loads((run_dir / "summary.json").read_text())
    expected = json.loads((reference / "summary.json").read_text())
    assert {k: v for k, v in summary.items() if k != "wall_time_s"} == {
        k: v for k, v in expected.items() if k != "wall_time_s"
    }


def after_step(monkeypatch: pytest.MonkeyPatch, step: int, action: Callable[[], None]) -> None:
    """The app's optimizer calls `action` after its step number `step` (counted over every chunk)."""
    build = train_app.build_experiment

    def build_experiment(cfg: Any) -> Any:
        experiment = build(cfg)
        count = 0

        def make_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
            optimizer = experiment.make_optimizer(model)
            take_step = optimizer.step

            def step_then_act(*args: Any, **kwargs: Any) -> Any:
                nonlocal count
                result = take_step(*args, **kwargs)
                count += 1
                if count == step:
                    action()
                return result

            optimizer.step = step_then_act  # type: ignore[method-assign]
            return optimizer

        return dataclasses.replace(experiment, make_optimizer=make_optimizer)

    monkeypatch.setattr(train_app, "build_experiment", build_experiment)


def signal_at_step(monkeypatch: pytest.MonkeyPatch, step: int, signum: int) -> None:
    """The app's optimizer sends `signum` to this process after its step number `step`."""
    after_step(monkeypatch, step, lambda: os.kill(os.getpid(), signum))


# --- signals in this process: every kind of run, a random step --------------------------


# each kind and each signal once (a signal only raises a flag, the same for both); SIGTERM in a
# single run: the mid-epoch test below (in this process; from outside, a real process gets
# SIGTERM in the sweep below, which trains studies, and SIGINT in the Ctrl-C tests)
@pytest.mark.parametrize(
    ("kind", "signum"),
    [("single", signal.SIGINT), ("study", signal.SIGTERM)],
    ids=["single-SIGINT", "study-SIGTERM"],
)
def test_a_signal_at_a_random_step_ends_the_run_with_one_line_then_resume_is_the_same_run(
    kind: str,
    signum: int,
    table: Path,
    uninterrupted: Callable[[list[str]], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args, run_dir = run_args(kind, table), tmp_path / "run"
    step = random.randrange(1, EPOCHS[kind] * STEPS_PER_EPOCH[kind])
    signal_at_step(monkeypatch, step, signum)
    handler = signal.getsignal(signum)
    # net221-train's main() in this process: the app's exit status and its one line
    result = run_in_process("net221-train", *args, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert signal.getsignal(signum) is handler, "the previous handler is back"
    assert result.returncode == 128 + signum, (step, result.stderr)
    message = (run_dir / "error.txt").read_text().strip()
    assert result.stderr.splitlines() == [f"net221-train: {message}"]
    assert "Traceback" not in result.stderr + result.stdout
    assert message.startswith("interrupted at epoch ")
    assert message.endswith("; resume with trainer.resume=run/checkpoint.pt"), message  # relative to cwd
    checkpoint = load_checkpoint(run_dir / "checkpoint.pt")
    assert f"epoch {checkpoint['epoch']}" in message, (step, message)
    assert not (run_dir / "summary.json").exists()
    assert not [p for p in run_dir.iterdir() if is_temporary(p)]
    assert (run_dir / "metrics.csv").read_text().startswith("epoch,loss,accuracy")

    monkeypatch.undo()
    train_in_process(run_dir, *args, "trainer.resume=auto")
    assert_same_run(run_dir, uninterrupted(args))


def test_a_checkpoint_mid_epoch_resumes_mid_epoch(
    table: Path, uninterrupted: Callable[[list[str]], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 80 steps an epoch (240 rows, batch 3): after step 440 it stops in epoch 5, at step 40 of it
    signal_at_step(monkeypatch, 440, signal.SIGTERM)
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted, match="interrupted at epoch 5;") as stopped:
        train_in_process(tmp_path / "cut", *single_args(table))
    assert stopped.value.exit_status == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is handler, "the previous handler is back"
    assert str(stopped.value).endswith(f"; resume with trainer.resume={tmp_path / 'cut' / 'checkpoint.pt'}")
    checkpoint = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert (checkpoint["epoch"], checkpoint["step"]) == (5, 40)
    assert [row["epoch"] for row in checkpoint["history"]] == list(range(5))
    monkeypatch.undo()
    # an explicit path into another directory works the same as auto
    train_in_process(
        tmp_path / "resumed", *single_args(table), f"trainer.resume={tmp_path / 'cut' / 'checkpoint.pt'}"
    )
    assert_same_run(tmp_path / "resumed", uninterrupted(single_args(table)))


class Crash(BaseException):
    """An end no handler in the app catches: the run leaves its checkpoints as a SIGKILL would (its
    `finally` blocks still close the metrics file, which a SIGKILL leaves as it was)."""


def test_a_study_that_crashes_resumes_from_its_last_periodic_checkpoint(
    table: Path, uninterrupted: Callable[[list[str]], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (SIGKILL itself, in a child process, below: a single run)
    def crash() -> None:
        raise Crash

    args = study_args(table)
    first_checkpoint = 5 * 45  # epoch 5 of the first chunk
    step = random.randrange(first_checkpoint + 1, EPOCHS["study"] * STEPS_PER_EPOCH["study"])
    after_step(monkeypatch, step, crash)
    with pytest.raises(Crash):
        train_in_process(tmp_path, *args)
    saved = load_checkpoint(tmp_path / "checkpoint.pt")
    assert saved["step"] == 0, "a periodic checkpoint: at the end of an epoch, not where it stopped"
    assert not (tmp_path / "summary.json").exists()
    monkeypatch.undo()
    train_in_process(tmp_path, *args, "trainer.resume=auto")
    assert_same_run(tmp_path, uninterrupted(args))


def test_stop_signals_are_restored_passed_on_and_delivered_late() -> None:
    calls: list[int] = []
    usr2 = signal.signal(signal.SIGUSR2, lambda signum, frame: calls.append(signum))
    try:
        with catch_stop_signals() as stop:
            assert signal.getsignal(signal.SIGTERM) == stop.handle
            os.kill(os.getpid(), signal.SIGUSR2)  # borrowed: caught only because a handler was set
            assert stop.requested() and calls == []
            interrupted = stop.interrupted("stopped")
        assert interrupted.exit_status == 128 + signal.SIGUSR2
        interrupted.pass_on()  # after the checkpoint: the job manager's handler runs
        assert calls == [signal.SIGUSR2]
    finally:
        signal.signal(signal.SIGUSR2, usr2)
    # a SIGINT the run did not stop for (it came after the training) is raised again on leaving
    with pytest.raises(KeyboardInterrupt), catch_stop_signals():
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --- real processes: SIGKILL, SIGTERM, SIGINT, closed streams -----------------------------


def start(run_dir: Path, *args: str) -> subprocess.Popen[str]:
    """net221-train in a child process, its output in files (a full pipe would stall it)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(BIN / "net221-train"), *args, f"hydra.run.dir={run_dir}"],
        stdout=(run_dir.parent / f"{run_dir.name}.out").open("w"),
        stderr=(run_dir.parent / f"{run_dir.name}.err").open("w"),
        text=True,
        cwd=run_dir.parent,
    )


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[Any], what: str) -> None:
    deadline = time.monotonic() + 300
    while not condition():
        assert process.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"no {what} after 300 s"
        time.sleep(0.01)


def rows(path: Path) -> int:
    return path.read_text().count("\n") - 1 if path.exists() else 0


def checkpoint_writes(path: Path) -> Iterator[int]:
    """Counts the checkpoints written so far (each is a new file renamed into place)."""
    seen: set[tuple[int, int]] = set()
    while True:
        try:
            stat = path.stat()
            seen.add((stat.st_ino, stat.st_mtime_ns))
        except FileNotFoundError:
            pass
        yield len(seen)


def test_sigkill_at_a_random_point_then_resume_is_the_same_run(
    table: Path, uninterrupted: Callable[[list[str]], Path], tmp_path: Path
) -> None:
    # a single run: it appends to metrics.csv as it trains, so a kill can cut a row short
    run_dir, epochs = tmp_path / "run", CHILD_EPOCHS["single"]
    args, logged = single_args(table, epochs), random.randrange(4, epochs - 10)
    process = start(run_dir, *args)
    wait_until(lambda: rows(run_dir / "metrics.csv") >= logged, process, f"{logged} rows")
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    stopped = load_checkpoint(run_dir / "checkpoint.pt")  # whole, whatever the moment
    assert stopped["epoch"] < epochs
    train_in_process(run_dir, *args, "trainer.resume=auto")
    assert not [p for p in run_dir.iterdir() if is_temporary(p)], "a killed write's file is cleared"
    assert_same_run(run_dir, uninterrupted(args))


def test_a_sweep_goes_on_without_its_reader_and_sigterm_ends_it_with_one_line(
    table: Path, tmp_path: Path
) -> None:
    # `net221-train -m ... | head -1`: the reader goes away after one line. Three jobs of one study
    # (the same config): the first finishes its work all the same, SIGTERM stops the second after
    # a random number of its checkpoints, the third never starts.
    sweep, args = tmp_path / "sweep", study_args(table, CHILD_EPOCHS["study"])
    process = subprocess.Popen(
        [str(BIN / "net221-train"), "-m", *args, "trainer.seed=3,3,3", f"hydra.sweep.dir={sweep}"],
        stdout=subprocess.PIPE, stderr=(tmp_path / "err").open("w"), cwd=tmp_path,
    )  # fmt: skip
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    # job 1 writes seven checkpoints: stopping after the first or second leaves it far from its end
    job, writes = sweep / "1", random.randrange(1, 3)
    counter = checkpoint_writes(job / "checkpoint.pt")
    wait_until(lambda: next(counter) >= writes, process, f"{writes} checkpoints of job 1")
    process.send_signal(signal.SIGTERM)
    assert process.wait() == 128 + signal.SIGTERM
    stderr = (tmp_path / "err").read_text()
    # one line, the one in error.txt: no 'Logging error', no BrokenPipeError from the closed stdout
    assert stderr.splitlines() == [f"net221-train: {(job / 'error.txt').read_text().strip()}"]
    assert f"interrupted at epoch {load_checkpoint(job / 'checkpoint.pt')['epoch']} " in stderr
    assert stderr.rstrip().endswith("; resume with trainer.resume=sweep/1/checkpoint.pt")  # relative to cwd
    assert (sweep / "0" / "summary.json").is_file(), "the first job finished without its reader"
    assert not (job / "summary.json").exists()
    assert not (sweep / "2").exists(), "the sweep stopped: job 2 never started"
    train_in_process(job, *args, "trainer.seed=3", "trainer.resume=auto")
    assert_same_run(job, sweep / "0")


@pytest.mark.parametrize("moment", ["torch loads", "the run is set up"])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(tmp_path: Path, moment: str) -> None:
    # Two moments, each waited for on what the process shows: while torch loads (its library is
    # mapped, its Python modules still importing), and once Hydra has set up the run (.hydra/ is
    # written) while the task builds the run or trains. The rest of set-up: in this process, below.
    run_dir = tmp_path / "run"
    process = start(run_dir, "trainer.epochs=100000")
    reached = {
        "torch loads": lambda: "libtorch" in Path(f"/proc/{process.pid}/maps").read_text(),
        "the run is set up": lambda: (run_dir / ".hydra" / "overrides.yaml").exists(),
    }[moment]
    wait_until(reached, process, moment)
    process.send_signal(signal.SIGINT)
    assert process.wait() == 130
    stderr = (tmp_path / "run.err").read_text()
    assert len(stderr.splitlines()) == 1 and stderr.startswith("net221-train: interrupted"), stderr
    assert "Traceback" not in stderr


def do_nothing() -> None:
    """A Python call: where a pending signal's handler runs."""


class SendsSigintWhenCollected:
    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        do_nothing()  # the handler runs here, inside the finalizer


def test_ctrl_c_in_a_finalizer_while_the_run_is_set_up_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A KeyboardInterrupt raised inside a finalizer is printed and dropped: the run would go on.
    # net221-train only raises a flag until the run can stop; the run then ends before it starts.
    validate = train_app.validate_train

    def collect_then_validate(cfg: Any) -> None:
        SendsSigintWhenCollected()  # made and collected at once, after Hydra's set-up
        validate(cfg)

    monkeypatch.setattr(train_app, "validate_train", collect_then_validate)
    handler = signal.getsignal(signal.SIGINT)
    result = run_in_process(
        "net221-train", "trainer.epochs=3", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path
    )
    assert signal.getsignal(signal.SIGINT) is handler, "the previous handler is back"
    assert (result.returncode, result.stderr) == (130, "net221-train: interrupted\n"), result.stderr
    assert (
        not (tmp_path / "run" / "metrics.csv").exists() and not (tmp_path / "run" / "summary.json").exists()
    )


def test_ctrl_c_after_the_training_ends_the_command_once_its_outputs_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    describe = train_app.outputs.describe_model

    def interrupt_then_describe(*args: Any) -> None:  # the last step before summary.json
        os.kill(os.getpid(), signal.SIGINT)
        describe(*args)

    monkeypatch.setattr(train_app.outputs, "describe_model", interrupt_then_describe)
    result = run_in_process(
        "net221-train", "trainer.epochs=3", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path
    )
    assert (result.returncode, result.stderr) == (130, "net221-train: interrupted\n"), result.stderr
    assert (tmp_path / "run" / "summary.json").is_file()  # the run's outputs are whole


def test_streams_closed_from_the_start_are_quiet(
    table: Path, uninterrupted: Callable[[list[str]], Path], tmp_path: Path
) -> None:
    # (a reader that goes away mid-run: the sweep above)
    # stdout and stderr both closed before the start (`>&- 2>&-`): a bad value still exits 2
    result = subprocess.run(
        [str(BIN / "net221-train"), "trainer.epochs=0", f"hydra.run.dir={tmp_path / 'bad'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, check=False,
        preexec_fn=lambda: (os.close(1), os.close(2)),
    )  # fmt: skip
    assert result.returncode == 2
    assert "trainer.epochs=0" in (tmp_path / "bad" / "error.txt").read_text()
    # predict into a pipe closed at once (`| true`)
    checkpoint = uninterrupted(single_args(table)) / "checkpoint.pt"
    done = subprocess.run(
        f"{BIN / 'net221-predict'} checkpoint={checkpoint} +a=0.5 +b=-0.5 | true",
        shell=True, capture_output=True, text=True, check=False, executable="/bin/bash",
    )  # fmt: skip
    assert done.stderr == "", done.stderr


# --- the run directory tells the truth --------------------------------------------------


def assert_consistent(run_dir: Path) -> None:
    """Every file whole or absent: no temporaries, metrics.csv with its header and whole rows, a
    checkpoint that loads, complete figures, summary.json only beside everything else."""
    assert not [p.name for p in run_dir.iterdir() if is_temporary(p)]
    if (run_dir / "metrics.csv").exists():
        with (run_dir / "metrics.csv").open() as handle:
            table = list(csv.reader(handle))
        assert table and table[0] == ["epoch", "loss", "accuracy"], table[:1]
        assert all(len(row) == 3 for row in table[1:]), table
        epochs = [int(row[0]) for row in table[1:]]  # every 10th, and the last of the run
        assert epochs[:-1] == list(range(0, 10 * (len(epochs) - 1), 10)) and epochs == sorted(set(epochs))
    if (run_dir / "checkpoint.pt").exists():
        load_checkpoint(run_dir / "checkpoint.pt")
    for figure in ("loss.png", "decision_boundary.png"):
        if (run_dir / figure).exists():
            assert (run_dir / figure).read_bytes().endswith(PNG_END), figure
    if (run_dir / "summary.json").exists():
        json.loads((run_dir / "summary.json").read_text())
        for name in ("metrics.csv", "checkpoint.pt", "loss.png", "decision_boundary.png"):
            assert (run_dir / name).exists(), name


def test_an_earlier_run_leaves_nothing_beside_a_new_one(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    train_in_process(run_dir, "trainer.epochs=40", "model.width=3")
    earlier = {path.name: path.read_bytes() for path in run_dir.iterdir() if path.is_file()}
    with pytest.raises(UserError, match=r"trainer\.epochs=0"):
        train_in_process(run_dir, "trainer.epochs=0")
    # refused before it starts: the earlier run's files stay as they were, error.txt says why
    kept = {path.name: path.read_bytes() for path in run_dir.iterdir() if path.is_file()}
    assert kept.pop("error.txt").decode().startswith("trainer.epochs=0: must be >= 1")
    assert kept == earlier
    (run_dir / ".checkpoint.999.tmp.pt").write_bytes(b"half a checkpoint")
    (run_dir / "members.csv").write_text("member\n")
    train_in_process(run_dir, "trainer.epochs=20")
    # a run that starts: nothing of the earlier one is left to be mistaken for its results
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(
        ["checkpoint.pt", "decision_boundary.png", "loss.png", "metrics.csv", "summary.json"]
    )
    assert load_checkpoint(run_dir / "checkpoint.pt")["model"]["width"] == 2
    finished = {path.name: path.read_bytes() for path in run_dir.iterdir()}
    with pytest.raises(UserError, match="already has 20 epochs"):  # a refused resume keeps them too
        train_in_process(run_dir, "trainer.epochs=10", "trainer.resume=auto")
    assert {
        path.name: path.read_bytes() for path in run_dir.iterdir() if path.name != "error.txt"
    } == finished
    # resume=auto keeps the checkpoint it resumes from
    train_in_process(run_dir, "trainer.epochs=30", "trainer.resume=auto")
    assert load_checkpoint(run_dir / "checkpoint.pt")["epoch"] == 30
    assert_consistent(run_dir)


# --- full and unwritable disks ------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (root needed): {result.stderr.strip() or result.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill the disk to `leave` bytes (in pages) of free space."""
    free = shutil.disk_usage(disk).free
    with (disk / "filler").open("wb") as handle:
        handle.write(b"\0" * max(0, free - leave))


DISK_RUN = ("trainer.epochs=60", "trainer.checkpoint_every=20")  # three checkpoints, then the last
# A run's writes in order; each new checkpoint is written beside the one before it, which goes
# once the new one is whole.
WRITES = (
    "metrics.csv", "checkpoint.pt", "checkpoint.pt again", "loss.png",
    "decision_boundary.png", "summary.json",
)  # fmt: skip


@pytest.fixture(scope="module")
def disk_run_pages(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], dict[str, int]]:
    """The pages each file of a whole disk-test run takes, for a page size (trained once)."""
    run_dir = tmp_path_factory.mktemp("whole")
    train_in_process(run_dir, *DISK_RUN)
    sizes = {path.name: path.stat().st_size for path in run_dir.iterdir()}
    return lambda page: {name: -(-size // page) for name, size in sizes.items()}


def free_pages_short_at(pages: dict[str, int]) -> dict[str, int]:
    """For each write, the free pages that leave the run one page short of it; for "nothing",
    room for the whole run."""
    held, short_at = 0, {}
    for write in WRITES:
        needs = pages[write.removesuffix(" again")]
        short_at[write] = held + needs - 1
        if not write.endswith(" again"):  # a new checkpoint replaces the one before
            held += needs
    return short_at | {"nothing": held}


@pytest.mark.parametrize("short_at", [*WRITES, "nothing"])
def test_a_disk_that_fills_up_at_any_write_leaves_a_consistent_directory(
    small_disk: Path, disk_run_pages: Callable[[int], dict[str, int]], short_at: str
) -> None:
    # the free space is worked out from a whole run's files, so each write meets the full disk
    # however large the figures are
    page = os.statvfs(small_disk).f_frsize
    run_dir = small_disk / "run"
    run_dir.mkdir()
    fill(small_disk, free_pages_short_at(disk_run_pages(page))[short_at] * page)
    try:
        train_in_process(run_dir, *DISK_RUN)
    except OutputError as error:
        assert short_at != "nothing", error
        assert "No space left on device" in str(error) and "\n" not in str(error), error
        named = short_at.removesuffix(" again")
        assert str(error).startswith(f"cannot write {run_dir / named}: "), (short_at, error)
        assert not (run_dir / "summary.json").exists()
        if (run_dir / "error.txt").exists():  # where the failed write left room for it: whole
            assert (run_dir / "error.txt").read_text() == f"{error}\n"
        if short_at == "checkpoint.pt again":
            assert (run_dir / "checkpoint.pt").exists(), "the checkpoint before is kept"
        if short_at == "checkpoint.pt":  # the first one (a later one takes as many pages)
            assert not (run_dir / "checkpoint.pt").exists()
    else:
        assert short_at == "nothing", "a write one page short cannot succeed"
        assert not (run_dir / "error.txt").exists()
        assert (run_dir / "summary.json").exists()
    assert_consistent(run_dir)


def test_a_full_disk_through_the_app_is_one_line_with_error_txt(small_disk: Path) -> None:
    fill(small_disk, 64 * 1024)  # room for the config, the log and the first figure
    run_dir = small_disk / "run"
    result = run_in_process("net221-train", "trainer.epochs=30", f"hydra.run.dir={run_dir}", cwd=small_disk)
    assert_one_line_error(result, "net221-train", "No space left on device")
    assert "No space left on device" in (run_dir / "error.txt").read_text()
    assert load_checkpoint(run_dir / "checkpoint.pt")["epoch"] == 30  # the trained network is kept
    assert_consistent(run_dir)


def read_only(disk: Path) -> None:
    result = subprocess.run(
        ["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"cannot remount read-only: {result.stderr.strip()}")


# where an output goes -> what the one line says
UNWRITABLE = {
    "through a file": "Not a directory",
    "a name too long": "File name too long",
    "a path too long": "File name too long",
    "read-only": "Read-only file system",
    "immutable": "Operation not permitted",
    "a full disk": "No space left on device",
}


def unwritable(where: str, tmp_path: Path, small_disk: Path) -> Path:
    """A directory path that cannot be written, made so for `where`."""
    if where == "through a file":
        (tmp_path / "a_file").write_text("a file, not a directory\n")
        return tmp_path / "a_file" / "run"
    if where == "a name too long":
        return tmp_path / ("x" * 300) / "run"
    if where == "a path too long":
        return tmp_path.joinpath(*["d" * 200] * 25)
    if where == "read-only":
        read_only(small_disk)
        return small_disk / "run"
    if where == "immutable":
        (tmp_path / "immutable").mkdir()
        if subprocess.run(["chattr", "+i", str(tmp_path / "immutable")], check=False).returncode != 0:
            pytest.skip("chattr +i is not available here")
        return tmp_path / "immutable" / "run"
    (small_disk / "run").mkdir()
    fill(small_disk, 0)
    return small_disk / "run"


@pytest.mark.parametrize("where", [w for w in UNWRITABLE if w != "a full disk"])
def test_an_output_location_that_cannot_be_written_is_one_line(
    where: str, tmp_path: Path, small_disk: Path
) -> None:
    place = unwritable(where, tmp_path, small_disk)
    try:
        # the run directory (Hydra makes it), then the TensorBoard directory
        result = run_in_process("net221-train", "trainer.epochs=3", f"hydra.run.dir={place}", cwd=tmp_path)
        assert_one_line_error(result, "net221-train", UNWRITABLE[where])
        pytest.importorskip("tensorboard", reason="the optional [tensorboard] extra is not installed")
        with pytest.raises(OutputError, match=UNWRITABLE[where]):
            train_in_process(
                tmp_path / "ok",
                "trainer.epochs=3",
                "logger=tensorboard",
                f"logger.tensorboard.log_dir={place}",
            )
        assert_consistent(tmp_path / "ok")
    finally:
        subprocess.run(["chattr", "-i", str(tmp_path / "immutable")], check=False, capture_output=True)


def test_a_full_disk_for_tensorboard_is_one_line(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tensorboard", reason="the optional [tensorboard] extra is not installed")
    # as in the app: TensorBoard's writer thread that cannot write ends quietly (the main thread reports)
    monkeypatch.setattr(threading, "excepthook", process._quiet_writer_threads)
    place = unwritable("a full disk", tmp_path, small_disk)
    with pytest.raises(OutputError, match=f"cannot write {place}/tb: No space left on device"):
        train_in_process(
            tmp_path / "run",
            "trainer.epochs=3",
            "logger=tensorboard",
            f"logger.tensorboard.log_dir={place}/tb",
        )
    assert_consistent(tmp_path / "run")


@pytest.mark.parametrize("where", list(UNWRITABLE))
def test_a_report_that_cannot_be_written_is_one_line(
    where: str, tmp_path: Path, small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep"
    (sweep / "0" / ".hydra").mkdir(parents=True)
    (sweep / "0" / ".hydra" / "overrides.yaml").write_text("- optimizer.lr=0.1\n")
    (sweep / "0" / "summary.json").write_text('{"final_loss": 0.1, "final_accuracy": 1.0}')
    place = unwritable(where, tmp_path, small_disk).parent  # a directory the report cannot write in
    try:
        for option in (f"csv={place / 'report.csv'}", f"plot={place / 'report.png'}"):
            result = run_in_process("net221-report", f"dir={sweep}", option, cwd=tmp_path)
            assert_one_line_error(result, "net221-report", UNWRITABLE[where])
        if where == "a full disk":  # nothing half written
            assert sorted(p.name for p in place.iterdir()) == ["filler", "run"]
    finally:
        subprocess.run(["chattr", "-i", str(tmp_path / "immutable")], check=False, capture_output=True)


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="the signal, mount and chattr tests are written for Linux")
