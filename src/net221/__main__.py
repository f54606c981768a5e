"""`python -m net221`: the installed version (`--version`) and the commands that come with it.

Only the standard library and `net221.__version__` are imported, so this answers at once.
"""

from __future__ import annotations

import argparse

from net221 import __version__

# (how to run it, what it does)
COMMANDS = (
    ("net221-train", "train the network under a Hydra config; no arguments reproduce the blog"),
    ("net221-predict", "the probability and label a trained checkpoint gives one person or row"),
    ("net221-gradcheck", "check hand-written partials against autograd and finite differences"),
    ("net221-compare", "check a whole implementation (or a trajectory file) against the reference"),
    ("net221-report", "one table and one plot for a sweep (multirun) directory"),
    ("python -m net221.numpy_trainer", "the blog's training in NumPy alone, the baseline"),
)


def main(argv: list[str] | None = None) -> None:
    width = max(len(command) for command, _ in COMMANDS)
    lines = [f"  {command:<{width}}  {summary}" for command, summary in COMMANDS]
    parser = argparse.ArgumentParser(
        prog="python -m net221",
        description="The 2-2-1 sigmoid network of 'An Introduction to Neural Networks', in PyTorch.",
        epilog="commands:\n" + "\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"net221 {__version__}")
    parser.parse_args(argv)
    parser.print_help()


if __name__ == "__main__":
    main()
