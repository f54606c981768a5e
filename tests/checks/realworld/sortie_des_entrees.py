# ruff: noqa: B007, B905  (written the way such code is commonly written)
"""Réseau 2-2-1 dont le neurone de sortie reçoit les entrées x1, x2 au lieu de h1, h2 (dans
feed_forward comme dans train), une méthode feed_forward, et plusieurs classes dans le fichier."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def deriv_sigmoid(x):
    fx = sigmoid(x)
    return fx * (1 - fx)


class Neurone:
    def __init__(self, poids, biais):
        self.poids, self.biais = poids, biais

    def feed_forward(self, entrees):
        return sigmoid(np.dot(entrees, self.poids) + self.biais)


class NotreReseau:
    def __init__(self):
        self.w1, self.w2, self.w3 = np.random.normal(), np.random.normal(), np.random.normal()
        self.w4, self.w5, self.w6 = np.random.normal(), np.random.normal(), np.random.normal()
        self.b1, self.b2, self.b3 = np.random.normal(), np.random.normal(), np.random.normal()

    def feed_forward(self, x):
        # les sorties cachées, gardées pour l'affichage
        self.h = (
            sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1),
            sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2),
        )
        return sigmoid(self.w5 * x[0] + self.w6 * x[1] + self.b3)

    def train(self, donnees, etiquettes, epochs=1000):
        taux = 0.1
        for epoch in range(epochs):
            for x, y in zip(donnees, etiquettes):
                s1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                s2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(s1), sigmoid(s2)
                so = self.w5 * x[0] + self.w6 * x[1] + self.b3
                y_pred = sigmoid(so)
                d = -2 * (y - y_pred)
                self.w1 -= taux * d * self.w5 * deriv_sigmoid(so) * x[0] * deriv_sigmoid(s1)
                self.w2 -= taux * d * self.w5 * deriv_sigmoid(so) * x[1] * deriv_sigmoid(s1)
                self.b1 -= taux * d * self.w5 * deriv_sigmoid(so) * deriv_sigmoid(s1)
                self.w3 -= taux * d * self.w6 * deriv_sigmoid(so) * x[0] * deriv_sigmoid(s2)
                self.w4 -= taux * d * self.w6 * deriv_sigmoid(so) * x[1] * deriv_sigmoid(s2)
                self.b2 -= taux * d * self.w6 * deriv_sigmoid(so) * deriv_sigmoid(s2)
                self.w5 -= taux * d * h1 * deriv_sigmoid(so)
                self.w6 -= taux * d * h2 * deriv_sigmoid(so)
                self.b3 -= taux * d * deriv_sigmoid(so)
