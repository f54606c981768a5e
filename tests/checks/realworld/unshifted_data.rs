// The blog's 2-2-1 network in Rust, with the weights in an array and f64 throughout; its
// arithmetic is right, but it trains on the weights and heights as measured (pounds,
// inches) and not on the shifted values (weight - 135, height - 66) the blog uses.
//
// Built and run (writes unshifted_data.csv):
//     rustc -O unshifted_data.rs -o unshifted_data && ./unshifted_data
use std::fs::File;
use std::io::{BufWriter, Write};

const NAMES: [&str; 9] = ["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"];

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn deriv_sigmoid(x: f64) -> f64 {
    let fx = sigmoid(x);
    fx * (1.0 - fx)
}

struct Network {
    p: [f64; 9], // w1..w6, b1..b3
}

impl Network {
    fn feedforward(&self, x: [f64; 2]) -> f64 {
        let p = &self.p;
        let h1 = sigmoid(p[0] * x[0] + p[1] * x[1] + p[6]);
        let h2 = sigmoid(p[2] * x[0] + p[3] * x[1] + p[7]);
        sigmoid(p[4] * h1 + p[5] * h2 + p[8])
    }

    fn mse(&self, data: &[([f64; 2], f64)]) -> f64 {
        data.iter().map(|(x, y)| (y - self.feedforward(*x)).powi(2)).sum::<f64>() / data.len() as f64
    }

    fn step(&mut self, x: [f64; 2], y_true: f64, learn_rate: f64) {
        let p = self.p;
        let sum_h1 = p[0] * x[0] + p[1] * x[1] + p[6];
        let sum_h2 = p[2] * x[0] + p[3] * x[1] + p[7];
        let (h1, h2) = (sigmoid(sum_h1), sigmoid(sum_h2));
        let sum_o1 = p[4] * h1 + p[5] * h2 + p[8];
        let y_pred = sigmoid(sum_o1);

        let d_l_d_ypred = -2.0 * (y_true - y_pred);
        let d_o1 = deriv_sigmoid(sum_o1);
        let d_h1 = d_l_d_ypred * p[4] * d_o1 * deriv_sigmoid(sum_h1);
        let d_h2 = d_l_d_ypred * p[5] * d_o1 * deriv_sigmoid(sum_h2);
        let grads = [
            d_h1 * x[0],
            d_h1 * x[1],
            d_h2 * x[0],
            d_h2 * x[1],
            d_l_d_ypred * h1 * d_o1,
            d_l_d_ypred * h2 * d_o1,
            d_h1,
            d_h2,
            d_l_d_ypred * d_o1,
        ];
        for (value, grad) in self.p.iter_mut().zip(grads.iter()) {
            *value -= learn_rate * grad;
        }
    }
}

fn weights(p: &[f64; 9]) -> String {
    p.iter().map(|v| format!("{:e}", v)).collect::<Vec<_>>().join(",")
}

fn main() -> std::io::Result<()> {
    // Alice, Bob, Charlie, Diana: weight (lb), height (in), 1 = female
    let data = [([133.0, 65.0], 1.0), ([160.0, 72.0], 0.0), ([152.0, 70.0], 0.0), ([120.0, 60.0], 1.0)];
    let mut network = Network { p: [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05] };
    let mut out = BufWriter::new(File::create("unshifted_data.csv")?);
    writeln!(out, "# written by unshifted_data.rs (see its first comment for the command)")?;
    writeln!(out, "epoch,loss,{}", NAMES.join(","))?;
    writeln!(out, "init,,{}", weights(&network.p))?;
    for epoch in 0..200 {
        for (x, y) in data.iter() {
            network.step(*x, *y, 0.1);
        }
        if epoch % 50 == 0 || epoch == 199 {
            writeln!(out, "{},{:e},{}", epoch, network.mse(&data), weights(&network.p))?;
        } else if epoch % 10 == 0 {
            writeln!(out, "{},{:e},,,,,,,,,", epoch, network.mse(&data))?;
        }
    }
    Ok(())
}
