"""Speed and memory of net221 on this machine, measured in one run, as markdown tables.

    python scripts/benchmark.py            # everything (several minutes)
    python scripts/benchmark.py --quick    # fewer repeats, smaller ensembles
    python scripts/benchmark.py --device cuda   # ensembles on a GPU as well

P1. The per-sample training loop of the blog network against the anchor: the
    script a PyTorch user writes for the blog (scripts/blog_torch.py: two
    nn.Linear, sigmoid, SGD(lr=0.1), per-sample F.mse_loss, 1000 epochs in
    float64, the loss every 10 epochs). Both loops run in this process, in turns;
    net221's loop is also timed phase by phase.
P3. Whole processes: `net221-train` (every output) against `python scripts/blog_torch.py`.
P2. Seed ensembles: member-steps per second (members x per-sample steps / time)
    against the NumPy trainer's steps per second, on a quiet machine and with a
    second process spinning one core.
T.  Threads: torch.set_num_threads(1) against torch's default, quiet and loaded,
    for one network and for a 10,000-member seed study.

Times are the best of several repeats (the least disturbed by other work);
every ratio compares numbers taken in the same run. Threads are set explicitly
for every measurement.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from net221.data import BLOG_SHIFT, blog_dataset
from net221.ensemble import Ensemble, MemberLoss
from net221.loop import EpochPlan, evaluator, train
from net221.network import Net221
from net221.numpy_trainer import NumpyNetwork
from net221.seed_study import auto_chunk_size

BIN = Path(sys.executable).parent
SCRIPTS = Path(__file__).resolve().parent
DEFAULT_THREADS = torch.get_num_threads()
STEPS = 4000  # 1000 epochs of the blog's four people


def blog_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    people = blog_dataset()
    x = torch.tensor(people.features - np.array(BLOG_SHIFT), dtype=torch.float64)
    return x, torch.tensor(people.labels, dtype=torch.float64).reshape(-1, 1)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


@contextmanager
def spinning_core() -> Iterator[None]:
    """Another process keeping one core busy, as on a shared machine."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        yield
    finally:
        spinner.kill()
        spinner.wait()


# --- P1: the per-sample loop --------------------------------------------------------


class AnchorNetwork(nn.Module):
    """scripts/blog_torch.py's module."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 2, dtype=torch.float64)
        self.output = nn.Linear(2, 1, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))


def anchor_loop_seconds() -> float:
    """scripts/blog_torch.py's training loop."""
    data, all_y_trues = blog_tensors()
    network = AnchorNetwork()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    start = time.perf_counter()
    for epoch in range(1000):
        for x, y_true in zip(data, all_y_trues, strict=True):
            optimizer.zero_grad()
            loss = F.mse_loss(network(x), y_true)
            loss.backward()
            optimizer.step()
        if epoch % 10 == 0:
            with torch.no_grad():
                f"{F.mse_loss(network(data), all_y_trues).item():.3f}"
    return time.perf_counter() - start


def net221_loop_seconds(foreach: bool | None = None) -> float:
    """net221.loop.train on a Net221, as net221-train runs it for the blog. `foreach=False`: SGD's
    per-tensor update instead of torch's default, the fastest public variant measured here."""
    x, y = blog_tensors()
    model = Net221()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, foreach=foreach)
    evaluate_epoch = evaluator(model, nn.MSELoss(reduction="none"), x, y)
    start = time.perf_counter()
    train(model, optimizer, nn.MSELoss(), x, y, EpochPlan(1000), evaluate_epoch=evaluate_epoch)
    return time.perf_counter() - start


