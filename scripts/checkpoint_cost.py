"""What the periodic checkpoints cost: training time with and without them, on this machine.

    python scripts/checkpoint_cost.py                  # the blog, 3000 epochs, every 200 (the default)
    python scripts/checkpoint_cost.py --every 50 --members 10000 --epochs 1000

Trains the same network (or seed study) with `trainer.checkpoint_every` set and
with it off, alternating, in one process, and reports the best time of each
(the least disturbed by other work on the machine), their difference, and the
cost of one save measured on its own: the periodic save (atomic, not forced to
the disk) and the durable one written on a stop and at the end (with fsync).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_module

from net221.app.checkpoint import Saver, SingleState, load_checkpoint, save_checkpoint
from net221.app.config import register_schemas
from net221.app.experiment import build_experiment
from net221.app.run import chunk_size, train_seed_study, train_single
from net221.seed_study import StudyState


def seconds(
    overrides: list[str], directory: Path, every: int | None, members: int
) -> tuple[float, list[float]]:
    """Training time of one run, and the time of each periodic save in it."""
    register_schemas()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    experiment = build_experiment(cfg)
    saver = Saver(directory / "checkpoint.pt", cfg, experiment.data)
    saves: list[float] = []

    def timed_single(state: SingleState, durable: bool) -> None:
        start = time.perf_counter()
        saver.single(state, durable)
        saves.append(time.perf_counter() - start)

    def timed_study(state: StudyState, durable: bool) -> None:
        start = time.perf_counter()
        saver.study(state, durable)
        saves.append(time.perf_counter() - start)

    start = time.perf_counter()
    if members == 1:
        train_single(experiment, lambda row: None, save=timed_single, save_every=every)
    else:
        chunk = chunk_size(experiment, members, None, int(cfg.model.width))
        state = StudyState(members, chunk)
        train_seed_study(experiment, members, chunk, state=state, save=timed_study, save_every=every)
    return time.perf_counter() - start, saves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3000)
    parser.add_argument("--every", type=int, default=200)
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = [f"trainer.epochs={args.epochs}", f"trainer.members={args.members}"]
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as name:
        directory = Path(name)
        off, on, saves = [], [], []
        for _ in range(args.repeats):
            off.append(seconds(overrides, directory, None, args.members)[0])
            took, each = seconds(overrides, directory, args.every, args.members)
            on.append(took)
            saves += each
        checkpoint = load_checkpoint(directory / "checkpoint.pt")  # the last periodic one
        durable: list[float] = []
        for _ in range(20):  # the same checkpoint, forced to the disk
            start = time.perf_counter()
            save_checkpoint(directory / "durable.pt", checkpoint, durable=True)
            durable.append(time.perf_counter() - start)
    best_off, best_on = min(off), min(on)
    what = "the blog network" if args.members == 1 else f"a seed study of {args.members:,} members"
    print(f"{what}, {args.epochs} epochs, checkpoint_every={args.every}, best of {args.repeats}:")
    print(
        f"  without periodic checkpoints  {best_off:.3f} s ({best_off / args.epochs * 1e3:.3f} ms per epoch)"
    )
    print(f"  with them                     {best_on:.3f} s ({len(saves) // args.repeats} saves)")
    print(f"  difference                    {(best_on - best_off) / best_off * 100:+.1f} %")
    median = statistics.median(saves)
    per_interval = best_off / args.epochs * args.every
    print(f"  one periodic save             {median * 1e3:.2f} ms median = {median / per_interval * 100:.1f} % "
          f"of {args.every} epochs")  # fmt: skip
    print(f"  one durable save (fsync)      {statistics.median(durable) * 1e3:.2f} ms median")
    print(f"(python {sys.version.split()[0]}, torch {torch.__version__})")


if __name__ == "__main__":
    main()
