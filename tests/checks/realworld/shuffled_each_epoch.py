# ruff: noqa: B905  (written the way such code is commonly written)
"""A 2-2-1 network that visits the four people in a new random order every epoch
(np.random.permutation), a common SGD habit; everything else is the blog's arithmetic."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def deriv_sigmoid(x):
    fx = sigmoid(x)
    return fx * (1 - fx)


class ShuffledNetwork:
    def __init__(self):
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = (float(v) for v in np.random.normal(size=6))
        self.b1, self.b2, self.b3 = (float(v) for v in np.random.normal(size=3))

    def feedforward(self, x):
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, data, all_y_trues, learn_rate=0.1, epochs=1000):
        for epoch in range(epochs):
            for i in np.random.permutation(len(data)):
                x, y_true = data[i], all_y_trues[i]
                sum_h1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                sum_h2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
                sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_pred = sigmoid(sum_o1)

                d_L_d_ypred = -2 * (y_true - y_pred)
                d_o1 = deriv_sigmoid(sum_o1)
                d_h1 = d_L_d_ypred * self.w5 * d_o1 * deriv_sigmoid(sum_h1)
                d_h2 = d_L_d_ypred * self.w6 * d_o1 * deriv_sigmoid(sum_h2)

                self.w1 -= learn_rate * d_h1 * x[0]
                self.w2 -= learn_rate * d_h1 * x[1]
                self.b1 -= learn_rate * d_h1
                self.w3 -= learn_rate * d_h2 * x[0]
                self.w4 -= learn_rate * d_h2 * x[1]
                self.b2 -= learn_rate * d_h2
                self.w5 -= learn_rate * d_L_d_ypred * h1 * d_o1
                self.w6 -= learn_rate * d_L_d_ypred * h2 * d_o1
                self.b3 -= learn_rate * d_L_d_ypred * d_o1
            if epoch % 10 == 0:
                loss = np.mean([(y - self.feedforward(x)) ** 2 for x, y in zip(data, all_y_trues)])
                print(f"epoch {epoch}, loss = {loss:.5f}")
