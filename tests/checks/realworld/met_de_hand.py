# ruff: noqa: B905  (written the way such code is commonly written)
"""Een 2-2-1-netwerk om met de hand na te rekenen: alle gewichten beginnen op 1 (gehele
getallen), train() doet maar 3 epochs met leersnelheid 0.05 en drukt elke tussenstap af."""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def afgeleide(x):
    return sigmoid(x) * (1 - sigmoid(x))


class HandNetwerk:
    def __init__(self):
        # gewichten en drempels: allemaal 1, makkelijk om na te rekenen
        self.w1 = self.w2 = self.w3 = self.w4 = self.w5 = self.w6 = 1
        self.b1 = self.b2 = self.b3 = 1

    def feedforward(self, x):
        h1 = sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    def train(self, data, labels):
        leersnelheid = 0.05
        for epoch in range(3):
            print("epoch:", epoch)
            for x, y in zip(data, labels):
                s1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                s2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h1, h2 = sigmoid(s1), sigmoid(s2)
                so = self.w5 * h1 + self.w6 * h2 + self.b3
                o1 = sigmoid(so)
                print(f"  x={x} s1={s1:.5f} h1={h1:.5f} s2={s2:.5f} h2={h2:.5f} o1={o1:.5f}")
                d = -2 * (y - o1) * afgeleide(so)
                g1, g2 = d * self.w5 * afgeleide(s1), d * self.w6 * afgeleide(s2)
                self.w1 -= leersnelheid * g1 * x[0]
                self.w2 -= leersnelheid * g1 * x[1]
                self.b1 -= leersnelheid * g1
                self.w3 -= leersnelheid * g2 * x[0]
                self.w4 -= leersnelheid * g2 * x[1]
                self.b2 -= leersnelheid * g2
                self.w5 -= leersnelheid * d * h1
                self.w6 -= leersnelheid * d * h2
                self.b3 -= leersnelheid * d
                print(f"  w1={self.w1:.5f} w5={self.w5:.5f} b3={self.b3:.5f}")
