"""A class in the blog's shape, as people write it (docs/compare.md): the calls net221-compare
makes into it, with method-name aliases, train()'s learning rate and epochs filled by name,
did-you-mean for a missing method and the one-sample hint for a batched feedforward."""

from __future__ import annotations

import difflib
import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from net221.checks.usercode import Call, CallError, UserCodeError, load
from net221.init import BLOG_NAMES

FEEDFORWARD = ("feedforward", "feed_forward", "forward", "predict")
TRAIN = ("train", "fit")
LEARNING_RATE = ("learn_rate", "learning_rate", "lr", "eta", "alpha", "rate", "step_size")
EPOCHS = ("epochs", "n_epochs", "num_epochs", "epoch", "max_epochs", "iterations", "n_iter", "iters")
ONE_SAMPLE = "feedforward receives one sample, an array of shape (2,), and returns a float"


class ImplementationError(UserCodeError):
    """The implementation under test cannot be loaded or run."""


def as_float(value: object) -> float | None:
    """A real number (a float, an int, a NumPy scalar or one-element array) as a float (an int
    too large for one: infinite)."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:  # an int beyond a float's range: as far as a float goes
            return -math.inf if value < 0 else math.inf
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        return float(value.reshape(-1)[0])
    return None


def _method(obj: object, names: Sequence[str], cls: str) -> tuple[Callable[..., Any], list[str]]:
    """The first of `names` that obj has as a method, and a note when it is not the blog's name."""
    for name in names:
        if callable(found := getattr(obj, name, None)):
            return found, [] if name == names[0] else [f"{names[0]}: calling {name}()"]
    others = [name for name in dir(obj) if not name.startswith("_") and callable(getattr(obj, name, None))]
    close = difflib.get_close_matches(names[0], others, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}()?" if close else f"; its methods: {', '.join(others) or 'none'}"
    raise UserCodeError(f"{cls} has no method {names[0]}() (nor {', '.join(names[1:])}){hint}")


def _train_keywords(train: Callable[..., Any], cls: str, lr: float, epochs: int) -> dict[str, Any]:
    """The reference's learning rate and epochs, by name, for a train() that takes them."""
    try:
        parameters = list(inspect.signature(train).parameters.values())[2:]
    except (TypeError, ValueError):
        return {}
    keywords: dict[str, Any] = {}
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name.lower() in LEARNING_RATE or p.name.lower() in EPOCHS:
            keywords[p.name] = lr if p.name.lower() in LEARNING_RATE else epochs
        elif p.default is p.empty:
            raise UserCodeError(
                f"{cls}.train() needs {p.name}, which net221-compare cannot give: it passes data, "
                f"all_y_trues and, by name, a learning rate ({', '.join(LEARNING_RATE)}) "
                f"and an epoch count ({', '.join(EPOCHS)})"
            )
    return keywords


class UserNetwork:
    """The calls into the class `spec` names (path/to/network.py:ClassName), for a Child."""

    def __init__(self, spec: str) -> None:
        self.spec, (self.target, _, self.name) = spec, spec.rpartition(":")
        self.state: dict[str, Any] = {}

    def parameters(self, when: str) -> dict[str, float]:
        """The nine values by blog name; `when` ("initial values", "after train") goes in errors."""
        obj, values = self.state["obj"], {}
        for name in BLOG_NAMES:
            if not hasattr(obj, name):
                raise UserCodeError(f"{self.name} has no attribute {name} ({when})")
            value = getattr(obj, name)
            number = as_float(value)
            if number is None:
                raise UserCodeError(f"{name} is a {type(value).__name__}, not a number ({when})")
            if not math.isfinite(number):
                raise UserCodeError(f"{name} is {number} ({when})")
            values[name] = number
        return values

    def construct(self) -> tuple[list[str], dict[str, float]]:
        obj = self.state["obj"] = self.state["cls"]()
        self.state["feedforward"], notes = _method(obj, FEEDFORWARD, self.name)
        self.state["train"], more = _method(obj, TRAIN, self.name)
        return notes + more, self.parameters("initial values")

    def feedforward(self, inputs: np.ndarray) -> np.ndarray:
        """feedforward on each row of inputs (M, 2), each given as a fresh (2,) array."""
        out = np.empty(len(inputs))
        for i, row in enumerate(inputs):
            result = self.state["feedforward"](row.copy())
            number = as_float(result)
            if number is None:
                shape = np.shape(result) if isinstance(result, np.ndarray | list | tuple) else None
                raise UserCodeError(
                    f"feedforward({row.tolist()}) returned a {type(result).__name__}, expected a float"
                    + (f" (of shape {shape}: {ONE_SAMPLE})" if shape is not None else "")
                )
            out[i] = number
        return out

    def train(self, data: np.ndarray, labels: np.ndarray, lr: float, epochs: int) -> list[str]:
        """train(data, all_y_trues) on copies, with the learning rate and epochs if it takes them."""
        keywords = _train_keywords(self.state["train"], self.name, lr, epochs)
        self.state["train"](data.copy(), labels.copy(), **keywords)
        given = ", ".join(f"{key}={value:g}" for key, value in keywords.items())
        return [f"train: called with {given}"] if given else []

    def calls(
        self,
        inputs: np.ndarray,
        data: np.ndarray,
        labels: np.ndarray,
        held: np.ndarray,
        lr: float,
        epochs: int,
    ) -> list[Call]:
        """Import, construct, feedforward on `inputs`, train, the values after training, feedforward
        on `held`."""
        return [
            (f"importing {self.target}", lambda: self.state.update(cls=load(self.spec, "class"))),
            (f"{self.name}()", self.construct),
            ("feedforward", partial(self.feedforward, inputs)),
            ("train", partial(self.train, data, labels, lr, epochs)),
            ("after train", partial(self.parameters, "after train")),
            ("feedforward", partial(self.feedforward, held)),
        ]

    def explained(self, error: UserCodeError) -> str:
        """The error's line, with what to do where that is known."""
        if not isinstance(error, CallError):
            return str(error)
        if error.timed_out:
            return f"{error} (raise the limit with timeout=SECONDS)"
        where = f" in {error.where}" if error.where else ""
        raised = error.problem.partition(":")[0].removeprefix("raised ")
        batch = error.what == "feedforward" and raised in ("IndexError", "ValueError", "TypeError")
        return f"{error}{where}" + (f" ({ONE_SAMPLE})" if batch else "")