def net221_phases() -> dict[str, float]:
    """Microseconds per step of each phase of net221's loop (the same calls, with clocks between)."""
    x, y = blog_tensors()
    model = Net221()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    batches = [(x[i : i + 1], y[i : i + 1]) for i in range(4)]
    totals = dict.fromkeys(("zero_grad", "forward", "loss", "backward", "step"), 0.0)
    clock = time.perf_counter
    for _ in range(1000):
        for x_batch, y_batch in batches:
            t0 = clock()
            optimizer.zero_grad()
            t1 = clock()
            y_pred = model(x_batch)
            t2 = clock()
            loss = loss_fn(y_pred, y_batch)
            t3 = clock()
            loss.backward()
            t4 = clock()
            optimizer.step()
            t5 = clock()
            for name, (a, b) in zip(totals, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)), strict=True):
                totals[name] += b - a
    return {name: 1e6 * total / STEPS for name, total in totals.items()}


def loop_section(repeats: int) -> None:
    torch.set_num_threads(1)
    anchor_loop_seconds(), net221_loop_seconds()  # warm up (the optimizer's first step imports more)
    anchor, ours, per_tensor = [], [], []
    for _ in range(repeats):
        anchor.append(anchor_loop_seconds())
        ours.append(net221_loop_seconds())
        per_tensor.append(net221_loop_seconds(foreach=False))
    phases = min((net221_phases() for _ in range(repeats)), key=lambda p: sum(p.values()))
    a, o, f = (min(times) / STEPS * 1e6 for times in (anchor, ours, per_tensor))
    print("P1. Per-sample training loop of the blog network (1000 epochs, 4000 steps, float64, 1 thread):\n")
    print(table(
        ["loop", "µs per step", "× anchor"],
        [
            ["anchor (scripts/blog_torch.py)", f"{a:.1f}", "1.00"],
            ["net221.loop.train", f"{o:.1f}", f"{o / a:.2f}"],
            ["net221.loop.train, SGD(foreach=False)", f"{f:.1f}", f"{f / a:.2f}"],
        ],
    ))  # fmt: skip
    print("\nnet221's step, phase by phase (µs):\n")
    print(table(list(phases), [[f"{v:.1f}" for v in phases.values()]]))


# --- P3: whole processes --------------------------------------------------------------


