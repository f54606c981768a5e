# ruff: noqa: B905  (written the way such code is commonly written)
"""A 2-2-1 network whose train() draws the weights again before it starts (a reset that
belongs in __init__ only), so training starts from other values than the object showed."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def deriv_sigmoid(x):
    fx = sigmoid(x)
    return fx * (1 - fx)


class Network:
    def __init__(self):
        self.init_weights()

    def init_weights(self):
        self.w1, self.w2, self.w3 = np.random.normal(), np.random.normal(), np.random.normal()
        self.w4, self.w5, self.w6 = np.random.normal(), np.random.normal(), np.random.normal()
        self.b1, self.b2, self.b3 = np.random.normal(), np.random.normal(), np.random.normal()

    def feedforward(self, x):
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, data, all_y_trues, lr=0.1, epochs=1000):
        self.init_weights()  # start from fresh random weights
        for _ in range(epochs):
            for x, y_true in zip(data, all_y_trues):
                sum_h1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                sum_h2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
                sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_pred = sigmoid(sum_o1)

                d_L_d_ypred = -2 * (y_true - y_pred)
                d_o1 = deriv_sigmoid(sum_o1)
                d_h1 = d_L_d_ypred * self.w5 * d_o1 * deriv_sigmoid(sum_h1)
                d_h2 = d_L_d_ypred * self.w6 * d_o1 * deriv_sigmoid(sum_h2)

                self.w1 -= lr * d_h1 * x[0]
                self.w2 -= lr * d_h1 * x[1]
                self.b1 -= lr * d_h1
                self.w3 -= lr * d_h2 * x[0]
                self.w4 -= lr * d_h2 * x[1]
                self.b2 -= lr * d_h2
                self.w5 -= lr * d_L_d_ypred * h1 * d_o1
                self.w6 -= lr * d_L_d_ypred * h2 * d_o1
                self.b3 -= lr * d_L_d_ypred * d_o1
