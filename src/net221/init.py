"""Initial parameter values, drawn the same way for the NumPy trainer and the torch module.

Member k of an ensemble draws from `numpy.random.default_rng(seed + k)`, so it starts
exactly where a single network with seed `seed + k` starts. Its parameters are one flat
vector: hidden weights neuron by neuron (input 1, input 2, ...), output weights, hidden
biases, output bias; for 2 inputs and 2 hidden neurons, the blog's order w1..w6, b1..b3.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

BLOG_NAMES = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")
INIT_SCHEMES = ("normal", "values", "zeros_noise", "xavier")


def parameter_count(input_dim: int, width: int) -> int:
    return input_dim * width + width + width + 1


def has_blog_names(input_dim: int, width: int) -> bool:
    """The blog's names w1..w6, b1..b3 exist only for the 2-2-1 shape."""
    return input_dim == 2 and width == 2


def blog_vector(values: Mapping[str, float]) -> np.ndarray:
    """The flat vector for a {w1: .., ..., b3: ..} mapping; every name exactly once."""
    unknown = sorted(set(values) - set(BLOG_NAMES))
    missing = [name for name in BLOG_NAMES if name not in values]
    if unknown:
        raise ValueError(f"unknown parameter name(s) {unknown}; expected {list(BLOG_NAMES)}")
    if missing:
        raise ValueError(f"missing parameter name(s) {missing}; all nine are needed")
    return np.array([float(values[name]) for name in BLOG_NAMES], dtype=np.float64)


def initial_parameters(
    scheme: str,
    *,
    input_dim: int = 2,
    width: int = 2,
    members: int = 1,
    seed: int = 0,
    values: Mapping[str, float] | None = None,
    noise_std: float = 0.01,
) -> np.ndarray:
    """An array (members, parameter_count) of float64 initial values.

    normal       every parameter ~ N(0, 1), as the blog does;
    values       the nine given by blog name (2-2-1 only), the same for every member;
    zeros_noise  every parameter ~ N(0, noise_std^2);
    xavier       weights ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)); biases 0.
    """
    count = parameter_count(input_dim, width)
    if scheme == "values":
        if not has_blog_names(input_dim, width):
            raise ValueError(
                "init by blog name needs 2 inputs and width 2; "
                f"this network has {input_dim} inputs and width {width}"
            )
        if values is None:
            raise ValueError("init=values needs the nine values by blog name")
        return np.tile(blog_vector(values), (members, 1))
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {scheme!r}; expected one of {list(INIT_SCHEMES)}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    out = np.empty((members, count), dtype=np.float64)
    for k in range(members):
        rng = np.random.default_rng(seed + k)
        out[k] = rng.uniform(-1.0, 1.0, size=count) if scheme == "xavier" else rng.standard_normal(count)
    if scheme == "zeros_noise":
        out *= noise_std
    elif scheme == "xavier":
        # Glorot-uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) per layer; biases get 0
        hidden, output = np.sqrt(6.0 / (input_dim + width)), np.sqrt(6.0 / (width + 1))
        out *= np.repeat([hidden, output, 0.0], [input_dim * width, width, width + 1])
    return out
