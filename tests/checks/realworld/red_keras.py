# ruff: noqa: B905, N803, RUF059  (written the way such code is commonly written)
"""Red 2-2-1 al estilo de Keras: clase RedNeuronal, forward() y fit(X, y, epochs, learning_rate),
las épocas numeradas desde 1 ("Epoch 1/1000 - loss: ..."). Las cuentas son las del blog."""

import math
import random


def sigmoide(z):
    return 1 / (1 + math.exp(-z))


class RedNeuronal:
    nombres = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")

    def __init__(self):
        # pesos y sesgos iniciales ~ N(0, 1)
        for nombre in self.nombres:
            setattr(self, nombre, random.gauss(0.0, 1.0))

    def _ocultas(self, x):
        s1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
        s2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
        return s1, s2, sigmoide(s1), sigmoide(s2)

    def forward(self, x):
        _, _, h1, h2 = self._ocultas(x)
        return sigmoide(self.w5 * h1 + self.w6 * h2 + self.b3)

    def fit(self, X, y, epochs=1000, learning_rate=0.1):
        for epoca in range(epochs):
            for x, objetivo in zip(X, y):
                s1, s2, h1, h2 = self._ocultas(x)
                so = self.w5 * h1 + self.w6 * h2 + self.b3
                salida = sigmoide(so)
                # derivadas parciales (todas antes de tocar un peso)
                d_salida = -2 * (objetivo - salida) * salida * (1 - salida)
                d_h1 = d_salida * self.w5 * h1 * (1 - h1)
                d_h2 = d_salida * self.w6 * h2 * (1 - h2)
                gradientes = {
                    "w1": d_h1 * x[0],
                    "w2": d_h1 * x[1],
                    "b1": d_h1,
                    "w3": d_h2 * x[0],
                    "w4": d_h2 * x[1],
                    "b2": d_h2,
                    "w5": d_salida * h1,
                    "w6": d_salida * h2,
                    "b3": d_salida,
                }
                for nombre, g in gradientes.items():
                    setattr(self, nombre, getattr(self, nombre) - learning_rate * g)
            perdida = sum((t - self.forward(x)) ** 2 for x, t in zip(X, y)) / len(y)
            print(f"Epoch {epoca + 1}/{epochs} - loss: {perdida:.6f}")
