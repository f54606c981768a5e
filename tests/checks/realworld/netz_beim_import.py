# ruff: noqa: B905, UP031  (written the way such code is commonly written)
"""Ein 2-2-1-Netz, das beim Import trainiert: Klasse GeschlechtsNetz, feed_forward statt
feedforward, Epochen ab 1 gezählt (wie Keras) und der Verlust nach jeder Person gedruckt.
Die Rechnung selbst ist die des Blogs."""

import numpy as np


def sigmoid(z):
    # Aktivierungsfunktion f(z) = 1 / (1 + e^(-z))
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_ableitung(z):
    # f'(z) = f(z) * (1 - f(z))
    s = sigmoid(z)
    return s * (1.0 - s)


class GeschlechtsNetz:
    def __init__(self):
        # Gewichte und Schwellen, normalverteilt
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = np.random.normal(size=6)
        self.b1, self.b2, self.b3 = np.random.normal(size=3)

    def feed_forward(self, x):
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, daten, ziele, epochs=1000):
        lernrate = 0.1
        for epoche in range(1, epochs + 1):
            for x, y in zip(daten, ziele):
                # Vorwärts, die Zwischenwerte merken
                s1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                s2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(s1), sigmoid(s2)
                s3 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_dach = sigmoid(s3)

                # Rückwärts: alle neun Ableitungen vor der ersten Änderung
                dl = -2 * (y - y_dach)
                do = sigmoid_ableitung(s3)
                g1 = dl * do * self.w5 * sigmoid_ableitung(s1)
                g2 = dl * do * self.w6 * sigmoid_ableitung(s2)
                self.w1 -= lernrate * g1 * x[0]
                self.w2 -= lernrate * g1 * x[1]
                self.b1 -= lernrate * g1
                self.w3 -= lernrate * g2 * x[0]
                self.w4 -= lernrate * g2 * x[1]
                self.b2 -= lernrate * g2
                self.w5 -= lernrate * dl * do * h1
                self.w6 -= lernrate * dl * do * h2
                self.b3 -= lernrate * dl * do

                # Verlust über alle vier, nach jeder Person
                vorhersagen = np.array([self.feed_forward(p) for p in daten])
                verlust = np.mean((ziele - vorhersagen) ** 2)
                print(f"Epoch {epoche}/{epochs} - loss: {verlust:.4f}")


# Gewicht - 135 lb, Größe - 66 in; 1 = weiblich
daten = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]])
ziele = np.array([1, 0, 0, 1])

netz = GeschlechtsNetz()
netz.train(daten, ziele, epochs=30)
print("Emily: %.3f" % netz.feed_forward(np.array([-7, -3])))
