"""The blog's backprop, written by hand: all nine partials of L = (y_true - y_pred)^2.

Plain floats, no autograd. The names follow the derivation in docs/derivation.md:
`d_L_d_w1` is dL/dw1, built from chain-rule factors such as `d_L_d_ypred`,
`d_ypred_d_h1` and `d_h1_d_w1`.

`blog_partials` has the signature every formula checked by `net221-gradcheck`
has: the nine parameters by blog name, the input (x1, x2) and y_true, as keyword
arguments; it returns the nine partials by blog name.
"""

from __future__ import annotations

import math


def sigmoid(x: float) -> float:
    """f(x) = 1 / (1 + e^-x), evaluated so that no exp() can overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def deriv_sigmoid(x: float) -> float:
    """f'(x) = f(x) * (1 - f(x))."""
    fx = sigmoid(x)
    return fx * (1.0 - fx)


def feedforward(
    *,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    w5: float,
    w6: float,
    b1: float,
    b2: float,
    b3: float,
    x1: float,
    x2: float,
) -> float:
    """y_pred = o1 for one input."""
    h1 = sigmoid(w1 * x1 + w2 * x2 + b1)
    h2 = sigmoid(w3 * x1 + w4 * x2 + b2)
    return sigmoid(w5 * h1 + w6 * h2 + b3)


def blog_partials(
    *,
    w1: float,
    w2: float,
    w3: float,
    w4: float,
    w5: float,
    w6: float,
    b1: float,
    b2: float,
    b3: float,
    x1: float,
    x2: float,
    y_true: float,
) -> dict[str, float]:
    """dL/dθ for the nine parameters θ, for one sample."""
    # Forward pass, keeping the sums the derivatives need.
    sum_h1 = w1 * x1 + w2 * x2 + b1
    h1 = sigmoid(sum_h1)
    sum_h2 = w3 * x1 + w4 * x2 + b2
    h2 = sigmoid(sum_h2)
    sum_o1 = w5 * h1 + w6 * h2 + b3
    o1 = sigmoid(sum_o1)
    y_pred = o1

    d_L_d_ypred = -2 * (y_true - y_pred)

    # Neuron o1
    d_ypred_d_w5 = h1 * deriv_sigmoid(sum_o1)
    d_ypred_d_w6 = h2 * deriv_sigmoid(sum_o1)
    d_ypred_d_b3 = deriv_sigmoid(sum_o1)
    d_ypred_d_h1 = w5 * deriv_sigmoid(sum_o1)
    d_ypred_d_h2 = w6 * deriv_sigmoid(sum_o1)

    # Neuron h1
    d_h1_d_w1 = x1 * deriv_sigmoid(sum_h1)
    d_h1_d_w2 = x2 * deriv_sigmoid(sum_h1)
    d_h1_d_b1 = deriv_sigmoid(sum_h1)

    # Neuron h2
    d_h2_d_w3 = x1 * deriv_sigmoid(sum_h2)
    d_h2_d_w4 = x2 * deriv_sigmoid(sum_h2)
    d_h2_d_b2 = deriv_sigmoid(sum_h2)

    return {
        "w1": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w1,
        "w2": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w2,
        "w3": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w3,
        "w4": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w4,
        "w5": d_L_d_ypred * d_ypred_d_w5,
        "w6": d_L_d_ypred * d_ypred_d_w6,
        "b1": d_L_d_ypred * d_ypred_d_h1 * d_h1_d_b1,
        "b2": d_L_d_ypred * d_ypred_d_h2 * d_h2_d_b2,
        "b3": d_L_d_ypred * d_ypred_d_b3,
    }
