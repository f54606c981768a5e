"""Speed and memory of net221 on this machine, measured in one run, as markdown tables.

    python scripts/benchmark.py            # everything (a few minutes)
    python scripts/benchmark.py --quick    # fewer repeats and smaller ensembles
    python scripts/benchmark.py --device cuda   # the torch side on a GPU (no command-line part)

1. Per-sample training of the blog network (1000 epochs, 4000 steps): the NumPy
   from-scratch trainer against the torch trainer (autograd + torch.optim.SGD).
2. The command line: `net221-train` end to end (training, checkpoint, plots)
   against a bare `python -c "import torch"`.
3. Seed ensembles: member-steps per second (members x per-sample steps / training
   time) for E members at once, against the NumPy trainer's steps per second, and
   the peak RSS of a 100,000-member `net221-train` run.

Times are the best of several repeats (the least disturbed by other work on the
machine); every ratio compares numbers taken in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

from net221.data import BLOG_SHIFT, blog_dataset
from net221.ensemble import auto_chunk_size
from net221.init import initial_parameters
from net221.losses import mse_loss
from net221.network import Net221
from net221.numpy_trainer import NumpyNetwork
from net221.trainer import Schedule, train

BIN = Path(sys.executable).parent


def best_of(repeats: int, work: Callable[[], float]) -> float:
    return min(work() for _ in range(repeats))


def blog_arrays() -> tuple[np.ndarray, np.ndarray]:
    people = blog_dataset()
    return people.features - np.array(BLOG_SHIFT), people.labels


def numpy_seconds(epochs: int = 1000) -> float:
    x, y = blog_arrays()
    network = NumpyNetwork(seed=0)
    start = time.perf_counter()
    network.train(x, y, learn_rate=0.1, epochs=epochs)
    return time.perf_counter() - start


def torch_seconds(
    members: int = 1, epochs: int = 1000, dtype: torch.dtype = torch.float64, device: str = "cpu"
) -> float:
    """Training time of `members` blog networks at once, chunked as net221-train chunks them."""
    x_np, y_np = blog_arrays()
    x = torch.tensor(x_np, dtype=dtype, device=device)
    y = torch.tensor(y_np, dtype=dtype, device=device).reshape(-1, 1)
    chunk = auto_chunk_size(members, rows=4, batch_size=1, width=2, input_dim=2, device_type=device)
    total = 0.0
    for first in range(0, members, chunk):
        count = min(chunk, members - first)
        initial = initial_parameters("normal", members=count, seed=first)
        model = Net221(members=count, initial=initial, dtype=dtype, device=device)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        synchronize(device)
        start = time.perf_counter()
        train(model, optimizer, mse_loss, x, y, Schedule(epochs, log_every=10))
        synchronize(device)
        total += time.perf_counter() - start
    return total


def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def command_seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def peak_rss_mib(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak resident memory in MiB) of a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(
            f"{' '.join(command)} failed: {child.stderr.read().decode() if child.stderr else ''}"
        )
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, ensembles up to 10,000")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where torch trains")
    args = parser.parse_args()
    device = args.device
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("benchmark.py: error: --device cuda: torch sees no CUDA device")
    repeats = 3 if args.quick else 7
    torch.set_num_threads(os.cpu_count() or 1)
    gpu = f"; GPU: {torch.cuda.get_device_name()}" if device == "cuda" else ""
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores{gpu}; "
        f"torch {torch.__version__}, numpy {np.__version__}, Python {platform.python_version()}\n"
    )

    # 1. per-sample training loops, measured in turns so that both see the same machine
    numpy_times, torch_times = [], []
    for _ in range(repeats):
        numpy_times += [numpy_seconds() for _ in range(5)]  # short (~20 ms): more repeats
        torch_times.append(torch_seconds(device=device))
    numpy_time, torch_time = min(numpy_times), min(torch_times)
    steps = 4000
    print("Per-sample training of the blog network, 1000 epochs (4000 steps):\n")
    print(table(
        ["trainer", "time (s)", "µs per step", "× NumPy"],
        [
            ["NumPy, from scratch", f"{numpy_time:.3f}", f"{1e6 * numpy_time / steps:.1f}", "1.0"],
            [f"torch, autograd + SGD ({device})", f"{torch_time:.3f}", f"{1e6 * torch_time / steps:.1f}", f"{torch_time / numpy_time:.1f}"],
        ],
    ))  # fmt: skip

    # 2. the command line against a bare torch import (on the CPU only)
    if device == "cpu":
        command_line(repeats)

    # 3. ensembles; the NumPy trainer is timed again between them, and the best of all
    # its times is the baseline
    sizes = [1, 100, 1_000, 10_000] + ([] if args.quick else [100_000])
    if device == "cuda" and not args.quick:
        sizes.append(1_000_000)
    rates: list[tuple[str, int, float]] = []
    for dtype in (torch.float64, torch.float32):
        for members in sizes:
            epochs = int(min(1000, max(50, 2e6 / (4 * members))))
            seconds = best_of(
                2 if members >= 10_000 else repeats, partial(torch_seconds, members, epochs, dtype, device)
            )
            numpy_times += [numpy_seconds() for _ in range(3)]
            name = f"{dtype}".replace("torch.", "") + ("" if device == "cpu" else f", {device}")
            rates.append((name, members, members * 4 * epochs / seconds))
    numpy_rate = 4 * 1000 / min(numpy_times)
    rows = [["NumPy trainer (one network)", "", f"{numpy_rate / 1e3:,.0f} k", "1"]]
    for name, members, rate in rates:
        rows.append([f"torch, {name}", f"{members:,}", f"{rate / 1e3:,.0f} k", f"{rate / numpy_rate:,.1f}"])
    print("\nSeed ensembles, member-steps per second:\n")
    print(table(["trainer", "members", "member-steps/s", "× NumPy"], rows))

    if not args.quick and device == "cpu":
        with tempfile.TemporaryDirectory() as scratch:
            command = [
                str(BIN / "net221-train"), "experiment=seed_study", "trainer.members=100000",
                f"hydra.run.dir={Path(scratch) / 'run'}",
            ]  # fmt: skip
            wall, rss = peak_rss_mib(command, Path(scratch))
        print(
            f"\n`net221-train experiment=seed_study trainer.members=100000` (1000 epochs): "
            f"{wall:.1f} s wall, peak RSS {rss:,.0f} MiB"
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\n(benchmark process peak RSS {usage.ru_maxrss / 1024:,.0f} MiB)")


def command_line(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        bare = [sys.executable, "-c", "import torch"]
        app = [str(BIN / "net221-train"), f"hydra.run.dir={cwd / 'run'}"]
        command_seconds(app, cwd)  # warm the file cache and matplotlib's font cache
        bare_times, app_times = [], []
        for _ in range(repeats):
            bare_times.append(command_seconds(bare, cwd))
            app_times.append(command_seconds(app, cwd))
    print(f"\nThe command line, wall time (best of {repeats}):\n")
    print(table(
        ["command", "wall (s)", "× import torch"],
        [
            ['python -c "import torch"', f"{min(bare_times):.2f}", "1.00"],
            ["net221-train (the blog, all outputs)", f"{min(app_times):.2f}", f"{min(app_times) / min(bare_times):.2f}"],
        ],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
