/* The blog's 2-2-1 network in C with every number a float (float32): per-sample SGD,
   lr 0.1, 1000 epochs, the nine partials before any update. It writes its run as a
   trajectory file: the loss every 10 epochs, the nine weights every 100 and at the end.

   Built and run (writes float32_network.csv):
       gcc -O2 -std=c99 -o float32_network float32_network.c -lm && ./float32_network
*/
#include <math.h>
#include <stdio.h>

typedef struct {
    float w1, w2, w3, w4, w5, w6, b1, b2, b3;
} Network;

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static float deriv_sigmoid(float x) {
    float fx = sigmoid(x);
    return fx * (1.0f - fx);
}

static float feedforward(const Network *n, const float x[2]) {
    float h1 = sigmoid(n->w1 * x[0] + n->w2 * x[1] + n->b1);
    float h2 = sigmoid(n->w3 * x[0] + n->w4 * x[1] + n->b2);
    return sigmoid(n->w5 * h1 + n->w6 * h2 + n->b3);
}

/* weight - 135 lb, height - 66 in; 1 = female */
static const float DATA[4][2] = {{-2, -1}, {25, 6}, {17, 4}, {-15, -6}};
static const float Y_TRUE[4] = {1, 0, 0, 1};

static float mse(const Network *n) {
    float total = 0.0f;
    for (int i = 0; i < 4; i++) {
        float e = Y_TRUE[i] - feedforward(n, DATA[i]);
        total += e * e;
    }
    return total / 4.0f;
}

static void write_weights(FILE *out, const Network *n) {
    fprintf(out, ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", n->w1, n->w2, n->w3, n->w4, n->w5,
            n->w6, n->b1, n->b2, n->b3);
}

int main(void) {
    const float learn_rate = 0.1f;
    const int epochs = 1000;
    Network n = {0.49671415f, -0.1382643f, 0.64768854f, 1.52302986f, -0.23415337f,
                 -0.23413696f, 1.57921282f, 0.76743473f, -0.46947439f};
    FILE *out = fopen("float32_network.csv", "w");
    if (out == NULL) return 1;
    fprintf(out, "# written by float32_network.c (see its first comment for the command)\n");
    fprintf(out, "epoch,loss,w1,w2,w3,w4,w5,w6,b1,b2,b3\ninit,");
    write_weights(out, &n);

    for (int epoch = 0; epoch < epochs; epoch++) {
        for (int i = 0; i < 4; i++) {
            const float *x = DATA[i];
            float sum_h1 = n.w1 * x[0] + n.w2 * x[1] + n.b1;
            float h1 = sigmoid(sum_h1);
            float sum_h2 = n.w3 * x[0] + n.w4 * x[1] + n.b2;
            float h2 = sigmoid(sum_h2);
            float sum_o1 = n.w5 * h1 + n.w6 * h2 + n.b3;
            float y_pred = sigmoid(sum_o1);

            float d_L_d_ypred = -2.0f * (Y_TRUE[i] - y_pred);
            float d_o1 = deriv_sigmoid(sum_o1);
            float d_ypred_d_h1 = n.w5 * d_o1;
            float d_ypred_d_h2 = n.w6 * d_o1;
            float d_h1 = deriv_sigmoid(sum_h1);
            float d_h2 = deriv_sigmoid(sum_h2);

            n.w1 -= learn_rate * d_L_d_ypred * d_ypred_d_h1 * x[0] * d_h1;
            n.w2 -= learn_rate * d_L_d_ypred * d_ypred_d_h1 * x[1] * d_h1;
            n.b1 -= learn_rate * d_L_d_ypred * d_ypred_d_h1 * d_h1;
            n.w3 -= learn_rate * d_L_d_ypred * d_ypred_d_h2 * x[0] * d_h2;
            n.w4 -= learn_rate * d_L_d_ypred * d_ypred_d_h2 * x[1] * d_h2;
            n.b2 -= learn_rate * d_L_d_ypred * d_ypred_d_h2 * d_h2;
            n.w5 -= learn_rate * d_L_d_ypred * h1 * d_o1;
            n.w6 -= learn_rate * d_L_d_ypred * h2 * d_o1;
            n.b3 -= learn_rate * d_L_d_ypred * d_o1;
        }
        if (epoch % 100 == 0 || epoch == epochs - 1) {
            fprintf(out, "%d,%.6g", epoch, mse(&n));
            write_weights(out, &n);
        } else if (epoch % 10 == 0) {
            fprintf(out, "%d,%.6g,,,,,,,,,\n", epoch, mse(&n));
        }
    }
    fclose(out);
    return 0;
}
