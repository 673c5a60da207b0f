#!/usr/bin/python3
"""The PyTorch reference of ../shared/data/README.md ("Reference quality"), run over many seeds to
measure its spread: the standard deviation of one run's test metric.

    /usr/bin/python3 bench/quality/torch_ref.py iris wine --seeds 30
    nice -n 10 /usr/bin/python3 bench/quality/torch_ref.py letter --seeds 10
    /usr/bin/python3 bench/quality/torch_ref.py iris --seeds 3 --no-write   # print only

Needs PyTorch (Debian python3-torch, 1.13; use /usr/bin/python3) and NumPy.

Setup, as the README states it: nn.Linear layers with ReLU between them, of the widths in the
table (PyTorch's default init); Adam, lr 1e-3 (default betas and eps); batch 32, the rows
reshuffled every epoch (torch.randperm, a smaller last batch); the table's epochs; cross-entropy
for classification; for regression MSE on the target standardized with the training split's
mean and std, the test MSE reported in the target's units. Features are standardized with the
training split's mean and population std (a constant column is left centred, std taken as 1),
except pixels: digits x / 16, mnist_10k x / 255. float32, torch.set_num_threads(1),
torch.manual_seed(seed) before building the model, so seed N is the same run every time.
Trains on split/NAME.train.csv, scores split/NAME.test.csv (after the last epoch).

Prints every seed's metric, the mean and the sample standard deviation (n - 1), and unless
--no-write merges the result into bench/quality/torch_spread.json (one entry per data set:
seeds, per_seed, mean, std, torch_version, date; accuracy in percent, MSE in the target's units).
An entry measured over other seeds before is not lost: it moves to the new entry's "history".
"""

import argparse
import datetime
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
DEFAULT_JSON = os.path.join(HERE, "torch_spread.json")


class Row:
    def __init__(self, name, label, widths, epochs, task, pixels=None):
        self.name = name        # split/NAME.train.csv, split/NAME.test.csv
        self.label = label      # the target column
        self.widths = widths    # layer widths, input first
        self.epochs = epochs
        self.task = task        # "classification" or "regression"
        self.pixels = pixels    # divide the features by this instead of standardizing


# The table of ../shared/data/README.md; label columns as in bench/quality/models/NAME.nn.
ROWS = [
    Row("iris", "species", [4, 10, 3], 200, "classification"),
    Row("wine", "label", [13, 32, 3], 200, "classification"),
    Row("breast_cancer", "label", [30, 32, 2], 100, "classification"),
    Row("penguins_clean", "species", [4, 16, 3], 200, "classification"),
    Row("digits", "label", [64, 128, 10], 50, "classification", pixels=16.0),
    Row("diabetes", "target", [10, 32, 1], 200, "regression"),
    Row("concrete", "compressive_strength", [8, 64, 64, 1], 300, "regression"),
    Row("satellite_numeric", "label", [36, 128, 6], 50, "classification"),
    Row("letter", "letter", [16, 128, 128, 26], 50, "classification"),
    Row("shuttle_numeric", "label", [9, 64, 7], 20, "classification"),
    Row("diamonds_numeric", "price", [9, 64, 64, 1], 30, "regression"),
    Row("mnist_10k", "label", [784, 256, 10], 20, "classification", pixels=255.0),
]
BY_NAME = {r.name: r for r in ROWS}


def read_csv(path, label):
    """Features (float64 array) and the label column (list of strings)."""
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    li = header.index(label)
    feats = [i for i in range(len(header)) if i != li]
    x = np.array([[float(r[i]) for i in feats] for r in rows], dtype=np.float64)
    y = [r[li] for r in rows]
    return x, y


def load(data_dir, row):
    xtr, ytr = read_csv(os.path.join(data_dir, "split", row.name + ".train.csv"), row.label)
    xte, yte = read_csv(os.path.join(data_dir, "split", row.name + ".test.csv"), row.label)
    if row.pixels:
        xtr, xte = xtr / row.pixels, xte / row.pixels
    else:
        mean, std = xtr.mean(axis=0), xtr.std(axis=0)  # population std, as StandardScaler
        std[std == 0] = 1.0
        xtr, xte = (xtr - mean) / std, (xte - mean) / std
    if row.task == "classification":
        try:  # numeric class ids keep their numeric order, names are sorted
            classes = sorted(set(ytr), key=float)
        except ValueError:
            classes = sorted(set(ytr))
        ids = {c: i for i, c in enumerate(classes)}
        assert len(classes) == row.widths[-1], (row.name, classes)
        ytr = torch.tensor([ids[c] for c in ytr], dtype=torch.long)
        yte = torch.tensor([ids[c] for c in yte], dtype=torch.long)
        ymean = ystd = None
    else:
        ytr = np.array([float(v) for v in ytr])
        yte = np.array([float(v) for v in yte])
        ymean, ystd = ytr.mean(), ytr.std()
        ytr = torch.tensor((ytr - ymean) / ystd, dtype=torch.float32).unsqueeze(1)
        yte = torch.tensor(yte, dtype=torch.float64)
    return (torch.tensor(xtr, dtype=torch.float32), ytr, torch.tensor(xte, dtype=torch.float32),
            yte, ymean, ystd)


