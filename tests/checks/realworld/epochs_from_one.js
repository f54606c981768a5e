// The blog's 2-2-1 network in JavaScript (Node), written with a class and Math.exp; correct
// arithmetic, but the epochs are numbered from 1 in its trajectory file, as Keras prints them.
//
// Run (writes epochs_from_one.csv):
//     node epochs_from_one.js
"use strict";
const fs = require("fs");

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const derivSigmoid = (x) => sigmoid(x) * (1 - sigmoid(x));
const NAMES = ["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"];

class Network {
  constructor(start) {
    NAMES.forEach((name, i) => (this[name] = start[i]));
  }

  feedforward([x1, x2]) {
    const h1 = sigmoid(this.w1 * x1 + this.w2 * x2 + this.b1);
    const h2 = sigmoid(this.w3 * x1 + this.w4 * x2 + this.b2);
    return sigmoid(this.w5 * h1 + this.w6 * h2 + this.b3);
  }

  loss(data, yTrues) {
    const errors = data.map((x, i) => (yTrues[i] - this.feedforward(x)) ** 2);
    return errors.reduce((a, b) => a + b, 0) / errors.length;
  }

  train(data, yTrues, { learnRate = 0.1, epochs = 400, log }) {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      data.forEach(([x1, x2], i) => {
        const sumH1 = this.w1 * x1 + this.w2 * x2 + this.b1;
        const sumH2 = this.w3 * x1 + this.w4 * x2 + this.b2;
        const h1 = sigmoid(sumH1);
        const h2 = sigmoid(sumH2);
        const sumO1 = this.w5 * h1 + this.w6 * h2 + this.b3;
        const yPred = sigmoid(sumO1);

        const dLdYpred = -2 * (yTrues[i] - yPred);
        const dO1 = derivSigmoid(sumO1);
        const dH1 = dLdYpred * this.w5 * dO1 * derivSigmoid(sumH1);
        const dH2 = dLdYpred * this.w6 * dO1 * derivSigmoid(sumH2);
        const grads = {
          w1: dH1 * x1, w2: dH1 * x2, b1: dH1,
          w3: dH2 * x1, w4: dH2 * x2, b2: dH2,
          w5: dLdYpred * h1 * dO1, w6: dLdYpred * h2 * dO1, b3: dLdYpred * dO1,
        };
        for (const name of NAMES) this[name] -= learnRate * grads[name];
      });
      if (epoch % 20 === 0 || epoch === 1) log(epoch, this.loss(data, yTrues), epoch % 100 === 0);
    }
  }
}

// weight - 135 lb, height - 66 in; 1 = female
const data = [[-2, -1], [25, 6], [17, 4], [-15, -6]];
const yTrues = [1, 0, 0, 1];
const start = [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05];
const network = new Network(start);

const rows = ["# written by epochs_from_one.js (node epochs_from_one.js)", "epoch,loss," + NAMES.join(",")];
rows.push("init,," + start.join(","));
network.train(data, yTrues, {
  log: (epoch, loss, withWeights) =>
    rows.push(`${epoch},${loss.toPrecision(10)},` + NAMES.map((n) => (withWeights ? network[n] : "")).join(",")),
});
fs.writeFileSync("epochs_from_one.csv", rows.join("\n") + "\n");
