"""The two witnesses a formula is checked against, both from the net221 torch module.

Layer: training (checks). At one point (the nine parameters, x1, x2, y_true) and
for L = (y_true - y_pred)^2, in float64:

    autograd            loss.backward() on a Net221, then its blog_gradients();
    finite difference   (L(θ + step) - L(θ - step)) / (2 step) for each θ, L from
                        the same Net221's forward pass.

Both set their own grad mode, dtype and device, so neither depends on torch's
global defaults. One point costs well under a millisecond: a plain module per point is
fast enough (about 0.8 ms per point for both witnesses together).
"""

from __future__ import annotations

import torch

from net221.init import BLOG_NAMES
from net221.network import Net221
from net221.points import Point


def _network(point: Point) -> tuple[Net221, torch.Tensor, torch.Tensor]:
    with torch.random.fork_rng(
        devices=[]
    ):  # the layers' random initial values leave the caller's generator alone
        net = Net221(dtype=torch.float64, device="cpu")
    net.set_blog_parameters(point.params)
    x = torch.tensor([[point.x1, point.x2]], dtype=torch.float64, device="cpu")
    y_true = torch.tensor([[point.y_true]], dtype=torch.float64, device="cpu")
    return net, x, y_true


def _loss(net: Net221, x: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
    """L = (y_true - y_pred)^2 for the one sample."""
    y_pred: torch.Tensor = net(x)
    return ((y_true - y_pred) ** 2).sum()


def autograd_partials(point: Point) -> list[float]:
    """dL/dθ from loss.backward(), in BLOG_NAMES order."""
    with torch.enable_grad():
        net, x, y_true = _network(point)
        _loss(net, x, y_true).backward()  # type: ignore[no-untyped-call]
    gradients = net.blog_gradients()
    return [gradients[name] for name in BLOG_NAMES]


def finite_difference_partials(point: Point, step: float) -> list[float]:
    """Central differences of L, in BLOG_NAMES order.

    The divisor is the distance between the two arguments as stored, (θ + step) - (θ - step),
    which is 2 step up to rounding."""
    net, x, y_true = _network(point)
    partials = []
    with torch.no_grad():
        for name in BLOG_NAMES:
            theta = point.params[name]
            plus, minus = theta + step, theta - step
            net.set_blog_parameters({name: plus})
            loss_plus = float(_loss(net, x, y_true))
            net.set_blog_parameters({name: minus})
            loss_minus = float(_loss(net, x, y_true))
            net.set_blog_parameters({name: theta})
            partials.append((loss_plus - loss_minus) / (plus - minus))
    return partials