def command_seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def process_section(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        anchor = [sys.executable, str(SCRIPTS / "blog_torch.py")]
        app = [str(BIN / "net221-train"), f"hydra.run.dir={cwd / 'run'}"]
        command_seconds(app, cwd)  # warm the file cache and matplotlib's font cache
        anchor_times, app_times = [], []
        for _ in range(repeats):
            anchor_times.append(command_seconds(anchor, cwd))
            app_times.append(command_seconds(app, cwd))
    a, o = min(anchor_times), min(app_times)
    print(f"\nP3. Whole process, wall time (best of {repeats}):\n")
    print(table(
        ["command", "wall (s)", "× anchor"],
        [["python scripts/blog_torch.py", f"{a:.2f}", "1.00"], ["net221-train (the blog, all outputs)", f"{o:.2f}", f"{o / a:.2f}"]],
    ))  # fmt: skip


# --- P2: ensembles -----------------------------------------------------------------------


def numpy_steps_per_second() -> float:
    people = blog_dataset()
    x, y = people.features - np.array(BLOG_SHIFT), people.labels
    network = NumpyNetwork(seed=0)
    start = time.perf_counter()
    network.train(x, y, learn_rate=0.1, epochs=1000)
    return STEPS / (time.perf_counter() - start)


def ensemble_rate(members: int, epochs: int, dtype: torch.dtype, device: str) -> float:
    """Member-steps per second of `members` blog networks, chunked as net221-train chunks them."""
    x, y = (t.to(device, dtype) for t in blog_tensors())
    chunk = auto_chunk_size(members, rows=4, batch_size=1, width=2, input_dim=2, device_type=device)
    total = 0.0
    for first in range(0, members, chunk):
        model = Ensemble.from_seeds(min(chunk, members - first), first, dtype=dtype, device=device)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        loss = MemberLoss(nn.MSELoss(reduction="sum"))
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        train(model, optimizer, loss, x, y, EpochPlan(epochs))
        if device == "cuda":
            torch.cuda.synchronize()
        total += time.perf_counter() - start
    return members * epochs * 4 / total


def ensemble_section(repeats: int, quick: bool, device: str) -> None:
    torch.set_num_threads(1)
    numpy_rates = [numpy_steps_per_second() for _ in range(5 * repeats)]
    sizes = [100, 1_000, 10_000] + ([] if quick else [100_000])
    rows: list[list[str]] = []
    loaded: dict[str, float] = {}
    for dtype in (torch.float64, torch.float32):
        for members in sizes:
            epochs = int(min(1000, max(20, 2e6 / (4 * members))))
            rate = max(
                ensemble_rate(members, epochs, dtype, device)
                for _ in range(2 if members >= 10_000 else repeats)
            )
            numpy_rates += [numpy_steps_per_second() for _ in range(3)]
            name = str(dtype).replace("torch.", "")
            rows.append([f"{name}, {device}", f"{members:,}", f"{rate / 1e6:,.1f} M", "", f"{rate:.6e}"])
            if members == sizes[-1]:
                with spinning_core():
                    loaded[name] = max(ensemble_rate(members, epochs, dtype, device) for _ in range(2))
                rows[-1][3] = f"{loaded[name] / 1e6:,.1f} M ({loaded[name] / rate:.2f} of quiet)"
    numpy_rate = max(numpy_rates)
    out = [["NumPy trainer (one network)", "1", f"{numpy_rate / 1e3:,.0f} k", "", "1"]]
    for name, members, rate, busy, raw in rows:
        out.append([f"torch, {name}", members, rate, busy, f"{float(raw) / numpy_rate:,.0f}"])
    print("\nP2. Seed ensembles, member-steps per second (1 thread):\n")
    print(table(["trainer", "members", "quiet", "one core busy", "× NumPy (quiet)"], out))


# --- T: threads ------------------------------------------------------------------------


def timed_with_threads(threads: int, work: Callable[[], float]) -> float:
    torch.set_num_threads(threads)
    try:
        return work()
    finally:
        torch.set_num_threads(1)


def threads_section(repeats: int) -> None:
    cases: list[tuple[str, Callable[[], float]]] = [
        ("one network, 1000 epochs", net221_loop_seconds),
        (
            "10,000 members, 100 epochs",
            lambda: 10_000 * 100 * 4 / ensemble_rate(10_000, 100, torch.float64, "cpu"),
        ),
        (
            "100,000 members, 20 epochs",
            lambda: 100_000 * 20 * 4 / ensemble_rate(100_000, 20, torch.float64, "cpu"),
        ),
    ]
    rows = []
    for name, work in cases:
        times = {}
        for label, load in (("quiet", False), ("one core busy", True)):
            for threads in (1, DEFAULT_THREADS):
                if load:
                    with spinning_core():
                        times[(label, threads)] = min(
                            timed_with_threads(threads, work) for _ in range(repeats)
                        )
                else:
                    times[(label, threads)] = min(timed_with_threads(threads, work) for _ in range(repeats))
        rows.append(
            [name]
            + [
                f"{times[(label, t)]:.2f}"
                for label in ("quiet", "one core busy")
                for t in (1, DEFAULT_THREADS)
            ]
        )
    print(f"\nT. Threads: training time (s), 1 thread against torch's default ({DEFAULT_THREADS}):\n")
    d = DEFAULT_THREADS
    print(table(["work", "quiet, 1", f"quiet, {d}", "busy, 1", f"busy, {d}"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, ensembles up to 10,000")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where ensembles train")
    parser.add_argument(
        "--only", choices=["P1", "P2", "P3", "T"], action="append", help="run only these parts"
    )
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("benchmark.py: error: --device cuda: torch sees no CUDA device")
    repeats = 3 if args.quick else 7
    parts = set(args.only or ["P1", "P3", "P2", "T"])
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"torch {torch.__version__}, numpy {np.__version__}, Python {platform.python_version()}\n"
    )
    if "P1" in parts:
        loop_section(repeats)
    if "P3" in parts:
        process_section(repeats)
    if "P2" in parts:
        ensemble_section(repeats, args.quick, args.device)
    if "T" in parts:
        threads_section(2 if args.quick else 3)


if __name__ == "__main__":
    main()
