"""The two witnesses a formula is checked against, both from the net221 torch module.

Layer: training (checks). At each point (the nine parameters, x1, x2, y_true) and
for L = (y_true - y_pred)^2, in float64, one Net221 set to the point's parameters
gives

    autograd            loss.backward(), then blog_gradients();
    finite difference   (L(θ + step) - L(θ - step)) / (2 step) for each θ, L from
                        the same module's forward pass.

Both set their own grad mode, dtype and device, so neither depends on torch's
global defaults. A point costs about half a millisecond for both witnesses
together, so a module per point, visited one after the other, is fast enough.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from net221.checks.points import Point
from net221.init import BLOG_NAMES
from net221.network import Net221


def _network() -> Net221:
    with torch.random.fork_rng(
        devices=[]
    ):  # the layers' random initial values leave the caller's generator alone
        return Net221(dtype=torch.float64, device="cpu")


def _loss(net: Net221, point: Point) -> torch.Tensor:
    """L = (y_true - y_pred)^2 at the point, with the network's current parameters."""
    x = torch.tensor([[point.x1, point.x2]], dtype=torch.float64, device="cpu")
    y_pred: torch.Tensor = net(x)
    return ((point.y_true - y_pred) ** 2).sum()


def autograd_partials(points: Sequence[Point]) -> np.ndarray:
    """dL/dθ from loss.backward(): (points, 9) in BLOG_NAMES order."""
    net, rows = _network(), []
    with torch.enable_grad():
        for point in points:
            net.zero_grad(set_to_none=True)
            net.set_blog_parameters(point.params)
            _loss(net, point).backward()
            gradients = net.blog_gradients()
            rows.append([gradients[name] for name in BLOG_NAMES])
    return np.array(rows, dtype=np.float64).reshape(len(points), len(BLOG_NAMES))


def finite_difference_partials(points: Sequence[Point], step: float) -> np.ndarray:
    """Central differences of L: (points, 9) in BLOG_NAMES order.

    The divisor is the distance between the two arguments as stored, (θ + step) - (θ - step),
    which is 2 step up to rounding."""
    net, rows = _network(), []
    with torch.no_grad():
        for point in points:
            net.set_blog_parameters(point.params)
            row = []
            for name in BLOG_NAMES:
                theta = point.params[name]
                plus, minus = theta + step, theta - step
                net.set_blog_parameters({name: plus})
                loss_plus = float(_loss(net, point))
                net.set_blog_parameters({name: minus})
                loss_minus = float(_loss(net, point))
                net.set_blog_parameters({name: theta})
                row.append((loss_plus - loss_minus) / (plus - minus))
            rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(points), len(BLOG_NAMES))
