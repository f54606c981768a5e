"""The blog's training algorithm from scratch: NumPy, the hand-written partials, no torch.

This is the baseline the torch trainer is compared against, step by step: per-sample SGD
in the data's order (no shuffling), all nine partials computed before any parameter
changes, and every `log_every` epochs the MSE over the whole data set printed as
`Epoch N loss: X.XXX` (`python -m net221.numpy_trainer`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

import numpy as np

from net221.data import BLOG_SHIFT, blog_dataset, held_out_people
from net221.derivation import blog_partials, feedforward
from net221.init import BLOG_NAMES, blog_vector, initial_parameters


def mse_loss(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Mean of (y_true - y_pred)^2; arguments in torch's order, as every loss in net221 takes them."""
    return float(((y_true - y_pred) ** 2).mean())


class NumpyNetwork:
    """The 2-2-1 sigmoid network with its nine parameters as plain floats."""

    def __init__(self, values: Mapping[str, float] | None = None, seed: int = 0) -> None:
        # Same draw as the torch module's `init=normal` with the same seed.
        flat = blog_vector(values) if values is not None else initial_parameters("normal", seed=seed)[0]
        self.params: dict[str, float] = dict(zip(BLOG_NAMES, (float(v) for v in flat), strict=True))

    def feedforward(self, x: np.ndarray) -> float:
        return feedforward(**self.params, x1=float(x[0]), x2=float(x[1]))

    def loss(self, data: np.ndarray, all_y_trues: np.ndarray) -> float:
        y_preds = np.array([self.feedforward(x) for x in data])
        return mse_loss(y_preds, all_y_trues)

    def train(
        self,
        data: np.ndarray,
        all_y_trues: np.ndarray,
        learn_rate: float = 0.1,
        epochs: int = 1000,
        log_every: int = 10,
        on_log: Callable[[int, float], None] | None = None,
    ) -> list[tuple[int, float]]:
        """Per-sample SGD; returns [(epoch, loss)] at every logged epoch."""
        samples = [(float(x[0]), float(x[1]), float(y)) for x, y in zip(data, all_y_trues, strict=True)]
        params = self.params
        history: list[tuple[int, float]] = []
        for epoch in range(epochs):
            for x1, x2, y_true in samples:
                partials = blog_partials(**params, x1=x1, x2=x2, y_true=y_true)
                for name in BLOG_NAMES:
                    params[name] -= learn_rate * partials[name]
            if epoch % log_every == 0:
                loss = self.loss(data, all_y_trues)
                history.append((epoch, loss))
                if on_log is not None:
                    on_log(epoch, loss)
        return history


def _print_log(epoch: int, loss: float) -> None:
    print(f"Epoch {epoch} loss: {loss:.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m net221.numpy_trainer", description="Train the blog's network in NumPy."
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the N(0, 1) initial draw")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args(argv)
    if args.seed < 0 or args.epochs < 1 or not args.lr > 0:
        parser.error("--seed must be >= 0, --epochs >= 1 and --lr > 0")

    shift = np.array(BLOG_SHIFT)
    people = blog_dataset()
    network = NumpyNetwork(seed=args.seed)
    network.train(people.features - shift, people.labels, args.lr, args.epochs, on_log=_print_log)
    held_out = held_out_people()
    for name, raw in zip(held_out.names, held_out.features, strict=True):
        print(f"{name}: {network.feedforward(raw - shift):.3f}")


if __name__ == "__main__":
    main()
