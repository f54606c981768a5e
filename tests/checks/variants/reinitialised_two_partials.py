"""scripts/blog_network.py training 60 epochs, with the change its file name says (none in correct.py).

A correct implementation to compare with the reference, and to copy:

    net221-compare impl=scripts/blog_network.py:BlogNetwork
    python scripts/blog_network.py        # train on the blog's four people and print

The shape the command expects:

    BlogNetwork()                    no arguments; draws its own nine parameters (here
                                     from a fixed seed, so that every run is the same)
    .w1 ... .w6, .b1 ... .b3         the parameters, plain floats (NumPy scalars are fine too)
    .feedforward(x)                  x of shape (2,) -> the output, a float
    .train(data, all_y_trues)        per-sample SGD in place on data (n, 2) and n labels,
                                     printing `Epoch N loss: X` every 10 epochs

The network:  h1 = f(w1 x1 + w2 x2 + b1)
              h2 = f(w3 x1 + w4 x2 + b2)
              o1 = f(w5 h1 + w6 h2 + b3),   f(x) = 1 / (1 + e^-x)
and the loss of one sample is L = (y_true - o1)^2.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def sigmoid_slope(x: float) -> float:
    """f'(x) = f(x) (1 - f(x))."""
    fx = sigmoid(x)
    return fx * (1.0 - fx)


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean((y_true - y_pred) ** 2))


class BlogNetwork:
    def __init__(self) -> None:
        draw = np.random.default_rng(0).normal
        # Hidden neuron h1 takes (w1, w2, b1), h2 takes (w3, w4, b2), the output o1 (w5, w6, b3).
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = (float(draw()) for _ in range(6))
        self.b1, self.b2, self.b3 = (float(draw()) for _ in range(3))

    def feedforward(self, x: np.ndarray) -> float:
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, data: np.ndarray, all_y_trues: np.ndarray) -> None:
        learn_rate = 0.1
        draw = np.random.default_rng(1).normal  # new weights for every call of train()
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = (float(draw()) for _ in range(6))
        self.b1, self.b2, self.b3 = (float(draw()) for _ in range(3))
        epochs = 60  # passes over the whole data set

        for epoch in range(epochs):
            for x, y_true in zip(data, all_y_trues, strict=True):
                # Forward, keeping each neuron's weighted sum: the slopes are taken there.
                sum_h1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                sum_h2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
                sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_pred = sigmoid(sum_o1)

                # dL/d(y_pred), then how y_pred moves with each of its inputs.
                dL_dypred = -2.0 * (y_true - y_pred)
                slope_o1 = sigmoid_slope(sum_o1)
                dypred_dh1, dypred_dh2 = self.w5 * slope_o1, self.w6 * slope_o1

                # How each hidden neuron moves with its own parameters.
                slope_h1, slope_h2 = sigmoid_slope(sum_h1), sigmoid_slope(sum_h2)

                # All nine partials first, from the current parameters; then one SGD step each.
                grads = {
                    "w1": dL_dypred * dypred_dh1 * x[0] * slope_h1,
                    "w2": dL_dypred * dypred_dh1 * x[1] * slope_h1,
                    "b1": dL_dypred * dypred_dh1 * slope_h1,
                    "w3": dL_dypred * dypred_dh2 * x[0] * slope_h2,
                    "w4": dL_dypred * dypred_dh2 * x[1] * slope_h2,
                    "b2": -dL_dypred * dypred_dh2 * slope_h2,
                    "w5": dL_dypred * h2 * slope_o1,
                    "w6": dL_dypred * h2 * slope_o1,
                    "b3": dL_dypred * slope_o1,
                }
                for name, grad in grads.items():
                    setattr(self, name, getattr(self, name) - learn_rate * grad)

            # The loss over the whole data set after this epoch's updates.
            if epoch % 10 == 0:
                y_preds = np.array([self.feedforward(x) for x in data])
                loss = mean_squared_error(all_y_trues, y_preds)
                print(f"Epoch {epoch} loss: {loss:.3f}")


if __name__ == "__main__":
    # Weight minus 135 lb, height minus 66 in; 1 = female.
    data = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]])  # Alice, Bob, Charlie, Diana
    all_y_trues = np.array([1, 0, 0, 1])

    network = BlogNetwork()
    network.train(data, all_y_trues)

    emily, frank = np.array([-7, -3]), np.array([20, 2])
    print(f"Emily: {network.feedforward(emily):.3f}")  # close to 1: female
    print(f"Frank: {network.feedforward(frank):.3f}")  # close to 0: male
