# ruff: noqa: B905, N803  (written the way such code is commonly written)
"""A 2-2-1 network written for whole batches: feedforward(X) takes an (n, 2) array and indexes
X[:, 0], so one sample of shape (2,) is more than it expects."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class BatchNetwork:
    def __init__(self):
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = np.random.normal(size=6)
        self.b1, self.b2, self.b3 = np.random.normal(size=3)

    def feedforward(self, X):
        h1 = sigmoid(self.w1 * X[:, 0] + self.w2 * X[:, 1] + self.b1)
        h2 = sigmoid(self.w3 * X[:, 0] + self.w4 * X[:, 1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, X, y, lr=0.1, epochs=1000):
        for _ in range(epochs):
            for x, t in zip(X, y):
                p = self.feedforward(x[None, :])[0]
                d = -2 * (t - p) * p * (1 - p)
                h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
                h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
                g1, g2 = d * self.w5 * h1 * (1 - h1), d * self.w6 * h2 * (1 - h2)
                self.w1, self.w2, self.b1 = (
                    self.w1 - lr * g1 * x[0],
                    self.w2 - lr * g1 * x[1],
                    self.b1 - lr * g1,
                )
                self.w3, self.w4, self.b2 = (
                    self.w3 - lr * g2 * x[0],
                    self.w4 - lr * g2 * x[1],
                    self.b2 - lr * g2,
                )
                self.w5, self.w6, self.b3 = self.w5 - lr * d * h1, self.w6 - lr * d * h2, self.b3 - lr * d
