# ruff: noqa: B905, UP031  (written the way such code is commonly written)
"""Réseau 2-2-1 écrit en affectations complètes (self.b = self.b - ...), dont une copiée-collée
de travers : la mise à jour de b3 est affectée à b2. b3 ne change donc jamais et b2 perd la sienne."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def deriv_sigmoid(x):
    fx = sigmoid(x)
    return fx * (1 - fx)


class Neurone:
    """Un neurone seul, comme au début de l'article (non utilisé par le réseau)."""

    def __init__(self, poids, biais):
        self.poids, self.biais = poids, biais

    def feedforward(self, x):
        return sigmoid(np.dot(self.poids, x) + self.biais)


class Reseau:
    def __init__(self):
        self.w1 = np.random.normal()
        self.w2 = np.random.normal()
        self.w3 = np.random.normal()
        self.w4 = np.random.normal()
        self.w5 = np.random.normal()
        self.w6 = np.random.normal()
        self.b1 = np.random.normal()
        self.b2 = np.random.normal()
        self.b3 = np.random.normal()

    def feedforward(self, x):
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, donnees, etiquettes, epochs=1000):
        taux = 0.1
        for epoch in range(epochs):
            for x, y in zip(donnees, etiquettes):
                somme_h1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                h1 = sigmoid(somme_h1)
                somme_h2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h2 = sigmoid(somme_h2)
                somme_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_pred = sigmoid(somme_o1)

                d_L_d_ypred = -2 * (y - y_pred)
                d_ypred_d_somme = deriv_sigmoid(somme_o1)
                d_h1 = self.w5 * d_ypred_d_somme * deriv_sigmoid(somme_h1)
                d_h2 = self.w6 * d_ypred_d_somme * deriv_sigmoid(somme_h2)

                # neurone h1
                self.w1 = self.w1 - taux * d_L_d_ypred * d_h1 * x[0]
                self.w2 = self.w2 - taux * d_L_d_ypred * d_h1 * x[1]
                self.b1 = self.b1 - taux * d_L_d_ypred * d_h1
                # neurone h2
                self.w3 = self.w3 - taux * d_L_d_ypred * d_h2 * x[0]
                self.w4 = self.w4 - taux * d_L_d_ypred * d_h2 * x[1]
                self.b2 = self.b2 - taux * d_L_d_ypred * d_h2
                # neurone o1
                self.w5 = self.w5 - taux * d_L_d_ypred * h1 * d_ypred_d_somme
                self.w6 = self.w6 - taux * d_L_d_ypred * h2 * d_ypred_d_somme
                self.b2 = self.b3 - taux * d_L_d_ypred * d_ypred_d_somme

            if epoch % 10 == 0:
                pertes = [(y - self.feedforward(x)) ** 2 for x, y in zip(donnees, etiquettes)]
                print("Epoch %d loss: %.3f" % (epoch, np.mean(pertes)))
