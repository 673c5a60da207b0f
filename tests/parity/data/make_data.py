#!/usr/bin/env python3
"""Regenerates the small CSVs of the parity harness from the project's shared data.

    python3 tests/parity/data/make_data.py [--shared ../shared/data/split]

iris.csv is copied unchanged (nnc standardizes it; the reference repeats that);
digits.csv is the first 100 rows of digits.train.csv, unchanged (the models
scale the pixels, 0..16, by 1/16 themselves).
The others are the first rows of a training split with every column (features
and a regression target; not a 0/1 label) standardized over those rows and
written with 5 decimals, so that models read them with `normalize = none` and
the values are O(1). Sources and licences: README.md here.
"""
import argparse
import csv
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (source file, rows, standardize the last column too)
SETS = {
    "concrete": ("concrete.train.csv", 100, True),
    "diabetes": ("diabetes.train.csv", 90, True),
    "breast_cancer": ("breast_cancer.train.csv", 100, False),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "split"))
    args = ap.parse_args()
    with open(os.path.join(args.shared, "iris.train.csv")) as f:
        text = f.read()
    with open(os.path.join(HERE, "iris.csv"), "w") as f:
        f.write(text)
    with open(os.path.join(args.shared, "digits.train.csv")) as f:
        lines = f.readlines()[:101]  # the header and 100 images
    with open(os.path.join(HERE, "digits.csv"), "w") as f:
        f.writelines(lines)
    for name, (source, rows, target_too) in SETS.items():
        with open(os.path.join(args.shared, source)) as f:
            r = list(csv.reader(f))
        header, body = r[0], r[1 : rows + 1]
        x = np.array(body, dtype=np.float64)
        cols = x.shape[1] if target_too else x.shape[1] - 1
        mean = x[:, :cols].mean(axis=0)
        std = x[:, :cols].std(axis=0)
        std[std == 0] = 1.0
        x[:, :cols] = (x[:, :cols] - mean) / std
        with open(os.path.join(HERE, name + ".csv"), "w") as f:
            f.write(",".join(header) + "\n")
            for row in x:
                cells = ["%.5f" % v for v in row[:cols]] + ["%d" % v for v in row[cols:]]
                f.write(",".join(cells) + "\n")


if __name__ == "__main__":
    main()
