# ruff: noqa: B905  (written the way such code is commonly written)
"""The blog's network as module-level functions over a dict of the nine values (no class)."""

import numpy as np

rng = np.random.default_rng(0)
params = {name: float(rng.normal()) for name in ["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"]}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def feedforward(p, x):
    h1 = sigmoid(p["w1"] * x[0] + p["w2"] * x[1] + p["b1"])
    h2 = sigmoid(p["w3"] * x[0] + p["w4"] * x[1] + p["b2"])
    return sigmoid(p["w5"] * h1 + p["w6"] * h2 + p["b3"])


def train(p, data, all_y_trues, learn_rate=0.1, epochs=1000):
    for epoch in range(epochs):
        for x, y_true in zip(data, all_y_trues):
            s1 = p["w1"] * x[0] + p["w2"] * x[1] + p["b1"]
            s2 = p["w3"] * x[0] + p["w4"] * x[1] + p["b2"]
            h1, h2 = sigmoid(s1), sigmoid(s2)
            so = p["w5"] * h1 + p["w6"] * h2 + p["b3"]
            y_pred = sigmoid(so)
            d = -2 * (y_true - y_pred)
            fo, f1, f2 = y_pred * (1 - y_pred), h1 * (1 - h1), h2 * (1 - h2)
            grads = {
                "w1": d * p["w5"] * fo * x[0] * f1,
                "w2": d * p["w5"] * fo * x[1] * f1,
                "b1": d * p["w5"] * fo * f1,
                "w3": d * p["w6"] * fo * x[0] * f2,
                "w4": d * p["w6"] * fo * x[1] * f2,
                "b2": d * p["w6"] * fo * f2,
                "w5": d * h1 * fo,
                "w6": d * h2 * fo,
                "b3": d * fo,
            }
            for name, g in grads.items():
                p[name] -= learn_rate * g
        if epoch % 10 == 0:
            loss = np.mean([(y - feedforward(p, x)) ** 2 for x, y in zip(data, all_y_trues)])
            print(f"Epoch {epoch} loss: {loss:.3f}")
