"""Shared fixtures: the blog's data as network inputs, and float64 torch tensors of it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from net221.data import BLOG_SHIFT, blog_dataset

# The blog's worked example: every weight 1, every bias 0.
ALL_ONES = {"w1": 1.0, "w2": 1.0, "w3": 1.0, "w4": 1.0, "w5": 1.0, "w6": 1.0, "b1": 0.0, "b2": 0.0, "b3": 0.0}


@pytest.fixture
def blog_inputs() -> tuple[np.ndarray, np.ndarray]:
    people = blog_dataset()
    return people.features - np.array(BLOG_SHIFT), people.labels


@pytest.fixture
def blog_tensors(blog_inputs: tuple[np.ndarray, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = blog_inputs
    return torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)