def build(widths):
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def run(row, data, seed):
    """One training run; returns the test metric (accuracy in percent, or MSE) and R² or None."""
    xtr, ytr, xte, yte, ymean, ystd = data
    torch.manual_seed(seed)
    model = build(row.widths)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss() if row.task == "classification" else nn.MSELoss()
    n = xtr.shape[0]
    for _ in range(row.epochs):
        perm = torch.randperm(n)
        for start in range(0, n, 32):
            idx = perm[start:start + 32]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
    with torch.no_grad():
        out = model(xte)
    if row.task == "classification":
        return 100.0 * (out.argmax(dim=1) == yte).double().mean().item(), None
    pred = out.squeeze(1).double() * ystd + ymean
    mse = ((pred - yte) ** 2).mean().item()
    r2 = 1.0 - mse / ((yte - yte.mean()) ** 2).mean().item()
    return mse, r2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="+", metavar="NAME", help="data sets: " + ", ".join(BY_NAME))
    ap.add_argument("--seeds", type=int, default=30, help="seeds 1..N (default 30)")
    ap.add_argument("--data", default=DEFAULT_DATA, help="directory holding split/")
    ap.add_argument("--json", default=DEFAULT_JSON, help="the JSON file to update")
    ap.add_argument("--no-write", action="store_true", help="print only, leave the JSON alone")
    args = ap.parse_args()
    unknown = [n for n in args.names if n not in BY_NAME]
    if unknown:
        sys.exit("torch_ref.py: unknown data set %s; known: %s" % (", ".join(unknown), ", ".join(BY_NAME)))
    torch.set_num_threads(1)

    for name in args.names:
        row = BY_NAME[name]
        data = load(args.data, row)
        values, r2s = [], []
        for seed in range(1, args.seeds + 1):
            start = time.monotonic()
            value, r2 = run(row, data, seed)
            values.append(value)
            if r2 is not None:
                r2s.append(r2)
            extra = "  R² %.4f" % r2 if r2 is not None else ""
            print("%-18s seed %2d  %s %.4f%s  %.1f s" % (
                name, seed, "accuracy" if r2 is None else "mse", value, extra,
                time.monotonic() - start), flush=True)
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) \
            if len(values) > 1 else float("nan")
        print("%-18s %d seeds: mean %.4f  std %.4f  min %.4f  max %.4f" % (
            name, len(values), mean, std, min(values), max(values)), flush=True)
        if args.no_write:
            continue
        entry = {
            "metric": "accuracy %" if row.task == "classification" else "mse",
            "seeds": list(range(1, args.seeds + 1)),
            "per_seed": [round(v, 6) for v in values],
            "mean": round(mean, 6),
            "std": round(std, 6),
            "torch_version": torch.__version__,
            "date": datetime.date.today().isoformat(),
        }
        if row.task == "classification":
            entry["test_rows"] = int(data[3].shape[0])
        else:
            entry["r2_mean"] = round(sum(r2s) / len(r2s), 6)
        # Merge: other data sets' entries stay as they are (re-read: another run may have written).
        table = {}
        if os.path.exists(args.json):
            with open(args.json) as f:
                table = json.load(f)
        replace_keeping_history(table, name, entry)
        ordered = {r.name: table[r.name] for r in ROWS if r.name in table}
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            f.write(dumps(ordered))
        os.replace(tmp, args.json)


def replace_keeping_history(table, name, entry):
    """A run over other seeds than the stored entry's replaces it as the current figure; the
    stored one is kept under "history" (oldest first), so earlier estimates stay on record."""
    old = table.get(name)
    if old is not None:
        history = old.pop("history", [])
        if old["seeds"] != entry["seeds"] or old["per_seed"] != entry["per_seed"]:
            history.append(old)
        if history:
            entry["history"] = history
    table[name] = entry


def dumps(table):
    """JSON with one line per field (lists on one line), to keep the checked-in file short."""
    entries = []
    for name, entry in table.items():
        fields = ",\n".join("    %s: %s" % (json.dumps(k), dump_value(k, v)) for k, v in entry.items())
        entries.append("  %s: {\n%s\n  }" % (json.dumps(name), fields))
    return "{\n" + ",\n".join(entries) + "\n}\n"


def dump_value(key, value):
    """A field's value; "history" (earlier entries) with one earlier entry per line."""
    if key == "history":
        return "[\n" + ",\n".join("      " + json.dumps(v) for v in value) + "\n    ]"
    return json.dumps(value)


if __name__ == "__main__":
    main()
