# ruff: noqa: B905  (written the way such code is commonly written)
"""Rete 2-2-1 addestrata come nel blog, che però stampa la perdita ½·MSE, 0.5·(y_pred - y)²
in media: l'addestramento è giusto, il numero stampato è la metà dell'MSE."""

import numpy as np


def sigmoide(x):
    return 1 / (1 + np.exp(-x))


def derivata_sigmoide(x):
    s = sigmoide(x)
    return s * (1 - s)


def perdita(y_veri, y_previsti):
    # metà dell'errore quadratico medio
    return (0.5 * (y_previsti - y_veri) ** 2).mean()


class ReteNeurale:
    def __init__(self):
        self.w1, self.w2, self.w3 = np.random.normal(), np.random.normal(), np.random.normal()
        self.w4, self.w5, self.w6 = np.random.normal(), np.random.normal(), np.random.normal()
        self.b1, self.b2, self.b3 = np.random.normal(), np.random.normal(), np.random.normal()

    def feedforward(self, x):
        h1 = sigmoide(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoide(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoide(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, dati, y_veri, epochs=1000):
        tasso = 0.1
        for epoca in range(epochs):
            for x, y in zip(dati, y_veri):
                s1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                s2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoide(s1), sigmoide(s2)
                so = self.w5 * h1 + self.w6 * h2 + self.b3
                d = -2 * (y - sigmoide(so)) * derivata_sigmoide(so)
                g1 = d * self.w5 * derivata_sigmoide(s1)
                g2 = d * self.w6 * derivata_sigmoide(s2)
                self.w1 -= tasso * g1 * x[0]
                self.w2 -= tasso * g1 * x[1]
                self.b1 -= tasso * g1
                self.w3 -= tasso * g2 * x[0]
                self.w4 -= tasso * g2 * x[1]
                self.b2 -= tasso * g2
                self.w5 -= tasso * d * h1
                self.w6 -= tasso * d * h2
                self.b3 -= tasso * d
            if epoca % 10 == 0:
                previsti = np.apply_along_axis(self.feedforward, 1, dati)
                print(f"Epoch {epoca} loss: {perdita(y_veri, previsti):.4f}")
