"""The blog's people, and the normalization that turns raw units into network inputs (NumPy only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The blog shifts weight by 135 lb and height by 66 in (round numbers near the
# data, not the mean).
BLOG_FEATURES = ("weight", "height")
BLOG_UNITS = {"weight": "lb", "height": "in"}
BLOG_SHIFT = (135.0, 66.0)

# name, weight (lb), height (in), gender
_BLOG_PEOPLE = (
    ("Alice", 133.0, 65.0, "F"),
    ("Bob", 160.0, 72.0, "M"),
    ("Charlie", 152.0, 70.0, "M"),
    ("Diana", 120.0, 60.0, "F"),
)
# The two people the blog predicts after training.
_HELD_OUT = (
    ("Emily", 128.0, 63.0, "F"),
    ("Frank", 155.0, 68.0, "M"),
)

NORMALIZE_MODES = ("blog", "mean", "standardize", "none")


@dataclass(frozen=True)
class Dataset:
    """Rows of raw features (N, D) with 0/1 labels (N,), each row keeping its name."""

    names: tuple[str, ...]
    features: np.ndarray
    labels: np.ndarray
    feature_names: tuple[str, ...]
    label_names: tuple[str, str] = ("0", "1")  # what labels 0 and 1 mean

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, rows: Sequence[int] | np.ndarray) -> Dataset:
        index = np.asarray(rows, dtype=np.int64)
        return Dataset(
            names=tuple(self.names[i] for i in index),
            features=self.features[index],
            labels=self.labels[index],
            feature_names=self.feature_names,
            label_names=self.label_names,
        )


def _people(rows: tuple[tuple[str, float, float, str], ...]) -> Dataset:
    return Dataset(
        names=tuple(row[0] for row in rows),
        features=np.array([[row[1], row[2]] for row in rows], dtype=np.float64),
        labels=np.array([1.0 if row[3] == "F" else 0.0 for row in rows]),
        feature_names=BLOG_FEATURES,
        label_names=("male", "female"),
    )


def blog_dataset() -> Dataset:
    """Alice, Bob, Charlie and Diana, in the blog's order, raw units (lb, in)."""
    return _people(_BLOG_PEOPLE)


def held_out_people() -> Dataset:
    """Emily and Frank, whom the blog predicts after training (raw units)."""
    return _people(_HELD_OUT)


@dataclass(frozen=True)
class Normalization:
    """x_input = (x_raw - shift) / scale, per feature."""

    shift: tuple[float, ...]
    scale: tuple[float, ...]

    def apply(self, raw: np.ndarray) -> np.ndarray:
        inputs: np.ndarray = (np.asarray(raw, dtype=np.float64) - self.shift) / np.asarray(self.scale)
        return inputs

    @classmethod
    def fit(cls, mode: str, raw: np.ndarray, feature_names: Sequence[str]) -> Normalization:
        """Constants for `mode`, computed from `raw` (the training rows) where needed."""
        width = raw.shape[1]
        if mode == "blog":
            if width != len(BLOG_SHIFT):
                raise ValueError(
                    f"normalize=blog subtracts {BLOG_SHIFT[0]:g} and {BLOG_SHIFT[1]:g} from "
                    f"exactly two features (weight, height); got {width}: {list(feature_names)}"
                )
            return cls(shift=BLOG_SHIFT, scale=(1.0,) * width)
        if mode == "none":
            return cls(shift=(0.0,) * width, scale=(1.0,) * width)
        with np.errstate(over="ignore", invalid="ignore"):  # values near float64's limit: refused below
            mean, std = raw.mean(axis=0), raw.std(axis=0)
        for name, m, s in zip(feature_names, mean, std, strict=True):
            if not (np.isfinite(m) and np.isfinite(s)):
                raise ValueError(f"normalize={mode}: feature {name!r} has values too large to average")
        if mode == "mean":
            return cls(shift=tuple(float(m) for m in mean), scale=(1.0,) * width)
        if mode == "standardize":
            for name, value in zip(feature_names, std, strict=True):
                if not value > 0.0:
                    raise ValueError(f"normalize=standardize: feature {name!r} is constant")
            return cls(shift=tuple(float(m) for m in mean), scale=tuple(float(s) for s in std))
        raise ValueError(f"unknown normalize mode {mode!r}; expected one of {list(NORMALIZE_MODES)}")

    def to_dict(self) -> dict[str, list[float]]:
        return {"shift": list(self.shift), "scale": list(self.scale)}
