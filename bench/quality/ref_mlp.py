#!/usr/bin/env python3
"""A tiny MLP trainer in plain Python (standard library, float64) that mirrors the PyTorch
reference setup, to check nnc's numbers independently of nnc.

    ref_mlp.py TRAIN.csv TEST.csv --hidden 10 --classes 3 --label species --epochs 200 --seed 1
    ref_mlp.py ... --write-init w.nnw --model iris   # also write the initial weights for nnc
    ref_mlp.py ... --no-shuffle --steps 5            # print the loss of the first steps

Setup: features standardized with the training split's mean and population std (as nnc and
sklearn's StandardScaler), ReLU hidden layers, PyTorch nn.Linear initialization
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, mean softmax cross-entropy, Adam
(lr 1e-3, betas 0.9/0.999, eps 1e-8, PyTorch's bias correction), batch 32 with a smaller last
batch, the rows reshuffled every epoch (Python's random, so seed N here is not PyTorch's seed N).
Classification only; slow, meant for the small data sets (iris, wine, penguins_clean).

With --write-init the initial parameters are written as an nnc weights file with the param
names W1, b1, W2, b2, ... so that a model declaring those params (in that order, x @ W1 + b1)
can start from them: `nnc model.nn --train ... --init-weights w.nnw --no-shuffle` then follows
the same trajectory as `ref_mlp.py ... --no-shuffle` up to float32 round-off.
"""

import argparse
import json
import math
import random
import struct
import sys


def read_csv(path, label):
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    li = header.index(label)
    feats = [i for i in range(len(header)) if i != li]
    x = [[float(r[i]) for i in feats] for r in rows]
    y = [r[li] for r in rows]
    return x, y


def standardize(train, test):
    n, d = len(train), len(train[0])
    mean = [sum(r[j] for r in train) / n for j in range(d)]
    std = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in train) / n) or 1.0 for j in range(d)]
    f = lambda rows: [[(r[j] - mean[j]) / std[j] for j in range(d)] for r in rows]
    return f(train), f(test)


