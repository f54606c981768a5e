# ruff: noqa: B905  (written the way such code is commonly written)
"""A 2-2-1 network whose forward pass is spelled feedfoward (one letter short), with
Portuguese names; the loader should point at it."""

import numpy as np


def sigmoide(x):
    return 1 / (1 + np.exp(-x))


class RedeNeural:
    def __init__(self):
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = np.random.normal(size=6)
        self.b1, self.b2, self.b3 = np.random.normal(size=3)

    def feedfoward(self, x):
        n1 = sigmoide(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        n2 = sigmoide(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoide(self.w5 * n1 + self.w6 * n2 + self.b3)

    def train(self, dados, y_reais, iteracoes=1000):
        for _ in range(iteracoes):
            for x, y in zip(dados, y_reais):
                n1 = sigmoide(self.w1 * x[0] + self.w2 * x[1] + self.b1)
                n2 = sigmoide(self.w3 * x[0] + self.w4 * x[1] + self.b2)
                n3 = sigmoide(self.w5 * n1 + self.w6 * n2 + self.b3)
                d = -2 * (y - n3) * n3 * (1 - n3)
                g1, g2 = d * self.w5 * n1 * (1 - n1), d * self.w6 * n2 * (1 - n2)
                self.w1 -= 0.1 * g1 * x[0]
                self.w2 -= 0.1 * g1 * x[1]
                self.b1 -= 0.1 * g1
                self.w3 -= 0.1 * g2 * x[0]
                self.w4 -= 0.1 * g2 * x[1]
                self.b2 -= 0.1 * g2
                self.w5 -= 0.1 * d * n1
                self.w6 -= 0.1 * d * n2
                self.b3 -= 0.1 * d
