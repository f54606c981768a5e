"""Two known mistakes in a popular set of notes on this derivation, as runnable formulas.

Each function has `blog_partials`' signature, so `net221-gradcheck formula=seed_notes`
(and the tests) can show, parameter by parameter, that the mistakes disagree with
autograd. The forward pass is the real network's; only the derivative formulas carry
the mistakes, so each failure points at a formula.

1. dL/dy_pred written as -2 (1 - y_pred)^2. The correct factor is
   -2 (y_true - y_pred); the notes write it for Alice (y_true = 1) and square it.
   Every partial contains this factor, so all nine are wrong.
2. The hidden neurons written as h1 = f(w1 x1 + b1), h2 = f(w2 x2 + b2), so that
   dh1/dw1 = x1 f'(w1 x1 + b1) and w3, w4 appear nowhere. The correct sums are
   w1 x1 + w2 x2 + b1 and w3 x1 + w4 x2 + b2. Only the six hidden-layer partials
   (w1..w4, b1, b2) are affected; w5, w6 and b3 stay right.
"""

from __future__ import annotations

from net221.derivation import deriv_sigmoid, sigmoid


def _notes_partials(
    params: dict[str, float], x1: float, x2: float, y_true: float, *, squared: bool, separate: bool
) -> dict[str, float]:
    w1, w2, w3, w4, w5, w6 = (params[f"w{i}"] for i in range(1, 7))
    b1, b2, b3 = params["b1"], params["b2"], params["b3"]
    sum_h1 = w1 * x1 + w2 * x2 + b1
    sum_h2 = w3 * x1 + w4 * x2 + b2
    h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
    sum_o1 = w5 * h1 + w6 * h2 + b3
    y_pred = sigmoid(sum_o1)

    d_L_d_ypred = -2 * (1 - y_pred) ** 2 if squared else -2 * (y_true - y_pred)
    d_ypred_d_h1 = w5 * deriv_sigmoid(sum_o1)
    d_ypred_d_h2 = w6 * deriv_sigmoid(sum_o1)

    if separate:
        # the notes' neurons: h1 sees only x1 (through w1), h2 only x2 (through w2)
        notes_h1, notes_h2 = w1 * x1 + b1, w2 * x2 + b2
        d_L_d_w1 = d_L_d_ypred * d_ypred_d_h1 * x1 * deriv_sigmoid(notes_h1)
        d_L_d_w2 = d_L_d_ypred * d_ypred_d_h2 * x2 * deriv_sigmoid(notes_h2)
        d_L_d_w3 = 0.0
        d_L_d_w4 = 0.0
        d_L_d_b1 = d_L_d_ypred * d_ypred_d_h1 * deriv_sigmoid(notes_h1)
        d_L_d_b2 = d_L_d_ypred * d_ypred_d_h2 * deriv_sigmoid(notes_h2)
    else:
        d_L_d_w1 = d_L_d_ypred * d_ypred_d_h1 * x1 * deriv_sigmoid(sum_h1)
        d_L_d_w2 = d_L_d_ypred * d_ypred_d_h1 * x2 * deriv_sigmoid(sum_h1)
        d_L_d_w3 = d_L_d_ypred * d_ypred_d_h2 * x1 * deriv_sigmoid(sum_h2)
        d_L_d_w4 = d_L_d_ypred * d_ypred_d_h2 * x2 * deriv_sigmoid(sum_h2)
        d_L_d_b1 = d_L_d_ypred * d_ypred_d_h1 * deriv_sigmoid(sum_h1)
        d_L_d_b2 = d_L_d_ypred * d_ypred_d_h2 * deriv_sigmoid(sum_h2)

    return {
        "w1": d_L_d_w1,
        "w2": d_L_d_w2,
        "w3": d_L_d_w3,
        "w4": d_L_d_w4,
        "w5": d_L_d_ypred * h1 * deriv_sigmoid(sum_o1),
        "w6": d_L_d_ypred * h2 * deriv_sigmoid(sum_o1),
        "b1": d_L_d_b1,
        "b2": d_L_d_b2,
        "b3": d_L_d_ypred * deriv_sigmoid(sum_o1),
    }


def seed_notes_partials(*, x1: float, x2: float, y_true: float, **params: float) -> dict[str, float]:
    """Both mistakes, as the notes have them."""
    return _notes_partials(params, x1, x2, y_true, squared=True, separate=True)


def squared_loss_partials(*, x1: float, x2: float, y_true: float, **params: float) -> dict[str, float]:
    """Only mistake 1: dL/dy_pred = -2 (1 - y_pred)^2."""
    return _notes_partials(params, x1, x2, y_true, squared=True, separate=False)


def separate_inputs_partials(*, x1: float, x2: float, y_true: float, **params: float) -> dict[str, float]:
    """Only mistake 2: h1 = f(w1 x1 + b1), h2 = f(w2 x2 + b2) in the derivatives."""
    return _notes_partials(params, x1, x2, y_true, squared=False, separate=True)