class MLP:
    def __init__(self, sizes, rng):
        self.sizes = sizes
        self.W, self.b = [], []
        for fan_in, fan_out in zip(sizes, sizes[1:]):
            k = 1 / math.sqrt(fan_in)
            self.W.append([[rng.uniform(-k, k) for _ in range(fan_out)] for _ in range(fan_in)])
            self.b.append([rng.uniform(-k, k) for _ in range(fan_out)])
        zeros = lambda: ([[[0.0] * len(W[0]) for _ in W] for W in self.W], [[0.0] * len(b) for b in self.b])
        self.mW, self.mb = zeros()
        self.vW, self.vb = zeros()
        self.t = 0

    def forward(self, x):
        acts = [x]
        h = x
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z = [sum(h[i] * W[i][j] for i in range(len(h))) + b[j] for j in range(len(b))]
            h = [max(v, 0.0) for v in z] if l < len(self.W) - 1 else z
            acts.append(h)
        return acts

    def step(self, xs, ys, lr):
        gW = [[[0.0] * len(W[0]) for _ in W] for W in self.W]
        gb = [[0.0] * len(b) for b in self.b]
        loss = 0.0
        n = len(xs)
        for x, y in zip(xs, ys):
            acts = self.forward(x)
            logits = acts[-1]
            m = max(logits)
            lse = m + math.log(sum(math.exp(v - m) for v in logits))
            loss += lse - logits[y]
            delta = [math.exp(v - lse) / n for v in logits]
            delta[y] -= 1.0 / n
            for l in range(len(self.W) - 1, -1, -1):
                h = acts[l]
                W = self.W[l]
                for i in range(len(h)):
                    if h[i] != 0.0:
                        row = gW[l][i]
                        for j in range(len(delta)):
                            row[j] += h[i] * delta[j]
                for j in range(len(delta)):
                    gb[l][j] += delta[j]
                if l > 0:
                    delta = [sum(W[i][j] * delta[j] for j in range(len(delta))) if h[i] > 0 else 0.0
                             for i in range(len(h))]
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t

        def upd(p, g, m, v):
            m2 = b1 * m + (1 - b1) * g
            v2 = b2 * v + (1 - b2) * g * g
            return p - lr * (m2 / c1) / (math.sqrt(v2 / c2) + eps), m2, v2

        for l in range(len(self.W)):
            for i in range(len(self.W[l])):
                for j in range(len(self.W[l][i])):
                    self.W[l][i][j], self.mW[l][i][j], self.vW[l][i][j] = upd(
                        self.W[l][i][j], gW[l][i][j], self.mW[l][i][j], self.vW[l][i][j])
            for j in range(len(self.b[l])):
                self.b[l][j], self.mb[l][j], self.vb[l][j] = upd(
                    self.b[l][j], gb[l][j], self.mb[l][j], self.vb[l][j])
        return loss / n

    def evaluate(self, xs, ys):
        loss, right = 0.0, 0
        for x, y in zip(xs, ys):
            logits = self.forward(x)[-1]
            m = max(logits)
            loss += m + math.log(sum(math.exp(v - m) for v in logits)) - logits[y]
            right += max(range(len(logits)), key=lambda k: logits[k]) == y
        return loss / len(xs), right / len(xs)

    def write_nnw(self, path, model):
        tensors, blobs, offset = [], [], 0
        for l, (W, b) in enumerate(zip(self.W, self.b), 1):
            for name, shape, flat in (("W%d" % l, [len(W), len(W[0])], [v for r in W for v in r]),
                                      ("b%d" % l, [len(b)], list(b))):
                data = struct.pack("<%df" % len(flat), *flat)
                tensors.append({"name": name, "role": "param", "dtype": "f32", "shape": shape,
                                "offset": offset, "bytes": len(data)})
                blobs.append(data)
                offset += len(data)
        header = {"model": model, "epochs": 0, "tensors": tensors}
        with open(path, "wb") as f:
            f.write(b"nnc-weights 1\n" + json.dumps(header).encode() + b"\n" + b"".join(blobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--label", required=True)
    ap.add_argument("--hidden", type=int, action="append", required=True)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-shuffle", action="store_true")
    ap.add_argument("--steps", type=int, default=0, help="stop after N steps, printing each loss")
    ap.add_argument("--write-init", metavar="FILE")
    ap.add_argument("--model", default="model", help="model name for --write-init")
    args = ap.parse_args()

    xtr, ytr = read_csv(args.train, args.label)
    xte, yte = read_csv(args.test, args.label)
    names = sorted(set(ytr))  # class ids in sorted order, like nnc
    if all(n.lstrip("-").isdigit() for n in names):
        names = sorted(names, key=int)
    ytr = [names.index(v) for v in ytr]
    yte = [names.index(v) for v in yte]
    xtr, xte = standardize(xtr, xte)

    rng = random.Random(args.seed)
    net = MLP([len(xtr[0])] + args.hidden + [args.classes], rng)
    if args.write_init:
        net.write_nnw(args.write_init, args.model)
    order = list(range(len(xtr)))
    steps = 0
    for epoch in range(args.epochs):
        if not args.no_shuffle:
            rng.shuffle(order)
        for s in range(0, len(order), args.batch_size):
            idx = order[s:s + args.batch_size]
            loss = net.step([xtr[i] for i in idx], [ytr[i] for i in idx], args.lr)
            steps += 1
            if args.steps:
                print("step %d loss %.8f" % (steps, loss))
                if steps == args.steps:
                    return 0
    tl, ta = net.evaluate(xtr, ytr)
    el, ea = net.evaluate(xte, yte)
    print("train loss %.6f  train accuracy %.4f" % (tl, ta))
    print("test loss %.6f  test accuracy %.4f" % (el, ea))
    return 0


if __name__ == "__main__":
    sys.exit(main())
