#!/usr/bin/env python3
"""A seeded synthetic CSV for the data benchmarks: a header f1..fK,y then rows
of K normal(0, 1) features and a target.

    python3 bench/gen_csv.py OUT.csv --rows N [--features 20] [--seed 1]
                             [--classes C] [--size 1G]

--classes 0 (default): y is a regression target, a fixed linear function of the
features plus noise; --classes C: y is a class id in 0..C-1 (the argmax of C
fixed linear functions). --size (e.g. 500M, 1G, 30G) writes rows until the file
reaches that many bytes instead of --rows. Values are written with 7
significant digits (what a float32 holds), about 11 bytes a cell.

Fast enough for 30 GB (disk-bound): the first --block rows (default 100,000)
are drawn from the seeded generator and formatted once; longer files repeat
that block. Standard library only, so it runs under any python3.
"""
import argparse
import random
import sys


def parse_size(s):
    units = {"K": 1e3, "M": 1e6, "G": 1e9}
    if s[-1].upper() in units:
        return int(float(s[:-1]) * units[s[-1].upper()])
    return int(s)


def make_block(rows, features, classes, seed):
    rng = random.Random(seed)
    heads = max(classes, 1)
    w = [[rng.gauss(0, 1) for _ in range(features)] for _ in range(heads)]
    lines = []
    for _ in range(rows):
        x = [rng.gauss(0, 1) for _ in range(features)]
        scores = [sum(a * b for a, b in zip(wk, x)) for wk in w]
        if classes:
            y = str(max(range(classes), key=lambda k: scores[k]))
        else:
            y = "%.7g" % (scores[0] + rng.gauss(0, 0.1))
        lines.append(",".join("%.7g" % v for v in x) + "," + y)
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--size", help="bytes to write instead of --rows: 500M, 1G, 30G")
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--classes", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--block", type=int, default=100_000)
    a = ap.parse_args()
    if (a.rows is None) == (a.size is None):
        ap.error("give exactly one of --rows and --size")
    block_rows = a.block if a.rows is None else min(a.block, a.rows)
    block = make_block(block_rows, a.features, a.classes, a.seed)
    header = ",".join("f%d" % (j + 1) for j in range(a.features)) + ",y\n"
    with open(a.out, "w", newline="\n") as f:
        f.write(header)
        if a.size is not None:
            budget = parse_size(a.size) - len(header)
            written = 0
            while written + len(block) <= budget:
                f.write(block)
                written += len(block)
            rest = block[: budget - written]
            f.write(rest[: rest.rfind("\n") + 1])
        else:
            left = a.rows
            while left >= block_rows:
                f.write(block)
                left -= block_rows
            if left:
                f.write("".join(block.splitlines(True)[:left]))


if __name__ == "__main__":
    sys.exit(main())
