"""The points where gradcheck compares partials: the blog's worked example, then random ones.

Layer: training (checks). A point is the nine parameters by blog name, one input
(x1, x2) and its label y_true. Point 0 is the blog's worked example (every weight
1, every bias 0, Alice: x1 = -2, x2 = -1, y_true = 1); the random points are
drawn as SAMPLING says from numpy.random.default_rng(seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from net221.init import BLOG_NAMES

PARAMETER_STD = 1.0  # weights and biases ~ N(0, PARAMETER_STD^2)
INPUT_RANGE = 10.0  # x1, x2 ~ U(-INPUT_RANGE, INPUT_RANGE)
SAMPLING = {
    "weights_and_biases": f"N(0, {PARAMETER_STD**2:g})",
    "inputs": f"U(-{INPUT_RANGE:g}, {INPUT_RANGE:g})",
    "y_true": "0 or 1, equally likely",
}

WORKED_EXAMPLE_PARAMETERS = dict(zip(BLOG_NAMES, (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0), strict=True))
ALICE = (-2.0, -1.0, 1.0)  # x1, x2, y_true


@dataclass(frozen=True)
class Point:
    params: dict[str, float]
    x1: float
    x2: float
    y_true: float
    kind: str  # "worked_example" | "random"

    def where(self) -> str:
        """x1, x2 and y_true, as the table and the error messages show them."""
        return f"x1={self.x1:.6g}, x2={self.x2:.6g}, y_true={self.y_true:g}"

    def describe(self, index: int) -> str:
        kind = "the worked example" if self.kind == "worked_example" else "random"
        return f"point {index} ({kind}: {self.where()})"


def worked_example() -> Point:
    x1, x2, y_true = ALICE
    return Point(dict(WORKED_EXAMPLE_PARAMETERS), x1, x2, y_true, "worked_example")


def random_points(count: int, seed: int) -> list[Point]:
    """`count` points drawn one after the other: the first k are the same for any count >= k."""
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(count):
        params = rng.normal(0.0, PARAMETER_STD, size=len(BLOG_NAMES))
        x1, x2 = rng.uniform(-INPUT_RANGE, INPUT_RANGE, size=2)
        y_true = rng.integers(0, 2)
        points.append(
            Point(
                dict(zip(BLOG_NAMES, params.tolist(), strict=True)),
                float(x1),
                float(x2),
                float(y_true),
                "random",
            )
        )
    return points


def gradcheck_points(count: int, seed: int) -> list[Point]:
    """The worked example first, then `count` random points."""
    return [worked_example(), *random_points(count, seed)]
