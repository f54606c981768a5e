"""A derivation of the nine partials of L = (y_true - y_pred)^2, ready for net221-gradcheck.

Copy this file, change the formulas, and check them:

    net221-gradcheck formula=scripts/my_partials.py:my_partials
    python scripts/my_partials.py                 # the same check, from Python (below)

The function takes the nine parameters by blog name (w1..w6, b1..b3), the input
(x1, x2) and y_true as keyword arguments, and returns the nine partials dL/dθ in
a dict keyed by the same names. It uses nothing but the standard library.

The network:  h1 = f(w1 x1 + w2 x2 + b1)
              h2 = f(w3 x1 + w4 x2 + b2)
              y_pred = o1 = f(w5 h1 + w6 h2 + b3),   f(x) = 1 / (1 + e^-x)
"""

from __future__ import annotations

import math


def f(x: float) -> float:
    """The sigmoid, written so that exp() never overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def f_prime(x: float) -> float:
    """f'(x) = f(x) (1 - f(x))."""
    return f(x) * (1.0 - f(x))


def my_partials(
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
    # Forward pass, keeping each neuron's sum: the derivatives are taken there.
    sum_h1 = w1 * x1 + w2 * x2 + b1
    sum_h2 = w3 * x1 + w4 * x2 + b2
    h1 = f(sum_h1)
    h2 = f(sum_h2)
    sum_o1 = w5 * h1 + w6 * h2 + b3
    y_pred = f(sum_o1)

    # L = (y_true - y_pred)^2
    d_L_d_ypred = -(y_true - y_pred)

    # Output neuron o1 = f(w5 h1 + w6 h2 + b3)
    d_ypred_d_w5 = h1 * f_prime(sum_o1)
    d_ypred_d_w6 = h2 * f_prime(sum_o1)
    d_ypred_d_b3 = f_prime(sum_o1)
    d_ypred_d_h1 = w5 * f_prime(sum_o1)
    d_ypred_d_h2 = w6 * f_prime(sum_o1)

    # Hidden neuron h1 = f(w1 x1 + w2 x2 + b1)
    d_h1_d_w1 = x1 * f_prime(sum_h1)
    d_h1_d_w2 = x2 * f_prime(sum_h1)
    d_h1_d_b1 = f_prime(sum_h1)

    # Hidden neuron h2 = f(w3 x1 + w4 x2 + b2)
    d_h2_d_w3 = x1 * f_prime(sum_h2)
    d_h2_d_w4 = x2 * f_prime(sum_h2)
    d_h2_d_b2 = f_prime(sum_h2)

    # The chain rule: dL/dθ = dL/dy_pred * dy_pred/d(neuron) * d(neuron)/dθ
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


if __name__ == "__main__":
    from net221.checks.gradcheck import check

    result = check(my_partials)
    print(result.table)
    print(result.summary)
    raise SystemExit(0 if result.passed else 1)
