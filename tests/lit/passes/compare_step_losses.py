#!/usr/bin/env python3
"""Compares the per-step training losses (`nnc --log-steps`) of two runs.

    compare_step_losses.py A.log B.log [--steps 20] [--rtol 1e-5]

Both logs must have `step N loss X` lines for steps 1..--steps; each pair of
losses must agree within --rtol relative. Prints the largest relative
difference; exits 1 (naming the first step that differs) otherwise.
"""
import argparse
import re
import sys


def losses(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"step (\d+) loss (\S+)", line)
            if m:
                out[int(m.group(1))] = float(m.group(2))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rtol", type=float, default=1e-5)
    args = ap.parse_args()
    a, b = losses(args.a), losses(args.b)
    worst = 0.0
    for step in range(1, args.steps + 1):
        if step not in a or step not in b:
            print(f"FAIL: step {step} is missing from {args.a if step not in a else args.b}")
            return 1
        rel = abs(a[step] - b[step]) / max(abs(a[step]), abs(b[step]), 1e-30)
        worst = max(worst, rel)
        if rel > args.rtol:
            print(f"FAIL: step {step}: loss {a[step]!r} against {b[step]!r} (relative {rel:.2e})")
            return 1
    print(f"OK: {args.steps} steps agree, largest relative difference {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
