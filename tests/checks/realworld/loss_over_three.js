// The blog's 2-2-1 network in JavaScript as module-level functions and one `net` object, in
// the style of a quick script. The training is right; its mse() divides the sum of the four
// squared errors by (n - 1) = 3, so every loss it writes is 4/3 of the MSE.
//
// Run (writes loss_over_three.csv):
//     node loss_over_three.js
const fs = require("fs");

const net = { w1: 0.3, w2: -1.2, w3: 0.8, w4: 0.5, w5: -0.4, w6: 1.1, b1: -0.2, b2: 0.6, b3: 0.05 };
const start = { ...net };

function sigmoid(x) {
  return 1 / (1 + Math.exp(-x));
}

function derivSigmoid(x) {
  const fx = sigmoid(x);
  return fx * (1 - fx);
}

function mse(yTrue, yPred) {
  let total = 0;
  yTrue.forEach((y, i) => (total += (y - yPred[i]) ** 2));
  return total / (yTrue.length - 1);
}

function feedforward(x) {
  const h1 = sigmoid(net.w1 * x[0] + net.w2 * x[1] + net.b1);
  const h2 = sigmoid(net.w3 * x[0] + net.w4 * x[1] + net.b2);
  return sigmoid(net.w5 * h1 + net.w6 * h2 + net.b3);
}

function train(data, allYTrues, log) {
  const learnRate = 0.1;
  const epochs = 100;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      const sumH1 = net.w1 * x[0] + net.w2 * x[1] + net.b1;
      const h1 = sigmoid(sumH1);
      const sumH2 = net.w3 * x[0] + net.w4 * x[1] + net.b2;
      const h2 = sigmoid(sumH2);
      const sumO1 = net.w5 * h1 + net.w6 * h2 + net.b3;
      const yPred = sigmoid(sumO1);

      const d_L_d_ypred = -2 * (allYTrues[i] - yPred);
      const d_ypred_d_h1 = net.w5 * derivSigmoid(sumO1);
      const d_ypred_d_h2 = net.w6 * derivSigmoid(sumO1);
      const dW5 = h1 * derivSigmoid(sumO1);
      const dW6 = h2 * derivSigmoid(sumO1);
      const dB3 = derivSigmoid(sumO1);

      net.w1 -= learnRate * d_L_d_ypred * d_ypred_d_h1 * x[0] * derivSigmoid(sumH1);
      net.w2 -= learnRate * d_L_d_ypred * d_ypred_d_h1 * x[1] * derivSigmoid(sumH1);
      net.b1 -= learnRate * d_L_d_ypred * d_ypred_d_h1 * derivSigmoid(sumH1);
      net.w3 -= learnRate * d_L_d_ypred * d_ypred_d_h2 * x[0] * derivSigmoid(sumH2);
      net.w4 -= learnRate * d_L_d_ypred * d_ypred_d_h2 * x[1] * derivSigmoid(sumH2);
      net.b2 -= learnRate * d_L_d_ypred * d_ypred_d_h2 * derivSigmoid(sumH2);
      net.w5 -= learnRate * d_L_d_ypred * dW5;
      net.w6 -= learnRate * d_L_d_ypred * dW6;
      net.b3 -= learnRate * d_L_d_ypred * dB3;
    }
    if (epoch % 10 === 0 || epoch === epochs - 1) log(epoch, mse(allYTrues, data.map(feedforward)));
  }
}

const data = [[-2, -1], [25, 6], [17, 4], [-15, -6]];
const allYTrues = [1, 0, 0, 1];
const names = Object.keys(net);
const lines = ["# written by loss_over_three.js (node loss_over_three.js)", "epoch,loss," + names.join(",")];
lines.push("init,," + names.map((n) => start[n]).join(","));
train(data, allYTrues, (epoch, loss) => lines.push(`${epoch},${loss},` + names.map((n) => net[n]).join(",")));
fs.writeFileSync("loss_over_three.csv", lines.join("\n") + "\n");
