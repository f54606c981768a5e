# ruff: noqa: B905, UP031  (written the way such code is commonly written)
"""Red 2-2-1 con la convención ½·MSE en el gradiente: dL/dy = -(y - y_pred), sin el 2.
Imprime su pérdida en español ("Época N, pérdida X"), líneas que no son un registro de épocas."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def d_sigmoid(x):
    return sigmoid(x) * (1 - sigmoid(x))


class RedNeuronal:
    def __init__(self):
        self.w1, self.w2, self.w3 = np.random.randn(), np.random.randn(), np.random.randn()
        self.w4, self.w5, self.w6 = np.random.randn(), np.random.randn(), np.random.randn()
        self.b1, self.b2, self.b3 = np.random.randn(), np.random.randn(), np.random.randn()

    def predict(self, x):
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, datos, etiquetas, tasa=0.1, iteraciones=1000):
        for it in range(iteraciones):
            for x, y in zip(datos, etiquetas):
                suma_h1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                suma_h2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(suma_h1), sigmoid(suma_h2)
                suma_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_pred = sigmoid(suma_o1)

                # pérdida L = ½·(y - y_pred)², así que dL/dy_pred = -(y - y_pred)
                d_L_d_ypred = -(y - y_pred)

                d_w5 = d_L_d_ypred * h1 * d_sigmoid(suma_o1)
                d_w6 = d_L_d_ypred * h2 * d_sigmoid(suma_o1)
                d_b3 = d_L_d_ypred * d_sigmoid(suma_o1)
                d_h1 = d_L_d_ypred * self.w5 * d_sigmoid(suma_o1) * d_sigmoid(suma_h1)
                d_h2 = d_L_d_ypred * self.w6 * d_sigmoid(suma_o1) * d_sigmoid(suma_h2)

                self.w1 -= tasa * d_h1 * x[0]
                self.w2 -= tasa * d_h1 * x[1]
                self.b1 -= tasa * d_h1
                self.w3 -= tasa * d_h2 * x[0]
                self.w4 -= tasa * d_h2 * x[1]
                self.b2 -= tasa * d_h2
                self.w5 -= tasa * d_w5
                self.w6 -= tasa * d_w6
                self.b3 -= tasa * d_b3
            if it % 100 == 0:
                perdida = np.mean([(y - self.predict(x)) ** 2 for x, y in zip(datos, etiquetas)])
                print("Época %d, pérdida %.4f" % (it, perdida))
